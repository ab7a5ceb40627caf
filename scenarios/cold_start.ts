/**
 * Cold start, the reference's study: how engine start-up time (`startup_time`, 0 … 300 s in steps of 10 s)
 * changes what the SLA planner can do on the conversation trace — scaling events, TTFT and GPU-hours. Issue 4's
 * command: agg, 2 workers at the start, target `sla`, TTFT 1,500 ms, ITL 50 ms, throughput and load scaling
 * every 300 s and 10 s.
 *
 * Timing follows the reference's command: the `aic_*` engine args (vLLM, h200_sxm, Llama-3.1-8B-Instruct-FP8,
 * TP 1), i.e. the analytic perf model. `DYNOLAB_TIMING=polynomial` uses the reference mocker's default
 * polynomial model instead.
 *
 * Run: `deno run -A scenarios/cold_start.ts [--no-cache] [--quiet]` (writes `findings/cold-start.{md,html}`), or
 * sharded: `deno task sweep scenarios/cold_start.ts --shard i/n` then `deno task merge`.
 *
 * @module
 */
import {
  Findings,
  formatCount,
  range,
  type Results,
  runOptionsFromArgs,
  type Scenario,
  scenario,
} from "../mod.ts";

const SLA = { ttftMs: 1500, itlMs: 50 };
const AIC = { backend: "vllm", gpu: "h200_sxm", model: "nvidia/Llama-3.1-8B-Instruct-FP8", tp: 1 };
const POLYNOMIAL = Deno.env.get("DYNOLAB_TIMING") === "polynomial";
const COLUMNS = ["startupTime", "ttftAvg", "ttftP90", "itlAvg", "scalingEvents", "peakWorkers", "gpuHours"];

/** Issue 4's command, swept over `startup_time`. */
const study: Scenario = scenario("cold start")
  .trace("mooncake:conversation")
  .engine(POLYNOMIAL ? {} : AIC)
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

/** What the sweep shows, from the results. */
function summary(results: Results): string {
  const rows = results.rows, first = rows[0], last = rows[rows.length - 1];
  const broken = rows.find((r) => (r.ttftP90 as number) > SLA.ttftMs);
  const start = (first.ttftP90 as number) <= SLA.ttftMs
    ? `At a start-up time of 0 s the planner holds the SLA: p90 TTFT ${formatCount(first.ttftP90)} ms. `
    : `Even at 0 s start-up p90 TTFT is ${formatCount(first.ttftP90)} ms, above the ${SLA.ttftMs} ms SLA. `;
  const cliff = broken && broken !== first
    ? `p90 TTFT first exceeds the SLA at ${broken.startupTime} s (${formatCount(broken.ttftP90)} ms). `
    : "";
  return start + cliff +
    `From ${first.startupTime} s to ${last.startupTime} s, scaling events go from ${first.scalingEvents} to ` +
    `${last.scalingEvents}, mean TTFT from ${formatCount(first.ttftAvg)} to ${
      formatCount(last.ttftAvg)
    } ms, p90 TTFT from ` +
    `${formatCount(first.ttftP90)} to ${formatCount(last.ttftP90)} ms, and GPU-hours from ${
      formatCount(first.gpuHours, 2)
    } to ` +
    `${formatCount(last.gpuHours, 2)}.`;
}

if (import.meta.main) {
  const results = await study.run(runOptionsFromArgs());
  results.table(COLUMNS);
  const { html } = await new Findings("Cold start")
    .text(
      "The SLA planner scales a fleet that starts at 2 aggregated workers on the Mooncake conversation trace " +
        "(target `sla`, TTFT 1,500 ms, ITL 50 ms; throughput scaling every 300 s, load scaling every 10 s). " +
        "Each worker it adds serves only after `startup_time` seconds, with a cold KV cache. Timing: " +
        (POLYNOMIAL
          ? "the reference mocker's polynomial model."
          : "the analytic perf model for Llama-3.1-8B-Instruct-FP8 on an H200 with vLLM (the reference's `aic_*` engine args)."),
    )
    .text(`## Results\n\n${summary(results)}`)
    .table(results, COLUMNS)
    .figure(
      results.plot("startupTime", ["ttftP90", "ttftAvg", "scalingEvents", "gpuHours"]),
      "the planner's outcome against start-up time",
    )
    .figure(results.timeline({ startupTime: 0 }), "start-up 0 s over time")
    .figure(results.timeline({ startupTime: 300 }), "start-up 300 s over time")
    .scenario(study)
    .write();
  console.log(`findings: ${html}`);
}
