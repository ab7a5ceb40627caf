/**
 * Compile an `aisimulate predict` config ({@link PredictConfig}) into a dynolab simulation spec: traffic into
 * the workload and its arrivals, worker roles into engine args, router and planner into theirs. A combination
 * AISimulate refuses is refused here too, by field.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import type { SimSpecInput } from "../spec.ts";
import type { PredictConfig, WorkerRole } from "./predict_config.ts";

/** The stacks `--stack` names: `engine` (no router or planner section) and `dynamo`. */
export const STACKS = ["engine", "dynamo"] as const;
/** A stack name. */
export type Stack = typeof STACKS[number];

/** AISimulate's traffic when the config has none. */
export const DEFAULT_TRAFFIC: NonNullable<PredictConfig["traffic"]> = {
  source: { type: "synthetic", input_tokens: 1024, output_tokens: 128 },
  load: { type: "concurrency", concurrency: 10 },
  stop: { requests: 100 },
};

/** Refuse the value of `field`. */
function fail(field: string, message: string): never {
  throw new InputError(message, { field });
}

/**
 * The simulation spec of `config` run on `stack`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PredictConfigSchema } from "./predict_config.ts";
 * import { predictSpec } from "./predict_spec.ts";
 * const config = PredictConfigSchema.parse({
 *   traffic: {
 *     source: { type: "synthetic", input_tokens: 1000, output_tokens: 100 },
 *     load: { type: "poisson", requests_per_second: 4 },
 *     stop: { requests: 50 },
 *   },
 *   engine: {
 *     model: "Qwen/Qwen3-32B", hardware: "h200_sxm",
 *     workers: { aggregated: { parallelism: { replicas: 2, tensor: 2 } } },
 *   },
 * });
 * const spec = predictSpec(config, "engine");
 * assert.deepEqual(spec.topology, {
 *   mode: "agg", num_workers: 2,
 *   engine: {
 *     aic_backend: "vllm", aic_system: "h200_sxm", aic_model_path: "Qwen/Qwen3-32B", aic_tp_size: 2,
 *     max_num_batched_tokens: 8192, max_num_seqs: 256, block_size: 64, enable_prefix_caching: true,
 *     startup_time: 0,
 *   },
 * });
 * assert.equal((spec.workload as { request_rate: number }).request_rate, 4);
 * ```
 */
export function predictSpec(config: PredictConfig, stack: Stack): SimSpecInput {
  if (stack === "engine") {
    for (const section of ["router", "planner"] as const) {
      if (config[section] !== undefined) {
        fail(
          section,
          "a router or planner section needs --stack dynamo (the engine stack replays engines alone)",
        );
      }
    }
  }
  const sla = config.evaluation.sla;
  if (sla.e2e_ms != null && (sla.ttft_ms != null || sla.itl_ms != null)) {
    fail("evaluation.sla.e2e_ms", "give either e2e_ms or ttft_ms and itl_ms, not both");
  }
  const arrivals = traffic(config.traffic ?? DEFAULT_TRAFFIC);
  const r = roles(config);
  const spec: SimSpecInput = {
    ...arrivals,
    topology: topology(config, r),
    router: router(config, r.aggregated ?? r.prefill),
    sla: { ttft_ms: sla.ttft_ms ?? null, itl_ms: sla.itl_ms ?? null, e2e_ms: sla.e2e_ms ?? null },
  };
  const planner = plannerConfig(config, r);
  if (planner) spec.planner = planner;
  return spec;
}

/** The keys each `traffic.load.type` takes. */
const LOAD_KEYS: Readonly<Record<string, readonly string[]>> = {
  concurrency: ["concurrency"],
  poisson: ["requests_per_second", "sessions_per_second", "seed"],
  constant_rate: ["requests_per_second", "sessions_per_second"],
  trace_timestamps: ["speedup"],
  kv_capacity_fraction: ["fraction"],
};

/** Refuse a `traffic.load` key its type does not take (`recommend` checks a KV-fraction load with it too). */
export function checkLoadKeys(load: NonNullable<PredictConfig["traffic"]>["load"]): void {
  for (
    const key of [
      "concurrency",
      "requests_per_second",
      "sessions_per_second",
      "seed",
      "speedup",
      "fraction",
    ] as const
  ) {
    if (load[key] !== undefined && !LOAD_KEYS[load.type].includes(key)) {
      fail(`traffic.load.${key}`, `traffic.load.type '${load.type}' does not accept it`);
    }
  }
}

