/**
 * The simulated engine: engine args and their resolved config, the vLLM-style and SGLang schedulers, the paged KV
 * pool.
 *
 * @module
 */
export {
  ENGINE_ARG_KEYS,
  type EngineArgs,
  type EngineArgsInput,
  EngineArgsSchema,
  formatBound,
  MAX_GBPS,
  MAX_KV_BYTES_PER_TOKEN,
  MAX_STARTUP_S,
  MAX_TERM_MS,
  MIN_GBPS,
  MIN_TIMING_MS,
  parseEngineArgs,
  speedupFactor,
} from "./args.ts";
export {
  blockSizeSource,
  DEFAULT_NUM_GPU_BLOCKS,
  type EngineConfig,
  requestedBlockSize,
  type ResolvedEngine,
  resolveEngineArgs,
  type WorkerRole,
} from "./config.ts";
export { Engine, type PassScheduler } from "./engine.ts";
export { VllmScheduler } from "./vllm.ts";
export { MIXED_DECODE_OP, OpTotals } from "./op_totals.ts";
export type { PassStats, PassTotals, RejectReason, Speculative } from "./types.ts";
export {
  sumPassTotals,
  type TypicalDecodePass,
  type TypicalPasses,
  typicalPasses,
  type TypicalPrefillPass,
} from "./pass_totals.ts";
export { passDecodeMs, passOverheadMs, passPrefillMs } from "./timing.ts";
export { type PassPrice, priceDecodePass, pricePrefillPass, type SpeedupRatios } from "./pass_price.ts";
export { KvPool } from "./kv_pool.ts";
export { HostTier, type HostTierConfig } from "./host_tier.ts";
export { type SglangSchedule, SglangScheduler } from "./sglang.ts";
export { type HostTierSummary, hostTierSummary, Offload } from "./offload.ts";
export {
  LowerTiers,
  lowerTiersBytes,
  type LowerTiersConfig,
  type LowerTiersSummary,
  lowerTiersSummary,
  ObjectStore,
  type Staged,
} from "./lower_tiers.ts";
export { sideBlocks } from "./admission.ts";
export { RequestTable } from "./requests.ts";
