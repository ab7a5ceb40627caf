/**
 * The SLA planner with an attention-DP decode pool: which decode layout costs fewer GPUs for an ITL target?
 * DeepSeek-R1 on H200s, disaggregated, one 8-GPU prefill worker (attention TP 8) and one 8-GPU decode worker
 * at the start, the decode workers' attention split by tensor parallelism (TP 8) or run as eight data-parallel
 * ranks (attention DP 8), experts over eight GPUs (EP 8) everywhere, behind the KV router. The Mooncake
 * conversation trace at 1×, 2× and 4× its pace; the planner (target `sla`, TTFT 3 s, ITL 30, 45 or 60 ms,
 * throughput scaling every 60 s on demand counted at arrival, load scaling every 10 s, 128-GPU budget) sizes
 * both pools. Every variant also runs within 1 % of 4× pace, and any whose figures swing there runs five times
 * more at exactly 4× with a ±1 ms arrival jitter, to tell a swing with the pace from one by chance. Every
 * variant runs five times more at 4× with the trace's quantised 3 s timestamp steps spread over their length
 * (`spread_arrival_steps`), to see which orders hold when requests do not arrive in bursts at one instant.
 *
 * A TP 8 decode worker decodes fast (each GPU reads an eighth of the weights) but holds one GPU's worth of MLA
 * KV and 256 sequences; a DP 8 worker holds eight GPUs' worth and 8 × 256 sequences, each rank reading the
 * whole attention and dense weights every step (`findings/attention-dp-load.md`). The planner sizes a DP
 * worker by its ranks' summed rate (`lib/planner/README.md`, difference 9).
 *
 * Timing: the `aic_*` engine args (vLLM, h200_sxm, deepseek-ai/DeepSeek-R1), i.e. the analytic perf model.
 *
 * Run: `deno run -A scenarios/dp_planner.ts [--no-cache] [--quiet]` (writes `findings/dp-planner.{md,html}`),
 * or sharded with `deno task sweep scenarios/dp_planner.ts`.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import {
  around,
  type DescribedMetric,
  describeMetrics,
  extent,
  extentTable,
  Figure,
  Findings,
  formatCount,
  formatFixed,
  formatSpan,
  quantisedSteps,
  REPLICAS,
  replicate,
  type Results,
  type Row,
  runOptionsFromArgs,
  type Scenario,
  scenario,
  spreadJitterMs,
} from "../mod.ts";

const AIC = { backend: "vllm", gpu: "h200_sxm", model: "deepseek-ai/DeepSeek-R1" };
const TP8 = { aicTpSize: 8, aicMoeEpSize: 8 };
const DP8 = { aicTpSize: 1, aicAttentionDpSize: 8, aicMoeEpSize: 8 };
/** GPUs per worker in both pools. */
const GPUS = 8;
const TTFT_MS = 3000;
const ITL_MS = [30, 45, 60];
const PACES = [1, 2, 4];
/** The top pace, where the band, the replications and the spread runs are. */
const TOP = PACES[PACES.length - 1];
/** The trace: its timestamps are quantised ({@link quantisedSteps}). */
const TRACE = "mooncake:conversation";
const LAYOUTS = { "TP 8": TP8, "DP 8": DP8 } as const;
type Layout = keyof typeof LAYOUTS;
const PLANNER = {
  optimizationTarget: "sla",
  enableThroughputScaling: true,
  enableLoadScaling: true,
  throughputIntervalS: 60,
  loadIntervalS: 10,
  demandCounting: "arrival",
  maxGpuBudget: 128,
} as const;
const COLUMNS = [
  "variant",
  "speedup",
  "ttftAvg",
  "ttftP90",
  "itlAvg",
  "itlP90",
  "goodputRatio",
  "prefillWorkersAvg",
  "decodeWorkersAvg",
  "gpuHours",
  "scalingEvents",
];

/** Milliseconds written as seconds, to a tenth. */
const seconds = (ms: number) => formatFixed(ms / 1000, 1);
/** A figure to a tenth. */
const tenths = (v: number) => formatFixed(v, 1);

/** The variant name of a decode layout under an ITL target. */
const variant = (layout: Layout, itlMs: number) => `${layout} decode, ITL ${itlMs} ms`;

