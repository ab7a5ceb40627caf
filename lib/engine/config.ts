/**
 * Engine config: the resolution of validated engine args (`args.ts`) into the {@link EngineConfig} one engine
 * runs with, with the cross-field checks, the perf setup, the derived KV capacity and the front end; the offload
 * tiers' part is in `tier_config.ts`, the SGLang scheduler's in `sglang_config.ts`.
 *
 * @module
 */
import { InputError, type InputLocation } from "../common/errors.ts";
import {
  deriveKvCapacity,
  FRONTEND_LATENCY,
  type FrontendLatency,
  hybridBlockSize,
  kvBytesPerToken,
  type KvCapacity,
  linearStateBytesPerSeqPerGpu,
  NO_FRONTEND_LATENCY,
  type PerfInputs,
  type PerfSetup,
  resolvePerfSetup,
  slidingKvBytesPerTokenPerGpu,
  speculativeConfig,
  stateBlocksPerSeq,
  windowBlocks,
} from "../perf/mod.ts";
import { type EngineArgs, parseEngineArgs } from "./args.ts";
import type { HostTierConfig } from "./host_tier.ts";
import type { LowerTiersConfig } from "./lower_tiers.ts";
import type { SglangSchedule } from "./sglang.ts";
import { sglangSchedule } from "./sglang_config.ts";
import { hostTier, lowerTiers } from "./tier_config.ts";

/** Role of a worker in the topology. */
export type WorkerRole = "aggregated" | "prefill" | "decode";

/** Default KV blocks per rank when neither `num_gpu_blocks` nor a known model/GPU fixes it (reference). */
export const DEFAULT_NUM_GPU_BLOCKS = 16384;

/** Settings that matter only to a live deployment; like the reference's offline replay, dynolab ignores them. */
const LIVE_ONLY_KEYS = [
  "bootstrap_port",
  "enable_local_indexer",
  "zmq_kv_events_port",
  "zmq_replay_port",
  "response_replay_trace_path",
  "reasoning",
  "handoff_session_timeout_ms",
] as const;

/** Each backend's KV memory budget: vLLM's, SGLang's and TRT-LLM's (the derived capacity reads the run's). */
const MEMORY_FRACTION_KEYS = [
  "gpu_memory_utilization",
  "mem_fraction_static",
  "free_gpu_memory_fraction",
] as const;

/**
 * The resolved configuration one engine (one DP rank of a worker) runs with. All defaults applied, role fixed.
 */
