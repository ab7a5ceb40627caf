/**
 * Per-run time series, derived from the collector's per-request arrays after a run: request and completion
 * rates, queue depth, requests running, TTFT and ITL over time, and the worker counts. Pure.
 *
 * Worker counts follow the cluster's lifecycle log (workers starting, activated, cancelled, draining, removed),
 * so they are exact at each bucket's end; scaling events are the planner's, empty for a static fleet.
 *
 * @module
 */
import type { ClusterResult } from "../cluster/mod.ts";
import { type Collector, Status } from "../metrics/mod.ts";

/** A change of a pool's worker count. */
export interface ScalingEvent {
  readonly atS: number;
  readonly component: string;
  readonly from: number;
  readonly to: number;
  readonly reason: string;
}

/** Time series of one run, one value per bucket of `bucketS` seconds (`null`: no sample in the bucket). */
export interface RunSeries {
  readonly bucketS: number;
  /** Bucket start, simulated seconds. */
  readonly t: number[];
  /** Arrivals (dispatches in closed loop) per second. */
  readonly requestRate: number[];
  /** Completions per second. */
  readonly completionRate: number[];
  /** Requests arrived but not yet admitted by an engine, at the bucket's end. */
  readonly queued: number[];
  /** Requests admitted and not yet finished, at the bucket's end. */
  readonly running: number[];
  /** Mean and p90 TTFT (ms) of the completed requests that arrived in the bucket. */
  readonly ttftMs: (number | null)[];
  readonly ttftP90Ms: (number | null)[];
  /** Mean per-request ITL (ms) of the requests that completed in the bucket. */
  readonly itlMs: (number | null)[];
  /** Workers serving, started but not yet serving, and draining, at each bucket's end (all pools). */
  readonly activeWorkers: number[];
  readonly startingWorkers: number[];
  readonly drainingWorkers: number[];
  /** Active workers per pool role (`aggregated`, or `prefill` and `decode`). */
  readonly poolActive: Record<string, number[]>;
  /** The most workers active at any moment of the run (exact, not per bucket). */
  readonly peakActive: number;
  readonly scalingEvents: ScalingEvent[];
}

/** A bucket width giving about 150 buckets over `spanS`: 1, 2 or 5 × 10^k seconds. */
export function niceBucket(spanS: number): number {
  const raw = Math.max(spanS / 150, 1e-3);
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return Number((m * pow).toPrecision(6));
  return 10 * pow;
}

/**
 * Derive the time series of a finished run.
 *
 * @param bucketS Bucket width in seconds; default {@link niceBucket} of the run's span.
 */
