/**
 * Demand counted at completion (the reference) or at arrival (`demand_counting: "arrival"`), with throughput
 * scaling alone on the Mooncake conversation trace: 1 initial agg worker, 60 s start-up, throughput interval
 * 120 s, at 1× and 2× arrival speed. Prints a Markdown table.
 *
 *   deno run -A scenarios/demand_counting.ts [--trace PATH|NAME]
 *
 * The trace defaults to the named `mooncake:conversation`, found as the DSL finds it (`$DYNOLAB_TRACES`,
 * `$DYNOLAB_SHARED/traces`, `../shared/traces` beside the checkout, or a download).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadInputs, runSimulation } from "../lib/simulate.ts";
import { formatCount, resolveTrace } from "../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { trace: { type: "string", default: "mooncake:conversation" } },
});
const trace = (await resolveTrace(values.trace)).path;
const rows = [
  "| arrival speed-up | counting | first windows' count | throughput decisions | TTFT mean / p90 (ms) | GPU-hours | events |",
  "| --- | --- | --- | --- | --- | --- | --- |",
];
for (const speedup of [1, 2]) {
  for (const counting of ["completion", "arrival"]) {
    const result = runSimulation(
      await loadInputs({
        workload: { source: "trace", path: trace },
        arrival_speedup_ratio: speedup,
        topology: { mode: "agg", num_workers: 1, engine: { startup_time: 60 } },
        planner: {
          mode: "agg",
          optimization_target: "sla",
          ttft_ms: 1500,
          itl_ms: 50,
          enable_throughput_scaling: true,
          enable_load_scaling: false,
          throughput_adjustment_interval_seconds: 120,
          max_gpu_budget: 16,
          decode_engine_num_gpu: 1,
          demand_counting: counting,
        },
      }),
    );
    const p = result.planner!, r = result.report as Record<string, number>;
    const windows = p.ticks.filter((t) => t.throughput);
    rows.push(
      `| ${speedup}× | ${counting} | ${windows.slice(0, 5).map((t) => t.traffic?.numReq).join(", ")} | ` +
        `${windows.slice(0, 8).map((t) => t.target?.decode ?? "–").join(", ")} | ${
          formatCount(r.mean_ttft_ms)
        } / ${formatCount(r.p90_ttft_ms)} | ` +
        `${p.gpuHours().provisioned.toFixed(2)} | ${p.events.length} |`,
    );
  }
}
console.log(rows.join("\n"));