/** Every decode layout under every ITL target, by variant name. */
const VARIANTS: Readonly<Record<string, (s: Scenario) => Scenario>> = Object.fromEntries(
  ITL_MS.flatMap((itlMs) =>
    (Object.keys(LAYOUTS) as Layout[]).map((layout) => [
      variant(layout, itlMs),
      (s: Scenario) =>
        s.disagg({ prefill: { workers: 1, ...TP8 }, decode: { workers: 1, ...LAYOUTS[layout] } })
          .sla({ ttftMs: TTFT_MS, itlMs })
          .planner({ ...PLANNER, ttftMs: TTFT_MS, itlMs }),
    ])
  ),
);
/** The trace, engines and router every variant shares. */
const fleet: Scenario = scenario("dp planner").trace(TRACE).engine(AIC).router("kv_router");
/** Every variant. */
const base: Scenario = fleet.compare(VARIANTS);
/** The study: every variant swept over the trace's pace. */
const study: Scenario = base.sweep("speedup", PACES);
export default study;

/** Paces within 1 % of the top one, to see whether each figure at the top pace holds nearby. */
const BAND = around(TOP, 0.01);
const band: Scenario = base.sweep("speedup", BAND);

/** The replications' seeds and arrival jitter: the DSL's defaults ({@link REPLICAS}). */
const { seeds: SEEDS, jitterMs: JITTER_MS } = REPLICAS;
/** `names` at exactly the top pace, once per seed: does a variant that swings in the band swing by chance? */
const replicasOf = (names: readonly string[]): Scenario =>
  replicate(
    fleet.compare(Object.fromEntries(names.map((name) => [name, VARIANTS[name]])))
      .set({ speedup: TOP }),
  );

/** Every variant at the top pace once per seed, the trace's quantised steps spread over their length. */
const spread: Scenario = replicate(base.set({ speedup: TOP }), { spread: true });

/** The figures compared with the steps spread. */
const SPREAD_METRICS: DescribedMetric[] = [
  { key: "decodeGpus", label: "decode GPUs", show: tenths },
  { key: "gpuHours", label: "GPU-hours", show: tenths },
  { key: "ttftAvg", label: "mean TTFT", unit: " s", show: seconds },
  { key: "itlAvg", label: "mean ITL", unit: " ms", show: tenths },
];

/** DP 8 decode against TP 8 decode under each ITL target with the steps spread (`rows`: {@link spread}'s). */
function spreadSummary(rows: Row[]): string {
  const lines = ITL_MS.map((itlMs) =>
    `- **ITL ${itlMs} ms**: ` +
    describeMetrics(
      rows,
      "seed",
      SEEDS,
      { variant: variant("DP 8", itlMs) },
      { variant: variant("TP 8", itlMs) },
      SPREAD_METRICS,
      "replication",
    )
  );
  const swinging = swingingOf(rows);
  const verdict = swinging.length === 0
    ? "No variant's figures swing over the replications (mean TTFT within 1.5×, decode GPUs within 1.2×)."
    : `${swinging.map((v) => `**${v}**`).join(", ")} ${swinging.length > 1 ? "swing" : "swings"} over the ` +
      "replications (mean TTFT beyond 1.5× or decode GPUs beyond 1.2×): with the arrivals spread, whether " +
      "the planner's growth reaches the GPU budget and starves the prefill pool is chance as well as pace.";
  return `${quantisedSteps(TRACE)}. Spread over their steps (\`spread_arrival_steps\`: ±${
    formatCount(spreadJitterMs(TRACE, TOP))
  } ms at ${TOP}×, seeds ${SEEDS.join(", ")}), DP 8 decode against TP 8 decode:\n\n${lines.join("\n")}\n\n` +
    verdict;
}

/** Each run's row with its layout, ITL target and mean GPUs provisioned per pool. */
function byLayout(results: Results): Row[] {
  return results.rows.map((r) => {
    const [, layout, itl] = /^(.+) decode, ITL (\d+) ms$/.exec(r.variant as string)!;
    return {
      ...r,
      layout,
      itlTarget: `ITL ${itl} ms`,
      prefillGpus: GPUS * (r.prefillWorkersAvg as number),
      decodeGpus: GPUS * (r.decodeWorkersAvg as number),
    };
  });
}

