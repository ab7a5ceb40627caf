/**
 * Reading a band of runs (a sweep over `around()`, say): the range a metric spans, whether one range lies above
 * another, how a sweep's trend survives the band, and paired comparisons of two variants run on the same inputs.
 *
 * @module
 */
import { InputError, suggest } from "../common/errors.ts";
import { formatCount } from "../common/format.ts";
import type { Row } from "./results.ts";
import type { Scalar } from "./types.ts";

/** Which rows count: each key is a column, each value the column's value or a list of accepted values. */
export type RowFilter = Readonly<Record<string, Scalar | readonly Scalar[]>>;

/**
 * The smallest and largest `key` over the `rows` that match `where` (every listed column equal to its value,
 * or to one of its values when given a list). Throws when no row matches or a matching row's `key` is not a
 * finite number, so a band with a missing run cannot pass for a narrow one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { extent } from "./band.ts";
 * const rows = [
 *   { variant: "agg", speedup: 0.99, ttftP90: 1520 },
 *   { variant: "agg", speedup: 1, ttftP90: 1610 },
 *   { variant: "agg", speedup: 1.01, ttftP90: 1740 },
 *   { variant: "disagg", speedup: 1, ttftP90: 1200 },
 * ];
 * assert.deepEqual(extent(rows, "ttftP90", { variant: "agg" }), [1520, 1740]);
 * assert.deepEqual(extent(rows, "ttftP90", { speedup: [0.99, 1] }), [1200, 1610]);
 * ```
 */