/** The workload, its arrival mode and the stop rule. */
function traffic(
  { source, load, stop = {} }: NonNullable<PredictConfig["traffic"]>,
): Pick<SimSpecInput, "workload" | "replay_concurrency" | "arrival_speedup_ratio" | "max_sim_time_seconds"> {
  checkLoadKeys(load);
  if (load.type === "kv_capacity_fraction") {
    fail(
      "traffic.load.type",
      "kv_capacity_fraction is for recommend, which turns it into each candidate's concurrency; give " +
        "concurrency, poisson, constant_rate or trace_timestamps",
    );
  }
  if (source.type === "trace") {
    if (load.type !== "trace_timestamps" && load.type !== "concurrency") {
      fail("traffic.load.type", `a trace takes trace_timestamps or concurrency, not ${load.type}`);
    }
    for (const key of ["requests", "requests_per_load_unit", "sessions", "sessions_per_load_unit"] as const) {
      if (stop[key] !== undefined) {
        fail(`traffic.stop.${key}`, "a trace runs to its end or to max_virtual_time_seconds");
      }
    }
    if (source.format === "weka") fail("traffic.source.format", "not supported by dynolab: the weka format");
    if (source.paths.length > 1 && source.format !== "dynamo") {
      fail(
        "traffic.source.paths",
        `exactly one path for the ${source.format} format (several: dynamo shards)`,
      );
    }
    const format = source.format === "mooncake-delta" ? "mooncake_delta" : source.format;
    if (format === "agentic_mooncake" && load.type !== "trace_timestamps") {
      fail("traffic.load.type", "an agentic_mooncake trace takes trace_timestamps");
    }
    if (format === "applied_compute_agentic" && load.type !== "concurrency") {
      fail("traffic.load.type", "an applied_compute_agentic trace takes concurrency");
    }
    return {
      workload: {
        source: "trace",
        path: format === "dynamo" ? source.paths : source.paths[0],
        format,
        ...(source.block_size === undefined ? {} : { trace_block_size: source.block_size }),
      },
      ...(load.type === "concurrency"
        ? { replay_concurrency: load.concurrency ?? 10 }
        : { arrival_speedup_ratio: load.speedup ?? 1 }),
      ...(stop.max_virtual_time_seconds === undefined
        ? {}
        : { max_sim_time_seconds: stop.max_virtual_time_seconds }),
    };
  }
  if (load.type === "trace_timestamps") fail("traffic.load.type", "trace_timestamps needs a trace source");
  const sessions = source.type === "synthetic-session";
  const [rateKey, wrongRate] = sessions
    ? ["sessions_per_second", "requests_per_second"] as const
    : ["requests_per_second", "sessions_per_second"] as const;
  if (load[wrongRate] !== undefined) {
    fail(`traffic.load.${wrongRate}`, `the rate unit of a ${source.type} source is ${rateKey}`);
  }
  const rate = load[rateKey];
  if (load.type !== "concurrency" && rate === undefined) {
    fail(`traffic.load.${rateKey}`, `required by ${load.type}`);
  }
  const unit = load.type === "concurrency" ? load.concurrency ?? 10 : rate!;
  const [countKey, perUnitKey, wrongCount, wrongPerUnit] = sessions
    ? ["sessions", "sessions_per_load_unit", "requests", "requests_per_load_unit"] as const
    : ["requests", "requests_per_load_unit", "sessions", "sessions_per_load_unit"] as const;
  for (const key of [wrongCount, wrongPerUnit]) {
    if (stop[key] !== undefined) fail(`traffic.stop.${key}`, `a ${source.type} source stops by ${countKey}`);
  }
  const seconds = stop.max_virtual_time_seconds;
  const byTime = stop[countKey] === undefined && stop[perUnitKey] === undefined && seconds !== undefined;
  if (byTime && load.type === "concurrency") {
    fail(
      "traffic.stop",
      `a concurrency load needs ${countKey} or ${perUnitKey}: a time alone does not size it`,
    );
  }
  if (!byTime && (stop[countKey] === undefined) === (stop[perUnitKey] === undefined)) {
    fail(
      "traffic.stop",
      `give exactly one of ${countKey} and ${perUnitKey} (or, at a rate, max_virtual_time_seconds)`,
    );
  }
  // Stopped by time alone: enough arrivals to outlast it (Poisson's count plus six deviations); the run is cut
  // there, and those left unsent are not in any statistic.
  const expected = byTime ? rate! * seconds : 0;
  const count = byTime
    ? Math.ceil(expected + 6 * Math.sqrt(expected) + 10)
    : stop[countKey] ?? Math.max(1, Math.round(stop[perUnitKey]! * unit));
  const lengths = source.type === "synthetic"
    ? { input_tokens: source.input_tokens, output_tokens: source.output_tokens }
    : {
      input_tokens: source.new_input_tokens_per_turn,
      output_tokens: source.output_tokens_per_turn,
      turns_per_session: source.session.turns,
      inter_turn_delay_ms: source.session.inter_turn_delay_ms,
      shared_prefix_ratio: source.session.shared_prefix_ratio,
      num_prefix_groups: source.session.prefix_groups,
    };
  if (sessions && source.session.shared_prefix_ratio > 0 && source.session.prefix_groups === 0) {
    fail("traffic.source.session.prefix_groups", "must be above 0 when shared_prefix_ratio is");
  }
  const arrivals = load.type === "concurrency"
    ? {}
    : load.type === "poisson"
    ? { request_rate: rate, arrival_seed: load.seed ?? 42 }
    : { arrival_interval_ms: 1000 / rate! };
  return {
    workload: { source: "synthetic", ...lengths, request_count: count, ...arrivals },
    ...(load.type === "concurrency" ? { replay_concurrency: unit } : {}),
    ...(stop.max_virtual_time_seconds === undefined
      ? {}
      : { max_sim_time_seconds: stop.max_virtual_time_seconds }),
  };
}

