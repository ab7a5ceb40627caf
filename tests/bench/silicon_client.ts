/**
 * How a silicon row's benchmark ran (client lengths, prompts, sampling; the server's scheduling, CUDA graphs,
 * MoE kernel, KV format and memory defaults), and the simulation spec that replays it so.
 *
 * @module
 */
import { type CudagraphMode, GPUS, MODELS, type MoeBackend, type Sampling } from "../../lib/perf/mod.ts";
import { compareVersions } from "../../lib/perf/aic/versions.ts";
import { defaultGpuMemoryUtilization } from "../../lib/perf/capacity.ts";
import { deployedLayout, type SiliconRow } from "./silicon_rows.ts";

/**
 * Engine-arg overrides for a row quantized unlike its checkpoint id (an NVFP4 run of a BF16/INT4 checkpoint):
 * the row's modes where they differ from the catalog model's. AIC labels block-FP8 checkpoints `fp8` and
 * MXFP4 checkpoints (gpt-oss) `fp4` / `nvfp4`: those are the checkpoints' own formats, not requantizations.
 */
function quantOverrides(row: SiliconRow): Record<string, string> {
  const quant = MODELS[row.model].quant;
  if (row.precision === "fp4" && quant.moe.includes("mxfp4")) return {};
  const differs = (mode: string, own: string) =>
    mode !== "" && mode !== own && !(mode === "fp8" && own === "fp8_block");
  const out: Record<string, string> = {};
  if (differs(row.gemmQuant, quant.linear)) out.aic_gemm_dtype = row.gemmQuant;
  if (differs(row.moeQuant, quant.moe)) out.aic_moe_dtype = row.moeQuant;
  return out;
}

/**
 * The KV-cache format of a row's run: FP8 for FP8/FP4 runs, BF16 otherwise, except where an InferenceX recipe
 * leaves the format at vLLM's default and the measurements show it (`BF16_KV_RUNS`). The corpus does not record
 * the format; FP8 is what most measurements imply: with a BF16 cache the derived capacity of several runs
 * (MiniMax-M2.5 on one or two B200s, 8k prompts at 32–512 concurrent) is short of `concurrency × (ISL + OSL)`,
 * so vLLM would queue or preempt and TTFT would reach seconds, yet the measured TTFT stays at 0.5–2.6 s with TPOT
 * as in steady state.
 */
function kvDtype(row: SiliconRow): string {
  const bf16 = BF16_KV_RUNS.some(({ model, system, before }) =>
    row.model === model && row.system === system &&
    (!before || numbered(row.version) && compareVersions(row.version, before) < 0)
  );
  if (bf16) return "bfloat16";
  return row.precision === "fp8" || row.precision === "fp4" ? "fp8" : "bfloat16";
}

/**
 * FP8/FP4 runs whose KV cache stayed BF16 (of a vLLM version before `before`, when given), as their recipes or
 * their KV-bound rows show:
 *
 * - MiniMax-M2.5 on H100, whose recipe (`SemiAnalysisAI/InferenceX`
 *   `benchmarks/single_node/minimaxm2.5_fp8_h100.sh`) passes no `--kv-cache-dtype`. Its 8k-prompt runs at 32 and
 *   64 concurrent queue for KV (2.9–3.0 s and 30.6–32.5 s TTFT), which a BF16 cache on four H100s reproduces
 *   (2.8 s and 30.2 s) and an FP8 one does not (0.58 s and 0.93 s).
 * - MiniMax-M2.5 on B200 before vLLM 0.19 and on H200 before 0.18: `minimaxm2.5_fp8_b200.sh` gained
 *   `--kv-cache-dtype fp8` when InferenceX PR #947 moved it from 0.17 to 0.19, and the H200 script as PR #831
 *   added it (vLLM 0.16, TP 4) passes none. On two B200s the 0.17 run at 8k/1k and 64 concurrent queues for KV
 *   (3.4 s TTFT against 0.92 s at 0.19). The H200 0.18 runs (TP 8, a later script) fit an FP8 cache.
 * - Llama-3.1-70B on H100 (measured 2025-10, before vLLM 0.13 read the checkpoint's KV format). On two H100s its
 *   runs that need more than a BF16 cache holds queue for it: 1k/8k at 64 concurrent 30.8 s TTFT and 41.7 ms
 *   TPOT, 8k/1k at 32 and 64 concurrent 6.5 s and 59.2 s. Replayed here, a BF16 cache (about 210k tokens) gives
 *   32.2 s and 40.6 ms, 6.6 s and 55.6 s; an FP8 one (twice the tokens) barely queues (0.48 s, 29.7 ms, 1.8 s,
 *   9.5 s). Over the 45 H100 rows, BF16 takes TPOT MAPE from 8.3% to 4.9%; on H200 and B200 FP8 fits better.
 */