export function runSeries(
  collector: Collector,
  cluster: ClusterResult,
  bucketS?: number,
  scalingEvents: readonly ScalingEvent[] = [],
): RunSeries {
  const endMs = Math.max(cluster.endMs, 1e-3);
  const w = (bucketS ?? niceBucket(endMs / 1000)) * 1000;
  const n = Math.max(1, Math.ceil(endMs / w));
  const arrivals = new Float64Array(n), completions = new Float64Array(n);
  const queuedDiff = new Float64Array(n + 1), runningDiff = new Float64Array(n + 1);
  const ttft: number[][] = Array.from({ length: n }, () => []);
  const itlSum = new Float64Array(n), itlCount = new Float64Array(n);
  const bucket = (t: number) => Math.min(n - 1, Math.max(0, Math.floor(t / w)));
  // An interval [s, e) covers the bucket ends (k + 1)·w with s ≤ (k + 1)·w < e.
  const cover = (diff: Float64Array, s: number, e: number) => {
    const k0 = Math.max(0, Math.ceil(s / w) - 1), k1 = Math.min(n, Math.max(0, Math.ceil(e / w) - 1));
    if (k1 > k0) {
      diff[k0]++;
      diff[k1]--;
    }
  };
  const c = collector;
  for (let r = 0; r < c.status.length; r++) {
    const a = c.arrivalMs[r];
    if (Number.isNaN(a)) continue;
    arrivals[bucket(a)]++;
    const terminal = Number.isNaN(c.terminalMs[r]) ? Infinity : c.terminalMs[r];
    const admit = Number.isNaN(c.firstAdmitMs[r]) ? terminal : c.firstAdmitMs[r];
    cover(queuedDiff, a, admit);
    cover(runningDiff, admit, terminal);
    if (c.status[r] !== Status.Completed) continue;
    completions[bucket(terminal)]++;
    ttft[bucket(a)].push(c.firstTokenMs[r] - a);
    const out = c.outputTokens[r];
    if (out > 1) {
      const k = bucket(terminal);
      itlSum[k] += (c.lastTokenMs[r] - c.firstTokenMs[r]) / (out - 1);
      itlCount[k]++;
    }
  }
  const states = workerStates(cluster, n, w);
  const series: RunSeries = {
    bucketS: w / 1000,
    t: [],
    requestRate: [],
    completionRate: [],
    queued: [],
    running: [],
    ttftMs: [],
    ttftP90Ms: [],
    itlMs: [],
    activeWorkers: states.active,
    startingWorkers: states.starting,
    drainingWorkers: states.draining,
    poolActive: states.poolActive,
    peakActive: states.peak,
    scalingEvents: scalingEvents.map((e) => ({
      atS: e.atS,
      component: e.component,
      from: e.from,
      to: e.to,
      reason: e.reason,
    })),
  };
  let queued = 0, running = 0;
  for (let k = 0; k < n; k++) {
    queued += queuedDiff[k];
    running += runningDiff[k];
    series.t.push(round((k * w) / 1000));
    series.requestRate.push(round(arrivals[k] / (w / 1000)));
    series.completionRate.push(round(completions[k] / (w / 1000)));
    series.queued.push(queued);
    series.running.push(running);
    const sorted = ttft[k].sort((x, y) => x - y);
    series.ttftMs.push(sorted.length ? round(sorted.reduce((s, v) => s + v, 0) / sorted.length) : null);
    series.ttftP90Ms.push(sorted.length ? round(sorted[Math.round((sorted.length - 1) * 0.9)]) : null);
    series.itlMs.push(itlCount[k] ? round(itlSum[k] / itlCount[k]) : null);
  }
  return series;
}

/** Worker counts by state at each bucket's end, replaying the cluster's lifecycle log. */
function workerStates(cluster: ClusterResult, n: number, w: number) {
  const pools = cluster.pools.length;
  const role = (p: number) => pools > 1 ? (p === 0 ? "prefill" : "decode") : "aggregated";
  const active = cluster.pools.map((pool, p) =>
    pool.workers.length - cluster.lifecycle.filter((op) => op.pool === p && op.op === "start").length
  );
  const starting = new Array(pools).fill(0), draining = new Array(pools).fill(0);
  const out = {
    active: [] as number[],
    starting: [] as number[],
    draining: [] as number[],
    poolActive: Object.fromEntries(cluster.pools.map((_, p) => [role(p), [] as number[]])),
  };
  const ops = cluster.lifecycle;
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  let i = 0, peak = sum(active);
  for (let k = 0; k < n; k++) {
    const end = (k + 1) * w;
    for (; i < ops.length && ops[i].atMs <= end; i++) {
      const { pool: p, op } = ops[i];
      if (op === "start") starting[p]++;
      else if (op === "activate") {
        starting[p]--;
        active[p]++;
      } else if (op === "cancel") starting[p]--;
      else if (op === "drain") {
        active[p]--;
        draining[p]++;
      } else if (op === "remove") draining[p]--;
      peak = Math.max(peak, sum(active));
    }
    out.active.push(sum(active));
    out.starting.push(sum(starting));
    out.draining.push(sum(draining));
    cluster.pools.forEach((_, p) => out.poolActive[role(p)].push(active[p]));
  }
  return { ...out, peak };
}

function round(v: number): number {
  return Number(v.toPrecision(10));
}
