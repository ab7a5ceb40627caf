/**
 * Where attention DP pays: DeepSeek-R1 on sixteen H200s as two aggregated 8-GPU workers or as one 8-GPU prefill
 * worker and one 8-GPU decode worker, attention split by tensor parallelism (TP 8) or by data parallelism
 * (attention DP 8), experts over eight GPUs (EP 8) in every worker, behind the KV router. Closed loop, prompts
 * and answers of 820–1,024 tokens (uniform, as InferenceX's client draws them, so requests do not return in
 * lockstep), from 16 to 2,048 requests in flight.
 *
 * MLA's compressed KV is replicated under TP, so a TP 8 worker holds one GPU's worth of KV and every GPU reads
 * all of it each step; an attention-DP rank holds and reads only its own requests'. Attention DP pays in
 * weights: each rank reads the whole attention and dense layers every step, and the ranks step together.
 *
 * Timing: the `aic_*` engine args (vLLM, h200_sxm, deepseek-ai/DeepSeek-R1), i.e. the analytic perf model. No
 * shared data needed: the workload is synthetic.
 *
 * Run: `deno run -A scenarios/attention_dp_load.ts [--no-cache] [--quiet]` (writes
 * `findings/attention-dp-load.{md,html}`).
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import {
  Figure,
  Findings,
  formatCount,
  formatFixed,
  type Results,
  type Row,
  runOptionsFromArgs,
  scenario,
} from "../mod.ts";

const AIC = { backend: "vllm", gpu: "h200_sxm", model: "deepseek-ai/DeepSeek-R1" };
/** GPUs in every layout. */
const GPUS = 16;
const LOADS = [16, 64, 128, 256, 512, 1024, 2048];
const COLUMNS = [
  "variant",
  "concurrency",
  "ttftAvg",
  "ttftP90",
  "tpotAvg",
  "itlP99",
  "throughput",
  "decodePassMs",
  "handoffWaitShare",
];

const TP8 = { aicTpSize: 8, aicMoeEpSize: 8 };
const DP8 = { aicTpSize: 1, aicAttentionDpSize: 8, aicMoeEpSize: 8 };
/** The layouts' variant names, as the summary reads them back. */
const AGG_TP = "agg, 2 × TP 8", AGG_DP = "agg, 2 × DP 8";
const DIS_TP = "disagg, TP 8 → TP 8", DIS_DP = "disagg, TP 8 → DP 8";

/** The four 16-GPU layouts, swept over requests in flight. */
const study = scenario("attention dp by load")
  .synthetic({
    inputTokens: 1024,
    outputTokens: 1024,
    lengthRangeRatio: 0.8,
    requestCount: 4 * LOADS[LOADS.length - 1],
  })
  .engine(AIC)
  .router("kv_router")
  .compare({
    [AGG_TP]: (s) => s.agg({ workers: 2 }).engine(TP8),
    [AGG_DP]: (s) => s.agg({ workers: 2 }).engine(DP8),
    [DIS_TP]: (s) => s.disagg({ prefill: { workers: 1, ...TP8 }, decode: { workers: 1, ...TP8 } }),
    [DIS_DP]: (s) => s.disagg({ prefill: { workers: 1, ...TP8 }, decode: { workers: 1, ...DP8 } }),
  })
  .sweep("concurrency", LOADS);
export default study;

/**
 * Each run's output tokens per second per GPU and per user (the serving trade-off); `ceiling` marks a run within
 * 1% of a lighter-loaded run of its layout (past the layout's ceiling, where points pile up).
 */
function tradeOff(results: Results): Row[] {
  const rows = results.rows.map((r) => ({
    row: r,
    perGpu: (r.throughput as number) / GPUS,
    perUser: 1000 / (r.tpotAvg as number),
  }));
  return rows.map(({ row, perGpu, perUser }) => ({
    ...row,
    perGpu,
    perUser,
    ceiling: rows.some((o) =>
      o.row.variant === row.variant && (o.row.concurrency as number) < (row.concurrency as number) &&
      Math.abs(o.perGpu / perGpu - 1) < 0.01
    ),
  }));
}

/** Throughput per GPU against speed per user, one line per layout, points labelled by requests in flight. */
function tradeOffFigure(rows: Row[]): Figure {
  return new Figure(
    [{
      height: 420,
      marginRight: 30,
      x: { label: "output tokens/s per user (1000 / mean TPOT)", grid: true },
      y: { label: "output tokens/s per GPU", grid: true },
      color: { legend: true },
      marks: [
        Plot.line(rows, { x: "perUser", y: "perGpu", stroke: "variant", sort: "concurrency" }),
        Plot.dot(rows, { x: "perUser", y: "perGpu", fill: "variant" }),
        Plot.text(rows.filter((r) => !r.ceiling), {
          x: "perUser",
          y: "perGpu",
          text: "concurrency",
          dy: -9,
          fontSize: 9,
        }),
      ],
    }],
    "throughput against interactivity",
  );
}

