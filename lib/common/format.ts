/**
 * How numbers print in messages, text reports and findings prose.
 *
 * @module
 */

/**
 * `n` with thousands separators and at most `digits` decimals: `16,384`, `72.5`. Anything but a finite
 * number prints as `—`, so no `NaN` reaches a text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCount } from "./format.ts";
 * assert.equal(formatCount(2 ** 24), "16,777,216");
 * assert.equal(formatCount(1023.96), "1,024");
 * assert.equal(formatCount(72.04, 1), "72");
 * assert.equal(formatCount(undefined), "—");
 * ```
 */
export function formatCount(n: unknown, digits = 0): string {
  if (!isFinite(n)) return "—";
  const text = fixed(n, digits);
  return group(digits > 0 ? text.replace(/\.?0+$/, "") : text);
}

/**
 * `n` with thousands separators and exactly `digits` decimals: `1,234.50`, as Python's `f"{n:,.2f}"` prints
 * it (the reference's summary table): the double's exact value is rounded, and an exact tie goes to the even
 * digit, so 2.675 (2.67499…) prints `2.67` and 0.125 prints `0.12`. Anything but a finite number prints as `—`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatFixed } from "./format.ts";
 * assert.equal(formatFixed(1234.5, 2), "1,234.50");
 * assert.equal(formatFixed(72.04, 1), "72.0");
 * assert.equal(formatFixed(2.675, 2), "2.67");
 * assert.equal(formatFixed(0.375, 2), "0.38");
 * assert.equal(formatFixed(NaN, 1), "—");
 * ```
 */
export function formatFixed(n: unknown, digits = 0): string {
  return isFinite(n) ? group(fixed(n, digits)) : "—";
}

function isFinite(n: unknown): n is number {
  return typeof n === "number" && Number.isFinite(n);
}

/**
 * `n` to `digits` decimals without grouping, rounded as Python rounds: `toFixed` rounds the exact binary value
 * but takes the larger magnitude on an exact tie, and a tie is exactly an odd multiple of 2^-(digits + 1).
 */
function fixed(n: number, digits: number): string {
  const abs = Math.abs(n);
  const sign = n < 0 || Object.is(n, -0) ? "-" : "";
  // toFixed switches to exponent notation from 1e21; such doubles are integers, which BigInt prints exactly.
  if (abs >= 1e21) return `${sign}${BigInt(abs)}${digits > 0 ? "." + "0".repeat(digits) : ""}`;
  let text = abs.toFixed(digits);
  const scaled = abs * 2 ** (digits + 1);
  if (Number.isInteger(scaled) && scaled % 2 === 1 && Number(text.at(-1)) % 2 === 1) {
    // An exact tie rounded up to an odd last digit: the even neighbour is one below it (no borrow).
    text = text.slice(0, -1) + String(Number(text.at(-1)) - 1);
  }
  return sign + text;
}

/** Thousands separators in the integer part of a plain decimal string. */
function group(text: string): string {
  const dot = text.indexOf(".");
  const end = dot < 0 ? text.length : dot;
  const start = text.startsWith("-") ? 1 : 0;
  let out = text.slice(end);
  let i = end;
  for (; i - 3 > start; i -= 3) out = "," + text.slice(i - 3, i) + out;
  return text.slice(0, i) + out;
}
