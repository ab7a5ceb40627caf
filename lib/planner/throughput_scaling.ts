/**
 * Throughput-based (predictive) scaling on each throughput tick, target `sla` only
 * (`core/throughput_scaling.py`): forecast the next window's requests, ISL and OSL, then size each pool so
 * that one engine's request rate at the SLA covers the demand.
 *
 * - Prefill (disagg): `replicas = max(⌈demand / engine_rps⌉, latency floor, min)`, where the latency floor
 *   `⌈ttft / SLA⌉` keeps a backlogged prefill pool from rounding down to one worker (§9 item 4).
 * - Decode (disagg): the largest batch meeting the ITL SLA, `engine_rps = bs / (OSL · wt)`.
 * - Agg: the batch sweep of {@link AggModel.bestEngineRps} under both SLAs.
 *
 * The regressions learn from each rank's passes, so every rate above is one rank's, sized against one rank's
 * KV share (`max_kv_tokens / dp`); a worker's rate is its ranks' sum. The reference divides the demand by one
 * rank's rate (and caps a rank's batch by the whole worker's KV), which asks for up to `dp` times the workers.
 *
 * @module
 */
import { type EffectivePlanner, minEndpoint } from "./config.ts";
import type { PlannerModels } from "./perf_models.ts";
import { type PlannerCapabilities, rankKvTokens } from "./types.ts";

/** Why a throughput tick did (not) act; the colours of the HTML timeline. */
export type ThroughputReason =
  | "scale"
  | "set_lower_bound"
  | "no_traffic_data"
  | "predict_failed"
  | "model_not_ready"
  | "disabled";

/** A throughput computation's outcome. */
export interface ThroughputOutcome {
  /** Replicas per component, or null when a model was not ready. */
  readonly prefill: number | null;
  readonly decode: number | null;
  readonly reason: ThroughputReason;
  /** One worker's request rate at the SLA (all its ranks), per component. */
  readonly engineRpsPrefill?: number;
  readonly engineRpsDecode?: number;
}

/** Inputs of one throughput computation. */
export interface ThroughputInput {
  readonly planner: EffectivePlanner;
  readonly caps: PlannerCapabilities;
  readonly models: PlannerModels;
  /** Forecast demand (requests/s), ISL, OSL and KV hit rate. */
  readonly demandRps: number;
  readonly isl: number;
  readonly osl: number;
  readonly hitRate: number | null;
  readonly accept: number;
}

/**
 * Replicas needed for the forecast demand, per component (agg workers count as decode); the worked cases are
 * in `tests/planner/scaling_test.ts`.
 */
export function throughputReplicas(i: ThroughputInput): ThroughputOutcome {
  const cfg = i.planner.config;
  if (cfg.mode === "agg") {
    const caps = i.caps.decode;
    const [rps] = i.models.agg!.bestEngineRps(
      i.isl,
      i.osl,
      caps.maxNumBatchedTokens,
      cfg.ttft_ms,
      cfg.itl_ms,
      rankKvTokens(caps),
      caps.maxNumSeqs,
      i.hitRate,
      i.accept,
    );
    if (rps <= 0) return { prefill: null, decode: null, reason: "model_not_ready" };
    const workerRps = rps * caps.ranks;
    const decode = Math.max(Math.ceil(i.demandRps / workerRps), minEndpoint(cfg, "decode"));
    return {
      prefill: null,
      decode,
      reason: "scale",
      engineRpsPrefill: workerRps,
      engineRpsDecode: workerRps,
    };
  }
  const p = prefillReplicas(i), d = decodeReplicas(i);
  if (p === null || d === null) {
    return {
      prefill: null,
      decode: null,
      reason: "model_not_ready",
      engineRpsPrefill: p?.rps,
      engineRpsDecode: d?.rps,
    };
  }
  return {
    prefill: p.replicas,
    decode: d.replicas,
    reason: "scale",
    engineRpsPrefill: p.rps,
    engineRpsDecode: d.rps,
  };
}

function prefillReplicas(i: ThroughputInput): { replicas: number; rps: number } | null {
  const cfg = i.planner.config, caps = i.caps.prefill!;
  const isl = i.isl * (1 - Math.min(1, Math.max(0, i.hitRate ?? 0)));
  const [rankRps, ttft] = i.models.prefill!.bestEngineRps(isl, caps.maxNumBatchedTokens);
  if (rankRps <= 0) return null;
  const rps = rankRps * caps.ranks;
  const floor = ttft > cfg.ttft_ms ? Math.ceil(ttft / cfg.ttft_ms) : 1;
  return { replicas: Math.max(Math.ceil(i.demandRps / rps), floor, minEndpoint(cfg, "prefill")), rps };
}

function decodeReplicas(i: ThroughputInput): { replicas: number; rps: number } | null {
  const cfg = i.planner.config, caps = i.caps.decode;
  const [rankRps] = i.models.decode!.bestEngineRps(
    cfg.itl_ms,
    i.isl + i.osl / 2,
    i.osl,
    rankKvTokens(caps),
    caps.maxNumSeqs,
    i.accept,
  );
  if (rankRps <= 0) return null;
  const rps = rankRps * caps.ranks;
  return { replicas: Math.max(Math.ceil(i.demandRps / rps), minEndpoint(cfg, "decode")), rps };
}
