/**
 * Workloads: trace loaders and generators, all producing the same struct-of-arrays {@link Workload}.
 *
 * @module
 */
export type { Workload, WorkloadStats } from "./types.ts";
export { workloadStats } from "./types.ts";
export { type BuilderOptions, type BuildOptions, type RequestRow, WorkloadBuilder } from "./builder.ts";
export type { TokenBlocks } from "./block_ids.ts";
export { loadMooncake, type MooncakeOptions } from "./mooncake.ts";
export { type LoadOptions, loadWorkload } from "./load.ts";
export {
  DefaultWorkloadSchema,
  SyntheticWorkloadSchema,
  TRACE_FORMATS,
  TraceWorkloadSchema,
  type WorkloadSpec,
  type WorkloadSpecInput,
  WorkloadSpecSchema,
} from "./spec.ts";