export function extent(rows: readonly Row[], key: string, where: RowFilter = {}): [min: number, max: number] {
  const matching = rows.filter((r) => matches(r, where));
  const context = { field: `extent(${JSON.stringify(key)}, ${JSON.stringify(where)})` };
  if (matching.length === 0) throw new InputError("no row matches", context);
  if (!matching.some((r) => key in r)) {
    const hint = suggest(key, Object.keys(matching[0]));
    throw new InputError(`no column "${key}"` + (hint ? ` (did you mean ${hint}?)` : ""), context);
  }
  let min = Infinity, max = -Infinity;
  for (const r of matching) {
    const v = r[key];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new InputError(`run ${r.run ?? "?"} has no finite value (${String(v)})`, context);
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/**
 * Where range `b` lies against range `a` (each `[min, max]`, as {@link extent} gives): `"above"` when all of
 * `b` exceeds all of `a`, `"below"` when all of it falls short, else `"overlaps"`: whether a comparison between
 * two bands of runs holds whatever run of each is taken.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareExtents } from "./band.ts";
 * assert.equal(compareExtents([721, 855], [2049, 2367]), "above");
 * assert.equal(compareExtents([118, 175], [47, 56]), "below");
 * assert.equal(compareExtents([4.87, 5.69], [4.68, 5.13]), "overlaps");
 * ```
 */
export function compareExtents(
  a: readonly [number, number],
  b: readonly [number, number],
): "above" | "below" | "overlaps" {
  return b[0] > a[1] ? "above" : b[1] < a[0] ? "below" : "overlaps";
}

/**
 * How `key` moves from each of `values` of column `by` to the next, over the rows matching `where`: the
 * {@link compareExtents} of each neighbouring pair's ranges (one fewer entry than `values`). A sweep with a band
 * at each of its points reads its trend this way: `"above"` at every step is a rise that holds whichever runs
 * are taken.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { extentSteps } from "./band.ts";
 * const rows = [0, 100, 200].flatMap((startupTime, i) =>
 *   [0.99, 1, 1.01].map((pace, j) => ({ startupTime, pace, ttftAvg: 1000 * (i + 1) + 10 * j, gpuHours: 5 - j }))
 * );
 * assert.deepEqual(extentSteps(rows, "ttftAvg", "startupTime", [0, 100, 200]), ["above", "above"]);
 * assert.deepEqual(extentSteps(rows, "gpuHours", "startupTime", [0, 200]), ["overlaps"]);
 * ```
 */
export function extentSteps(
  rows: readonly Row[],
  key: string,
  by: string,
  values: readonly Scalar[],
  where: RowFilter = {},
): Array<"above" | "below" | "overlaps"> {
  const spans = values.map((v) => extent(rows, key, { ...where, [by]: v }));
  return spans.slice(1).map((b, i) => compareExtents(spans[i], b));
}

/**
 * At how many of `values` of column `by` the row matching `a` has a lower `key` than the row matching `b`: a
 * paired comparison of two variants that saw the same inputs at each value (the same pace, say), which can
 * hold where their ranges over the band overlap. Exactly one row must match each side at each value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countLower } from "./band.ts";
 * const rows = [0.99, 1, 1.01].flatMap((pace, i) => [
 *   { variant: "fcfs", pace, ttftAvg: 2000 + 1000 * i },
 *   { variant: "wspt", pace, ttftAvg: 1500 + 1000 * i },
 * ]);
 * assert.equal(countLower(rows, "ttftAvg", "pace", [0.99, 1, 1.01], { variant: "wspt" }, { variant: "fcfs" }), 3);
 * ```
 */
export function countLower(
  rows: readonly Row[],
  key: string,
  by: string,
  values: readonly Scalar[],
  a: RowFilter,
  b: RowFilter,
): number {
  /** The one row's `key` where `where` and `by` = `value` hold (checked finite by {@link extent}). */
  const one = (where: RowFilter, value: Scalar) => {
    const filter = { ...where, [by]: value };
    const n = rows.filter((r) => matches(r, filter)).length;
    if (n !== 1) {
      throw new InputError(`${n} rows match; a paired comparison needs one`, {
        field: `countLower(${JSON.stringify(key)}, ${JSON.stringify(filter)})`,
      });
    }
    return extent(rows, key, filter)[0];
  };
  return values.filter((v) => one(a, v) < one(b, v)).length;
}

/** One column of an {@link extentTable}: the metric, its header and how a value prints. */
export interface ExtentColumn {
  readonly key: string;
  readonly label: string;
  readonly show: (v: number) => string;
}

/**
 * A Markdown table of ranges: one row per value of column `by` (headed `head`), one cell per metric, each the
 * `min–max` of the metric over the rows with that value. Numeric row labels print with thousands separators
 * and align right; others align left.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { extentTable } from "./band.ts";
 * const rows = [0, 100].flatMap((startupTime) =>
 *   [1, 2].map((seed) => ({ startupTime, seed, ttftAvg: 800 + 10 * startupTime + seed }))
 * );
 * const table = extentTable(rows, "startupTime", [0, 100], "start-up (s)", [
 *   { key: "ttftAvg", label: "mean TTFT (ms)", show: String },
 * ]);
 * assert.equal(table, "| start-up (s) | mean TTFT (ms) |\n|---:|---:|\n| 0 | 801–802 |\n| 100 | 1801–1802 |");
 * const paces = [0.99, 1].flatMap((pace) => [{ pace, seed: 1, ttftAvg: 900 * pace }]);
 * const byPace = extentTable(paces, "pace", [0.99, 1], "pace", [{ key: "ttftAvg", label: "TTFT", show: String }]);
 * assert(byPace.includes("| 0.99 | 891–891 |"));
 * ```
 */
export function extentTable(
  rows: readonly Row[],
  by: string,
  values: readonly Scalar[],
  head: string,
  columns: readonly ExtentColumn[],
): string {
  const numeric = values.every((v) => typeof v === "number");
  return [
    `| ${head} | ${columns.map((c) => c.label).join(" | ")} |`,
    `|${numeric ? "---:" : "---"}|${columns.map(() => "---:").join("|")}|`,
    ...values.map((value) =>
      `| ${numeric ? formatCount(value, 12) : String(value)} | ${
        columns.map(({ key, show }) => {
          const [lo, hi] = extent(rows, key, { [by]: value });
          return `${show(lo)}–${show(hi)}`;
        }).join(" | ")
      } |`
    ),
  ].join("\n");
}

/** Whether row `r` passes filter `where`. */
function matches(r: Row, where: RowFilter): boolean {
  return Object.entries(where).every(([column, want]) =>
    Array.isArray(want) ? want.includes(r[column] as Scalar) : r[column] === want
  );
}

/** Two variants' comparison over a band: each one's range, how the ranges lie, and the paired count. */
export interface BandComparison {
  /** `[min, max]` of the key over the rows of `a`, and of `b`. */
  readonly a: [min: number, max: number];
  readonly b: [min: number, max: number];
  /** Where `b`'s range lies against `a`'s ({@link compareExtents}). */
  readonly order: "above" | "below" | "overlaps";
  /** At how many of the band's values `a` is the lower ({@link countLower}). */
  readonly aLower: number;
  /** The band's size. */
  readonly count: number;
}

/**
 * Compare variants `a` and `b` on `key` over the band `values` of column `by`: both ranges, whether one lies
 * wholly below the other, and at how many of the values `a` is the lower: what a findings page needs to say
 * whether a comparison holds throughout, run by run, or not at all.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareBands } from "./band.ts";
 * const rows = [1, 2, 3].flatMap((seed) => [
 *   { variant: "agg", seed, ttftP90: 1600 + 100 * seed },
 *   { variant: "disagg", seed, ttftP90: 1750 + 100 * seed },
 * ]);
 * const c = compareBands(rows, "ttftP90", "seed", [1, 2, 3], { variant: "agg" }, { variant: "disagg" });
 * assert.deepEqual([c.a, c.b, c.order, c.aLower], [[1700, 1900], [1850, 2050], "overlaps", 3]);
 * ```
 */
export function compareBands(
  rows: readonly Row[],
  key: string,
  by: string,
  values: readonly Scalar[],
  a: RowFilter,
  b: RowFilter,
): BandComparison {
  const [x, y] = [extent(rows, key, { ...a, [by]: values }), extent(rows, key, { ...b, [by]: values })];
  return {
    a: x,
    b: y,
    order: compareExtents(x, y),
    aLower: countLower(rows, key, by, values, a, b),
    count: values.length,
  };
}

/**
 * A range `[lo, hi]` for prose: `lo–hi`, each end `show`n, or one figure where both ends read the same.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSpan } from "./band.ts";
 * assert.equal(formatSpan([1103, 1159]), "1,103–1,159");
 * assert.equal(formatSpan([0.061, 0.064], (v) => (100 * v).toFixed(0)), "6");
 * ```
 */
export function formatSpan(
  [lo, hi]: readonly [number, number],
  show: (v: number) => string = formatCount,
): string {
  return show(lo) === show(hi) ? show(lo) : `${show(lo)}–${show(hi)}`;
}

/** How {@link describeBands} writes a comparison. */
export interface DescribeOptions {
  /** A figure (default {@link formatCount}). */
  readonly show?: (v: number) => string;
  /** The figures' unit, after each range (default none). */
  readonly unit?: string;
  /** What one of the band's runs is called (default `"run"`). */
  readonly run?: string;
}

/**
 * A {@link BandComparison} in words, for a findings page: `a`'s range against `b`'s (one figure where both
 * ends read the same) and in how many of the band's runs `a` is the lower.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareBands, describeBands } from "./band.ts";
 * const rows = [1, 2].flatMap((seed) => [
 *   { variant: "hybrid", seed, ttftAvg: 900 + seed },
 *   { variant: "dense", seed, ttftAvg: 1200 + 100 * seed },
 * ]);
 * const c = compareBands(rows, "ttftAvg", "seed", [1, 2], { variant: "hybrid" }, { variant: "dense" });
 * assert.equal(
 *   describeBands(c, { unit: " ms", run: "replication" }),
 *   "901–902 ms against 1,300–1,400 ms (lower in every replication)",
 * );
 * ```
 */
export function describeBands(
  c: BandComparison,
  { show = formatCount, unit = "", run = "run" }: DescribeOptions = {},
): string {
  const range = (span: readonly [number, number]) => formatSpan(span, show) + unit;
  const lower = c.aLower === c.count
    ? `lower in every ${run}`
    : c.aLower === 0
    ? `lower in no ${run}`
    : `lower in ${c.aLower} of ${c.count} ${run}s`;
  return `${range(c.a)} against ${range(c.b)} (${lower})`;
}

/** A figure {@link describeMetrics} compares: its key, its name in the sentence, and how it is written. */
export interface DescribedMetric extends Omit<DescribeOptions, "run"> {
  readonly key: string;
  readonly label: string;
}

/**
 * Variants `a` against `b` on each of `metrics` over the band `values` of column `by` ({@link compareBands},
 * {@link describeBands}), as one clause per metric joined by commas; `run` names one of the band's runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeMetrics } from "./band.ts";
 * const rows = [1, 2].flatMap((seed) => [
 *   { variant: "hybrid", seed, ttftAvg: 900 + seed, tpotAvg: 20 },
 *   { variant: "dense", seed, ttftAvg: 1200 + 100 * seed, tpotAvg: 19 + seed },
 * ]);
 * const metrics = [{ key: "ttftAvg", label: "mean TTFT", unit: " ms" }, { key: "tpotAvg", label: "mean TPOT", unit: " ms" }];
 * assert.equal(
 *   describeMetrics(rows, "seed", [1, 2], { variant: "hybrid" }, { variant: "dense" }, metrics, "seed"),
 *   "mean TTFT 901–902 ms against 1,300–1,400 ms (lower in every seed), " +
 *     "mean TPOT 20 ms against 20–21 ms (lower in 1 of 2 seeds)",
 * );
 * ```
 */
export function describeMetrics(
  rows: readonly Row[],
  by: string,
  values: readonly Scalar[],
  a: RowFilter,
  b: RowFilter,
  metrics: readonly DescribedMetric[],
  run = "run",
): string {
  return metrics.map(({ key, label, ...format }) =>
    `${label} ${describeBands(compareBands(rows, key, by, values, a, b), { ...format, run })}`
  ).join(", ");
}

/** A value of a swept column where one run lies outside a band of runs: its figure and the band's range. */
export interface Outlier {
  readonly value: Scalar;
  readonly single: number;
  readonly range: [min: number, max: number];
}

/**
 * The values of column `by` at which the one row of `single` lies outside the range of `key` over the rows
 * of `band` with the same value: where a single run (unjittered, say) is not one of its replications.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { outsideBand } from "./band.ts";
 * const single = [{ startupTime: 0, ttftAvg: 854 }, { startupTime: 100, ttftAvg: 1450 }];
 * const band = [1, 2].flatMap((seed) => [
 *   { startupTime: 0, seed, ttftAvg: 990 + seed },
 *   { startupTime: 100, seed, ttftAvg: 1400 + 50 * seed },
 * ]);
 * assert.deepEqual(outsideBand(single, band, "ttftAvg", "startupTime", [0, 100]), [
 *   { value: 0, single: 854, range: [991, 992] },
 * ]);
 * ```
 */
export function outsideBand(
  single: readonly Row[],
  band: readonly Row[],
  key: string,
  by: string,
  values: readonly Scalar[],
): Outlier[] {
  return values.flatMap((value) => {
    const n = single.filter((r) => r[by] === value).length;
    if (n !== 1) {
      throw new InputError(`${n} single rows match; one is needed`, {
        field: `outsideBand(${JSON.stringify(key)}, ${JSON.stringify({ [by]: value })})`,
      });
    }
    const one = extent(single, key, { [by]: value })[0];
    const range = extent(band, key, { [by]: value });
    return one < range[0] || one > range[1] ? [{ value, single: one, range }] : [];
  });
}
