/**
 * The planner config (`--planner-config`): the reference's `PlannerConfig` fields, aliases and defaults as a
 * strict zod schema, and {@link effectivePlanner}, which states what a config really does (the reference
 * silently turns throughput scaling off and load scaling on for every target but `sla`, its §9 item 9).
 *
 * @module
 */
import { z } from "zod";
import { parseConfig } from "../common/config.ts";

/** Older or alternative names the reference accepts, mapped to the canonical field. */
export const PLANNER_ALIASES: Readonly<Record<string, string>> = {
  ttft: "ttft_ms",
  itl: "itl_ms",
  throughput_adjustment_interval: "throughput_adjustment_interval_seconds",
  load_adjustment_interval: "load_adjustment_interval_seconds",
  decode_sacle_up_kv_rate: "decode_scale_up_kv_rate",
};

const positive = z.number().positive();
const positiveInt = z.number().int().positive();
const optionalCount = z.number().int().nonnegative().nullable().default(null);

/** The planner config schema: every reference field with its default, plus dynolab's documented extensions. */
export const PlannerConfigObject = z.strictObject({
  mode: z.enum(["agg", "disagg", "prefill", "decode"]).default("disagg"),
  optimization_target: z.enum(["throughput", "latency", "load", "sla"]).default("throughput"),
  ttft_ms: positive.default(500),
  itl_ms: positive.default(50),
  enable_throughput_scaling: z.boolean().default(true),
  enable_load_scaling: z.boolean().default(false),
  /**
   * Tick intervals: at least 0.1 s. A run may tick at most `MAX_PLANNER_TICKS` (10⁷) times, checked against
   * its workload's span when it starts (`tick_budget.ts`).
   */
  throughput_adjustment_interval_seconds: z.number().min(0.1).default(180),
  load_adjustment_interval_seconds: z.number().min(0.1).default(5),
  max_throughput_scaling_replicas: positiveInt.default(8),
  /** Total GPUs the planner may use; −1 disables the cap. */
  max_gpu_budget: z.number().int().min(-1).default(8),
  min_gpu_budget: z.number().int().min(-1).default(-1),
  min_endpoint: positiveInt.default(1),
  prefill_min_endpoint: positiveInt.nullable().default(null),
  decode_min_endpoint: positiveInt.nullable().default(null),
  /** GPUs per worker for the GPU-hours figures; unset: the engine's TP × DP (with a warning). */
  prefill_engine_num_gpu: positiveInt.nullable().default(null),
  decode_engine_num_gpu: positiveInt.nullable().default(null),
  pre_deployment_sweeping_mode: z.enum(["none", "rapid", "thorough"]).nullable().default("rapid"),
  load_predictor: z.enum(["constant", "arima", "kalman", "prophet"]).default("arima"),
  load_predictor_log1p: z.boolean().default(false),
  prophet_window_size: positiveInt.default(50),
  kalman_q_level: positive.default(1),
  kalman_q_trend: positive.default(0.1),
  kalman_r: positive.default(10),
  kalman_min_points: positiveInt.default(5),
  load_predictor_warmup_trace: z.string().nullable().default(null),
  max_num_fpm_samples: positiveInt.default(64),
  fpm_sample_bucket_size: positiveInt.default(16),
  load_scaling_down_sensitivity: z.number().min(0).max(100).default(80),
  load_metric_samples: positiveInt.default(10),
  load_min_observations: positiveInt.default(5),
  prefill_scale_up_queue_tokens: optionalCount,
  prefill_scale_down_queue_tokens: optionalCount,
  decode_scale_up_kv_rate: z.number().min(0).max(100).nullable().default(null),
  decode_scale_down_kv_rate: z.number().min(0).max(100).nullable().default(null),
  speculative_nextn: z.number().int().nonnegative().default(0),
  throughput_metrics_source: z.enum(["frontend", "router"]).default("frontend"),
  /** Replay forces advisory mode in the reference; accepted for compatibility. */
  advisory: z.boolean().default(false),
  /** One more HTML report per this many simulated hours; at least 0.01 (36 s). */
  report_interval_hours: z.number().min(0.01).nullable().default(24),
  report_output_dir: z.string().min(1).default("./planner_reports"),
  report_filename: z.string().min(1).nullable().default(null),
  report_write_gzip_log: z.boolean().default(true),
  live_dashboard_port: z.number().int().nonnegative().default(8080),
  /** Live-deployment settings with no effect in simulation (accepted for compatibility). */
  backend: z.enum(["vllm", "sglang", "trtllm", "mocker"]).default("vllm"),
  environment: z.enum(["kubernetes", "virtual", "global-planner"]).default("kubernetes"),
  log_dir: z.string().nullable().default(null),
  model_name: z.string().nullable().default(null),
  namespace: z.string().nullable().default(null),
  global_planner_namespace: z.string().nullable().default(null),
  no_operation: z.boolean().default(false),
  control_api_port: z.number().int().min(0).max(65535).nullable().default(null),
  metric_pulling_prometheus_endpoint: z.string().nullable().default(null),
  metric_pulling_prometheus_token: z.string().nullable().default(null),
  metric_pulling_prometheus_token_file: z.string().nullable().default(null),
  metric_pulling_prometheus_ssl_verify: z.boolean().nullable().default(null),
  metric_pulling_prometheus_extra_query_params: z.record(z.string(), z.string()).nullable().default(null),
  metric_pulling_prometheus_ca_bundle: z.string().nullable().default(null),
  metric_pulling_prometheus_request_timeout_seconds: positive.nullable().default(null),
  metric_reporting_prometheus_port: z.number().int().nonnegative().nullable().default(null),
  enable_power_awareness: z.boolean().default(false),
  total_gpu_power_limit: positiveInt.nullable().default(null),
  /** Where a live planner loads profiler results; dynolab bootstraps from the engines' perf model instead. */
  profile_results_dir: z.string().nullable().default(null),
  /** The profiler's AIC sweep spec and the native AIC model identity: the bootstrap uses the perf model. */
  aic_interpolation: z.record(z.string(), z.unknown()).nullable().default(null),
  aic_perf_model: z.record(z.string(), z.unknown()).nullable().default(null),
  plugin_registration: z.record(z.string(), z.unknown()).nullable().default(null),
  /**
   * The plugin pipeline's cadence: `scale_interval_seconds` must divide the load interval (and the
   * throughput interval when throughput scaling runs), as the reference checks; dynolab's ticks at those
   * intervals are the same. External plugins and the gateway have no effect offline.
   */
  scheduling: z.strictObject({
    scale_interval_seconds: positive.nullable().default(null),
    tick_max_duration_seconds: positive.default(30),
    external_plugins: z.array(z.record(z.string(), z.unknown())).default([]),
    gateway: z.record(z.string(), z.unknown()).nullable().default(null),
  }).prefault({}),
  /**
   * dynolab extension (§9 item 6): count the demand the throughput planner sees at request **arrival**
   * (`arrival`) instead of at completion (`completion`, the reference), which lags arrivals under backlog.
   */
  demand_counting: z.enum(["completion", "arrival"]).default("completion"),
}).superRefine((c, ctx) => {
  const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
  const root = Math.round(Math.sqrt(c.fpm_sample_bucket_size));
  if (root * root !== c.fpm_sample_bucket_size) {
    issue("fpm_sample_bucket_size", `must be a perfect square, got ${c.fpm_sample_bucket_size}`);
  }
  if (c.optimization_target === "load") {
    if (c.mode !== "agg" && c.mode !== "decode") {
      if (c.prefill_scale_up_queue_tokens === null || c.prefill_scale_down_queue_tokens === null) {
        issue(
          "prefill_scale_up_queue_tokens",
          "optimization_target 'load' needs both prefill queue thresholds",
        );
      } else if (c.prefill_scale_up_queue_tokens <= c.prefill_scale_down_queue_tokens) {
        issue("prefill_scale_up_queue_tokens", "must be greater than prefill_scale_down_queue_tokens");
      }
    }
    if (c.mode !== "prefill") {
      if (c.decode_scale_up_kv_rate === null || c.decode_scale_down_kv_rate === null) {
        issue("decode_scale_up_kv_rate", "optimization_target 'load' needs both decode KV-rate thresholds");
      } else if (c.decode_scale_up_kv_rate <= c.decode_scale_down_kv_rate) {
        issue("decode_scale_up_kv_rate", "must be greater than decode_scale_down_kv_rate");
      }
    }
  }
  const scale = c.scheduling.scale_interval_seconds;
  if (scale !== null) {
    const throughput = c.optimization_target === "sla" && c.enable_throughput_scaling;
    const intervals = [
      c.load_adjustment_interval_seconds,
      ...(throughput ? [c.throughput_adjustment_interval_seconds] : []),
    ];
    if (intervals.some((i) => Math.abs(i / scale - Math.round(i / scale)) > 1e-9 * Math.max(1, i / scale))) {
      ctx.addIssue({
        code: "custom",
        path: ["scheduling", "scale_interval_seconds"],
        message: `(${scale} s) must evenly divide load_adjustment_interval_seconds` +
          (throughput ? " and throughput_adjustment_interval_seconds" : "") + ` (${intervals.join(", ")} s)`,
      });
    }
  }
  if (c.optimization_target === "sla") {
    if (!c.enable_throughput_scaling && !c.enable_load_scaling) {
      issue(
        "enable_load_scaling",
        "at least one of enable_throughput_scaling, enable_load_scaling must be true",
      );
    }
    if (c.enable_throughput_scaling && (c.pre_deployment_sweeping_mode ?? "none") === "none") {
      issue(
        "pre_deployment_sweeping_mode",
        "cannot be 'none' with enable_throughput_scaling: throughput scaling needs the perf bootstrap",
      );
    }
    if (
      c.enable_throughput_scaling && c.enable_load_scaling &&
      c.load_adjustment_interval_seconds >= c.throughput_adjustment_interval_seconds
    ) {
      issue(
        "load_adjustment_interval_seconds",
        `(${c.load_adjustment_interval_seconds} s) must be shorter than throughput_adjustment_interval_seconds ` +
          `(${c.throughput_adjustment_interval_seconds} s)`,
      );
    }
  }
});

