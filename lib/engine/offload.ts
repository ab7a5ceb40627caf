/**
 * How an engine rank's scheduler meets its host tier ({@link HostTier}).
 *
 * - **Copies to host memory** start when a pass ends, for the prompt blocks it computed (write-through). They
 *   never hold a request. The reference mocker instead copies a block when GPU memory evicts it and holds the
 *   request whose allocation evicted it until the copy lands, which costs that request a whole pass per eviction
 *   (a copy takes well under a millisecond); the engines it models (KVBM, vLLM's CPU offloading) copy blocks as
 *   they are computed, so an eviction finds its copy made.
 * - **Copies back**, as the reference's vLLM core swaps in: a request admitted for the first time whose prefix
 *   continues in host memory past what GPU memory holds is parked. Its GPU prefix is pinned, GPU slots are taken
 *   for the host blocks, and the copy back starts; it leaves the waiting queue (no running slot, no token budget)
 *   and returns to its front once the copy has landed, when its next admission finds those blocks cached. A
 *   request swaps in once per engine; a preempted one recomputes.
 * - **Staging**, with lower tiers (`lower_tiers.ts`): where the prefix continues past the host tier's blocks on
 *   disk and then in the object store, as many of those blocks as the host tier has room for (beside the host
 *   run, which is held meanwhile) are copied up into it first, then the whole run is copied back to the GPU.
 *   The reference stages all of them or, without room for all, none.
 *
 * @module
 */
import { HostTier, type HostTierConfig } from "./host_tier.ts";
import type { Engine } from "./engine.ts";
import type { KvPool } from "./kv_pool.ts";
import type { LowerTiers } from "./lower_tiers.ts";
import type { RequestTable } from "./requests.ts";

/** A parked request's GPU slots: its pinned prefix, then the slots its host blocks are copied into. */
interface SwapIn {
  readonly slots: Int32Array;
  /** Index in the request's blocks of the first host block, and how many there are. */
  readonly first: number;
  readonly count: number;
  /**
   * While blocks are staged up from the lower tiers: the host slots held, the host tier's own run (`hostRun`
   * of them) then the staged blocks' private slots; null otherwise.
   */
  host: number[] | null;
  readonly hostRun: number;
}

/**
 * One rank's host tier as its scheduler uses it: the prompt blocks a pass computes, and the requests parked
 * while their prefix is copied back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KvPool } from "./kv_pool.ts";
 * import { Offload } from "./offload.ts";
 * import { RequestTable } from "./requests.ts";
 * // One request whose one-block prompt (block id 7) was computed and copied to host memory, then evicted.
 * const req = new RequestTable({
 *   requestCount: 1, inputLength: Int32Array.of(64), blockOffset: Int32Array.of(0, 1), blocks: Int32Array.of(7),
 * } as never);
 * const gpu = new KvPool(2, true);
 * const off = new Offload({ blocks: 8, blockBytes: 1e6, offloadGbps: 1, onboardGbps: 1 }, gpu);
 * gpu.release(gpu.allocate(7));
 * off.computes(req, 0, 64, 64); // the pass computed its 64 tokens
 * off.store(0); // lands at 1 ms
 * assert.deepEqual(off.tick(req, 1), []);
 * assert.equal(off.hostHits(req, 0, 0, 65, 64), 1); // its first admission, with a token generated, reuses it
 * for (const slot of [gpu.allocate(-1), gpu.allocate(-1)]) gpu.release(slot); // evicts block 7 from GPU memory
 * assert(off.swapIn(req, 0, 0, 1, 5) && off.parked === 1); // copied back by 6 ms
 * assert.deepEqual(off.tick(req, 6), [0]);
 * ```
 */
export class Offload {
  /** The rank's host tier. */
  readonly tier: HostTier;
  readonly #gpu: KvPool;
  /** The run's lower tiers, which the host tier writes through to and stages from, or null. */
  readonly lower: LowerTiers | null;
  /** The rank's engine id, which stagings are addressed to. */
  readonly #engine: number;
  /** Requests by the id of their staging in flight. */
  readonly #staging = new Map<number, number>();
  /** The full prompt blocks, from each root, of the requests the pass in flight computes prompt tokens of. */
  readonly #chains: number[] = [];
  readonly #parked = new Map<number, SwapIn>();
  /** Requests parked for a copy back. */
  swapIns = 0;
  /** Blocks staged up from the lower tiers into the host tier. */
  stagedBlocks = 0;

