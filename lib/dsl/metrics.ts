/**
 * Flattening a report into the camelCase metrics of a results row.
 *
 * | metric | report key |
 * | --- | --- |
 * | `ttftAvg`, `ttftMin`, `ttftMax`, `ttftP50`, `ttftP75`, `ttftP90`, `ttftP95`, `ttftP99`, `ttftStd` | `mean_ttft_ms`, …, `median_ttft_ms` (P50), … |
 * | the same for `ttst`, `tpot`, `itl` (pooled token gaps) and `e2e` (`*_e2e_latency_ms`), all in ms; null for a run that completed no request | |
 * | `throughput` | `output_throughput_tok_s` (output tokens per second) |
 * | `requestThroughput`, `inputThroughput`, `totalThroughput` | `request_throughput_rps`, `input_throughput_tok_s`, `total_throughput_tok_s` |
 * | `goodput` | `goodput_request_throughput_rps` (null without an SLA) |
 * | `goodputRatio` | `goodput_completed_requests / completed_requests` (null without an SLA) |
 * | `gpuHours` | `gpu_hours` (provisioned workers × GPUs per worker) |
 * | `prefixReuse`, `firstPrefixReuse` | `prefix_cache_reused_ratio`, `first_admission_prefix_cache_reused_ratio` |
 * | `kvHitRate` | `dynolab.mean_kv_hit_rate` (the mean, over admitted requests, of the share of the prompt's blocks the router found cached, as the reference's planner averages it) |
 * | `completed`, `rejected`, `incomplete`, `durationS` | `completed_requests`, …, `duration_ms / 1000` |
 * | `prefillBusyShare`, `decodeBusyShare`, `overheadBusyShare` | each part's share of every pool's busy time (`dynolab.pools[].busy_ms_by_part`) |
 * | `prefillPassMs`, `decodePassMs` | the typical prefill pass of the first pool and decode pass of the last, framework overhead included (`typical_*_pass.ms + overhead_ms`) |
 * | `handoffWaitShare`, `handoffWaitAvg`, `handoffTransferAvg` | `dynolab.handoff.waited_share`, `.decode_kv_wait_ms.mean` (over the requests that waited; null when none did), `.transfer_ms.mean` (disagg runs; null in agg) |
 * | `hostCopiedBack`, `hostSwapIns`, `hostStaged` | the blocks copied back from every pool's host KV tier, the requests parked for them, and the blocks of those staged up from the disk tier or object store (`dynolab.pools[].host_tier`; null without one) |
 * | `routerQueueShare`, `routerQueueWaitAvg` | `dynolab.router_queue.waited_share` (0 when nobody waited), `.wait_ms.mean` (null then) |
 * | `peakWorkers` | the most workers active at any moment (from the cluster's lifecycle log) |
 * | `workersAvg`, `prefillWorkersAvg`, `decodeWorkersAvg` | mean provisioned workers over the run, `dynolab.pools[].worker_seconds ÷ simulated_end_ms`: all pools, and each pool of a disaggregated run (null in agg) |
 * | `scalingEvents`, `plannerTicks`, `activeGpuHours` | `planner.scaling_events` (count), `planner.total_ticks`, `planner.gpu_hours.active` (runs with a planner) |
 *
 * @module
 */
import type { HostTierSummary } from "../engine/mod.ts";
import type { HandoffSummary, RouterQueueSummary } from "../metrics/mod.ts";
import type { Report } from "../report/mod.ts";
import type { RunSeries } from "./series.ts";

const STEMS: ReadonlyArray<[string, string, string]> = [
  ["ttft", "ttft", "_ms"],
  ["ttst", "ttst", "_ms"],
  ["tpot", "tpot", "_ms"],
  ["itl", "itl", "_ms"],
  ["e2e", "e2e_latency", "_ms"],
];
const STATS: ReadonlyArray<[string, string]> = [
  ["Avg", "mean"],
  ["Min", "min"],
  ["Max", "max"],
  ["P50", "median"],
  ["P75", "p75"],
  ["P90", "p90"],
  ["P95", "p95"],
  ["P99", "p99"],
  ["Std", "std"],
];

/** A metric value: a number, or null when the run has none (e.g. goodput without an SLA). */
export type MetricValue = number | null;

