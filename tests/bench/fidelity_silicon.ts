/**
 * End-to-end fidelity against a silicon corpus: every aggregated vLLM row of an AI Configurator
 * `silicon_sample.csv` (measured mean TTFT and TPOT per model, GPU, parallelism, ISL/OSL and client concurrency)
 * whose GPU and model dynolab knows, replayed through the simulator as its benchmark client ran it: closed loop
 * at the row's concurrency, `10 × concurrency` measured requests after `2 × concurrency` warm-up requests,
 * `ignore_eos` outputs, and the client's and server's length and scheduling settings where the row's source
 * names them (see {@link benchmarkClient}).
 *
 * The corpus is not part of dynolab: pass its path (`deno task fidelity --silicon PATH`, or the
 * `DYNOLAB_SILICON_CSV` environment variable). Engine args per row: the analytic model for the row's system,
 * model and parallelism, vLLM's defaults for H100/H200/B200-class GPUs (`max_num_batched_tokens` 8192,
 * `max_num_seqs` 1024, or the concurrency where larger), an FP8 KV cache for FP8/FP4 runs (see `kvDtype`).
 *
 * @module
 */
import { parseCsv } from "./csv.ts";
import { mean, meanAbs, median, pct, signedPct } from "./percent.ts";
import { loadInputs, runSimulation } from "../../lib/simulate.ts";
import { execute, type Job, spawnWorkers } from "../../lib/dsl/execute.ts";
import type { Report } from "../../lib/report/mod.ts";
import type { Workload } from "../../lib/workload/mod.ts";
import { type CudagraphMode, GPUS, MODELS, type MoeBackend, type Sampling } from "../../lib/perf/mod.ts";
import type { Parallelism } from "../../lib/perf/catalog/arch.ts";
import { compareVersions } from "../../lib/perf/aic/versions.ts";
import { coefficientSystem } from "../../lib/perf/analytic/lookup.ts";
import { defaultGpuMemoryUtilization } from "../../lib/perf/capacity.ts";
import { deploymentBias, type RowErrors, ttftBiasByTp } from "./silicon_bias.ts";

/** One measured aggregated point. */
export interface SiliconRow {
  readonly id: string;
  readonly version: string;
  /** The row's `silicon_data_source` (which pipeline measured it, and when). */
  readonly source: string;
  readonly model: string;
  readonly system: string;
  readonly isl: number;
  readonly osl: number;
  /** Client concurrency (the `silicon_concurrency` of the source, else `batch_size × attention_dp_size`). */
  readonly concurrency: number;
  readonly tp: number;
  /** `attention_dp_size`, or where the CSV leaves it blank the degree the MoE group implies (`siliconRows`). */
  readonly attnDp: number;
  readonly moeTp: number;
  readonly moeEp: number;
  /** The run's precision (`bf16`, `fp8`, `fp4`), empty when unset. */
  readonly precision: string;
  /** The row's GEMM and MoE quantization (AIC names: `fp8`, `fp8_block`, `nvfp4`, …), empty when unset. */
  readonly gemmQuant: string;
  readonly moeQuant: string;
  readonly ttftMs: number;
  readonly tpotMs: number;
}

/**
 * A row of one of AIC's vLLM 0.12 gap analyses (`<system>/vllm/0.12.0/<file>.csv`, the source that selects its
 * benchmark client) at one measured point, with a plain TP layout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { benchmarkClient, gapAnalysisRow } from "./fidelity_silicon.ts";
 * const row = gapAnalysisRow({ model: "Qwen/Qwen3-32B", system: "h100_sxm", file: "Qwen_Qwen3-32B", precision: "",
 *   tp: 2, isl: 1024, osl: 1024, concurrency: 8, ttftMs: 154, tpotMs: 15.9 });
 * assert.equal(benchmarkClient(row).lengthRangeRatio, 1); // exact lengths
 * ```
 */
