/**
 * Cold start, the reference's study: how engine start-up time (`startup_time`, 0 … 300 s in steps of 10 s)
 * changes what the SLA planner can do on the conversation trace — scaling events, TTFT and GPU-hours. Issue 4's
 * command: agg, 2 workers at the start, target `sla`, TTFT 1,500 ms, ITL 50 ms, throughput and load scaling
 * every 300 s and 10 s. At 0, 100, 200 and 300 s it also runs the paces within 1 % of the trace's own
 * (`around(1, 0.01)`), five replications with a ±1 ms arrival jitter, to show which of the trend's figures
 * hold nearby and by more than chance, and five with a ±1,500 ms jitter, which spreads the trace's quantised
 * 3 s timestamp steps over each step, as the real arrivals were.
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
  around,
  countLower,
  extent,
  type ExtentColumn,
  extentSteps,
  extentTable,
  Findings,
  formatCount,
  formatFixed,
  formatSpan,
  outsideBand,
  quantisedSteps,
  range,
  REPLICAS,
  replicate,
  type Results,
  type Row,
  runOptionsFromArgs,
  type RunResult,
  type Scenario,
  scenario,
  SIMULTANEOUS_ARRIVALS,
  spreadJitterMs,
} from "../mod.ts";

/** The trace: its timestamps are quantised ({@link quantisedSteps}). */
const TRACE = "mooncake:conversation";

const SLA = { ttftMs: 1500, itlMs: 50 };
const AIC = { backend: "vllm", gpu: "h200_sxm", model: "nvidia/Llama-3.1-8B-Instruct-FP8", tp: 1 };
const POLYNOMIAL = Deno.env.get("DYNOLAB_TIMING") === "polynomial";
const COLUMNS = ["startupTime", "ttftAvg", "ttftP90", "itlAvg", "scalingEvents", "peakWorkers", "gpuHours"];

/** Issue 4's command. */
const base: Scenario = scenario("cold start")
  .trace(TRACE)
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
  });
/** The study: the reference's cold-start command (README's planner example) swept over `startup_time`. */
const study: Scenario = base.sweep("startupTime", range(0, 300, 10));
export default study;

/** Start-up times at which the band checks the trend, and the paces within 1 % of the trace's own. */
const BAND_STARTUPS = [0, 100, 200, 300];
const BAND_PACES = around(1, 0.01);
/** A few start-up times, each run at every pace of {@link BAND_PACES}: does the trend hold nearby? */
const band: Scenario = base.sweep("startupTime", BAND_STARTUPS).sweep("arrivalSpeedupRatio", BAND_PACES);
/** The replications' seeds and arrival jitter: the DSL's defaults ({@link REPLICAS}). */
const { seeds: SEEDS, jitterMs: JITTER_MS } = REPLICAS;
/** The same start-up times, each run once per seed of {@link SEEDS}: does the trend hold by chance alone? */
const replicas: Scenario = replicate(base.sweep("startupTime", BAND_STARTUPS));
/** The jitter `spread_arrival_steps` gives the trace here (half its timestamp step), for the prose. */
const SPREAD_MS = spreadJitterMs(TRACE);
/** The same start-up times and seeds with the trace's quantised steps spread ({@link SPREAD_MS}). */
const spread: Scenario = replicate(base.sweep("startupTime", BAND_STARTUPS), { spread: true });

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

/** How a figure moves from one start-up time to the next, by {@link extentSteps}. */
const MOVES = { above: "rises", below: "falls", overlaps: "overlaps" } as const;

/** The band's metrics: column, label and how a value prints. */
const BAND_METRICS: readonly ExtentColumn[] = [
  { key: "ttftAvg", label: "mean TTFT (ms)", show: (v) => formatFixed(v) },
  { key: "ttftP90", label: "p90 TTFT (ms)", show: (v) => formatFixed(v) },
  { key: "scalingEvents", label: "scaling events", show: (v) => formatFixed(v) },
  { key: "gpuHours", label: "GPU-hours", show: (v) => formatFixed(v, 2) },
];

/**
 * How far each figure moves over a set of runs at each of {@link BAND_STARTUPS} (`rows`: the paces within 1 %
 * of the trace's, or replications; `runs` says which, `every` how the trend holds over them), and whether the
 * trend between neighbouring start-up times survives: a later start-up's whole range above or below the
 * earlier's, or the two overlapping.
 */
