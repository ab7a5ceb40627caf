/**
 * Agg vs disagg, the reference's study: two GPUs at the start as two aggregated workers or as one prefill and
 * one decode worker, KV router, the SLA planner in the loop (and, for comparison, the same fleets static), on
 * an agentic trace at 1×, 2× and 4× its pace. The planner's two fleets also run within 1 % of each pace
 * (`around`) and five times at each pace with a ±1 ms arrival jitter (`arrival_jitter_ms`), to tell which of
 * their comparisons hold nearby and which by more than chance.
 *
 * The trace is the Claude Code agentic sessions of kv-cache-tester (`kv-cache-tester:claude-code`): 40 sessions
 * starting 20 s apart, each a closed loop of requests and think times (the speed-up divides the think times).
 * The reference used the Mooncake tool-and-agent trace, which is not in `../shared`; set
 * `DYNOLAB_STUDY_TRACE=mooncake:toolagent` (or any trace) to run on another one.
 *
 * The engines are Llama-3.1-8B-Instruct-FP8 on H200s with vLLM (analytic perf model, KV capacity derived from
 * the memory budget); `DYNOLAB_TIMING=polynomial` uses the reference mocker's polynomial model, whose decode
 * time ignores the batch (a poor basis for this comparison, the reference's §9 item 1).
 *
 * Run: `deno run -A scenarios/agg_vs_disagg.ts [--no-cache] [--quiet]` (prints the table, writes
 * `findings/agg-vs-disagg.{md,html}`), or sharded with `deno task sweep scenarios/agg_vs_disagg.ts`.
 *
 * @module
 */
import {
  around,
  compareBands,
  Findings,
  formatSpan,
  REPLICAS,
  replicate,
  type Results,
  type Row,
  runOptionsFromArgs,
  type Scenario,
  scenario,
} from "../mod.ts";

const AGENTIC = "kv-cache-tester:claude-code";
const TRACE = Deno.env.get("DYNOLAB_STUDY_TRACE") ?? AGENTIC;
const SESSIONS = { maxSessions: 40, sessionIntervalMs: 20_000 };
const SLA = { ttftMs: 1500, itlMs: 50 };
const SPEEDUPS = [1, 2, 4];
const ENGINE = Deno.env.get("DYNOLAB_TIMING") === "polynomial"
  ? {}
  : { backend: "vllm", gpu: "h200_sxm", model: "nvidia/Llama-3.1-8B-Instruct-FP8", tp: 1 };
const PLANNER = {
  optimizationTarget: "sla",
  ...SLA,
  enableThroughputScaling: true,
  enableLoadScaling: true,
  throughputIntervalS: 300,
  loadIntervalS: 10,
} as const;
const COLUMNS = [
  "variant",
  "arrivalSpeedupRatio",
  "ttftP90",
  "itlAvg",
  "e2eP90",
  "goodputRatio",
  "gpuHours",
  "scalingEvents",
  "peakWorkers",
];

/** The workload, engines, router and SLA every variant shares. */
const base: Scenario = scenario("agg vs disagg")
  .trace(TRACE, TRACE === AGENTIC ? SESSIONS : {})
  .engine(ENGINE)
  .router("kv_router")
  .sla(SLA);
/** The two fleets with the planner. */
const PLANNED = {
  agg: (s: Scenario) => s.agg({ workers: 2 }).planner(PLANNER),
  disagg: (s: Scenario) => s.disagg({ prefill: { workers: 1 }, decode: { workers: 1 } }).planner(PLANNER),
};

/** Agg vs disagg, with the planner and static, × pace. */
const study: Scenario = base
  .compare({
    ...PLANNED,
    "agg static": (s) => s.agg({ workers: 2 }),
    "disagg static": (s) => s.disagg({ prefill: { workers: 1 }, decode: { workers: 1 } }),
  })
  .sweep("arrivalSpeedupRatio", SPEEDUPS);
export default study;

/** The paces within 1 % of a studied one. */
const nearPaces = (speed: number) => around(speed, 0.01);
/** The planner's two fleets at paces within 1 % of each studied one: which comparisons hold nearby. */
const band: Scenario = base.compare(PLANNED).sweep("arrivalSpeedupRatio", SPEEDUPS.flatMap(nearPaces));
/** The replications' seeds and arrival jitter: the DSL's defaults ({@link REPLICAS}). */
const { seeds: SEEDS, jitterMs: JITTER_MS } = REPLICAS;
/** The planner's two fleets at each studied pace, once per seed: which comparisons hold by chance alone. */
const replicas: Scenario = replicate(base.compare(PLANNED).sweep("arrivalSpeedupRatio", SPEEDUPS));

const fmt = (v: unknown) => typeof v === "number" ? Number(v.toPrecision(3)).toLocaleString("en-US") : "—";
const pct = (v: unknown) => typeof v === "number" ? `${(v * 100).toFixed(1)} %` : "—";
const change = (x: unknown, y: unknown) =>
  `${(y as number) >= (x as number) ? "+" : ""}${
    ((((y as number) - (x as number)) / (x as number)) * 100).toFixed(0)
  } %`;

