/**
 * An engine's lifetime pass totals ({@link PassTotals}), and what reports draw from them: the busy time by part
 * and typical passes, a prefill pass and a decode pass at a run's mean aggregates, priced as the engine prices
 * passes and split by operator family where the perf model can, so a report says where a pass's time goes.
 *
 * @module
 */
import type { PerfModel } from "../perf/mod.ts";
import { type PassPrice, priceDecodePass, pricePrefillPass, type SpeedupRatios } from "./pass_price.ts";
import type { PassStats, PassTotals } from "./types.ts";

/** A prefill pass at the mean of the passes that computed prompt tokens, and its price. */
export interface TypicalPrefillPass extends PassPrice {
  /** Requests computing prompt tokens (the mean, rounded). */
  readonly requests: number;
  /** Their mean KV length after the pass, and the mean of it cached or computed before the pass. */
  readonly meanIsl: number;
  readonly meanPrefix: number;
}

/** A decode-only pass at the mean of the passes in which decoding requests emitted, and its price. */
export interface TypicalDecodePass extends PassPrice {
  /** Decoding requests (the mean, rounded). */
  readonly requests: number;
  /** Their mean context length, and the engine's mean active KV tokens. */
  readonly meanContext: number;
  readonly activeKvTokens: number;
}

/** {@link typicalPasses}'s result: each part that some pass had. */
export interface TypicalPasses {
  readonly prefill?: TypicalPrefillPass;
  readonly decode?: TypicalDecodePass;
}

/**
 * The typical prefill and decode pass of engines whose lifetime sums are `totals`: each at the mean aggregates
 * of the passes that had that part (requests rounded to a whole batch, lengths floored as the engine floors
 * them), priced with the engine's timing rules. A mean pass is not the mean of the passes' times (pass time
 * is not linear in its aggregates); it shows the shape of a pass, not the run's busy time, which `totals`
 * holds exactly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { typicalPasses } from "./pass_totals.ts";
 * import { fixedModel } from "../perf/mod.ts";
 * const perf = fixedModel({ prefillMs: 2, prefillMsPerToken: 0.01, decodeMs: 5 });
 * const cfg = { speedupRatio: 1, decodeSpeedupRatio: 1 };
 * const totals = {
 *   prefillMs: 0, decodeMs: 0, overheadMs: 0,
 *   prefillPasses: 2, prefillRequests: 3, prefillKvTokens: 3000, prefillPrefixTokens: 600,
 *   decodePasses: 0, decodeRequests: 0, decodeContextTokens: 0, decodeActiveKvTokens: 0,
 * };
 * const t = typicalPasses(perf, cfg, totals);
 * assert.deepEqual([t.prefill?.requests, t.prefill?.meanIsl, t.prefill?.meanPrefix], [2, 1000, 200]);
 * assert.equal(t.decode, undefined);
 * ```
 */
export function typicalPasses(
  perf: PerfModel,
  cfg: SpeedupRatios,
  totals: PassTotals,
): TypicalPasses {
  let prefill: TypicalPrefillPass | undefined;
  if (totals.prefillPasses > 0) {
    const requests = Math.max(1, Math.round(totals.prefillRequests / totals.prefillPasses));
    const meanIsl = Math.floor(totals.prefillKvTokens / totals.prefillRequests);
    const meanPrefix = Math.floor(totals.prefillPrefixTokens / totals.prefillRequests);
    prefill = {
      requests,
      meanIsl,
      meanPrefix,
      ...pricePrefillPass(perf, cfg, requests, meanIsl, meanPrefix),
    };
  }
  let decode: TypicalDecodePass | undefined;
  if (totals.decodePasses > 0) {
    const requests = Math.max(1, Math.round(totals.decodeRequests / totals.decodePasses));
    const meanContext = Math.floor(totals.decodeContextTokens / totals.decodeRequests);
    const activeKvTokens = Math.round(totals.decodeActiveKvTokens / totals.decodePasses);
    decode = {
      requests,
      meanContext,
      activeKvTokens,
      ...priceDecodePass(perf, cfg, requests, meanContext, activeKvTokens),
    };
  }
  return { prefill, decode };
}

/**
 * The sums of several engines' {@link PassTotals} (a pool's ranks).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sumPassTotals } from "./pass_totals.ts";
 * const one = {
 *   prefillMs: 1, decodeMs: 2, overheadMs: 0.5,
 *   prefillPasses: 1, prefillRequests: 1, prefillKvTokens: 100, prefillPrefixTokens: 0,
 *   decodePasses: 2, decodeRequests: 4, decodeContextTokens: 420, decodeActiveKvTokens: 512,
 * };
 * assert.equal(sumPassTotals([one, one]).decodeRequests, 8);
 * ```
 */
export function sumPassTotals(totals: readonly PassTotals[]): PassTotals {
  const sum = emptyPassTotals();
  const keys = Object.keys(sum) as (keyof PassTotals)[];
  for (const t of totals) for (const k of keys) sum[k] += t[k];
  return sum;
}

/**
 * Add a pass to `t`: its parts' times and prefill aggregates from `s` (the pass's {@link PassStats}), and the
 * requests that were already decoding (`decoding`, their summed context lengths `decodingContext`) with the
 * engine's active KV tokens, which `s` does not separate from the prompts completing in the pass.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addPass, emptyPassTotals } from "./pass_totals.ts";
 * const t = emptyPassTotals();
 * const pass = {
 *   prefillRequests: 1, prefillTokens: 512, prefillKvTokens: 1024, decodeRequests: 3, decodeKvTokens: 3024,
 *   queuedRequests: 0, queuedTokens: 0, prefillMs: 20, decodeMs: 1, overheadMs: 0.5, wallMs: 21.5,
 * };
 * addPass(t, pass, 2, 2000, 4096);
 * assert.deepEqual([t.prefillPrefixTokens, t.decodeRequests, t.decodeContextTokens], [512, 2, 2000]);
 * ```
 */
export function addPass(
  t: PassTotals,
  s: PassStats,
  decoding: number,
  decodingContext: number,
  activeKvTokens: number,
): void {
  t.prefillMs += s.prefillMs;
  t.decodeMs += s.decodeMs;
  t.overheadMs += s.overheadMs;
  if (s.prefillRequests > 0) {
    t.prefillPasses++;
    t.prefillRequests += s.prefillRequests;
    t.prefillKvTokens += s.prefillKvTokens;
    t.prefillPrefixTokens += s.prefillKvTokens - s.prefillTokens;
  }
  if (decoding > 0) {
    t.decodePasses++;
    t.decodeRequests += decoding;
    t.decodeContextTokens += decodingContext;
    t.decodeActiveKvTokens += activeKvTokens;
  }
}

/** Totals of no pass yet: every sum 0. */
export function emptyPassTotals(): PassTotals {
  return {
    prefillMs: 0,
    decodeMs: 0,
    overheadMs: 0,
    prefillPasses: 0,
    prefillRequests: 0,
    prefillKvTokens: 0,
    prefillPrefixTokens: 0,
    decodePasses: 0,
    decodeRequests: 0,
    decodeContextTokens: 0,
    decodeActiveKvTokens: 0,
  };
}
