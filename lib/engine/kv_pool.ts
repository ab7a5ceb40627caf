/**
 * The paged KV-cache pool of one engine rank, with prefix caching on full blocks.
 *
 * A slot is *free*, *active* (held by ≥ 1 running request) or *inactive* (unheld but still cached under its
 * block id, reusable by a later prefix match until evicted). Inactive slots sit in an LRU list; eviction takes
 * the least recently released one. Requests release their blocks tail first, and any request that holds a
 * block also holds its parent, so a parent is always released after its children: LRU order is therefore
 * leaf-first order (the reference's default `Lineage` eviction), with no tree to maintain.
 *
 * A slot's state is four adjacent words of one typed array (slots are visited in no order, so a slot's
 * state costs one cache line); the block id → slot index is a map sized to the pool (not to the workload) and
 * laid out for runs of consecutive ids, so every operation is O(1) expected.
 *
 * @module
 */
import { IntMap } from "../common/int_map.ts";

/** A slot's fields in `KvPool`'s state array: holders, block id, LRU links. */
const REF = 0, ID = 1, PREV = 2, NEXT = 3, FIELDS = 4;

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
  /**
   * Per slot, side by side (one cache line for a slot's whole state, whose slots are scattered): holders
   * (`REF`, 0 = free or inactive), the block id cached (`ID`, −1 = free or private), and the LRU links.
   */
  #state: Int32Array;
  /** Slot caching each block id (only cached ids have an entry). */
  #slotOf: IntMap;
  #lruHead = -1;
  #lruTail = -1;
  #free: Int32Array;
  #freeCount: number;
  #active = 0;
  #inactive = 0;
  /** Active slots not registered under a block id (partial prompt blocks, output blocks). */
  #privateActive = 0;
  #evictions = 0;
  /** Private slots taken by {@link KvPool.reserve} (interchangeable: given back last in, first out). */
  #reserved: Int32Array;
  #reservedCount = 0;

  /**
   * Bytes a pool of `capacity` blocks allocates: six Int32 words a slot, and with prefix caching its block index.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { KvPool } from "./kv_pool.ts";
   * assert.equal(KvPool.bytes(1000, false), 24_000 + 260); // the arrays, and an empty block index
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
    this.#state = new Int32Array(capacity * FIELDS).fill(-1);
    for (let i = 0; i < capacity; i++) this.#state[i * FIELDS + REF] = 0;
    this.#slotOf = new IntMap(prefixCaching ? capacity : 0);
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
    return this.#state[slot * FIELDS + ID] < 0;
  }

  /** Whether `slot` is held by a running request. */
  isActive(slot: number): boolean {
    return this.#state[slot * FIELDS + REF] > 0;
  }

  /**
   * How many of `blocks[from … to)` are cached, counting from `from` and stopping at the first miss.
   * `activeOut[0]` receives how many of those are active.
   */
  matchPrefix(blocks: Int32Array, from: number, to: number, activeOut: Int32Array): number {
    activeOut[0] = 0;
    if (!this.prefixCaching) return 0;
    const slotOf = this.#slotOf, state = this.#state;
    let n = 0, active = 0;
    for (let i = from; i < to; i++) {
      const slot = slotOf.get(blocks[i]);
      if (slot < 0) break;
      if (state[slot * FIELDS + REF] > 0) active++;
      n++;
    }
    activeOut[0] = active;
    return n;
  }

  /** Take a reference on the cached block `id` (which must be cached), reviving it if inactive. */
  acquire(id: number): number {
    const slot = this.#slotOf.get(id);
    if (this.#state[slot * FIELDS + REF] === 0) {
      this.#unlink(slot);
      this.#inactive--;
      this.#active++;
    }
    this.#state[slot * FIELDS + REF]++;
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
      this.#slotOf.delete(this.#state[slot * FIELDS + ID]);
      this.#evictions++;
    } else {
      return -1;
    }
    this.#state[slot * FIELDS + REF] = 1;
    this.#active++;
    if (id >= 0 && this.prefixCaching) {
      this.#state[slot * FIELDS + ID] = id;
      this.#slotOf.set(id, slot);
    } else {
      this.#state[slot * FIELDS + ID] = -1;
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
    this.#state[slot * FIELDS + ID] = id;
    this.#slotOf.set(id, slot);
    this.#privateActive--;
    return slot;
  }

  /** Drop one reference; an unheld cached block becomes inactive (most recently used), a private one free. */
  release(slot: number): void {
    const left = --this.#state[slot * FIELDS + REF];
    if (left > 0) return;
    if (left < 0) throw new Error(`kv pool: slot ${slot} released more often than acquired (bug)`);
    this.#active--;
    if (this.#state[slot * FIELDS + ID] >= 0) {
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

  /**
   * Give back the memory of an idle pool whose rank has left the fleet: its block arrays and index go, its
   * counters stay (for reports). Nothing may allocate, acquire or release after this.
   */
  retire(): number {
    const bytes = KvPool.bytes(this.capacity, this.prefixCaching);
    this.#state = this.#free = this.#reserved = new Int32Array(0);
    this.#slotOf = new IntMap(0);
    return bytes - KvPool.bytes(0, this.prefixCaching);
  }

  #append(slot: number): void {
    const state = this.#state;
    state[slot * FIELDS + PREV] = this.#lruTail;
    state[slot * FIELDS + NEXT] = -1;
    if (this.#lruTail >= 0) state[this.#lruTail * FIELDS + NEXT] = slot;
    else this.#lruHead = slot;
    this.#lruTail = slot;
  }

  #unlink(slot: number): void {
    const state = this.#state, p = state[slot * FIELDS + PREV], n = state[slot * FIELDS + NEXT];
    if (p >= 0) state[p * FIELDS + NEXT] = n;
    else this.#lruHead = n;
    if (n >= 0) state[n * FIELDS + PREV] = p;
    else this.#lruTail = p;
  }
}
