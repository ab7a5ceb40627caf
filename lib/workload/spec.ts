/**
 * The workload part of a simulation spec: which requests to replay. JSON-shaped with the reference CLI's names.
 *
 * @module
 */
import { z } from "zod";

const positiveInt = z.number().int().positive();

/** Trace file formats dynolab reads. */
export const TRACE_FORMATS = ["mooncake", "azure", "kv_cache_tester"] as const;

/** Replay a trace file. */
export const TraceWorkloadSchema = z.strictObject({
  source: z.literal("trace"),
  /** Path of the trace file (`.gz` is decompressed on the fly). */
  path: z.string().min(1),
  format: z.enum(TRACE_FORMATS).default("mooncake"),
  /** Tokens per hash id (`--trace-block-size`); default 512 for Mooncake, the file's own for kv-cache-tester. */
  trace_block_size: positiveInt.nullable().optional(),
});

/** Generate requests (`--input-tokens/--output-tokens/--request-count` and friends). */
export const SyntheticWorkloadSchema = z.strictObject({
  source: z.literal("synthetic"),
  input_tokens: positiveInt,
  output_tokens: positiveInt,
  /** Sessions to generate (= requests when `turns_per_session` is 1). */
  request_count: positiveInt,
  /** Poisson open-loop arrivals, requests (sessions) per second. */
  request_rate: z.number().positive().nullable().optional(),
  /** Fixed open-loop inter-arrival gap, ms. */
  arrival_interval_ms: z.number().nonnegative().nullable().optional(),
  turns_per_session: positiveInt.default(1),
  inter_turn_delay_ms: z.number().nonnegative().default(0),
  shared_prefix_ratio: z.number().min(0).max(1).default(0),
  num_prefix_groups: z.number().int().nonnegative().default(0),
  arrival_seed: z.number().int().nonnegative().default(42),
});

/** The embedded default workload: an agentic, multi-turn, prefix-sharing mix. */
export const DefaultWorkloadSchema = z.strictObject({
  source: z.literal("default"),
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
