/**
 * How long requests waited in the KV router's queue, over the completed measured requests.
 *
 * @module
 */
import { type Collector, Status } from "./collector.ts";
import { type StepSummary, stepSummary } from "./handoff.ts";

/** The router-queue waits of a run's completed measured requests. */
export type RouterQueueSummary = {
  /** Requests summarised. */
  readonly requests: number;
  /** Share of them that waited in the queue. */
  readonly waited_share: number;
  /** Time in the queue over those that waited. */
  readonly wait_ms: StepSummary;
};

/**
 * Summarise the router-queue waits recorded in `c`, or `undefined` when no completed measured request waited
 * (no queue, or one that never filled).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Collector } from "./collector.ts";
 * import { routerQueueSummary } from "./router_queue.ts";
 * const c = new Collector(2);
 * for (const r of [0, 1]) {
 *   c.arrive(r, 0);
 *   c.admit(r, 10, 0, 0);
 *   c.complete(r, 50);
 * }
 * assert.equal(routerQueueSummary(c), undefined);
 * c.routerHeld(1, 0);
 * c.routerReleased(1, 8);
 * const s = routerQueueSummary(c)!;
 * assert(s.requests === 2 && s.waited_share === 0.5 && s.wait_ms.max === 8);
 * ```
 */
export function routerQueueSummary(c: Collector): RouterQueueSummary | undefined {
  const n = c.status.length, wait = new Float64Array(n);
  let count = 0, waited = 0;
  for (let r = 0; r < n; r++) {
    if (c.status[r] !== Status.Completed || c.warmup[r] === 1) continue;
    count++;
    if (!Number.isNaN(c.routerHeldMs[r])) wait[waited++] = c.routerReleasedMs[r] - c.routerHeldMs[r];
  }
  if (waited === 0) return undefined;
  return { requests: count, waited_share: waited / count, wait_ms: stepSummary(wait, waited) };
}
