/**
 * Table versions the fit passes over. AIC re-collects its tables per framework version, and a version's table for
 * one format can time a different kernel path than the framework serves with: vLLM 0.24's per-tensor FP8 MoE
 * table on H100 and H200 times ModelOpt's FlashInfer CUTLASS experts at 3.7× the median latency of the 0.19 and
 * 0.22 tables (Triton fused MoE), slower at 90% of their shared grid points, while our own H100 timings of the
 * Triton kernel (`tests/bench/device/h100_sxm_moe.csv`) agree with 0.19 within 5% above 1k tokens. Such a table
 * is a collector's kernel choice, not the GPU: for a format whose newest table is more than
 * {@link REGRESSION_FACTOR}× slower than the next older one at the median of their shared points, and slower at
 * 90% of them, the fit takes the older one (and checks it the same way against its own predecessor).
 *
 * @module
 */
import { rowsWhere } from "../aic/kernels.ts";
import { concatRows, type Table } from "../aic/table.ts";

/** Median slowdown against the predecessor beyond which a format's table counts as a collector regression. */
export const REGRESSION_FACTOR = 2;

/** One version's table of a family. */
export interface VersionTable {
  readonly version: string;
  readonly table: Table;
}

/** A format fitted to an older table than the newest, and why. */
export interface VersionPick {
  readonly format: string;
  /** The newest version, passed over. */
  readonly skipped: string;
  /** The version fitted instead. */
  readonly version: string;
  /**
   * Median latency ratio of the skipped table over the fitted one on their shared grid points (the product of
   * each skipped step's median when more than one version was passed over).
   */
  readonly median: number;
}

/** How a family's table is keyed: its format column, the grid columns, and the rows the fit reads. */
export interface TableKeys {
  readonly format: string;
  readonly grid: readonly string[];
  /** Columns the fit reads (kept in the merged table). */
  readonly columns: readonly string[];
  /** The rows the fit reads (all when absent). */
  readonly rows?: (table: Table) => number[];
}

/** The rows the fit reads for one format. */
function formatRows(t: Table, keys: TableKeys, format: string): number[] {
  const f = t.str(keys.format)!;
  const rows = keys.rows?.(t) ?? rowsWhere(t, () => true);
  return rows.filter((i) => f[i] === format);
}

/**
 * Latency ratios `newer / older` for one format on the grid points both tables hold, sorted ascending.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tableFromRows } from "../aic/table.ts";
 * import { latencyRatios } from "./regressions.ts";
 * const keys = { format: "d", grid: ["m"], columns: ["d", "m", "latency"] };
 * const old = tableFromRows([{ d: "fp8", m: 1, latency: 1 }, { d: "fp8", m: 2, latency: 2 }], "old");
 * const neu = tableFromRows([{ d: "fp8", m: 2, latency: 6 }, { d: "fp8", m: 4, latency: 9 }], "new");
 * assert.deepEqual(latencyRatios(neu, old, keys, "fp8"), [3]);
 * ```
 */
export function latencyRatios(newer: Table, older: Table, keys: TableKeys, format: string): number[] {
  const key = (t: Table, i: number) => keys.grid.map((c) => t.str(c)![i]).join("/");
  const old = new Map<string, number>();
  const ol = older.num("latency")!;
  for (const i of formatRows(older, keys, format)) old.set(key(older, i), ol[i]);
  const nl = newer.num("latency")!;
  const out: number[] = [];
  for (const i of formatRows(newer, keys, format)) {
    const o = old.get(key(newer, i));
    if (o !== undefined && o > 0) out.push(nl[i] / o);
  }
  return out.sort((a, b) => a - b);
}

/** Whether sorted ratios show a regression: over {@link REGRESSION_FACTOR} at the median, over 1 at the 10th percentile. */
export function isRegression(sorted: readonly number[]): boolean {
  if (sorted.length === 0) return false;
  return sorted[sorted.length >> 1] > REGRESSION_FACTOR && sorted[Math.floor(sorted.length * 0.1)] > 1;
}

/**
 * One table holding, per format of the newest version, the rows of the newest table that is not a regression
 * against its predecessor (see the module doc), and the formats that were fitted to an older table.
 *
 * @param versions A family's tables, newest first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tableFromRows } from "../aic/table.ts";
 * import { withoutRegressions } from "./regressions.ts";
 * const keys = { format: "d", grid: ["m"], columns: ["d", "m", "latency"] };
 * const rows = (d: string, f: number) => [1, 2, 3].map((m) => ({ d, m, latency: m * f }));
 * const v19 = tableFromRows([...rows("fp8", 1), ...rows("bf16", 1)], "0.19");
 * const v24 = tableFromRows([...rows("fp8", 3), ...rows("bf16", 1.1)], "0.24");
 * const { table, picks } = withoutRegressions([{ version: "0.24", table: v24 }, { version: "0.19", table: v19 }], keys);
 * assert.deepEqual(picks, [{ format: "fp8", skipped: "0.24", version: "0.19", median: 3 }]);
 * assert.deepEqual([...table.num("latency")!], [1, 2, 3, 1.1, 2.2, 3.3000000000000003]);
 * ```
 */
export function withoutRegressions(
  versions: readonly VersionTable[],
  keys: TableKeys,
): { table: Table; picks: VersionPick[] } {
  const newest = versions[0];
  const parts: { table: Table; rows: number[] }[] = [];
  const picks: VersionPick[] = [];
  for (const format of new Set(newest.table.str(keys.format))) {
    let at = 0;
    let median = 1;
    for (let next = 1; next < versions.length; next++) {
      const ratios = latencyRatios(versions[at].table, versions[next].table, keys, format);
      if (ratios.length === 0) continue;
      if (!isRegression(ratios)) break;
      median *= ratios[ratios.length >> 1];
      at = next;
    }
    const t = versions[at].table;
    const f = t.str(keys.format)!;
    parts.push({ table: t, rows: rowsWhere(t, (i) => f[i] === format) });
    if (at > 0) picks.push({ format, skipped: newest.version, version: versions[at].version, median });
  }
  const source = picks.length === 0
    ? newest.table.source
    : `${newest.table.source} (${picks.map((p) => `${p.format} from ${p.version}`).join(", ")})`;
  return { table: concatRows(parts, keys.columns, source), picks };
}
