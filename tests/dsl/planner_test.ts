import assert from "node:assert/strict";
import { main } from "../../lib/cli/mod.ts";
import { reportJson, scenario } from "../../mod.ts";
import { MINI_TRACE, QUIET, withoutWallClock } from "./_helpers.ts";
import { withTempDir } from "../_temp.ts";

const PLANNER = {
  optimizationTarget: "sla" as const,
  ttftMs: 200,
  itlMs: 20,
  enableThroughputScaling: true,
  enableLoadScaling: true,
  throughputIntervalS: 30,
  loadIntervalS: 5,
};
const study = scenario("planner").trace(MINI_TRACE, { speedup: 4 }).agg({ workers: 1 }).planner(PLANNER)
  .sweep("startupTime", [0, 20]);
const results = await study.run({ ...QUIET, parallelism: 2 });

Deno.test("planner runs: scaling events and planner metrics in rows and series", () => {
  for (const [i, run] of results.runs.entries()) {
    const planner = run.report.planner as { scaling_events: unknown[]; total_ticks: number };
    const row = results.rows[i];
    assert.equal(row.scalingEvents, planner.scaling_events.length);
    assert.equal(row.plannerTicks, planner.total_ticks);
    assert.equal(run.series.scalingEvents.length, planner.scaling_events.length);
    assert.ok((row.peakWorkers as number) >= 1);
  }
  const [instant, slow] = results.runs;
  assert.ok(instant.series.scalingEvents.length > 0, "the planner scaled");
  assert.ok(Math.max(...instant.series.activeWorkers) > 1, "workers were added");
  assert.ok(instant.series.startingWorkers.every((n) => n === 0), "start-up 0: workers are active at once");
  assert.ok(slow.series.startingWorkers.some((n) => n > 0), "start-up 20 s: workers spend time starting");
  assert.ok(results.hasPlanner);
  const svg = results.timeline(0).toSVG();
  assert.ok(svg.includes("starting") || svg.includes("active"));
  assert.ok(results.plot("startupTime", ["ttftP90", "scalingEvents"]).toSVG().includes("scalingEvents"));
});

Deno.test("a DSL planner scenario and the equivalent CLI command give identical reports", async () => {
  await withTempDir(async (dir) => {
    const out = `${dir}/cli.json`;
    const config = {
      mode: "agg",
      optimization_target: "sla",
      ttft_ms: 200,
      itl_ms: 20,
      enable_throughput_scaling: true,
      enable_load_scaling: true,
      throughput_adjustment_interval_seconds: 30,
      load_adjustment_interval_seconds: 5,
      report_output_dir: dir,
      report_filename: "p.html",
    };
    const argv = [
      MINI_TRACE,
      "--arrival-speedup-ratio",
      "4",
      "--planner-config",
      JSON.stringify(config),
      "--extra-engine-args",
      '{"startup_time":20}',
      "--report-json",
      out,
    ];
    assert.equal(await main(argv, { out: () => {}, err: () => {} }), 0);
    const cli = withoutWallClock(JSON.parse(await Deno.readTextFile(out)));
    const dsl = await scenario("p").trace(MINI_TRACE, { speedup: 4 }).agg({})
      .planner({ ...PLANNER, reportOutputDir: dir, reportFilename: "p.html" }).engine({ startupTime: 20 })
      .run(QUIET);
    assert.equal(reportJson(dsl.runs[0].report), reportJson(cli as never));
  });
});

Deno.test("a worker's DP ranks report as one worker: load decisions go ahead", async () => {
  const dp = await scenario("dp").trace(MINI_TRACE, { speedup: 4 }).agg({ workers: 1 }).engine({ dpSize: 2 })
    .compare({ static: (s) => s, planner: (s) => s.planner({ ...PLANNER, enableThroughputScaling: false }) })
    .run(QUIET);
  const ticks = (dp.runs[1].report.planner as { ticks: { columns: string[]; rows: unknown[][] } }).ticks;
  const reason = ticks.columns.indexOf("load_reason");
  const reasons = new Set(ticks.rows.map((r) => r[reason]));
  assert.ok(!reasons.has("worker_count_mismatch"), [...reasons].join(", "));
  assert.ok((dp.rows[1].scalingEvents as number) > 0, "the planner scaled");
  // The static run has the planner's columns too, null.
  assert.deepEqual(Object.keys(dp.rows[0]), Object.keys(dp.rows[1]));
  assert.equal(dp.rows[0].scalingEvents, null);
  assert.equal(dp.table(["variant", "scalingEvents"], false).includes("static"), true);
});
