/**
 * Data the planner exchanges with the simulation: forward-pass metrics, traffic windows, worker counts and
 * scaling decisions (the reference's `core/types.py`).
 *
 * @module
 */

/** One forward-pass metrics record (FPM) of one engine rank: what it scheduled, what waited, how long it took. */
export interface Fpm {
  /** Worker (its first rank's engine id: the ranks of a worker share it) and DP rank the pass ran on. */
  readonly worker: number;
  readonly rank: number;
  /** Pass duration, seconds. */
  readonly wallTimeS: number;
  /** Requests that computed prompt tokens, the new tokens, and their KV length after the pass. */
  readonly numPrefill: number;
  readonly sumPrefillTokens: number;
  readonly sumPrefillKvTokens: number;
  /** Requests that emitted a token and the sum of their context lengths. */
  readonly numDecode: number;
  readonly sumDecodeKvTokens: number;
  /** Requests waiting at the pass start to prefill (all but the decode work below) and their tokens. */
  readonly numQueuedPrefill: number;
  readonly sumQueuedPrefillTokens: number;
  /**
   * Decode work waiting at the pass start and its KV tokens: preempted requests (prompt + generated), and on
   * disagg decode workers the hand-offs not yet running.
   */
  readonly numQueuedDecode: number;
  readonly sumQueuedDecodeKvTokens: number;
}

/** An FPM of an idle engine (no pass yet): nothing scheduled, nothing queued. */
export function idleFpm(worker: number, rank: number): Fpm {
  return {
    worker,
    rank,
    wallTimeS: 0,
    numPrefill: 0,
    sumPrefillTokens: 0,
    sumPrefillKvTokens: 0,
    numDecode: 0,
    sumDecodeKvTokens: 0,
    numQueuedPrefill: 0,
    sumQueuedPrefillTokens: 0,
    numQueuedDecode: 0,
    sumQueuedDecodeKvTokens: 0,
  };
}

/** Traffic over one throughput window, as the planner's predictors consume it. */
export interface TrafficObservation {
  readonly durationS: number;
  /** Requests counted in the window (at completion, the reference, or at arrival). */
  readonly numReq: number;
  readonly isl: number;
  readonly osl: number;
  /** Mean router-side KV hit rate, or null when no request was routed. */
  readonly kvHitRate: number | null;
  /** Visible tokens per decode request-forward, or null without decode forwards. */
  readonly acceptLength: number | null;
  /** Observed means (diagnostics only), null without samples. */
  readonly ttftMs: number | null;
  readonly itlMs: number | null;
}

/** Worker counts of one component at a tick. */
export interface ComponentCounts {
  /** Active (routable, non-draining) workers. */
  readonly ready: number;
  /** The last scale target until reached (= non-draining workers: active + starting). */
  readonly expected: number;
}

/** Static capabilities of one engine stage, as the reference derives them from the engine args. */
export interface EngineCapabilities {
  readonly numGpu: number;
  readonly maxNumBatchedTokens: number;
  readonly maxNumSeqs: number;
  /** `max_model_len`, null when unset (the reference's default). */
  readonly contextLength: number | null;
  /** KV tokens of one worker, all its ranks together (the reference's `num_gpu_blocks × block_size × dp`). */
  readonly maxKvTokens: number;
  /**
   * Engine ranks per worker (`dp_size`). Each rank reports its own FPM, so load decisions weigh a rank's KV
   * against its share, `maxKvTokens / ranks`.
   */
  readonly ranks: number;
  /**
   * Draft tokens per speculative-decoding step (the engine arg `aic_nextn`); 0 or unset without speculative
   * decoding. The decode (or agg) pool's bounds the observed accept length at `1 + nextn`.
   */
  readonly nextn?: number;
}

/**
 * The KV tokens of one rank of a worker with capabilities `c`: what that rank's FPM is weighed against.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rankKvTokens } from "./types.ts";
 * const caps = { numGpu: 8, maxNumBatchedTokens: 8192, maxNumSeqs: 256, contextLength: null };
 * assert.equal(rankKvTokens({ ...caps, maxKvTokens: 800_000, ranks: 8 }), 100_000);
 * ```
 */
export function rankKvTokens(c: EngineCapabilities): number {
  return c.maxKvTokens / c.ranks;
}

/** Engine stage capabilities of the planned topology (prefill only in disagg). */
export interface PlannerCapabilities {
  readonly prefill?: EngineCapabilities;
  readonly decode: EngineCapabilities;
}

/** A scaling decision: absolute targets, null = unchanged. */
export interface ScalingDecision {
  readonly prefill: number | null;
  readonly decode: number | null;
}

/** The planner's component names; `agg` workers are counted as decode, as in the reference. */
export type Component = "agg" | "prefill" | "decode";
