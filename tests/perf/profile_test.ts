import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { interp1, interp2, parseProfile, profileModel } from "../../lib/perf/profile.ts";

const PROFILE = {
  prefill_isl: [100, 1000, 4000],
  prefill_ttft_ms: [10, 40, 190],
  decode_active_kv_tokens: [1000, 11000],
  decode_context_length: [100, 1100],
  decode_itl: [[5, 6], [7, 10]],
};

Deno.test("prefill interpolates on T = batch × (isl − prefix) and extrapolates linearly", () => {
  const m = profileModel(parseProfile(PROFILE));
  assert.equal(m.prefillMs(1, 1000, 0), 40); // exact
  assert.equal(m.prefillMs(2, 1000, 450), 45); // T = 1100: 40 + 100 · 150/3000
  assert.equal(m.prefillMs(1, 2500, 0), 115);
  assert.equal(m.prefillMs(1, 5000, 0), 240); // beyond: slope 0.05 ms/token
  assert.ok(Math.abs(m.prefillMs(1, 50, 0) - (10 - 50 / 30)) < 1e-12); // below: slope 1/30
  assert.equal(m.prefillMs(3, 100, 100), 0); // nothing new
});

Deno.test("decode is bilinear on (active KV tokens, mean context), extrapolated linearly", () => {
  const m = profileModel(parseProfile(PROFILE));
  assert.equal(m.decodeMs(8, 100, 1000), 5);
  assert.equal(m.decodeMs(8, 600, 6000), 7);
  assert.equal(m.decodeMs(8, 2100, 1000), 7); // context beyond: slope 1 ms / 1000
  assert.equal(interp2([0, 1], [0, 1], [[0, 1], [1, 2]], 2, 2), 4);
  assert.equal(interp1([0, 10], [0, 5], -10), -5);
  // A decode extrapolation at or below 0 takes the reference's 1 ms floor.
  assert.equal(m.decodeMs(1, -100_000, 0), 1);
});

Deno.test("profile validation names the bad key", () => {
  const bad = (patch: Record<string, unknown>, re: RegExp) =>
    assert.throws(() => parseProfile({ ...PROFILE, ...patch }, { file: "p.json" }), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, re);
      return true;
    });
  bad({ prefill_ttft_ms: [1, 2] }, /p\.json: prefill_ttft_ms: has 2 values for 3 prefill_isl/);
  bad({ prefill_isl: [100, 100, 200] }, /prefill_isl: must be strictly ascending/);
  bad({ decode_itl: [[5, 6]] }, /decode_itl: must have 2 rows/);
  bad({ decode_itl: [[5, 6], [7]] }, /decode_itl\[1\]/);
  bad({ extra: 1 }, /unknown key "extra"/);
  bad(
    { prefill_ttft_ms: [10, -20, 30] },
    /prefill_ttft_ms: must be an array of at least 2 numbers from 0 to 1000000000/,
  );
  // Values no deployment has, whose extrapolations would overflow the report's statistics.
  bad({ prefill_ttft_ms: [10, 20, 1e300] }, /prefill_ttft_ms: must be an array/);
  bad({ decode_active_kv_tokens: [0, 2 ** 31] }, /decode_active_kv_tokens: .* from 0 to 2147483647/);
  bad({ decode_itl: [[5, 6], [7, -1]] }, /decode_itl\[1\]: must be an array/);
  bad({ decode_context_length: undefined }, /decode_context_length: is missing; a profile needs prefill_isl/);
});