  /**
   * @param lower The run's lower tiers (shared by every rank), or null.
   * @param engine The rank's engine id.
   */
  constructor(config: HostTierConfig, gpu: KvPool, lower: LowerTiers | null = null, engine = 0) {
    this.tier = new HostTier(config, lower);
    this.#gpu = gpu;
    this.lower = lower;
    this.#engine = engine;
  }

  /** Requests parked while their prefix is copied back. */
  get parked(): number {
    return this.#parked.size;
  }

  /**
   * The pass being scheduled computes prompt tokens of `r`, up to `computed` tokens: its full prompt blocks up
   * to there go to host memory when the pass ends ({@link Offload.store}).
   */
  computes(req: RequestTable, r: number, computed: number, blockSize: number): void {
    const from = req.blockOffset[r];
    const full = Math.min(req.blockOffset[r + 1] - from, Math.floor(computed / blockSize));
    for (let k = 0; k < full; k++) this.#chains.push(req.blocks[from + k]);
  }

  /** The pass ended at `now`: copy the prompt blocks it computed to host memory ({@link HostTier.offload}). */
  store(now: number): void {
    if (this.#chains.length === 0) return;
    this.tier.offload(this.#chains.slice(), now);
    this.#chains.length = 0;
  }

  /**
   * How many host blocks `r` would copy back at this admission ({@link Offload.swapIn}): none unless it is its
   * first on this engine and it has not swapped in here, else those after its `resident` blocks in GPU memory,
   * up to the blocks the admission keeps of its `known` tokens (not a last block its last token is recomputed
   * in; with MTP the admission drops one block more of what it matches, as vLLM does, wherever it came from).
   */
  hostHits(req: RequestTable, r: number, resident: number, known: number, blockSize: number): number {
    if (req.admitted[r] !== 0 || req.swapped[r] !== 0) return 0;
    const from = req.blockOffset[r], end = from + Math.max(resident, Math.floor((known - 1) / blockSize));
    const host = this.tier.match(req.blocks, from + resident, end);
    if (this.lower === null) return host;
    const [disk, object] = this.lower.match(req.blocks, from + resident + host, end);
    if (disk + object === 0) return host;
    // Staging holds the host run first: its blocks nobody holds are no room for the staged ones.
    const pool = this.tier.pool;
    let room = pool.available;
    for (let i = from + resident; i < from + resident + host; i++) {
      if (!pool.isActive(pool.cachedSlot(req.blocks[i]))) room--;
    }
    return host + Math.min(disk + object, room);
  }

  /**
   * Copy back the `count` host blocks of `r` that follow its `resident` blocks in GPU memory, at `now` (the
   * caller has checked that its whole sequence fits). Returns whether `r` is parked; false when the copy was
   * instant (the blocks are cached in GPU memory now).
   */
  swapIn(req: RequestTable, r: number, resident: number, count: number, now: number): boolean {
    const gpu = this.#gpu, from = req.blockOffset[r], start = from + resident;
    req.swapped[r] = 1;
    const hostRun = this.tier.match(req.blocks, start, start + count);
    const slots = new Int32Array(resident + count);
    for (let k = 0; k < resident; k++) slots[k] = gpu.acquire(req.blocks[from + k]);
    for (let k = resident; k < resident + count; k++) {
      // The caller's check covered the whole sequence, which these blocks are part of.
      if ((slots[k] = gpu.allocate(-1)) < 0) throw new Error("offload: no GPU slot for a copy back (bug)");
    }
    if (hostRun < count) {
      this.#stage(req, r, { slots, first: resident, count, host: [], hostRun }, now);
      return true;
    }
    const wait = this.tier.onboard(req.blocks, start, count, now, r);
    const swap: SwapIn = { slots, first: resident, count, host: null, hostRun };
    if (!wait) {
      this.#land(req, r, swap);
      return false;
    }
    this.#parked.set(r, swap);
    this.swapIns++;
    return true;
  }

  /**
   * Land the copies done at `now` and return the parked requests whose copy back landed, in landing order, with
   * their blocks cached in GPU memory.
   */
  tick(req: RequestTable, now: number): number[] {
    const back = this.tier.tick(now);
    for (const r of back) {
      this.#land(req, r, this.#parked.get(r)!);
      this.#parked.delete(r);
    }
    return back;
  }

  /** When the next copy lands (Infinity when none is in flight). */
  due(): number {
    return this.tier.due();
  }

  /**
   * The lower tiers' staging `id` has landed at `now`: register its blocks in the host tier and copy the
   * request's whole run back to the GPU. Returns the request when that copy was instant (its blocks are cached
   * in GPU memory now), else −1 (it lands by {@link Offload.tick}).
   */
  landStaging(req: RequestTable, id: number, now: number): number {
    const r = this.#staging.get(id)!, swap = this.#parked.get(r)!, pool = this.tier.pool;
    this.#staging.delete(id);
    const start = req.blockOffset[r] + swap.first, host = swap.host!;
    for (let k = swap.hostRun; k < swap.count; k++) host[k] = pool.promote(host[k], req.blocks[start + k]);
    for (let k = host.length - 1; k >= 0; k--) pool.release(host[k]);
    swap.host = null;
    if (this.tier.onboard(req.blocks, start, swap.count, now, r)) return -1;
    this.#land(req, r, swap);
    this.#parked.delete(r);
    return r;
  }

  /**
   * Park `r` while the blocks after its host run are copied up from the lower tiers into host slots taken now
   * (the host run's blocks held meanwhile), starting at `now`.
   */
  #stage(req: RequestTable, r: number, swap: SwapIn, now: number): void {
    const pool = this.tier.pool, start = req.blockOffset[r] + swap.first, host = swap.host!;
    for (let k = 0; k < swap.hostRun; k++) host.push(pool.acquire(req.blocks[start + k]));
    for (let k = swap.hostRun; k < swap.count; k++) {
      // `hostHits` checked the room.
      const slot = pool.allocate(-1);
      if (slot < 0) throw new Error("offload: no host slot to stage a block into (bug)");
      host.push(slot);
    }
    const [disk, object] = this.lower!.match(req.blocks, start + swap.hostRun, start + swap.count);
    if (disk + object !== swap.count - swap.hostRun) throw new Error("offload: staging plan changed (bug)");
    this.#staging.set(
      this.lower!.stage(this.#engine, req.blocks, start + swap.hostRun, disk, object, now),
      r,
    );
    this.#parked.set(r, swap);
    this.stagedBlocks += disk + object;
    this.swapIns++;
  }

  /** Cache the copied blocks under their ids and unpin the prefix: all of them unheld, most recent last. */
  #land(req: RequestTable, r: number, swap: SwapIn): void {
    const gpu = this.#gpu, from = req.blockOffset[r], slots = swap.slots;
    for (let k = swap.first; k < swap.first + swap.count; k++) {
      slots[k] = gpu.promote(slots[k], req.blocks[from + k]);
    }
    for (let k = slots.length - 1; k >= 0; k--) gpu.release(slots[k]);
  }
}

