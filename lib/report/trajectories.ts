/**
 * Trajectory metrics of agentic traces, with the reference's keys: how many trajectories (plays) completed,
 * and how long each took end to end.
 *
 * @module
 */
import { type Collector, Status, summarize } from "../metrics/mod.ts";
import type { Trajectories } from "../workload/mod.ts";
import type { Report } from "./report.ts";

/**
 * The trajectory keys of a report. A trajectory's end-to-end latency runs from its first request's dispatch
 * to its last request's end; it is counted only when every request of the trajectory completed. Trajectories
 * with a warm-up request are left out, as warm-up requests are.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Collector } from "../metrics/mod.ts";
 * import { trajectoryMetrics } from "./trajectories.ts";
 * const c = new Collector(3);
 * c.arrive(0, 0, false); c.complete(0, 100);
 * c.arrive(1, 150, false); c.complete(1, 400);
 * c.arrive(2, 10, false); // never ends
 * const m = trajectoryMetrics(c, { of: Int32Array.of(0, 0, 1), count: 2 });
 * assert.equal(m.completed_trajectories, 1);
 * assert.equal(m.incomplete_trajectories, 1);
 * assert.equal(m.mean_trajectory_e2e_latency_ms, 400);
 * ```
 */
export function trajectoryMetrics(c: Collector, { of, count }: Trajectories): Report {
  const start = new Float64Array(count).fill(Infinity), end = new Float64Array(count);
  const complete = new Uint8Array(count).fill(1), warm = new Uint8Array(count);
  for (let r = 0; r < of.length; r++) {
    const t = of[r];
    if (c.warmup[r] === 1) warm[t] = 1;
    if (c.status[r] !== Status.Completed) {
      complete[t] = 0;
      continue;
    }
    start[t] = Math.min(start[t], c.arrivalMs[r]);
    end[t] = Math.max(end[t], c.terminalMs[r]);
  }
  const latency = new Float64Array(count);
  let total = 0, completed = 0;
  for (let t = 0; t < count; t++) {
    if (warm[t] === 1) continue;
    total++;
    if (complete[t] === 1) latency[completed++] = end[t] - start[t];
  }
  const d = summarize(latency, completed);
  return {
    total_trajectories: total,
    completed_trajectories: completed,
    incomplete_trajectories: total - completed,
    mean_trajectory_e2e_latency_ms: d.mean,
    p50_trajectory_e2e_latency_ms: d.median,
    p90_trajectory_e2e_latency_ms: d.p90,
    p95_trajectory_e2e_latency_ms: d.p95,
    p99_trajectory_e2e_latency_ms: d.p99,
  };
}
