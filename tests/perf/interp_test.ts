import assert from "node:assert/strict";
import { Curve, Grid2 } from "../../lib/perf/aic/interp.ts";

Deno.test("curve: an exact hit returns the measured value verbatim, even off-trend", () => {
  // A wave-quantisation saw-tooth survives: 513 is slower than 768.
  const c = new Curve([256, 512, 513, 768], [20, 22, 43, 34], (m) => m / 100);
  assert.equal(c.at(513), 43);
  assert.equal(c.at(512), 22);
  assert.equal(c.at(640.5), 38.5); // halfway between 513 and 768
});

Deno.test("curve: beyond the range the boundary efficiency is held (median of the last three)", () => {
  const sol = (x: number) => x;
  const c = new Curve([1, 2, 4, 8], [10, 10, 10, 16], sol);
  // utils at the top: 8/16 = 0.5, 4/10 = 0.4, 2/10 = 0.2 → median 0.4 → SOL(16)/0.4 = 40
  assert.equal(c.at(16), 40);
  // below: utils 0.1, 0.2, 0.4 → median 0.2 → SOL(0.5)/0.2 = 2.5
  assert.equal(c.at(0.5), 2.5);
});

Deno.test("grid: exact hits verbatim, sqrt blending on the sequence axis, linear on batch", () => {
  const sol = (a: number, b: number) => a * b * b;
  const g = new Grid2([1, 2, 4], [16, 64, 256], [[1, 10, 100], [2, 20, 200], [4, 40, 400]], sol, "sqrt");
  assert.equal(g.at(2, 64), 20);
  // sqrt(16)=4, sqrt(64)=8: s=36 → sqrt 6 → halfway → (1 + 10)/2
  assert.equal(g.at(1, 36), 5.5);
  assert.equal(g.at(3, 16), 3);
  const raw = new Grid2([1, 2], [16, 64], [[1, 10], [2, 20]], sol, "raw");
  assert.equal(raw.at(1, 40), 5.5);
});

Deno.test("grid: an unmeasured corner is filled by util-hold from a lower batch, else dropped", () => {
  // (2,2) missing: util of (1,2) = SOL 3 / 2 → filled SOL(2,2) 4 / 1.5; blend of 1, 2, 3 and 8/3.
  const g = new Grid2([1, 2], [1, 2], [[1, 2], [3, NaN]], (a, b) => a + b);
  assert.ok(Math.abs(g.at(1.5, 1.5) - (1 + 2 + 3 + 8 / 3) / 4) < 1e-12);
  // (1,2) missing with no batch below it: dropped, the other three renormalised.
  const h = new Grid2([1, 2], [1, 2], [[1, NaN], [3, 4]], (a, b) => a + b);
  assert.ok(Math.abs(h.at(1.5, 1.5) - 8 / 3) < 1e-12);
});

Deno.test("grid: unmeasured corner and outside points hold the nearest measured efficiency", () => {
  const sol = (a: number, b: number) => a * b;
  const g = new Grid2([1, 2, 4], [1, 2, 4], [[2, 4, 8], [4, 8, 16], [8, 16, NaN]], sol);
  // (4,4) missing: anchor (2,4) with util 8/16 = 0.5 → 16/0.5
  assert.equal(g.at(4, 4), 32);
  // beyond the batch axis: util at (4,2) is 8/16 → SOL(8,2)/0.5 = 32
  assert.equal(g.at(8, 2), 32);
  // beyond the sequence axis at batch 1: utils 0.5 at every point → SOL(1,8)/0.5 = 16
  assert.equal(g.at(1, 8), 16);
});
