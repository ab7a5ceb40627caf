import assert from "node:assert/strict";
import { formatCount, formatFixed } from "../../lib/common/format.ts";
import { Rng } from "../../lib/common/rng.ts";

/**
 * Python's `f"{x:,.{digits}f}"` by exact arithmetic: the double is `m · 2^e` exactly, scaled by `10^digits`
 * and rounded half to even, then grouped.
 */
function pythonFixed(x: number, digits: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = exponent === 0 ? fraction : fraction | (1n << 52n);
  const e = (exponent === 0 ? 1 : exponent) - 1075;
  const scaled = mantissa * 10n ** BigInt(digits);
  let q: bigint;
  if (e >= 0) q = scaled << BigInt(e);
  else {
    const d = 1n << BigInt(-e);
    q = scaled / d;
    const twice = 2n * (scaled % d);
    if (twice > d || (twice === d && q % 2n === 1n)) q += 1n;
  }
  const text = q.toString().padStart(digits + 1, "0");
  const int = text.slice(0, text.length - digits).replace(/\B(?=(\d{3})+$)/g, ",");
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  return sign + int + (digits > 0 ? "." + text.slice(text.length - digits) : "");
}

Deno.test("formatFixed prints as Python's {:,.Nf}: the exact binary value, exact ties to even", () => {
  const rng = new Rng(11);
  const cases = [0, -0, 0.125, 0.375, 2.675, 1.005, 2.5, -2.5, 999.995, 1e21, 1.5e22, 123456789.5, 5e-324];
  for (let i = 0; i < 20_000; i++) {
    const kind = rng.int(4);
    // Ties (odd multiples of 1/8 and 1/2), short decimals, and arbitrary magnitudes.
    const x = kind === 0
      ? (2 * rng.int(1 << 20) + 1) / 8
      : kind === 1
      ? (2 * rng.int(1 << 20) + 1) / 2
      : kind === 2
      ? rng.int(1e7) / 1000
      : (rng.next() - 0.5) * 10 ** (rng.int(30) - 8);
    cases.push(rng.next() < 0.2 ? -x : x);
  }
  for (const x of cases) {
    for (const digits of [0, 1, 2, 3]) {
      assert.equal(formatFixed(x, digits), pythonFixed(x, digits), `${x}, ${digits}`);
    }
  }
});

Deno.test("formatCount drops trailing zeros of the same rounding; non-finite values print as a dash", () => {
  assert.equal(formatCount(2.675, 2), "2.67");
  assert.equal(formatCount(0.5, 0), "0");
  assert.equal(formatCount(1.5, 0), "2");
  assert.equal(formatCount(1234.5, 1), "1,234.5");
  assert.equal(formatCount(1234.04, 1), "1,234");
  for (const v of [NaN, Infinity, -Infinity, null, "3"]) {
    assert.equal(formatCount(v), "—");
    assert.equal(formatFixed(v, 2), "—");
  }
});
