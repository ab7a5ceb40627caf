import assert from "node:assert/strict";
import { sortedOrder, summarize, summarizeWeighted } from "../../lib/metrics/mod.ts";
import { Rng } from "../../lib/common/rng.ts";

Deno.test("stats: nearest-rank percentiles with rounding and population std", () => {
  const d = summarize(Float64Array.from({ length: 101 }, (_, i) => 100 - i));
  assert.equal(d.median, 50);
  assert.equal(d.p90, 90);
  assert.equal(d.p99, 99);
  assert.equal(d.min, 0);
  assert.equal(d.max, 100);
  assert.ok(Math.abs(d.std - Math.sqrt(850)) < 1e-9);
  // n = 4: rank(p75) = round(2.25) = 2, rank(p90) = round(2.7) = 3
  const e = summarize(Float64Array.of(10, 20, 30, 40));
  assert.equal(e.p75, 30);
  assert.equal(e.p90, 40);
});

Deno.test("stats: empty distributions report zeros", () => {
  const d = summarize(new Float64Array(0));
  assert.deepEqual([d.mean, d.min, d.max, d.p99, d.std], [0, 0, 0, 0, 0]);
  assert.equal(summarizeWeighted(new Float64Array(0), new Float64Array(0), 0).p90, 0);
});

Deno.test("stats: weighted summaries equal the expanded list's", () => {
  const rng = new Rng(3);
  for (let trial = 0; trial < 50; trial++) {
    const n = 1 + rng.int(30);
    const values = Float64Array.from({ length: n }, () => Math.round(rng.next() * 100) / 4);
    const weights = Float64Array.from({ length: n }, () => 1 + rng.int(5));
    const expanded: number[] = [];
    values.forEach((v, i) => {
      for (let k = 0; k < weights[i]; k++) expanded.push(v);
    });
    const a = summarizeWeighted(values, weights, n), b = summarize(Float64Array.from(expanded));
    for (const key of ["median", "p75", "p90", "p95", "p99", "min", "max"] as const) {
      assert.equal(a[key], b[key], key);
    }
    assert.ok(Math.abs(a.mean - b.mean) < 1e-9 && Math.abs(a.std - b.std) < 1e-9);
  }
});

Deno.test("stats: radix order agrees with a comparator sort on random doubles", () => {
  const rng = new Rng(9);
  const values = Float64Array.from({ length: 5000 }, () => (rng.next() - 0.3) * 10 ** rng.int(12));
  const order = sortedOrder(values, values.length);
  const expected = [...values.keys()].sort((a, b) => values[a] - values[b] || a - b);
  assert.deepEqual([...order], expected);
});
