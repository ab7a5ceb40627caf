/**
 * What sliding-window layers cost in the KV pool: Gemma 4 31B (50 sliding layers of 16 KV heads × 256 over a
 * 1,024-token window, 10 global layers of 4 KV heads × 512) against Qwen3-32B (64 full-attention layers of 8 KV
 * heads × 128), each on one worker of two H100s (TP 2), closed loop, prompts of 6,400–8,000 tokens and answers
 * of 400–500 (uniform), from 16 to 128 requests in flight. Gemma's global layers cache 80 KB a token, Qwen's
 * 256 KB; but vLLM keeps both kinds of layer in one pool sized by the global layers, and each running
 * sequence's sliding layers take ten blocks of it for every block of their window.
 *
 * Timing: the `aic_*` engine args (vLLM, h100_sxm), i.e. the analytic perf model. Gemma 4 is priced from its
 * `config.json` (NVIDIA's Gemma-4-31B-IT-NVFP4 in AIC's `model_configs`, run with BF16 weights and KV cache, as
 * Google's checkpoint ships them), so this needs the shared folder (`DYNOLAB_SHARED`, or `../shared`
 * beside the checkout); Qwen3-32B comes from the catalog.
 *
 * Run: `deno run -A scenarios/sliding_window.ts [--no-cache] [--quiet]` (writes `findings/sliding-window.{md,html}`).
 *
 * @module
 */
import { Findings, formatFixed, type Results, runOptionsFromArgs, scenario } from "../mod.ts";

const SHARED = Deno.env.get("DYNOLAB_SHARED") ?? new URL("../../shared", import.meta.url).pathname;
const GEMMA4_31B = `${SHARED}/aic/model_configs/nvidia--Gemma-4-31B-IT-NVFP4_config.json`;
/** Google's checkpoint's formats (NVIDIA's NVFP4 one would run FP4 GEMMs, which Hopper lacks, and an FP8 KV cache). */
const BF16 = { aicGemmDtype: "bfloat16", aicKvCacheDtype: "bfloat16" } as const;
const LOADS = [16, 32, 64, 128];
/** The longest prompt and answer; lengths are uniform down to {@link LENGTH_RANGE} of them. */
const PROMPT_TOKENS = 8000, ANSWER_TOKENS = 500, LENGTH_RANGE = 0.8;
const COLUMNS = ["variant", "concurrency", "ttftAvg", "ttftP90", "tpotAvg", "throughput", "decodePassMs"];
const GEMMA = "Gemma 4 31B (sliding + global)", QWEN = "Qwen3-32B (full attention)";

/** The two models on the same two GPUs, swept over requests in flight. */
const study = scenario("sliding window")
  .synthetic({
    inputTokens: PROMPT_TOKENS,
    outputTokens: ANSWER_TOKENS,
    lengthRangeRatio: LENGTH_RANGE,
    requestCount: 4 * LOADS.at(-1)!,
  })
  .engine({ aicBackend: "vllm", aicSystem: "h100_sxm", aicTpSize: 2 })
  .agg({ workers: 1 })
  .compare({
    [GEMMA]: (s) => s.engine({ aicModelPath: GEMMA4_31B, ...BF16 }),
    [QWEN]: (s) => s.engine({ aicModelPath: "Qwen/Qwen3-32B" }),
  })
  .sweep("concurrency", LOADS);
export default study;

/** A pool's KV capacity and typical decode batch, as the run summary reports them. */
interface PoolSummary {
  kv_capacity_tokens: number;
  block_size: number;
  window_blocks_per_seq?: number;
  typical_decode_pass?: { requests: number };
}

/** What the runs show, in the findings' words. */
function summary(results: Results): string {
  const pool = (variant: string, concurrency: number) => {
    const run = results.runs.find((r) => r.variant === variant && r.params.concurrency === concurrency)!;
    return (run.report.dynolab as unknown as { pools: PoolSummary[] }).pools[0];
  };
  const row = (variant: string, concurrency: number) =>
    results.rows.find((r) => r.variant === variant && r.concurrency === concurrency)!;
  const top = LOADS.at(-1)!;
  const [g, q] = [pool(GEMMA, top), pool(QWEN, top)];
  const windowTokens = g.window_blocks_per_seq! * g.block_size;
  return [
    `On two H100s Gemma 4 31B's pool holds ${
      formatFixed(g.kv_capacity_tokens / 1e6, 2)
    }M tokens of its global layers' ` +
    `KV, Qwen3-32B's ${
      formatFixed(q.kv_capacity_tokens / 1e3)
    }k. But every decoding Gemma sequence's sliding layers ` +
    `take ${formatFixed(g.window_blocks_per_seq!)} of its ${g.block_size}-token blocks, the room of ${
      formatFixed(windowTokens)
    } tokens, ${windowTokens > PROMPT_TOKENS ? "more" : "less"} than its longest prompt's own global KV ` +
    `(${formatFixed(PROMPT_TOKENS)} tokens).`,
    `At ${top} requests in flight Gemma decodes ${
      g.typical_decode_pass?.requests ?? "?"
    } sequences at a time ` +
    `against Qwen's ${q.typical_decode_pass?.requests ?? "?"}, with ${
      formatFixed(g.kv_capacity_tokens / q.kv_capacity_tokens, 1)
    }× Qwen's room in its pool: mean TTFT ${formatFixed(row(GEMMA, top).ttftAvg as number)} ms ` +
    `against ${formatFixed(row(QWEN, top).ttftAvg as number)} ms, TPOT ${
      formatFixed(row(GEMMA, top).tpotAvg as number, 1)
    } ms ` +
    `against ${formatFixed(row(QWEN, top).tpotAvg as number, 1)} ms, ${
      formatFixed(row(GEMMA, top).throughput as number)
    } ` +
    `output tokens/s against ${formatFixed(row(QWEN, top).throughput as number)}.`,
  ].join("\n\n");
}

if (import.meta.main) {
  const results = await study.run(runOptionsFromArgs());
  results.table(COLUMNS);
  const { html } = await new Findings("Sliding window")
    .text(
      "Gemma 4 31B (five sliding-window layers to one global layer) against Qwen3-32B, each on one worker of two " +
        `H100s (TP 2), closed loop, prompts of ${formatFixed(LENGTH_RANGE * PROMPT_TOKENS)}–${
          formatFixed(PROMPT_TOKENS)
        } tokens ` +
        `and answers of ${formatFixed(LENGTH_RANGE * ANSWER_TOKENS)}–${
          formatFixed(ANSWER_TOKENS)
        } (uniform), 16 to 128 ` +
        "requests in flight; " +
        "vLLM's defaults, analytic timing. The pool is sized by the global layers' KV, and each sequence's " +
        "sliding layers take blocks of it for their window, as vLLM's hybrid allocator keeps them.",
    )
    .text(summary(results))
    .table(results, COLUMNS, "every run")
    .figure(
      results.plot("concurrency", ["ttftAvg", "tpotAvg", "throughput"]),
      "TTFT, TPOT and throughput by load",
    )
    .scenario(study)
    .write();
  console.log(`findings: ${html}`);
}