/**
 * Sentences comparing the variants at each pace, from the results, each with how the planner's two fleets
 * compare over the paces within 1 % of it (`nearby`: the {@link band}'s results) and over the replications at
 * it (`replicated`: the {@link replicas}' results).
 */
function verdicts(results: Results, nearby: Results, replicated: Results): string {
  const row = (variant: string, speed: number): Row =>
    results.rows[results.get({ variant, arrivalSpeedupRatio: speed }).index];
  const [near, again] = [nearby.rows, replicated.rows];
  /**
   * How agg and disagg compare on `key` over `rows` at the values `values` of column `by` (for the band, the
   * paces; for the replications, the seeds at one pace `where`).
   */
  const holds = (
    rows: Row[],
    by: string,
    values: readonly number[],
    key: string,
    label: string,
    where = {},
  ) => {
    const c = compareBands(rows, key, by, values, { ...where, variant: "agg" }, {
      ...where,
      variant: "disagg",
    });
    const unit = by === "seed" ? "replications" : "paces";
    return `${label} ${formatSpan(c.a, fmt)} (agg) vs ${formatSpan(c.b, fmt)} (disagg): ` +
      (c.order === "overlaps"
        ? `overlapping; agg the lower in ${c.aLower} of ${c.count} ${unit}`
        : `${c.order === "above" ? "agg" : "disagg"} lower throughout`);
  };
  const all = (rows: Row[], by: string, values: readonly number[], where = {}) =>
    [["ttftP90", "p90 TTFT (ms)"], ["itlAvg", "mean ITL (ms)"], ["gpuHours", "GPU-hours"]]
      .map(([key, label]) => holds(rows, by, values, key, label, where)).join("; ");
  return SPEEDUPS.map((speed) => {
    const [a, d, as, ds] = ["agg", "disagg", "agg static", "disagg static"].map((v) => row(v, speed));
    return `- **${speed}× pace**, with the planner: p90 TTFT ${fmt(a.ttftP90)} ms (agg) vs ${
      fmt(d.ttftP90)
    } ms ` +
      `(disagg, ${change(a.ttftP90, d.ttftP90)}); mean ITL ${fmt(a.itlAvg)} vs ${
        fmt(d.itlAvg)
      } ms; within the SLA ` +
      `${pct(a.goodputRatio)} vs ${pct(d.goodputRatio)} of requests; GPU-hours ${fmt(a.gpuHours)} vs ` +
      `${
        fmt(d.gpuHours)
      } (${a.scalingEvents} vs ${d.scalingEvents} scaling events). Static fleets: p90 TTFT ` +
      `${fmt(as.ttftP90)} vs ${fmt(ds.ttftP90)} ms for ${fmt(as.gpuHours)} vs ${fmt(ds.gpuHours)} ` +
      `GPU-hours. Within 1 % of this pace, with the planner: ${
        all(near, "arrivalSpeedupRatio", nearPaces(speed))
      }. In ${SEEDS.length} replications at this pace (±${JITTER_MS} ms arrival jitter): ${
        all(again, "seed", SEEDS, { arrivalSpeedupRatio: speed })
      }.`;
  }).join("\n");
}

if (import.meta.main) {
  const options = runOptionsFromArgs();
  const results = await study.run(options);
  const nearby = await band.run(options);
  const replicated = await replicas.run(options);
  results.table(COLUMNS);
  const { html } = await new Findings("Agg vs disagg")
    .text(
      `Two GPUs at the start serve \`${TRACE}\`` +
        (TRACE === AGENTIC
          ? ` (${SESSIONS.maxSessions} agentic sessions, ${SESSIONS.sessionIntervalMs / 1000} s apart)`
          : "") +
        " as two aggregated workers or as one prefill and one decode worker (KV router; " +
        ("model" in ENGINE
          ? "Llama-3.1-8B-Instruct-FP8 on H200s with vLLM, analytic perf model"
          : "the reference's polynomial timing model") +
        `), at ${SPEEDUPS.join("×, ")}× the trace's pace. The SLA planner (target \`sla\`, TTFT ` +
        `${SLA.ttftMs} ms, ITL ${SLA.itlMs} ms, throughput and load scaling every 300 s and 10 s) scales each; the ` +
        "static variants keep their two GPUs. Goodput counts the requests within the same SLA. A run lasts as " +
        "long as its longest session, so GPU-hours include a long tail with few sessions left.",
    )
    .text(`## Results\n\n${verdicts(results, nearby, replicated)}`)
    .table(results, COLUMNS)
    .figure(
      results.compare(["ttftP90", "itlAvg", "goodputRatio", "gpuHours"]),
      "the four fleets against pace",
    )
    .figure(results.timeline({ variant: "agg", arrivalSpeedupRatio: 2 }), "agg with the planner at 2× pace")
    .figure(
      results.timeline({ variant: "disagg", arrivalSpeedupRatio: 2 }),
      "disagg with the planner at 2× pace",
    )
    .scenario(study)
    .write();
  console.log(`findings: ${html}`);
}
