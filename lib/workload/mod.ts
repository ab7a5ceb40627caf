/**
 * Workloads: trace loaders and generators, all producing the same struct-of-arrays {@link Workload}.
 *
 * @module
 */
export type { RoutingHints, Trajectories, Workload, WorkloadStats } from "./types.ts";
export { nominalArrivals, workloadStats } from "./types.ts";
export { type BuilderOptions, type BuildOptions, WorkloadBuilder } from "./builder.ts";
export type { Dependency, RequestRow } from "./request_row.ts";
export type { TokenBlocks } from "./block_ids.ts";
export { clampWarnings, loadMooncake, type MooncakeOptions } from "./mooncake.ts";
export { AZURE_COLUMNS, type AzureOptions, loadAzure, parseWallClock } from "./azure.ts";
export { type WallClock, WallClockParser } from "./wall_clock.ts";
export { type KvCacheTesterOptions, loadKvCacheTester } from "./kv_cache_tester.ts";
export { type AgenticMooncakeOptions, loadAgenticMooncake } from "./agentic_mooncake.ts";
export { type DynamoTraceOptions, isDynamoTrace, loadDynamoTrace } from "./dynamo_trace.ts";
export { type AppliedComputeAgenticOptions, loadAppliedComputeAgentic } from "./applied_compute_agentic.ts";
export { generateSynthetic, type SyntheticOptions } from "./synthetic.ts";
export {
  ARRIVAL_MODES,
  type ArrivalFields,
  type ArrivalMode,
  arrivalModeProblem,
  arrivalModes,
} from "./arrival_mode.ts";
export {
  type AgentKind,
  DEFAULT_WORKLOAD_SHAPE,
  defaultWorkload,
  type DefaultWorkloadOptions,
  type DefaultWorkloadShape,
  type LogNormal,
} from "./default_workload.ts";
export { type ArrivalStep, arrivalStep } from "./arrival_step.ts";
export { jitterArrivals } from "./jitter.ts";
export { type LoadOptions, loadWorkload } from "./load.ts";
export {
  DefaultWorkloadSchema,
  type DefaultWorkloadSpec,
  openLoopProblem,
  SyntheticWorkloadSchema,
  type SyntheticWorkloadSpec,
  TRACE_FORMATS,
  type TraceFormat,
  tracePaths,
  TraceWorkloadSchema,
  type TraceWorkloadSpec,
  type WorkloadSpec,
  type WorkloadSpecInput,
  WorkloadSpecSchema,
} from "./spec.ts";
