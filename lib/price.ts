/**
 * `pricePasses(topology, shapes)`: what single forward passes of given shapes cost on a deployment's engines,
 * without simulating a workload. Each pool is resolved as a run resolves it (engine args, perf inputs, derived
 * KV capacity) and each pass priced as its engines charge it, with its time by operator family where the perf
 * model splits it: a static check of a deployment before (or beside) simulating it.
 *
 * @module
 */
import { z } from "zod";
import { parseConfig } from "./common/config.ts";
import { InputError } from "./common/errors.ts";
import {
  type EngineConfig,
  type PassPrice,
  priceDecodePass,
  pricePrefillPass,
  type WorkerRole,
} from "./engine/mod.ts";
import { sumSol } from "./perf/mod.ts";
import { loadPoolPerfInputs, type PoolName, resolvePoolModels } from "./run_inputs.ts";
import { TopologySchema } from "./spec.ts";

const positiveInt = z.number().int().positive();

/** A prefill-only pass: `requests` prompts of `isl` tokens, the first `prefix` of each already cached. */
export const PrefillShapeSchema = z.strictObject({
  requests: positiveInt.default(1),
  isl: positiveInt,
  prefix: z.number().int().nonnegative().default(0),
});

/**
 * A decode-only pass: `requests` sequences at `context` tokens each, with `kv` tokens of KV held on the engine
 * (default: the sequences' own, in whole blocks).
 */
export const DecodeShapeSchema = z.strictObject({
  requests: positiveInt.default(1),
  context: positiveInt,
  kv: positiveInt.optional(),
});

/** The passes to price: prefill passes on the pools that prefill, decode passes on those that decode. */
export const PassShapesSchema = z.strictObject({
  prefill: z.array(PrefillShapeSchema).default([]),
  decode: z.array(DecodeShapeSchema).default([]),
}).refine((s) => s.prefill.length + s.decode.length > 0, {
  error: "no pass to price: give prefill and/or decode shapes",
  path: ["prefill"],
});

/** {@link PassShapesSchema} as written. */
export type PassShapesInput = z.input<typeof PassShapesSchema>;

/** One priced pass: the pool, the pass's shape and its {@link PassPrice}. */
export interface PricedPass extends PassPrice {
  /** The pool's role: `aggregated`, `prefill` or `decode`. */
  readonly pool: WorkerRole;
  /** The pool's timing model (`analytic`, `aic-tables`, `profile`, `polynomial`, `fixed`). */
  readonly timing: string;
  readonly pass: "prefill" | "decode";
  readonly requests: number;
  /** Prefill: tokens of KV per prompt after the pass, and those cached before it. */
  readonly isl?: number;
  readonly prefix?: number;
  /** Decode: context per sequence, and KV tokens held on the engine. */
  readonly context?: number;
  readonly kv?: number;
  /**
   * The pass's speed of light (ms, before speed-up ratios: its kernels at the roofline, `lib/perf/sol.ts`),
   * when the perf model has one (analytic, AIC tables).
   */
  readonly solMs?: number;
}

/**
 * Price `shapes` on each pool of `topology` (the spec's `topology`: aggregated, or prefill and decode pools).
 * A shape is one engine rank's pass; under attention DP every rank of the group is taken to run the same.
 * Reads what the engine args name (a `config.json`, AIC tables, a profile). A pass the engine could not run
 * (more new tokens than `max_num_batched_tokens`, more sequences than `max_num_seqs`, more KV than the cache
 * holds) is an {@link InputError} naming the shape, the limit and the engine arg that sets it.
 *
 * @param poolName What errors call each pool's engine args (default: the CLI flags).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pricePasses } from "./price.ts";
 * const engine = { aic_backend: "vllm", aic_system: "h200_sxm", aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8" };
 * const [prefill, decode] = await pricePasses({ mode: "agg", engine }, {
 *   prefill: [{ isl: 4000 }],
 *   decode: [{ requests: 64, context: 4500 }],
 * });
 * assert.equal(prefill.timing, "analytic");
 * assert(prefill.ms > decode.ms && decode.ops!.attention > 0);
 * assert(decode.solMs! < decode.ms); // weights and KV streamed at full HBM bandwidth
 * ```
 */
export async function pricePasses(
  topology: unknown,
  shapes: PassShapesInput,
  poolName?: PoolName,
): Promise<PricedPass[]> {
  const t = parseConfig(TopologySchema, topology, "topology");
  const want = parseConfig(PassShapesSchema, shapes, "shapes");
  const pools = resolvePoolModels(t, await loadPoolPerfInputs(t, poolName), poolName);
  const out: PricedPass[] = [];
  for (const { role, engine: { config }, perf: model, name } of pools) {
    const base = { pool: role, timing: model.name };
    const roof = model.roofline?.();
    if (role !== "decode") {
      want.prefill.forEach((s, k) => {
        checkPrefill(s, k, config, name);
        const price = pricePrefillPass(model, config, s.requests, s.isl, s.prefix);
        const sol = roof && sumSol(Object.values(roof.prefill(s.requests, s.isl, s.prefix))).latencyMs;
        out.push({
          ...base,
          pass: "prefill",
          requests: s.requests,
          isl: s.isl,
          prefix: s.prefix,
          ...price,
          ...(sol === undefined ? {} : { solMs: sol }),
        });
      });
    }
    if (role !== "prefill") {
      want.decode.forEach((s, k) => {
        const kv = s.kv ?? s.requests * Math.ceil(s.context / config.blockSize) * config.blockSize;
        checkDecode(s.requests, kv, k, config, name);
        const price = priceDecodePass(model, config, s.requests, s.context, kv);
        const sol = roof && sumSol(Object.values(roof.decode(s.requests, s.context))).latencyMs;
        out.push({
          ...base,
          pass: "decode",
          requests: s.requests,
          context: s.context,
          kv,
          ...price,
          ...(sol === undefined ? {} : { solMs: sol }),
        });
      });
    }
  }
  return out;
}

type PrefillShape = z.output<typeof PrefillShapeSchema>;

function checkPrefill(s: PrefillShape, k: number, cfg: EngineConfig, pool: string): void {
  const field = `shapes.prefill.${k}`;
  if (s.prefix >= s.isl) {
    throw new InputError(
      `prefix ${s.prefix} must be below isl ${s.isl} (a pass computes at least one token)`,
      {
        field: `${field}.prefix`,
      },
    );
  }
  const tokens = s.requests * (s.isl - s.prefix);
  if (tokens > cfg.maxNumBatchedTokens) {
    throw new InputError(
      `${tokens} new tokens exceed the token budget, ${cfg.maxNumBatchedTokens} (${pool}.max_num_batched_tokens)` +
        "; the engine would chunk them over several passes",
      { field },
    );
  }
  checkSeqs(s.requests, field, cfg, pool);
}

function checkDecode(requests: number, kv: number, k: number, cfg: EngineConfig, pool: string): void {
  const field = `shapes.decode.${k}`;
  checkSeqs(requests, field, cfg, pool);
  const capacity = cfg.numGpuBlocks * cfg.blockSize;
  if (kv > capacity) {
    throw new InputError(
      `${kv} tokens of KV exceed the engine's cache, ${capacity} tokens (${pool}.num_gpu_blocks × block_size)`,
      { field },
    );
  }
}

function checkSeqs(requests: number, field: string, cfg: EngineConfig, pool: string): void {
  if (requests > cfg.maxNumSeqs) {
    throw new InputError(
      `${requests} requests exceed the ${cfg.maxNumSeqs} sequences one pass may hold (${pool}.max_num_seqs)`,
      { field: `${field}.requests` },
    );
  }
}
