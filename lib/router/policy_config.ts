/**
 * Router policy classes (`--router-policy-config`): the reference's YAML of queue classes, each with its own
 * busy threshold, queue order, deficit-round-robin quantum and queue limits, and how requests map onto them.
 *
 * A profile (the document's root, or one of its `models:` picked by `--model-name`) lists cache buckets by
 * uncached prompt tokens and classes. A class is bound to a (family, bucket) pair, or is explicit (neither).
 * A request names a class or family in its trace row's `policy_class`; an explicit class's name selects it,
 * anything else takes the named family (the default family when unknown or absent) in the bucket of the
 * request's uncached tokens. Without a document, or with no profile that applies, one synthetic class from
 * `router_queue_threshold` and `router_queue_policy` holds every request, which is the single queue of the
 * router config alone.
 *
 * The schema, defaults and messages follow the reference's `policy_config.rs`; `worker_selection` (custom
 * selection plugins) is validated and has no effect on a replay, as in the reference.
 *
 * @module
 */
import { z } from "zod";
import { QUEUE_POLICIES, type QueuePolicy, type RouterConfig } from "./config.ts";
import { own } from "../common/own.ts";

const count = z.number().int().nonnegative();
const optionalCount = count.nullable().optional();
const optionalName = z.string().nullable().optional();

const BucketSchema = z.strictObject({ min_tokens: count, bucket: z.string() });

const ClassSchema = z.strictObject({
  name: z.string(),
  policy_family: optionalName,
  cache_bucket: optionalName,
  /** A class's own order; `fcfs` unless set (not the router config's `router_queue_policy`). */
  queue_policy: z.enum(QUEUE_POLICIES).default("fcfs"),
  /** Uncached prompt tokens of credit the class gains per deficit-round-robin round. */
  quantum: count,
  /** A worker is busy for the class above this many routed prefill tokens. */
  prefill_busy_threshold: optionalCount,
  /** … or above this × its `max_num_batched_tokens`. Neither set: the class never queues. */
  prefill_busy_threshold_frac: z.number().nullable().optional(),
  /** Validated, then ignored with a warning ({@link policyWarnings}): a replay queues only while every worker is
   * busy, as the reference's does. */
  busy_worker_ratio: z.number().nullable().optional(),
  request_queue_limit_per_worker: optionalCount,
  raw_isl_token_queue_limit_per_worker: optionalCount,
  cached_token_queue_limit_per_worker: optionalCount,
});

const ProfileSchema = z.strictObject({
  default_policy_family: z.string(),
  uncached_isl_buckets: z.array(BucketSchema),
  policy_classes: z.array(ClassSchema),
});

const STAGES = ["aggregated", "prefill", "decode", "encode"] as const;

const WorkerSelectionSchema = z.strictObject({
  aggregated: optionalName,
  prefill: optionalName,
  decode: optionalName,
  encode: optionalName,
  instances: z.array(z.strictObject({
    name: z.string(),
    type: z.string(),
    parameters: z.record(z.string(), z.unknown()).default({}),
  })).default([]),
});

/**
 * The policy document (`--router-policy-config`'s YAML, or the spec's `router.policy`), strict, checked as the
 * reference checks it: every message starts `invalid router policy config:` and names the profile and class.
 */
export const RouterPolicySchema = z.strictObject({
  default_policy_family: z.string().optional(),
  uncached_isl_buckets: z.array(BucketSchema).optional(),
  policy_classes: z.array(ClassSchema).optional(),
  /** Per-model profiles, picked by `--model-name` (the spec's `router.model_name`); each replaces the root. */
  models: z.record(z.string(), ProfileSchema).default({}),
  worker_selection: WorkerSelectionSchema.optional(),
}).superRefine((doc, ctx) => {
  const problem = policyProblem(doc);
  if (problem) ctx.addIssue({ code: "custom", message: `invalid router policy config: ${problem}` });
});

/** A policy document as written. */
export type RouterPolicyInput = z.input<typeof RouterPolicySchema>;
/** A validated policy document. */
export type RouterPolicy = z.output<typeof RouterPolicySchema>;
type Profile = z.output<typeof ProfileSchema>;

/** One queue class, resolved. */
export interface PolicyClass {
  readonly name: string;
  readonly queuePolicy: QueuePolicy;
  readonly quantum: number;
  /** Busy above this many routed prefill tokens (null: no absolute threshold). */
  readonly busyTokens: number | null;
  /** Busy above this × the worker's `max_num_batched_tokens` (null: none). */
  readonly busyFraction: number | null;
  /** Per-worker limits on the queued requests, their prompt tokens, and their cached tokens (null: none). */
  readonly limits: readonly [requests: number | null, rawTokens: number | null, cachedTokens: number | null];
}

