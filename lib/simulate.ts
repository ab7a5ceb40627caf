/**
 * `simulate(spec) → Report`: the library's front door.
 *
 * {@link loadInputs} is the I/O edge (it reads the trace and what `run_inputs.ts` resolves); {@link runSimulation}
 * is the pure, deterministic core: the same inputs always give a byte-identical report.
 *
 * @module
 */
import { InputError } from "./common/errors.ts";
import { Cluster, type ClusterResult, type PoolSetup, type ScalingController } from "./cluster/mod.ts";
import { Collector } from "./metrics/mod.ts";
import { speculativeConfig } from "./perf/mod.ts";
import { PlannerRuntime } from "./planner/mod.ts";
import { assertFinite, buildReport, plannerDetails, type Report } from "./report/mod.ts";
import { runDetails, startupWarnings } from "./run_details.ts";
import {
  checkRun,
  loadSpecWorkload,
  memo,
  resolvePlanner,
  resolvePoolModels,
  routerPrefillModel,
  type RunInputs,
  runInputsLoader,
  workloadKey,
} from "./run_inputs.ts";
import { parseSpec, type SimSpec } from "./spec.ts";
import { arrivalStep, jitterArrivals, type Workload } from "./workload/mod.ts";
import { Rng } from "./common/rng.ts";

/** A validated spec with its loaded workload and {@link RunInputs}: all a run needs. */
export interface SimulationInputs extends Partial<RunInputs> {
  readonly spec: SimSpec;
  readonly workload: Workload;
}

/** A run's outcome: the report and the raw state behind it (for time series and custom analyses). */
export interface SimulationResult {
  readonly report: Report;
  readonly cluster: ClusterResult;
  readonly collector: Collector;
  /** The planner's run (ticks, scaling events, GPU-hours), when the spec has a planner. */
  readonly planner?: PlannerRuntime;
}

/**
 * Validate `specInput` and load its workload (reads files).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadInputs, runSimulation } from "./simulate.ts";
 * const inputs = await loadInputs({
 *   workload: { source: "synthetic", input_tokens: 1000, output_tokens: 50, request_count: 8 },
 *   replay_concurrency: 4,
 *   topology: { mode: "agg", num_workers: 1 },
 * });
 * assert(runSimulation(inputs).report.completed_requests === 8);
 * ```
 */
export function loadInputs(specInput: unknown): Promise<SimulationInputs> {
  return inputsLoader()(specInput);
}

/**
 * {@link loadInputs} for many specs, reading what they share once: each pool's perf inputs and the planner's
 * warm-up ({@link runInputsLoader}), and the workload, one object for every spec with an equal
 * {@link workloadKey}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inputsLoader } from "./simulate.ts";
 * const load = inputsLoader();
 * const spec = (workers: number) => ({
 *   workload: { source: "synthetic", input_tokens: 1000, output_tokens: 50, request_count: 8 },
 *   replay_concurrency: 4,
 *   topology: { mode: "agg", num_workers: workers },
 * });
 * const [one, two] = [await load(spec(1)), await load(spec(2))];
 * assert.equal(one.workload, two.workload);
 * ```
 */
export function inputsLoader(): (specInput: unknown) => Promise<SimulationInputs> {
  const loadRun = runInputsLoader();
  const workloads = new Map<string, Promise<Workload>>();
  return async (specInput) => {
    const spec = parseSpec(specInput);
    const run = await loadRun(spec);
    const blockSize = checkRun(spec, run);
    const workload = await memo(
      workloads,
      workloadKey(spec, blockSize),
      () => loadSpecWorkload(spec, blockSize),
    );
    checkWarmup(spec, workload);
    return { spec, workload, ...run };
  };
}

/** Refuse a warm-up that leaves no request of `workload` to measure. */
export function checkWarmup(spec: SimSpec, workload: Workload): void {
  if (spec.warmup_request_count >= workload.requestCount) {
    throw new InputError(
      `${spec.warmup_request_count} warm-up requests leave none of the workload's ${workload.requestCount} ` +
        "to measure; raise the request count or lower the warm-up",
      { field: "warmup_request_count" },
    );
  }
}

/** Extra participants of a run. */
export interface RunOptions {
  /**
   * A custom scaling participant (a scripted schedule, an experimental policy) for a spec without a planner.
   */
  readonly controller?: ScalingController;
  /**
   * Record every rank's operator time (each engine's `opTotals`), for diagnostics; a second pricing of each
   * pass. The report is the same either way.
   */
  readonly recordOps?: boolean;
}