export function gapAnalysisRow(p: {
  model: string;
  system: string;
  file: string;
  /** The run's precision, also its GEMM quantization (`fp8`), or empty for the checkpoint's own. */
  precision: string;
  tp: number;
  isl: number;
  osl: number;
  concurrency: number;
  ttftMs: number;
  tpotMs: number;
}): SiliconRow {
  return {
    id: `${p.file}_${p.system}_tp${p.tp}_${p.isl}x${p.osl}_c${p.concurrency}`,
    version: "0.12.0",
    source: `source_file=/data/${p.system}/vllm/0.12.0/${p.file}.csv`,
    model: p.model,
    system: p.system,
    isl: p.isl,
    osl: p.osl,
    concurrency: p.concurrency,
    tp: p.tp,
    attnDp: 1,
    moeTp: 1,
    moeEp: 1,
    precision: p.precision,
    gemmQuant: p.precision,
    moeQuant: "",
    ttftMs: p.ttftMs,
    tpotMs: p.tpotMs,
  };
}

/**
 * The attention-DP degree a row leaves blank: vLLM's MoE layers span every rank of the DP × TP group, so a
 * layout whose MoE group (`moeTp × moeEp`) is larger than its TP ran attention data-parallel over the rest
 * (`--data-parallel-size`). 1 when the MoE group is the TP group or does not divide by it.
 */
function impliedAttentionDp(tp: number, moeGroup: number): number {
  return moeGroup > tp && moeGroup % tp === 0 ? moeGroup / tp : 1;
}

/** The aggregated vLLM rows of a silicon CSV that dynolab can replay (known GPU and model, TP ≥ 1). */
export function siliconRows(csvText: string): SiliconRow[] {
  const out: SiliconRow[] = [];
  for (const r of parseCsv(csvText)) {
    if (r.backend !== "vllm" || r.mode !== "agg" || !(r.system in GPUS) || !(r.model_path in MODELS)) {
      continue;
    }
    const num = (k: string) => Number(r[k]);
    const tp = num("tp_size") || 1;
    const moeTp = num("moe_tp_size") || 1;
    const moeEp = num("moe_ep_size") || 1;
    const attnDp = num("attention_dp_size") || impliedAttentionDp(tp, moeTp * moeEp);
    const declared = /silicon_concurrency=(\d+)/.exec(r.silicon_data_source ?? "");
    const row: SiliconRow = {
      id: r.id,
      version: r.backend_version,
      source: r.silicon_data_source ?? "",
      model: r.model_path,
      system: r.system,
      isl: num("isl"),
      osl: num("osl"),
      concurrency: declared ? Number(declared[1]) : num("batch_size") * attnDp,
      tp,
      attnDp,
      moeTp,
      moeEp,
      precision: r.precision ?? "",
      gemmQuant: r.gemm_quant_mode ?? "",
      moeQuant: r.moe_quant_mode ?? "",
      ttftMs: num("silicon_ttft_ms"),
      tpotMs: num("silicon_tpot_ms"),
    };
    if (
      [row.isl, row.osl, row.concurrency, row.ttftMs, row.tpotMs].every((v) => Number.isFinite(v) && v > 0)
    ) {
      out.push(row);
    }
  }
  return out;
}

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

/**
 * The parallel layout a row ran with. AIC's database labels vLLM's TP runs with expert parallelism
 * (`--enable-expert-parallel`, experts spread over the TP group) as attention DP = TP and EP = TP²: the `ed133e9`
 * corpus holds the same measurements under both labels (MiniMax-M2.5 on 4 H100s, TP 4 / EP 4: 113.8 ms TTFT and
 * 15.54 ms TPOT as "4/1/4", 107.0 ms and 15.47 ms as "4/4/16"), and the "DP" runs' TPOT equals the TP runs' at the
 * same concurrency. Such rows replay as TP with EP over the TP group; other layouts as labelled.
 */