/** The classes a router queues into and how a request maps onto them. */
export interface PolicyProfile {
  /** The classes, in declared order (the deficit-round-robin ring). */
  readonly classes: readonly PolicyClass[];
  /** Explicit classes by name (a request naming one goes there). */
  readonly explicit: ReadonlyMap<string, number>;
  /** Family index by name, in order of first appearance. */
  readonly families: ReadonlyMap<string, number>;
  readonly defaultFamily: number;
  /** The buckets' lower bounds in uncached tokens, ascending (the first is 0). */
  readonly bucketMins: readonly number[];
  /** `classOf[family × buckets + bucket]`: the class of each (family, bucket). */
  readonly classOf: readonly number[];
}

/** The kinds of queue limit, in the order they are checked and as the reference names them. */
export const LIMIT_KINDS = ["requests", "raw_isl_tokens", "cached_tokens"] as const;

/**
 * The profile a router uses: the model profile `modelName` names, else the document's root, else (no document,
 * or neither) the synthetic class of the router config.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouterConfigSchema } from "./config.ts";
 * import { classify, RouterPolicySchema, resolveProfile } from "./policy_config.ts";
 * const doc = RouterPolicySchema.parse({
 *   default_policy_family: "standard",
 *   uncached_isl_buckets: [{ min_tokens: 0, bucket: "cached" }, { min_tokens: 3072, bucket: "uncached" }],
 *   policy_classes: [
 *     { name: "cached", policy_family: "standard", cache_bucket: "cached", queue_policy: "wspt", quantum: 2048 },
 *     { name: "uncached", policy_family: "standard", cache_bucket: "uncached", quantum: 512 },
 *   ],
 * });
 * const profile = resolveProfile(doc, null, RouterConfigSchema.parse({}));
 * assert.equal(profile.classes[classify(profile, undefined, 3072)].name, "uncached");
 * assert.equal(profile.classes[classify(profile, "cached", 3071)].name, "cached"); // a class name is no selector
 * assert.equal(resolveProfile(null, null, RouterConfigSchema.parse({})).classes[0].name, "default");
 * ```
 */
export function resolveProfile(
  doc: RouterPolicy | null | undefined,
  modelName: string | null | undefined,
  config: RouterConfig,
): PolicyProfile {
  const chosen = chosenProfile(doc, modelName);
  return chosen ? compile(chosen) : syntheticProfile(config);
}

/** The profile of `doc` a run takes: `modelName`'s under `models:`, else the root's (undefined: none). */
function chosenProfile(
  doc: RouterPolicy | null | undefined,
  modelName: string | null | undefined,
): Profile | undefined {
  const models = doc?.models;
  return (modelName != null && models ? own(models, modelName) : undefined) ?? rootProfile(doc);
}

/**
 * Warnings about what the profile a run takes (`modelName`'s, else the root) sets to no effect: one naming
 * every class that sets `busy_worker_ratio`, which the reference validates and its offline replay, like
 * dynolab, ignores (a request queues only while every worker is busy for its class); none otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { policyWarnings, RouterPolicySchema } from "./policy_config.ts";
 * const doc = RouterPolicySchema.parse({
 *   default_policy_family: "f",
 *   uncached_isl_buckets: [{ min_tokens: 0, bucket: "all" }],
 *   policy_classes: [
 *     { name: "f", policy_family: "f", cache_bucket: "all", quantum: 1, prefill_busy_threshold: 0, busy_worker_ratio: 0.5 },
 *   ],
 * });
 * assert.match(policyWarnings(doc, null)[0], /router policy class "f" sets busy_worker_ratio, which has no effect/);
 * ```
 */
export function policyWarnings(
  doc: RouterPolicy | null | undefined,
  modelName: string | null | undefined,
): string[] {
  const named = (chosenProfile(doc, modelName)?.policy_classes ?? []).filter((c) =>
    c.busy_worker_ratio != null
  ).map((c) => q(c.name));
  if (named.length === 0) return [];
  return [
    `router policy class${named.length > 1 ? "es" : ""} ${named.join(", ")} set${
      named.length > 1 ? "" : "s"
    } busy_worker_ratio, which has no effect: the reference's offline replay, like dynolab, queues a request ` +
    "only while every worker is busy for its class",
  ];
}

