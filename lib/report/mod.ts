/**
 * Reports: the JSON report with the reference's keys and the AIPerf-style summary table.
 *
 * @module
 */
export {
  assertFinite,
  buildReport,
  DISTRIBUTIONS,
  type GoodputSla,
  type Report,
  type ReportInputs,
  reportJson,
  reportJsonChunks,
  type ReportValue,
  sortKeys,
} from "./report.ts";
export { formatRunSummary, formatSummary, formatValue } from "./table.ts";
export { type RequestRecord, requestRecords, type RoutingStage } from "./jsonl.ts";
export { plannerDetails, plannerHtmlData, renderPlannerHtml, TICK_COLUMNS } from "./planner.ts";
export type { PlannerHtmlData } from "./planner_html.ts";
