import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { around, range } from "../../mod.ts";

Deno.test("range is inclusive like seq: range(0, 300, 10) has 31 values", () => {
  const r = range(0, 300, 10);
  assert.equal(r.length, 31);
  assert.deepEqual([r[0], r[1], r[30]], [0, 10, 300]);
  assert.deepEqual(range(3, 3), [3]);
  assert.deepEqual(range(1, 3), [1, 2, 3]);
  assert.deepEqual(range(3, 1), [3, 2, 1]);
  assert.deepEqual(range(0, 0.3, 0.1), [0, 0.1, 0.2, 0.3]);
  assert.deepEqual(range(0, 10, 4), [0, 4, 8]);
  assert.deepEqual(range(0.1, 0.7, 0.2), [0.1, 0.3, 0.5, 0.7]);
  assert.deepEqual(range(1e12, 1e12 + 3, 1), [1e12, 1e12 + 1, 1e12 + 2, 1e12 + 3]);
  assert.deepEqual(range(0, 3e-7, 1e-7), [0, 1e-7, 2e-7, 3e-7]);
  assert.equal(new Set(range(0, 1, 1 / 3)).size, 4);
});

Deno.test("range rejects a step of 0, a step of the wrong sign and non-finite bounds", () => {
  assert.throws(
    () => range(0, 10, 0),
    (e) => e instanceof InputError && /step: must not be 0/.test(e.message),
  );
  assert.throws(
    () => range(0, 10, -1),
    (e) => e instanceof InputError && /goes away from stop/.test(e.message),
  );
  assert.throws(() => range(10, 0, 2), (e) => e instanceof InputError && /negative step/.test(e.message));
  assert.throws(() => range(0, Infinity, 1), InputError);
  assert.throws(() => range(NaN, 1), InputError);
});

Deno.test("around: evenly spaced within ±spread of center, symmetric, center included when count is odd", () => {
  for (const [center, spread, count] of [[4, 0.01, 5], [0.1, 0.3, 7], [-50, 0.05, 9], [1e6, 0.5, 4]]) {
    const xs = around(center, spread, count);
    assert.equal(xs.length, count);
    assert.ok(Math.abs(xs[0] - center * (1 - spread)) <= 1e-9 * Math.abs(center));
    assert.ok(Math.abs(xs.at(-1)! - center * (1 + spread)) <= 1e-9 * Math.abs(center));
    for (let i = 0; i < count; i++) {
      assert.ok(Math.abs(xs[i] + xs[count - 1 - i] - 2 * center) <= 1e-9 * Math.abs(center), `${xs}`);
    }
    if (count % 2 === 1) assert.equal(xs[(count - 1) / 2], center);
  }
  assert.deepEqual(around(4, 0), [4, 4, 4, 4, 4]);
});

Deno.test("around rejects a spread outside [0, 1), a count that is not an integer from 1 to 1,000, a non-finite center", () => {
  for (const bad of [() => around(4, -0.1), () => around(4, 1), () => around(4, NaN)]) {
    assert.throws(bad, /around spread: must be in \[0, 1\)/);
  }
  for (const bad of [() => around(4, 0.1, 0), () => around(4, 0.1, 2.5), () => around(4, 0.1, 1001)]) {
    assert.throws(bad, /around count: must be an integer from 1 to 1,000/);
  }
  assert.throws(() => around(Infinity, 0.1), /around center: must be a finite number/);
  assert.throws(() => around(0, 0.1), /around center: 0 has no band relative to it/);
});