/** The class of a request naming `requested` (a trace row's `policy_class`) with `uncached` prompt tokens. */
export function classify(profile: PolicyProfile, requested: string | undefined, uncached: number): number {
  const explicit = requested === undefined ? undefined : profile.explicit.get(requested);
  if (explicit !== undefined) return explicit;
  const family = (requested === undefined ? undefined : profile.families.get(requested)) ??
    profile.defaultFamily;
  const mins = profile.bucketMins;
  let bucket = 0;
  while (bucket + 1 < mins.length && mins[bucket + 1] <= uncached) bucket++;
  return profile.classOf[family * mins.length + bucket];
}

/** Whether a class ever queues: it has a busy threshold. */
export function queues(c: PolicyClass): boolean {
  return c.busyTokens !== null || c.busyFraction !== null;
}

function rootProfile(doc: RouterPolicy | null | undefined): Profile | undefined {
  if (doc?.default_policy_family === undefined) return undefined;
  return {
    default_policy_family: doc.default_policy_family,
    uncached_isl_buckets: doc.uncached_isl_buckets!,
    policy_classes: doc.policy_classes!,
  };
}

function syntheticProfile(config: RouterConfig): PolicyProfile {
  return {
    classes: [{
      name: "default",
      queuePolicy: config.router_queue_policy,
      quantum: 1,
      busyTokens: null,
      busyFraction: config.router_queue_threshold,
      limits: [null, null, null],
    }],
    explicit: new Map(),
    families: new Map([["default", 0]]),
    defaultFamily: 0,
    bucketMins: [0],
    classOf: [0],
  };
}

/** A validated profile's classes and classifier. */
function compile(p: Profile): PolicyProfile {
  const families = familyIndex(p);
  const bucketOf = new Map(p.uncached_isl_buckets.map((b, i) => [b.bucket, i]));
  const n = p.uncached_isl_buckets.length;
  const classOf: number[] = new Array(families.size * n).fill(-1);
  const explicit = new Map<string, number>();
  p.policy_classes.forEach((c, i) => {
    if (c.policy_family == null) explicit.set(c.name, i);
    else classOf[families.get(c.policy_family)! * n + bucketOf.get(c.cache_bucket!)!] = i;
  });
  return {
    classes: p.policy_classes.map((c) => ({
      name: c.name,
      queuePolicy: c.queue_policy,
      quantum: c.quantum,
      busyTokens: c.prefill_busy_threshold ?? null,
      busyFraction: c.prefill_busy_threshold_frac ?? null,
      limits: [
        c.request_queue_limit_per_worker ?? null,
        c.raw_isl_token_queue_limit_per_worker ?? null,
        c.cached_token_queue_limit_per_worker ?? null,
      ],
    })),
    explicit,
    families,
    defaultFamily: families.get(p.default_policy_family)!,
    bucketMins: p.uncached_isl_buckets.map((b) => b.min_tokens),
    classOf,
  };
}

function familyIndex(p: Profile): Map<string, number> {
  const families = new Map<string, number>();
  for (const c of p.policy_classes) {
    if (c.policy_family != null && !families.has(c.policy_family)) {
      families.set(c.policy_family, families.size);
    }
  }
  return families;
}

/** The first problem of a parsed document, in the reference's order and words; undefined when valid. */
function policyProblem(doc: RouterPolicy): string | undefined {
  const rootFields = [doc.default_policy_family, doc.uncached_isl_buckets, doc.policy_classes];
  const present = rootFields.filter((f) => f !== undefined).length;
  if (present > 0 && present < 3) {
    return "root profile must specify default_policy_family, uncached_isl_buckets, and policy_classes when any " +
      "root profile field is present";
  }
  const root = rootProfile(doc);
  const problem = (root && profileProblem(root, "root")) ??
    Object.entries(doc.models).map(([name, profile]) =>
      name === "" ? "model profile name must not be empty" : profileProblem(profile, `model ${q(name)}`)
    ).find((m) => m !== undefined) ??
    (doc.worker_selection && workerSelectionProblem(doc.worker_selection));
  if (problem) return problem;
  if (!root && Object.keys(doc.models).length === 0 && !doc.worker_selection) {
    return "router policy config must define a root profile, at least one model profile, or worker_selection";
  }
  return undefined;
}