export interface EngineConfig {
  /**
   * Scheduler: vLLM's (preemption by recompute), TRT-LLM's GUARANTEED_NO_EVICT policy on it, or SGLang's
   * (prefill batches ahead of decode, decode retraction; {@link EngineConfig.sglang}).
   */
  readonly policy: "vllm" | "trtllm" | "sglang";
  /** The SGLang scheduler's settings when `policy` is "sglang" on an agg or prefill rank; null otherwise. */
  readonly sglang: SglangSchedule | null;
  readonly role: WorkerRole;
  readonly numGpuBlocks: number;
  readonly blockSize: number;
  /**
   * Blocks each admitted sequence holds for the recurrent state of a linear-attention model's layers (vLLM
   * keeps it in the same pool as the KV); 0 for other models.
   */
  readonly stateBlocksPerSeq: number;
  /**
   * Pool blocks a sequence's sliding-window layers take per block of tokens in their window, where the pool is
   * sized by the model's full-attention layers (vLLM's hybrid allocator); 0 for other models.
   */
  readonly windowShare: number;
  /** Tokens the sliding-window layers keep (0 without {@link EngineConfig.windowShare}). */
  readonly window: number;
  /** `Infinity` when unset. */
  readonly maxModelLen: number;
  readonly maxNumSeqs: number;
  readonly maxNumBatchedTokens: number;
  /**
   * Ranks of the attention-DP group this rank belongs to (1 without attention DP). The group's ranks are the
   * worker's `dpSize` ranks: each runs its own scheduler and KV pool, and they step together, every pass lasting
   * as long as the slowest rank's (vLLM pads every rank to the largest one's tokens for the MoE).
   */
  readonly attentionDp: number;
  readonly enablePrefixCaching: boolean;
  readonly enableChunkedPrefill: boolean;
  readonly speedupRatio: number;
  readonly decodeSpeedupRatio: number;
  /** Engine ranks per worker: `dp_size`, or the attention-DP group's size. */
  readonly dpSize: number;
  /** Seconds before a worker added at run time becomes active. */
  readonly startupTimeS: number;
  readonly preemption: "lifo" | "fifo";
  /** Async scheduling: a request queued while the engine has a pass running or planned joins the pass after. */
  readonly asyncScheduling: boolean;
  /** Disagg KV transfer: bytes per token (0 = unknown) and GB/s (0 = no transfer delay). */
  readonly kvBytesPerToken: number;
  /** Disagg KV transfer: a linear-attention model's recurrent state, sent whole with every request (0: none). */
  readonly stateBytesPerSeq: number;
  /**
   * Disagg KV transfer: the sliding-window layers' KV bytes per token (of a model that also has full-attention
   * layers, which `kvBytesPerToken` counts), sent for the prompt's last `window` tokens (0: none).
   */
  readonly windowKvBytesPerToken: number;
  readonly kvTransferBandwidthGBs: number;
  readonly kvTransferTimingMode: "full_prompt" | "destination_missing";
  /** The host-memory KV tier (`num_g2_blocks`), or null without one (see `HostTier`). */
  readonly hostTier: HostTierConfig | null;
  /** The disk tier and object store below the host tier, shared by the run's ranks (see `LowerTiers`), or null. */
  readonly lowerTiers: LowerTiersConfig | null;
  /** The serving front end's latency (applied by the first stage's pool; all zero when off). */
  readonly frontend: FrontendLatency;
  /** GPUs one worker occupies (TP × DP ranks), for GPU-hours. */
  readonly gpusPerWorker: number;
  /**
   * Where `numGpuBlocks` came from: `explicit` (`num_gpu_blocks`), `derived` (the framework's memory budget for
   * the model and GPU, see `kvCapacity`), `default` (the reference's 16384).
   */
  readonly kvCapacitySource: "explicit" | "derived" | "default";
  /** How a derived capacity was reached (for the run summary); absent unless `kvCapacitySource` is `derived`. */
  readonly kvCapacity?: KvCapacity;
  /**
   * `router_queue_policy` of the engine args: the reference replay's override of `--router-config`'s for the
   * router of this engine's pool; null when not given.
   */
  readonly routerQueuePolicy: "fcfs" | "lcfs" | "wspt" | null;
}

/** What resolving engine args produced: the config plus warnings to show the user once. */
export interface ResolvedEngine {
  readonly args: EngineArgs;
  readonly config: EngineConfig;
  readonly warnings: readonly string[];
}

/**
 * Validate raw engine args (a parsed JSON object) and resolve them for a worker role.
 *
 * With `aic_*` args (at least `aic_model_path`), the perf setup is validated here (GPU, backend, version, model,
 * parallelism, formats), and unless given: `num_gpu_blocks` is derived from the framework's memory budget,
 * `kv_bytes_per_token` from the model (whole-model bytes, all KV heads once: what a disaggregated transfer moves),
 * and the GPUs per worker are `tp × dp_size`. With attention DP the worker's ranks are the attention-DP group
 * (as in the reference, `dp_size` becomes `aic_attention_dp_size`, so it must be 1 or equal to it): each rank
 * runs its own scheduler with its own `num_gpu_blocks`, `max_num_seqs` and `max_num_batched_tokens`, as vLLM's
 * DP ranks do, and the group's ranks step together.
 *
 * @param role Role implied by the topology (`aggregated` for agg workers). A conflicting `worker_type` or
 *   `is_prefill`/`is_decode` is an error.
 * @param what Name for messages, e.g. `--extra-engine-args`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveEngineArgs } from "./config.ts";
 * const { config } = resolveEngineArgs({ block_size: 32 }, "aggregated");
 * assert(config.blockSize === 32 && config.numGpuBlocks === 16384 && config.maxNumSeqs === 256);
 * ```
 */
