/**
 * A hybrid model against a dense one of its size on the same GPUs: Qwen3.5-27B (48 Gated-DeltaNet layers, 16
 * full-attention ones) and Qwen3-32B, each on two H200 workers behind the KV router, replaying the Mooncake
 * conversation trace at a tenth to a fifth of its recorded pace. The hybrid model caches a quarter of the dense one's KV per token, but
 * every running sequence holds 154 MB of recurrent state, and vLLM's 784-token blocks (the attention page must
 * hold one layer's state) cache prefixes only in whole blocks of that size. Both models also run five
 * times at each pace with the trace's quantised 3 s timestamp steps spread over their length
 * (`spread_arrival_steps`).
 *
 * Timing: the `aic_*` engine args (vLLM, h200_sxm), i.e. the analytic perf model; both models from the catalog.
 *
 * Run: `deno run -A scenarios/hybrid_model.ts [--no-cache] [--quiet]` (writes `findings/hybrid-model.{md,html}`).
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
const PACES = [0.1, 0.15, 0.2];
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

/** The trace: its timestamps are quantised ({@link quantisedSteps}). */
const TRACE = "mooncake:conversation";
const DENSE = "Qwen3-32B (dense)", HYBRID = "Qwen3.5-27B (hybrid)";

/** The two models on the same fleet, at three paces of the trace. */
const study = scenario("hybrid model")
  .trace(TRACE)
  .engine({ aicBackend: "vllm", aicSystem: "h200_sxm" })
  .agg({ workers: 2 })
  .router("kv_router")
  .compare({
    [DENSE]: (s) => s.engine({ aicModelPath: "Qwen/Qwen3-32B" }),
    [HYBRID]: (s) => s.engine({ aicModelPath: "Qwen/Qwen3.5-27B" }),
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

/** The hybrid model against the dense one at each pace with the steps spread (`rows`: {@link spread}'s). */
function spreadSummary(rows: Row[]): string {
  const jitterMs = (speedup: number) => spreadJitterMs(TRACE, speedup);
  const lines = PACES.map((speedup) =>
    `- **${speedup}×** (±${formatCount(jitterMs(speedup))} ms): ` +
    describeMetrics(
      rows,
      "seed",
      SEEDS,
      { variant: HYBRID, speedup },
      { variant: DENSE, speedup },
      SPREAD_METRICS,
      "replication",
    )
  );
  return `${quantisedSteps(TRACE)}; at these paces a step lasts ${
    formatCount((2 * jitterMs(PACES.at(-1)!)) / 1000)
  }–${
    formatCount((2 * jitterMs(PACES[0])) / 1000)
  } s. Spread over their steps (\`spread_arrival_steps\`, seeds ${
    SEEDS.join(", ")
  }), the hybrid model against the dense one:\n\n${lines.join("\n")}`;
}

/** What the runs show, in the findings' words. */
function summary(results: Results): string {
  const row = (variant: string, speedup: number) =>
    results.rows.find((r) => r.variant === variant && r.speedup === speedup)!;
  const [dense, hybrid] = [DENSE, HYBRID];
  const pools = (variant: string) =>
    (results.runs.find((r) => r.variant === variant)!.report.dynolab as {
      pools: { kv_capacity_tokens: number; block_size: number; state_blocks_per_seq?: number }[];
    }).pools[0];
  const [d, h] = [pools(dense), pools(hybrid)];
  const [low, high] = [PACES[0], PACES.at(-1)!];
  return [
    `Per worker the dense model caches ${
      formatFixed(d.kv_capacity_tokens / 1000)
    }k tokens of KV in ${d.block_size}-token ` +
    `blocks; the hybrid one ${
      formatFixed(h.kv_capacity_tokens / 1000)
    }k in ${h.block_size}-token blocks, of which every ` +
    `running sequence takes ${h.state_blocks_per_seq} for its recurrent state.`,
    `At ${low}× the recorded pace the hybrid model reuses ${
      formatFixed(100 * (row(hybrid, low).prefixReuse as number))
    }% ` +
    `of prompt tokens from its prefix caches against ${
      formatFixed(100 * (row(dense, low).prefixReuse as number))
    }% ` +
    `for the dense one; its mean TTFT is ${formatFixed(row(hybrid, low).ttftAvg)} ms against ` +
    `${formatFixed(row(dense, low).ttftAvg)} ms, its mean TPOT ${
      formatFixed(row(hybrid, low).tpotAvg, 1)
    } ms against ` +
    `${formatFixed(row(dense, low).tpotAvg, 1)} ms. At ${high}×: TTFT ${
      formatFixed(row(hybrid, high).ttftAvg)
    } ms against ` +
    `${formatFixed(row(dense, high).ttftAvg)} ms.`,
  ].join("\n\n");
}

if (import.meta.main) {
  const options = runOptionsFromArgs();
  const results = await study.run(options);
  const spreadOut = await spread.run(options);
  results.table(COLUMNS);
  const { html } = await new Findings("Hybrid model")
    .text(
      "Qwen3.5-27B (three Gated-DeltaNet layers to one full-attention layer) against Qwen3-32B, each on two " +
        "H200 workers behind the KV router, replaying the Mooncake conversation trace at a tenth to a fifth of " +
        "its recorded pace; vLLM's defaults, analytic timing.",
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
