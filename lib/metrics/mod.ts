/**
 * Metrics: the per-request collector and exact statistics.
 *
 * @module
 */
export { Collector, Status } from "./collector.ts";
export { type Distribution, sortedOrder, summarize, summarizeSorted, summarizeWeighted } from "./stats.ts";
