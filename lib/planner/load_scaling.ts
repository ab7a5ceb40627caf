/**
 * Load-based (reactive) scaling on each load tick (`core/load_scaling.py`), from the latest FPM of every
 * engine rank.
 *
 * **SLA mode** scales up by one when *every* engine's estimated TTFT (ITL) exceeds the SLA, and down by one
 * only when consolidation is safe on every engine: with `N` workers becoming `N − 1`, each survivor absorbs
 * `N/(N − 1)` of the load, and the re-predicted queue-induced TTFT must stay within
 * `(SLA − T_own) · sensitivity` (decode: the scaled KV must fit and its ITL stay under `SLA · sensitivity`).
 * This is the reference's fix for 2 ↔ 1 oscillation (its §9 item 3).
 *
 * **Easy mode** (targets `throughput`, `latency`, `load`) compares static ratios with thresholds. The
 * reference skips prefill when `max_model_len` is unset (its default, §9 item 10); dynolab falls back to
 * `max_num_batched_tokens` as the context length.
 *
 * @module
 */
import { type EffectivePlanner, minEndpoint } from "./config.ts";
import type { PlannerModels } from "./perf_models.ts";
import { type Fpm, type PlannerCapabilities, rankKvTokens } from "./types.ts";

/** Why a load tick did (not) change the worker count; the colours of the HTML timeline. */
export type LoadReason =
  | "scale_up"
  /** dynolab: decode scaled up because every decode engine's KV is oversubscribed ({@link decodeSla}). */
  | "scale_up_kv"
  | "scale_down"
  | "scale_down_capped_by_throughput"
  | "scale_down_refused_consolidation"
  | "capped"
  | "no_change"
  | "disabled"
  | "no_fpm_data"
  | "scaling_in_progress"
  | "worker_count_mismatch"
  | "insufficient_data";

/** Everything one load decision reads. */
export interface LoadContext {
  readonly planner: EffectivePlanner;
  readonly caps: PlannerCapabilities;
  readonly models: PlannerModels;
  /** Sticky KV hit rate (the last prediction, or observation in load-only mode). */
  readonly hitRate: number | null;
  /** Decode tokens per forward (MTP), ≥ 1; divides per-token ITL estimates. */
  readonly accept: number;
}

/** A component decision: the desired worker count (null = no signal) and why. */
export interface Desire {
  desired: number | null;
  reason: LoadReason;
  /** Worst estimates over engines (ms), for diagnostics. */
  estTtftMs?: number;
  estItlMs?: number;
}

/** Whether the FPMs cover exactly `workers` workers with the same number of ranks each. */
export function reconcile(fpms: readonly Fpm[], workers: number): boolean {
  const ranks = new Map<number, number>();
  for (const f of fpms) ranks.set(f.worker, (ranks.get(f.worker) ?? 0) + 1);
  return ranks.size === workers && new Set(ranks.values()).size <= 1;
}

/**
 * Whether an engine's FPM shows no work: nothing scheduled in its pass, nothing queued. An idle engine is, by
 * definition, not overloaded and gains nothing from absorbing `N/(N − 1)` of its own (zero) load, so it vetoes
 * a scale-up and passes every consolidation check (dynolab). The reference judges it by its estimates, which
 * carry moving averages of the last busy passes (the agg ITL estimate prices a pass with the mean prefill
 * chunk): a fleet whose idle estimate sat above `sensitivity × SLA` never shrank while idle, and one above the
 * SLA grew to its GPU budget with no request in flight.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { idleFpm } from "./types.ts";
 * import { isIdle } from "./load_scaling.ts";
 * assert(isIdle(idleFpm(0, 0)));
 * assert(!isIdle({ ...idleFpm(0, 0), numDecode: 1, sumDecodeKvTokens: 900 }));
 * ```
 */
export function isIdle(f: Fpm): boolean {
  return f.numPrefill === 0 && f.numDecode === 0 && f.numQueuedPrefill === 0 && f.numQueuedDecode === 0 &&
    f.sumQueuedPrefillTokens === 0 && f.sumQueuedDecodeKvTokens === 0;
}

/**
 * Up by one if every estimate exceeds the SLA and none of the engines (`fpms`) is idle; down by one when allowed;
 * otherwise no signal.
 */