function bandSummary(rows: Row[], runs: string, every: string): string {
  const span = (startupTime: number, key: string) => extent(rows, key, { startupTime });
  const table = extentTable(rows, "startupTime", BAND_STARTUPS, "start-up (s)", BAND_METRICS);
  const pairs = BAND_STARTUPS.slice(1).map((t, i) => [BAND_STARTUPS[i], t] as const);
  const trend = (key: string, label: string) => {
    const moves = extentSteps(rows, key, "startupTime", BAND_STARTUPS).map((step) => MOVES[step]);
    if (moves.every((m) => m === moves[0])) {
      return moves[0] === "overlaps"
        ? `the ranges of ${label} overlap between every pair, so one run's ${label} cannot rank start-up times`
        : `${label} ${moves[0]} from each of these start-up times to the next, ${every}`;
    }
    return `${label} ${moves.map((m, i) => `${m} from ${pairs[i][0]} s to ${pairs[i][1]} s`).join(", ")}`;
  };
  const sla = span(BAND_STARTUPS[0], "ttftP90");
  return `${runs}, at ${BAND_STARTUPS.join(", ")} s start-up: ` +
    `${trend("scalingEvents", "the count of scaling events")}; ${trend("ttftAvg", "mean TTFT")}; ` +
    `${trend("gpuHours", "GPU-hours")}. At ${BAND_STARTUPS[0]} s, p90 TTFT is ${formatSpan(sla)} ms (SLA ${
      formatCount(SLA.ttftMs)
    } ms).\n\n${table}`;
}

/**
 * The start-up times at which the unjittered run's mean TTFT lies outside its replications' range, and why
 * that can happen (`rows`: the study's; `replicated`: the {@link replicas}').
 */
function outliers(rows: Row[], replicated: Row[]): string {
  const out = outsideBand(rows, replicated, "ttftAvg", "startupTime", BAND_STARTUPS).map((
    { value, single, range },
  ) => `${value} s (${formatCount(single)} ms against ${formatSpan(range)} ms)`);
  return out.length === 0
    ? "The unjittered run's mean TTFT lies within its replications' range at each of these start-up times."
    : `The unjittered run's mean TTFT lies outside its replications' range at ${out.join(", ")}. ` +
      SIMULTANEOUS_ARRIVALS;
}

/**
 * Seed by seed over the {@link spread} runs (`results`): how often mean TTFT rises from one start-up time to
 * the next, and how the planner's first scaling decision splits the replications at the longest start-up.
 */
function spreadPairs(results: Results): string {
  const rows = results.rows, n = SEEDS.length;
  const rises = BAND_STARTUPS.slice(1).map((t, i) =>
    countLower(rows, "ttftAvg", "seed", SEEDS, { startupTime: BAND_STARTUPS[i] }, { startupTime: t })
  );
  const rise = rises.every((k) => k === n)
    ? `from each of these start-up times to the next in every replication`
    : rises.map((k, i) => `in ${k} of ${n} from ${BAND_STARTUPS[i]} to ${BAND_STARTUPS[i + 1]} s`).join(", ");
  const last = BAND_STARTUPS[BAND_STARTUPS.length - 1];
  const runs = results.runs.filter((r) => r.params.startupTime === last);
  const down = runs.filter((r) => {
    const first = r.series.scalingEvents[0];
    return first != null && first.to < first.from;
  });
  const span = (group: readonly RunResult[]) => {
    return `${formatSpan(extent(group.map((r) => rows[r.index]), "ttftAvg"))} ms`;
  };
  const others = runs.filter((r) => !down.includes(r));
  const split = down.length === 0
    ? `At ${last} s the planner's first decision shrinks the fleet in no replication (mean TTFT ${
      span(runs)
    }).`
    : others.length === 0
    ? `At ${last} s the planner's first decision shrinks the fleet in every replication (mean TTFT ` +
      `${span(runs)}): the scale-up that follows serves only after the start-up time.`
    : `At ${last} s the planner's first decision scales the fleet down in ${down.length} of ${n} replications ` +
      `(mean TTFT ${span(down)}): the scale-up that follows serves only after the start-up time. In the ` +
      `other${others.length === 1 ? "" : "s"} it does not (${span(others)}).`;
  return `Seed by seed, mean TTFT rises ${rise}. ${split}`;
}

if (import.meta.main) {
  const options = runOptionsFromArgs();
  const results = await study.run(options);
  const nearby = await band.run(options);
  const replicated = await replicas.run(options);
  const spreadOut = await spread.run(options);
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
    .text(
      `### Within 1 % of the trace's pace, and by chance\n\n${
        bandSummary(
          nearby.rows,
          `Run at ${BAND_PACES.join("×, ")}× the trace's pace`,
          "whatever the pace in the band",
        )
      }\n\n${
        bandSummary(
          replicated.rows,
          `Run ${SEEDS.length} times at the trace's pace with a ±${JITTER_MS} ms arrival jitter (\`arrival_jitter_ms\`)`,
          "in every replication",
        )
      }\n\n${outliers(results.rows, replicated.rows)}`,
    )
    .text(
      `### The trace's steps spread\n\n${quantisedSteps(TRACE)} (\`arrivalStep\`). ${
        bandSummary(
          spreadOut.rows,
          `Spread over their steps (\`spread_arrival_steps\`: ±${
            formatCount(SPREAD_MS)
          } ms, ${SEEDS.length} seeds)`,
          "in every replication",
        )
      }\n\n${spreadPairs(spreadOut)}`,
    )
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
