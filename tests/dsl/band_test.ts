import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import {
  around,
  compareBands,
  compareExtents,
  countLower,
  describeBands,
  describeMetrics,
  extent,
  outsideBand,
  type Row,
} from "../../mod.ts";

const rows: Row[] = around(1, 0.01).flatMap((speedup, i) => [
  { run: 2 * i, variant: "agg", speedup, ttftP90: 1000 + 10 * i },
  { run: 2 * i + 1, variant: "disagg", speedup, ttftP90: i === 4 ? null : 900 - 10 * i },
]);

Deno.test("extent: min and max over the rows a filter keeps; no filter keeps every row", () => {
  assert.deepEqual(extent(rows, "ttftP90", { variant: "agg" }), [1000, 1040]);
  assert.deepEqual(extent(rows, "ttftP90", { variant: "agg", speedup: [0.995, 1.005] }), [1010, 1030]);
  assert.deepEqual(extent(rows, "ttftP90", { variant: "disagg", speedup: around(1, 0.005, 3) }), [870, 890]);
  assert.deepEqual(extent(rows.slice(0, 2), "ttftP90"), [900, 1000]);
});

Deno.test("extent: no matching row, or a missing value in one, is an error naming the key and filter", () => {
  assert.throws(() => extent(rows, "ttftP90", { variant: "static" }), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.match(e.message, /extent\("ttftP90", \{"variant":"static"\}\): no row matches/);
    return true;
  });
  assert.throws(() => extent(rows, "ttftP90", { variant: "disagg" }), /run 9 has no finite value \(null\)/);
  assert.throws(() => extent(rows, "itlAvg", { variant: "agg" }), /no column "itlAvg"/);
  assert.throws(() => extent(rows, "ttftp90"), /no column "ttftp90" \(did you mean ttftP90\?\)/);
});

Deno.test("compareExtents: above or below only when the ranges do not touch", () => {
  assert.equal(compareExtents([1, 2], [2.5, 3]), "above");
  assert.equal(compareExtents([1, 2], [2, 3]), "overlaps");
  assert.equal(compareExtents([1, 2], [0, 1]), "overlaps");
  assert.equal(compareExtents([1, 2], [0, 0.5]), "below");
  assert.equal(compareExtents([1, 1], [1, 1]), "overlaps");
});

Deno.test("countLower: pace by pace, and an error unless exactly one row matches each side", () => {
  const agg = { variant: "agg" }, disagg = { variant: "disagg" };
  const paces = around(1, 0.005, 3);
  assert.equal(countLower(rows, "ttftP90", "speedup", paces, disagg, agg), 3);
  assert.equal(countLower(rows, "ttftP90", "speedup", paces, agg, disagg), 0);
  assert.throws(
    () => countLower([...rows, rows[2]], "ttftP90", "speedup", paces, agg, disagg),
    /countLower\("ttftP90", \{"variant":"agg","speedup":0.995\}\): 2 rows match; a paired comparison needs one/,
  );
  assert.throws(() => countLower(rows, "ttftP90", "speedup", [2], agg, disagg), /0 rows match/);
});

Deno.test("compareBands: both ranges, their order and the paired count, over one band", () => {
  const paces = around(1, 0.005, 3);
  const c = compareBands(rows, "ttftP90", "speedup", paces, { variant: "agg" }, { variant: "disagg" });
  assert.deepEqual(c, { a: [1010, 1030], b: [870, 890], order: "below", aLower: 0, count: 3 });
  assert.throws(
    () =>
      compareBands(rows, "ttftP90", "speedup", around(1, 0.01), { variant: "agg" }, { variant: "disagg" }),
    /run 9 has no finite value/,
  );
});

Deno.test("outsideBand: the values where one run leaves its band, ends included; one single row per value", () => {
  const single = [{ seed: 0, t: 0, ttftAvg: 10 }, { seed: 0, t: 1, ttftAvg: 20 }, {
    seed: 0,
    t: 2,
    ttftAvg: 35,
  }];
  const band = [1, 2].flatMap((seed) => [0, 1, 2].map((t) => ({ seed, t, ttftAvg: 10 * (t + seed) })));
  assert.deepEqual(outsideBand(single, band, "ttftAvg", "t", [0, 1, 2]), []);
  assert.deepEqual(outsideBand([{ t: 0, ttftAvg: 9 }, { t: 1, ttftAvg: 41 }], band, "ttftAvg", "t", [0, 1]), [
    { value: 0, single: 9, range: [10, 20] },
    { value: 1, single: 41, range: [20, 30] },
  ]);
  assert.throws(
    () => outsideBand(band, band, "ttftAvg", "t", [0]),
    /outsideBand\("ttftAvg", \{"t":0\}\): 2 single rows/,
  );
  assert.throws(() => outsideBand(single, band, "ttftAvg", "t", [3]), /0 single rows match/);
});

Deno.test("describeBands: every, some or none of the runs lower; one figure where a range is one value", () => {
  const rows = [1, 2, 3].flatMap((seed) => [
    { variant: "a", seed, ttft: seed === 2 ? 1500 : 1000 },
    { variant: "b", seed, ttft: 1200 },
  ]);
  const words = (a: string, b: string) =>
    describeBands(compareBands(rows, "ttft", "seed", [1, 2, 3], { variant: a }, { variant: b }), {
      unit: " ms",
      run: "seed",
    });
  assert.equal(words("a", "b"), "1,000–1,500 ms against 1,200 ms (lower in 2 of 3 seeds)");
  assert.equal(words("b", "b"), "1,200 ms against 1,200 ms (lower in no seed)");
  const only = rows.filter((r) => r.seed !== 2);
  assert.equal(
    describeMetrics(only, "seed", [1, 3], { variant: "b" }, { variant: "a" }, [{
      key: "ttft",
      label: "TTFT",
    }]),
    "TTFT 1,200 against 1,000 (lower in no run)",
  );
  const close = [{ variant: "a", seed: 1, x: 0.061 }, { variant: "a", seed: 2, x: 0.064 }];
  assert.equal(
    describeBands(compareBands(close, "x", "seed", [1, 2], { variant: "a" }, { variant: "a" }), {
      show: (v) => (100 * v).toFixed(0),
      unit: "%",
    }),
    "6% against 6% (lower in no run)",
    "a range whose ends read the same is one figure",
  );
  assert.throws(() =>
    describeMetrics(rows, "seed", [1], { variant: "c" }, { variant: "a" }, [{ key: "ttft", label: "x" }])
  );
});