function scaleDecision(
  estimates: number[],
  sla: number,
  n: number,
  min: number,
  canDown: boolean,
  fpms: readonly Fpm[],
): Desire {
  if (estimates.length === 0) return { desired: null, reason: "insufficient_data" };
  if (!fpms.some(isIdle) && estimates.every((t) => t > sla)) return { desired: n + 1, reason: "scale_up" };
  if (n > 1 && canDown) return { desired: Math.max(n - 1, min), reason: "scale_down" };
  return { desired: null, reason: "no_change" };
}

function withEstimates(d: Desire, key: "estTtftMs" | "estItlMs", est: number[]): Desire {
  if (est.length) d[key] = Math.max(...est);
  return d;
}

/** SLA prefill (disagg): TTFT per engine from its queued prompt tokens. */
export function prefillSla(ctx: LoadContext, fpms: readonly Fpm[], n: number): Desire {
  const model = ctx.models.prefill!, cfg = ctx.planner.config;
  const mbt = ctx.caps.prefill!.maxNumBatchedTokens;
  if (!model.regression.hasSufficientData || n === 0) return { desired: null, reason: "insufficient_data" };
  const s = cfg.load_scaling_down_sensitivity / 100, grow = n > 1 ? n / (n - 1) : 1;
  // No estimate (no fitted model): no consolidation to judge, and no signal either (`est` stays empty).
  const ownS = n > 1 ? model.estimateNextTtft(0, mbt, ctx.hitRate) : null;
  let canDown = ownS !== null, refused = false;
  const own = (ownS ?? 0) * 1000;
  const budget = (cfg.ttft_ms - own) * s;
  const est: number[] = [];
  for (const f of fpms) {
    const t = model.estimateNextTtft(f.sumQueuedPrefillTokens, mbt, ctx.hitRate);
    if (t !== null) est.push(t * 1000);
    if (canDown && !isIdle(f)) {
      const post = model.estimateNextTtft(Math.trunc(f.sumQueuedPrefillTokens * grow), mbt, ctx.hitRate);
      if (post === null) canDown = false;
      else if (budget <= 0 || post * 1000 - own >= budget) (canDown = false), (refused = true);
    }
  }
  return refusedOr(
    scaleDecision(est, cfg.ttft_ms, n, minEndpoint(cfg, "prefill"), canDown, fpms),
    refused,
    est,
    "estTtftMs",
  );
}

/**
 * SLA decode (disagg): ITL per engine from its scheduled and queued KV. dynolab also scales up by one when
 * every engine's KV is oversubscribed (scheduled + queued KV ≥ its capacity): hand-offs then wait for decode KV
 * (their wait shows as prefill queueing), however short the ITL; the reference's ITL estimate alone never sees it.
 * To match, consolidation needs the survivors' KV under sensitivity × capacity (the reference: under capacity),
 * so a steady load between the two neither grows nor shrinks the pool.
 */
export function decodeSla(ctx: LoadContext, fpms: readonly Fpm[], n: number): Desire {
  const model = ctx.models.decode!, cfg = ctx.planner.config, maxKv = rankKvTokens(ctx.caps.decode);
  if (!model.regression.hasSufficientData || n === 0) return { desired: null, reason: "insufficient_data" };
  const s = cfg.load_scaling_down_sensitivity / 100, grow = n > 1 ? n / (n - 1) : 1;
  let canDown = n > 1, refused = false, oversubscribed = maxKv > 0 && fpms.length > 0;
  const est: number[] = [];
  for (const f of fpms) {
    const t = model.estimateNextItl(f.sumDecodeKvTokens, f.sumQueuedDecodeKvTokens);
    if (t !== null) est.push(t * 1000 / ctx.accept);
    const demand = f.sumDecodeKvTokens + f.sumQueuedDecodeKvTokens;
    if (isIdle(f) || demand < maxKv) oversubscribed = false;
    if (!canDown || isIdle(f)) continue;
    const post = Math.trunc(demand * grow);
    if (maxKv > 0 && post >= maxKv * s) {
      canDown = false;
      refused = true;
      continue;
    }
    const itl = model.estimateNextItl(post, 0);
    if (itl === null) canDown = false;
    else if (itl * 1000 / ctx.accept >= cfg.itl_ms * s) (canDown = false), (refused = true);
  }
  if (oversubscribed) return withEstimates({ desired: n + 1, reason: "scale_up_kv" }, "estItlMs", est);
  return refusedOr(
    scaleDecision(est, cfg.itl_ms, n, minEndpoint(cfg, "decode"), canDown, fpms),
    refused,
    est,
    "estItlMs",
  );
}

