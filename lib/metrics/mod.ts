/**
 * Metrics: the per-request collector and exact statistics.
 *
 * @module
 */
export { Collector, REJECT_REASONS, type RejectReason, Status } from "./collector.ts";
export { type Distribution, sortedOrder, summarize, summarizeSorted, summarizeWeighted } from "./stats.ts";
