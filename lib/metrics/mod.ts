/**
 * Metrics: the per-request collector and exact statistics.
 *
 * @module
 */
export { Collector, Status } from "./collector.ts";
export { type Distribution, summarize, summarizeWeighted } from "./stats.ts";
