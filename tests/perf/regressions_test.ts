import assert from "node:assert/strict";
import { tableFromRows } from "../../lib/perf/aic/table.ts";
import {
  isRegression,
  latencyRatios,
  REGRESSION_FACTOR,
  withoutRegressions,
} from "../../lib/perf/calibration/regressions.ts";

const keys = { format: "d", grid: ["m"], columns: ["d", "m", "latency"] };
const grid = (d: string, scale: (m: number) => number) =>
  Array.from({ length: 10 }, (_, i) => ({ d, m: i + 1, latency: (i + 1) * scale(i + 1) }));

Deno.test("regressions: a table slower by more than the factor at the median and at 90% of points is one", () => {
  const f = REGRESSION_FACTOR * 1.1;
  assert(isRegression([1.01, ...Array(9).fill(f)]));
  // Slower at the median but faster at more than 10% of points: a different kernel, not a regression.
  assert(!isRegression([0.5, 0.9, ...Array(8).fill(f)]));
  assert(!isRegression(Array(10).fill(REGRESSION_FACTOR)));
  assert(!isRegression([]));
});

Deno.test("regressions: ratios are taken on shared grid points of the same format only", () => {
  const old = tableFromRows([...grid("fp8", () => 1), ...grid("bf16", () => 5)], "old");
  const neu = tableFromRows(grid("fp8", (m) => (m % 2 ? 3 : 1)).filter((r) => r.m <= 4), "new");
  assert.deepEqual(latencyRatios(neu, old, keys, "fp8"), [1, 1, 3, 3]);
  assert.deepEqual(latencyRatios(neu, old, keys, "bf16"), []);
});

Deno.test("regressions: a format steps back past every regressed version; others stay newest", () => {
  const v14 = tableFromRows([...grid("fp8", () => 1), ...grid("bf16", () => 1)], "v14");
  const v19 = tableFromRows([...grid("fp8", () => 2.5), ...grid("bf16", () => 1)], "v19");
  const v24 = tableFromRows([...grid("fp8", () => 7.5), ...grid("bf16", () => 4)], "v24");
  const { table, picks } = withoutRegressions([
    { version: "0.24", table: v24 },
    { version: "0.19", table: v19 },
    { version: "0.14", table: v14 },
  ], keys);
  assert.deepEqual(picks.map((p) => [p.format, p.version, p.median.toFixed(2)]), [
    ["fp8", "0.14", "7.50"],
    ["bf16", "0.19", "4.00"],
  ]);
  assert.equal(table.length, 20);
  assert.equal(table.source, "v24 (fp8 from 0.14, bf16 from 0.19)");
  const fp8 = table.num("latency")!.slice(0, 10);
  assert.deepEqual([...fp8], grid("fp8", () => 1).map((r) => r.latency));
});

Deno.test("regressions: a format the older tables lack stays on the newest table", () => {
  const old = tableFromRows(grid("bf16", () => 1), "old");
  const neu = tableFromRows([...grid("bf16", () => 1), ...grid("mxfp4", () => 9)], "new");
  const { table, picks } = withoutRegressions(
    [{ version: "b", table: neu }, { version: "a", table: old }],
    keys,
  );
  assert.deepEqual(picks, []);
  assert.equal(table.source, "new");
  assert.equal(table.length, 20);
});