const BF16_KV_RUNS: ReadonlyArray<{ model: string; system: string; before?: string }> = [
  { model: "MiniMaxAI/MiniMax-M2.5", system: "h100_sxm" },
  { model: "MiniMaxAI/MiniMax-M2.5", system: "b200_sxm", before: "0.19.0" },
  { model: "MiniMaxAI/MiniMax-M2.5", system: "h200_sxm", before: "0.18.0" },
  { model: "meta-llama/Llama-3.1-70B", system: "h100_sxm" },
];

/** How a row's benchmark ran, as simulation settings. */
export interface BenchmarkClient {
  /** Uniform length spread of the client (`length_range_ratio`), 1 for exact lengths. */
  readonly lengthRangeRatio: number;
  /** Distinct prompts the client cycles through (`dataset_entries`), 0 when every prompt is new. */
  readonly datasetEntries: number;
  /** Spread of the output lengths, in tokens (`output_tokens_stddev`), that breaks an exact-length replay's ties. */
  readonly outputTokensStddev: number;
  /** Whether the server scheduled asynchronously (`async_scheduling`). */
  readonly asyncScheduling: boolean;
  /** Whether to model vLLM's API server (`frontend_latency`). */
  readonly frontend: boolean;
  /** How the client's requests sample (`sampling`); null: as the checkpoint's generation config says. */
  readonly sampling: Sampling | null;
  /** Which passes the server replayed as CUDA graphs (`cudagraph_mode`). */
  readonly cudagraphMode: CudagraphMode;
  /** The server's routed-expert kernel (`moe_backend`). */
  readonly moeBackend: MoeBackend;
}

