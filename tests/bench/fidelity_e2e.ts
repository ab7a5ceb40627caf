/**
 * End-to-end fidelity: the measured H200 vLLM points of perf-model.md §10.2 (AIC `silicon_sample.csv`, vLLM
 * 0.12.0, `nvidia/Llama-3.1-8B-Instruct-FP8`, aggregated) replayed through the simulator with the analytic
 * model, closed loop with `2 × concurrency` warm-up and `10 × concurrency` measured requests. Part of
 * `deno task fidelity` (`--e2e`).
 *
 * The points are rows of the silicon corpus, so they replay exactly as `fidelity_silicon.ts` replays that
 * corpus ({@link simulateRow}): as their benchmark client ran them, which for this source is AIPerf cycling
 * through its default dataset of 100 prompts, so repeated prompts hit vLLM's prefix cache (see
 * `benchmarkClient`). Replayed with distinct prompts instead, the short-output points cannot be reached by any
 * kernel-sum model, AIC's tables included (+40% to +205% TPOT). The checkpoint's FP8 KV cache is used; a BF16-KV
 * row for the headline point shows the sensitivity. The last columns replay the same points with AIC's tables
 * and no framework overhead: what the reference mocker does.
 *
 * @module
 */
import { simulateRow } from "./fidelity_silicon.ts";
import { gapAnalysisRow, type SiliconRow } from "./silicon_rows.ts";
import { SHARED_DIR } from "../_shared.ts";
import { mean, median, pct, signedPct } from "./percent.ts";

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

/**
 * One point of {@link SILICON_H200_VLLM} as the silicon corpus holds it: the gap analysis of AIC's
 * `h200_sxm/vllm/0.12.0/nvidia_Llama-3.1-8B-Instruct-FP8.csv`, which selects its benchmark client.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pointRow, SILICON_H200_VLLM } from "./fidelity_e2e.ts";
 * import { benchmarkClient } from "./silicon_client.ts";
 * const row = pointRow(SILICON_H200_VLLM[4]);
 * assert.equal(row.concurrency, 128);
 * assert.equal(benchmarkClient(row).datasetEntries, 100); // AIPerf's default dataset
 * ```
 */
export function pointRow(point: (typeof SILICON_H200_VLLM)[number]): SiliconRow {
  const [tp, isl, osl, concurrency, ttftMs, tpotMs] = point;
  return gapAnalysisRow({
    model: "nvidia/Llama-3.1-8B-Instruct-FP8",
    system: "h200_sxm",
    file: "nvidia_Llama-3.1-8B-Instruct-FP8",
    precision: "fp8",
    tp,
    isl,
    osl,
    concurrency,
    ttftMs,
    tpotMs,
  });
}

/** Engine args of the reference mocker's timing: AIC's vLLM 0.24.0 tables, no framework overhead. */
function referenceArgs(): Record<string, unknown> {
  return {
    aic_systems_path: `${SHARED_DIR}/aic/systems`,
    aic_backend_version: "0.24.0",
    framework_overhead: false,
  };
}

/** Print the comparison table and the mean absolute errors. */
export async function runEndToEnd(): Promise<void> {
  console.log(
    "\n## End to end: H200, vLLM, Llama-3.1-8B-Instruct-FP8 (perf-model.md §10.2), analytic model\n",
  );
  console.log(
    "| TP | ISL | OSL | conc. | KV | TTFT meas. | sim. | err | TPOT meas. | sim. | err | " +
      "AIC tables, no overhead: TTFT | err | TPOT | err |",
  );
  console.log("|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  const errs = {
    ttft: [] as number[],
    tpot: [] as number[],
    refTtft: [] as number[],
    refTpot: [] as number[],
  };
  const rows = [
    ...SILICON_H200_VLLM.map((p) => [p, "fp8"] as const),
    [SILICON_H200_VLLM[4], "bfloat16"] as const,
  ];
  for (const [point, kv] of rows) {
    const row = pointRow(point);
    const dtype = { aic_kv_cache_dtype: kv };
    const sim = await simulateRow(row, dtype);
    const ref = await simulateRow(row, { ...dtype, ...referenceArgs() });
    const e = [
      sim.ttft / row.ttftMs - 1,
      sim.tpot / row.tpotMs - 1,
      ref.ttft / row.ttftMs - 1,
      ref.tpot / row.tpotMs - 1,
    ];
    if (kv === "fp8") {
      errs.ttft.push(Math.abs(e[0]));
      errs.tpot.push(Math.abs(e[1]));
      errs.refTtft.push(Math.abs(e[2]));
      errs.refTpot.push(Math.abs(e[3]));
    }
    const cells = [
      row.tp,
      row.isl,
      row.osl,
      row.concurrency,
      kv,
      row.ttftMs,
      sim.ttft.toFixed(1),
      signedPct(e[0]),
      row.tpotMs,
      sim.tpot.toFixed(2),
      signedPct(e[1]),
      ref.ttft.toFixed(1),
      signedPct(e[2]),
      ref.tpot.toFixed(2),
      signedPct(e[3]),
    ];
    console.log(`| ${cells.join(" | ")} |`);
  }
  const mape = (e: number[]) => pct(mean(e));
  const med = (e: number[]) => pct(median(e));
  console.log(`\nFP8 KV, ${errs.tpot.length} points:`);
  console.log(
    `analytic model: TTFT MAPE ${mape(errs.ttft)} (median ${med(errs.ttft)}), ` +
      `TPOT MAPE ${mape(errs.tpot)} (median ${med(errs.tpot)})`,
  );
  console.log(
    `AIC tables, no overhead: TTFT MAPE ${mape(errs.refTtft)} (median ${med(errs.refTtft)}), ` +
      `TPOT MAPE ${mape(errs.refTpot)} (median ${med(errs.refTpot)})`,
  );
}
