import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { range } from "../../mod.ts";

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
