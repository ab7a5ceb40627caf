/**
 * The scenario DSL: build scenarios fluently, sweep them in parallel with a result cache, and plot and publish
 * the results. See `lib/dsl/README.md`.
 *
 * @module
 */
import "./run.ts";

export { type Scenario, scenario, type Sweep } from "./scenario.ts";
export { around, range } from "./range.ts";
export {
  type BandComparison,
  compareBands,
  compareExtents,
  countLower,
  describeBands,
  type DescribedMetric,
  describeMetrics,
  type DescribeOptions,
  extent,
  type ExtentColumn,
  extentSteps,
  extentTable,
  formatSpan,
  type Outlier,
  outsideBand,
  type RowFilter,
} from "./band.ts";
export { REPLICAS, replicate, type ReplicateOptions, SIMULTANEOUS_ARRIVALS } from "./replicate.ts";
export { formatCount, formatFixed } from "../common/format.ts";
export { PassPrices, type PriceRow, priceScenario } from "./pass_prices.ts";
export { defaultParallelism, type RunOptions, runScenario } from "./run.ts";
export { Results, type ResultsJson, type Row, type RunResult, type ShardInfo } from "./results.ts";
export { DEFAULT_COLUMNS, flattenMetrics, METRIC_NAMES, type MetricValue } from "./metrics.ts";
export { type RunSeries, runSeries, type ScalingEvent } from "./series.ts";
export { Figure, type PanelOptions, type PlotOptions } from "./plot.ts";
export { cacheKey, DYNOLAB_VERSION, ResultCache } from "./cache.ts";
export { canonicalJson, sha256Hex } from "./hash.ts";
export {
  execute,
  type ExecuteOptions,
  type Job,
  type JobFailure,
  type JobResult,
  spawnWorkers,
} from "./execute.ts";
export {
  NAMED_TRACES,
  type NamedTrace,
  quantisedSteps,
  type ResolvedTrace,
  resolveTrace,
  spreadJitterMs,
  type TraceEnv,
} from "./traces.ts";
export { parseShard, selectShard, type Shard, shardFromEnv } from "./shard.ts";
export { mergeResults } from "./merge.ts";
export { ALIASES, lookupParam, PARAM_NAMES } from "./params.ts";
export { findSmallest, type SearchOptions, type SearchResult } from "./search.ts";
export type { PlannedRun } from "./plan.ts";
export type {
  AggOptions,
  DisaggOptions,
  EngineOptions,
  ParamName,
  ParamTypes,
  ParamValue,
  PlannerOptions,
  PoolOptions,
  RouterOptions,
  Scalar,
  SlaOptions,
  SyntheticOptions,
  TraceOptions,
} from "./types.ts";
export { type Displayable, JUPYTER_DISPLAY, type MimeBundle, show } from "./display.ts";
export { type Block, Findings } from "./findings.ts";
export { notebookFindings, publish } from "./publish.ts";
export { parseScriptArgs, runOptionsFromArgs, scenarioOf, slug } from "./cli.ts";
