/**
 * The paged KV-cache pool of one engine rank, with prefix caching on full blocks.
 *
 * A slot is *free*, *active* (held by ≥ 1 running request) or *inactive* (unheld but still cached under its
 * block id, reusable by a later prefix match until evicted). Inactive slots sit in an LRU list; eviction takes
 * the least recently released one. Requests release their blocks tail first, and any request that holds a
 * block also holds its parent, so a parent is always released after its children: LRU order is therefore
 * leaf-first order (the reference's default `Lineage` eviction), with no tree to maintain.
 *
 * Slots are interchangeable, so the pool keeps no per-slot state: a cached block's slot is named by its block
 * id, and every private slot (a partial prompt block, an output block, a side block) by {@link PRIVATE_SLOT},
 * counted rather than tracked. A cached block's state (its holders, or its place in the LRU list) is one
 * word of a map keyed by block id and laid out for runs of consecutive ids, so the blocks of a prompt sit side
 * by side in memory whatever order they were taken in. The LRU list holds *runs*: block ids `[start, start +
 * len)` released one after another from the top down (as a request releases a run of consecutive ids tail
 * first), evicted from the top down; reviving a block in the middle of a run splits it. Every operation is
 * O(1) expected, but for a split, which costs the shorter of its two parts.
 *
 * @module
 */
import { IntMap } from "../common/int_map.ts";

/** The slot every private block is named by (no block id reaches it: ids stay below 2³¹ − 2). */
export const PRIVATE_SLOT = 0x7fffffff;
/** A cached block's map value: its holders (≥ 1) when active; `INACTIVE | run` when in the LRU list. */
const INACTIVE = 1 << 30;
const RUN = INACTIVE - 1;

/**
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { KvPool } from "./kv_pool.ts";
 * const pool = new KvPool(2, true);
 * const a = pool.allocate(7);
 * pool.release(a); // block 7 stays cached, inactive
 * assert(pool.cachedSlot(7) === a && pool.activeBlocks === 0 && pool.inactiveBlocks === 1);
 * pool.allocate(-1);
 * pool.allocate(-1); // needs the cached slot: evicts block 7
 * assert.equal(pool.cachedSlot(7), -1);
 * assert.equal(pool.activeBlocks, 2);
 * ```
 */
export class KvPool {
  /** Total blocks. */
  readonly capacity: number;
  /** Whether full prompt blocks are registered for reuse. */
  readonly prefixCaching: boolean;
  /** Per cached block id: its holders, or `INACTIVE |` its LRU run (only cached ids have an entry). */
  #state: IntMap;
  /** LRU runs: lowest id, length, and links (least recently released first); free runs chain on `#runNext`. */
  #runStart: Int32Array;
  #runLen: Int32Array;
  #runPrev: Int32Array;
  #runNext: Int32Array;
  #runFree = -1;
  #runCount = 0;
  #lruHead = -1;
  #lruTail = -1;
  #freeCount: number;
  #active = 0;
  #inactive = 0;
  /** Active slots not registered under a block id (partial prompt blocks, output blocks). */
  #privateActive = 0;
  #evictions = 0;
  /** Private slots taken by {@link KvPool.reserve}. */
  #reservedCount = 0;

  /**
   * Bytes a pool of `capacity` blocks may allocate, at most: its LRU's runs (four Int32 words a run, at most one
   * run a block, the arrays doubling as they grow: 32 bytes a block) and, with prefix caching, its block index.
   * The fleet's memory cap charges this bound.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { KvPool } from "./kv_pool.ts";
   * assert.equal(KvPool.bytes(1000, false), 32_000 + 260); // the runs, and an empty block index
   * ```
   */
  static bytes(capacity: number, prefixCaching: boolean): number {
    return 32 * capacity + IntMap.bytes(prefixCaching ? capacity : 0);
  }

  /**
   * @param capacity Blocks in the pool.
   */
  constructor(capacity: number, prefixCaching: boolean) {
    this.capacity = capacity;
    this.prefixCaching = prefixCaching;
    this.#state = new IntMap(prefixCaching ? capacity : 0);
    const runs = prefixCaching ? Math.min(capacity, 1024) : 0;
    this.#runStart = new Int32Array(runs);
    this.#runLen = new Int32Array(runs);
    this.#runPrev = new Int32Array(runs);
    this.#runNext = new Int32Array(runs);
    this.#freeCount = capacity;
  }

  /** Slots held by running requests. */
  get activeBlocks(): number {
    return this.#active;
  }

  /** Cached but unheld slots. */
  get inactiveBlocks(): number {
    return this.#inactive;
  }

  /** Slots holding a cached block id (active or inactive): the router's view of this engine's cache. */
  get cachedBlocks(): number {
    return this.capacity - this.#freeCount - this.#privateActive;
  }

  /** Cached blocks evicted so far. */
  get evictions(): number {
    return this.#evictions;
  }

  /** Slot caching block `id` (the id itself), or −1. */
  cachedSlot(id: number): number {
    return this.prefixCaching && this.#state.get(id) >= 0 ? id : -1;
  }