/**
 * A pool's host KV tier as the report gives it (`dynolab.pools[].host_tier`): its size and links, and what its
 * ranks copied.
 */
export interface HostTierSummary {
  readonly blocks_per_rank: number;
  readonly block_bytes: number;
  readonly offload_gbps: number;
  readonly onboard_gbps: number;
  /** Blocks stored in host memory, dropped for want of room, and copied back to the GPU. */
  readonly offloaded_blocks: number;
  readonly dropped_blocks: number;
  readonly onboarded_blocks: number;
  /** Requests parked for a copy back. */
  readonly swap_ins: number;
  /** Blocks staged up from the lower tiers (disk, object store) for those copies back. */
  readonly staged_blocks: number;
}

/**
 * The summary of the host tier `config` of the pool whose ranks are `ranks` (each with its tier).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hostTierSummary } from "./offload.ts";
 * const config = { blocks: 8, blockBytes: 1e6, offloadGbps: 14, onboardGbps: 14 };
 * assert.equal(hostTierSummary(config, []).swap_ins, 0);
 * ```
 */
export function hostTierSummary(config: HostTierConfig, ranks: readonly Engine[]): HostTierSummary {
  let offloaded = 0, dropped = 0, onboarded = 0, swapIns = 0, staged = 0;
  for (const e of ranks) {
    const o = e.offload!;
    offloaded += o.tier.offloaded;
    dropped += o.tier.dropped;
    onboarded += o.tier.onboarded;
    swapIns += o.swapIns;
    staged += o.stagedBlocks;
  }
  return {
    blocks_per_rank: config.blocks,
    block_bytes: config.blockBytes,
    offload_gbps: config.offloadGbps,
    onboard_gbps: config.onboardGbps,
    offloaded_blocks: offloaded,
    dropped_blocks: dropped,
    onboarded_blocks: onboarded,
    swap_ins: swapIns,
    staged_blocks: staged,
  };
}
