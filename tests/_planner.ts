/**
 * Planner fixtures for tests and benchmarks: the issue's planner config and a scripted replay of a planner's
 * scaling events without the planner (the same cluster work, none of the planning).
 *
 * @module
 */
import type { Cluster, ScalingController } from "../lib/cluster/mod.ts";
import type { PlannerConfigInput, ScalingEvent } from "../lib/planner/mod.ts";
import { runSimulation, type SimulationInputs, type SimulationResult } from "../lib/simulate.ts";

/** The issue's planner config (agg, SLA target, TTFT 1500 ms, ITL 50 ms, both scalings, intervals 300/10). */
export const ISSUE_PLANNER: PlannerConfigInput = {
  mode: "agg",
  optimization_target: "sla",
  ttft_ms: 1500,
  itl_ms: 50,
  enable_throughput_scaling: true,
  enable_load_scaling: true,
  pre_deployment_sweeping_mode: "rapid",
  throughput_adjustment_interval_seconds: 300,
  load_adjustment_interval_seconds: 10,
  prefill_engine_num_gpu: 1,
  decode_engine_num_gpu: 1,
};

/** Run `inputs` (no planner) applying `events` at their times through a scripted controller. */
export function scripted(inputs: SimulationInputs, events: readonly ScalingEvent[]): SimulationResult {
  const pools = { agg: 0, prefill: 0, decode: 1 };
  const steps = events.map((e) => [e.atS * 1000, pools[e.component], e.to] as const);
  let i = 0, cluster: Cluster;
  const controller: ScalingController = {
    start: (c) => ((cluster = c), steps[0]?.[0] ?? Infinity),
    arrived: () => {},
    routed: () => {},
    completed: () => {},
    tick: (now) => {
      for (; i < steps.length && steps[i][0] <= now; i++) cluster.scaleTo(steps[i][1], steps[i][2]);
      return steps[i]?.[0] ?? Infinity;
    },
  };
  return runSimulation(inputs, { controller });
}
