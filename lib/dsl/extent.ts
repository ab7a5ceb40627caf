/**
 * The range a metric spans over a set of result rows: how far a figure moves across a band of runs
 * (`around()`), per variant or per swept value.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
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
 * import { extent } from "./extent.ts";
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
  const tests = Object.entries(where).map(([column, want]) => {
    const accepted: readonly Scalar[] = Array.isArray(want) ? want : [want as Scalar];
    return (r: Row) => accepted.includes(r[column] as Scalar);
  });
  const matching = rows.filter((r) => tests.every((test) => test(r)));
  const context = { field: `extent(${JSON.stringify(key)}, ${JSON.stringify(where)})` };
  if (matching.length === 0) throw new InputError("no row matches", context);
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
 * import { compareExtents } from "./extent.ts";
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
 * import { extentSteps } from "./extent.ts";
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