export function resolveEngineArgs(
  raw: unknown,
  role: WorkerRole,
  what = "engine args",
  at: InputLocation = {},
  inputs: PerfInputs = {},
): ResolvedEngine {
  const args = parseEngineArgs(raw, what, at);
  const fail = (field: string, detail: string): never => {
    throw new InputError(detail, { ...at, field: `${what}.${field}` });
  };
  const declared = declaredRole(args, what, at);
  if (declared !== undefined && declared !== role) {
    fail("worker_type", `says "${declared}" but these args configure ${role} workers`);
  }
  if (args.engine_type === "trtllm" && role !== "aggregated") {
    fail(
      "engine_type",
      `"trtllm" is supported in aggregated serving only (as in the reference), not on ${role} workers`,
    );
  }
  speculativeConfig(args, what, at);
  if (args.decode_speedup_ratio !== 1 && args.aic_nextn != null) {
    fail("decode_speedup_ratio", "must be 1.0 when aic_nextn is set");
  }
  const warnings = LIVE_ONLY_KEYS.filter((k) => args[k] != null && args[k] !== false).map((k) =>
    `${what}.${k} configures a live deployment and has no effect in simulation`
  );
  let blockSize = requestedBlockSize(args);
  const pageSize = args.sglang?.page_size;
  if (
    args.engine_type === "sglang" && args.block_size > 0 && pageSize != null && pageSize !== args.block_size
  ) {
    fail("sglang.page_size", `${pageSize} differs from block_size ${args.block_size}; give one of them`);
  }
  const sglang = sglangSchedule(args, role, blockSize, fail, warnings, what);
  const setup = resolvePerfSetup(args, inputs, what, at);
  for (const w of inputs.warnings ?? []) warnings.push(`${what}.${w}`); // what the AIC tables price otherwise
  if (setup && args.engine_type === "vllm") {
    // vLLM enlarges a hybrid model's attention block until one page holds a layer's recurrent state, or a
    // sliding-window model's full-attention block until its page matches a sliding layer's.
    const hybrid = hybridBlockSize(setup, blockSize);
    if (hybrid !== blockSize && args.block_size > 0) {
      const why = setup.model.arch.linearAttention
        ? "an attention page must hold one layer's recurrent state"
        : "a full-attention page must match a sliding-window layer's";
      warnings.push(
        `${what}.block_size ${blockSize} is raised to ${hybrid} tokens, as vLLM raises it for a hybrid model ` +
          `(${why}); prefix caching works in these blocks`,
      );
    }
    blockSize = hybrid;
  }
  const attnDp = setup?.par.attnDp ?? args.aic_attention_dp_size ?? 1;
  if (attnDp > 1 && args.dp_size !== 1 && args.dp_size !== attnDp) {
    fail("dp_size", `${args.dp_size} conflicts with aic_attention_dp_size ${attnDp}; give 1 or ${attnDp}`);
  }
  const dpSize = attnDp > 1 ? attnDp : args.dp_size;
  let kvCapacity: KvCapacity | undefined;
  if (args.num_gpu_blocks == null && setup) {
    kvCapacity = deriveKvCapacity(setup, {
      maxNumBatchedTokens: args.max_num_batched_tokens,
      maxNumSeqs: args.max_num_seqs,
      blockSize,
      gpuMemoryUtilization: args.gpu_memory_utilization,
      memFractionStatic: args.mem_fraction_static,
      freeGpuMemoryFraction: args.free_gpu_memory_fraction,
    }, { ...at, field: `${what}.aic_tp_size` });
  }
  for (const k of MEMORY_FRACTION_KEYS) {
    if (args[k] == null || k === kvCapacity?.fractionArg) continue;
    const why = kvCapacity
      ? `on ${setup!.backend}, whose KV budget is ${kvCapacity.fractionArg}`
      : args.num_gpu_blocks != null
      ? "when num_gpu_blocks is given"
      : "without a model to size the KV cache by (aic_model_path)";
    warnings.push(`${what}.${k} has no effect ${why}`);
  }
  const tp = setup?.par.tp ?? args.aic_tp_size ?? 1;
  const sliding = setup ? windowBlocks(setup) : { share: 0, window: 0 };
  const host = hostTier(args, role, setup, blockSize, warnings, what, at);
  const config: EngineConfig = {
    policy: args.engine_type,
    sglang,
    role,
    numGpuBlocks: kvCapacity?.numGpuBlocks ?? args.num_gpu_blocks ?? DEFAULT_NUM_GPU_BLOCKS,
    blockSize,
    stateBlocksPerSeq: setup ? stateBlocksPerSeq(setup, blockSize) : 0,
    windowShare: sliding.share,
    window: sliding.window,
    maxModelLen: args.max_model_len ?? Infinity,
    maxNumSeqs: args.max_num_seqs,
    maxNumBatchedTokens: args.max_num_batched_tokens,
    attentionDp: attnDp,
    enablePrefixCaching: args.enable_prefix_caching,
    enableChunkedPrefill: args.enable_chunked_prefill,
    speedupRatio: args.speedup_ratio,
    decodeSpeedupRatio: args.decode_speedup_ratio,
    dpSize,
    startupTimeS: args.startup_time ?? 0,
    preemption: args.preemption_mode,
    asyncScheduling: args.async_scheduling,
    kvBytesPerToken: args.kv_bytes_per_token ??
      (setup ? kvBytesPerToken(setup.model.arch, setup.dtypes.kv) : 0),
    stateBytesPerSeq: setup ? linearStateBytesPerSeqPerGpu(setup.model.arch, 1) : 0,
    windowKvBytesPerToken: setup ? slidingKvBytesPerTokenPerGpu(setup.model.arch, setup.dtypes.kv, 1) : 0,
    kvTransferBandwidthGBs: args.kv_transfer_bandwidth ?? 0,
    kvTransferTimingMode: args.kv_transfer_timing_mode,
    hostTier: host,
    lowerTiers: lowerTiers(args, role, host, warnings, what, at),
    gpusPerWorker: tp * dpSize,
    frontend: frontendLatency(args, setup, what, at),
    kvCapacitySource: args.num_gpu_blocks != null ? "explicit" : kvCapacity ? "derived" : "default",
    kvCapacity,
    routerQueuePolicy: args.router_queue_policy ?? null,
  };
  if (args.kv_transfer_bandwidth != null && role !== "decode") { // the decode args' are warned of with the pair's
    const why = role === "aggregated"
      ? "in aggregated serving, which transfers no KV"
      : config.kvBytesPerToken === 0
      ? "without kv_bytes_per_token or aic_model_path to size the KV sent: transfers are instant, as in the reference"
      : "";
    if (why) warnings.push(`${what}.kv_transfer_bandwidth has no effect ${why}`);
  }
  warnings.push(...unreadArgWarnings(args, role, setup !== undefined, host !== null, what));
  const t = args.timing_model;
  if (
    role === "aggregated" && t != null && t !== "polynomial" &&
    t.prefill_ms === 0 && t.prefill_ms_per_token === 0 && t.decode_ms === 0
  ) {
    warnings.push(
      `${what}.timing_model: every pass takes no time, so latencies are 0 and throughputs follow the arrivals ` +
        "(a run whose requests all arrive at once is measured against the reports' shortest duration, 1 ns)",
    );
  }
  return { args, config, warnings };
}

