/**
 * A map from non-negative int32 keys to non-negative int32 values, laid out for runs of consecutive keys.
 *
 * Keys are grouped in chunks of 32 consecutive keys (`key >> 5`); a chunk's values sit side by side in one
 * typed array, and an open-addressing table maps chunk keys to chunks. The chunk last looked up is remembered, so
 * a walk over consecutive keys (a prompt's interned block ids: 32 to a Mooncake trace block at 16-token pages,
 * one per token at page size 1) costs one table probe per 32 keys and touches memory in order. Its size
 * follows the number of entries, not the key range, so an engine's cache index costs memory in proportion to
 * its KV capacity rather than to the workload's distinct blocks.
 *
 * @module
 */

const BITS = 5;
const WIDTH = 1 << BITS;
const LOW = WIDTH - 1;

/**
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IntMap } from "./int_map.ts";
 * const m = new IntMap(4);
 * m.set(7, 70);
 * m.set(1_000_000, 1);
 * m.delete(7);
 * assert.equal(m.get(7), -1);
 * assert.equal(m.get(1_000_000), 1);
 * assert.equal(m.size, 1);
 * ```
 */
export class IntMap {
  /**
   * Bytes a map made for `expected` entries allocates: chunks for `expected` keys in runs, and their table.
   * Scattered keys grow it, up to 33 words an entry for keys one to a chunk; on the shipped traces the engines'
   * and the router's maps hold 1.0–1.2 words of chunks an entry.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { IntMap } from "./int_map.ts";
   * assert.equal(IntMap.bytes(100), 4 * 33 * 4 + 16 * 8); // 4 chunks of 32 values and a count, 16 table slots
   * ```
   */
  static bytes(expected: number): number {
    const chunks = chunksFor(expected);
    return chunks * (WIDTH + 1) * 4 + ChunkTable.bytes(chunks);
  }

  /** Values by chunk, `WIDTH` to a chunk; −1 where absent. */
  #cells: Int32Array;
  /** Entries per chunk. */
  #counts: Int32Array;
  /** Chunks given back, reused first. */
  #spare: number[] = [];
  #chunks = 0;
  readonly #table: ChunkTable;
  #size = 0;
  /**
   * The two chunk keys last looked up, most recent first, and their chunks (−1: none). Two, because an engine
   * interleaves two walks: registering a prompt's blocks while evicting the least recently used ones.
   */
  #memoKey = -1;
  #memoChunk = -1;
  #memoKey2 = -1;
  #memoChunk2 = -1;

  /** @param expected Entries expected at most, in runs of consecutive keys; more, or scattered keys, grow it. */
  constructor(expected = 16) {
    const chunks = chunksFor(expected);
    this.#cells = new Int32Array(chunks * WIDTH).fill(-1);
    this.#counts = new Int32Array(chunks);
    this.#table = new ChunkTable(chunks);
  }

  /** Number of entries. */
  get size(): number {
    return this.#size;
  }

  /** The value of `key`, or −1 when absent. */
  get(key: number): number {
    const c = this.#chunk(key >>> BITS);
    return c < 0 ? -1 : this.#cells[(c << BITS) | (key & LOW)];
  }

  /** Set `key` to `value` (≥ 0). */
  set(key: number, value: number): void {
    const ck = key >>> BITS;
    let c = this.#chunk(ck);
    if (c < 0) c = this.#open(ck);
    const at = (c << BITS) | (key & LOW);
    if (this.#cells[at] < 0) {
      this.#counts[c]++;
      this.#size++;
    }
    this.#cells[at] = value;
  }

  /** Add `delta` to the value of `key` (absent counts as 0) and return the new value; a result of 0 removes it. */
  add(key: number, delta: number): number {
    const v = this.get(key);
    const next = (v < 0 ? 0 : v) + delta;
    if (next === 0) this.delete(key);
    else this.set(key, next);
    return next;
  }

