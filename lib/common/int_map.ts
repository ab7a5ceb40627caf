/**
 * A map from non-negative int32 keys to int32 values: open addressing with linear probing and backward-shift
 * deletion over two typed arrays. Its size follows the number of entries, not the key range, so an engine's
 * cache index costs memory in proportion to its KV capacity rather than to the workload's distinct blocks.
 *
 * @module
 */

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
   * Bytes a map made for `expected` entries allocates.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { IntMap } from "./int_map.ts";
   * assert.equal(IntMap.bytes(100), 256 * 8);
   * ```
   */
  static bytes(expected: number): number {
    return tableSize(expected) * 8;
  }

  #keys: Int32Array;
  #values: Int32Array;
  #mask: number;
  /** Fibonacci hashing: the top bits of `key · 2^32/φ` index the table. */
  #shift: number;
  #size = 0;

  /** @param expected Entries expected at most; the table starts at twice that (rounded to a power of 2). */
  constructor(expected = 16) {
    const cap = tableSize(expected);
    this.#keys = new Int32Array(cap).fill(-1);
    this.#values = new Int32Array(cap);
    this.#mask = cap - 1;
    this.#shift = 32 - Math.log2(cap);
  }

  /** Number of entries. */
  get size(): number {
    return this.#size;
  }

  /** The value of `key`, or −1 when absent. */
  get(key: number): number {
    const keys = this.#keys, mask = this.#mask;
    for (let i = Math.imul(key, 0x9e3779b1) >>> this.#shift;; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === key) return this.#values[i];
      if (k < 0) return -1;
    }
  }

  /** Set `key` to `value`. */
  set(key: number, value: number): void {
    if ((this.#size + 1) * 2 > this.#keys.length) this.#grow();
    const keys = this.#keys, mask = this.#mask;
    for (let i = Math.imul(key, 0x9e3779b1) >>> this.#shift;; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === key) {
        this.#values[i] = value;
        return;
      }
      if (k < 0) {
        keys[i] = key;
        this.#values[i] = value;
        this.#size++;
        return;
      }
    }
  }

  /** Add `delta` to the value of `key` (absent counts as 0) and return the new value; a result of 0 removes it. */
  add(key: number, delta: number): number {
    const v = this.get(key);
    const next = (v < 0 ? 0 : v) + delta;
    if (next === 0) this.delete(key);
    else this.set(key, next);
    return next;
  }

  /** Remove `key` if present. */
  delete(key: number): void {
    const keys = this.#keys, values = this.#values, mask = this.#mask;
    let i = Math.imul(key, 0x9e3779b1) >>> this.#shift;
    for (;; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === key) break;
      if (k < 0) return;
    }
    // Backward shift: pull later entries of the probe run into the hole unless they sit at or after their home.
    for (let j = (i + 1) & mask;; j = (j + 1) & mask) {
      const k = keys[j];
      if (k < 0) break;
      const home = Math.imul(k, 0x9e3779b1) >>> this.#shift;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        keys[i] = k;
        values[i] = values[j];
        i = j;
      }
    }
    keys[i] = -1;
    this.#size--;
  }

  #grow(): void {
    const oldKeys = this.#keys, oldValues = this.#values;
    const cap = oldKeys.length * 2;
    this.#keys = new Int32Array(cap).fill(-1);
    this.#values = new Int32Array(cap);
    this.#mask = cap - 1;
    this.#shift = 32 - Math.log2(cap);
    this.#size = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] >= 0) this.set(oldKeys[i], oldValues[i]);
  }
}

/** Table slots for `expected` entries: twice that, rounded up to a power of 2, at least 16. */
function tableSize(expected: number): number {
  return Math.max(16, 2 ** Math.ceil(Math.log2(Math.max(1, expected * 2))));
}