/** The worker roles a mode runs, by name: `aggregated`, or `prefill` and `decode`. */
type Roles = Readonly<Record<string, WorkerRole>>;

/** The worker roles the mode needs, checked. */
function roles(config: PredictConfig): Roles {
  const w = config.engine.workers;
  const want = config.engine.mode === "aggregated" ? ["aggregated"] : ["prefill", "decode"];
  for (const role of ["aggregated", "prefill", "decode"] as const) {
    if (want.includes(role) && w[role] === undefined) {
      fail(`engine.workers.${role}`, `required in ${config.engine.mode} mode`);
    }
    if (!want.includes(role) && w[role] !== undefined) {
      fail(`engine.workers.${role}`, `not used in ${config.engine.mode} mode`);
    }
  }
  if (config.engine.mode === "aggregated") {
    if (w.aggregated!.hardware !== undefined) {
      fail("engine.workers.aggregated.hardware", "only prefill and decode workers take their own hardware");
    }
    if (config.engine.kv_transfer != null) fail("engine.kv_transfer", "only applies in disaggregated mode");
    return { aggregated: w.aggregated! };
  }
  return { prefill: w.prefill!, decode: w.decode! };
}

/** The engine args of one worker role. */
function engineArgs(config: PredictConfig, name: string, role: WorkerRole): Record<string, unknown> {
  const { engine } = config;
  const at = (field: string) => `engine.workers.${name}.${field}`;
  const p = role.parallelism, kv = role.kv_cache, cap = kv.capacity, t = role.timing;
  const blockSize = kv.block_size ?? { vllm: 64, trtllm: 32, sglang: 1 }[engine.backend];
  // SGLang's prefill ranks chunk prompts at chunked_prefill_size, its name for the pass's token budget; its
  // decode ranks plan as vLLM's.
  const sglang = engine.backend === "sglang" && name !== "decode";
  const budget = role.scheduler.max_batched_tokens, interval = role.scheduler.prefill_decode_interval;
  if (interval !== undefined && !sglang) {
    fail(
      at("scheduler.prefill_decode_interval"),
      "applies to aggregated and prefill workers of the sglang backend",
    );
  }
  if (sglang && budget % blockSize !== 0) {
    fail(at("scheduler.max_batched_tokens"), `${budget} is not a multiple of the block size ${blockSize}`);
  }
  if (engine.mode === "disaggregated" && engine.backend === "trtllm") {
    fail(
      "engine.backend",
      "trtllm runs in aggregated mode only (as the reference's replay); use vllm or sglang",
    );
  }
  if (engine.mode === "disaggregated" && p.attention_data > 1) {
    fail(
      at("parallelism.attention_data"),
      "must be 1 for disaggregated workers (as AISimulate's dynamo stack)",
    );
  }
  if (cap.type === "fixed" && cap.blocks === undefined) {
    fail(at("kv_cache.capacity.blocks"), "required by type fixed");
  }
  if (cap.type === "fixed" && cap.memory_fraction !== undefined) {
    fail(at("kv_cache.capacity.memory_fraction"), "only applies to type default");
  }
  if (cap.type !== "fixed" && cap.blocks !== undefined) {
    fail(at("kv_cache.capacity.blocks"), "only applies to type fixed");
  }
  if ((t.type === "fixed") !== (t.prefill_ms !== undefined && t.decode_ms !== undefined)) {
    const missing = t.prefill_ms === undefined ? "prefill_ms" : "decode_ms";
    fail(
      at(`timing.${t.type === "fixed" ? missing : "type"}`),
      "prefill_ms and decode_ms go with type fixed, and only there",
    );
  }
  const args: Record<string, unknown> = {
    ...(engine.backend === "vllm" ? {} : { engine_type: engine.backend }),
    aic_backend: engine.backend,
    aic_system: role.hardware ?? engine.hardware,
    aic_model_path: engine.model,
    ...(engine.backend_version === null ? {} : { aic_backend_version: engine.backend_version }),
    ...(p.tensor > 1 ? { aic_tp_size: p.tensor } : {}),
    ...(p.attention_data > 1 ? { aic_attention_dp_size: p.attention_data } : {}),
    ...(p.moe_tensor > 1 ? { aic_moe_tp_size: p.moe_tensor } : {}),
    ...(p.moe_expert > 1 ? { aic_moe_ep_size: p.moe_expert } : {}),
    ...(sglang
      ? { sglang: { chunked_prefill_size: budget, prefill_decode_interval: interval } }
      : { max_num_batched_tokens: budget }),
    max_num_seqs: role.scheduler.max_sequences ?? (name === "prefill" ? 1 : 256),
    block_size: blockSize,
    enable_prefix_caching: kv.prefix_caching,
    ...(kv.bytes_per_token === "auto" ? {} : { kv_bytes_per_token: kv.bytes_per_token }),
    ...(cap.type === "fixed" ? { num_gpu_blocks: cap.blocks } : {}),
    ...(cap.memory_fraction === undefined ? {} : {
      [
        { vllm: "gpu_memory_utilization", trtllm: "free_gpu_memory_fraction", sglang: "mem_fraction_static" }[
          engine.backend
        ]
      ]: cap.memory_fraction,
    }),
    ...(kv.host_offload === undefined ? {} : {
      num_g2_blocks: kv.host_offload.num_host_blocks,
      bandwidth_g1_to_g2_gbps: kv.host_offload.d2h_bandwidth_gbps,
      bandwidth_g2_to_g1_gbps: kv.host_offload.h2d_bandwidth_gbps,
    }),
    ...(t.type === "fixed"
      ? { timing_model: { type: "fixed", prefill_ms: t.prefill_ms, decode_ms: t.decode_ms } }
      : {}),
    ...(t.type === "polynomial" ? { timing_model: "polynomial" } : {}),
    startup_time: role.startup_seconds,
    ...(engine.context_length === "max" ? {} : { max_model_len: engine.context_length }),
  };
  const transfer = engine.kv_transfer;
  if (engine.mode === "disaggregated" && transfer) {
    if (transfer.bytes_per_token !== "auto") args.kv_bytes_per_token = transfer.bytes_per_token;
    if (transfer.bandwidth_gb_per_second !== null) {
      args.kv_transfer_bandwidth = transfer.bandwidth_gb_per_second;
    }
    args.kv_transfer_timing_mode = transfer.timing_mode;
  }
  return args;
}

