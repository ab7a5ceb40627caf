/**
 * Cold start, the reference's study: how engine start-up time (`startup_time`, 0 … 300 s) changes what the SLA
 * planner can do on the conversation trace: scaling events, TTFT and GPU-hours (issue 4's scenario check: the
 * SLA holds at 0 s, and as start-up grows the scaling-event count falls and TTFT degrades).
 *
 * Needs the planner (issue 4) and the AIC perf model (the `aic_*` engine args); until both are in the build,
 * importing this module throws "planner not available in this build".
 *
 * Run: `deno run -A scenarios/cold_start.ts [--no-cache] [--quiet]`, or sharded: `deno task sweep
 * scenarios/cold_start.ts --shard i/n`. Writes `findings/cold-start.{md,html}`.
 *
 * @module
 */
import { Findings, range, type Results, runOptionsFromArgs, type Scenario, scenario } from "../mod.ts";

const SLA = { ttftMs: 1500, itlMs: 50 };

/** The reference command of issue 4, swept over `startup_time`. */
const study: Scenario = scenario("cold start")
  .trace("mooncake:conversation")
  .engine({ backend: "vllm", gpu: "h200_sxm", model: "nvidia/Llama-3.1-8B-Instruct-FP8", tp: 1 })
  .agg({ workers: 2 })
  .sla(SLA)
  .planner({
    optimizationTarget: "sla",
    ...SLA,
    enableThroughputScaling: true,
    enableLoadScaling: true,
    preDeploymentSweepingMode: "rapid",
    throughputIntervalS: 300,
    loadIntervalS: 10,
    prefillEngineNumGpu: 1,
    decodeEngineNumGpu: 1,
  })
  .sweep("startupTime", range(0, 300, 10));
export default study;

/** The first start-up time whose p90 TTFT breaks the SLA, if any. */
function cliff(results: Results): string {
  const rows = results.rows;
  const broken = rows.find((r) => (r.ttftP90 as number) > SLA.ttftMs);
  const first = rows[0], last = rows[rows.length - 1];
  return (broken
    ? `p90 TTFT first exceeds the ${SLA.ttftMs} ms SLA at a start-up time of ${broken.startupTime} s ` +
      `(${Math.round(broken.ttftP90 as number)} ms).`
    : `p90 TTFT stays within the ${SLA.ttftMs} ms SLA over the whole sweep.`) +
    ` Scaling events go from ${first.scalingEvents} at ${first.startupTime} s to ${last.scalingEvents} at ` +
    `${last.startupTime} s; GPU-hours from ${(first.gpuHours as number).toFixed(2)} to ` +
    `${(last.gpuHours as number).toFixed(2)}.`;
}

if (import.meta.main) {
  const results = await study.run(runOptionsFromArgs());
  results.table(["startupTime", "ttftP90", "itlAvg", "scalingEvents", "gpuHours", "goodput"]);
  const { html } = await new Findings("Cold start")
    .text(
      "The SLA planner scales a fleet that starts at 2 aggregated workers on the Mooncake conversation trace; " +
        "each added worker serves only after `startup_time` seconds, with a cold KV cache.",
    )
    .text(`## Results\n\n${cliff(results)}`)
    .table(results, ["startupTime", "ttftP90", "itlAvg", "scalingEvents", "gpuHours", "goodput"])
    .figure(
      results.plot("startupTime", ["ttftP90", "itlAvg", "scalingEvents", "gpuHours"]),
      "metrics vs start-up",
    )
    .figure(results.timeline({ startupTime: 0 }), "start-up 0 s over time")
    .figure(results.timeline({ startupTime: 300 }), "start-up 300 s over time")
    .scenario(study)
    .write();
  console.log(`findings: ${html}`);
}
