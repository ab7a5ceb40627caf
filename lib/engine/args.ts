/**
 * Engine args: the reference mocker's `MockEngineArgs`, as a strict zod schema with the reference names and
 * defaults. {@link parseEngineArgs} validates a user's object against it; `config.ts` resolves the result into
 * the `EngineConfig` the engine runs with.
 *
 * Keys the reference accepts that have no effect offline (live-deployment settings, as in the reference) or in
 * the setup given (a host tier's bandwidths without one, vLLM's scheduling keys on an SGLang engine) are
 * reported as warnings by `config.ts`. Nothing is silently ignored.
 *
 * @module
 */
import { z } from "zod";
import { parseConfig } from "../common/config.ts";
import type { InputLocation } from "../common/errors.ts";
import { CUDAGRAPH_MODES, MOE_BACKENDS, SAMPLINGS } from "../perf/mod.ts";

const positiveInt = z.number().int().positive();
const fraction = z.number().min(0).max(1);
/** A speed-up factor: beyond a million either way, pass times under- or overflow the reports' arithmetic. */
export const speedupFactor = z.number().min(1e-6).max(1e6);

/**
 * The longest time a fixed term may give one pass or one request's front end, ms: 10⁹ ms (about 11.6 days), as
 * a planner profile's. Per-token terms are capped at {@link MAX_MS_PER_TOKEN}, so that even a prompt of
 * 2³¹ − 1 tokens costs at most about 2.1 × 10¹² ms: a run stays far below the 2⁵³ ms where a double stops
 * resolving a millisecond, and its reports' sums stay finite.
 */
export const MAX_TERM_MS = 1e9;
/** The most a per-token (or per-request-in-flight) term may cost, ms: a second per token, ~10⁵ times any GPU's. */
export const MAX_MS_PER_TOKEN = 1e3;
/**
 * The shortest a non-zero fixed timing term may be, ms (1 ns, as the reports' shortest duration): a run of
 * shorter passes would report its throughput against that floor, not its own time.
 */
export const MIN_TIMING_MS = 1e-6;
/**
 * The bandwidths (GB/s) a copy of KV may take, when not 0 (instant): from 0.01 GB/s (80 Mbit/s), so that a
 * prompt of 2³¹ − 1 tokens at {@link MAX_KV_BYTES_PER_TOKEN} moves in under 4 × 10¹² ms, up to 10⁶ GB/s.
 */
export const MIN_GBPS = 0.01;
/** See {@link MIN_GBPS}. */
export const MAX_GBPS = 1e6;
/** The most KV bytes one token may take: 16 MiB (a 175B multi-head model in FP32 takes 9.4 MB). */
export const MAX_KV_BYTES_PER_TOKEN = 2 ** 24;
/** The longest `startup_time`, s: {@link MAX_TERM_MS} in seconds (about 11.6 days). */
export const MAX_STARTUP_S = MAX_TERM_MS / 1000;

/**
 * A bound as messages write it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatBound } from "./args.ts";
 * assert.deepEqual([1e9, 1e-6, 0.01, 1000].map(formatBound), ["1e9", "1e-6", "0.01", "1000"]);
 * ```
 */
export const formatBound = (
  v: number,
): string => (v >= 1e6 || v < 1e-3 ? v.toExponential().replace("e+", "e") : String(v));
/** A number from 0 to `max`, in `unit`. */
const upTo = (max: number, unit: string) =>
  z.number().refine((v) => v >= 0 && v <= max, { error: `must be from 0 to ${formatBound(max)} ${unit}` });
/** A fixed timing term: 0, or from {@link MIN_TIMING_MS} to `max`, in `unit`. */
const timingTerm = (max: number, unit: string) =>
  z.number().refine((v) => v === 0 || (v >= MIN_TIMING_MS && v <= max), {
    error: `must be 0 or from ${formatBound(MIN_TIMING_MS)} to ${formatBound(max)} ${unit}`,
  });
/** A bandwidth in GB/s: 0 (instant), or from {@link MIN_GBPS} to {@link MAX_GBPS}. */
const gbps = z.number().refine((v) => v === 0 || (v >= MIN_GBPS && v <= MAX_GBPS), {
  error: `must be 0 (instant) or from ${formatBound(MIN_GBPS)} to ${formatBound(MAX_GBPS)} GB/s`,
});

