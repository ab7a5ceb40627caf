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

const CREDIT_RANGE = "must be between 0.0 and 1.0";
const CREDIT_ABOVE_ONE = `${CREDIT_RANGE}: values above 1.0 are probably not what you intended. To weigh ` +
  "prompt-side prefill load more heavily, keep overlap_score_credit <= 1.0 and give the larger value to " +
  "prefill_load_scale instead (it applies after the overlap credits)";

/**
 * The largest `prefill_load_scale` (and deprecated `overlap_score_weight`) and `overlap_score_credit_decay`:
 * beyond a million, a worker's cost overflows to Infinity and every request ties on the first worker.
 */
export const MAX_LOAD_SCALE = 1e6;
/**
 * The lowest non-zero `router_temperature`: a colder softmax is argmin already, and one near the smallest
 * double divides the costs' spread into −Infinity.
 */
export const MIN_TEMPERATURE = 1e-6;

const LOAD_SCALE_RANGE = "must be from 0 to 1e6";
const loadScale = z.number().min(0, LOAD_SCALE_RANGE).max(MAX_LOAD_SCALE, LOAD_SCALE_RANGE);

/** Router config schema; every field optional in input, defaults as the reference. */
export const RouterConfigSchema = z.strictObject({
  /**
   * Credit for each leading prompt block cached on the worker's device, subtracted from its prefill load
   * (0 to 1; 0 ignores prefix matching).
   */
  overlap_score_credit: z.number().min(0, CREDIT_RANGE).max(1, CREDIT_ABOVE_ONE).default(1),
  /**
   * Decay of that credit as a worker's router-tracked prefill load exceeds the least-loaded candidate's: the
   * credit is divided by `1 + decay × excess`, the excess in requests of this one's size (0: off).
   */
  overlap_score_credit_decay: loadScale.default(0),
  /** Scale of the prefill load after the credits are subtracted (0 to {@link MAX_LOAD_SCALE}). */
  prefill_load_scale: loadScale.default(1),
  /**
   * Deprecated (the classic cost's weight): when given it sets `prefill_load_scale`, and 0 also sets
   * `overlap_score_credit` to 0, as the reference maps it.
   */
  overlap_score_weight: loadScale.nullable().default(null),
  /** Credit per prefix block a worker holds in its host tier (`num_g2_blocks`) past its GPU-cached prefix. */
  host_cache_hit_weight: z.number().min(0).max(1).default(0.75),
  /**
   * Credit per prefix block in the lower tiers (disk `num_g3_blocks`, object store `enable_g4_storage`) past a
   * worker's GPU and host prefix.
   */
  disk_cache_hit_weight: z.number().min(0).max(1).default(0.25),
  /** Credit for blocks in an external shared cache beyond the device prefix; dynolab has none (no effect). */
  shared_cache_multiplier: z.number().min(0).max(1).default(0),
  /** 0: the cheapest worker; else a softmax draw at this temperature (at least {@link MIN_TEMPERATURE}). */
  router_temperature: z.number().refine((t) => t === 0 || t >= MIN_TEMPERATURE, {
    error: "must be 0 (the cheapest worker) or at least 1e-6 (a softmax draw)",
  }).default(0),
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
   * the worker's `max_num_batched_tokens` (kv_router only). Default 16, the reference's newest default
   * (releases before late 2026 had none); null: no queue.
   */
  router_queue_threshold: z.number().nonnegative().nullable().default(16),
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
 * assert(d.overlap_score_credit === 0 && !d.router_track_prefill_tokens);
 * ```
 */
export function stageConfig(config: RouterConfig, stage: RouterStage): RouterConfig {
  switch (stage) {
    case "prefill":
      return { ...config, router_track_active_blocks: false };
    case "decode":
      return {
        ...config,
        overlap_score_credit: 0,
        overlap_score_weight: null,
        router_assume_kv_reuse: false,
        router_track_prefill_tokens: false,
      };
    default:
      return config;
  }
}

/** The KV router cost's weights once the deprecated `overlap_score_weight` is applied. */
export interface CostWeights {
  /** Credit per cached device block (`overlap_score_credit`). */
  readonly credit: number;
  /** Credit per block in a worker's host tier past its device prefix (`host_cache_hit_weight`). */
  readonly hostCredit: number;
  /** Credit per block in the lower tiers past those (`disk_cache_hit_weight`). */
  readonly diskCredit: number;
  /** `overlap_score_credit_decay`. */
  readonly decay: number;
  /** `prefill_load_scale`. */
  readonly scale: number;
}

/**
 * The cost's weights, as the reference resolves them: a deprecated `overlap_score_weight` sets
 * `prefill_load_scale`, and a weight of 0 also sets the credit to 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { costWeights, RouterConfigSchema } from "./config.ts";
 * assert.deepEqual(costWeights(RouterConfigSchema.parse({ overlap_score_weight: 2 })).scale, 2);
 * assert.equal(costWeights(RouterConfigSchema.parse({ overlap_score_weight: 0 })).credit, 0);
 * ```
 */
export function costWeights(config: RouterConfig): CostWeights {
  const weight = config.overlap_score_weight;
  return {
    credit: weight === 0 ? 0 : config.overlap_score_credit,
    hostCredit: config.host_cache_hit_weight,
    diskCredit: config.disk_cache_hit_weight,
    decay: config.overlap_score_credit_decay,
    scale: weight ?? config.prefill_load_scale,
  };
}

/** KV-router keys of a live deployment that a simulation has nothing to apply to. */
const LIVE_ONLY = [
  "shared_cache_multiplier",
  "router_ttl_secs",
  "router_max_tree_size",
  "router_snapshot_threshold",
];

/**
 * The warnings for router config keys set away from their defaults that the run does not read: any, under a
 * mode other than the KV router's; under the KV router, the live deployment's keys ({@link LIVE_ONLY}), a
 * queue policy without a queue, and a tier's cache-hit weight where no worker has that tier (`tiers`: whether
 * some worker has a host tier, and lower tiers below it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouterConfigSchema, unusedConfigWarnings } from "./config.ts";
 * const config = RouterConfigSchema.parse({ overlap_score_weight: 3 });
 * assert.match(unusedConfigWarnings("round_robin", config)[0], /overlap_score_weight only affects the KV router/);
 * assert.deepEqual(unusedConfigWarnings("kv_router", config), []);
 * const live = RouterConfigSchema.parse({ router_ttl_secs: 5 });
 * assert.deepEqual(unusedConfigWarnings("kv_router", live), ["--router-config.router_ttl_secs has no effect in simulation"]);
 * const host = RouterConfigSchema.parse({ host_cache_hit_weight: 1 });
 * assert.match(unusedConfigWarnings("kv_router", host)[0], /host_cache_hit_weight has no effect without a host KV tier/);
 * assert.deepEqual(unusedConfigWarnings("kv_router", host, { host: true, lower: false }), []);
 * ```
 */
export function unusedConfigWarnings(
  mode: RouterMode,
  config: RouterConfig,
  tiers: { host: boolean; lower: boolean } = { host: false, lower: false },
): string[] {
  const defaults: Record<string, unknown> = RouterConfigSchema.parse({});
  const set = Object.entries(config).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(defaults[k]));
  if (mode === "kv_router") {
    const offline = set.filter(([k]) => LIVE_ONLY.includes(k)).map(([k]) => `--router-config.${k}`);
    return [
      ...(offline.length > 0
        ? [`${offline.join(", ")} ha${offline.length > 1 ? "ve" : "s"} no effect in simulation`]
        : []),
      ...(config.router_queue_threshold === null &&
          config.router_queue_policy !== defaults.router_queue_policy
        ? [
          "--router-config.router_queue_policy has no effect without a router queue (router_queue_threshold null)",
        ]
        : []),
      ...(!tiers.host && config.host_cache_hit_weight !== defaults.host_cache_hit_weight
        ? ["--router-config.host_cache_hit_weight has no effect without a host KV tier (num_g2_blocks)"]
        : []),
      ...(!tiers.lower && config.disk_cache_hit_weight !== defaults.disk_cache_hit_weight
        ? [
          "--router-config.disk_cache_hit_weight has no effect without a disk or object-store KV tier " +
          "(num_g3_blocks, enable_g4_storage) below a host tier",
        ]
        : []),
    ];
  }
  if (set.length === 0) return [];
  const keys = set.map(([k]) => `--router-config.${k}`).join(", ");
  return [
    `${keys} only affect${set.length > 1 ? "" : "s"} the KV router and ha${
      set.length > 1 ? "ve" : "s"
    } no effect with the ${mode} router`,
  ];
}