  /**
   * Index in {@link IntMap.cells} of `key`'s value when the chunk of `key` exists (the value there is −1 when
   * `key` is absent), else −1. A present key's value may be rewritten there (to a value ≥ 0).
   */
  cell(key: number): number {
    const c = this.#chunk(key >>> BITS);
    return c < 0 ? -1 : (c << BITS) | (key & LOW);
  }

  /** The values behind {@link IntMap.cell} (replaced when the map grows: read it after any insertion). */
  get cells(): Int32Array {
    return this.#cells;
  }

  /** How many of the keys `[key, key + n)` are absent, counting from `key` and stopping at the first present. */
  absentRun(key: number, n: number): number {
    const end = key + n;
    let k = key;
    while (k < end) {
      const ck = k >>> BITS, c = this.#chunk(ck), stop = Math.min(end, (ck + 1) * WIDTH);
      if (c >= 0) {
        const cells = this.#cells, base = (c << BITS) - ck * WIDTH;
        while (k < stop && cells[base + k] < 0) k++;
        if (k < stop) break;
      } else k = stop;
    }
    return k - key;
  }

  /** Set each of the keys `[key, key + n)`, all absent, to `value` (≥ 0). */
  fillAbsent(key: number, n: number, value: number): void {
    const end = key + n;
    for (let k = key; k < end;) {
      const ck = k >>> BITS, stop = Math.min(end, (ck + 1) * WIDTH);
      let c = this.#chunk(ck);
      if (c < 0) c = this.#open(ck);
      const at = (c << BITS) | (k & LOW);
      this.#cells.fill(value, at, at + stop - k);
      this.#counts[c] += stop - k;
      this.#size += stop - k;
      k = stop;
    }
  }

