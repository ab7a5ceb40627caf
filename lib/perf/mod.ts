/**
 * Perf models: predict each forward pass's duration.
 *
 * The engine depends only on the {@link PerfModel} interface; {@link createPerfModel} picks the model an
 * engine's args ask for.
 *
 * @module
 */
import type { EngineArgs, EngineConfig } from "../engine/args.ts";
import { fixedModel } from "./fixed.ts";
import { polynomialModel } from "./polynomial.ts";
import type { PerfModel } from "./types.ts";

export type { OpBreakdown, PerfModel } from "./types.ts";
export { polynomialModel } from "./polynomial.ts";
export { fixedModel, type FixedTiming } from "./fixed.ts";

/**
 * The perf model for one engine rank, from its validated args and resolved config.
 *
 * @example
 * ```ts
 * import { resolveEngineArgs } from "../engine/args.ts";
 * import { createPerfModel } from "./mod.ts";
 * const { args, config } = resolveEngineArgs({}, "aggregated");
 * console.assert(createPerfModel(args, config).name === "polynomial");
 * ```
 */
export function createPerfModel(args: EngineArgs, config: EngineConfig): PerfModel {
  const timing = args.timing_model;
  if (timing != null && timing !== "polynomial") {
    return fixedModel({
      prefillMs: timing.prefill_ms,
      prefillMsPerToken: timing.prefill_ms_per_token,
      decodeMs: timing.decode_ms,
    });
  }
  return polynomialModel(config.numGpuBlocks * config.blockSize);
}