/** Mean decode GPUs against pace, one line per layout, one panel per ITL target. */
function gpuFigure(rows: Row[]): Figure {
  return new Figure(
    [{
      height: 300,
      marginRight: 60,
      x: { label: "trace pace (×)", ticks: PACES, type: "log" },
      y: { label: "decode GPUs provisioned (mean)", grid: true },
      fx: { label: null },
      color: { legend: true },
      marks: [
        Plot.line(rows, { x: "speedup", y: "decodeGpus", stroke: "layout", fx: "itlTarget" }),
        Plot.dot(rows, { x: "speedup", y: "decodeGpus", fill: "layout", fx: "itlTarget" }),
        Plot.frame({ strokeOpacity: 0.2 }),
      ],
    }],
    "decode GPUs the planner provisions",
  );
}

/** What the runs show, from their rows (`nearby`: the runs of {@link BAND}). */
function summary(rows: Row[], nearby: Row[]): string {
  const at = (layout: Layout, itlMs: number, pace: number) =>
    rows.find((r) => r.variant === variant(layout, itlMs) && r.speedup === pace)!;
  const s = (v: unknown) => `${formatFixed((v as number) / 1000, 1)} s`;
  const loose = ITL_MS[ITL_MS.length - 1], tight = ITL_MS[0];
  const line = (itlMs: number) => {
    const tp = at("TP 8", itlMs, TOP), dp = at("DP 8", itlMs, TOP);
    return `- **ITL ${itlMs} ms**: TP 8 decode ${formatFixed(tp.decodeGpus, 1)} GPUs (mean ITL ` +
      `${formatFixed(tp.itlAvg, 1)} ms, TTFT ${s(tp.ttftAvg)}, ${
        formatFixed(100 * (tp.goodputRatio as number))
      }% within both ` +
      `targets), DP 8 decode ${formatFixed(dp.decodeGpus, 1)} GPUs (ITL ${
        formatFixed(dp.itlAvg, 1)
      } ms, TTFT ` +
      `${s(dp.ttftAvg)}, ${formatFixed(100 * (dp.goodputRatio as number))}%); ${
        formatFixed(tp.gpuHours, 1)
      } against ` +
      `${formatFixed(dp.gpuHours, 1)} GPU-hours in all.`;
  };
  const dpLoose = at("DP 8", loose, TOP), tpLoose = at("TP 8", loose, TOP);
  const flips = (at("DP 8", tight, TOP).decodeGpus as number) > (at("TP 8", tight, TOP).decodeGpus as number);
  const tightTtft = extent(nearby, "ttftAvg", { variant: variant("DP 8", tight) });
  return [
    `At ${TOP}× pace, by ITL target (mean GPUs over the run):`,
    ITL_MS.map(line).join("\n"),
    `With a loose ITL target a DP 8 decode worker carries ${
      formatFixed((tpLoose.decodeGpus as number) / (dpLoose.decodeGpus as number), 1)
    }× ` +
    `a TP 8 worker's load (KV and sequence slots for eight ranks): the planner provisions ` +
    `${formatFixed(dpLoose.decodeGpus, 1)} decode GPUs where TP 8 needs ${
      formatFixed(tpLoose.decodeGpus, 1)
    }, and a TP 8 pool ` +
    `sized by its KV decodes well inside the target (mean ITL ${
      formatFixed(tpLoose.itlAvg, 1)
    } ms). With a tight one ` +
    `${flips ? "the order flips" : "DP 8 still needs fewer GPUs, but its margin shrinks"}: every DP rank ` +
    `reads the whole attention ` +
    `and dense weights each step, so a DP 8 pass is slow at any batch and the planner can only keep ITL ` +
    `under ${tight} ms with small batches on many workers, until the GPU budget can starve the prefill pool ` +
    `(mean TTFT ${s(at("DP 8", tight, TOP).ttftAvg)} at ${TOP}×, ${s(tightTtft[0])} to ${
      s(tightTtft[1])
    } within 1 % of it: below).`,
  ].join("\n\n");
}

/** Whether a range swings: its largest value above `factor` × its smallest. */
const swings = ([lo, hi]: readonly [number, number], factor: number) => hi > factor * lo;

/** The variants whose mean TTFT (more than 1.5×) or decode GPUs (more than 1.2×) swing over `rows`. */
function swingingOf(rows: Row[]): string[] {
  const variants = [...new Set(rows.map((r) => r.variant as string))];
  return variants.filter((variant) =>
    swings(extent(rows, "ttftAvg", { variant }), 1.5) || swings(extent(rows, "decodeGpus", { variant }), 1.2)
  );
}

/**
 * Whether each variant that swings over {@link BAND} also swings by chance at exactly the top pace
 * (`replicated`: its replications' rows).
 */