/** What the runs show, from their rows. */
function summary(rows: Row[]): string {
  const at = (variant: string, c: number) => rows.find((r) => r.variant === variant && r.concurrency === c)!;
  const low = LOADS[0], high = LOADS[LOADS.length - 1];
  const value = (variant: string, c: number, key: "tpotAvg" | "perGpu") => at(variant, c)[key] as number;
  const tpot = (variant: string, c: number) => `${formatFixed(value(variant, c, "tpotAvg"), 1)} ms`;
  const perGpu = (variant: string, c: number) => formatFixed(value(variant, c, "perGpu"));
  const [faster, more] = [
    (a: string, b: string, c: number) => value(a, c, "tpotAvg") < value(b, c, "tpotAvg"),
    (a: string, b: string, c: number) => value(a, c, "perGpu") > value(b, c, "perGpu"),
  ];
  const tpFaster = faster(AGG_TP, AGG_DP, low) && faster(DIS_TP, DIS_DP, low);
  const dpBetter = more(DIS_DP, AGG_TP, 512) && faster(DIS_DP, AGG_TP, 512);
  const dpMost = [AGG_DP, DIS_DP].every((dp) => [AGG_TP, DIS_TP].every((tp) => more(dp, tp, high)));
  return [
    `At ${low} requests in flight ${tpFaster ? "tensor parallelism" : "neither layout"} is the faster ` +
    `${tpFaster ? "layout" : "one both ways"}: mean TPOT ` +
    `${tpot(AGG_TP, low)} aggregated and ${tpot(DIS_TP, low)} disaggregated, against ` +
    `${tpot(AGG_DP, low)} and ${tpot(DIS_DP, low)} with attention DP, whose ranks each read the whole ` +
    "attention and dense weights every step for a handful of requests.",
    "With load, slots and KV decide. A TP 8 worker runs at most 256 requests (`max_num_seqs`, the default) " +
    "and holds one GPU's worth of MLA KV; a DP 8 worker runs 256 per rank and holds eight GPUs' worth. Two " +
    `aggregated TP 8 workers top out at ${perGpu(AGG_TP, high)} output tokens/s per GPU whatever the load, ` +
    "and the disaggregated TP 8 decode worker runs out of KV at 512 in flight: " +
    `${
      formatFixed(100 * (at(DIS_TP, 512).handoffWaitShare as number))
    }% of hand-offs wait for room, mean TTFT ` +
    `${formatFixed(at(DIS_TP, 512).ttftAvg)} ms, ${
      perGpu(DIS_TP, 512)
    } tokens/s per GPU. At the same load the DP 8 ` +
    `decode worker serves ${perGpu(DIS_DP, 512)} tokens/s per GPU at ${tpot(DIS_DP, 512)} TPOT, ` +
    `${dpBetter ? "more and faster than" : "against"} aggregated TP 8 (${perGpu(AGG_TP, 512)} at ` +
    `${tpot(AGG_TP, 512)}).`,
    `At ${formatFixed(high)} in flight the attention-DP layouts ${dpMost ? "serve the most" : "serve"}: ` +
    `${perGpu(AGG_DP, high)} tokens/s per ` +
    `GPU aggregated and ${perGpu(DIS_DP, high)} disaggregated. They differ in smoothness: aggregated, a ` +
    "prefill on one rank stalls the other seven's decodes, and the p99 gap between tokens is " +
    `${formatFixed(at(AGG_DP, high).itlP99)} ms against ${formatFixed(at(DIS_DP, high).itlP99)} ms ` +
    "with a separate prefill worker.",
  ].join("\n\n");
}

if (import.meta.main) {
  const results = await study.run(runOptionsFromArgs());
  results.table(COLUMNS);
  const rows = tradeOff(results);
  const { html } = await new Findings("Attention DP by load", "attention-dp-load")
    .text(
      `DeepSeek-R1 (vLLM, analytic timing) on ${GPUS} H200s in four layouts behind the KV router: two ` +
        "aggregated 8-GPU workers, or one 8-GPU prefill worker handing off to one 8-GPU decode worker, with " +
        "attention split by tensor parallelism (`TP 8`) or run as eight data-parallel ranks (`DP 8`, " +
        "`aic_attention_dp_size: 8`, each rank with its own scheduler, KV pool and prefix cache, stepping " +
        "together); experts over eight GPUs (EP 8) everywhere. Closed loop, prompts and answers of 820–1,024 " +
        "tokens (uniform, as InferenceX's client draws them), " +
        `${LOADS[0]} to ${formatCount(LOADS[LOADS.length - 1])} requests in flight.`,
    )
    .text(`## Results\n\n${summary(rows)}`)
    .figure(
      tradeOffFigure(rows),
      "each point one run, labelled with its requests in flight (runs past a layout's ceiling unlabelled)",
    )
    .table(results, COLUMNS, "by layout and load")
    .scenario(study)
    .write();
  console.log(`findings: ${html}`);
}