function refusedOr(d: Desire, refused: boolean, est: number[], key: "estTtftMs" | "estItlMs"): Desire {
  if (d.desired === null && refused) d.reason = "scale_down_refused_consolidation";
  return withEstimates(d, key, est);
}

/** SLA agg, prefill side: queued prompt tokens and decode KV both scaled by `N/(N − 1)`. */
function aggPrefill(ctx: LoadContext, fpms: readonly Fpm[], n: number, mbt: number): Desire {
  const model = ctx.models.agg!, cfg = ctx.planner.config;
  const s = cfg.load_scaling_down_sensitivity / 100, grow = n > 1 ? n / (n - 1) : 1;
  let canDown = n > 1, refused = false;
  const est: number[] = [];
  for (const f of fpms) {
    const t = model.estimateNextTtft(f.sumQueuedPrefillTokens, mbt, f.sumDecodeKvTokens, ctx.hitRate);
    if (t !== null) est.push(t * 1000);
    if (!canDown || isIdle(f)) continue;
    const kv = Math.trunc(f.sumDecodeKvTokens * grow);
    const own = model.estimateNextTtft(0, mbt, kv, ctx.hitRate);
    const post = model.estimateNextTtft(Math.trunc(f.sumQueuedPrefillTokens * grow), mbt, kv, ctx.hitRate);
    // No estimate (no fitted model): no consolidation to judge, and no signal either (`est` stays empty).
    if (own === null || post === null) {
      canDown = false;
      continue;
    }
    const ownMs = own * 1000, budget = (cfg.ttft_ms - ownMs) * s;
    if (budget <= 0 || post * 1000 - ownMs >= budget) (canDown = false), (refused = true);
  }
  const d = scaleDecision(est, cfg.ttft_ms, n, minEndpoint(cfg, "decode"), canDown, fpms);
  // A refusal is a signal ("keep N"), not a missing one: it must not let decode scale down alone.
  if (d.desired === null && refused) {
    return withEstimates({ desired: n, reason: "scale_down_refused_consolidation" }, "estTtftMs", est);
  }
  return withEstimates(d, "estTtftMs", est);
}

/** SLA agg, decode side: combined KV `(scheduled + queued KV + queued prompt) · N/(N − 1)`. */
function aggDecode(ctx: LoadContext, fpms: readonly Fpm[], n: number): Desire {
  const model = ctx.models.agg!, cfg = ctx.planner.config, maxKv = rankKvTokens(ctx.caps.decode);
  const s = cfg.load_scaling_down_sensitivity / 100, grow = n > 1 ? n / (n - 1) : 1;
  let canDown = n > 1, refused = false;
  const est: number[] = [];
  for (const f of fpms) {
    const t = model.estimateNextItl(f.sumDecodeKvTokens, f.sumQueuedDecodeKvTokens);
    if (t !== null) est.push(t * 1000 / ctx.accept);
    if (!canDown || isIdle(f)) continue;
    const post = Math.trunc(
      (f.sumDecodeKvTokens + f.sumQueuedDecodeKvTokens + f.sumQueuedPrefillTokens) * grow,
    );
    if (maxKv > 0 && post >= maxKv) {
      canDown = false;
      refused = true;
      continue;
    }
    const itl = model.estimateNextItl(post, 0);
    if (itl === null) canDown = false;
    else if (itl * 1000 / ctx.accept >= cfg.itl_ms * s) (canDown = false), (refused = true);
  }
  const d = scaleDecision(est, cfg.itl_ms, n, minEndpoint(cfg, "decode"), canDown, fpms);
  if (d.desired === null && refused) {
    return withEstimates({ desired: n, reason: "scale_down_refused_consolidation" }, "estItlMs", est);
  }
  return withEstimates(d, "estItlMs", est);
}

/**
 * SLA agg: any "up" wins (prefill first); "down" only if both sides want down (the larger target), or if
 * prefill has no signal. Neither side with an estimate (too few samples, or a regression that does not fit,
 * e.g. on a flat profile) is `insufficient_data`, no decision.
 */
