/**
 * An engine rank's host-memory KV tier (the reference mocker's G2, `num_g2_blocks`): copies of cached prompt
 * blocks, kept so that a request whose prefix GPU memory (G1) has evicted can copy it back instead of
 * recomputing it.
 *
 * A prompt block is copied to host memory once computed, unless it is there already or on its way (write-through,
 * as KVBM registers blocks with its offload manager and vLLM's CPU offloading stores them; the reference mocker
 * copies a block when G1 evicts it, see `offload.ts`). A full host tier evicts its least recently used block
 * that no copy back holds (leaf first, as G1), and drops the new block when every block is held. A request's
 * prefix that continues in host memory is copied back in one transfer, holding its host blocks until it lands.
 * Copies each way go over their own processor-sharing link (`bandwidth_g1_to_g2_gbps`,
 * `bandwidth_g2_to_g1_gbps`, 14 GB/s each by default, as in the reference); a bandwidth of 0 moves blocks at
 * once.
 *
 * @module
 */
import { IntMap } from "../common/int_map.ts";
import { SharedLinks } from "../common/shared_links.ts";
import { KvPool } from "./kv_pool.ts";

/** What sizes and times a host tier. */
export interface HostTierConfig {
  /** Blocks host memory holds (`num_g2_blocks`). */
  readonly blocks: number;
  /** Bytes of one block (block size × `kv_bytes_per_token`). */
  readonly blockBytes: number;
  /** GB/s of copies to host memory (`bandwidth_g1_to_g2_gbps`); 0: instant. */
  readonly offloadGbps: number;
  /** GB/s of copies back to the GPU (`bandwidth_g2_to_g1_gbps`); 0: instant. */
  readonly onboardGbps: number;
}

/** The link keys of a tier's two directions. */
const OFFLOAD = 0, ONBOARD = 1;

/** A copy in flight: its direction, its blocks (ids to store, or host slots to unpin) and who waits on it. */
interface Copy {
  readonly onboard: boolean;
  readonly blocks: readonly number[];
  /** The request parked for a copy back; −1 for a copy to host memory. */
  readonly waiter: number;
}

/**
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HostTier } from "./host_tier.ts";
 * // 1 MB blocks over 1 GB/s links: one block takes 1 ms each way.
 * const tier = new HostTier({ blocks: 4, blockBytes: 1e6, offloadGbps: 1, onboardGbps: 1 });
 * tier.offload([7, 8], 0); // blocks 7 and 8 reach host memory after 2 ms
 * assert.equal(tier.due(), 2);
 * assert.deepEqual(tier.tick(2), []);
 * assert.equal(tier.match(Int32Array.of(7, 8, 9), 0, 3), 2);
 * assert.equal(tier.onboard(Int32Array.of(7, 8), 0, 2, 2, 5), true); // request 5 copies them back by 4 ms
 * assert.deepEqual(tier.tick(4), [5]);
 * ```
 */
export class HostTier {
  readonly config: HostTierConfig;
  /** Host memory's blocks: inactive when stored, active while a copy back to the GPU holds them. */
  readonly pool: KvPool;
  readonly #links = new SharedLinks();
  /** Block ids on their way to host memory (a count per id). */
  readonly #inFlight = new IntMap(64);
  readonly #copies = new Map<number, Copy>();
  #nextCopy = 0;
  /** Blocks stored in host memory, copied back to the GPU, and dropped for want of room. */
  offloaded = 0;
  onboarded = 0;
  dropped = 0;

  constructor(config: HostTierConfig) {
    this.config = config;
    this.pool = new KvPool(config.blocks, true);
  }

  /** How many of `blocks[from … to)` host memory holds, counting from `from` and stopping at the first miss. */
  match(blocks: Int32Array, from: number, to: number): number {
    let n = 0;
    for (let i = from; i < to && this.pool.cachedSlot(blocks[i]) >= 0; i++) n++;
    return n;
  }

  /**
   * Copy the blocks `ids` (in prompt order), computed by `now`, to host memory: those not there already or on
   * their way; those there already become the most recently used.
   */
  offload(ids: readonly number[], now: number): void {
    const blocks: number[] = [];
    for (let i = ids.length - 1; i >= 0; i--) {
      const id = ids[i];
      if (this.pool.cachedSlot(id) >= 0) this.pool.release(this.pool.acquire(id));
      else if (this.#inFlight.get(id) <= 0) blocks.push(id);
    }
    blocks.reverse();
    for (const id of blocks) this.#inFlight.add(id, 1);
    if (blocks.length === 0) return;
    if (this.config.offloadGbps <= 0) this.#store(blocks);
    else this.#start({ onboard: false, blocks, waiter: -1 }, OFFLOAD, now, this.config.offloadGbps);
  }

  /**
   * Copy `blocks[from … from + n)` (which host memory holds) back to the GPU for `waiter`, starting at `now`.
   * Returns whether it must wait for them to land ({@link HostTier.tick}).
   */
  onboard(blocks: Int32Array, from: number, n: number, now: number, waiter: number): boolean {
    const slots: number[] = [];
    for (let i = from; i < from + n; i++) slots.push(this.pool.acquire(blocks[i]));
    this.onboarded += n;
    if (this.config.onboardGbps <= 0) {
      for (let i = slots.length - 1; i >= 0; i--) this.pool.release(slots[i]);
      return false;
    }
    this.#start({ onboard: true, blocks: slots, waiter }, ONBOARD, now, this.config.onboardGbps);
    return true;
  }

  /**
   * Land the copies that are done at `now` (the time {@link HostTier.due} gave; at any other time a link has
   * nothing due) and return the requests parked for the copies back among them, in the order they landed.
   */
  tick(now: number): number[] {
    const waiters: number[] = [];
    for (const key of [OFFLOAD, ONBOARD]) {
      for (const id of this.#links.complete(key, now)) {
        const copy = this.#copies.get(id)!;
        this.#copies.delete(id);
        if (copy.onboard) {
          for (let i = copy.blocks.length - 1; i >= 0; i--) this.pool.release(copy.blocks[i]);
          waiters.push(copy.waiter);
        } else {
          this.#store(copy.blocks);
        }
      }
    }
    return waiters;
  }

  /** When the next copy lands (Infinity when none is in flight). */
  due(): number {
    return Math.min(this.#links.due(OFFLOAD), this.#links.due(ONBOARD));
  }

  #start(copy: Copy, key: number, now: number, gbps: number): void {
    const id = this.#nextCopy++;
    this.#copies.set(id, copy);
    this.#links.add(key, now, id, copy.blocks.length * this.config.blockBytes, gbps);
  }

  /**
   * Store the landed blocks `ids` (in prompt order), evicting the least recently used unheld ones, or dropping
   * a block when all are held. A prompt's blocks are released leaf first, so its root is used most recently and
   * evicted last (a root lost makes the rest of its chain unreachable).
   */
  #store(ids: readonly number[]): void {
    const slots: number[] = [];
    for (const id of ids) {
      this.#inFlight.add(id, -1);
      const slot = this.pool.allocate(id);
      if (slot < 0) this.dropped++;
      else slots.push(slot);
    }
    for (let i = slots.length - 1; i >= 0; i--) this.pool.release(slots[i]);
    this.offloaded += slots.length;
  }
}
