/**
 * The YAML config of `aisimulate predict` (AISimulate, the reference's front end from Dynamo v1.5 on): its
 * sections `traffic`, `engine`, `router`, `planner`, `evaluation` and `execution` as zod schemas with strict
 * keys and AISimulate's defaults. Keys AISimulate knows but dynolab does not model are refused by name.
 * {@link predictSpec} (`predict_spec.ts`) compiles a config into a simulation spec.
 *
 * @module
 */
import { z } from "zod";
import {
  formatBound,
  MAX_GBPS,
  MAX_KV_BYTES_PER_TOKEN,
  MAX_STARTUP_S,
  MAX_TERM_MS,
  MIN_GBPS,
  MIN_TIMING_MS,
} from "../engine/mod.ts";
import { MAX_LOAD_SCALE, MIN_TEMPERATURE } from "../router/mod.ts";

const posInt = z.number().int().positive();
const posNum = z.number().positive();
const nonNeg = z.number().nonnegative();
const LOAD_SCALE_RANGE = `must be from 0 to ${formatBound(MAX_LOAD_SCALE)}`;

/** A fixed timing term, ms: 0, or as the engine args' fixed terms. */
const timingMs = z.number().refine((v) => v === 0 || (v >= MIN_TIMING_MS && v <= MAX_TERM_MS), {
  error: `must be 0 or from ${formatBound(MIN_TIMING_MS)} to ${formatBound(MAX_TERM_MS)} ms`,
});
/** A KV copy's bandwidth, GB/s, within the engine args' bounds (not 0: AISimulate's copies take time). */
const gbps = z.number().refine((v) => v >= MIN_GBPS && v <= MAX_GBPS, {
  error: `must be from ${formatBound(MIN_GBPS)} to ${formatBound(MAX_GBPS)} GB/s`,
});
/** KV bytes per token, up to the engine args' bound. */
const bytesPerToken = z.union([
  posInt.max(MAX_KV_BYTES_PER_TOKEN, "must be from 1 to 2^24 (16 MiB)"),
  z.literal("auto"),
]);

/** A key AISimulate accepts that dynolab does not model: absent is fine, any value is refused, saying why. */
const unsupported = (why: string) =>
  z.custom<never>(() => false, { error: `not supported by dynolab: ${why}` }).optional();

const SyntheticSource = z.strictObject({
  type: z.literal("synthetic"),
  input_tokens: posInt.default(1024),
  output_tokens: posInt.default(128),
  images: unsupported("image inputs (the encoder pool)"),
});

const SessionSource = z.strictObject({
  type: z.literal("synthetic-session"),
  new_input_tokens_per_turn: posInt.default(1024),
  output_tokens_per_turn: posInt.default(128),
  session: z.strictObject({
    turns: z.number().int().min(2).default(4),
    shared_prefix_ratio: z.number().min(0).max(1).default(0),
    prefix_groups: z.number().int().nonnegative().default(0),
    inter_turn_delay_ms: nonNeg.default(0),
  }),
});

/** Trace formats `traffic.source.format` names (AISimulate's spelling). */
export const PREDICT_TRACE_FORMATS = [
  "mooncake",
  "mooncake-delta",
  "agentic_mooncake",
  "applied_compute_agentic",
  "dynamo",
  "weka",
] as const;

const TraceSource = z.strictObject({
  type: z.literal("trace"),
  paths: z.array(z.string().min(1)).min(1),
  format: z.enum(PREDICT_TRACE_FORMATS).default("mooncake"),
  block_size: posInt.optional(),
  nested_timestamp_basis: unsupported("the weka format"),
});

/**
 * A Poisson load's `rate`, as AISimulate's docs spell it, read as `requests_per_second` (its examples' key);
 * both given is an error.
 */
function poissonRate(load: unknown): unknown {
  if (typeof load !== "object" || load === null || !("rate" in load)) return load;
  const { rate, ...rest } = load as Record<string, unknown>;
  if ((rest as { type?: unknown }).type !== "poisson" || "requests_per_second" in rest) return load;
  return { ...rest, requests_per_second: rate };
}

const Load = z.preprocess(
  poissonRate,
  z.strictObject({
    type: z.enum(["concurrency", "poisson", "constant_rate", "trace_timestamps", "kv_capacity_fraction"])
      .default(
        "concurrency",
      ),
    concurrency: posInt.optional(),
    /** `kv_capacity_fraction` (recommend only): the in-flight requests' KV over the candidate's capacity. */
    fraction: nonNeg.optional(),
    requests_per_second: posNum.optional(),
    sessions_per_second: posNum.optional(),
    seed: z.number().int().nonnegative().optional(),
    speedup: posNum.optional(),
    agentic_lanes: unsupported("agentic lanes (the weka and agentic replays' lane model)"),
    agentic_snapshot: unsupported("agentic snapshots"),
    agentic_warmup: unsupported("agentic warm-up"),
    agentic_profile: unsupported("agentic profiles"),
  }),
);