/** The agg or disagg topology. */
function topology(config: PredictConfig, r: Roles): SimSpecInput["topology"] {
  if (r.aggregated) {
    return {
      mode: "agg",
      num_workers: r.aggregated.parallelism.replicas,
      engine: engineArgs(config, "aggregated", r.aggregated),
    };
  }
  return {
    mode: "disagg",
    num_prefill_workers: r.prefill.parallelism.replicas,
    num_decode_workers: r.decode.parallelism.replicas,
    prefill_engine: engineArgs(config, "prefill", r.prefill),
    decode_engine: engineArgs(config, "decode", r.decode),
  };
}

/** The router: its mode, knobs and, for the `aic` prefill-load model, the perf model of the `first` role. */
function router(config: PredictConfig, first: WorkerRole): SimSpecInput["router"] {
  const r = config.router;
  if (!r) return { mode: "round_robin" };
  if (r.policy === "round_robin") {
    const knobs = {
      overlap_score_credit: r.overlap_score_credit,
      prefill_load_scale: r.prefill_load_scale,
      temperature: r.temperature,
    };
    for (const [key, value] of Object.entries(knobs)) {
      if (value !== undefined) fail(`router.${key}`, "only applies with policy kv_router");
    }
    if (r.prefill_load_model.type === "aic") {
      fail("router.prefill_load_model.type", "'aic' is incompatible with router.policy='round_robin'");
    }
    return { mode: "round_robin" };
  }
  const aic = r.prefill_load_model.type === "aic";
  return {
    mode: "kv_router",
    config: {
      ...(r.overlap_score_credit === undefined ? {} : { overlap_score_credit: r.overlap_score_credit }),
      ...(r.prefill_load_scale === undefined ? {} : { prefill_load_scale: r.prefill_load_scale }),
      ...(r.temperature === undefined ? {} : { router_temperature: r.temperature }),
      ...(aic ? { router_prefill_load_model: "aic" } : {}),
    },
    ...(aic
      ? {
        aic: {
          aic_backend: config.engine.backend,
          aic_system: first.hardware ?? config.engine.hardware,
          aic_model_path: config.engine.model,
          ...(first.parallelism.tensor > 1 ? { aic_tp_size: first.parallelism.tensor } : {}),
        },
      }
      : {}),
  };
}

