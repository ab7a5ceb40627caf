/**
 * Decode KV in disaggregated serving: how much KV a decode worker needs, and what the SLA planner does when it
 * has too little. One prefill and one decode worker at the start on the Mooncake conversation trace, KV router,
 * the decode workers' KV pool swept from 300 blocks (19,200 tokens) to 20,000 (1.28 M tokens), with the SLA
 * planner (load scaling every 10 s) and static; the planner also within 1 % of the trace's pace, in five
 * replications at ±1 ms and in five with the trace's quantised 3 s steps spread (±1,500 ms).
 *
 * A decode worker reserves a hand-off's KV before its transfer starts (vLLM's KV connectors), so a decode
 * pool short of KV makes finished prompts wait on their prefill worker (`handoffWaitShare`,
 * `handoffWaitAvg`). The planner's SLA decode rule scales the decode pool when every decode engine's KV is
 * oversubscribed (a dynolab rule beside the reference's ITL estimate, which a small KV pool never trips:
 * `lib/planner/README.md`, difference 8).
 *
 * Timing: the analytic perf model for Llama-3.1-8B-Instruct-FP8 on H200s with vLLM (the reference's `aic_*`
 * engine args); prefill workers keep the KV capacity derived from the memory budget.
 *
 * Run: `deno run -A scenarios/decode_kv.ts [--no-cache] [--quiet]` (writes `findings/decode-kv.{md,html}`), or
 * sharded with `deno task sweep scenarios/decode_kv.ts`.
 *
 * @module
 */
import {
  around,
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
  REPLICAS,
  replicate,
  type Results,
  type Row,
  runOptionsFromArgs,
  type Scenario,
  scenario,
  SIMULTANEOUS_ARRIVALS,
  spreadJitterMs,
} from "../mod.ts";

/** The trace: its timestamps are quantised ({@link quantisedSteps}). */
const TRACE = "mooncake:conversation";

const SLA = { ttftMs: 1500, itlMs: 50 };
const ENGINE = { backend: "vllm", gpu: "h200_sxm", model: "nvidia/Llama-3.1-8B-Instruct-FP8", tp: 1 };
const BLOCKS = [300, 600, 1200, 2400, 4800, 20_000];
const PLANNER = {
  optimizationTarget: "sla",
  ...SLA,
  enableThroughputScaling: false,
  enableLoadScaling: true,
  loadIntervalS: 10,
  prefillEngineNumGpu: 1,
  decodeEngineNumGpu: 1,
} as const;
const COLUMNS = [
  "variant",
  "decode.numGpuBlocks",
  "ttftAvg",
  "ttftP90",
  "itlAvg",
  "handoffWaitShare",
  "handoffWaitAvg",
  "prefillWorkersAvg",
  "decodeWorkersAvg",
  "gpuHours",
];

/** One prefill and one decode worker at the start. */
const base: Scenario = scenario("decode kv")
  .trace(TRACE)
  .engine(ENGINE)
  .router("kv_router")
  .sla(SLA)
  .disagg({ prefill: { workers: 1 }, decode: { workers: 1 } });
/** The decode pool's KV × planner or static. */
const study: Scenario = base
  .compare({
    planner: (s) => s.planner(PLANNER),
    static: (s) => s,
  })
  .sweep("decode.numGpuBlocks", BLOCKS);
export default study;

/** The paces within 1 % of the trace's own. */
const PACES = around(1, 0.01);
/** The planner at every KV size. */
const plannerRuns: Scenario = base.planner(PLANNER).sweep("decode.numGpuBlocks", BLOCKS);
/** The planner at every KV size and every pace of {@link PACES}: which of its figures hold nearby. */
const band: Scenario = plannerRuns.sweep("arrivalSpeedupRatio", PACES);
/** The replications' seeds and arrival jitter: the DSL's defaults ({@link REPLICAS}). */
const { seeds: SEEDS, jitterMs: JITTER_MS } = REPLICAS;
/** The planner at every KV size, once per seed of {@link SEEDS}: which of its figures hold by chance alone. */
const replicas: Scenario = replicate(plannerRuns);
/** The jitter `spread_arrival_steps` gives the trace here (half its timestamp step), for the prose. */
const SPREAD_MS = spreadJitterMs(TRACE);
/** The planner at every KV size, once per seed with the trace's quantised steps spread ({@link SPREAD_MS}). */
const spread: Scenario = replicate(plannerRuns, { spread: true });