export function aggSla(ctx: LoadContext, fpms: readonly Fpm[], n: number): Desire {
  if (!ctx.models.agg!.regression.hasSufficientData) return { desired: null, reason: "insufficient_data" };
  const p = aggPrefill(ctx, fpms, n, ctx.caps.decode.maxNumBatchedTokens);
  const d = aggDecode(ctx, fpms, n);
  if (p.reason === "insufficient_data" && d.reason === "insufficient_data") {
    return { desired: null, reason: "insufficient_data" };
  }
  const est = { estTtftMs: p.estTtftMs, estItlMs: d.estItlMs };
  const refused = p.reason === "scale_down_refused_consolidation" ||
    d.reason === "scale_down_refused_consolidation";
  let desired = n;
  if (p.desired !== null && p.desired > n) desired = p.desired;
  else if (d.desired !== null && d.desired > n) desired = d.desired;
  else if (p.desired === null && d.desired !== null && d.desired < n) desired = d.desired;
  else if (p.desired !== null && p.desired < n && d.desired !== null && d.desired < n) {
    desired = Math.max(p.desired, d.desired);
  }
  return {
    desired,
    reason: refused && desired === n ? "scale_down_refused_consolidation" : "no_change",
    ...est,
  };
}

/** Thresholds of easy mode by target: prefill ratio (queued / context) and KV utilisation. */
const EASY = {
  throughput: { prefillUp: 1.0, prefillDown: 0.1, kvUp: 1.0, kvDown: 0.6 },
  latency: { prefillUp: 0.1, prefillDown: 0.0, kvUp: 0.4, kvDown: 0.1 },
} as const;

/** Easy prefill: `queued / context_length` (or absolute queued tokens for target `load`). */
export function prefillEasy(ctx: LoadContext, fpms: readonly Fpm[], n: number): Desire {
  const cfg = ctx.planner.config, caps = ctx.caps.prefill!;
  if (n === 0 || fpms.length === 0) return { desired: null, reason: "insufficient_data" };
  let values: number[], up: number, down: number, downInclusive: boolean;
  if (cfg.optimization_target === "load") {
    values = fpms.map((f) => f.sumQueuedPrefillTokens);
    up = cfg.prefill_scale_up_queue_tokens!;
    down = cfg.prefill_scale_down_queue_tokens!;
    downInclusive = true;
  } else {
    const context = caps.contextLength ?? caps.maxNumBatchedTokens;
    const t = EASY[cfg.optimization_target === "latency" ? "latency" : "throughput"];
    values = fpms.map((f) => f.sumQueuedPrefillTokens / context);
    up = t.prefillUp;
    down = t.prefillDown;
    downInclusive = cfg.optimization_target === "latency";
  }
  if (values.some((v) => v >= up)) return { desired: n + 1, reason: "scale_up" };
  if (n > 1 && values.every((v) => (downInclusive ? v <= down : v < down))) {
    return { desired: Math.max(n - 1, minEndpoint(cfg, "prefill")), reason: "scale_down" };
  }
  return { desired: null, reason: "no_change" };
}

/** Easy decode/agg: KV utilisation `(scheduled + queued KV [+ queued prompt for agg]) / max_kv_tokens`. */
export function kvEasy(ctx: LoadContext, fpms: readonly Fpm[], n: number, withPrefill: boolean): Desire {
  const cfg = ctx.planner.config, maxKv = rankKvTokens(ctx.caps.decode);
  if (maxKv <= 0 || n === 0 || fpms.length === 0) return { desired: null, reason: "insufficient_data" };
  const load = cfg.optimization_target === "load";
  const t = EASY[cfg.optimization_target === "latency" ? "latency" : "throughput"];
  const up = load ? cfg.decode_scale_up_kv_rate! / 100 : t.kvUp;
  const down = load ? cfg.decode_scale_down_kv_rate! / 100 : t.kvDown;
  const utils = fpms.map((f) =>
    (f.sumDecodeKvTokens + f.sumQueuedDecodeKvTokens + (withPrefill ? f.sumQueuedPrefillTokens : 0)) / maxKv
  );
  if (utils.some((u) => (load ? u >= up : u > up))) return { desired: n + 1, reason: "scale_up" };
  if (n > 1 && utils.every((u) => (load ? u <= down : u < down))) {
    return { desired: Math.max(n - 1, minEndpoint(cfg, "decode")), reason: "scale_down" };
  }
  return { desired: null, reason: "no_change" };
}
