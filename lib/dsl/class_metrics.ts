/**
 * Flattening a report's router-policy classes (`dynolab.router_queue.by_class`) into rows, one per class.
 *
 * | metric | report key (per class) |
 * | --- | --- |
 * | `class` | the class name |
 * | `requests` | `requests` (completed) |
 * | `ttftAvg`, `ttftP90`, `ttftMax` | `ttft_ms.mean`, `.p90`, `.max`, queue time included (null when none completed) |
 * | `waited`, `waitAvg`, `waitP90` | `waited`, `wait_ms.mean`, `.p90` (null when none waited) |
 * | `shed` | `shed` (requests refused at the class's queue limits) |
 *
 * @module
 */
import type { RouterQueueSummary } from "../metrics/mod.ts";
import type { Report } from "../report/mod.ts";
import type { MetricValue } from "./metrics.ts";

/** One router-policy class of one run. */
export interface ClassMetrics {
  readonly class: string;
  readonly requests: number;
  readonly ttftAvg: MetricValue;
  readonly ttftP90: MetricValue;
  readonly ttftMax: MetricValue;
  readonly waited: number;
  readonly waitAvg: MetricValue;
  readonly waitP90: MetricValue;
  readonly shed: number;
}

/**
 * Each router-policy class of `report`, in the report's order; empty for a run without policy classes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flattenClasses } from "./class_metrics.ts";
 * const report = { dynolab: { router_queue: { requests: 3, waited_share: 0, by_class: {
 *   short: { requests: 2, waited: 0, ttft_ms: { mean: 40, p90: 50, max: 55 }, shed: 0 },
 *   long: { requests: 1, waited: 1, wait_ms: { mean: 9, p90: 9, max: 9 }, ttft_ms: { mean: 90, p90: 90, max: 90 }, shed: 2 },
 * } } } };
 * const [short, long] = flattenClasses(report);
 * assert.deepEqual([short.class, short.ttftP90, short.waitAvg], ["short", 50, null]);
 * assert.deepEqual([long.class, long.waitAvg, long.shed], ["long", 9, 2]);
 * ```
 */
export function flattenClasses(report: Report): ClassMetrics[] {
  const byClass = (report.dynolab as { router_queue?: RouterQueueSummary } | undefined)?.router_queue
    ?.by_class;
  return Object.entries(byClass ?? {}).map(([name, c]) => ({
    class: name,
    requests: c.requests,
    ttftAvg: c.ttft_ms?.mean ?? null,
    ttftP90: c.ttft_ms?.p90 ?? null,
    ttftMax: c.ttft_ms?.max ?? null,
    waited: c.waited,
    waitAvg: c.wait_ms?.mean ?? null,
    waitP90: c.wait_ms?.p90 ?? null,
    shed: c.shed,
  }));
}
