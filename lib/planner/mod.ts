/**
 * The SLA/load planner in the loop: config, the pure decision state machine, its regressions and predictors,
 * and the runtime that drives a simulated cluster with it.
 *
 * @module
 */
export {
  type EffectivePlanner,
  effectivePlanner,
  minEndpoint,
  parsePlannerConfig,
  PLANNER_ALIASES,
  type PlannerConfig,
  type PlannerConfigInput,
  PlannerConfigObject,
  PlannerConfigSchema,
} from "./config.ts";
export { type ArimaModel, autoArima, forecast } from "./arima.ts";
export { type BootstrapStatus, decodeBootstrap, prefillBootstrap } from "./bootstrap.ts";
export { budgetClamp, globalBudget } from "./budget.ts";
export { type LoadReason } from "./load_scaling.ts";
export { AggModel, DecodeModel, PrefillModel } from "./perf_models.ts";
export {
  ArimaPredictor,
  ConstantPredictor,
  createPredictor,
  KalmanPredictor,
  type Predictor,
} from "./predictors.ts";
export { BucketedRegression, leastSquares, MovingAverage } from "../common/regression.ts";
export {
  type BootstrapInfo,
  capabilities,
  type EngineLoad,
  type IntervalTotals,
  MAX_TICK_RECORDS,
  PlannerRuntime,
  type PlannerSetup,
  type ScalingEvent,
  type TickRecord,
  type WorkerStates,
} from "./runtime.ts";
export {
  MERGE_TOLERANCE_S,
  PlannerStateMachine,
  type ScheduledTick,
  type TickDiagnostics,
  type TickEffects,
  type TickInput,
} from "./state_machine.ts";
export { type ThroughputReason } from "./throughput_scaling.ts";
export {
  arrivalSpanMs,
  checkTickBudget,
  MAX_PLANNER_TICKS,
  MAX_REPORT_INTERVALS,
  tickInterval,
} from "./tick_budget.ts";
export { TrafficWindow, trafficWindows } from "./traffic.ts";
export type {
  Component,
  EngineCapabilities,
  Fpm,
  PlannerCapabilities,
  ScalingDecision,
  TrafficObservation,
} from "./types.ts";
export { idleFpm, rankKvTokens } from "./types.ts";