const Stop = z.strictObject({
  requests: posInt.optional(),
  requests_per_load_unit: posNum.optional(),
  sessions: posInt.optional(),
  sessions_per_load_unit: posNum.optional(),
  max_virtual_time_seconds: posNum.optional(),
});

/** `traffic`: what arrives (`source`), when (`load`) and how much (`stop`). */
export const TrafficSchema = z.strictObject({
  source: z.discriminatedUnion("type", [SyntheticSource, SessionSource, TraceSource], {
    error: (issue) =>
      typeof issue.input !== "object" || issue.input === null
        ? 'expected a mapping {type: "synthetic" | "synthetic-session" | "trace", …}'
        : undefined,
  }),
  load: Load,
  stop: Stop.optional(),
});

const Parallelism = z.strictObject({
  replicas: posInt.default(1),
  tensor: posInt.default(1),
  pipeline: z.literal(1, { error: "not supported by dynolab: pipeline parallelism (only 1)" }).default(1),
  attention_data: posInt.default(1),
  moe_tensor: posInt.default(1),
  moe_expert: posInt.default(1),
});

const Scheduler = z.strictObject({
  max_batched_tokens: posInt.default(8192),
  /** Default 256, or 1 for a prefill worker. */
  max_sequences: posInt.optional(),
  prefill_schedule_interval: z.literal(1, { error: "not supported by dynolab: only 1 (every step)" })
    .optional(),
  /** SGLang only: decode batches after each prefill batch before the next (0: prefill first always). */
  prefill_decode_interval: z.number().int().nonnegative().optional(),
});

const KvCache = z.strictObject({
  /** Default: the backend's (vLLM 64, TRT-LLM 32, SGLang 1). */
  block_size: posInt.nullable().optional(),
  prefix_caching: z.boolean().default(true),
  bytes_per_token: bytesPerToken.default("auto"),
  capacity: z.strictObject({
    /** `memory_fraction`, as AISimulate's docs name it, is `default`. */
    type: z.enum(["default", "memory_fraction", "fixed"]).default("default"),
    /** `default` only; unset: the backend's default fraction. */
    memory_fraction: z.number().gt(0).max(1).optional(),
    /** `fixed` only, required there. */
    blocks: posInt.optional(),
    bytes: unsupported("a byte capacity (give blocks)"),
    cuda_graph_reserved_bytes: z.literal(0, { error: "not supported by dynolab: only 0" }).optional(),
  }).prefault({}),
  host_offload: z.strictObject({
    num_host_blocks: posInt,
    d2h_bandwidth_gbps: gbps.default(32),
    h2d_bandwidth_gbps: gbps.default(32),
  }).optional(),
  g3_offload: unsupported(
    "AISimulate's G3 model (its per-worker bandwidth caps and latency to first byte); the replay CLI's " +
      "num_g3_blocks gives the reference mocker's shared disk tier",
  ),
  state_cache: unsupported("state_cache (dynolab sizes a hybrid model's state from its config)"),
});

const Timing = z.strictObject({
  type: z.enum(["default", "fixed", "polynomial"]).default("default"),
  prefill_ms: timingMs.optional(),
  decode_ms: timingMs.optional(),
  forward_model: z.literal("op_level", { error: "not supported by dynolab: only op_level" }).optional(),
  fpm_parquet_path: unsupported("forward-pass-metric timing"),
});

/** One worker role (`engine.workers.aggregated`, `.prefill` or `.decode`). */
export const WorkerRoleSchema = z.strictObject({
  /** Prefill or decode workers only: their GPU, if not `engine.hardware`. */
  hardware: z.string().min(1).optional(),
  parallelism: Parallelism.prefault({}),
  scheduler: Scheduler.prefault({}),
  kv_cache: KvCache.prefault({}),
  timing: Timing.prefault({}),
  /** Up to the engine args' `startup_time` bound (about 11.6 days). */
  startup_seconds: z.number().refine((v) => v >= 0 && v <= MAX_STARTUP_S, {
    error: `must be from 0 to ${formatBound(MAX_STARTUP_S)} s`,
  }).default(0),
});
/** A worker role after defaults. */
export type WorkerRole = z.output<typeof WorkerRoleSchema>;

