/**
 * `aisimulate recommend`'s candidate-relative load, `traffic.load: {type: kv_capacity_fraction, fraction}`:
 * each candidate runs at the closed-loop concurrency whose requests would hold `fraction` of its KV capacity,
 * so candidates of different sizes are compared under the same memory pressure (AISimulate's `kv_load_ratio`).
 * At fraction 1 the in-flight requests, each holding its prompt and half its output on average, fill the
 * capacity of the aggregated workers (or the decode workers, disaggregated): every rank's usable KV tokens
 * times the attention-DP ranks and the replicas. Any fraction gives at least one request.
 *
 * @module
 */
import { parseConfig } from "../common/config.ts";
import { InputError } from "../common/errors.ts";
import { isObject, type Json } from "../common/json.ts";
import { resolvePools } from "../run_inputs.ts";
import type { SimulationInputs } from "../simulate.ts";
import { TrafficSchema } from "./predict_config.ts";
import { checkLoadKeys } from "./predict_spec.ts";

/** A candidate's load resolved from its KV capacity: the fields its ledger row records, AISimulate's names. */
export interface KvLoad {
  /** The fraction asked for. */
  readonly kv_load_ratio: number;
  /** The closed-loop concurrency the candidate runs at. */
  readonly concurrency: number;
  /** The concurrency at fraction 1. */
  readonly kv_load_concurrency_capacity: number;
  /** The KV tokens of the role the load is sized on (aggregated, or decode). */
  readonly kv_load_capacity_tokens: number;
  /** Each role's KV tokens, as `agg_kv_capacity_tokens` or `prefill_…` and `decode_kv_capacity_tokens`. */
  readonly [role: `${string}_kv_capacity_tokens`]: number;
}

/** What a `kv_capacity_fraction` load asks: the fraction and the synthetic requests' lengths. */
export interface KvLoadRequest {
  readonly fraction: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/**
 * The `kv_capacity_fraction` load of a concrete recommend candidate `config`, checked, or undefined when its
 * load is another type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kvLoadRequest } from "./recommend_kv_load.ts";
 * const traffic = (load: object) => ({ traffic: { source: { type: "synthetic", input_tokens: 2000 }, load } });
 * assert.deepEqual(kvLoadRequest(traffic({ type: "kv_capacity_fraction", fraction: 0.5 })), {
 *   fraction: 0.5, inputTokens: 2000, outputTokens: 128,
 * });
 * assert.equal(kvLoadRequest(traffic({ type: "concurrency", concurrency: 8 })), undefined);
 * ```
 */
export function kvLoadRequest(config: Json): KvLoadRequest | undefined {
  const load = isObject(config.traffic) ? config.traffic.load : undefined;
  if (!isObject(load) || load.type !== "kv_capacity_fraction") return undefined;
  const fail = (field: string, message: string): never => {
    throw new InputError(message, { field });
  };
  const { source, load: l } = parseConfig(TrafficSchema, config.traffic, "traffic");
  checkLoadKeys(l);
  if (l.fraction === undefined) return fail("traffic.load.fraction", "required by kv_capacity_fraction");
  if (source.type !== "synthetic") {
    return fail(
      "traffic.source.type",
      `kv_capacity_fraction sizes the load on a synthetic source's input_tokens and output_tokens, not a ` +
        `${source.type} source`,
    );
  }
  return { fraction: l.fraction, inputTokens: source.input_tokens, outputTokens: source.output_tokens };
}

/** `config` with its load replaced by a closed loop of `concurrency` requests. */
export function withConcurrency(config: Json, concurrency: number): Json {
  const out = structuredClone(config);
  (out.traffic as Json).load = { type: "concurrency", concurrency };
  return out;
}

/**
 * Each role's KV capacity in tokens, from a candidate's loaded inputs: per rank, its KV blocks (derived or
 * configured) times the block size, times the ranks of a worker and the workers; keyed `agg`, or `prefill` and
 * `decode`.
 */
export function roleCapacityTokens(inputs: SimulationInputs): Record<string, number> {
  const t = inputs.spec.topology;
  const roles = t.mode === "agg"
    ? [["agg", t.num_workers] as const]
    : [["prefill", t.num_prefill_workers] as const, ["decode", t.num_decode_workers] as const];
  const pools = resolvePools(t, inputs.perf);
  return Object.fromEntries(roles.map(([role, workers], i) => {
    const c = pools[i].config;
    return [role, c.numGpuBlocks * c.blockSize * c.dpSize * workers];
  }));
}

/**
 * The load `request` asks of a candidate whose roles hold `capacity` KV tokens ({@link roleCapacityTokens}):
 * sized on the decode role when there is one. A capacity that cannot hold one request is an error (the
 * candidate is infeasible).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kvLoad } from "./recommend_kv_load.ts";
 * // 100,000 tokens hold 90 requests of 1000 + 200/2 tokens; half of that is 45.
 * const load = kvLoad({ fraction: 0.5, inputTokens: 1000, outputTokens: 200 }, { agg: 100_000 });
 * assert.equal(load.concurrency, 45);
 * assert.equal(load.kv_load_concurrency_capacity, 90);
 * assert.equal(load.agg_kv_capacity_tokens, 100_000);
 * ```
 */
export function kvLoad(request: KvLoadRequest, capacity: Readonly<Record<string, number>>): KvLoad {
  const role = capacity.decode === undefined ? "agg" : "decode";
  const tokens = capacity[role];
  const perRequest = request.inputTokens + Math.floor(request.outputTokens / 2);
  const fit = Math.floor(tokens / perRequest);
  if (fit < 1) {
    throw new InputError(
      `${role} KV capacity ${tokens} tokens cannot hold the estimated ${perRequest} tokens per in-flight ` +
        "request",
      { field: "traffic.load.fraction" },
    );
  }
  return {
    kv_load_ratio: request.fraction,
    concurrency: Math.max(1, Math.floor(request.fraction * fit)),
    kv_load_concurrency_capacity: fit,
    kv_load_capacity_tokens: tokens,
    ...Object.fromEntries(Object.entries(capacity).map(([r, n]) => [`${r}_kv_capacity_tokens`, n])),
  };
}
