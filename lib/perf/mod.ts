/**
 * Perf models: predict each forward pass's duration.
 *
 * The engine depends only on the {@link PerfModel} interface; {@link createPerfModel} picks the model an engine's
 * args ask for, in this order:
 *
 * 1. `timing_model` (dynolab extension): `"polynomial"` or a fixed model;
 * 2. `planner_profile_data`: profile mode (interpolated planner profile, the mocker's `.npz` or JSON);
 * 3. `aic_systems_path` (or `DYNOLAB_AIC_SYSTEMS`) with `aic_*` args: AIC table mode;
 * 4. other `aic_*` args (at least `aic_model_path`): the analytic model;
 * 5. otherwise the reference's polynomial model.
 *
 * Whatever needs files is read first by {@link loadPerfInputs} (async, at the edge); building and running the
 * model is synchronous and pure.
 *
 * @module
 */
import { InputError, type InputLocation } from "../common/errors.ts";
import { analyticModel } from "./analytic/model.ts";
import { tableModel } from "./aic/table_model.ts";
import { fixedModel } from "./fixed.ts";
import { polynomialModel } from "./polynomial.ts";
import { profileModel } from "./profile.ts";
import { type PerfArgs, wantsModelTiming } from "./args.ts";
import { resolvePerfSetup } from "./setup.ts";
import type { PerfInputs, PerfModel } from "./types.ts";

export type { OpBreakdown, PerfInputs, PerfModel } from "./types.ts";
export { type SolBreakdown, type SolModel, solModel, type SolTime, sumSol } from "./sol.ts";
export { OP_FAMILIES, type OpFamily } from "./ops.ts";
export { polynomialModel } from "./polynomial.ts";
export { fixedModel, type FixedTiming } from "./fixed.ts";
export { analyticModel } from "./analytic/model.ts";
export { tableModel } from "./aic/table_model.ts";
export { parseProfile, type ProfileData, profileModel } from "./profile.ts";
export { AIC_SYSTEMS_ENV, loadPerfInputs } from "./inputs.ts";
export { type PerfArgs, wantsModelTiming } from "./args.ts";
export { type Backend, BACKEND_VERSIONS, type PerfSetup, resolvePerfSetup } from "./setup.ts";
export {
  deriveKvCapacity,
  hybridBlockSize,
  type KvCapacity,
  stateBlocksPerSeq,
  windowBlocks,
} from "./capacity.ts";
export { generationSampling, type Sampling, SAMPLINGS } from "./sampling.ts";
export { CUDAGRAPH_MODES, type CudagraphMode } from "./analytic/overhead.ts";
export { MOE_BACKENDS, type MoeBackend } from "./aic/kernels.ts";
export {
  FRONTEND_LATENCY,
  type FrontendLatency,
  frontendLatencyMs,
  NO_FRONTEND_LATENCY,
  type TokenizerKind,
} from "./frontend.ts";
export { expectedBurst, parseAcceptRates, type SpeculativeConfig, speculativeConfig } from "./speculative.ts";
export { GPU_IDS, GPUS, type GpuSpec } from "./catalog/gpus.ts";
export { catalogModel, MODEL_IDS, MODELS } from "./catalog/models.ts";
export { type ModelSpec } from "./catalog/arch.ts";
export {
  kvBytesPerToken,
  linearStateBytesPerSeqPerGpu,
  slidingKvBytesPerTokenPerGpu,
} from "./catalog/footprint.ts";

/** The size of an engine's KV cache, which the reference's polynomial model scales with. */
export interface KvCacheSize {
  readonly numGpuBlocks: number;
  readonly blockSize: number;
}

/**
 * The perf model for one engine, from its validated args and resolved config (an `EngineConfig`; only its KV
 * size is read), and, for models that need files, what {@link loadPerfInputs} read for the same args.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPerfModel } from "./mod.ts";
 * const kv = { numGpuBlocks: 16384, blockSize: 16 };
 * assert(createPerfModel({}, kv).name === "polynomial");
 * assert(createPerfModel({ aic_model_path: "meta-llama/Llama-3.1-8B-Instruct" }, kv).name === "analytic");
 * ```
 */
export function createPerfModel(
  args: PerfArgs,
  config: KvCacheSize,
  inputs: PerfInputs = {},
  what = "engine args",
  at: InputLocation = {},
): PerfModel {
  const timing = args.timing_model;
  if (timing === "polynomial") return polynomialModel(config.numGpuBlocks * config.blockSize);
  if (timing != null) {
    return fixedModel({
      prefillMs: timing.prefill_ms,
      prefillMsPerToken: timing.prefill_ms_per_token,
      decodeMs: timing.decode_ms,
    });
  }
  if (args.planner_profile_data != null) {
    if (!inputs.profile) {
      throw new InputError("the profile was not loaded; call loadPerfInputs(args) first", {
        ...at,
        field: `${what}.planner_profile_data`,
      });
    }
    return profileModel(inputs.profile);
  }
  if (wantsModelTiming(args)) {
    const setup = resolvePerfSetup(args, inputs, what, at)!;
    const options = {
      frameworkOverhead: args.framework_overhead ?? true,
      sampling: args.sampling ?? undefined,
      asyncScheduling: args.async_scheduling,
      cudagraphMode: args.cudagraph_mode,
    };
    if (inputs.tables) return tableModel(setup, inputs.tables, options);
    if (args.aic_systems_path != null) {
      throw new InputError("the AIC tables were not loaded; call loadPerfInputs(args) first", {
        ...at,
        field: `${what}.aic_systems_path`,
      });
    }
    return analyticModel(setup, options);
  }
  return polynomialModel(config.numGpuBlocks * config.blockSize);
}
