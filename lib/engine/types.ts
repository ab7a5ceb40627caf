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
  /** Waiting requests and their known tokens, at the pass start. */
  queuedRequests: number;
  queuedTokens: number;
  prefillMs: number;
  decodeMs: number;
  /** Framework cost charged once for the pass (perf model's `passOverheadMs`), after speed-up. */
  overheadMs: number;
}

export type { RejectReason } from "../metrics/mod.ts";
