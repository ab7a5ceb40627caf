/**
 * dynolab: an offline LLM-serving simulator (replay, mocker engines, KV router) with a scenario DSL.
 *
 * ```ts ignore
 * import { range, scenario, simulate } from "./mod.ts";
 * const report = await simulate({ workload: { source: "default" }, topology: { mode: "agg", num_workers: 2 } });
 * const results = await scenario("capacity").trace("mooncake:conversation").agg({ workers: 2 })
 *   .sweep("numGpuBlocks", range(4096, 16384, 4096)).run();
 * results.table();
 * ```
 *
 * @module
 */
export {
  loadInputs,
  runSimulation,
  simulate,
  type SimulationInputs,
  type SimulationResult,
} from "./lib/simulate.ts";
export {
  AggTopologySchema,
  DisaggTopologySchema,
  parseSpec,
  RouterSpecSchema,
  type SimSpec,
  type SimSpecInput,
  SimSpecSchema,
  SlaSchema,
} from "./lib/spec.ts";
export { type Report, reportJson, type ReportValue } from "./lib/report/mod.ts";
export { InputError } from "./lib/common/errors.ts";
export { type EngineArgs, type EngineArgsInput, EngineArgsSchema } from "./lib/engine/mod.ts";
export { type RouterConfigInput, RouterConfigSchema, type RouterMode } from "./lib/router/mod.ts";
export { type WorkloadSpec, type WorkloadSpecInput, WorkloadSpecSchema } from "./lib/workload/mod.ts";
export * from "./lib/dsl/mod.ts";