/**
 * The tag of the arrival jitter's stream of `Rng(seed)`, apart from the cluster's draws and from the streams
 * the workload generators fork (tags 1–5 of `Rng(arrival_seed)`), which a seed equal to the arrival seed
 * would otherwise repeat.
 */
const JITTER_STREAM = 0x5eed_1177;

/** Run a simulation on loaded inputs. Pure and deterministic. */
export function runSimulation(inputs: SimulationInputs, options: RunOptions = {}): SimulationResult {
  const { spec } = inputs;
  // A closed loop ignores the trace's arrival times: no steps to report or spread.
  const step = spec.replay_concurrency == null ? arrivalStep(inputs.workload) : null;
  const jitterMs = spec.spread_arrival_steps ? (step ? step.stepMs / 2 : 0) : spec.arrival_jitter_ms;
  const workload = jitterArrivals(inputs.workload, jitterMs, new Rng(spec.seed).fork(JITTER_STREAM));
  if (options.controller && spec.planner != null) {
    throw new InputError("a run takes the spec's planner or a custom controller, not both", {
      field: "planner",
    });
  }
  const models = resolvePoolModels(spec.topology, inputs.perf);
  const resolved = models.map((p) => p.engine);
  const pools: PoolSetup[] = models.map((p) => ({
    stage: p.role,
    workers: p.workers,
    config: p.engine.config,
    perf: p.perf,
    acceptRates: speculativeConfig(p.engine.args)?.acceptRates,
    mtpSeed: p.engine.args.aic_mtp_seed,
    recordOps: options.recordOps,
  }));
  if (workload.blockSize !== pools[0].config.blockSize) {
    throw new InputError(
      `workload was loaded for block size ${workload.blockSize}, engines use ${pools[0].config.blockSize}`,
    );
  }
  checkWarmup(spec, workload);
  const limitMs = spec.max_sim_time_seconds != null ? spec.max_sim_time_seconds * 1000 : Infinity;
  const collector = new Collector(workload.requestCount, limitMs < Infinity);
  const plan = resolvePlanner(spec, resolved);
  const planner = plan && new PlannerRuntime({
    planner: plan.planner,
    benchmarkGranularity: spec.benchmark_granularity,
    workload,
    collector,
    gpusPerWorker: plan.gpus,
    warmup: inputs.plannerWarmup,
    openLoop: spec.replay_concurrency == null,
    limitMs,
  });
  const cluster = new Cluster({
    workload,
    pools,
    routerMode: spec.router.mode,
    routerConfig: spec.router.config,
    routerPolicy: { doc: spec.router.policy ?? null, modelName: spec.router.model_name ?? null },
    routerPrefillModel: routerPrefillModel(spec, inputs.routerPerf),
    concurrency: spec.replay_concurrency ?? Infinity,
    warmupRequests: spec.warmup_request_count,
    limitMs,
    linkSharing: spec.topology.mode === "disagg" && spec.topology.kv_transfer_link_sharing,
    seed: spec.seed,
    collector,
    controller: planner ?? options.controller,
  }).run();
  const last = pools.length - 1;
  const report = buildReport({
    collector,
    inputLength: workload.inputLength,
    prefillWorkerSeconds: pools.length > 1 ? cluster.workerSeconds[0] : 0,
    decodeWorkerSeconds: cluster.workerSeconds[last],
    prefillGpusPerWorker: pools.length > 1 ? pools[0].config.gpusPerWorker : 0,
    decodeGpusPerWorker: pools[last].config.gpusPerWorker,
    sla: spec.sla,
    trajectories: workload.trajectories,
    extra: runDetails(
      { ...inputs, workload },
      resolved,
      cluster,
      collector,
      { step, jitterMs },
      [
        ...plan?.warnings ?? [],
        ...planner?.budgetWarnings() ?? [],
        ...(planner || options.controller ? [] : startupWarnings(resolved)),
      ],
    ),
  });
  if (planner) {
    report.planner = plannerDetails(planner, cluster.lifecycle);
    assertFinite(report.planner, "report.planner");
  }
  return { report, cluster, collector, planner };
}

/**
 * Validate, load and run: `simulate(spec) → Report`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate } from "./simulate.ts";
 * const report = await simulate({
 *   workload: { source: "synthetic", input_tokens: 512, output_tokens: 16, request_count: 4, request_rate: 2 },
 *   topology: { mode: "agg", num_workers: 2 },
 * });
 * assert(report.completed_requests === 4);
 * ```
 */
export async function simulate(specInput: unknown): Promise<Report> {
  return runSimulation(await loadInputs(specInput)).report;
}