/** Every metric name a row has, in column order. */
export const METRIC_NAMES: readonly string[] = [
  ...STEMS.flatMap(([name]) => STATS.map(([suffix]) => `${name}${suffix}`)),
  "throughput",
  "requestThroughput",
  "inputThroughput",
  "totalThroughput",
  "goodput",
  "goodputRatio",
  "gpuHours",
  "prefixReuse",
  "firstPrefixReuse",
  "kvHitRate",
  "completed",
  "rejected",
  "incomplete",
  "durationS",
  "prefillBusyShare",
  "decodeBusyShare",
  "overheadBusyShare",
  "prefillPassMs",
  "decodePassMs",
  "handoffWaitShare",
  "handoffWaitAvg",
  "handoffTransferAvg",
  "hostCopiedBack",
  "hostSwapIns",
  "hostStaged",
  "routerQueueShare",
  "routerQueueWaitAvg",
  "peakWorkers",
  "workersAvg",
  "prefillWorkersAvg",
  "decodeWorkersAvg",
  "scalingEvents",
  "plannerTicks",
  "activeGpuHours",
];

/** The metrics a results table shows by default. */
export const DEFAULT_COLUMNS: readonly string[] = [
  "ttftAvg",
  "ttftP90",
  "itlAvg",
  "itlP90",
  "e2eP90",
  "throughput",
  "goodputRatio",
  "gpuHours",
  "prefixReuse",
  "scalingEvents",
  "peakWorkers",
];

/**
 * The flattened metrics of a report (and its time series, for `peakWorkers`). The planner metrics are present
 * only when the run had a planner.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flattenMetrics } from "./metrics.ts";
 * const m = flattenMetrics({ mean_ttft_ms: 12, median_ttft_ms: 10, gpu_hours: 0.5, completed_requests: 4 });
 * assert(m.ttftAvg === 12 && m.ttftP50 === 10 && m.gpuHours === 0.5 && m.goodput === null);
 * assert(flattenMetrics({ mean_ttft_ms: 0, completed_requests: 0, rejected_requests: 4 }).ttftAvg === null);
 * const pools = [{ busy_ms_by_part: { prefill: 1, decode: 3, overhead: 0 }, typical_decode_pass: { ms: 4, overhead_ms: 0.5 } }];
 * const p = flattenMetrics({ dynolab: { pools } });
 * assert(p.decodeBusyShare === 0.75 && p.decodePassMs === 4.5 && p.prefillPassMs === null);
 * assert(p.handoffWaitShare === null); // an aggregated run has no hand-offs
 * const disagg = { simulated_end_ms: 10_000, pools: [{ role: "prefill", worker_seconds: 10 }, { role: "decode", worker_seconds: 25 }] };
 * const f = flattenMetrics({ dynolab: disagg });
 * assert(f.workersAvg === 3.5 && f.prefillWorkersAvg === 1 && f.decodeWorkersAvg === 2.5);
 * ```
 */
export function flattenMetrics(report: Report, series?: RunSeries): Record<string, MetricValue> {
  const num = (key: string): MetricValue => typeof report[key] === "number" ? report[key] as number : null;
  const out: Record<string, MetricValue> = {};
  const completed = num("completed_requests");
  // The report writes an empty distribution as zeros, as the reference does; a row says the run has none.
  const served = completed === null || completed > 0;
  for (const [name, stem, unit] of STEMS) {
    for (const [suffix, stat] of STATS) {
      out[`${name}${suffix}`] = served ? num(`${stat}_${stem}${unit}`) : null;
    }
  }
  const good = num("goodput_completed_requests");
  const dyn = (report.dynolab ?? {}) as Record<string, unknown>;
  Object.assign(out, {
    throughput: num("output_throughput_tok_s"),
    requestThroughput: num("request_throughput_rps"),
    inputThroughput: num("input_throughput_tok_s"),
    totalThroughput: num("total_throughput_tok_s"),
    goodput: num("goodput_request_throughput_rps"),
    goodputRatio: good !== null && completed ? good / completed : null,
    gpuHours: num("gpu_hours"),
    prefixReuse: num("prefix_cache_reused_ratio"),
    firstPrefixReuse: num("first_admission_prefix_cache_reused_ratio"),
    kvHitRate: typeof dyn.mean_kv_hit_rate === "number" ? dyn.mean_kv_hit_rate : null,
    completed,
    rejected: num("rejected_requests"),
    incomplete: num("incomplete_requests"),
    durationS: num("duration_ms") !== null ? num("duration_ms")! / 1000 : null,
  });
  Object.assign(out, passMetrics(dyn.pools));
  const handoff = dyn.handoff as HandoffSummary | undefined;
  out.handoffWaitShare = handoff?.waited_share ?? null;
  out.handoffWaitAvg = handoff?.decode_kv_wait_ms?.mean ?? null;
  out.handoffTransferAvg = handoff?.transfer_ms.mean ?? null;
  Object.assign(out, hostTierMetrics(dyn.pools));
  const queue = dyn.router_queue as RouterQueueSummary | undefined;
  out.routerQueueShare = queue?.waited_share ?? (served ? 0 : null);
  out.routerQueueWaitAvg = queue?.wait_ms?.mean ?? null;
  out.peakWorkers = series?.peakActive ?? null;
  Object.assign(out, fleetMetrics(dyn.pools, dyn.simulated_end_ms));
  const planner = report.planner as
    | { scaling_events?: unknown[]; total_ticks?: number; gpu_hours?: { active?: number } }
    | undefined;
  if (planner) {
    out.scalingEvents = planner.scaling_events?.length ?? null;
    out.plannerTicks = planner.total_ticks ?? null;
    out.activeGpuHours = planner.gpu_hours?.active ?? null;
  }
  return out;
}

