/**
 * A Mamba-2 hybrid MoE against a transformer MoE of its class on the same GPUs: NVIDIA Nemotron-3 Nano 30B-A3B
 * (23 Mamba-2, 6 attention and 23 MoE blocks) and Qwen3-30B-A3B (48 attention + MoE layers), each on two H200
 * workers behind the KV router, replaying the Mooncake conversation trace at half to twice its recorded
 * pace. Nemotron caches 6 KB of KV a token against Qwen's 96 KB, but every running sequence holds 49 MB
 * of Mamba-2 state, and vLLM's attention blocks grow to 2,096 tokens so that a page holds one layer's state:
 * prefixes are cached only in whole blocks of that size. Both models also run five
 * times at each pace with the trace's quantised 3 s timestamp steps spread over their length
 * (`spread_arrival_steps`).
 *
 * Timing: the `aic_*` engine args (vLLM, h200_sxm), i.e. the analytic perf model; both models from the catalog.
 *
 * Run: `deno run -A scenarios/mamba_hybrid.ts [--no-cache] [--quiet]` (writes `findings/mamba-2-hybrid.{md,html}`).
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

/** Paces of the trace (its recorded rate is 3.4 requests/s of 12k-token prompts on average). */
const PACES = [0.5, 1, 2];
const COLUMNS = [
  "variant",
  "speedup",
  "ttftAvg",
  "ttftP90",
  "tpotAvg",
  "prefixReuse",
  "prefillPassMs",
  "decodePassMs",
];
const QWEN = "Qwen3-30B-A3B (transformer)", NEMOTRON = "Nemotron-3 Nano (Mamba-2 hybrid)";

/** The trace: its timestamps are quantised ({@link quantisedSteps}). */
const TRACE = "mooncake:conversation";

/** The two models on the same fleet, at three paces of the trace. */
const study = scenario("mamba hybrid")
  .trace(TRACE)
  .engine({ aicBackend: "vllm", aicSystem: "h200_sxm" })
  .agg({ workers: 2 })
  .router("kv_router")
  .compare({
    [QWEN]: (s) => s.engine({ aicModelPath: "Qwen/Qwen3-30B-A3B" }),
    [NEMOTRON]: (s) => s.engine({ aicModelPath: "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16" }),
  })
  .sweep("speedup", PACES);
export default study;

/** The seeds of the replications: the DSL's ({@link REPLICAS}). */
const SEEDS = REPLICAS.seeds;
/** The study once per seed with the trace's quantised steps spread over their length. */
const spread = replicate(study, { spread: true });

/** The figures compared with the steps spread. */
const SPREAD_METRICS: DescribedMetric[] = [
  { key: "ttftAvg", label: "mean TTFT", unit: " ms" },
  { key: "ttftP90", label: "p90 TTFT", unit: " ms" },
  { key: "tpotAvg", label: "mean TPOT", unit: " ms", show: (v) => formatFixed(v, 1) },
];

/** Nemotron against Qwen at each pace with the steps spread (`rows`: {@link spread}'s). */
function spreadSummary(rows: Row[]): string {
  const lines = PACES.map((speedup) =>
    `- **${speedup}×** (±${formatCount(spreadJitterMs(TRACE, speedup))} ms): ` +
    describeMetrics(
      rows,
      "seed",
      SEEDS,
      { variant: NEMOTRON, speedup },
      { variant: QWEN, speedup },
      SPREAD_METRICS,
      "replication",
    )
  );
  return `${quantisedSteps(TRACE)}. Spread over their steps (\`spread_arrival_steps\`, seeds ${
    SEEDS.join(", ")
  }), Nemotron against Qwen:\n\n${lines.join("\n")}`;
}

/** What the runs show, in the findings' words. */
function summary(results: Results): string {
  const row = (variant: string, speedup: number) =>
    results.rows.find((r) => r.variant === variant && r.speedup === speedup)!;
  const pools = (variant: string) =>
    (results.runs.find((r) => r.variant === variant)!.report.dynolab as {
      pools: { kv_capacity_tokens: number; block_size: number; state_blocks_per_seq?: number }[];
    }).pools[0];
  const [q, n] = [pools(QWEN), pools(NEMOTRON)];
  const [low, high] = [PACES[0], PACES.at(-1)!];
  return [
    `Per worker Qwen3-30B-A3B caches ${
      formatFixed(q.kv_capacity_tokens / 1000)
    }k tokens of KV in ${q.block_size}-token ` +
    `blocks; Nemotron-3 Nano ${
      formatFixed(n.kv_capacity_tokens / 1e6, 1)
    }M in ${n.block_size}-token blocks, of which ` +
    `every running sequence takes ${n.state_blocks_per_seq} for its Mamba-2 state.`,
    `At ${low}× the recorded pace Nemotron reuses ${
      formatFixed(100 * (row(NEMOTRON, low).prefixReuse as number))
    }% ` +
    `of prompt tokens from its prefix caches against ${
      formatFixed(100 * (row(QWEN, low).prefixReuse as number))
    }% ` +
    `for Qwen; its mean TTFT is ${formatFixed(row(NEMOTRON, low).ttftAvg)} ms against ${
      formatFixed(row(QWEN, low).ttftAvg)
    } ms, ` +
    `its mean TPOT ${formatFixed(row(NEMOTRON, low).tpotAvg, 1)} ms against ${
      formatFixed(row(QWEN, low).tpotAvg, 1)
    } ms. ` +
    `At ${high}×: TTFT ${formatFixed(row(NEMOTRON, high).ttftAvg)} ms against ${
      formatFixed(row(QWEN, high).ttftAvg)
    } ms, ` +
    `TPOT ${formatFixed(row(NEMOTRON, high).tpotAvg, 1)} ms against ${
      formatFixed(row(QWEN, high).tpotAvg, 1)
    } ms.`,
  ].join("\n\n");
}

if (import.meta.main) {
  const options = runOptionsFromArgs();
  const results = await study.run(options);
  const spreadOut = await spread.run(options);
  results.table(COLUMNS);
  const { html } = await new Findings("Mamba-2 hybrid")
    .text(
      "NVIDIA Nemotron-3 Nano 30B-A3B (Mamba-2, attention and MoE blocks) against Qwen3-30B-A3B, each on two " +
        "H200 workers behind the KV router, replaying the Mooncake conversation trace at half to twice its " +
        "recorded pace; vLLM's defaults, analytic timing. Nemotron's Mamba-2 kernels are priced " +
        "by the fitted Gated-DeltaNet blocks (AIC times no SSD scan), so its prefill figures are an estimate.",
    )
    .text(summary(results))
    .table(results, COLUMNS, "every run")
    .text(`### The trace's steps spread\n\n${spreadSummary(spreadOut.rows)}`)
    .figure(
      results.plot("speedup", ["ttftAvg", "tpotAvg", "prefixReuse"]),
      "TTFT, TPOT and prefix reuse by pace",
    )
    .scenario(study)
    .write();
  console.log(`findings: ${html}`);
}