/**
 * The benchmark client and server settings a row was measured with:
 *
 * - **Lengths.** Rows of the InferenceMAX / InferenceX pipeline (sources `db-dump/…` and `source_file=<date>.csv`:
 *   its models, GPUs, ISL/OSL pairs, concurrencies and vLLM images; also `source_file=kimi-k2.5-gap-analysis.csv`,
 *   whose 47 rows in ed133e9 are all InferenceX rows' measurements rounded to 0.01 ms) ran its
 *   `benchmark_serving.py` with `--random-range-ratio 0.8`: every prompt and output length uniform in
 *   `[0.8 × len, len]`. Other rows (the gap-analysis sources) replay exact prompt lengths, and output lengths
 *   spread by one token (normal, σ = 1; `output_tokens_stddev`). Identical requests replayed exactly lock into
 *   cohorts that prefill together round after round, which the measured runs do not (their TPOT at 128-token
 *   outputs carries the other cohorts' prefill passes); the spread breaks those ties, for < 1% of the decode
 *   work (`lib/perf/FIDELITY.md`, "What breaks the exact-length lockstep"). The rows that cycled AIPerf's
 *   100-prompt dataset (below) keep exact lengths: with the ties broken their cache hits answer at once, and
 *   their hit rate is itself unknown.
 * - **Async scheduling** is vLLM's default from 0.14 on: rows of an older vLLM run without it, rows of a later
 *   or unrecorded version with it.
 * - **Front end**: InferenceX rows run with vLLM's API-server latency (`frontend_latency: true`). Exact-length
 *   replays do not: with identical requests the closed loop locks into cohorts, and any ingress delay tips it
 *   from the half-overlapped phase the measurements show into whole-concurrency prefill waves (TTFT ×3–6).
 * - **Prompts** are all distinct, except in the gap analysis of `nvidia/Llama-3.1-8B-Instruct-FP8` and the
 *   three 4000/1000 Qwen3-32B FP8 runs of the same project's Dynamo job (`qwen3_32b.csv; gtl_job_id=…`,
 *   `AIPERF_DEFAULT_DATASET`), whose client cycled through AIPerf's default dataset of 100 prompts
 *   (`--num-dataset-entries`, shuffled per pass), so repeats hit vLLM's prefix cache. Their measured TPOT is
 *   what a decode with little prefill work gives (Llama: 1k–8k prompts over 100-token outputs at 7.5–12 ms;
 *   Qwen3-32B: 4k prompts at 24–48 concurrent on one or two H100s at 11.6–16.9 ms), which no replay of
 *   distinct prompts reaches (Llama +107% TPOT MAPE, 15% with the dataset; the Qwen3-32B three +31 to +134%,
 *   −13 to +76% with it). The other Qwen3 gap analyses show no reuse: replayed with 100 prompts their TPOT
 *   MAPE rises from 7% to 25%.
 * - **Sampling**: InferenceX's client sends `temperature: 0.0` (its `backend_request_func.py`): greedy. The
 *   gap-analysis rows' client (AIPerf) sends none, so vLLM applies the checkpoint's generation config (the
 *   model's default `sampling`).
 * - **CUDA graphs**: InferenceX's Llama-3.1-70B recipes for B200 (`benchmarks/70b_fp8_b200_docker.sh`,
 *   `70b_fp4_b200_docker.sh`) compile with `"cudagraph_mode": "FULL_DECODE_ONLY"`, so their passes with a prefill
 *   run without CUDA graphs; every other run keeps vLLM's default, `FULL_AND_PIECEWISE`.
 * - **MoE kernel**: InferenceX's MiniMax-M2.5 FP8 recipe for B200 ran vLLM 0.17 with
 *   `VLLM_USE_FLASHINFER_MOE_FP8=0 VLLM_MOE_USE_DEEP_GEMM=0` (until its PR #947 moved to 0.19 and dropped
 *   them), so its experts ran on vLLM's Triton kernel (`moe_backend: triton`), which AIC's B200 tables time at
 *   1.2× FlashInfer's at decode sizes and 1.7× at 4k–16k tokens. On Hopper, vLLM 0.11.1–0.14 served block-FP8
 *   experts with DeepGEMM below MoE TP 8 unless told otherwise (`VLLM_MOE_USE_DEEP_GEMM`, on by default; its
 *   E8M0 scales, on by default for Hopper from 0.11.1, send every batch size to DeepGEMM; TP 8 falls back to
 *   Triton since vLLM PR #29346), so those runs replay `moe_backend: deep_gemm` (in ed133e9: the gap analysis
 *   of Qwen3-235B-A22B-FP8 on vLLM 0.12). Every other run uses vLLM's own choice.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { benchmarkClient } from "./silicon_client.ts";
 * import type { SiliconRow } from "./silicon_rows.ts";
 * const row = { source: "db-dump/2026-04-27; config_id=733", version: "0.19.0" } as SiliconRow;
 * assert.deepEqual(benchmarkClient(row), {
 *   lengthRangeRatio: 0.8,
 *   datasetEntries: 0,
 *   outputTokensStddev: 0,
 *   asyncScheduling: true,
 *   frontend: true,
 *   sampling: "greedy",
 *   cudagraphMode: "FULL_AND_PIECEWISE",
 *   moeBackend: "auto",
 * });
 * const gap = "source_file=/x/aic-auto-gap-analysis/data/h100_sxm/vllm/0.12.0/qwen3_32b.csv; gtl_job_id=23364591";
 * assert.equal(benchmarkClient({ source: gap, version: "0.12.0" } as SiliconRow).datasetEntries, 100);
 * ```
 */
export function benchmarkClient(row: SiliconRow): BenchmarkClient {
  const inferenceX = /^db-dump\/|^source_file=(\d{4}-\d{2}-\d{2}|kimi-k2\.5-gap-analysis)\.csv/.test(
    row.source,
  );
  const older = numbered(row.version) && compareVersions(row.version, "0.14.0") < 0;
  const datasetEntries = AIPERF_DEFAULT_DATASET.test(row.source) ? 100 : 0;
  return {
    lengthRangeRatio: inferenceX ? 0.8 : 1,
    datasetEntries,
    outputTokensStddev: inferenceX || datasetEntries > 0 ? 0 : 1,
    asyncScheduling: !older,
    frontend: inferenceX,
    sampling: inferenceX ? "greedy" : null,
    cudagraphMode: inferenceX && row.model === "meta-llama/Llama-3.1-70B" && row.system === "b200_sxm"
      ? "FULL_DECODE_ONLY"
      : "FULL_AND_PIECEWISE",
    moeBackend: inferenceX && row.model === "MiniMaxAI/MiniMax-M2.5" && row.system === "b200_sxm" &&
        row.precision === "fp8" && row.version === "0.17.0"
      ? "triton"
      : deepGemmDefault(row)
      ? "deep_gemm"
      : "auto",
  };
}