/** Engine args' defaults, to tell the keys a user set. */
const ARG_DEFAULTS: EngineArgs = parseEngineArgs({}, "engine args", {});

/**
 * Warnings for engine args set that this pool never reads: KV-transfer args in aggregated serving (the KV size
 * also sizes a host tier's copies), the MTP seed without MTP, and the analytic perf model's knobs without it.
 * (An engine-arg `router_queue_policy` without a router queue is warned of with the run's router.)
 */
function unreadArgWarnings(
  args: EngineArgs,
  role: WorkerRole,
  analytic: boolean,
  hostTier: boolean,
  what: string,
): string[] {
  const changed = (k: keyof EngineArgs) => JSON.stringify(args[k]) !== JSON.stringify(ARG_DEFAULTS[k]);
  const out: string[] = [];
  if (role === "aggregated") {
    if (changed("kv_transfer_timing_mode")) {
      out.push(`${what}.kv_transfer_timing_mode has no effect in aggregated serving, which transfers no KV`);
    }
    if (args.kv_bytes_per_token != null && !hostTier) {
      out.push(
        `${what}.kv_bytes_per_token has no effect in aggregated serving without a host KV tier (num_g2_blocks)`,
      );
    }
  }
  if (changed("aic_mtp_seed") && args.aic_nextn == null) {
    out.push(`${what}.aic_mtp_seed has no effect without aic_nextn`);
  }
  if (!analytic) {
    const knobs = (["cudagraph_mode", "moe_backend", "sampling", "framework_overhead"] as const).filter(
      changed,
    );
    if (knobs.length > 0) {
      out.push(
        `${knobs.map((k) => `${what}.${k}`).join(", ")} ha${
          knobs.length > 1 ? "ve" : "s"
        } no effect without ` +
          "aic_model_path (they tune the analytic and AIC-table perf models)",
      );
    }
  }
  return out;
}

