/**
 * The reference mocker's default polynomial timing model (`lib/mocker/src/common/perf_model.rs`).
 *
 * @module
 */
import type { PerfModel } from "./types.ts";

/**
 * Polynomial timing: prefill is quadratic in the pass's new tokens; decode depends only on KV utilisation
 * `u = activeKvTokens / totalKvTokens` (clamped to 1, as AISimulate does). Decode ignores the batch size, a
 * known limitation of the reference (its §9 item 1) kept here for compatibility.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { polynomialModel } from "./polynomial.ts";
 * const m = polynomialModel(16384 * 64);
 * assert(Math.abs(m.prefillMs(1, 1024, 0) - 32.49) < 0.01);
 * assert(Math.abs(m.decodeMs(8, 1000, 0) - 5.74) < 1e-9);
 * ```
 */
export function polynomialModel(totalKvTokens: number): PerfModel {
  return {
    name: "polynomial",
    prefillMs(batch, meanIsl, meanPrefix) {
      const t = batch * (meanIsl - meanPrefix);
      if (t <= 0) return 0;
      return Math.max(0, 4.209989e-7 * t * t + 1.518344e-2 * t + 1.650142e1);
    },
    decodeMs(_batch, _meanContext, activeKvTokens) {
      const u = Math.min(1, activeKvTokens / totalKvTokens);
      return Math.max(1, -25.74 * u * u + 54.01 * u + 5.74);
    },
  };
}
