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
 * import { summarize } from "./stats.ts";
 * const d = summarize(Float64Array.of(4, 1, 3, 2), 4);
 * console.assert(d.mean === 2.5 && d.median === 3 && d.p99 === 4 && Math.abs(d.std - 1.118) < 1e-3);
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
 * import { summarize, summarizeWeighted } from "./stats.ts";
 * const w = summarizeWeighted(Float64Array.of(5, 1), Float64Array.of(2, 3), 2);
 * const e = summarize(Float64Array.of(5, 5, 1, 1, 1));
 * console.assert(w.mean === e.mean && w.p90 === e.p90 && w.median === e.median && w.std === e.std);
 * ```
 */
export function summarizeWeighted(values: Float64Array, weights: Float64Array, n: number): Distribution {
  let total = 0, sum = 0;
  for (let i = 0; i < n; i++) {
    total += weights[i];
    sum += values[i] * weights[i];
  }
  if (total === 0) return EMPTY;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => values[a] - values[b]);
  const mean = sum / total;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += weights[i] * (values[i] - mean) * (values[i] - mean);
  const ranks = [50, 75, 90, 95, 99].map((p) => Math.round((total - 1) * p / 100));
  const found = new Float64Array(ranks.length);
  let cumulative = 0, k = 0;
  for (let j = 0; j < n && k < ranks.length; j++) {
    const i = order[j];
    cumulative += weights[i];
    while (k < ranks.length && ranks[k] < cumulative) found[k++] = values[i];
  }
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < n; i++) {
    if (weights[i] <= 0) continue;
    if (values[i] < min) min = values[i];
    if (values[i] > max) max = values[i];
  }
  return {
    count: total,
    mean,
    min,
    max,
    median: found[0],
    p75: found[1],
    p90: found[2],
    p95: found[3],
    p99: found[4],
    std: Math.sqrt(sq / total),
  };
}
