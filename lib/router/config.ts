/**
 * KV-router config (`--router-config`): the reference's `KvRouterConfig` keys and defaults, strict.
 *
 * @module
 */
import { z } from "zod";

/** Routing policies. `random` is a dynolab addition (the reference replay has none). */
export const ROUTER_MODES = ["round_robin", "random", "kv_router"] as const;
/** A routing policy name. */
export type RouterMode = typeof ROUTER_MODES[number];

/** Orders of the router queue: earliest arrival, latest arrival, fewest uncached prompt tokens (Smith's rule). */
export const QUEUE_POLICIES = ["fcfs", "lcfs", "wspt"] as const;
/** A router queue order. */
export type QueuePolicy = typeof QUEUE_POLICIES[number];

/** Router config schema; every field optional in input, defaults as the reference. */
export const RouterConfigSchema = z.strictObject({
  overlap_score_weight: z.number().nonnegative().default(1),
  router_temperature: z.number().nonnegative().default(0),
  router_track_active_blocks: z.boolean().default(true),
  router_assume_kv_reuse: z.boolean().default(true),
  router_track_output_blocks: z.literal(false, { error: notYet("tracking output blocks") }).default(false),
  router_track_prefill_tokens: z.boolean().default(true),
  /** Only used without KV events; dynolab always has them (no effect). */
  router_ttl_secs: z.number().positive().default(120),
  /** Radix-tree pruning bound; dynolab reads engine caches directly (no effect). */
  router_max_tree_size: z.number().int().positive().default(2 ** 20),
  /** Router state persistence (no effect offline). */
  router_snapshot_threshold: z.number().int().positive().default(1_000_000),
  /**
   * Hold requests in a router queue while every worker's router-tracked prefill tokens exceed this ×
   * the worker's `max_num_batched_tokens` (kv_router only). Default null: no queue (the reference's newest
   * default; releases before have used 4.0 and 16.0).
   */
  router_queue_threshold: z.number().nonnegative().nullable().default(null),
  /**
   * Which queued request goes first: `fcfs` (earliest arrival), `lcfs` (latest), `wspt` (fewest uncached
   * prompt tokens on the best-cached worker, Smith's rule).
   */
  router_queue_policy: z.enum(QUEUE_POLICIES).default("fcfs"),
  /**
   * `aic`: a worker's routed prefill tokens drain as its oldest prefill runs, at the pace the router-side perf
   * model (the spec's `router.aic`, the CLI's `--aic-*` flags) predicts, instead of all at once when it ends.
   */
  router_prefill_load_model: z.enum(["none", "aic"]).default("none"),
});

function notYet(feature: string): string {
  return `${feature} is not supported yet in dynolab; remove this key or use its default`;
}

/** Router config as written by a user. */
export type RouterConfigInput = z.input<typeof RouterConfigSchema>;
/** Router config with defaults applied. */
export type RouterConfig = z.output<typeof RouterConfigSchema>;

/** Which pool a router serves; disaggregated pools override some settings as the reference does. */
export type RouterStage = "aggregated" | "prefill" | "decode";

/**
 * Apply the reference's per-stage overrides: the prefill router ignores decode load; the decode router
 * ignores cache overlap and prefill load and balances decode blocks only.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouterConfigSchema, stageConfig } from "./config.ts";
 * const d = stageConfig(RouterConfigSchema.parse({}), "decode");
 * assert(d.overlap_score_weight === 0 && !d.router_track_prefill_tokens);
 * ```
 */
export function stageConfig(config: RouterConfig, stage: RouterStage): RouterConfig {
  switch (stage) {
    case "prefill":
      return { ...config, router_track_active_blocks: false };
    case "decode":
      return {
        ...config,
        overlap_score_weight: 0,
        router_assume_kv_reuse: false,
        router_track_prefill_tokens: false,
      };
    default:
      return config;
  }
}
