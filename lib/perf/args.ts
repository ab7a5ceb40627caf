/**
 * The engine args the perf models read, declared here as structural subsets of the engine's `EngineArgs` so
 * that perf needs nothing from the engine, and which of them select a model-based timing.
 *
 * @module
 */
import type { CudagraphMode } from "./analytic/overhead.ts";
import type { Sampling } from "./sampling.ts";

/** The engine-arg fields the setup reads (a subset of `EngineArgs`). */
export interface SetupArgs {
  readonly engine_type?: string;
  readonly aic_backend?: string | null;
  readonly aic_system?: string | null;
  readonly aic_systems_path?: string | null;
  readonly aic_backend_version?: string | null;
  readonly aic_tp_size?: number | null;
  readonly aic_model_path?: string | null;
  readonly aic_moe_tp_size?: number | null;
  readonly aic_moe_ep_size?: number | null;
  readonly aic_attention_dp_size?: number | null;
  readonly aic_gemm_dtype?: string | null;
  readonly aic_moe_dtype?: string | null;
  readonly aic_fmha_dtype?: string | null;
  readonly aic_kv_cache_dtype?: string | null;
  readonly aic_comm_dtype?: string | null;
  readonly aic_nextn?: number | null;
  readonly moe_backend?: string | null;
}

/** The engine-arg fields that pick and build a perf model (a subset of `EngineArgs`). */
export interface PerfArgs extends SetupArgs {
  readonly timing_model?:
    | "polynomial"
    | { readonly prefill_ms: number; readonly prefill_ms_per_token: number; readonly decode_ms: number }
    | null;
  readonly planner_profile_data?: string | null;
  readonly framework_overhead?: boolean | null;
  readonly sampling?: Sampling | null;
  readonly async_scheduling?: boolean;
  readonly cudagraph_mode?: CudagraphMode;
}

/**
 * The keys that select a model-based timing. Parallelism alone (`aic_tp_size`, `aic_attention_dp_size`,
 * `aic_moe_*`) does not: as in the reference, it then only sets the GPUs per worker and the polynomial model
 * stays in charge.
 */
const SETUP_KEYS = [
  "aic_backend",
  "aic_system",
  "aic_systems_path",
  "aic_backend_version",
  "aic_model_path",
  "aic_gemm_dtype",
  "aic_moe_dtype",
  "aic_fmha_dtype",
  "aic_kv_cache_dtype",
  "aic_comm_dtype",
] as const;

/**
 * Whether any `aic_*` setting that selects a model-based perf model is present (see `SETUP_KEYS`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wantsModelTiming } from "./args.ts";
 * assert(wantsModelTiming({ aic_model_path: "Qwen/Qwen3-32B" }));
 * assert(!wantsModelTiming({ aic_tp_size: 4 }));
 * ```
 */
export function wantsModelTiming(args: SetupArgs): boolean {
  return SETUP_KEYS.some((k) => args[k] != null);
}
