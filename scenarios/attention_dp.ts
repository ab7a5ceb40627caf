/**
 * DeepSeek-R1 on two 8-GPU H200 workers: attention split by tensor parallelism (TP 8) or by data parallelism
 * (attention DP 8), experts over eight GPUs either way, behind a round-robin or a KV-aware router. MLA's
 * compressed KV is replicated under TP, so a TP 8 worker holds one GPU's worth of KV; an attention-DP worker
 * runs eight ranks, each with its own scheduler, KV pool and prefix cache, stepping together. The conversation
 * trace arrives at a quarter of its recorded rate. Every variant also runs five times with the trace's
 * quantised 3 s timestamp steps (12 s at a quarter of the pace) spread over their length
 * (`spread_arrival_steps`).
 *
 * Timing: the `aic_*` engine args (vLLM, h200_sxm, deepseek-ai/DeepSeek-R1), i.e. the analytic perf model.
 *
 * Run: `deno run -A scenarios/attention_dp.ts [--no-cache] [--quiet]` (writes `findings/attention-dp.{md,html}`).
 *
 * @module
 */
import {
  type DescribedMetric,
  describeMetrics,
  Findings,
  formatCount,
  formatFixed,
  quantisedSteps,
  REPLICAS,
  replicate,
  type Results,
  type Row,
  runOptionsFromArgs,
  scenario,
  spreadJitterMs,
} from "../mod.ts";

const AIC = { backend: "vllm", gpu: "h200_sxm", model: "deepseek-ai/DeepSeek-R1" };
const SPEEDUP = 0.25;
const COLUMNS = [
  "variant",
  "ttftAvg",
  "ttftP90",
  "itlAvg",
  "itlP99",
  "prefixReuse",
  "prefillPassMs",
  "decodePassMs",
];

const TP8 = { aicTpSize: 8, aicMoeEpSize: 8 };
const DP8 = { aicTpSize: 1, aicAttentionDpSize: 8, aicMoeEpSize: 8 };

/** The trace: its timestamps are quantised ({@link quantisedSteps}). */
const TRACE = "mooncake:conversation";

/** The two layouts behind each router. */
const study = scenario("attention dp")
  .trace(TRACE, { speedup: SPEEDUP })
  .engine(AIC)
  .agg({ workers: 2 })
  .compare({
    "TP 8, round robin": (s) => s.engine(TP8),
    "TP 8, KV router": (s) => s.engine(TP8).router("kv_router"),
    "DP 8, round robin": (s) => s.engine(DP8),
    "DP 8, KV router": (s) => s.engine(DP8).router("kv_router"),
  });
export default study;

/** The seeds of the replications: the DSL's ({@link REPLICAS}). */
const SEEDS = REPLICAS.seeds;
/** The study once per seed with the trace's quantised steps spread over their length. */
const spread = replicate(study, { spread: true });

/** The figures compared with the steps spread. */
const SPREAD_METRICS: DescribedMetric[] = [
  { key: "ttftAvg", label: "mean TTFT", unit: " ms" },
  { key: "itlAvg", label: "mean ITL", unit: " ms", show: (v) => formatFixed(v, 1) },
  { key: "prefixReuse", label: "prefix reuse", unit: "%", show: (v) => formatFixed(100 * v) },
];

/** Attention DP against TP 8 behind each router with the steps spread (`rows`: {@link spread}'s). */
function spreadSummary(rows: Row[]): string {
  const lines = ["KV router", "round robin"].map((router) =>
    `- **${router}**: ` +
    describeMetrics(
      rows,
      "seed",
      SEEDS,
      { variant: `DP 8, ${router}` },
      { variant: `TP 8, ${router}` },
      SPREAD_METRICS,
      "replication",
    )
  );
  return `${quantisedSteps(TRACE)}. Spread over their steps (\`spread_arrival_steps\`: ±${
    formatCount(spreadJitterMs(TRACE, SPEEDUP))
  } ms at ${SPEEDUP}×, seeds ${SEEDS.join(", ")}), attention DP against TP 8:\n\n${lines.join("\n")}`;
}

/** What the runs show. */
function summary(results: Results): string {
  const row = (variant: string) => results.rows.find((r) => r.variant === variant)!;
  const ms = (variant: string, metric: string) => `${formatCount(row(variant)[metric])} ms`;
  const reuse = (variant: string) => `${(100 * (row(variant).prefixReuse as number)).toFixed(0)}%`;
  // Which of mean TTFT and mean ITL attention DP loses on, behind the KV router.
  const verdict = () => {
    const worse = (metric: string) =>
      (row("DP 8, KV router")[metric] as number) > (row("TP 8, KV router")[metric] as number);
    const [ttft, itl] = [worse("ttftAvg"), worse("itlAvg")];
    return ttft && itl ? "loses on both counts" : ttft ? "loses on TTFT" : itl ? "loses on ITL" : "wins";
  };
  return [
    `Attention DP holds eight GPUs' worth of MLA KV per worker against one under TP, so its prefix caches ` +
    `keep more of the conversations: behind the KV router ${reuse("DP 8, KV router")} of prompt tokens are ` +
    `reused (${reuse("TP 8, KV router")} at TP 8). Round robin spreads each conversation over sixteen rank ` +
    `caches and reuses ${reuse("DP 8, round robin")}.`,
    `Every prompt, though, is computed by one GPU's attention: a typical prefill pass takes ` +
    `${ms("DP 8, KV router", "prefillPassMs")} against ${ms("TP 8, KV router", "prefillPassMs")} at TP 8, ` +
    `and the ranks step together, so one rank's prefill stalls the other seven's decodes. Mean TTFT is ` +
    `${ms("DP 8, KV router", "ttftAvg")} with attention DP and ${ms("TP 8, KV router", "ttftAvg")} with ` +
    `TP 8 (KV router), mean ITL ${ms("DP 8, KV router", "itlAvg")} against ${
      ms("TP 8, KV router", "itlAvg")
    }. ` +
    `On this trace of long prompts and short answers, aggregated attention DP ${verdict()} despite its ` +
    "larger caches.",
  ].join("\n\n");
}

if (import.meta.main) {
  const options = runOptionsFromArgs();
  const results = await study.run(options);
  const spreadOut = await spread.run(options);
  results.table(COLUMNS);
  const { html } = await new Findings("Attention DP")
    .text(
      `The Mooncake conversation trace at ${SPEEDUP}× its arrival rate on two aggregated workers of eight ` +
        "H200s serving DeepSeek-R1 (vLLM, analytic timing), experts split over the eight GPUs (EP 8). " +
        "`TP 8` splits attention over them; `DP 8` (`aic_attention_dp_size: 8`) runs eight attention ranks, " +
        "each with its own scheduler, KV pool and prefix cache, stepping together (each pass lasts as long as " +
        "the slowest rank's). The routers pick a rank.",
    )
    .text(`## Results\n\n${summary(results)}`)
    .table(results, COLUMNS, "by layout and router")
    .text(`### The trace's steps spread\n\n${spreadSummary(spreadOut.rows)}`)
    .scenario(study)
    .write();
  console.log(`findings: ${html}`);
}
