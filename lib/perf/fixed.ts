/**
 * A fixed-time model: constant cost per pass part, plus an optional per-token prefill cost. For closed-form tests
 * and for "what if the engine were this fast" studies.
 *
 * @module
 */
import type { PerfModel } from "./types.ts";

/** Parameters of {@link fixedModel}, in ms. */
export interface FixedTiming {
  /** Cost of the prefill part of any pass that computes prompt tokens. */
  readonly prefillMs: number;
  /** Extra prefill cost per new (uncached) prompt token in the pass. */
  readonly prefillMsPerToken: number;
  /** Cost of the decode part of any pass that emits tokens. */
  readonly decodeMs: number;
}

/**
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fixedModel } from "./fixed.ts";
 * const m = fixedModel({ prefillMs: 10, prefillMsPerToken: 0.01, decodeMs: 5 });
 * assert(m.prefillMs(2, 1000, 500) === 20 && m.decodeMs(64, 2000, 1e6) === 5);
 * ```
 */
export function fixedModel(t: FixedTiming): PerfModel {
  return {
    name: "fixed",
    prefillMs(batch, meanIsl, meanPrefix) {
      const tokens = batch * (meanIsl - meanPrefix);
      return tokens > 0 ? t.prefillMs + t.prefillMsPerToken * tokens : 0;
    },
    decodeMs() {
      return t.decodeMs;
    },
  };
}