  /** Remove the keys `[key, key + n)`, all present. */
  deleteRun(key: number, n: number): void {
    const end = key + n;
    for (let k = key; k < end;) {
      const ck = k >>> BITS, stop = Math.min(end, (ck + 1) * WIDTH), c = this.#chunk(ck);
      const at = (c << BITS) | (k & LOW);
      this.#cells.fill(-1, at, at + stop - k);
      this.#size -= stop - k;
      if ((this.#counts[c] -= stop - k) === 0) {
        this.#table.delete(ck);
        this.#spare.push(c);
        this.#memoChunk = -1; // `#chunk` has just put `ck` first in the memo: it is absent now
      }
      k = stop;
    }
  }

  /** Remove `key` if present. */
  delete(key: number): void {
    const ck = key >>> BITS, c = this.#chunk(ck);
    if (c < 0) return;
    const at = (c << BITS) | (key & LOW);
    if (this.#cells[at] < 0) return;
    this.#cells[at] = -1;
    this.#size--;
    if (--this.#counts[c] > 0) return;
    this.#table.delete(ck);
    this.#spare.push(c);
    this.#memoChunk = -1; // `#chunk` has just put `ck` first in the memo: it is absent now
  }

  /** The chunk of chunk key `ck`, or −1. */
  #chunk(ck: number): number {
    if (ck === this.#memoKey) return this.#memoChunk;
    const c = ck === this.#memoKey2 ? this.#memoChunk2 : this.#table.get(ck);
    this.#memoKey2 = this.#memoKey;
    this.#memoChunk2 = this.#memoChunk;
    this.#memoKey = ck;
    this.#memoChunk = c;
    return c;
  }

  /** A chunk for chunk key `ck` (absent): a spare one, or a new one. */
  #open(ck: number): number {
    let c = this.#spare.pop();
    if (c === undefined) {
      c = this.#chunks++;
      if (c === this.#counts.length) this.#grow();
    }
    this.#table.set(ck, c);
    this.#memoChunk = c; // `#chunk` has just put `ck` first in the memo
    return c;
  }

  #grow(): void {
    const cells = new Int32Array(this.#cells.length * 2).fill(-1);
    cells.set(this.#cells);
    this.#cells = cells;
    const counts = new Int32Array(this.#counts.length * 2);
    counts.set(this.#counts);
    this.#counts = counts;
  }
}

/** Chunks for `expected` entries in runs: one per `WIDTH` entries, at least 1. */
function chunksFor(expected: number): number {
  return Math.max(1, Math.ceil(expected / WIDTH));
}

/**
 * Chunk key → chunk: open addressing with linear probing and backward-shift deletion, key and value of a slot
 * side by side so a probe reads one cache line.
 */
class ChunkTable {
  /** Bytes a table for `expected` entries allocates. */
  static bytes(expected: number): number {
    return slotsFor(expected) * 8;
  }

  /** Slot i: key at 2i (−1 when empty), value at 2i + 1. */
  #slots: Int32Array;
  #mask: number;
  /** Fibonacci hashing: the top bits of `key · 2^32/φ` index the table. */
  #shift: number;
  #size = 0;

  constructor(expected: number) {
    const n = slotsFor(expected);
    this.#slots = new Int32Array(2 * n).fill(-1);
    this.#mask = n - 1;
    this.#shift = 32 - Math.log2(n) + GROUP_BITS;
  }

  get(key: number): number {
    const slots = this.#slots, mask = this.#mask;
    for (let i = this.#home(key);; i = (i + 1) & mask) {
      const k = slots[2 * i];
      if (k === key) return slots[2 * i + 1];
      if (k < 0) return -1;
    }
  }

  /** Insert `key` (absent) with `value`. */
  set(key: number, value: number): void {
    if ((this.#size + 1) * 2 > this.#mask + 1) this.#grow();
    const slots = this.#slots, mask = this.#mask;
    let i = this.#home(key);
    while (slots[2 * i] >= 0) i = (i + 1) & mask;
    slots[2 * i] = key;
    slots[2 * i + 1] = value;
    this.#size++;
  }

  /** Remove `key` (present). */
  delete(key: number): void {
    const slots = this.#slots, mask = this.#mask;
    let i = this.#home(key);
    while (slots[2 * i] !== key) i = (i + 1) & mask;
    // Backward shift: pull later entries of the probe run into the hole unless they sit at or after their home.
    for (let j = (i + 1) & mask;; j = (j + 1) & mask) {
      const k = slots[2 * j];
      if (k < 0) break;
      const home = this.#home(k);
      if (((j - home) & mask) >= ((j - i) & mask)) {
        slots[2 * i] = k;
        slots[2 * i + 1] = slots[2 * j + 1];
        i = j;
      }
    }
    slots[2 * i] = -1;
    this.#size--;
  }

  /**
   * The slot a key hashes to: eight consecutive keys (a run of chunks) share a hash and sit side by side, so a
   * walk over consecutive keys reads one cache line of the table per eight of them.
   */
  #home(key: number): number {
    return (Math.imul(key >>> GROUP_BITS, 0x9e3779b1) >>> this.#shift << GROUP_BITS) | (key & GROUP_LOW);
  }

  #grow(): void {
    const old = this.#slots;
    const n = 2 * (this.#mask + 1);
    this.#slots = new Int32Array(2 * n).fill(-1);
    this.#mask = n - 1;
    this.#shift = 32 - Math.log2(n) + GROUP_BITS;
    this.#size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] >= 0) this.set(old[i], old[i + 1]);
  }
}

/** Consecutive chunk keys that hash alike (slots of 8 bytes: eight to a 64-byte line). */
const GROUP_BITS = 3;
const GROUP_LOW = (1 << GROUP_BITS) - 1;

/** Table slots for `expected` entries: twice that, rounded up to a power of 2, at least 16. */
function slotsFor(expected: number): number {
  return Math.max(16, 2 ** Math.ceil(Math.log2(Math.max(1, expected * 2))));
}