function profileProblem(p: Profile, at: string): string | undefined {
  const buckets = p.uncached_isl_buckets, classes = p.policy_classes;
  const bad = identifierProblem(p.default_policy_family, at, "policy family");
  if (bad) return bad;
  if (classes.length === 0) return `${at} policy_classes must not be empty`;
  if (buckets.length === 0) return `${at} uncached_isl_buckets must not be empty`;
  if (buckets[0].min_tokens !== 0) return `${at} uncached_isl_buckets must start at min_tokens 0`;
  if (buckets.some((b, i) => i > 0 && b.min_tokens <= buckets[i - 1].min_tokens)) {
    return `${at} uncached_isl_buckets min_tokens must be strictly increasing`;
  }
  const bucketNames = new Set<string>();
  for (const b of buckets) {
    const bad = identifierProblem(b.bucket, at, "cache bucket");
    if (bad) return bad;
    if (bucketNames.has(b.bucket)) return `${at} contains duplicate cache bucket ${q(b.bucket)}`;
    bucketNames.add(b.bucket);
  }
  const classNames = new Set<string>();
  for (const c of classes) {
    const bad = classProblem(c, at, bucketNames);
    if (bad) return bad;
    if (classNames.has(c.name)) return `${at} contains duplicate policy class ${q(c.name)}`;
    classNames.add(c.name);
  }
  const families = familyIndex(p);
  if (!families.has(p.default_policy_family)) {
    return `${at} default_policy_family ${q(p.default_policy_family)} does not name a configured family`;
  }
  const bound = new Set<string>();
  for (const c of classes) {
    if (c.policy_family == null) {
      if (families.has(c.name)) {
        return `${at} explicit policy class ${q(c.name)} collides with a policy family`;
      }
      continue;
    }
    const pair = JSON.stringify([c.policy_family, c.cache_bucket]);
    if (bound.has(pair)) {
      return `${at} contains duplicate policy classes for family ${q(c.policy_family)} and bucket ${
        q(c.cache_bucket!)
      }`;
    }
    bound.add(pair);
  }
  for (const family of families.keys()) {
    for (const b of buckets) {
      if (!bound.has(JSON.stringify([family, b.bucket]))) {
        return `${at} is missing a policy class for family ${q(family)} and bucket ${q(b.bucket)}`;
      }
    }
  }
  return undefined;
}

function classProblem(
  c: Profile["policy_classes"][number],
  at: string,
  buckets: Set<string>,
): string | undefined {
  const named = `${at} policy class ${q(c.name)}`;
  const frac = c.prefill_busy_threshold_frac, ratio = c.busy_worker_ratio;
  const bad = identifierProblem(c.name, at, "policy class");
  if (bad) return bad;
  if (c.quantum === 0) return `${named} quantum must be greater than zero`;
  if (c.queue_policy === "lcfs") return `${named} queue_policy must be fcfs or wspt`;
  if (frac != null && !(Number.isFinite(frac) && frac >= 0)) {
    return `${named} prefill_busy_threshold_frac must be finite and non-negative`;
  }
  if (ratio != null) {
    if (!(Number.isFinite(ratio) && ratio > 0 && ratio <= 1)) {
      return `${named} busy_worker_ratio must be a finite fraction in (0.0, 1.0]`;
    }
    if (c.prefill_busy_threshold == null && frac == null) {
      return `${named} sets busy_worker_ratio but no prefill_busy_threshold or prefill_busy_threshold_frac, so ` +
        "no worker can ever be considered busy";
    }
  }
  const family = c.policy_family ?? undefined, bucket = c.cache_bucket ?? undefined;
  if (family === undefined && bucket === undefined) return undefined;
  if (family === undefined || bucket === undefined) {
    return `${named} must specify both policy_family and cache_bucket or neither for an explicit class`;
  }
  return identifierProblem(family, at, "policy family") ?? identifierProblem(bucket, at, "cache bucket") ??
    (buckets.has(bucket) ? undefined : `${named} references unknown cache bucket ${q(bucket)}`);
}

function workerSelectionProblem(ws: NonNullable<RouterPolicy["worker_selection"]>): string | undefined {
  const at = "worker_selection";
  const stages = STAGES.filter((s) => ws[s] != null);
  if (ws.instances.length === 0 && stages.length === 0) {
    return `${at} must define an instance or an aggregated, prefill, decode, or encode selection`;
  }
  const names = new Set<string>();
  for (const instance of ws.instances) {
    const bad = identifierProblem(instance.name, at, "instance") ??
      identifierProblem(instance.type, at, "policy type");
    if (bad) return bad;
    if (instance.name === "default") {
      return `${at} instance name 'default' is reserved for Dynamo's built-in selector`;
    }
    if (names.has(instance.name)) return `${at} contains duplicate instance ${q(instance.name)}`;
    names.add(instance.name);
  }
  const unknown = stages.find((s) => ws[s] !== "default" && !names.has(ws[s]!));
  return unknown && `${at} ${unknown} ${q(ws[unknown]!)} does not name a configured instance`;
}

function identifierProblem(name: string, at: string, kind: string): string | undefined {
  return /^[A-Za-z0-9_.-]+$/.test(name)
    ? undefined
    : `${at} ${kind} name ${q(name)} must match [A-Za-z0-9_.-]+`;
}

const q = JSON.stringify;
