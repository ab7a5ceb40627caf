import assert from "node:assert/strict";
import { Rng } from "../../lib/common/rng.ts";
import { autoArima, forecast } from "../../lib/planner/mod.ts";
import { ArimaPredictor, ConstantPredictor, KalmanPredictor } from "../../lib/planner/mod.ts";
import { ARIMA_WINDOW } from "../../lib/planner/predictors.ts";
import { chooseD, kpss } from "../../lib/planner/arima.ts";

const close = (a: number, b: number, eps = 1e-9) =>
  assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);
const kalman = (minPoints = 1, log1p = false) =>
  new KalmanPredictor({ qLevel: 1, qTrend: 0.1, r: 10, minPoints, log1p });

Deno.test("predictors: leading zeros are skipped and non-finite values count as zero", () => {
  const p = new ConstantPredictor();
  p.add(0);
  p.add(NaN);
  assert.equal(p.predict(), 0);
  p.add(4);
  p.add(Infinity);
  assert.equal(p.predict(), 0);
});

Deno.test("kalman: first steps by hand", () => {
  const p = kalman();
  p.add(10);
  assert.deepEqual(p.state, [10, 0]);
  p.add(12);
  // Predict: x = [10, 0], P = [[1000 + 1000 + 1, 1000], [1000, 1000.1]]; update with z = 12, R = 10:
  // S = 2011, K = [2001, 1000] / 2011, innovation 2.
  close(p.state[0], 10 + 2 * 2001 / 2011);
  close(p.state[1], 2 * 1000 / 2011);
  const next = p.predict();
  close(next, 10 + 2 * 2001 / 2011 + 2 * 1000 / 2011);
  assert.equal(p.predict(), next, "a cached forecast does not advance the state");
});

Deno.test("kalman: agrees with the textbook filter over a series", () => {
  // Standard form: P = (I − K H) P after update (equal to filterpy's Joseph form in exact arithmetic).
  const series = [5, 7, 6, 9, 12, 11, 15, 14, 18, 21];
  const p = kalman();
  let x = [series[0], 0], P = [[1000, 0], [0, 1000]];
  p.add(series[0]);
  for (const z of series.slice(1)) {
    x = [x[0] + x[1], x[1]];
    P = [[P[0][0] + P[0][1] + P[1][0] + P[1][1] + 1, P[0][1] + P[1][1]], [P[1][0] + P[1][1], P[1][1] + 0.1]];
    const s = P[0][0] + 10, k = [P[0][0] / s, P[1][0] / s], y = z - x[0];
    x = [x[0] + k[0] * y, x[1] + k[1] * y];
    P = [[(1 - k[0]) * P[0][0], (1 - k[0]) * P[0][1]], [P[1][0] - k[1] * P[0][0], P[1][1] - k[1] * P[0][1]]];
    p.add(z);
    close(p.state[0], x[0], 1e-9);
    close(p.state[1], x[1], 1e-9);
  }
  close(p.predict(), x[0] + x[1], 1e-9);
});

Deno.test("kalman: returns the last value until min points; log1p forecasts are expm1 of the level", () => {
  const p = kalman(5);
  for (const v of [3, 4, 5, 6]) p.add(v);
  assert.equal(p.predict(), 6);
  p.add(7);
  assert.ok(p.predict() > 7, "a rising series is extrapolated");
  const l = kalman(1, true);
  for (const v of [100, 100, 100]) l.add(v);
  close(l.predict(), 100, 1e-6);
});

Deno.test("arima: KPSS separates a trend from noise; d follows", () => {
  const rng = new Rng(7);
  const noise = Array.from({ length: 40 }, () => rng.next());
  assert.ok(kpss(noise) < 0.463);
  assert.equal(chooseD(noise), 0);
  const trend = noise.map((v, i) => 3 * i + v);
  assert.ok(kpss(trend) > 0.463);
  assert.ok(chooseD(trend) >= 1);
});

Deno.test("arima: an AR(1) series is identified and forecast", () => {
  const rng = new Rng(11);
  const y = [50];
  for (let i = 1; i < 60; i++) y.push(20 + 0.6 * y[i - 1] + (rng.next() - 0.5) * 2);
  const m = autoArima(y);
  assert.equal(m.d, 0);
  assert.ok(m.p >= 1, `order (${m.p}, ${m.d}, ${m.q})`);
  const expected = 20 + 0.6 * y[y.length - 1];
  assert.ok(Math.abs(forecast(m, y) - expected) < 1.5, `${forecast(m, y)} vs ${expected}`);
});

Deno.test("arima: the order chosen does not depend on the series' scale, and no fit sits on the unit circle", () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 20; trial++) {
    const y = Array.from({ length: 8 + trial }, () => 400 + 80 * rng.next());
    const orders = [0.001, 1, 1000].map((k) => {
      const m = autoArima(y.map((v) => v * k));
      for (const c of m.params.slice(1)) assert.ok(Math.abs(c) <= 0.98 * 2, `${c}`);
      if (m.p + m.q === 1) assert.ok(Math.abs(m.params[1]) < 0.98, `${m.params[1]}`);
      return `(${m.p},${m.d},${m.q})`;
    });
    assert.deepEqual(orders, [orders[1], orders[1], orders[1]], `trial ${trial}`);
  }
});

Deno.test("arima predictor: past its window it keeps refitting on the newest points", () => {
  const rng = new Rng(9);
  const p = new ArimaPredictor(false);
  for (let i = 0; i < ARIMA_WINDOW + 100; i++) {
    p.add(100 + 10 * rng.next());
    if (i % 97 === 0) p.predict();
  }
  const before = p.predict();
  assert.ok(Math.abs(before - 105) < 5, `${before}`);
  for (let i = 0; i < 30; i++) p.add(1000 + 10 * rng.next());
  const after = p.predict();
  assert.ok(after > 500, `${after}`);
});

Deno.test("arima predictor: reference rules (few points, constant series, clamp at 0, deterministic)", () => {
  const p = new ArimaPredictor(false);
  for (const v of [5, 6, 7, 8]) p.add(v);
  assert.equal(p.predict(), 8, "fewer than 5 points: the last value");
  const c = new ArimaPredictor(false);
  for (let i = 0; i < 8; i++) c.add(42);
  assert.equal(c.predict(), 42);
  const falling = new ArimaPredictor(false);
  for (const v of [50, 40, 30, 20, 10, 1]) falling.add(v);
  assert.ok(falling.predict() >= 0);
  const run = () => {
    const a = new ArimaPredictor(false);
    for (const v of [915, 797, 995, 927, 1015, 1068, 991, 1136]) a.add(v);
    return a.predict();
  };
  assert.equal(run(), run());
  assert.ok(Math.abs(run() - 1000) < 200);
});
