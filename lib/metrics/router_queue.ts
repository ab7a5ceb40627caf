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
  /** With policy classes: by class name, the measured requests that waited (and how long) or were shed. */
  readonly by_class?: Readonly<Record<string, RouterClassSummary>>;
};

/** One policy class's waits and sheds. */
export type RouterClassSummary = {
  /** Completed measured requests that waited in the class. */
  readonly waited: number;
  /** Their time in the queue (absent when none waited). */
  readonly wait_ms?: StepSummary;
  /** Measured requests shed at the class's queue limits. */
  readonly shed: number;
};

/**
 * Summarise the router-queue waits recorded in `c`, or `undefined` when no completed measured request waited
 * (no queue, or one that never filled). With `classNames` (the policy classes, by index), also by class.
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
 * assert.deepEqual(routerQueueSummary(c, ["default"])!.by_class, {
 *   default: { waited: 1, wait_ms: { mean: 8, p90: 8, max: 8 }, shed: 0 },
 * });
 * ```
 */
export function routerQueueSummary(
  c: Collector,
  classNames?: readonly string[],
): RouterQueueSummary | undefined {
  const n = c.status.length, wait = new Float64Array(n);
  let count = 0, waited = 0;
  for (let r = 0; r < n; r++) {
    if (c.status[r] !== Status.Completed || c.warmup[r] === 1) continue;
    count++;
    if (!Number.isNaN(c.routerHeldMs[r])) wait[waited++] = c.routerReleasedMs[r] - c.routerHeldMs[r];
  }
  if (waited === 0) return undefined;
  const summary = { requests: count, waited_share: waited / count, wait_ms: stepSummary(wait, waited) };
  return classNames ? { ...summary, by_class: byClass(c, classNames) } : summary;
}

/** The waits and sheds of each class that had any, in class order. */
function byClass(c: Collector, names: readonly string[]): Record<string, RouterClassSummary> {
  const out: Record<string, RouterClassSummary> = {};
  const wait = new Float64Array(c.status.length);
  names.forEach((name, k) => {
    let waited = 0, shed = 0;
    for (let r = 0; r < c.status.length; r++) {
      if (c.routerClass[r] !== k || c.warmup[r] === 1) continue;
      if (c.status[r] === Status.Rejected) shed++;
      else if (c.status[r] === Status.Completed && !Number.isNaN(c.routerHeldMs[r])) {
        wait[waited++] = c.routerReleasedMs[r] - c.routerHeldMs[r];
      }
    }
    if (waited > 0 || shed > 0) {
      out[name] = { waited, ...(waited > 0 ? { wait_ms: stepSummary(wait, waited) } : {}), shed };
    }
  });
  return out;
}
