/**
 * Per-run time series, derived from the collector's per-request arrays after a run: request and completion
 * rates, queue depth, requests running, TTFT and ITL over time, and the worker counts. Pure.
 *
 * Worker counts come from the cluster's pools; a scaling event list is part of the shape so that planner runs
 * (issue 4) fill it, and is empty for static fleets.
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
  /** Workers serving, and workers started but not yet serving, per bucket (all pools). */
  readonly activeWorkers: number[];
  readonly startingWorkers: number[];
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
export function runSeries(collector: Collector, cluster: ClusterResult, bucketS?: number): RunSeries {
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
  const workers = cluster.pools.reduce((sum, p) => sum + p.workers.length, 0);
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
    activeWorkers: [],
    startingWorkers: [],
    scalingEvents: [],
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
    series.activeWorkers.push(workers);
    series.startingWorkers.push(0);
  }
  return series;
}

function round(v: number): number {
  return Number(v.toPrecision(10));
}
