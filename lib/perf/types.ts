/**
 * The timing interface between the engine and every perf model.
 *
 * The engine calls it once per forward pass (never per token) with batch aggregates, exactly as the reference
 * mocker does: the prefill part from the requests that computed prompt tokens in the pass, the decode part from
 * the requests that emitted a token. A pass takes `prefillMs + decodeMs`.
 *
 * @module
 */
import type { AicTables } from "./aic/tables.ts";
import type { ModelSpec } from "./catalog/arch.ts";
import type { GpuSpec } from "./catalog/gpus.ts";
import type { ProfileData } from "./profile.ts";
import type { SolModel } from "./sol.ts";

/** One forward pass's cost split into named operator groups (ms), for reports and fidelity checks. */
export type OpBreakdown = Readonly<Record<string, number>>;

/**
 * Predicts the duration of the two parts of a forward pass on one engine (one DP rank). Batches are the rank's
 * own. Under attention DP the group's ranks step together and vLLM pads each to the largest one's tokens, so a
 * model prices every rank as carrying this rank's shape (the MoE sees `attention_dp` times its tokens).
 *
 * Implementations are pure and cheap (they run once per pass); any caching is internal.
 */
export interface PerfModel {
  /** Short name for reports, e.g. `polynomial`. */
  readonly name: string;
  /**
   * Prefill part of a pass, in ms.
   * @param batch Requests that computed prompt tokens in the pass (> 0).
   * @param meanIsl Mean of (cached prefix + tokens computed so far incl. this pass) over those requests.
   * @param meanPrefix Mean of the tokens already in KV before this pass (cached prefix + earlier chunks).
   */
  prefillMs(batch: number, meanIsl: number, meanPrefix: number): number;
  /**
   * Decode part of a pass, in ms, before the engine's 1 ms floor and speed-up ratios.
   * @param batch Requests that emit a token at the end of the pass (> 0).
   * @param meanContext Mean sequence length (prompt + generated) of those requests.
   * @param activeKvTokens Tokens held in active KV blocks on this engine (active blocks × block size).
   */
  decodeMs(batch: number, meanContext: number, activeKvTokens: number): number;
  /**
   * Optional decode part of a mixed pass (one that also computes prompt tokens), in ms: what the decoding
   * requests add to {@link PerfModel.prefillMs} when both run as one forward pass. The weights are read once
   * for all the pass's tokens, so this is their attention plus the marginal cost of their tokens in every other
   * op, not a second weight-bound decode pass. Models without it (the reference ones) charge `decodeMs`.
   * @param prefillBatch The prefill part's `batch` (> 0).
   * @param prefillMeanIsl The prefill part's `meanIsl`.
   * @param prefillMeanPrefix The prefill part's `meanPrefix`.
   * @param batch Requests that decode in the pass (not those whose prompt completes in it).
   * @param meanContext Mean sequence length of those requests.
   */
  mixedDecodeMs?(
    prefillBatch: number,
    prefillMeanIsl: number,
    prefillMeanPrefix: number,
    batch: number,
    meanContext: number,
  ): number;
  /** Optional per-operator split of a prefill pass (same arguments as {@link PerfModel.prefillMs}). */
  prefillBreakdown?(batch: number, meanIsl: number, meanPrefix: number): OpBreakdown;
  /** Optional per-operator split of a decode pass (same arguments as {@link PerfModel.decodeMs}). */
  decodeBreakdown?(batch: number, meanContext: number, activeKvTokens: number): OpBreakdown;
  /**
   * Optional speed of light of the passes, by the same operator families as the breakdowns (built on each
   * call; for diagnostics). Models priced from an op decomposition have it.
   */
  roofline?(): SolModel;
  /**
   * Optional framework cost of one forward pass (CPU scheduling, input preparation, launch and sampling), in ms,
   * charged **once per pass** on top of `prefillMs + decodeMs`. Models without it (the reference ones) charge
   * nothing. The engine divides it by `speedup_ratio` like the rest of the pass.
   * @param prefillBatch Requests computing prompt tokens in the pass (0 if none).
   * @param decodeBatch Requests emitting a token at the end of the pass (0 if none).
   * @param kernelMs The pass's `prefillMs + decodeMs` (before speed-up ratios), for the launch time a pass
   *   without CUDA graphs cannot hide behind its kernels; 0 if unknown.
   */
  passOverheadMs?(prefillBatch: number, decodeBatch: number, kernelMs?: number): number;
}

/**
 * What a perf model needs from outside the pure core, read once before a run by `loadPerfInputs`: a model
 * `config.json` given as a path, AIC tables (table mode), a planner profile (profile mode). Empty for the
 * polynomial, fixed and catalog-model analytic models.
 */
export interface PerfInputs {
  /** The model read from `modelPath` (`aic_model_path` as given). */
  readonly model?: ModelSpec;
  readonly modelPath?: string;
  /** The GPU of `aic_system` in table mode: the catalog's, or a system file's for a system it lacks. */
  readonly gpu?: GpuSpec;
  /** AIC tables for the chosen system, backend and version (table mode). */
  readonly tables?: AicTables;
  /** What the perf model prices otherwise than the args ask, one line each, to show the user. */
  readonly warnings?: readonly string[];
  /** A planner profile (`planner_profile_data`). */
  readonly profile?: ProfileData;
}
