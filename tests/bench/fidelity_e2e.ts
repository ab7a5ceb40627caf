/**
 * End-to-end fidelity: the measured H200 vLLM points of perf-model.md §10.2 (AIC `silicon_sample.csv`, vLLM
 * 0.12.0, `nvidia/Llama-3.1-8B-Instruct-FP8`, aggregated) replayed through the simulator with the analytic
 * model, closed loop with `10 × concurrency` synthetic requests, as the reference's own validation does
 * (dynamo-behaviour.md §10.2). Part of `deno task fidelity` (`--e2e`).
 *
 * The replay uses the checkpoint's FP8 KV cache (its `kv_cache_quant_algo`): with BF16 KV the measured TPOTs are
 * out of reach of AIC's own kernel tables (the decode KV reads alone exceed them), so the silicon runs must have
 * used FP8 KV. A BF16-KV row for the headline point shows the sensitivity. TTFT is reported as mean (what the
 * silicon sample records; it includes the closed loop's initial burst) and median. For comparison, the last
 * columns replay the same points with AIC's tables and no framework overhead: what the reference mocker does.
 *
 * @module
 */
import { loadInputs, runSimulation } from "../../lib/simulate.ts";
import { SHARED_DIR } from "../_shared.ts";

/** `[tp, isl, osl, concurrency, ttft_ms, tpot_ms]` measured on H200 (perf-model.md §10.2). */
export const SILICON_H200_VLLM: ReadonlyArray<readonly [number, number, number, number, number, number]> = [
  [1, 1000, 100, 112, 71.9, 11.25],
  [1, 2000, 100, 64, 121.7, 9.74],
  [1, 4000, 100, 32, 184.3, 11.67],
  [1, 4000, 500, 96, 120.9, 17.11],
  [1, 4000, 1000, 128, 115.0, 21.99],
  [1, 4000, 2000, 128, 111.4, 23.46],
  [1, 8000, 100, 16, 447.2, 15.53],
  [1, 8000, 500, 48, 432.5, 15.61],
  [1, 8000, 1000, 64, 463.4, 18.8],
  [1, 8000, 2000, 80, 360.9, 23.81],
  [2, 8000, 1000, 112, 202.6, 19.73],
  [4, 8000, 500, 128, 294.1, 14.11],
  [8, 8000, 100, 40, 169.8, 7.46],
];

/** Engine args of the replay: the model and GPU, vLLM's 0.9 memory fraction, the reference's block and budget. */
export function engineArgs(tp: number, kv = "fp8", reference = false): Record<string, unknown> {
  const model = reference
    ? {
      aic_systems_path: `${SHARED_DIR}/aic/systems`,
      aic_backend_version: "0.24.0",
      framework_overhead: false,
    }
    : {};
  return {
    ...model,
    aic_kv_cache_dtype: kv,
    aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8",
    aic_system: "h200_sxm",
    aic_backend: "vllm",
    aic_tp_size: tp,
    gpu_memory_utilization: 0.9,
    block_size: 64,
    max_num_batched_tokens: 8192,
  };
}

/** Simulated mean TTFT and TPOT (ms) of one measured point. */
export async function simulatePoint(
  tp: number,
  isl: number,
  osl: number,
  concurrency: number,
  kv = "fp8",
  reference = false,
): Promise<{ ttft: number; tpot: number; medianTtft: number }> {
  const inputs = await loadInputs({
    workload: { source: "synthetic", input_tokens: isl, output_tokens: osl, request_count: 12 * concurrency },
    replay_concurrency: concurrency,
    warmup_request_count: 2 * concurrency,
    topology: { mode: "agg", num_workers: 1, engine: engineArgs(tp, kv, reference) },
  });
  const r = runSimulation(inputs).report as Record<string, unknown>;
  return {
    ttft: r.mean_ttft_ms as number,
    tpot: r.mean_tpot_ms as number,
    medianTtft: r.median_ttft_ms as number,
  };
}

const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;

/** Print the comparison table and the mean absolute errors. */
export async function runEndToEnd(): Promise<void> {
  console.log(
    "\n## End to end: H200, vLLM, Llama-3.1-8B-Instruct-FP8 (perf-model.md §10.2), analytic model\n",
  );
  console.log(
    "| TP | ISL | OSL | conc. | KV | TTFT meas. | TTFT sim. mean | err | TTFT sim. median | err | TPOT meas. | " +
      "TPOT sim. | err | TPOT AIC tables, no overhead | err |",
  );
  console.log("|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  const errs = { mean: [] as number[], median: [] as number[], tpot: [] as number[] };
  const rows = [
    ...SILICON_H200_VLLM.map((p) => [p, "fp8"] as const),
    [SILICON_H200_VLLM[4], "bfloat16"] as const,
  ];
  for (const [[tp, isl, osl, c, ttft, tpot], kv] of rows) {
    const sim = await simulatePoint(tp, isl, osl, c, kv);
    const ref = await simulatePoint(tp, isl, osl, c, kv, true);
    const [e1, e2, e3] = [sim.ttft / ttft - 1, sim.medianTtft / ttft - 1, sim.tpot / tpot - 1];
    if (kv === "fp8") {
      errs.mean.push(Math.abs(e1));
      errs.median.push(Math.abs(e2));
      errs.tpot.push(Math.abs(e3));
    }
    console.log(
      `| ${tp} | ${isl} | ${osl} | ${c} | ${kv} | ${ttft} | ${sim.ttft.toFixed(1)} | ${pct(e1)} | ` +
        `${sim.medianTtft.toFixed(1)} | ${pct(e2)} | ${tpot} | ${sim.tpot.toFixed(2)} | ${pct(e3)} | ` +
        `${ref.tpot.toFixed(2)} | ${pct(ref.tpot / tpot - 1)} |`,
    );
  }
  const mape = (e: number[]) => `${(e.reduce((a, b) => a + b, 0) / e.length * 100).toFixed(1)}%`;
  const med = (e: number[]) => `${(e.slice().sort((a, b) => a - b)[e.length >> 1] * 100).toFixed(1)}%`;
  console.log(`\nFP8 KV, ${errs.tpot.length} points:`);
  console.log(`TTFT (mean): MAPE ${mape(errs.mean)}, median |err| ${med(errs.mean)}`);
  console.log(`TTFT (median): MAPE ${mape(errs.median)}, median |err| ${med(errs.median)}`);
  console.log(`TPOT: MAPE ${mape(errs.tpot)}, median |err| ${med(errs.tpot)}`);
}