export function deployedLayout(row: SiliconRow): Parallelism {
  const { tp, attnDp, moeTp, moeEp } = row;
  if (attnDp > 1 && attnDp === tp && moeEp === tp * attnDp) return { tp, attnDp: 1, moeTp: 1, moeEp: tp };
  return { tp, attnDp, moeTp, moeEp };
}

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
 * import { benchmarkClient, type SiliconRow } from "./fidelity_silicon.ts";
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
 * The rows of a corpus whose measurements cannot be trusted, each with why. They are printed but kept out of the
 * error summary. Two rules, neither looking at the simulator:
 *
 * - **One known bad group**: the gpt-oss-120b sweep on H100 at concurrency 512 of InferenceX's 2026-04-06 export
 *   (vLLM 0.11.2 or unrecorded). Its nine rows report TTFTs of 20–460 s, four times the requests' whole decode
 *   time, which in a closed loop means the server held about 100 of the 512 requests at a time; yet their TPOTs
 *   (3.6–27 ms) sit at the same configurations' TPOT for 4–64 concurrent requests, five of them below the median
 *   TPOT of those lower concurrencies. No KV limit explains either (gpt-oss-120b at TP 2–8 on H100 holds every
 *   512 requests' KV several times over).
 * - **Decode slower than at a higher concurrency of the same sweep** (same measurement run, GPU, model, vLLM
 *   version, quantization, layout and ISL/OSL) by more than {@link SWEEP_TPOT_INVERSION}. A closed loop with more
 *   streams decodes larger batches and interleaves more prefills, so a server's TPOT does not fall as
 *   concurrency rises; repeat measurements of one point differ by 1.6% TPOT on average ({@link repeatedPoints}),
 *   so a 15% inversion means that run was disturbed. In ed133e9 it flags three measurements (four rows:
 *   one is listed twice), each above both its neighbours: Kimi-K2.5 INT4 on 8 H200s at 1k/8k and 16 concurrent
 *   (884 ms TTFT, 64 ms TPOT, against 22.5 ms at 32 concurrent, and 16.0 ms when the same point was measured
 *   again on 2026-03-27), and gpt-oss-120b on 4 H100s at 1k/1k and 32 concurrent (15.9 ms against 9.7 ms at 64)
 *   and at 1k/8k and 16 concurrent (8.5 ms against 7.1 ms at 32).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { untrustedMeasurements, type SiliconRow } from "./fidelity_silicon.ts";
 * const row = {
 *   source: "source_file=2026-04-06.csv; silicon_concurrency=512",
 *   model: "openai/gpt-oss-120b",
 *   system: "h100_sxm",
 *   concurrency: 512,
 *   tpotMs: 10,
 * } as SiliconRow;
 * const low = { ...row, source: "source_file=2026-04-06.csv; silicon_concurrency=64", concurrency: 64 };
 * assert.deepEqual([...untrustedMeasurements([row, low]).keys()], [row]);
 * // A sweep whose 16-stream run decoded slower than its 32-stream run: the 16-stream run is flagged.
 * const run = { system: "h200_sxm", model: "m", source: "measured=2026-03-02T23:25:25Z", isl: 1024, osl: 8192 };
 * const c16 = { ...run, concurrency: 16, tpotMs: 64 } as SiliconRow;
 * const c32 = { ...run, concurrency: 32, tpotMs: 22.5 } as SiliconRow;
 * assert.deepEqual([...untrustedMeasurements([c16, c32]).keys()], [c16]);
 * assert.equal(untrustedMeasurements([{ ...c16, tpotMs: 21 }, c32]).size, 0);
 * ```
 */
export function untrustedMeasurements(rows: readonly SiliconRow[]): Map<SiliconRow, string> {
  const out = new Map<SiliconRow, string>();
  for (const row of rows) {
    if (
      /^source_file=2026-04-06\.csv/.test(row.source) && row.model === "openai/gpt-oss-120b" &&
      row.system === "h100_sxm" && row.concurrency === 512
    ) {
      out.set(row, "self-inconsistent: TTFT says ~100 requests served at once, TPOT says 4–64");
    }
  }
  for (const sweep of Map.groupBy(rows, sweepKey).values()) {
    for (const row of sweep) {
      const faster = sweep.find((o) =>
        o.concurrency > row.concurrency && row.tpotMs > SWEEP_TPOT_INVERSION * o.tpotMs && !out.has(o)
      );
      if (faster && !out.has(row)) {
        out.set(
          row,
          `decoded slower (TPOT ${row.tpotMs.toFixed(2)} ms) than the same sweep at ${faster.concurrency} ` +
            `concurrent (${faster.tpotMs.toFixed(2)} ms)`,
        );
      }
    }
  }
  return out;
}

/** How much slower a run's TPOT may be than that of a higher concurrency of its sweep before it is distrusted. */
export const SWEEP_TPOT_INVERSION = 1.15;

/** What a row was measured on: its GPU, model, vLLM version, quantization, deployed layout and ISL/OSL. */
function setupKey(row: SiliconRow): string {
  const l = deployedLayout(row);
  return [
    row.system,
    row.model,
    row.version,
    `${row.precision}/${row.gemmQuant}/${row.moeQuant}`,
    `${l.tp}/${l.attnDp}/${l.moeTp}/${l.moeEp}`,
    `${row.isl}x${row.osl}`,
  ].join("|");
}

/**
 * The measurement run a row belongs to: its {@link setupKey} and source (the source's `measured=` timestamp
 * where it has one, else the source without its per-point fields).
 */
export function sweepKey(row: SiliconRow): string {
  const run = /measured=([^;]+)/.exec(row.source)?.[1] ??
    row.source.replace(/(silicon_concurrency|config_id)=\d+;?\s*/g, "");
  return `${setupKey(row)}|${run}`;
}

/**
 * The corpus's own repeatability: the points measured more than once (same GPU, model, vLLM version,
 * quantization, deployed layout, ISL/OSL and concurrency, in different exports or runs) with different results,
 * each as its distinct measurements. Rows copied between exports with identical values are one measurement.
 * How far two measurements of one point lie apart bounds how close any model can come to a single one of them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { repeatedPoints, type SiliconRow } from "./fidelity_silicon.ts";
 * const point = { system: "b200_sxm", model: "m", version: "0.19.0", isl: 1024, osl: 1024, concurrency: 8 };
 * const a = { ...point, source: "db-dump/2026-04-27", ttftMs: 89, tpotMs: 10.84 } as SiliconRow;
 * const copy = { ...a, source: "source_file=2026-04-06.csv" };
 * const again = { ...a, source: "source_file=2026-03-25.csv", ttftMs: 90, tpotMs: 10.82 };
 * assert.deepEqual(repeatedPoints([a, copy, again]), [[a, again]]);
 * assert.deepEqual(repeatedPoints([a, copy]), []);
 * ```
 */
export function repeatedPoints(rows: readonly SiliconRow[]): SiliconRow[][] {
  const points = Map.groupBy(rows, (row) => `${setupKey(row)}|${row.concurrency}`).values();
  const distinct = (p: SiliconRow[]) =>
    p.filter((row, i) => p.findIndex((o) => o.ttftMs === row.ttftMs && o.tpotMs === row.tpotMs) === i);
  return [...points].map(distinct).filter((p) => p.length > 1);
}

/** Mean relative difference of two measurements, `|a − b| / ((a + b) / 2)`, over every pair of `values`. */
function spread(values: readonly number[]): number {
  const d: number[] = [];
  for (let i = 0; i < values.length; i++) {
    for (let j = i + 1; j < values.length; j++) {
      d.push(Math.abs(values[i] - values[j]) / ((values[i] + values[j]) / 2));
    }
  }
  return mean(d);
}

/** A replayed row's simulated mean TTFT and TPOT (ms). */
export interface RowResult {
  readonly ttft: number;
  readonly tpot: number;
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

/** A report's mean TTFT and TPOT. */
function rowResult(report: Report): RowResult {
  return { ttft: report.mean_ttft_ms as number, tpot: report.mean_tpot_ms as number };
}

/** Replay one row ({@link rowSpec}) in this thread. */
export async function simulateRow(
  row: SiliconRow,
  extra: Record<string, unknown> = {},
  client: BenchmarkClient = benchmarkClient(row),
): Promise<RowResult> {
  return rowResult(runSimulation(await loadInputs(rowSpec(row, extra, client))).report);
}

/**
 * Replay many rows as {@link simulateRow} would, on `threads` Web Workers (the DSL's pool; default every core):
 * each row's result, or the error that kept its configuration from resolving. Results do not depend on
 * `threads` (the simulator is deterministic).
 */
export async function simulateRows(
  rows: readonly SiliconRow[],
  extra: Record<string, unknown> = {},
  threads: number = navigator.hardwareConcurrency,
): Promise<Map<SiliconRow, RowResult | Error>> {
  const out = new Map<SiliconRow, RowResult | Error>();
  const jobs: Job[] = [];
  const jobRows: SiliconRow[] = [];
  const workloads = new Map<string, Workload>();
  // Start the workers first: they load their modules while this thread loads the rows' workloads.
  const count = Math.min(threads, rows.length);
  const workers = count > 1 ? spawnWorkers(count) : [];
  try {
    for (const row of rows) {
      try {
        const { spec, workload } = await loadInputs(rowSpec(row, extra));
        const id = jobs.length;
        jobs.push({ id, spec, workloadKey: String(id) });
        jobRows.push(row);
        workloads.set(String(id), workload);
      } catch (e) {
        out.set(row, e as Error);
      }
    }
    const results = await execute(jobs, workloads, workers, () => {});
    for (const job of jobs) out.set(jobRows[job.id], rowResult(results.get(job.id)!.report));
  } finally {
    for (const w of workers) w.terminate();
  }
  return new Map(rows.filter((row) => out.has(row)).map((row) => [row, out.get(row)!]));
}

/** Absolute errors of one summary group. */
interface AbsErrors {
  readonly ttft: number[];
  readonly tpot: number[];
}

/** The errors of group `key` in `groups`, created empty on first use. */
function errorsOf(groups: Map<string, AbsErrors>, key: string): AbsErrors {
  let g = groups.get(key);
  if (!g) groups.set(key, g = { ttft: [], tpot: [] });
  return g;
}

/** A summary row's cells after its label: rows, TTFT MAPE and median, TPOT MAPE and median. */
function mapeCells(g: AbsErrors): string {
  return `${g.tpot.length} | ${pct(mean(g.ttft))} | ${pct(median(g.ttft))} | ${pct(mean(g.tpot))} | ${
    pct(median(g.tpot))
  } |`;
}

/**
 * The text `deno task fidelity --only REGEX` matches a row against: GPU, model, vLLM version and precision.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rowLabel, type SiliconRow } from "./fidelity_silicon.ts";
 * const row = { system: "h200_sxm", model: "Qwen/Qwen3-235B-A22B-FP8", version: "0.12.0", precision: "fp8" };
 * assert.equal(rowLabel(row as SiliconRow), "h200_sxm Qwen/Qwen3-235B-A22B-FP8 0.12.0 fp8");
 * assert(/^h200_sxm Qwen\/Qwen3-235B/.test(rowLabel(row as SiliconRow)));
 * ```
 */
export function rowLabel(row: SiliconRow): string {
  return `${row.system} ${row.model} ${row.version} ${row.precision}`;
}

/**
 * Run every row of the corpus read from `path` (`rows`, as {@link siliconRows} parses it), print a table, MAPEs
 * per (GPU, model) and overall, MAPEs per GPU (with the GPU whose fitted curves it runs on: B300 borrows B200's),
 * the errors per prefill load ({@link prefillLoad}), where the error sits (per deployment or within one, and
 * the TTFT bias by TP: `silicon_bias.ts`), and the corpus's repeatability ({@link repeatedPoints}): how
 * far repeat measurements of one point lie apart, beside the model's error on the same rows. `engine` holds
 * engine args set on top of every row's (a what-if: `deno task fidelity --silicon PATH --engine JSON`).
 */
export async function runSilicon(
  path: string,
  rows: readonly SiliconRow[],
  engine: Record<string, unknown> = {},
): Promise<void> {
  const what = Object.keys(engine).length > 0
    ? `analytic model with ${JSON.stringify(engine)}`
    : "analytic model";
  console.log(`\n## End to end: ${rows.length} aggregated vLLM rows of ${path}, ${what}\n`);
  console.log(
    "| id | vLLM | TP/DP/EP | ISL | OSL | conc. | TTFT meas. | sim. | err | TPOT meas. | sim. | err |",
  );
  console.log("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  const groups = new Map<string, AbsErrors>();
  const gpus = new Map<string, AbsErrors>();
  const all: AbsErrors = { ttft: [], tpot: [] };
  const loads = new Map<string, { ttft: number[]; tpot: number[] }>(
    PREFILL_LOADS.map((b) => [b, { ttft: [], tpot: [] }]),
  );
  let skipped = 0, excluded = 0;
  const distrusted = untrustedMeasurements(rows);
  const sims = await simulateRows(rows.filter((row) => !distrusted.has(row)), engine);
  const errors = new Map<SiliconRow, RowErrors>();
  for (const row of rows) {
    const untrusted = distrusted.get(row);
    if (untrusted) {
      excluded++;
      console.log(
        `${rowPoint(row)} ${row.ttftMs.toFixed(1)} | excluded: ${untrusted} | | ${
          row.tpotMs.toFixed(2)
        } | | |`,
      );
      continue;
    }
    const sim = sims.get(row)!;
    if (sim instanceof Error) {
      skipped++;
      console.log(`${rowHead(row)} skipped: ${sim.message} |`);
      continue;
    }
    const e1 = sim.ttft / row.ttftMs - 1, e2 = sim.tpot / row.tpotMs - 1;
    errors.set(row, { ttft: e1, tpot: e2 });
    for (const acc of [errorsOf(groups, `${row.system} ${row.model}`), errorsOf(gpus, row.system), all]) {
      acc.ttft.push(Math.abs(e1));
      acc.tpot.push(Math.abs(e2));
    }
    const load = loads.get(prefillLoad(row))!;
    load.ttft.push(e1);
    load.tpot.push(e2);
    console.log(
      `${rowPoint(row)} ${row.ttftMs.toFixed(1)} | ${sim.ttft.toFixed(1)} | ${signedPct(e1)} | ` +
        `${row.tpotMs.toFixed(2)} | ${sim.tpot.toFixed(2)} | ${signedPct(e2)} |`,
    );
  }
  if (skipped > 0) {
    console.log(`\n${skipped} rows skipped (the configuration does not resolve; reason above).`);
  }
  if (excluded > 0) {
    console.log(`\n${excluded} rows excluded from the summary (untrusted measurements; reason above).`);
  }
  if (errors.size === 0) {
    console.log("\nNo row replayed, so there is nothing to summarise.");
    return;
  }
  console.log("\n| GPU, model | rows | TTFT MAPE | TTFT median | TPOT MAPE | TPOT median |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const [key, g] of [...groups, ["all", all] as const]) console.log(`| ${key} | ${mapeCells(g)}`);
  console.log("\n| GPU | analytic curves of | rows | TTFT MAPE | TTFT median | TPOT MAPE | TPOT median |");
  console.log("|---|---|---:|---:|---:|---:|---:|");
  for (const [id, g] of [...gpus].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(`| ${id} | ${coefficientSystem(GPUS[id])} | ${mapeCells(g)}`);
  }
  console.log(
    "\n| prefill load (c × ISL / OSL) | rows | TTFT MAPE | TTFT mean error | TPOT MAPE | TPOT mean error |",
  );
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const [bucket, l] of loads) {
    if (l.ttft.length === 0) continue;
    console.log(
      `| ${bucket} | ${l.ttft.length} | ${pct(meanAbs(l.ttft))} | ${signedPct(mean(l.ttft))} | ` +
        `${pct(meanAbs(l.tpot))} | ${signedPct(mean(l.tpot))} |`,
    );
  }
  printBias(errors);
  const repeated = repeatedPoints([...errors.keys()]);
  if (repeated.length === 0) return;
  const measured = repeated.flat();
  // Points whose every measurement the model misses in the same direction: the error is the point's, not noise.
  const oneSign = repeated.filter((p) => {
    const signs = new Set(p.map((r) => Math.sign(errors.get(r)!.ttft)));
    return signs.size === 1;
  }).length;
  console.log(
    "\n| points measured twice or more | measurements | TTFT spread | TPOT spread | TTFT MAPE on them | " +
      "TPOT MAPE on them | TTFT error of one sign |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|");
  console.log(
    `| ${repeated.length} | ${measured.length} | ${
      pct(mean(repeated.map((p) => spread(p.map((r) => r.ttftMs)))))
    } | ` +
      `${pct(mean(repeated.map((p) => spread(p.map((r) => r.tpotMs)))))} | ` +
      `${pct(meanAbs(measured.map((r) => errors.get(r)!.ttft)))} | ` +
      `${pct(meanAbs(measured.map((r) => errors.get(r)!.tpot)))} | ${oneSign} of ${repeated.length} |`,
  );
}

/**
 * Print where the error sits: per deployment or within one ({@link deploymentBias}), and the TTFT bias by TP
 * ({@link ttftBiasByTp}).
 */
function printBias(errors: ReadonlyMap<SiliconRow, RowErrors>): void {
  const b = deploymentBias(errors);
  console.log(`\n| error (deployments with ${b.minRows} rows or more) | rows | TTFT MAPE | TPOT MAPE |`);
  console.log("|---|---:|---:|---:|");
  console.log(`| as simulated | ${b.rows} | ${pct(b.ttft)} | ${pct(b.tpot)} |`);
  const removed = `each deployment's median bias removed (${b.deployments} deployments)`;
  console.log(`| ${removed} | ${b.rows} | ${pct(b.ttftWithin)} | ${pct(b.tpotWithin)} |`);
  const byTp = ttftBiasByTp(errors);
  const tps = [...new Set([...byTp.values()].flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  console.log(
    `\n| GPU, plain TP rows: TTFT mean error (rows) | ${tps.map((tp) => `TP ${tp}`).join(" | ")} |`,
  );
  console.log(`|---|${tps.map(() => "---:").join("|")}|`);
  for (const [gpu, cells] of [...byTp].sort(([a], [b]) => a.localeCompare(b))) {
    const row = tps.map((tp) => {
      const c = cells.get(tp);
      return c ? `${signedPct(c.ttft)} (${c.rows})` : "";
    });
    console.log(`| ${gpu} | ${row.join(" | ")} |`);
  }
}

/** The prefill-load buckets of the silicon summary, lightest first (see {@link prefillLoad}). */
export const PREFILL_LOADS = ["< 16", "16–64", "64–256", "256–1k", "≥ 1k"] as const;

/**
 * A row's prefill load: the prompt tokens its closed loop brings per decode step, `concurrency × ISL / OSL`
 * (each stream brings ISL prompt tokens every OSL output tokens), bucketed. Under 16 the passes are nearly all
 * decode; from 256 on prefill work fills most of each pass, so TPOT measures prefill as much as decode.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prefillLoad, type SiliconRow } from "./fidelity_silicon.ts";
 * assert(prefillLoad({ concurrency: 4, isl: 1024, osl: 1024 } as SiliconRow) === "< 16");
 * assert(prefillLoad({ concurrency: 64, isl: 8192, osl: 1024 } as SiliconRow) === "256–1k");
 * ```
 */
export function prefillLoad(row: SiliconRow): (typeof PREFILL_LOADS)[number] {
  const x = row.concurrency * row.isl / row.osl;
  return x < 16 ? "< 16" : x < 64 ? "16–64" : x < 256 ? "64–256" : x < 1024 ? "256–1k" : "≥ 1k";
}

/** A table row's leading cells: id, vLLM version, TP/DP/EP. */
const rowHead = (row: SiliconRow) => `| ${row.id} | ${row.version} | ${row.tp}/${row.attnDp}/${row.moeEp} |`;
/** {@link rowHead} plus the measured point: ISL, OSL, concurrency. */
const rowPoint = (row: SiliconRow) => `${rowHead(row)} ${row.isl} | ${row.osl} | ${row.concurrency} |`;