/** What a pool of `dynolab.pools` holds for {@link passMetrics}. */
interface PoolPasses {
  busy_ms_by_part?: { prefill: number; decode: number; overhead: number };
  typical_prefill_pass?: { ms: number; overhead_ms: number };
  typical_decode_pass?: { ms: number; overhead_ms: number };
}

/** The busy-time shares over every pool, and the typical prefill (first pool) and decode (last pool) pass. */
function passMetrics(value: unknown): Record<string, MetricValue> {
  const pools = (Array.isArray(value) ? value : []) as PoolPasses[];
  const part = (k: "prefill" | "decode" | "overhead") =>
    pools.reduce((a, p) => a + (p.busy_ms_by_part?.[k] ?? 0), 0);
  const busy = part("prefill") + part("decode") + part("overhead");
  const share = (k: "prefill" | "decode" | "overhead") => busy > 0 ? part(k) / busy : null;
  const passMs = (pass: { ms: number; overhead_ms: number } | undefined) =>
    pass ? pass.ms + pass.overhead_ms : null;
  return {
    prefillBusyShare: share("prefill"),
    decodeBusyShare: share("decode"),
    overheadBusyShare: share("overhead"),
    prefillPassMs: passMs(pools[0]?.typical_prefill_pass),
    decodePassMs: passMs(pools.at(-1)?.typical_decode_pass),
  };
}

/**
 * The blocks copied back from the pools' host KV tiers, the swap-ins and the blocks staged for them from the
 * lower tiers, null when no pool has a host tier.
 */
function hostTierMetrics(value: unknown): Record<string, MetricValue> {
  const tiers = (Array.isArray(value) ? value : []).flatMap((p: { host_tier?: HostTierSummary }) =>
    p.host_tier ? [p.host_tier] : []
  );
  const total = (k: "onboarded_blocks" | "swap_ins" | "staged_blocks") =>
    tiers.length ? tiers.reduce((a, t) => a + t[k], 0) : null;
  return {
    hostCopiedBack: total("onboarded_blocks"),
    hostSwapIns: total("swap_ins"),
    hostStaged: total("staged_blocks"),
  };
}

/** What a pool of `dynolab.pools` holds for {@link fleetMetrics}. */
interface PoolWorkers {
  role?: string;
  worker_seconds?: number;
}

/** Mean provisioned workers over the run: of every pool, and of each pool of a disaggregated run. */
function fleetMetrics(value: unknown, endMs: unknown): Record<string, MetricValue> {
  const pools = (Array.isArray(value) ? value : []) as PoolWorkers[];
  const endS = typeof endMs === "number" && endMs > 0 ? endMs / 1000 : 0;
  const mean = (of: PoolWorkers[]) =>
    endS > 0 && of.length > 0 ? of.reduce((a, p) => a + (p.worker_seconds ?? 0), 0) / endS : null;
  const role = (r: string) => pools.filter((p) => p.role === r);
  return {
    workersAvg: mean(pools),
    prefillWorkersAvg: mean(role("prefill")),
    decodeWorkersAvg: mean(role("decode")),
  };
}
