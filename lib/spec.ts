/**
 * The simulation spec: everything one run needs, as a JSON-shaped, zod-validated object. The CLI builds it
 * from flags and the DSL from method calls; field names follow the reference CLI's flags and JSON configs
 * (snake_case), so a spec reads like the command that produced it.
 *
 * @module
 */
import { z } from "zod";
import { parseConfig } from "./common/config.ts";
import { EngineArgsSchema, speedupFactor } from "./engine/mod.ts";
import { PlannerConfigSchema } from "./planner/mod.ts";
import { ROUTER_MODES, RouterConfigSchema, RouterPolicySchema } from "./router/mod.ts";
import { arrivalModeProblem, arrivalModes, openLoopProblem, WorkloadSpecSchema } from "./workload/mod.ts";

const positiveInt = z.number().int().positive();
const optionalMs = z.number().positive().nullable().optional();

/** Aggregated serving: `num_workers` identical workers. */
export const AggTopologySchema = z.strictObject({
  mode: z.literal("agg"),
  num_workers: positiveInt.default(1),
  /** Engine args of every worker (`--extra-engine-args`). */
  engine: EngineArgsSchema.prefault({}),
});

/** Disaggregated serving: a prefill pool and a decode pool. */
export const DisaggTopologySchema = z.strictObject({
  mode: z.literal("disagg"),
  num_prefill_workers: positiveInt.default(1),
  num_decode_workers: positiveInt.default(1),
  /** `--prefill-engine-args`. */
  prefill_engine: EngineArgsSchema.prefault({}),
  /** `--decode-engine-args`. */
  decode_engine: EngineArgsSchema.prefault({}),
  /**
   * dynolab extension: concurrent KV transfers from one prefill worker share its link's bandwidth
   * (processor sharing) instead of each taking `bytes / bandwidth` (the reference).
   */
  kv_transfer_link_sharing: z.boolean().default(false),
});

/** A deployment: aggregated workers, or a prefill and a decode pool. */
export const TopologySchema = z.discriminatedUnion("mode", [AggTopologySchema, DisaggTopologySchema]);

/** A validated topology with every default applied. */
export type Topology = z.output<typeof TopologySchema>;

/** The router-side perf model's settings: the engine args' `aic_*` keys (the CLI's top-level `--aic-*` flags). */
export const RouterAicSchema = EngineArgsSchema.pick({
  aic_backend: true,
  aic_system: true,
  aic_model_path: true,
  aic_backend_version: true,
  aic_systems_path: true,
  aic_tp_size: true,
  aic_moe_tp_size: true,
  aic_moe_ep_size: true,
  aic_attention_dp_size: true,
  aic_gemm_dtype: true,
  aic_moe_dtype: true,
  aic_fmha_dtype: true,
  aic_kv_cache_dtype: true,
  aic_comm_dtype: true,
  aic_nextn: true,
  aic_nextn_accept_rates: true,
}).superRefine((aic, ctx) => {
  for (const key of ["aic_backend", "aic_system", "aic_model_path"] as const) {
    if (aic[key] == null) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: "required: the router-side perf model needs aic_backend, aic_system and aic_model_path",
      });
    }
  }
});

/** Router choice and its config. */
export const RouterSpecSchema = z.strictObject({
  mode: z.enum(ROUTER_MODES).default("round_robin"),
  /** `--router-config` (partial; missing keys take the reference defaults). */
  config: RouterConfigSchema.prefault({}),
  /**
   * The perf model that predicts each prefill for `router_prefill_load_model: "aic"` (the CLI's top-level
   * `--aic-*` flags). It is the router's own: engine timing keeps the engine args' `aic_*` keys.
   */
  aic: RouterAicSchema.nullable().optional(),
  /**
   * The router queue's policy classes (`--router-policy-config`'s YAML document, inline): KV router only. Its
   * classes replace the one class of `router_queue_threshold` and `router_queue_policy`.
   */
  policy: RouterPolicySchema.nullable().optional(),
  /** The model profile of `policy` to take (`--model-name`); unknown or absent: the document's root. */
  model_name: z.string().min(1, { error: "model_name must be non-empty" }).nullable().optional(),
}).superRefine((router, ctx) => {
  const aicModel = router.config.router_prefill_load_model === "aic";
  const problem = (path: string[], message: string) => ctx.addIssue({ code: "custom", path, message });
  if (router.policy != null && router.mode !== "kv_router") {
    problem(["policy"], `only applies to the KV router (mode kv_router), not ${router.mode}`);
  }
  if (router.aic != null && router.mode !== "kv_router") {
    problem(["aic"], `only applies to the KV router (mode kv_router), not ${router.mode}`);
  } else if (router.aic != null && !aicModel) {
    problem(["aic"], 'only applies with router_prefill_load_model "aic" in the router config');
  } else if (aicModel && router.aic == null) {
    problem(
      ["config", "router_prefill_load_model"],
      '"aic" needs the router-side perf model: aic_backend, aic_system and aic_model_path (CLI: --aic-backend, ' +
        "--aic-system, --aic-model-path)",
    );
  } else if (aicModel && !router.config.router_track_prefill_tokens) {
    problem(["config", "router_prefill_load_model"], '"aic" requires router_track_prefill_tokens: true');
  }
});

