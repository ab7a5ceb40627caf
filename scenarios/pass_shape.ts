/**
 * Where a pass's time goes as load grows: two deployments priced by the analytic model (a dense 8B model on one
 * H200, a MoE model on two), in closed loop at 1 to 128 requests in flight. Each run's report carries its busy
 * time by part and a typical prefill and decode pass split by operator family; the DSL rows carry the shares
 * and the typical pass times. No shared data needed: the workload is synthetic.
 *
 * Run: `deno run -A scenarios/pass_shape.ts [--no-cache] [--quiet]`. Writes `findings/pass-shape.{md,html}`.
 *
 * @module
 */
import { Findings, runOptionsFromArgs, scenario } from "../mod.ts";

const COLUMNS = [
  "variant",
  "concurrency",
  "ttftAvg",
  "tpotAvg",
  "decodePassMs",
  "prefillPassMs",
  "prefillBusyShare",
  "decodeBusyShare",
  "overheadBusyShare",
];

/** The two deployments, swept over requests in flight (4k-token prompts, 500-token answers). */
export const passShape = scenario("pass shape")
  .synthetic({ inputTokens: 4000, outputTokens: 500, requestCount: 1280 })
  .compare({
    "Llama-3.1-8B-FP8, 1 × H200": (s) =>
      s.agg({ workers: 1 }).engine({
        aicBackend: "vllm",
        aicSystem: "h200_sxm",
        aicModelPath: "nvidia/Llama-3.1-8B-Instruct-FP8",
      }),
    "gpt-oss-120b, 2 × H200 (TP 2)": (s) =>
      s.agg({ workers: 1 }).engine({
        aicBackend: "vllm",
        aicSystem: "h200_sxm",
        aicModelPath: "openai/gpt-oss-120b",
        aicTpSize: 2,
      }),
  })
  .sweep("concurrency", [1, 4, 16, 64, 128]);

if (import.meta.main) {
  const results = await passShape.run(runOptionsFromArgs());
  results.table(COLUMNS);
  // The typical decode pass of each deployment's busiest run, split by operator family.
  const split = results.runs.filter((r) => r.params.concurrency === 128).map((r) => {
    const pool =
      (r.report.dynolab as { pools: { typical_decode_pass: { ops_ms: Record<string, number> } }[] })
        .pools[0];
    const ops = Object.entries(pool.typical_decode_pass.ops_ms).sort((a, b) => b[1] - a[1]);
    const total = ops.reduce((a, [, ms]) => a + ms, 0);
    return `- **${r.variant}**: ${
      ops.map(([op, ms]) => `${op} ${(100 * ms / total).toFixed(0)}%`).join(", ")
    }`;
  });
  const { html } = await new Findings("Pass shape")
    .text(
      "Closed-loop replays of 1,280 requests (4,000-token prompts, 500-token answers) at 1–128 in flight, priced " +
        "by the analytic model with vLLM's defaults. `decodePassMs` and `prefillPassMs` are each run's typical " +
        "pass (framework overhead included); the shares split every worker's busy time into prefill, decode " +
        "and framework overhead.",
    )
    .text(`## The typical decode pass at 128 in flight, by operator family\n\n${split.join("\n")}`)
    .table(results, COLUMNS, "every run")
    .figure(
      results.plot("concurrency", ["decodePassMs", "prefillPassMs", "prefillBusyShare", "overheadBusyShare"]),
      "typical pass times and busy-time shares against requests in flight",
    )
    .scenario(passShape)
    .write();
  console.log(`findings: ${html}`);
}