/** Rename alias keys to their canonical names; a key given under both names is an error. */
function renameAliases(value: unknown, ctx: z.core.$RefinementCtx): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...value as Record<string, unknown> };
  for (const [alias, name] of Object.entries(PLANNER_ALIASES)) {
    if (!(alias in out)) continue;
    if (name in out) {
      ctx.addIssue({ code: "custom", path: [alias], message: `give either ${alias} or ${name}, not both` });
      continue;
    }
    out[name] = out[alias];
    delete out[alias];
  }
  return out;
}

/** The planner config as accepted in a spec: aliases first, then the strict schema. */
export const PlannerConfigSchema = z.preprocess(renameAliases, PlannerConfigObject);

/** A planner config as written (aliases and defaults optional). */
export type PlannerConfigInput = z.input<typeof PlannerConfigObject>;
/** A validated planner config with defaults applied. */
export type PlannerConfig = z.output<typeof PlannerConfigObject>;

/**
 * Validate a planner config (aliases allowed); errors name the field and list the valid keys.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePlannerConfig } from "./config.ts";
 * const c = parsePlannerConfig({ mode: "agg", ttft: 1500, load_adjustment_interval: 10 });
 * assert(c.ttft_ms === 1500 && c.load_adjustment_interval_seconds === 10 && c.itl_ms === 50);
 * ```
 */
