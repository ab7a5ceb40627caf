/**
 * dynolab: benchmark LLM-serving deployments and their autoscaling planner against recorded request traces,
 * without a GPU cluster. `simulate(spec)` runs one simulation; the scenario DSL (`scenario`, `range`) builds,
 * sweeps, plots and publishes many (see `lib/dsl/README.md`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate } from "./mod.ts";
 * const report = await simulate({
 *   workload: { source: "synthetic", input_tokens: 2000, output_tokens: 100, request_count: 16 },
 *   replay_concurrency: 8,
 *   topology: { mode: "agg", num_workers: 2 },
 *   router: { mode: "kv_router" },
 * });
 * assert(report.completed_requests === 16);
 * ```
 *
 * @module
 */
export type { RunInputs } from "./lib/run_inputs.ts";
export {
  loadInputs,
  runSimulation,
  simulate,
  type SimulationInputs,
  type SimulationResult,
} from "./lib/simulate.ts";
export { type PassShapesInput, PassShapesSchema, type PricedPass, pricePasses } from "./lib/price.ts";
export {
  AggTopologySchema,
  DisaggTopologySchema,
  parseSpec,
  RouterSpecSchema,
  type SimSpec,
  type SimSpecInput,
  SimSpecSchema,
  SlaSchema,
  type Topology,
  TopologySchema,
} from "./lib/spec.ts";
export { formatSummary, type Report, reportJson, type ReportValue } from "./lib/report/mod.ts";
export { InputError } from "./lib/common/errors.ts";
export { type EngineArgs, type EngineArgsInput, EngineArgsSchema } from "./lib/engine/mod.ts";
export { type RouterConfigInput, RouterConfigSchema, type RouterMode } from "./lib/router/mod.ts";
export { type WorkloadSpec, type WorkloadSpecInput, WorkloadSpecSchema } from "./lib/workload/mod.ts";
export * from "./lib/dsl/mod.ts";
