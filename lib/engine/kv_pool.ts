/**
 * The paged KV-cache pool of one engine rank, with prefix caching on full blocks.
 *
 * A slot is *free*, *active* (held by ≥ 1 running request) or *inactive* (unheld but still cached under its
 * block id, reusable by a later prefix match until evicted). Inactive slots sit in an LRU list; eviction takes
 * the least recently released one. Requests release their blocks tail first, and any request that holds a
 * block also holds its parent, so a parent is always released after its children: LRU order is therefore
 * leaf-first order (the reference's default `Lineage` eviction), with no tree to maintain.
 *
 * Per-slot state is typed arrays indexed by slot; the block id → slot index is a hash map sized to the pool
 * (not to the workload), so every operation is O(1) expected.
 *
 * @module
 */
import { IntMap } from "../common/int_map.ts";

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
  /** Holders per slot (0 = free or inactive). */
  readonly #ref: Int32Array;
  /** Block id cached in each slot, or −1 (free or private). */
  readonly #idOf: Int32Array;
  /** Slot caching each block id (only cached ids have an entry). */
  readonly #slotOf: IntMap;
  readonly #prev: Int32Array;
  readonly #next: Int32Array;
  #lruHead = -1;
  #lruTail = -1;
  readonly #free: Int32Array;
  #freeCount: number;
  #active = 0;
  #inactive = 0;
  /** Active slots not registered under a block id (partial prompt blocks, output blocks). */
  #privateActive = 0;
  #evictions = 0;
  /** Private slots taken by {@link KvPool.reserve} (interchangeable: given back last in, first out). */
  readonly #reserved: Int32Array;
  #reservedCount = 0;

  /**
   * Bytes a pool of `capacity` blocks allocates: six Int32 arrays, and with prefix caching its block index.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { KvPool } from "./kv_pool.ts";
   * assert.equal(KvPool.bytes(1000, false), 24_000 + 128); // the arrays, and an empty block index
   * ```
   */
  static bytes(capacity: number, prefixCaching: boolean): number {
    return 24 * capacity + IntMap.bytes(prefixCaching ? capacity : 0); // as the constructor sizes them
  }

  /**
   * @param capacity Blocks in the pool.
   */
  constructor(capacity: number, prefixCaching: boolean) {
    this.capacity = capacity;
    this.prefixCaching = prefixCaching;
    this.#ref = new Int32Array(capacity);
    this.#idOf = new Int32Array(capacity).fill(-1);
    this.#slotOf = new IntMap(prefixCaching ? capacity : 0);
    this.#prev = new Int32Array(capacity).fill(-1);
    this.#next = new Int32Array(capacity).fill(-1);
    this.#free = new Int32Array(capacity);
    this.#reserved = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.#free[i] = capacity - 1 - i;
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

  /** Slot caching block `id`, or −1. */
  cachedSlot(id: number): number {
    return this.prefixCaching ? this.#slotOf.get(id) : -1;
  }

  /** Whether `slot` is a private block (registered for no reuse). */
  isPrivate(slot: number): boolean {
    return this.#idOf[slot] < 0;
  }

  /** Whether `slot` is held by a running request. */
  isActive(slot: number): boolean {
    return this.#ref[slot] > 0;
  }

  /**
   * How many of `blocks[from … to)` are cached, counting from `from` and stopping at the first miss.
   * `activeOut[0]` receives how many of those are active.
   */
  matchPrefix(blocks: Int32Array, from: number, to: number, activeOut: Int32Array): number {
    activeOut[0] = 0;
    if (!this.prefixCaching) return 0;
    const slotOf = this.#slotOf, ref = this.#ref;
    let n = 0, active = 0;
    for (let i = from; i < to; i++) {
      const slot = slotOf.get(blocks[i]);
      if (slot < 0) break;
      if (ref[slot] > 0) active++;
      n++;
    }
    activeOut[0] = active;
    return n;
  }

  /** Take a reference on the cached block `id` (which must be cached), reviving it if inactive. */
  acquire(id: number): number {
    const slot = this.#slotOf.get(id);
    if (this.#ref[slot] === 0) {
      this.#unlink(slot);
      this.#inactive--;
      this.#active++;
    }
    this.#ref[slot]++;
    return slot;
  }

  /**
   * A new slot for block `id` (registered for reuse when `id ≥ 0` and prefix caching is on) or a private
   * slot (`id = −1`). Evicts the least recently released inactive block if no slot is free. Returns −1 when
   * every slot is active.
   */
  allocate(id: number): number {
    let slot: number;
    if (this.#freeCount > 0) {
      slot = this.#free[--this.#freeCount];
    } else if (this.#lruHead >= 0) {
      slot = this.#lruHead;
      this.#unlink(slot);
      this.#inactive--;
      this.#slotOf.delete(this.#idOf[slot]);
      this.#evictions++;
    } else {
      return -1;
    }
    this.#ref[slot] = 1;
    this.#active++;
    if (id >= 0 && this.prefixCaching) {
      this.#idOf[slot] = id;
      this.#slotOf.set(id, slot);
    } else {
      this.#idOf[slot] = -1;
      this.#privateActive++;
    }
    return slot;
  }

  /**
   * Register a private slot as caching block `id` (a prompt block that just became full), or, if `id` is
   * already cached elsewhere, fold into that slot. Returns the slot now holding the caller's reference.
   */
  promote(slot: number, id: number): number {
    if (!this.prefixCaching) return slot;
    if (this.#slotOf.get(id) >= 0) {
      this.release(slot);
      return this.acquire(id);
    }
    this.#idOf[slot] = id;
    this.#slotOf.set(id, slot);
    this.#privateActive--;
    return slot;
  }

  /** Drop one reference; an unheld cached block becomes inactive (most recently used), a private one free. */
  release(slot: number): void {
    const left = --this.#ref[slot];
    if (left > 0) return;
    if (left < 0) throw new Error(`kv pool: slot ${slot} released more often than acquired (bug)`);
    this.#active--;
    if (this.#idOf[slot] >= 0) {
      this.#inactive++;
      this.#append(slot);
    } else {
      this.#privateActive--;
      this.#free[this.#freeCount++] = slot;
    }
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
    for (let i = 0; i < n; i++) this.#reserved[this.#reservedCount++] = this.allocate(-1);
    return true;
  }

  /** Give back `n` slots taken by {@link KvPool.reserve}. */
  unreserve(n: number): void {
    if (n > this.#reservedCount) throw new Error("kv pool: more state slots given back than taken (bug)");
    for (let i = 0; i < n; i++) this.release(this.#reserved[--this.#reservedCount]);
  }

  /** Slots that can be allocated right now without preemption (free + evictable). */
  get available(): number {
    return this.capacity - this.#active;
  }

  #append(slot: number): void {
    this.#prev[slot] = this.#lruTail;
    this.#next[slot] = -1;
    if (this.#lruTail >= 0) this.#next[this.#lruTail] = slot;
    else this.#lruHead = slot;
    this.#lruTail = slot;
  }

  #unlink(slot: number): void {
    const p = this.#prev[slot], n = this.#next[slot];
    if (p >= 0) this.#next[p] = n;
    else this.#lruHead = n;
    if (n >= 0) this.#prev[n] = p;
    else this.#lruTail = p;
  }
}