const pct = (v: unknown) => typeof v === "number" ? `${(v * 100).toFixed(0)} %` : "—";

const ms = (v: unknown) =>
  typeof v === "number" && v >= 10_000 ? `${formatCount(v / 1000)} s` : `${formatCount(v)} ms`;

/** One sentence per KV size and a summary, from the results. */
function verdicts(results: Results): string {
  const row = (variant: string, blocks: number): Row =>
    results.rows[results.get({ variant, "decode.numGpuBlocks": blocks }).index];
  const lines = BLOCKS.map((blocks) => {
    const [p, s] = [row("planner", blocks), row("static", blocks)];
    const size = `${formatCount(blocks)} blocks (${formatCount(blocks * 64)} tokens)`;
    const waited = s.handoffWaitAvg === null ? "" : ` (mean ${ms(s.handoffWaitAvg)} of those)`;
    const fixed = `${pct(s.handoffWaitShare)} of the hand-offs wait for decode KV${waited}, mean TTFT ${
      ms(s.ttftAvg)
    }`;
    const planned = `${pct(p.handoffWaitShare)} wait, mean TTFT ${ms(p.ttftAvg)}, ` +
      `${formatCount(p.prefillWorkersAvg, 2)} prefill and ${
        formatCount(p.decodeWorkersAvg, 2)
      } decode workers on average, ` +
      `${formatCount(p.gpuHours, 2)} GPU-hours`;
    return `- **${size}**: static, ${fixed}; with the planner, ${planned}.`;
  });
  const last = BLOCKS[BLOCKS.length - 1];
  const [small, large, ample] = [row("planner", BLOCKS[0]), row("planner", last), row("static", last)];
  const ttfts = BLOCKS.map((b) => row("planner", b).ttftAvg as number);
  const summary =
    `The static fleet is short of prefill whatever its decode KV (mean TTFT ${ms(ample.ttftAvg)} ` +
    `with ${
      formatCount(last)
    } blocks); a short decode pool multiplies that. The planner keeps mean TTFT between ` +
    `${ms(Math.min(...ttfts))} and ${ms(Math.max(...ttfts))} at every size by growing the decode pool, for ` +
    `${formatCount(small.gpuHours, 2)} GPU-hours at ${formatCount(BLOCKS[0])} blocks against ${
      formatCount(large.gpuHours, 2)
    } at ${formatCount(last)}.`;
  return `${lines.join("\n")}\n\n${summary}`;
}

/** The band's metrics: column, label and how to print a value. */
const BAND_METRICS: readonly ExtentColumn[] = [
  { key: "ttftAvg", label: "mean TTFT", show: ms },
  { key: "handoffWaitShare", label: "hand-offs waiting", show: pct },
  { key: "decodeWorkersAvg", label: "decode workers", show: (v) => formatFixed(v, 2) },
  { key: "gpuHours", label: "GPU-hours", show: (v) => formatFixed(v, 2) },
];

/** How the planner's figures move from one KV size to the next, by {@link extentSteps}. */
const MOVES = { above: "grow", below: "shrink", overlaps: "overlap" } as const;

/**
 * The planner's figures over a set of runs at each KV size (`rows`: the paces within 1 % of the trace's, or
 * replications; `runs` says which, `every` how an order holds over them): each size's ranges, the TTFT it
 * holds over every run, and whether decode workers and GPU-hours keep their order from size to size.
 */
