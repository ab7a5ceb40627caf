/**
 * A measured AIC table held column-wise: numeric columns as `Float64Array`, text columns as string arrays. Pure
 * data; reading it from Parquet is in `parquet.ts`.
 *
 * @module
 */

/** One AIC perf table (e.g. `gemm_perf`), column-wise. */
export interface Table {
  /** Where it was read from (for messages). */
  readonly source: string;
  readonly length: number;
  /** Numeric column, or undefined when absent or not numeric. */
  num(column: string): Float64Array | undefined;
  /** Text column (every value as a string), or undefined when absent. */
  str(column: string): readonly string[] | undefined;
}

/**
 * Build a {@link Table} from row objects (numbers and bigints become numeric columns, anything else text).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tableFromRows } from "./table.ts";
 * const t = tableFromRows([{ m: 1, gemm_dtype: "fp8", latency: 0.01 }], "t");
 * assert(t.num("m")?.[0] === 1 && t.str("gemm_dtype")?.[0] === "fp8");
 * ```
 */
export function tableFromRows(rows: readonly Record<string, unknown>[], source: string): Table {
  const nums = new Map<string, Float64Array>();
  const strs = new Map<string, string[]>();
  const first = rows[0] ?? {};
  for (const key of Object.keys(first)) {
    const v = first[key];
    if (typeof v === "number" || typeof v === "bigint") {
      const col = new Float64Array(rows.length);
      for (let i = 0; i < rows.length; i++) col[i] = Number(rows[i][key]);
      nums.set(key, col);
    }
    strs.set(key, rows.map((r) => String(r[key])));
  }
  return {
    source,
    length: rows.length,
    num: (c) => nums.get(c),
    str: (c) => strs.get(c),
  };
}

/**
 * Indices of the rows whose text columns equal the given values (a filter used to cut one kernel's slice out of
 * a table).
 */
export function selectRows(table: Table, equals: Readonly<Record<string, string>>): number[] {
  const cols = Object.entries(equals).map(([k, v]) => [table.str(k), v] as const);
  const out: number[] = [];
  outer: for (let i = 0; i < table.length; i++) {
    for (const [col, v] of cols) if (!col || col[i] !== v) continue outer;
    out.push(i);
  }
  return out;
}

/** Distinct values of a text column over some rows, most frequent first. */
export function distinctByCount(table: Table, column: string, rows?: readonly number[]): string[] {
  const col = table.str(column);
  if (!col) return [];
  const counts = new Map<string, number>();
  const idx = rows ?? col.map((_, i) => i);
  for (const i of idx) counts.set(col[i], (counts.get(col[i]) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([v]) => v);
}

/**
 * One table made of chosen rows of several, in order, keeping only the named columns (numeric where every part
 * holds the column as numbers, text otherwise).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { concatRows, tableFromRows } from "./table.ts";
 * const a = tableFromRows([{ d: "fp8", l: 1 }, { d: "bf16", l: 2 }], "a");
 * const b = tableFromRows([{ d: "fp8", l: 3 }], "b");
 * const t = concatRows([{ table: a, rows: [1] }, { table: b, rows: [0] }], ["d", "l"], "a+b");
 * assert.deepEqual([...t.num("l")!], [2, 3]);
 * assert.deepEqual(t.str("d"), ["bf16", "fp8"]);
 * ```
 */
export function concatRows(
  parts: readonly { readonly table: Table; readonly rows: readonly number[] }[],
  columns: readonly string[],
  source: string,
): Table {
  const length = parts.reduce((n, p) => n + p.rows.length, 0);
  const nums = new Map<string, Float64Array>();
  const strs = new Map<string, string[]>();
  for (const c of columns) {
    const text: string[] = [];
    for (const { table, rows } of parts) {
      const col = table.str(c);
      for (const i of rows) text.push(col ? col[i] : "");
    }
    strs.set(c, text);
    if (!parts.every((p) => p.table.num(c))) continue;
    const col = new Float64Array(length);
    let k = 0;
    for (const { table, rows } of parts) {
      const src = table.num(c)!;
      for (const i of rows) col[k++] = src[i];
    }
    nums.set(c, col);
  }
  return { source, length, num: (c) => nums.get(c), str: (c) => strs.get(c) };
}