/**
 * Whether the row's vLLM picked DeepGEMM for its experts by default (see {@link benchmarkClient}): a numbered
 * release from 0.11.1 to 0.14, a Hopper GPU, a block-FP8 checkpoint's own experts, MoE TP below 8.
 */
function deepGemmDefault(row: SiliconRow): boolean {
  return numbered(row.version) && compareVersions(row.version, "0.11.1") >= 0 &&
    compareVersions(row.version, "0.15.0") < 0 && GPUS[row.system]?.arch === "hopper" &&
    MODELS[row.model]?.quant.moe === "fp8_block" && quantOverrides(row).aic_moe_dtype === undefined &&
    row.moeTp < 8;
}

/** Sources whose client drew from AIPerf's default dataset of 100 prompts (see {@link benchmarkClient}). */
const AIPERF_DEFAULT_DATASET = /\/nvidia_Llama-3\.1-8B-Instruct-FP8\.csv|\/qwen3_32b\.csv; gtl_job_id=/;

/**
 * Whether a row's vLLM version is a numbered release. Only those select version-specific behaviour (async
 * scheduling, memory defaults); nightlies and unrecorded versions count as the newest.
 */
function numbered(version: string): boolean {
  return /^\d/.test(version);
}

/**
 * The simulation spec that replays one row, with engine args `extra` on top and the row's
 * {@link benchmarkClient} unless another `client` is given.
 */
export function rowSpec(
  row: SiliconRow,
  extra: Record<string, unknown> = {},
  client: BenchmarkClient = benchmarkClient(row),
): Record<string, unknown> {
  const c = row.concurrency;
  const par = deployedLayout(row);
  return {
    workload: {
      source: "synthetic",
      input_tokens: row.isl,
      output_tokens: row.osl,
      request_count: 12 * c,
      length_range_ratio: client.lengthRangeRatio,
      output_tokens_stddev: client.outputTokensStddev,
      dataset_entries: client.datasetEntries,
    },
    replay_concurrency: c,
    warmup_request_count: 2 * c,
    topology: {
      mode: "agg",
      num_workers: 1,
      engine: {
        aic_backend: "vllm",
        aic_system: row.system,
        aic_model_path: row.model,
        aic_tp_size: par.tp,
        aic_attention_dp_size: par.attnDp,
        // Dense models have no MoE split; the corpus fills 1 / 1 in for them.
        ...(MODELS[row.model].arch.moe ? { aic_moe_tp_size: par.moeTp, aic_moe_ep_size: par.moeEp } : {}),
        ...quantOverrides(row),
        aic_kv_cache_dtype: kvDtype(row),
        max_num_batched_tokens: 8192,
        // vLLM's default, or the concurrency where that is larger: several InferenceX recipes pass
        // `--max-num-seqs $CONC` (e.g. `benchmarks/70b_fp8_h100_slurm.sh`; others a fixed 512, which none of
        // their rows exceeds), and the corpus's one row above 1,024 (MiniMax-M2.5 NVFP4 on B300 at 2,048)
        // measured a 3.7 s TTFT that no server seating 1,024 could give.
        max_num_seqs: Math.max(1024, c),
        // The row's vLLM default (0.9 before 0.22), not the newest one dynolab assumes without a version.
        ...(numbered(row.version)
          ? { gpu_memory_utilization: defaultGpuMemoryUtilization(row.version) }
          : {}),
        async_scheduling: client.asyncScheduling,
        frontend_latency: client.frontend,
        sampling: client.sampling,
        cudagraph_mode: client.cudagraphMode,
        moe_backend: client.moeBackend,
        ...extra,
      },
    },
  };
}
