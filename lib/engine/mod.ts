/**
 * The simulated engine: engine args, the vLLM-style scheduler, the paged KV pool.
 *
 * @module
 */
export {
  DEFAULT_NUM_GPU_BLOCKS,
  ENGINE_ARG_KEYS,
  type EngineArgs,
  type EngineArgsInput,
  EngineArgsSchema,
  type EngineConfig,
  type ResolvedEngine,
  resolveEngineArgs,
  type WorkerRole,
} from "./args.ts";
export { Engine } from "./engine.ts";
export type { PassStats, RejectReason, Speculative } from "./types.ts";
export { passDecodeMs, passPrefillMs } from "./timing.ts";
export { KvPool } from "./kv_pool.ts";
export { RequestTable } from "./requests.ts";