/** The front-end latency the args ask for (see `frontend_latency`). */
function frontendLatency(
  args: EngineArgs,
  setup: PerfSetup | undefined,
  what: string,
  at: InputLocation,
): FrontendLatency {
  const f = args.frontend_latency;
  if (f == null || f === false) return NO_FRONTEND_LATENCY;
  if (f !== true) {
    return {
      baseMs: f.base_ms,
      perInputTokenMs: f.ms_per_input_token,
      perRequestInFlightMs: f.ms_per_request_in_flight,
    };
  }
  const which = setup?.backend ?? args.engine_type;
  const fitted = FRONTEND_LATENCY[which];
  if (fitted) return fitted[setup?.model.tokenizer ?? "fast"];
  throw new InputError(
    `no fitted front-end latency for backend ${which} (fitted: ${
      Object.keys(FRONTEND_LATENCY).join(", ")
    }); ` +
      "give the terms as an object {base_ms, ms_per_input_token, ms_per_request_in_flight}",
    { ...at, field: `${what}.frontend_latency` },
  );
}

function declaredRole(args: EngineArgs, what: string, at: InputLocation): WorkerRole | undefined {
  const flags = (args.is_prefill ? 1 : 0) + (args.is_decode ? 1 : 0);
  if (args.worker_type != null && (args.is_prefill != null || args.is_decode != null)) {
    throw new InputError("give worker_type or is_prefill/is_decode, not both", { ...at, field: what });
  }
  if (flags > 1) throw new InputError("is_prefill and is_decode cannot both be true", { ...at, field: what });
  if (args.worker_type != null) return args.worker_type;
  if (args.is_prefill) return "prefill";
  if (args.is_decode) return "decode";
  return undefined;
}

/**
 * The block size `args` ask for: `block_size`, else the engine's default (64 tokens, 32 for TRT-LLM, SGLang's
 * `sglang.page_size` or 1). A hybrid or sliding-window model's vLLM engine may raise it (`hybridBlockSize`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseEngineArgs, requestedBlockSize } from "./mod.ts";
 * assert.equal(requestedBlockSize(parseEngineArgs({ engine_type: "trtllm" })), 32);
 * ```
 */
export function requestedBlockSize(args: EngineArgs): number {
  if (args.block_size > 0) return args.block_size;
  if (args.engine_type === "sglang") return args.sglang?.page_size ?? 1;
  return args.engine_type === "trtllm" ? 32 : 64;
}

/**
 * Where {@link requestedBlockSize} took `args`' block size from, for messages: `block_size`, `sglang.page_size`,
 * or the engine's default.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blockSizeSource, parseEngineArgs } from "./mod.ts";
 * assert.equal(blockSizeSource(parseEngineArgs({ engine_type: "sglang" })), "SGLang's default page size");
 * ```
 */
export function blockSizeSource(args: EngineArgs): string {
  if (args.block_size > 0) return "block_size";
  if (args.engine_type === "sglang") {
    return args.sglang?.page_size != null ? "sglang.page_size" : "SGLang's default page size";
  }
  return `${args.engine_type === "trtllm" ? "TRT-LLM" : "vLLM"}'s default`;
}
