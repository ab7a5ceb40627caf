/**
 * Exact summary statistics with the reference's conventions: population standard deviation and nearest-rank
 * percentiles with rounding, `rank = round((n − 1) · p / 100)` on the sorted values.
 *
 * @module
 */

/** Summary of a distribution. All zeros when empty (as the reference). */
export interface Distribution {
  readonly count: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly median: number;
  readonly p75: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly std: number;
}

const EMPTY: Distribution = {
  count: 0,
  mean: 0,
  min: 0,
  max: 0,
  median: 0,
  p75: 0,
  p90: 0,
  p95: 0,
  p99: 0,
  std: 0,
};

/**
 * Summarise `values[0 … n)` (the array is sorted in place).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarize } from "./stats.ts";
 * const d = summarize(Float64Array.of(4, 1, 3, 2), 4);
 * assert(d.mean === 2.5 && d.median === 3 && d.p99 === 4 && Math.abs(d.std - 1.118) < 1e-3);
 * ```
 */
export function summarize(values: Float64Array, n: number = values.length): Distribution {
  if (n === 0) return EMPTY;
  const v = values.subarray(0, n).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += v[i];
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (v[i] - mean) * (v[i] - mean);
  const at = (p: number) => v[Math.round((n - 1) * p / 100)];
  return {
    count: n,
    mean,
    min: v[0],
    max: v[n - 1],
    median: at(50),
    p75: at(75),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    std: Math.sqrt(sq / n),
  };
}

/**
 * Summarise a distribution given as (value, weight) pairs: `weights[i]` copies of `values[i]` (positive
 * integers). Exactly the statistics of the expanded list, without expanding it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarize, summarizeWeighted } from "./stats.ts";
 * const w = summarizeWeighted(Float64Array.of(5, 1), Float64Array.of(2, 3), 2);
 * const e = summarize(Float64Array.of(5, 5, 1, 1, 1));
 * assert(w.mean === e.mean && w.p90 === e.p90 && w.median === e.median && w.std === e.std);
 * ```
 */
export function summarizeWeighted(values: Float64Array, weights: Float64Array, n: number): Distribution {
  const order = sortedOrder(values, n);
  const sortedValues = new Float64Array(n), sortedWeights = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    sortedValues[j] = values[order[j]];
    sortedWeights[j] = weights[order[j]];
  }
  return summarizeSorted(sortedValues, sortedWeights, n);
}

/**
 * {@link summarizeWeighted} for pairs already in ascending value order (no sort).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarizeSorted } from "./stats.ts";
 * const d = summarizeSorted(Float64Array.of(1, 5), Float64Array.of(3, 2), 2);
 * assert(d.median === 1 && d.p90 === 5 && d.count === 5);
 * ```
 */
export function summarizeSorted(values: Float64Array, weights: Float64Array, n: number): Distribution {
  let total = 0, sum = 0;
  for (let i = 0; i < n; i++) {
    total += weights[i];
    sum += values[i] * weights[i];
  }
  if (total === 0) return EMPTY;
  const mean = sum / total;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += weights[i] * (values[i] - mean) * (values[i] - mean);
  const ranks = [50, 75, 90, 95, 99].map((p) => Math.round((total - 1) * p / 100));
  const found = new Float64Array(ranks.length);
  let cumulative = 0, k = 0, first = -1, last = -1;
  for (let i = 0; i < n; i++) {
    if (weights[i] <= 0) continue;
    if (first < 0) first = i;
    last = i;
    cumulative += weights[i];
    while (k < ranks.length && ranks[k] < cumulative) found[k++] = values[i];
  }
  return {
    count: total,
    mean,
    min: values[first],
    max: values[last],
    median: found[0],
    p75: found[1],
    p90: found[2],
    p95: found[3],
    p99: found[4],
    std: Math.sqrt(sq / total),
  };
}

/**
 * Indices of `values[0 … n)` in ascending value order (stable), by an LSD radix sort over the IEEE-754 bit
 * patterns (16-bit digits, 4 passes): exact, and several times faster than a comparator sort.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sortedOrder } from "./stats.ts";
 * assert(sortedOrder(Float64Array.of(2.5, -1, 0, 1e9, -0.5), 5).join() === "1,4,2,0,3");
 * ```
 */
export function sortedOrder(values: Float64Array, n: number): Uint32Array {
  // Map each double to two unsigned words whose (hi, lo) order is the numeric order: flip every bit of a
  // negative number, only the sign bit of a positive one.
  const words = new Uint32Array(new Float64Array(values.subarray(0, n)).buffer);
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1];
    if (hi >>> 31) {
      words[2 * i + 1] = ~hi >>> 0;
      words[2 * i] = ~words[2 * i] >>> 0;
    } else {
      words[2 * i + 1] = (hi | 0x80000000) >>> 0;
    }
  }
  let order = new Uint32Array(n), next = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const counts = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass >> 1, shift = (pass & 1) * 16;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(words[2 * order[i] + word] >>> shift) & 0xffff]++;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const idx = order[i];
      next[counts[(words[2 * idx + word] >>> shift) & 0xffff]++] = idx;
    }
    [order, next] = [next, order];
  }
  return order;
}
