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
  return format(n, { maximumFractionDigits: digits });
}

/**
 * `n` with thousands separators and exactly `digits` decimals: `1,234.50`. Anything but a finite number
 * prints as `—`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatFixed } from "./format.ts";
 * assert.equal(formatFixed(1234.5, 2), "1,234.50");
 * assert.equal(formatFixed(72.04, 1), "72.0");
 * assert.equal(formatFixed(NaN, 1), "—");
 * ```
 */
export function formatFixed(n: unknown, digits = 0): string {
  return format(n, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function format(n: unknown, options: Intl.NumberFormatOptions): string {
  return typeof n === "number" && Number.isFinite(n) ? n.toLocaleString("en-US", options) : "—";
}
