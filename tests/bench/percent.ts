/**
 * The number formatting and summary statistics the fidelity reports share.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mean, median, pct, signedPct } from "./percent.ts";
 * assert.equal(pct(0.0512), "5.1%");
 * assert.equal(signedPct(0.0512), "+5.1%");
 * assert.equal(signedPct(-0.2), "-20.0%");
 * assert.equal(mean([1, 2, 6]), 3);
 * assert.equal(median([3, 1, 2, 4]), 3); // the upper middle of an even count
 * ```
 *
 * @module
 */

/** A ratio as a percentage with one decimal, e.g. `5.1%`. */
export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** {@link pct} with an explicit `+` on non-negative values: a signed error. */
export const signedPct = (x: number): string => `${x >= 0 ? "+" : ""}${pct(x)}`;

/** Arithmetic mean. */
export const mean = (e: readonly number[]): number => e.reduce((a, b) => a + b, 0) / e.length;

/** Mean of the absolute values: the MAPE of relative errors. */
export const meanAbs = (e: readonly number[]): number => mean(e.map(Math.abs));

/** The middle value (the upper middle of an even count). */
export const median = (e: readonly number[]): number => e.slice().sort((a, b) => a - b)[e.length >> 1];