/** Goodput thresholds (`--sla-ttft-ms`, `--sla-itl-ms`, `--sla-e2e-ms`), for the report only. */
export const SlaSchema = z.strictObject({
  ttft_ms: optionalMs,
  itl_ms: optionalMs,
  e2e_ms: optionalMs,
});

/** The largest `arrival_jitter_ms`: an hour. */
export const MAX_JITTER_MS = 3_600_000;

/** A complete simulation spec. A synthetic workload takes exactly one arrival mode (`arrivalModeProblem`). */
export const SimSpecSchema = z.strictObject({
  workload: WorkloadSpecSchema,
  /** Divides trace arrivals and inter-turn delays (`--arrival-speedup-ratio`). */
  arrival_speedup_ratio: speedupFactor.default(1),
  /**
   * Moves each session's arrivals by a uniform draw from ±this many ms, seeded by `seed` (`--arrival-jitter-ms`;
   * 0: none): replications of one trace at the same load, to see how far a figure moves by chance.
   */
  arrival_jitter_ms: z.number().min(0).max(MAX_JITTER_MS).default(0),
  /**
   * Spread a trace's quantised timestamps over their steps (`--spread-arrival-steps`; dynolab): the arrival
   * jitter becomes half the step `arrivalStep` finds (after the speed-up), so each step's requests arrive
   * uniformly over it, seeded by `seed`. A trace whose timestamps are not quantised is replayed as is, with a
   * warning.
   */
  spread_arrival_steps: z.boolean().default(false),
  /** Closed loop with at most this many requests in flight (`--replay-concurrency`). */
  replay_concurrency: positiveInt.nullable().optional(),
  /**
   * The first this many requests dispatched are a warm-up phase, served but left out of every statistic
   * (`--warmup-request-count`, as AIPerf's). As in AIPerf, the warm-up drains before the profiling phase
   * starts: closed loop, the profiling phase opens with `replay_concurrency` requests at once; open loop, the
   * rest of the schedule is delayed to start when the warm-up has drained, keeping its spacing. The warm-up
   * comes out of the workload: to keep `request_count` measured synthetic requests, generate
   * `request_count + warmup_request_count`.
   */
  warmup_request_count: z.number().int().nonnegative().default(0),
  topology: TopologySchema,
  router: RouterSpecSchema.prefault({}),
  sla: SlaSchema.prefault({}),
  /** Stop the clock here; unfinished requests count as incomplete (`--max-sim-time-seconds`). */
  max_sim_time_seconds: z.number().positive().nullable().optional(),
  /**
   * Seed for the run's random choices (router draws, the arrival jitter), except a synthetic workload's
   * `arrival_seed` and MTP bursts (the engine args' `aic_mtp_seed`, as in the reference).
   */
  seed: z.number().int().nonnegative().default(42),
  /** The planner in the loop (`--planner-config`); null or absent for a fixed deployment. */
  planner: PlannerConfigSchema.nullable().optional(),
  /** Sweep points of the planner's perf bootstrap (`--benchmark-granularity`). */
  benchmark_granularity: positiveInt.default(8),
}).superRefine((spec, ctx) => {
  for (const key of ["arrival_jitter_ms", "spread_arrival_steps"] as const) {
    if (spec[key] && spec.replay_concurrency != null) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: "a closed loop (replay_concurrency) has no arrival times to jitter; vary seed instead",
      });
    }
  }
  if (spec.spread_arrival_steps && spec.arrival_jitter_ms > 0) {
    ctx.addIssue({
      code: "custom",
      path: ["spread_arrival_steps"],
      message: "sets the arrival jitter to half the trace's step: give it or an arrival jitter, not both",
    });
  }
  if (spec.workload.source === "trace" && spec.replay_concurrency == null) {
    const problem = openLoopProblem(spec.workload.format);
    if (problem) ctx.addIssue({ code: "custom", path: ["replay_concurrency"], message: problem });
  }
  if (spec.workload.source !== "synthetic") return;
  const problem = arrivalModeProblem(arrivalModes(spec.workload, spec.replay_concurrency != null));
  if (problem) ctx.addIssue({ code: "custom", path: ["workload"], message: problem });
});

/** A spec as written (defaults optional). */
export type SimSpecInput = z.input<typeof SimSpecSchema>;
/** A validated spec with every default applied. */
export type SimSpec = z.output<typeof SimSpecSchema>;

/**
 * Validate a spec; errors name the field (`spec.topology.engine.block_size`) and the valid keys or values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSpec } from "./spec.ts";
 * const spec = parseSpec({ workload: { source: "default" }, topology: { mode: "agg", num_workers: 2 } });
 * assert(spec.router.mode === "round_robin" && spec.topology.mode === "agg");
 * ```
 */
export function parseSpec(input: unknown): SimSpec {
  return parseConfig(SimSpecSchema, input, "spec");
}
