import assert from "node:assert/strict";
import { BucketedRegression, leastSquares, MovingAverage } from "../../lib/planner/mod.ts";

const close = (a: number, b: number, eps = 1e-9) =>
  assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);

Deno.test("least squares: recovers a plane with intercept", () => {
  const samples = [];
  for (const a of [0, 10, 20, 30]) {
    for (const b of [0, 1000, 5000]) samples.push({ x: [a, b], y: 0.01 + 0.002 * a + 3e-6 * b });
  }
  const f = leastSquares(samples, 2);
  close(f.intercept, 0.01);
  close(f.coef[0], 0.002);
  close(f.coef[1], 3e-6);
});

Deno.test("least squares: a feature without variance gets the minimum-norm solution (0)", () => {
  const f = leastSquares([{ x: [5, 1], y: 1 }, { x: [5, 2], y: 2 }, { x: [5, 3], y: 3 }], 2);
  close(f.coef[0], 0);
  close(f.coef[1], 1);
  close(f.intercept, 0);
  // Perfectly collinear features share the slope (lstsq's minimum norm): x2 = 2·x1, y = x1.
  const g = leastSquares([1, 2, 3, 4].map((v) => ({ x: [v, 2 * v], y: v })), 2);
  close(g.coef[0], 0.2);
  close(g.coef[1], 0.4);
});

Deno.test("regression: not fitted below the minimum observations; predictions floored at 1 µs", () => {
  const r = new BucketedRegression(1, { maxSamples: 64, bucketCount: 16, minObservations: 3 });
  r.add([1], 1);
  r.add([2], 2);
  assert.equal(r.fit(), null);
  assert.equal(r.hasSufficientData, false);
  r.add([3], 3);
  assert.equal(r.hasSufficientData, true);
  close(r.predict([10])!, 10);
  assert.equal(r.predict([-100]), 1e-6);
});

Deno.test("regression: a negative coefficient rejects the fit unless its feature is clippable", () => {
  const data = [[1, 100, 0.5], [2, 100, 0.4], [3, 200, 0.6], [4, 200, 0.5], [5, 300, 0.7]];
  const strict = new BucketedRegression(2, { maxSamples: 64, bucketCount: 16, minObservations: 5 });
  const clip = new BucketedRegression(2, {
    maxSamples: 64,
    bucketCount: 16,
    minObservations: 5,
    clippable: [0],
  });
  for (const [a, b, y] of data) strict.add([a, b], y), clip.add([a, b], y);
  assert.ok(leastSquares(strict.samples(), 2).coef[0] < 0, "the data has a negative first coefficient");
  assert.equal(strict.fit(), null);
  const f = clip.fit()!;
  assert.equal(f.coef[0], 0);
  assert.ok(f.coef[1] > 0);
});

Deno.test("regression: retention drops the oldest sample of the fullest bucket", () => {
  const r = new BucketedRegression(1, { maxSamples: 4, bucketCount: 2, minObservations: 1 });
  // Bounds [0, 10]: bucket 0 holds x < 5, bucket 1 holds x ≥ 5.
  r.add([0], 0);
  r.add([10], 10);
  r.add([1], 1);
  r.add([2], 2);
  r.add([9], 9); // 5 samples: bucket 0 has 3 (0, 1, 2); its oldest (0) goes
  assert.deepEqual(r.samples().map((s) => s.x[0]).sort((a, b) => a - b), [1, 2, 9, 10]);
  assert.equal(r.count, 4);
  // New bounds rebuild the buckets: [1, 20] → bucket 0 holds x < 10.5: 1, 2, 9, 10 (all four); 1 goes.
  r.add([20], 20);
  assert.deepEqual(r.samples().map((s) => s.x[0]).sort((a, b) => a - b), [2, 9, 10, 20]);
});

Deno.test("regression: after a rebuild merges buckets, retention still drops the oldest sample, not the first", () => {
  const r = new BucketedRegression(1, { maxSamples: 4, bucketCount: 2, minObservations: 1 });
  // The wall time is the sample's age. Bounds [0, 10]: 0 and 1 in bucket 0, 10 and 9 in bucket 1.
  [0, 10, 1, 9].forEach((x, age) => r.add([x], age));
  // −10 widens the bounds to [−10, 10]: the rebuild puts 0, 1 (bucket 0's) before 10, 9 in one bucket,
  // whose oldest (age 0) goes.
  r.add([-10], 4);
  assert.deepEqual(r.samples().map((s) => s.y).sort(), [1, 2, 3, 4]);
  // The merged bucket now holds ages 2, 1, 3 in that order, then 5 joins it: its oldest is age 1, not age 2.
  r.add([5], 5);
  assert.deepEqual(r.samples().map((s) => s.y).sort(), [2, 3, 4, 5]);
});

Deno.test("moving average: window and leading zeros", () => {
  const m = new MovingAverage(3);
  assert.equal(m.value, 0);
  m.add(0);
  m.add(0);
  assert.equal(m.value, 0);
  for (const v of [3, 0, 6, 9]) m.add(v);
  close(m.value, 5); // window [0, 6, 9]
});
