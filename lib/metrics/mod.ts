/**
 * Metrics: the per-request collector, exact statistics, and the disaggregated hand-off summary.
 *
 * @module
 */
export { Collector, REJECT_REASONS, type RejectReason, Status } from "./collector.ts";
export { type HandoffSummary, handoffSummary, type StepSummary } from "./handoff.ts";
export { type RouterClassSummary, type RouterQueueSummary, routerQueueSummary } from "./router_queue.ts";
export { type Distribution, sortedOrder, summarize, summarizeSorted, summarizeWeighted } from "./stats.ts";
