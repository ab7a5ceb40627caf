/**
 * Counts on non-negative int32 keys, kept as sorted, disjoint runs of consecutive keys that share one count.
 *
 * Made for sets of prompt blocks, whose ids come in long runs of consecutive ids (a Mooncake hash block is 512
 * of them at page size 1): adding or removing a run of keys costs a binary search and one move of the runs
 * after it, however long the run, instead of one map update per key. Adjacent runs with the same count merge.
 *
 * @module
 */

/** A run's words: lowest key, one past its highest key, count (≥ 1). */
const LO = 0, HI = 1, COUNT = 2, WORDS = 3;

/**
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RunCounts } from "./run_counts.ts";
 * const c = new RunCounts();
 * assert.equal(c.add(10, 5, 1), 5); // keys 10…14 reach 1
 * assert.equal(c.add(12, 5, 1), 2); // 15, 16 reach 1; 12…14 are at 2
 * assert.equal(c.get(13), 2);
 * assert.equal(c.leading(Int32Array.of(11, 12, 13, 17), 0, 4), 3);
 * assert.equal(c.add(10, 5, -1), 2); // 10, 11 reach 0
 * assert.equal(c.add(12, 5, -1), 5);
 * assert.equal(c.runs, 0);
 * ```
 */
export class RunCounts {
  /** The runs by lowest key, `WORDS` to a run. */
  #runs = new Int32Array(16 * WORDS);
  #n = 0;
  /** The runs replacing a range of them in {@link RunCounts.add}. */
  #out = new Int32Array(16 * WORDS);
  #outN = 0;

  /** Number of runs. */
  get runs(): number {
    return this.#n;
  }

  /** The count of `key` (0 when absent). */
  get(key: number): number {
    const i = this.#search(key);
    return i < this.#n && this.#runs[i * WORDS + LO] <= key ? this.#runs[i * WORDS + COUNT] : 0;
  }

  /**
   * Add `delta` (1 or −1) to the count of each key of `[start, start + len)`. Returns how many of them reached
   * 1 (`delta` 1) or 0 (`delta` −1). A count may not fall below 0.
   */
  add(start: number, len: number, delta: 1 | -1): number {
    if (len <= 0) return 0;
    const end = start + len, runs = this.#runs, n = this.#n;
    const i = this.#search(start);
    let j = i;
    while (j < n && runs[j * WORDS + LO] < end) j++;
    // Rebuild runs [from, to): those that overlap the keys, and a neighbour on each side to merge with.
    const from = i > 0 ? i - 1 : i, to = j < n ? j + 1 : j;
    this.#outN = 0;
    for (let k = from; k < i; k++) {
      this.#push(runs[k * WORDS + LO], runs[k * WORDS + HI], runs[k * WORDS + COUNT]);
    }
    let crossed = 0, pos = start;
    for (let k = i; k < j; k++) {
      const lo = runs[k * WORDS + LO], hi = runs[k * WORDS + HI], count = runs[k * WORDS + COUNT];
      if (lo < start) this.#push(lo, start, count);
      const a = Math.max(lo, start), b = Math.min(hi, end);
      if (a > pos) crossed += this.#gap(pos, a, delta);
      const c = count + delta;
      if (c > 0) this.#push(a, b, c);
      else if (c === 0) crossed += b - a;
      else throw new Error("run counts: a count fell below 0 (bug)");
      if (hi > end) this.#push(end, hi, count);
      pos = b;
    }
    if (pos < end) crossed += this.#gap(pos, end, delta);
    for (let k = j; k < to; k++) {
      this.#push(runs[k * WORDS + LO], runs[k * WORDS + HI], runs[k * WORDS + COUNT]);
    }
    this.#splice(from, to);
    return crossed;
  }

  /**
   * How many of `keys[from … to)` have a count, counting from `from` and stopping at the first that has none.
   */
  leading(keys: Int32Array, from: number, to: number): number {
    const runs = this.#runs, n = this.#n;
    let i = from;
    while (i < to) {
      const key = keys[i], k = this.#search(key);
      if (k >= n || runs[k * WORDS + LO] > key) break;
      const hi = runs[k * WORDS + HI];
      let next = key + 1;
      i++;
      while (i < to && next < hi && keys[i] === next) {
        i++;
        next++;
      }
    }
    return i - from;
  }

  /** Keys `[a, b)` not counted yet: they start at 1 (adding), or are a bug (removing). */
  #gap(a: number, b: number, delta: number): number {
    if (delta < 0) throw new Error("run counts: a count fell below 0 (bug)");
    this.#push(a, b, 1);
    return b - a;
  }

  /** Append `[lo, hi)` at `count` to the replacement runs, merging it into the last one when they continue. */
  #push(lo: number, hi: number, count: number): void {
    if (lo >= hi) return;
    let out = this.#out;
    const m = this.#outN;
    if (m > 0 && out[(m - 1) * WORDS + HI] === lo && out[(m - 1) * WORDS + COUNT] === count) {
      out[(m - 1) * WORDS + HI] = hi;
      return;
    }
    if ((m + 1) * WORDS > out.length) {
      out = new Int32Array(out.length * 2);
      out.set(this.#out);
      this.#out = out;
    }
    out[m * WORDS + LO] = lo;
    out[m * WORDS + HI] = hi;
    out[m * WORDS + COUNT] = count;
    this.#outN = m + 1;
  }

  /** Replace runs `[from, to)` by the replacement runs. */
  #splice(from: number, to: number): void {
    const m = this.#outN, n = this.#n + m - (to - from);
    if (n * WORDS > this.#runs.length) {
      const grown = new Int32Array(Math.max(n * WORDS, this.#runs.length * 2));
      grown.set(this.#runs.subarray(0, this.#n * WORDS));
      this.#runs = grown;
    }
    const runs = this.#runs;
    if (m !== to - from) runs.copyWithin((from + m) * WORDS, to * WORDS, this.#n * WORDS);
    runs.set(this.#out.subarray(0, m * WORDS), from * WORDS);
    this.#n = n;
  }

  /** The first run that ends after `key` (`#n` when none). */
  #search(key: number): number {
    const runs = this.#runs;
    let a = 0, b = this.#n;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (runs[m * WORDS + HI] <= key) a = m + 1;
      else b = m;
    }
    return a;
  }
}