/** The planner config, or undefined when there is no planner section or its policy is `disabled`. */
function plannerConfig(config: PredictConfig, r: Roles): SimSpecInput["planner"] {
  const p = config.planner;
  if (!p || p.policy === "disabled") return undefined;
  // Any target but sla is the planner's easy mode, load scaling on static thresholds whatever the switches say
  // (the planner notes it, as the reference's does); the switches act with target sla only.
  const sla = config.evaluation.sla;
  if (p.target === "sla" && !p.enable_throughput_scaling && !p.enable_load_scaling) {
    fail("planner.enable_throughput_scaling", "an enabled planner needs throughput or load scaling on");
  }
  if (p.target === "sla" && p.enable_throughput_scaling && (sla.ttft_ms == null || sla.itl_ms == null)) {
    fail(
      "planner.enable_throughput_scaling",
      "throughput scaling needs evaluation.sla.ttft_ms and itl_ms (or turn it off and scale by load)",
    );
  }
  const format = config.traffic?.source.type === "trace" ? config.traffic.source.format : undefined;
  if (format === "mooncake-delta" || format === "agentic_mooncake") {
    fail("planner.policy", `a ${format} trace replays without the planner (policy: disabled)`);
  }
  const gpus = (role: WorkerRole) => role.parallelism.tensor * role.parallelism.attention_data;
  const {
    policy: _policy,
    target,
    max_num_gpus,
    min_workers,
    prefill_min_workers,
    decode_min_workers,
    ...same
  } = p;
  return {
    ...Object.fromEntries(Object.entries(same).filter(([, v]) => v !== undefined)),
    mode: r.aggregated ? "agg" : "disagg",
    // The planner's target "load" scales by thresholds AISimulate's YAML does not carry: its load scaling is
    // the planner's easy mode, which any target but "sla" selects.
    optimization_target: target === "load" ? "throughput" : target,
    ...(sla.ttft_ms == null ? {} : { ttft_ms: sla.ttft_ms }),
    ...(sla.itl_ms == null ? {} : { itl_ms: sla.itl_ms }),
    max_gpu_budget: max_num_gpus,
    min_endpoint: min_workers,
    ...(prefill_min_workers == null ? {} : { prefill_min_endpoint: prefill_min_workers }),
    ...(decode_min_workers == null ? {} : { decode_min_endpoint: decode_min_workers }),
    prefill_engine_num_gpu: gpus(r.prefill ?? r.aggregated),
    decode_engine_num_gpu: gpus(r.decode ?? r.aggregated),
  };
}
