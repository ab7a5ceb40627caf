/**
 * A hybrid model against a dense one of its size on the same GPUs: Qwen3.5-27B (48 Gated-DeltaNet layers, 16
 * full-attention ones) and Qwen3-32B, each on two H200 workers behind the KV router, replaying the Mooncake
 * conversation trace at a tenth to a fifth of its recorded pace. The hybrid model caches a quarter of the dense one's KV per token, but
 * every running sequence holds 154 MB of recurrent state, and vLLM's 784-token blocks (the attention page must
 * hold one layer's state) cache prefixes only in whole blocks of that size.
 *
 * Timing: the `aic_*` engine args (vLLM, h200_sxm), i.e. the analytic perf model; both models from the catalog.
 *
 * Run: `deno run -A scenarios/hybrid_model.ts [--no-cache] [--quiet]` (writes `findings/hybrid-model.{md,html}`).
 *
 * @module
 */
import { Findings, formatFixed, type Results, runOptionsFromArgs, scenario } from "../mod.ts";

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

/** The two models on the same fleet, at three paces of the trace. */
const study = scenario("hybrid model")
  .trace("mooncake:conversation")
  .engine({ aicBackend: "vllm", aicSystem: "h200_sxm" })
  .agg({ workers: 2 })
  .router("kv_router")
  .compare({
    "Qwen3-32B (dense)": (s) => s.engine({ aicModelPath: "Qwen/Qwen3-32B" }),
    "Qwen3.5-27B (hybrid)": (s) => s.engine({ aicModelPath: "Qwen/Qwen3.5-27B" }),
  })
  .sweep("speedup", PACES);
export default study;

/** What the runs show, in the findings' words. */
function summary(results: Results): string {
  const row = (variant: string, speedup: number) =>
    results.rows.find((r) => r.variant === variant && r.speedup === speedup)!;
  const dense = "Qwen3-32B (dense)", hybrid = "Qwen3.5-27B (hybrid)";
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
  const results = await study.run(runOptionsFromArgs());
  results.table(COLUMNS);
  const { html } = await new Findings("Hybrid model")
    .text(
      "Qwen3.5-27B (three Gated-DeltaNet layers to one full-attention layer) against Qwen3-32B, each on two " +
        "H200 workers behind the KV router, replaying the Mooncake conversation trace at a tenth to a fifth of " +
        "its recorded pace; vLLM's defaults, analytic timing.",
    )
    .text(summary(results))
    .table(results, COLUMNS, "every run")
    .figure(
      results.plot("speedup", ["ttftAvg", "tpotAvg", "prefixReuse"]),
      "TTFT, TPOT and prefix reuse by pace",
    )
    .scenario(study)
    .write();
  console.log(`findings: ${html}`);
}
