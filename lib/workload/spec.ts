/**
 * The workload part of a simulation spec: which requests to replay. JSON-shaped with the reference CLI's names.
 *
 * @module
 */
import { z } from "zod";
import { MAX_TIME_MS, MAX_TOKENS } from "./types.ts";

const positiveInt = z.number().int().positive();

/** Trace file formats dynolab reads. */
export const TRACE_FORMATS = [
  "mooncake",
  "mooncake_delta",
  "agentic_mooncake",
  "applied_compute_agentic",
  "azure",
  "kv_cache_tester",
  "dynamo",
] as const;

/** A trace format name. */
export type TraceFormat = (typeof TRACE_FORMATS)[number];

/** Trace options and the formats that accept them (any other format rejects them). */
const FORMAT_OPTIONS: Readonly<Record<string, readonly TraceFormat[]>> = {
  trace_block_size: [
    "mooncake",
    "mooncake_delta",
    "agentic_mooncake",
    "applied_compute_agentic",
    "kv_cache_tester",
    "dynamo",
  ],
  trace_shared_prefix_ratio: ["applied_compute_agentic"],
  trace_num_prefix_groups: ["applied_compute_agentic"],
  max_sessions: ["kv_cache_tester"],
  session_interval_ms: ["kv_cache_tester"],
  session_rate: ["kv_cache_tester"],
  session_seed: ["kv_cache_tester"],
  subagents: ["kv_cache_tester"],
};

/**
 * Why a trace of `format` cannot replay open-loop, or undefined when it can: applied_compute_agentic lines
 * carry no arrival times, so they need closed-loop replay (`replay_concurrency`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openLoopProblem } from "./spec.ts";
 * assert.equal(openLoopProblem("mooncake"), undefined);
 * assert.match(openLoopProblem("applied_compute_agentic")!, /closed loop/);
 * ```
 */
export function openLoopProblem(format: TraceFormat): string | undefined {
  return format === "applied_compute_agentic"
    ? "applied_compute_agentic traces carry no arrival times: replay them in closed loop (give a replay " +
      "concurrency)"
    : undefined;
}

/**
 * Replay a trace file. Options that only some formats understand have no schema default (so a misplaced one
 * can be told from an absent one); their defaults are applied by the loader and stated here.
 */
export const TraceWorkloadSchema = z.strictObject({
  source: z.literal("trace"),
  /**
   * Path of the trace file (`.gz` is decompressed on the fly), or several: a `dynamo` trace's shards, read as
   * one trace.
   */
  path: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  format: z.enum(TRACE_FORMATS).default("mooncake"),
  /**
   * Tokens per hash id (`--trace-block-size`); default 512 for the Mooncake formats and
   * applied_compute_agentic, the file's own for kv-cache-tester (and for an agentic_mooncake version 2
   * trace, whose header's `block_size` wins). A `dynamo` trace embeds its own, which this must equal if given.
   */
  trace_block_size: positiveInt.nullable().optional(),
  /**
   * applied_compute_agentic (`--trace-shared-prefix-ratio`): the share of each session's first prompt, in
   * whole hash-id blocks, that is common to its prefix group. Default 0.
   */
  trace_shared_prefix_ratio: z.number().min(0).max(1).optional(),
  /**
   * applied_compute_agentic (`--trace-num-prefix-groups`): prefix groups; line n's session joins group
   * `(n − 1) mod trace_num_prefix_groups`. Default 0: no sharing.
   */
  trace_num_prefix_groups: z.number().int().nonnegative().max(1 << 20).optional(),
  /** kv_cache_tester: load only the first N sessions (lines) of the file. Default: all. */
  max_sessions: positiveInt.optional(),
  /** kv_cache_tester: fixed gap between session starts, ms. Default 0: every session starts at t = 0. */
  session_interval_ms: z.number().nonnegative().optional(),
  /** kv_cache_tester: Poisson session starts at this rate (sessions per second) instead of a fixed gap. */
  session_rate: z.number().positive().optional(),
  /** kv_cache_tester: seed of the Poisson session starts. Default 42. */
  session_seed: z.number().int().nonnegative().optional(),
  /**
   * kv_cache_tester: how sub-agent calls run. `sessions` (default): each sub-agent is its own closed-loop
   * session in the parent's hash namespace, starting at the parent's start + the sub-agent's `t`. `inline`:
   * its calls are spliced into the parent's chain where the sub-agent appears.
   */
  subagents: z.enum(["sessions", "inline"]).optional(),
}).superRefine((spec, ctx) => {
  if (Array.isArray(spec.path) && spec.path.length > 1 && spec.format !== "dynamo") {
    ctx.addIssue({
      code: "custom",
      path: ["path"],
      message:
        `trace format ${spec.format} reads one file, got ${spec.path.length} (only dynamo takes shards)`,
    });
  }
  for (const [key, formats] of Object.entries(FORMAT_OPTIONS)) {
    const value = (spec as Record<string, unknown>)[key];
    if (value !== undefined && value !== null && !formats.includes(spec.format)) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `only applies to trace format ${formats.join(" or ")}, not ${spec.format}`,
      });
    }
  }
  if (spec.session_interval_ms !== undefined && spec.session_rate !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["session_rate"],
      message: "give either session_interval_ms (fixed gap) or session_rate (Poisson starts), not both",
    });
  }
  if (spec.session_seed !== undefined && spec.session_rate === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["session_seed"],
      message: "only applies with session_rate (Poisson session starts)",
    });
  }
});