/** `engine`: the model, GPU, backend and worker roles. */
export const EngineSchema = z.strictObject({
  mode: z.enum(["aggregated", "disaggregated"], {
    error: 'expected "aggregated" or "disaggregated" (dynolab does not model afd)',
  }).default("aggregated"),
  model: z.string().min(1),
  hardware: z.string().min(1),
  backend: z.enum(["vllm", "sglang", "trtllm"]).default("vllm"),
  backend_version: z.string().nullable().default(null),
  context_length: z.union([posInt, z.literal("max")]).default("max"),
  speculation: unsupported("n-gram speculation (dynolab models MTP drafts: aic_nextn)"),
  workers: z.strictObject({
    aggregated: WorkerRoleSchema.optional(),
    prefill: WorkerRoleSchema.optional(),
    decode: WorkerRoleSchema.optional(),
    encoder: unsupported("the encoder pool"),
  }).prefault({}),
  kv_transfer: z.strictObject({
    bytes_per_token: bytesPerToken.default("auto"),
    /** Null: no transfer delay. */
    bandwidth_gb_per_second: gbps.nullable().default(null),
    timing_mode: z.enum(["full_prompt", "destination_missing"]).default("destination_missing"),
  }).nullable().optional(),
  afd: unsupported("attention-FFN disaggregation"),
});

/** `router` (the `dynamo` stack): round robin or the KV router and its knobs. */
export const RouterSchema = z.strictObject({
  policy: z.enum(["round_robin", "kv_router"]).default("round_robin"),
  prefill_load_model: z.strictObject({ type: z.enum(["none", "aic"]).default("none") }).prefault({}),
  overlap_score_credit: z.number().min(0).max(1).optional(),
  /** Within the router config's bounds. */
  prefill_load_scale: z.number().min(0, LOAD_SCALE_RANGE).max(MAX_LOAD_SCALE, LOAD_SCALE_RANGE).optional(),
  temperature: z.number().refine((t) => t === 0 || t >= MIN_TEMPERATURE, {
    error: `must be 0 (the cheapest worker) or at least ${formatBound(MIN_TEMPERATURE)} (a softmax draw)`,
  }).optional(),
});

/** `planner` (the `dynamo` stack): the SLA planner in the loop, AISimulate's names. */
export const PredictPlannerSchema = z.strictObject({
  policy: z.enum(["disabled", "enabled"]).default("disabled"),
  target: z.enum(["throughput", "latency", "sla", "load"]).default("throughput"),
  enable_throughput_scaling: z.boolean().default(true),
  enable_load_scaling: z.boolean().default(false),
  throughput_adjustment_interval_seconds: posNum.optional(),
  load_adjustment_interval_seconds: posNum.optional(),
  max_num_fpm_samples: posInt.optional(),
  fpm_sample_bucket_size: posInt.optional(),
  load_scaling_down_sensitivity: z.number().int().min(0).max(100).optional(),
  load_min_observations: posInt.optional(),
  load_predictor: z.enum(["constant", "arima", "prophet", "kalman"]).optional(),
  load_predictor_log1p: z.boolean().optional(),
  prophet_window_size: posInt.optional(),
  kalman_q_level: posNum.optional(),
  kalman_q_trend: posNum.optional(),
  kalman_r: posNum.optional(),
  kalman_min_points: posInt.optional(),
  max_throughput_scaling_replicas: posInt.optional(),
  max_num_gpus: posInt.default(8),
  min_workers: posInt.default(1),
  prefill_min_workers: posInt.nullable().optional(),
  decode_min_workers: posInt.nullable().optional(),
});

const ms = posNum.nullable().optional();

/** A section of `recommend`'s config, refused by `predict`. */
const recommendOnly = z.custom<never>(() => false, { error: "predict does not accept it (recommend does)" })
  .optional();

/** The whole config file. */
export const PredictConfigSchema = z.strictObject({
  /** Omitted: 100 synthetic requests of 1,024 input and 128 output tokens at concurrency 10. */
  traffic: TrafficSchema.optional(),
  engine: EngineSchema,
  router: RouterSchema.optional(),
  planner: PredictPlannerSchema.optional(),
  evaluation: z.strictObject({
    sla: z.strictObject({ ttft_ms: ms, itl_ms: ms, e2e_ms: ms }).prefault({}),
  }).prefault({}),
  /** The simulator's host budget: `recommend` runs at most `cpu_limit` candidates at once; no effect on results. */
  execution: z.strictObject({
    resources: z.strictObject({
      memory_limit_gib: z.union([posNum, z.literal("auto")]).optional(),
      cpu_limit: z.union([posInt, z.literal("auto")]).optional(),
      reserve_memory_gib: nonNeg.optional(),
      reserve_memory_fraction: z.number().min(0).max(1).optional(),
      available_memory_fraction: z.number().gt(0).max(1).optional(),
    }).optional(),
  }).optional(),
  optimization: recommendOnly,
  optimizer: recommendOnly,
});
/** A config after defaults. */
export type PredictConfig = z.output<typeof PredictConfigSchema>;
