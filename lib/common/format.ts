/**
 * How numbers print in messages and text reports.
 *
 * @module
 */

/**
 * `n` with thousands separators and at most `digits` decimals: `16,384`, `72.5`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCount } from "./format.ts";
 * assert.equal(formatCount(2 ** 24), "16,777,216");
 * assert.equal(formatCount(1023.96), "1,024");
 * assert.equal(formatCount(72.04, 1), "72");
 * ```
 */
export function formatCount(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits });
}
