/**
 * dynolab: benchmark LLM-serving deployments and their autoscaling planner against recorded request traces,
 * without a GPU cluster.
 *
 * @example
 * ```ts
 * import { simulate } from "./mod.ts";
 * const report = await simulate({
 *   workload: { source: "synthetic", input_tokens: 2000, output_tokens: 100, request_count: 16 },
 *   replay_concurrency: 8,
 *   topology: { mode: "agg", num_workers: 2 },
 *   router: { mode: "kv_router" },
 * });
 * console.assert(report.completed_requests === 16);
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
export { parseSpec, type SimSpec, type SimSpecInput, SimSpecSchema } from "./lib/spec.ts";
export { formatSummary, type Report, reportJson, type ReportValue } from "./lib/report/mod.ts";
export { InputError } from "./lib/common/errors.ts";
