/**
 * How long requests waited in the KV router's queue, over the completed measured requests.
 *
 * @module
 */
import { type Collector, REJECT_REASONS, Status } from "./collector.ts";
import { type StepSummary, stepSummary } from "./handoff.ts";

const ROUTER_QUEUE_LIMIT = REJECT_REASONS.indexOf("router_queue_limit") + 1;

/** Whether the router shed `r` at its class's queue limit. */
function shedAt(c: Collector, r: number): boolean {
  return c.status[r] === Status.Rejected && c.rejectReason[r] === ROUTER_QUEUE_LIMIT;
}

/** The router-queue waits of a run's completed measured requests. */
export type RouterQueueSummary = {
  /** Requests summarised. */
  readonly requests: number;
  /** Share of them that waited in the queue. */
  readonly waited_share: number;
  /** Time in the queue over those that waited (absent when none did). */
  readonly wait_ms?: StepSummary;
  /** With policy classes: each class's requests, their waits and TTFT, and the requests it shed. */
  readonly by_class?: Readonly<Record<string, RouterClassSummary>>;
};

/** One policy class's requests, waits, TTFT and sheds, over measured requests. */
export type RouterClassSummary = {
  /** Completed requests of the class. */
  readonly requests: number;
  /** Those that waited in the class's queue. */
  readonly waited: number;
  /** Their time in the queue (absent when none waited). */
  readonly wait_ms?: StepSummary;
  /** TTFT of the class's completed requests, queue time included (absent when none completed). */
  readonly ttft_ms?: StepSummary;
  /** Requests shed at the class's queue limits. */
  readonly shed: number;
};

/**
 * Summarise the router-queue waits recorded in `c`. Without `classNames`, `undefined` when no measured request
 * waited (no queue, or one that never filled). With them (the policy classes, by index), also by class, and
 * `undefined` only when no measured request completed or was shed: classes that never queue still break
 * TTFT down by class.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Collector } from "./collector.ts";
 * import { routerQueueSummary } from "./router_queue.ts";
 * const c = new Collector(2);
 * for (const r of [0, 1]) {
 *   c.arrive(r, 0);
 *   c.routerClassed(r, 0);
 *   c.admit(r, 10, 0, 0);
 *   c.tokens(Int32Array.of(r), Int32Array.of(1, 1), 1, 10, 20 + 10 * r);
 *   c.complete(r, 50);
 * }
 * assert.equal(routerQueueSummary(c), undefined);
 * assert.equal(routerQueueSummary(c, ["default"])!.by_class!.default.waited, 0);
 * c.routerHeld(1, 0);
 * c.routerReleased(1, 8);
 * const s = routerQueueSummary(c)!;
 * assert(s.requests === 2 && s.waited_share === 0.5 && s.wait_ms!.max === 8);
 * assert.deepEqual(routerQueueSummary(c, ["default"])!.by_class, {
 *   default: {
 *     requests: 2,
 *     waited: 1,
 *     wait_ms: { mean: 8, p90: 8, max: 8 },
 *     ttft_ms: { mean: 25, p90: 30, max: 30 },
 *     shed: 0,
 *   },
 * });
 * ```
 */
export function routerQueueSummary(
  c: Collector,
  classNames?: readonly string[],
): RouterQueueSummary | undefined {
  const n = c.status.length, wait = new Float64Array(n);
  let count = 0, waited = 0, shed = 0;
  for (let r = 0; r < n; r++) {
    if (c.warmup[r] === 1) continue;
    if (shedAt(c, r)) shed++;
    if (c.status[r] !== Status.Completed) continue;
    count++;
    if (!Number.isNaN(c.routerHeldMs[r])) wait[waited++] = c.routerReleasedMs[r] - c.routerHeldMs[r];
  }
  if (classNames ? count === 0 && shed === 0 : waited === 0) return undefined;
  const summary: RouterQueueSummary = {
    requests: count,
    waited_share: count > 0 ? waited / count : 0,
    ...(waited > 0 ? { wait_ms: stepSummary(wait, waited) } : {}),
  };
  return classNames ? { ...summary, by_class: byClass(c, classNames) } : summary;
}

/** The requests, waits, TTFT and sheds of each class that had any, in class order. */
function byClass(c: Collector, names: readonly string[]): Record<string, RouterClassSummary> {
  const out: Record<string, RouterClassSummary> = {};
  const n = c.status.length, wait = new Float64Array(n), ttft = new Float64Array(n);
  names.forEach((name, k) => {
    let requests = 0, waited = 0, shed = 0;
    for (let r = 0; r < n; r++) {
      if (c.routerClass[r] !== k || c.warmup[r] === 1) continue;
      if (shedAt(c, r)) shed++;
      if (c.status[r] !== Status.Completed) continue;
      ttft[requests++] = c.firstTokenMs[r] - c.arrivalMs[r];
      if (!Number.isNaN(c.routerHeldMs[r])) wait[waited++] = c.routerReleasedMs[r] - c.routerHeldMs[r];
    }
    if (requests === 0 && shed === 0) return;
    out[name] = {
      requests,
      waited,
      ...(waited > 0 ? { wait_ms: stepSummary(wait, waited) } : {}),
      ...(requests > 0 ? { ttft_ms: stepSummary(ttft, requests) } : {}),
      shed,
    };
  });
  return out;
}