  /** Whether `slot` is a private block (registered for no reuse). */
  isPrivate(slot: number): boolean {
    return slot === PRIVATE_SLOT;
  }

  /** Whether `slot` is held by a running request. */
  isActive(slot: number): boolean {
    if (slot === PRIVATE_SLOT) return true;
    if (slot < 0 || !this.prefixCaching) return false;
    const v = this.#state.get(slot);
    return v > 0 && v < INACTIVE;
  }

  /**
   * How many of `blocks[from … to)` are cached, counting from `from` and stopping at the first miss.
   * `activeOut[0]` receives how many of those are active.
   */
  matchPrefix(blocks: Int32Array, from: number, to: number, activeOut: Int32Array): number {
    activeOut[0] = 0;
    if (!this.prefixCaching) return 0;
    const state = this.#state;
    let n = 0, active = 0;
    for (let i = from; i < to; i++) {
      const v = state.get(blocks[i]);
      if (v < 0) break;
      if (v < INACTIVE) active++;
      n++;
    }
    activeOut[0] = active;
    return n;
  }

  /** Take a reference on the cached block `id` (which must be cached), reviving it if inactive. */
  acquire(id: number): number {
    const state = this.#state, at = state.cell(id), v = state.cells[at];
    if (v >= INACTIVE) {
      this.#revive(id, v & RUN);
      this.#inactive--;
      this.#active++;
      state.cells[at] = 1;
    } else state.cells[at] = v + 1;
    return id;
  }

