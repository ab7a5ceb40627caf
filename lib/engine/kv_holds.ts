/**
 * A prefill rank's held KV: the blocks of finished prompts kept until their transfer to a decode rank has
 * landed, as vLLM's KV connectors keep them (the request table moves on to the decode rank meanwhile).
 *
 * @module
 */
import type { KvPool } from "./kv_pool.ts";
import type { RequestTable } from "./requests.ts";

/**
 * The KV slots of finished prompts awaiting their transfer, by request id.
 */
export class KvHolds {
  readonly #pool: KvPool;
  readonly #slots = new Map<number, Int32Array>();
  /** Side blocks held per request (recurrent state, sliding-window layers). */
  readonly #side = new Map<number, number>();

  constructor(pool: KvPool) {
    this.#pool = pool;
  }

  /** How many finished prompts' KV is held. */
  get size(): number {
    return this.#slots.size;
  }

  /** Keep finished `r`'s KV slots, taking them from the request table (which then holds none for it). */
  hold(req: RequestTable, r: number): void {
    this.#slots.set(r, req.slots[r]!.subarray(0, req.held[r]));
    this.#side.set(r, req.sideBlocks[r]);
    req.slots[r] = null;
    req.held[r] = 0;
    req.sideBlocks[r] = 0;
  }

  /** Free the KV held for `r` (tail first, as a finishing request frees). */
  release(r: number): void {
    const slots = this.#slots.get(r);
    if (slots === undefined) throw new Error(`request ${r} holds no KV here (bug)`);
    for (let k = slots.length - 1; k >= 0; k--) this.#pool.release(slots[k]);
    this.#pool.unreserve(this.#side.get(r)!);
    this.#slots.delete(r);
    this.#side.delete(r);
  }
}