/** Engine args schema (reference: `lib/mocker/src/common/protocols.rs`). `null` means "unset". */
export const EngineArgsSchema = z.strictObject({
  engine_type: z.enum(["vllm", "sglang", "trtllm"]).default("vllm"),
  num_gpu_blocks: positiveInt.nullable().optional(),
  block_size: z.number().int().nonnegative().default(0),
  max_model_len: positiveInt.nullable().optional(),
  max_num_seqs: positiveInt.default(256),
  max_num_batched_tokens: positiveInt.default(8192),
  enable_prefix_caching: z.boolean().default(true),
  enable_chunked_prefill: z.boolean().default(true),
  speedup_ratio: speedupFactor.default(1),
  decode_speedup_ratio: speedupFactor.default(1),
  dp_size: positiveInt.default(1),
  startup_time: upTo(MAX_STARTUP_S, "s").nullable().optional(),
  worker_type: z.enum(["aggregated", "prefill", "decode"]).nullable().optional(),
  is_prefill: z.boolean().nullable().optional(),
  is_decode: z.boolean().nullable().optional(),
  preemption_mode: z.enum(["lifo", "fifo"]).default("lifo"),
  /**
   * dynolab extension: vLLM's async scheduling (`--async-scheduling`, the default since vLLM 0.14). The
   * scheduler plans pass N + 1 while pass N runs, so a request that reaches a busy engine first runs in the
   * pass after next, and the scheduler's per-request CPU work overlaps the GPU instead of adding to each pass
   * (vLLM's `perSeqSync`, lib/perf/analytic/overhead.ts). Off by default, as the reference mocker.
   */
  async_scheduling: z.boolean().default(false),
  /**
   * dynolab extension: vLLM's `compilation_config.cudagraph_mode`, which passes replay as CUDA graphs.
   * `FULL_AND_PIECEWISE` (vLLM's default) graphs every pass; `FULL_DECODE_ONLY` runs passes with a prefill
   * without graphs and `NONE` (`--enforce-eager`) every pass, so that such a pass takes at least the host's
   * launch time of its layers (the framework overhead's `eagerPerLayer`, lib/perf/analytic/overhead.ts).
   */
  cudagraph_mode: z.enum(CUDAGRAPH_MODES).default("FULL_AND_PIECEWISE"),
  /**
   * dynolab extension: vLLM's `--moe-backend`, the routed-expert kernel of a MoE model. `auto` (vLLM's default)
   * prices the kernel vLLM picks for the GPU and format (FlashInfer's TensorRT-LLM kernels for block FP8 on
   * Blackwell); `triton` prices vLLM's Triton fused-MoE kernel, which `--moe-backend triton` or the environment
   * `VLLM_USE_FLASHINFER_MOE_FP8=0 VLLM_MOE_USE_DEEP_GEMM=0` select (curves fitted to AIC's Triton rows).
   */
  moe_backend: z.enum(MOE_BACKENDS).default("auto"),
  planner_profile_data: z.string().nullable().optional(),
  aic_backend: z.string().nullable().optional(),
  aic_system: z.string().nullable().optional(),
  aic_systems_path: z.string().nullable().optional(),
  aic_backend_version: z.string().nullable().optional(),
  aic_tp_size: positiveInt.nullable().optional(),
  aic_model_path: z.string().nullable().optional(),
  aic_moe_tp_size: positiveInt.nullable().optional(),
  aic_moe_ep_size: positiveInt.nullable().optional(),
  aic_attention_dp_size: positiveInt.nullable().optional(),
  aic_gemm_dtype: z.string().nullable().optional(),
  aic_moe_dtype: z.string().nullable().optional(),
  aic_fmha_dtype: z.string().nullable().optional(),
  aic_kv_cache_dtype: z.string().nullable().optional(),
  aic_comm_dtype: z.string().nullable().optional(),
  aic_nextn: z.number().int().min(1).max(5).nullable().optional(),
  aic_nextn_accept_rates: z.union([z.string(), z.array(z.number())]).nullable().optional(),
  aic_mtp_seed: z.number().int().nonnegative().default(42),
  gpu_memory_utilization: fraction.nullable().optional(),
  mem_fraction_static: fraction.nullable().optional(),
  free_gpu_memory_fraction: fraction.nullable().optional(),
  enable_local_indexer: z.boolean().default(false),
  bootstrap_port: z.number().int().nullable().optional(),
  handoff_session_timeout_ms: positiveInt.nullable().optional(),
  kv_bytes_per_token: positiveInt.max(MAX_KV_BYTES_PER_TOKEN, "must be from 1 to 2^24 (16 MiB)").nullable()
    .optional(),
  kv_transfer_bandwidth: gbps.nullable().optional(),
  kv_transfer_timing_mode: z.enum(["full_prompt", "destination_missing"]).default("full_prompt"),
  num_g2_blocks: z.number().int().nonnegative().nullable().optional(),
  num_g3_blocks: z.number().int().nonnegative().nullable().optional(),
  enable_g4_storage: z.boolean().default(false),
  offload_batch_size: z.number().int().nonnegative().nullable().optional(),
  bandwidth_g1_to_g2_gbps: gbps.nullable().optional(),
  bandwidth_g2_to_g1_gbps: gbps.nullable().optional(),
  bandwidth_g2_to_g3_gbps: gbps.nullable().optional(),
  bandwidth_g3_to_g2_gbps: gbps.nullable().optional(),
  bandwidth_g2_to_g4_gbps: gbps.nullable().optional(),
  bandwidth_g4_to_g2_gbps: gbps.nullable().optional(),
  reasoning: z.strictObject({
    start_thinking_token_id: z.number().int().nonnegative(),
    end_thinking_token_id: z.number().int().nonnegative(),
    thinking_ratio: fraction,
  }).nullable().optional(),
  response_replay_trace_path: z.string().nullable().optional(),
  zmq_kv_events_port: z.number().int().nullable().optional(),
  zmq_replay_port: z.number().int().nullable().optional(),
  router_queue_policy: z.enum(["fcfs", "lcfs", "wspt"]).nullable().optional(),
  /** The SGLang scheduler's settings (`engine_type: "sglang"`); `fcfs` is FIFO's other name. */
  sglang: z.strictObject({
    schedule_policy: z.enum(["fifo", "fcfs", "lpm"]).nullable().optional(),
    page_size: positiveInt.nullable().optional(),
    max_prefill_tokens: positiveInt.nullable().optional(),
    chunked_prefill_size: positiveInt.nullable().optional(),
    clip_max_new_tokens: positiveInt.nullable().optional(),
    schedule_conservativeness: z.number().positive().nullable().optional(),
    /**
     * dynolab extension (SGLang's `--prefill-decode-interval`): after a prefill batch, run this many decode
     * batches before the next prefill batch while requests are decoding. Unset: 0, prefill first always.
     */
    prefill_decode_interval: z.number().int().nonnegative().nullable().optional(),
  }).nullable().optional(),
  trtllm: z.strictObject({
    capacity_scheduler_policy: z.literal("guaranteed_no_evict").nullable().optional(),
  }).nullable().optional(),
  /**
   * dynolab extension: charge the serving framework's per-pass overhead (CPU scheduling, launch gaps, sampling)
   * in the analytic and AIC-table models. Unset: true. `false` reproduces the reference mocker's kernel-only sums.
   */
  framework_overhead: z.boolean().nullable().optional(),
  /**
   * dynolab extension: how requests pick their next token, which sets the framework overhead's sampler cost.
   * Unset: what the model's generation config gives a request that sets no sampling parameters (the catalog's
   * `ModelSpec.sampling`, or the `generation_config.json` beside a config path): `"top_k_top_p"` for Llama,
   * Qwen3, DeepSeek, MiniMax; `"random"` for gpt-oss, Mixtral, Kimi. `"greedy"`: temperature 0 (an argmax;
   * vLLM's `benchmark_serving.py` sends it).
   */
  sampling: z.enum(SAMPLINGS).nullable().optional(),
  /**
   * dynolab extension: the serving front end's latency before a request reaches the router (HTTP, tokenization,
   * streaming load; no GPU time; see `lib/perf/frontend.ts`), from the first stage's args. Unset or `false`: none
   * (the reference's semantics, and Dynamo's Rust front end). `true`: the terms fitted for the backend's own API
   * server (vLLM) on the silicon corpus, for the model's tokenizer kind (`fast`, or `slow` for Python
   * tokenizers such as Kimi's). An object gives the terms (each defaults to 0).
   */
  frontend_latency: z.union([
    z.boolean(),
    z.strictObject({
      base_ms: upTo(MAX_TERM_MS, "ms").default(0),
      ms_per_input_token: upTo(MAX_MS_PER_TOKEN, "ms per token").default(0),
      ms_per_request_in_flight: upTo(MAX_MS_PER_TOKEN, "ms per request").default(0),
    }),
  ]).nullable().optional(),
  /**
   * dynolab extension: force a timing model. `"polynomial"` is the reference default; `fixed` charges constant
   * times per pass part (see `lib/perf/fixed.ts`). Unset: chosen from the other args. Each term is 0 or from
   * {@link MIN_TIMING_MS} to {@link MAX_TERM_MS} ms ({@link MAX_MS_PER_TOKEN} per token). All 0 is a free
   * engine: a disaggregated run's free prefill stage is a study of its own.
   */
  timing_model: z.union([
    z.literal("polynomial"),
    z.strictObject({
      type: z.literal("fixed"),
      prefill_ms: timingTerm(MAX_TERM_MS, "ms").default(0),
      prefill_ms_per_token: timingTerm(MAX_MS_PER_TOKEN, "ms per token").default(0),
      decode_ms: timingTerm(MAX_TERM_MS, "ms").default(0),
    }),
  ]).nullable().optional(),
});

/** Engine args as written by a user (JSON object, reference names). */
export type EngineArgsInput = z.input<typeof EngineArgsSchema>;
/** Engine args after schema defaults. */
export type EngineArgs = z.output<typeof EngineArgsSchema>;

/** Every engine-arg key, sorted (for docs, the DSL mapping and "valid keys" messages). */
export const ENGINE_ARG_KEYS: readonly string[] = Object.keys(EngineArgsSchema.shape).sort();

/**
 * Validate raw engine args (a parsed JSON object) against the schema, with defaults; no cross-field checks. Use
 * it before `loadPerfInputs`, then pass the inputs to `resolveEngineArgs`
 * (`config.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseEngineArgs } from "./args.ts";
 * assert(parseEngineArgs({ block_size: 32 }).max_num_seqs === 256);
 * ```
 */
export function parseEngineArgs(raw: unknown, what = "engine args", at: InputLocation = {}): EngineArgs {
  return parseConfig(EngineArgsSchema, raw ?? {}, what, at);
}