/**
 * The files a trace source reads, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tracePaths, TraceWorkloadSchema } from "./spec.ts";
 * const spec = TraceWorkloadSchema.parse({ source: "trace", format: "dynamo", path: ["a.jsonl.gz", "b.jsonl.gz"] });
 * assert.deepEqual(tracePaths(spec), ["a.jsonl.gz", "b.jsonl.gz"]);
 * assert.deepEqual(tracePaths({ path: "t.jsonl" }), ["t.jsonl"]);
 * ```
 */
export function tracePaths(spec: { readonly path: string | readonly string[] }): string[] {
  return typeof spec.path === "string" ? [spec.path] : [...spec.path];
}

/**
 * Generate requests (`--input-tokens/--output-tokens/--request-count` and friends), as the reference's
 * `Trace::synthetic`. Exactly one of `request_rate`, `arrival_interval_ms` or closed-loop replay
 * (`--replay-concurrency`) must be chosen (`arrivalModeProblem`); the simulation spec checks it.
 */
export const SyntheticWorkloadSchema = z.strictObject({
  source: z.literal("synthetic"),
  /** Prompt tokens of a session's first turn, and new input tokens added by each later turn. */
  input_tokens: positiveInt.max(MAX_TOKENS),
  output_tokens: positiveInt.max(MAX_TOKENS),
  /**
   * Spread of `input_tokens` and `output_tokens`: each request draws its lengths from a normal distribution
   * with this standard deviation (Box–Muller, rounded, floored at 1), as the reference's `LengthSpec` and
   * AIPerf's `--synthetic-input-tokens-stddev` / `--output-tokens-stddev`. 0 (default): exact lengths.
   */
  input_tokens_stddev: z.number().nonnegative().default(0),
  output_tokens_stddev: z.number().nonnegative().default(0),
  /**
   * dynolab extension: each request draws its lengths uniformly from `[floor(len × r), len]`, as
   * `--random-range-ratio` of SGLang's and InferenceMAX's `benchmark_serving.py` (and vLLM's before v0.10).
   * 1 (default): exact lengths. Exclusive with the stddevs.
   */
  length_range_ratio: z.number().min(0).max(1).default(1),
  /** Sessions to generate (= requests when `turns_per_session` is 1). */
  request_count: positiveInt,
  /** Poisson open-loop arrivals, requests (sessions) per second. */
  request_rate: z.number().positive().nullable().optional(),
  /** Fixed open-loop inter-arrival gap, ms. */
  arrival_interval_ms: z.number().nonnegative().nullable().optional(),
  turns_per_session: positiveInt.default(1),
  inter_turn_delay_ms: z.number().nonnegative().max(MAX_TIME_MS).default(0),
  shared_prefix_ratio: z.number().min(0).max(1).default(0),
  num_prefix_groups: z.number().int().nonnegative().max(1 << 20).default(0),
  /**
   * dynolab extension: the client's dataset size, AIPerf's `--num-dataset-entries` (AIPerf's default is 100).
   * Sessions take their first prompt from this many distinct prompts, each pass over them in a fresh random
   * order (AIPerf's `shuffle` sampling), so a prompt recurs every `dataset_entries` sessions and the prefix
   * cache may serve it again. 0 (default): every session's prompt is new.
   */
  dataset_entries: z.number().int().nonnegative().max(1 << 20).default(0),
  arrival_seed: z.number().int().nonnegative().default(42),
  /**
   * dynolab extension: how later turns' prompts are built. `cumulative` (default): previous prompt + previous
   * output + `input_tokens` new tokens, so a turn's prompt extends the previous one. `independent`: every
   * turn is a fresh `input_tokens` prompt (the reference generator).
   */
  turn_prompts: z.enum(["cumulative", "independent"]).default("cumulative"),
}).superRefine((spec, ctx) => {
  if (spec.length_range_ratio < 1 && (spec.input_tokens_stddev > 0 || spec.output_tokens_stddev > 0)) {
    ctx.addIssue({
      code: "custom",
      path: ["length_range_ratio"],
      message:
        "give either length_range_ratio (uniform lengths) or the token stddevs (normal lengths), not both",
    });
  }
});

/** The embedded default workload: an agentic, multi-turn, prefix-sharing mix (see `default_workload.ts`). */
export const DefaultWorkloadSchema = z.strictObject({
  source: z.literal("default"),
  /** Seed of every draw. */
  seed: z.number().int().nonnegative().default(42),
  /** Number of agent sessions. */
  sessions: positiveInt.max(1_000_000).default(300),
  /** Poisson session starts, sessions per second. */
  session_rate: z.number().positive().default(0.25),
});

/** Any workload source. */
export const WorkloadSpecSchema = z.discriminatedUnion("source", [
  TraceWorkloadSchema,
  SyntheticWorkloadSchema,
  DefaultWorkloadSchema,
]);

/** A workload source as written by a user (defaults optional). */
export type WorkloadSpecInput = z.input<typeof WorkloadSpecSchema>;
/** A validated workload source. */
export type WorkloadSpec = z.output<typeof WorkloadSpecSchema>;
/** A validated trace source. */
export type TraceWorkloadSpec = z.output<typeof TraceWorkloadSchema>;
/** A validated synthetic source. */
export type SyntheticWorkloadSpec = z.output<typeof SyntheticWorkloadSchema>;
/** A validated default-workload source. */
export type DefaultWorkloadSpec = z.output<typeof DefaultWorkloadSchema>;