export function parsePlannerConfig(value: unknown, what = "--planner-config"): PlannerConfig {
  return parseConfig(PlannerConfigSchema, value, what);
}

/** Settings of a live planner that mean nothing offline, with their defaults (a change is worth a note). */
const LIVE_SETTINGS = [
  ["live_dashboard_port", 8080],
  ["throughput_metrics_source", "frontend"],
  ["advisory", false],
  ["backend", "vllm"],
  ["environment", "kubernetes"],
  ["log_dir", null],
  ["model_name", null],
  ["namespace", null],
  ["global_planner_namespace", null],
  ["no_operation", false],
  ["control_api_port", null],
  ["metric_pulling_prometheus_endpoint", null],
  ["metric_pulling_prometheus_token", null],
  ["metric_pulling_prometheus_token_file", null],
  ["metric_pulling_prometheus_ssl_verify", null],
  ["metric_pulling_prometheus_extra_query_params", null],
  ["metric_pulling_prometheus_ca_bundle", null],
  ["metric_pulling_prometheus_request_timeout_seconds", null],
  ["metric_reporting_prometheus_port", null],
  ["enable_power_awareness", false],
  ["total_gpu_power_limit", null],
  ["profile_results_dir", null],
  ["aic_interpolation", null],
  ["aic_perf_model", null],
  ["plugin_registration", null],
] as const satisfies readonly (readonly [keyof PlannerConfig, unknown])[];