function bandSummary(rows: Row[], runs: string, every: string): string {
  const table = extentTable(rows, "decode.numGpuBlocks", BLOCKS, "decode KV (blocks)", BAND_METRICS);
  const order = (key: string, label: string) => {
    const moves = extentSteps(rows, key, "decode.numGpuBlocks", BLOCKS).map((step) => MOVES[step]);
    const others = moves.flatMap((m, i) =>
      m === "shrink" ? [] : [`${m} from ${formatCount(BLOCKS[i])} to ${formatCount(BLOCKS[i + 1])} blocks`]
    );
    return others.length === 0
      ? `${label} shrink from each size to the next ${every}`
      : `${label} shrink from one size to the next in ${moves.length - others.length} of ${moves.length} ` +
        `steps, and ${others.join(", ")}`;
  };
  const [lo, hi] = extent(rows, "ttftAvg");
  return `${runs}, the planner keeps mean TTFT between ${ms(lo)} and ` +
    `${ms(hi)} at every size; ${order("decodeWorkersAvg", "decode workers")}; ` +
    `${order("gpuHours", "GPU-hours")}.\n\n${table}`;
}

/**
 * The KV sizes at which the planner's unjittered run has a mean TTFT outside its replications' range, and why
 * (`rows`: the study's; `replicated`: the {@link replicas}').
 */
function outliers(rows: Row[], replicated: Row[]): string {
  const planner = rows.filter((r) => r.variant === "planner");
  const out = outsideBand(planner, replicated, "ttftAvg", "decode.numGpuBlocks", BLOCKS).map((o) =>
    `${formatCount(o.value)} blocks (${ms(o.single)} against ${formatSpan(o.range, ms)})`
  );
  return out.length === 0
    ? "With the planner, the unjittered run's mean TTFT lies within its replications' range at every size."
    : `With the planner, the unjittered run's mean TTFT lies outside its replications' range at ` +
      `${out.length === BLOCKS.length ? "every size" : `${out.length} of ${BLOCKS.length} sizes`}: ` +
      `${out.join(", ")}. ${SIMULTANEOUS_ARRIVALS}`;
}

if (import.meta.main) {
  const options = runOptionsFromArgs();
  const results = await study.run(options);
  const nearby = await band.run(options);
  const replicated = await replicas.run(options);
  const spreadOut = await spread.run(options);
  results.table(COLUMNS);
  const { html } = await new Findings("Decode KV")
    .text(
      "One prefill and one decode worker at the start serve the Mooncake conversation trace (KV router; " +
        "Llama-3.1-8B-Instruct-FP8 on H200s with vLLM, analytic perf model), with the decode workers' KV pool " +
        `swept from ${formatCount(BLOCKS[0])} to ${
          formatCount(BLOCKS.at(-1))
        } blocks of 64 tokens. The SLA planner (target \`sla\`, ` +
        `TTFT ${SLA.ttftMs} ms, ITL ${SLA.itlMs} ms, load scaling every 10 s) scales each pool; the static ` +
        "variant keeps its two workers. A decode worker reserves a hand-off's KV before the transfer, so a short " +
        "decode pool holds finished prompts on their prefill worker.",
    )
    .text(`## Results\n\n${verdicts(results)}`)
    .table(results, COLUMNS)
    .text(
      `### Within 1 % of the trace's pace, and by chance, with the planner\n\n${
        bandSummary(nearby.rows, `Run at ${PACES.join("×, ")}× the trace's pace`, "in every run")
      }\n\n${
        bandSummary(
          replicated.rows,
          `Run ${SEEDS.length} times at the trace's pace with a ±${JITTER_MS} ms arrival jitter (\`arrival_jitter_ms\`)`,
          "in every replication",
        )
      }\n\n${outliers(results.rows, replicated.rows)}`,
    )
    .text(
      `### The trace's steps spread, with the planner\n\n${quantisedSteps(TRACE)}. ${
        bandSummary(
          spreadOut.rows,
          `Spread over their steps (\`spread_arrival_steps\`: ±${
            formatCount(SPREAD_MS)
          } ms, ${SEEDS.length} seeds)`,
          "in every replication",
        )
      }`,
    )
    .figure(
      results.plot("decode.numGpuBlocks", ["ttftAvg", "handoffWaitShare", "decodeWorkersAvg", "gpuHours"]),
      "the decode pool's KV against TTFT, hand-off waits, decode workers and GPU-hours",
    )
    .figure(
      results.timeline({ variant: "planner", "decode.numGpuBlocks": 600 }),
      "with the planner, 600 decode blocks",
    )
    .scenario(study)
    .write();
  console.log(`findings: ${html}`);
}
