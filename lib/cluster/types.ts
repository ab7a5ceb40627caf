/**
 * The cluster's setup and result types, and its workers and pools as the planner and reports see them.
 *
 * @module
 */
import type { Engine, EngineConfig, LowerTiers } from "../engine/mod.ts";
import type { Collector } from "../metrics/mod.ts";
import type { PerfModel } from "../perf/mod.ts";
import type { Router, RouterConfig, RouterMode, RouterPolicy, RouterStage } from "../router/mod.ts";
import type { Workload } from "../workload/mod.ts";
import type { LifecycleOp, ScalingController, WorkerState } from "./lifecycle.ts";

/** How to build one pool of workers. */
export interface PoolSetup {
  readonly stage: RouterStage;
  readonly workers: number;
  readonly config: EngineConfig;
  /** Shared by the pool's ranks (models are pure). */
  readonly perf: PerfModel;
  /** Conditional acceptance rates when the engines speculate (MTP/Eagle). */
  readonly acceptRates?: readonly number[];
  /**
   * Base seed of the MTP draws (`aic_mtp_seed`): the pool's rank r (its workers in order of start, each one's
   * DP ranks in turn) uses seed + r, so another pool's size does not change its draws.
   */
  readonly mtpSeed?: number;
  /** Record each rank's operator time (its `opTotals`; a second pricing of each pass). */
  readonly recordOps?: boolean;
}

/** Everything the cluster needs; built by `lib/simulate.ts` from a spec. */
export interface ClusterSetup {
  readonly workload: Workload;
  /** One pool (agg) or two (prefill, decode). */
  readonly pools: readonly PoolSetup[];
  readonly routerMode: RouterMode;
  readonly routerConfig: RouterConfig;
  /** The first stage's router queue classes (`--router-policy-config`), and the model profile to take. */
  readonly routerPolicy?: { readonly doc: RouterPolicy | null; readonly modelName: string | null };
  /**
   * Prices one request's prefill (batch 1) for the first stage's router when `router_prefill_load_model` is
   * `aic`; absent otherwise.
   */
  readonly routerPrefillModel?: PerfModel;
  /** Closed-loop in-flight cap, or Infinity. */
  readonly concurrency: number;
  /**
   * Requests in AIPerf's warm-up phase (default 0): served, flagged in the collector, and drained before the
   * profiling phase starts (see `SessionDriver`).
   */
  readonly warmupRequests?: number;
  /** Stop time in ms, or Infinity. */
  readonly limitMs: number;
  readonly linkSharing: boolean;
  readonly seed: number;
  readonly collector: Collector;
  /** A participant that scales pools at run time (the planner); absent for a fixed deployment. */
  readonly controller?: ScalingController;
  /**
   * The most memory the live engines may allocate, bytes (default `MAX_FLEET_BYTES`, 8 GiB): a scale-up past it
   * is an input error. A removed worker's ranks give theirs back.
   */
  readonly maxFleetBytes?: number;
}

/**
 * A worker: one or more engine ranks (`dp_size`) in one pool; with attention DP its ranks are the group, which
 * steps together.
 */
export interface Worker {
  /** Index in its pool's `workers` (creation order). */
  readonly id: number;
  readonly pool: number;
  readonly ranks: readonly Engine[];
  state: WorkerState;
}

/** A pool's live state. */
export interface PoolState {
  readonly setup: PoolSetup;
  readonly router: Router;
  readonly workers: Worker[];
  /** Ranks requests can be routed to. */
  readonly candidates: Engine[];
}

/** What a finished run leaves behind for the report. */
export interface ClusterResult {
  readonly pools: readonly PoolState[];
  readonly engines: readonly Engine[];
  /** Simulated time when the loop stopped, ms. */
  readonly endMs: number;
  /** Whether `limitMs` cut the run short. */
  readonly truncated: boolean;
  /** Provisioned (starting, active and draining) worker-seconds per pool. */
  readonly workerSeconds: readonly number[];
  /** Active (routable) worker-seconds per pool. */
  readonly activeWorkerSeconds: readonly number[];
  /** Worker lifecycle steps after the start (empty without a controller). */
  readonly lifecycle: readonly LifecycleOp[];
  /** Events processed (a cost figure for benchmarks). */
  readonly events: number;
  /** The disk tier and object store the host tiers wrote through to, or null. */
  readonly lowerTiers: LowerTiers | null;
}