/** What a config really does once the reference's implicit rules are applied. */
export interface EffectivePlanner {
  readonly config: PlannerConfig;
  /** Whether throughput (predictive) and load (reactive) scaling run. */
  readonly throughputScaling: boolean;
  readonly loadScaling: boolean;
  /** Static-threshold load scaling (every target but `sla`). */
  readonly easyMode: boolean;
  /** One line for the output, e.g. `mode agg, target sla: throughput scaling on, load scaling on`. */
  readonly summary: string;
  /** Notes on settings the target overrides, to show once. */
  readonly notes: readonly string[];
}

/**
 * Apply the reference's rules: every target but `sla` forces load scaling on and throughput scaling off, and
 * ignores the SLA targets. The result says so explicitly (the reference does it silently, its §9 item 9).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { effectivePlanner, parsePlannerConfig } from "./config.ts";
 * const e = effectivePlanner(parsePlannerConfig({ mode: "agg" }));
 * assert(e.easyMode && e.loadScaling && !e.throughputScaling);
 * assert(e.notes[0].includes("optimization_target"));
 * ```
 */
export function effectivePlanner(config: PlannerConfig): EffectivePlanner {
  const easyMode = config.optimization_target !== "sla";
  const notes: string[] = [];
  let throughputScaling = config.enable_throughput_scaling, loadScaling = config.enable_load_scaling;
  if (easyMode) {
    if (throughputScaling || !loadScaling) {
      notes.push(
        `optimization_target "${config.optimization_target}" uses static load thresholds: throughput scaling ` +
          `is off and load scaling is on whatever enable_throughput_scaling/enable_load_scaling say ` +
          `(set optimization_target "sla" for SLA-driven scaling)`,
      );
    }
    const targets = (["ttft_ms", "itl_ms"] as const).filter((k) =>
      config[k] !== PlannerConfigObject.shape[k].parse(undefined)
    );
    if (targets.length) {
      notes.push(
        `${
          targets.join(", ")
        } ignored: optimization_target "${config.optimization_target}" scales on static ` +
          `load thresholds, not SLA targets (set optimization_target "sla")`,
      );
    }
    throughputScaling = false;
    loadScaling = true;
  }
  if (config.pre_deployment_sweeping_mode === "thorough") {
    notes.push(
      'pre_deployment_sweeping_mode "thorough" runs as "rapid": the bootstrap samples the perf model',
    );
  }
  if (config.min_gpu_budget !== -1) notes.push("min_gpu_budget is not enforced by dynolab; it has no effect");
  if (!easyMode && config.load_min_observations > config.max_num_fpm_samples) {
    notes.push(
      `load_min_observations ${config.load_min_observations} exceeds max_num_fpm_samples ` +
        `${config.max_num_fpm_samples}: the regressions keep only max_num_fpm_samples samples, so they never ` +
        `fit (throughput scaling reports model_not_ready, load scaling insufficient_data)`,
    );
  }
  if (easyMode && config.load_predictor !== "arima") {
    notes.push(
      `load_predictor "${config.load_predictor}" has no effect: optimization_target ` +
        `"${config.optimization_target}" does not predict the load (set optimization_target "sla")`,
    );
  }
  const sched = config.scheduling;
  const live = [
    ...LIVE_SETTINGS.filter(([key, fallback]) => config[key] !== fallback).map(([key]) => key),
    ...(sched.external_plugins.length > 0 ? ["scheduling.external_plugins"] : []),
    ...(sched.gateway !== null ? ["scheduling.gateway"] : []),
    ...(sched.tick_max_duration_seconds !== 30 ? ["scheduling.tick_max_duration_seconds"] : []),
  ];
  if (live.length) notes.push(`${live.join(", ")}: live-deployment settings, no effect in simulation`);
  const onOff = (b: boolean) => (b ? "on" : "off");
  const summary = `mode ${config.mode}, target ${config.optimization_target}` +
    `${easyMode ? " (static thresholds)" : ` (TTFT ${config.ttft_ms} ms, ITL ${config.itl_ms} ms)`}: ` +
    `throughput scaling ${onOff(throughputScaling)}, load scaling ${onOff(loadScaling)}`;
  return { config, throughputScaling, loadScaling, easyMode, summary, notes };
}

/** The minimum worker count of a component (`prefill_min_endpoint`/`decode_min_endpoint` over `min_endpoint`). */
export function minEndpoint(config: PlannerConfig, component: "prefill" | "decode"): number {
  const specific = component === "prefill" ? config.prefill_min_endpoint : config.decode_min_endpoint;
  return specific ?? config.min_endpoint;
}
