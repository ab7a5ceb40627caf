/**
 * The regression bootstrap of `pre_deployment_sweeping_mode: "rapid"` (the reference's `_generate_aic_*_fpms`):
 * synthetic FPMs swept over the engine's own perf model, so the planner's regressions are usable from the
 * first tick. The reference asks AIC and only when the engine args carry `aic_*` keys; dynolab asks whatever
 * {@link PerfModel} the engines run (polynomial, fixed, AIC, analytic), through the same pass timing the
 * engines apply, so the bootstrap always describes the simulated hardware.
 *
 * - Prefill: `prefillMs(1, isl, 0)` for `isl = 100, 100 + s, …, ≤ MBT` with `s = ⌊(MBT − 100) / g⌋`.
 * - Decode: `decodeMs(bs, ctx, bs · ctx)` for `ctx ∈ {500, 2000, 4000, 8000}` and `bs = 1, 1 + s', … ≤
 *   max_num_seqs` with `s' = ⌊max_num_seqs / g⌋`, stopping where `bs · ctx` exceeds the KV capacity.
 * - Points with a zero time are dropped. `g` is `--benchmark-granularity` (8).
 *
 * @module
 */
import { type EngineConfig, passDecodeMs, passOverheadMs, passPrefillMs } from "../engine/mod.ts";
import type { PerfModel } from "../perf/mod.ts";
import { type Fpm, idleFpm } from "./types.ts";

/** Context lengths of the decode sweep. */
export const DECODE_CONTEXTS: readonly number[] = [500, 2000, 4000, 8000];

/**
 * Prefill FPMs from the engine's perf model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prefillBootstrap } from "./bootstrap.ts";
 * import { resolveEngineArgs } from "../engine/mod.ts";
 * import { polynomialModel } from "../perf/mod.ts";
 * const { config } = resolveEngineArgs({}, "aggregated");
 * const fpms = prefillBootstrap(polynomialModel(16384 * 64), config, 8);
 * assert(fpms.length === 9 && fpms[0].sumPrefillTokens === 100 && fpms[8].sumPrefillTokens === 8188);
 * ```
 */
export function prefillBootstrap(perf: PerfModel, config: EngineConfig, granularity: number): Fpm[] {
  const mbt = config.maxNumBatchedTokens;
  const step = Math.max(1, Math.floor((mbt - 100) / granularity));
  const out: Fpm[] = [];
  for (let isl = 100; isl <= mbt; isl += step) {
    const kernels = passPrefillMs(perf, config, 1, isl, 0);
    const ms = kernels + passOverheadMs(perf, config, 1, 0, kernels);
    if (ms > 0) out.push({ ...idleFpm(-1, 0), wallTimeS: ms / 1000, numPrefill: 1, sumPrefillTokens: isl });
  }
  return out;
}

/** Decode FPMs from the engine's perf model (one rank's KV capacity bounds the sweep). */
export function decodeBootstrap(perf: PerfModel, config: EngineConfig, granularity: number): Fpm[] {
  const maxKv = config.numGpuBlocks * config.blockSize;
  const maxBs = config.maxNumSeqs;
  const step = Math.max(1, Math.floor(maxBs / granularity));
  const out: Fpm[] = [];
  for (const ctx of DECODE_CONTEXTS) {
    for (let bs = 1; bs <= maxBs; bs += step) {
      const kv = bs * ctx;
      if (kv > maxKv) break;
      const kernels = passDecodeMs(perf, config, bs, ctx, kv);
      const ms = kernels + passOverheadMs(perf, config, 0, bs, kernels);
      if (ms > 0) {
        out.push({ ...idleFpm(-1, 0), wallTimeS: ms / 1000, numDecode: bs, sumDecodeKvTokens: kv });
      }
    }
  }
  return out;
}

/** Bootstrap status values, as the reference reports them (`not_configured_load_only` when not run). */
export type BootstrapStatus = "installed" | "not_configured_load_only" | "not_required" | "empty";
