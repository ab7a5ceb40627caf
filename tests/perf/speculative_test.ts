import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { expectedBurst, parseAcceptRates, speculativeConfig } from "../../lib/perf/speculative.ts";

Deno.test("accept rates default to [0.85, 0.3, 0, 0, 0] truncated to nextn", () => {
  assert.deepEqual(parseAcceptRates(undefined, 1), [0.85]);
  assert.deepEqual(parseAcceptRates(null, 5), [0.85, 0.3, 0, 0, 0]);
  assert.deepEqual(speculativeConfig({ aic_nextn: 3 }), { nextn: 3, acceptRates: [0.85, 0.3, 0] });
  assert.equal(speculativeConfig({ aic_nextn: null }), undefined);
});

Deno.test("accept rates parse from a comma-separated string or a list, padded with zeros", () => {
  assert.deepEqual(parseAcceptRates(" 0.9,0.5 ", 3), [0.9, 0.5, 0]);
  assert.deepEqual(parseAcceptRates("1,0", 2), [1, 0]);
  assert.deepEqual(parseAcceptRates([0.9, 0.5], 3), [0.9, 0.5, 0]);
  assert.deepEqual(speculativeConfig({ aic_nextn: 2, aic_nextn_accept_rates: [0.7] }), {
    nextn: 2,
    acceptRates: [0.7, 0],
  });
});

Deno.test("a rate outside [0, 1] or not a number is an error naming the value", () => {
  for (const [text, bad] of [["0.9,1.2", "1.2"], ["-0.1", "-0.1"], ["0.5,abc", "abc"]]) {
    assert.throws(() => speculativeConfig({ aic_nextn: 2, aic_nextn_accept_rates: text }), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, /aic_nextn_accept_rates/);
      assert.ok(e.message.includes(`"${bad}"`), e.message);
      assert.match(e.message, /\[0, 1\]/);
      return true;
    });
  }
  assert.throws(() => parseAcceptRates("0.5,0.5,0.5", 2), /at most 2/);
  assert.throws(() => parseAcceptRates([0.5, 1.5], 2), /"1\.5" is not an acceptance rate/);
  assert.throws(() => parseAcceptRates([0.5, 0.5, 0.5], 2), /at most 2/);
  assert.throws(() => speculativeConfig({ aic_nextn_accept_rates: "0.5" }), /needs aic_nextn/);
});

Deno.test("expected burst is 1 + r1 + r1·r2 + …", () => {
  assert.equal(expectedBurst([]), 1);
  assert.ok(Math.abs(expectedBurst([0.85, 0.3]) - 2.105) < 1e-12);
  assert.equal(expectedBurst([1, 1, 1]), 4);
});

Deno.test("an empty list of rates is an error, not all-zero rates", () => {
  for (const empty of ["", " , ", []]) {
    assert.throws(
      () => speculativeConfig({ aic_nextn: 2, aic_nextn_accept_rates: empty }),
      /aic_nextn_accept_rates: gives no rates; give 1 to 2, or leave it unset for the defaults/,
    );
  }
});