function replicaSummary(replicated: Row[]): string {
  const names = [...new Set(replicated.map((r) => r.variant as string))];
  const lines = names.map((variant) => {
    const [t, g] = [
      extent(replicated, "ttftAvg", { variant }),
      extent(replicated, "decodeGpus", { variant }),
    ];
    const steady = !swings(t, 1.5) && !swings(g, 1.2);
    return `**${variant}**: mean TTFT ${formatSpan(t, seconds)} s, ` +
      `decode GPUs ${formatSpan(g, tenths)}: ` +
      (steady ? "steady, so its swing in the band follows the pace, not chance" : "it swings by chance too");
  });
  return `At exactly ${TOP}× pace, ${SEEDS.length} replications with a ±${JITTER_MS} ms ` +
    `arrival jitter (\`arrival_jitter_ms\`, seeds ${SEEDS.join(", ")}): ${lines.join("; ")}.`;
}

/**
 * How far each variant's figures move over the paces of {@link BAND}: a sentence naming the variants whose mean
 * TTFT or decode GPUs swing (max over min above 1.5 or 1.2), and a table of every variant's ranges.
 */
function bandSummary(rows: Row[]): string {
  const variants = [...new Set(rows.map((r) => r.variant as string))];
  const span = (variant: string, key: string) => extent(rows, key, { variant });
  const table = extentTable(rows, "variant", variants, "variant", [
    { key: "ttftAvg", label: "mean TTFT (s)", show: seconds },
    { key: "decodeGpus", label: "decode GPUs", show: tenths },
    { key: "gpuHours", label: "GPU-hours", show: tenths },
  ]);
  const swinging = swingingOf(rows);
  const verdict = swinging.length === 0
    ? "every variant's figures hold: mean TTFT within 1.5× and decode GPUs within 1.2× across the band."
    : `${
      swinging.map((v) => `**${v}** (mean TTFT ${formatSpan(span(v, "ttftAvg"), seconds)} s)`).join(", ")
    } ${swinging.length > 1 ? "swing" : "swings"}: ` +
      "whether the planner's growth reaches the GPU budget and starves the prefill pool turns on the exact " +
      "pace, so its figure at one pace is a knife edge, not a property of the layout. The others hold (mean " +
      "TTFT within 1.5×, decode GPUs within 1.2×).";
  return `Swept over ${BAND.join("×, ")}× pace, ${verdict}\n\n${table}`;
}

if (import.meta.main) {
  const options = runOptionsFromArgs();
  const results = await study.run(options);
  const nearby = byLayout(await band.run(options));
  const swinging = swingingOf(nearby);
  const replicated = swinging.length ? byLayout(await replicasOf(swinging).run(options)) : [];
  const spreadOut = byLayout(await spread.run(options));
  results.table(COLUMNS);
  const rows = byLayout(results);
  const { html } = await new Findings("Attention DP decode under the planner", "dp-planner")
    .text(
      "DeepSeek-R1 (vLLM, analytic timing) on H200s, disaggregated behind the KV router: 8-GPU prefill " +
        "workers with attention TP 8, and 8-GPU decode workers with attention TP 8 or run as eight " +
        "data-parallel ranks (`aic_attention_dp_size: 8`, each with its own scheduler, KV pool and 256 " +
        "sequence slots, stepping together); experts over eight GPUs (EP 8) everywhere. One worker per pool " +
        `at the start; the SLA planner (TTFT ${TTFT_MS / 1000} s, ITL ${ITL_MS.join(", ")} ms; throughput ` +
        "scaling every 60 s on demand counted at arrival, load scaling every 10 s, 128-GPU budget) sizes " +
        `both pools on the Mooncake conversation trace at ${PACES.join("×, ")}× its pace. It sizes a DP ` +
        "worker by its ranks' summed rate, each rank on its own share of the KV.",
    )
    .text(`## Results\n\n${summary(rows, nearby)}`)
    .text(
      `### Within 1 % of ${TOP}× pace\n\n${bandSummary(nearby)}` +
        (replicated.length ? `\n\n${replicaSummary(replicated)}` : ""),
    )
    .text(`### The trace's steps spread\n\n${spreadSummary(spreadOut)}`)
    .figure(gpuFigure(rows), "mean decode GPUs by pace, one panel per ITL target")
    .table(results, COLUMNS, "by decode layout, ITL target and pace")
    .scenario(study)
    .write();
  console.log(`findings: ${html}`);
}
