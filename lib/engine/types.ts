/**
 * Types the engine shares with the cluster, the planner and reports.
 *
 * @module
 */
import type { Rng } from "../common/rng.ts";

/** Speculative decoding (MTP/Eagle) of an engine: conditional acceptance rates per draft position. */
export interface Speculative {
  readonly acceptRates: readonly number[];
  /** This rank's stream (the reference seeds with `aic_mtp_seed` + rank). */
  readonly rng: Rng;
}

/** Aggregates of the last pass: the forward-pass metrics (FPM) the planner and reports read. */
export interface PassStats {
  /** Requests that computed prompt tokens, their new tokens, and their KV length after the pass. */
  prefillRequests: number;
  prefillTokens: number;
  prefillKvTokens: number;
  /** Requests that emitted tokens, and the sum of their context lengths. */
  decodeRequests: number;
  decodeKvTokens: number;
  /** Waiting requests and their known tokens, at the pass start (on a decode rank, with the hand-offs whose KV
   * has not landed yet). */
  queuedRequests: number;
  queuedTokens: number;
  prefillMs: number;
  decodeMs: number;
  /** Framework cost charged once for the pass (perf model's `passOverheadMs`), after speed-up. */
  overheadMs: number;
  /**
   * How long the pass lasted: its parts' sum, or under attention DP the group's pass, which ends with its
   * slowest rank (the FPM's `wall_time_secs`).
   */
  wallMs: number;
}

/**
 * An engine's lifetime sums over its passes: the busy time by part and the aggregates a typical pass is drawn
 * from (`typicalPasses`).
 */
export interface PassTotals {
  /** The prefill, decode and overhead parts of every pass, as charged (ms, after speed-up ratios). */
  prefillMs: number;
  decodeMs: number;
  overheadMs: number;
  /** Passes that computed prompt tokens; over them, the requests that did, their KV tokens after the pass and their tokens cached or computed before it. */
  prefillPasses: number;
  prefillRequests: number;
  prefillKvTokens: number;
  prefillPrefixTokens: number;
  /** Passes in which requests already decoding emitted; over them, those requests, their context lengths and the engine's active KV tokens. */
  decodePasses: number;
  decodeRequests: number;
  decodeContextTokens: number;
  decodeActiveKvTokens: number;
}

export type { RejectReason } from "../metrics/mod.ts";