  /**
   * A new slot for block `id` (registered for reuse when `id ≥ 0` and prefix caching is on) or a private
   * slot (`id = −1`). Evicts the least recently released inactive block if no slot is free. Returns −1 when
   * every slot is active.
   */
  allocate(id: number): number {
    if (this.#freeCount > 0) this.#freeCount--;
    else if (this.#lruHead >= 0) this.#evict();
    else return -1;
    this.#active++;
    if (id >= 0 && this.prefixCaching) {
      this.#state.set(id, 1);
      return id;
    }
    this.#privateActive++;
    return PRIVATE_SLOT;
  }

  /**
   * How many of the consecutive block ids `[id, id + n)` are not cached, counting from `id` and stopping at the
   * first cached one.
   */
  uncachedRun(id: number, n: number): number {
    return this.prefixCaching ? this.#state.absentRun(id, n) : n;
  }

  /**
   * {@link KvPool.allocate} of each of the block ids `[id, id + n)` in order (none cached; prefix caching on),
   * stopping when no slot is left. Returns how many were allocated (their slots are their ids).
   */
  allocateRun(id: number, n: number): number {
    const got = Math.min(n, this.capacity - this.#active), fromFree = Math.min(got, this.#freeCount);
    this.#freeCount -= fromFree;
    for (let left = got - fromFree; left > 0;) {
      const h = this.#lruHead, len = this.#runLen[h], take = Math.min(left, len);
      this.#state.deleteRun(this.#runStart[h] + len - take, take);
      this.#runLen[h] = len - take;
      if (len === take) this.#unlinkRun(h);
      this.#inactive -= take;
      this.#evictions += take;
      left -= take;
    }
    this.#active += got;
    this.#state.fillAbsent(id, got, 1);
    return got;
  }

  /**
   * {@link KvPool.release} of the slots of block ids `id + n − 1` down to `id`, in that order (tail first, as a
   * request releases its blocks).
   */
  releaseRun(id: number, n: number): void {
    const state = this.#state;
    for (let b = id + n - 1; b >= id; b--) {
      const at = state.cell(b), cells = state.cells, v = at < 0 ? -1 : cells[at];
      if (v <= 0 || v >= INACTIVE) {
        throw new Error(`kv pool: slot ${b} released more often than acquired (bug)`);
      }
      if (v > 1) {
        cells[at] = v - 1;
        continue;
      }
      this.#active--;
      this.#inactive++;
      cells[at] = INACTIVE | this.#append(b);
    }
  }

  /**
   * Register a private slot as caching block `id` (a prompt block that just became full), or, if `id` is
   * already cached elsewhere, fold into that slot. Returns the slot now holding the caller's reference.
   */
  promote(slot: number, id: number): number {
    if (!this.prefixCaching) return slot;
    if (this.#state.get(id) >= 0) {
      this.release(slot);
      return this.acquire(id);
    }
    this.#state.set(id, 1);
    this.#privateActive--;
    return id;
  }

  /** Drop one reference; an unheld cached block becomes inactive (most recently used), a private one free. */
  release(slot: number): void {
    if (slot === PRIVATE_SLOT) {
      if (this.#privateActive === 0) {
        throw new Error("kv pool: a private slot released more often than taken (bug)");
      }
      this.#active--;
      this.#privateActive--;
      this.#freeCount++;
      return;
    }
    if (!this.prefixCaching) throw new Error(`kv pool: slot ${slot} released more often than acquired (bug)`);
    this.releaseRun(slot, 1);
  }

  /**
   * Take `n` private slots that belong to no block (a sequence's recurrent state), evicting cached blocks as
   * needed. Returns false, taking nothing, when fewer than `n` are available.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { KvPool } from "./kv_pool.ts";
   * const pool = new KvPool(4, true);
   * assert(pool.reserve(3) && !pool.reserve(2) && pool.available === 1);
   * pool.unreserve(3);
   * assert.equal(pool.available, 4);
   * ```
   */
  reserve(n: number): boolean {
    if (n > this.available) return false;
    for (let i = 0; i < n; i++) this.allocate(-1);
    this.#reservedCount += n;
    return true;
  }

  /** Give back `n` slots taken by {@link KvPool.reserve}. */
  unreserve(n: number): void {
    if (n > this.#reservedCount) throw new Error("kv pool: more state slots given back than taken (bug)");
    this.#reservedCount -= n;
    for (let i = 0; i < n; i++) this.release(PRIVATE_SLOT);
  }

  /** Slots that can be allocated right now without preemption (free + evictable). */
  get available(): number {
    return this.capacity - this.#active;
  }

  /**
   * Give back the memory of an idle pool whose rank has left the fleet: its block arrays and index go, its
   * counters stay (for reports). Nothing may allocate, acquire or release after this.
   */
  retire(): number {
    const bytes = KvPool.bytes(this.capacity, this.prefixCaching);
    this.#runStart =
      this.#runLen =
      this.#runPrev =
      this.#runNext =
        new Int32Array(0);
    this.#state = new IntMap(0);
    return bytes - KvPool.bytes(0, this.prefixCaching);
  }

  /** Put `id` (just released) at the LRU list's tail: on the tail run when it continues it downwards. */
  #append(id: number): number {
    const t = this.#lruTail;
    if (t >= 0 && this.#runStart[t] === id + 1) {
      this.#runStart[t] = id;
      this.#runLen[t]++;
      return t;
    }
    const run = this.#newRun(id, 1);
    this.#linkAfter(t, run);
    return run;
  }

  /** Evict the least recently released block: the top of the head run. */
  #evict(): void {
    const h = this.#lruHead, len = --this.#runLen[h];
    this.#state.delete(this.#runStart[h] + len);
    if (len === 0) this.#unlinkRun(h);
    this.#inactive--;
    this.#evictions++;
  }

  /** Take inactive `id` out of its LRU run `run`, splitting the run when `id` is inside it. */
  #revive(id: number, run: number): void {
    const start = this.#runStart[run], len = this.#runLen[run], off = id - start;
    if (len === 1) return this.#unlinkRun(run);
    if (off === 0) {
      this.#runStart[run] = start + 1;
      this.#runLen[run] = len - 1;
      return;
    }
    if (off === len - 1) {
      this.#runLen[run] = len - 1;
      return;
    }
    // The ids above `id` were released before those below it: they stay ahead in the list. The shorter part
    // moves to a new run (its ids renamed).
    const above = len - off - 1, state = this.#state;
    if (off <= above) {
      const below = this.#newRun(start, off);
      this.#runStart[run] = id + 1;
      this.#runLen[run] = above;
      this.#linkAfter(run, below);
      for (let k = start; k < id; k++) state.set(k, INACTIVE | below);
    } else {
      const top = this.#newRun(id + 1, above);
      this.#runLen[run] = off;
      this.#linkAfter(this.#runPrev[run], top);
      for (let k = id + 1; k < start + len; k++) state.set(k, INACTIVE | top);
    }
  }

  /** A run `[start, start + len)`, unlinked. */
  #newRun(start: number, len: number): number {
    let run = this.#runFree;
    if (run >= 0) this.#runFree = this.#runNext[run];
    else {
      run = this.#runCount++;
      if (run === this.#runStart.length) this.#growRuns();
    }
    this.#runStart[run] = start;
    this.#runLen[run] = len;
    return run;
  }

  /** Take `run` out of the LRU list and free it. */
  /** Link `run` into the LRU list after run `prev` (at its head when `prev` is −1). */
  #linkAfter(prev: number, run: number): void {
    const next = prev >= 0 ? this.#runNext[prev] : this.#lruHead;
    this.#runPrev[run] = prev;
    this.#runNext[run] = next;
    if (prev >= 0) this.#runNext[prev] = run;
    else this.#lruHead = run;
    if (next >= 0) this.#runPrev[next] = run;
    else this.#lruTail = run;
  }

  #unlinkRun(run: number): void {
    const p = this.#runPrev[run], n = this.#runNext[run];
    if (p >= 0) this.#runNext[p] = n;
    else this.#lruHead = n;
    if (n >= 0) this.#runPrev[n] = p;
    else this.#lruTail = p;
    this.#runNext[run] = this.#runFree;
    this.#runFree = run;
  }

  #growRuns(): void {
    const n = Math.max(16, this.#runStart.length * 2);
    const grow = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.#runStart = grow(this.#runStart);
    this.#runLen = grow(this.#runLen);
    this.#runPrev = grow(this.#runPrev);
    this.#runNext = grow(this.#runNext);
  }
}
