/**
 * `simulate(spec) → Report`: the library's front door.
 *
 * {@link loadInputs} is the I/O edge (it reads the trace and what `run_inputs.ts` resolves); {@link runSimulation}
 * is the pure, deterministic core: the same inputs always give a byte-identical report.
 *
 * @module
 */
import { InputError } from "./common/errors.ts";
import {
  Cluster,
  type ClusterResult,
  type PoolSetup,
  type ScalingController,
  transferArgWarnings,
} from "./cluster/mod.ts";
import {
  hostTierSummary,
  lowerTiersSummary,
  type PassTotals,
  type ResolvedEngine,
  sideBlocks,
  sumPassTotals,
  typicalPasses,
} from "./engine/mod.ts";
import { Collector, handoffSummary, routerQueueSummary, Status } from "./metrics/mod.ts";
import { type KvCapacity, type OpBreakdown, speculativeConfig } from "./perf/mod.ts";
import { PlannerRuntime } from "./planner/mod.ts";
import { buildReport, plannerDetails, type Report, type ReportValue } from "./report/mod.ts";
import { policyWarnings, unusedConfigWarnings } from "./router/mod.ts";
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
import {
  type ArrivalStep,
  arrivalStep,
  clampWarnings,
  jitterArrivals,
  type Workload,
  workloadStats,
} from "./workload/mod.ts";
import { Rng } from "./common/rng.ts";
import { formatCount } from "./common/format.ts";

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
function checkWarmup(spec: SimSpec, workload: Workload): void {
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
  if (planner) report.planner = plannerDetails(planner, cluster.lifecycle);
  return { report, cluster, collector, planner };
}

/** The warning for a `startup_time` set in a run without a planner, whose fleet never adds a worker. */
function startupWarnings(resolved: readonly ResolvedEngine[]): string[] {
  return resolved.some((r) => r.args.startup_time != null && r.args.startup_time > 0)
    ? [
      "startup_time only delays the workers a planner adds; without a planner the fleet is fixed and it has no effect",
    ]
    : [];
}

/**
 * dynolab's additions to the report (under `dynolab`); `inputs` carry the workload as run (jittered), `step`
 * is the trace's own ({@link arrivalStep}) and `jitterMs` the arrival jitter it was run with.
 */
function runDetails(
  inputs: SimulationInputs,
  resolved: ResolvedEngine[],
  cluster: ClusterResult,
  collector: Collector,
  { step, jitterMs }: { step: ArrivalStep | null; jitterMs: number },
  plannerWarnings: readonly string[],
): { [key: string]: ReportValue } {
  const stats = workloadStats(inputs.workload);
  // The KV hit rate as the reference's planner averages it: over admissions, each prompt's routed overlap share.
  let hitSum = 0, hitCount = 0, admitted = 0, unarrived = 0, warmupInFlight = 0;
  const bs = resolved[0].config.blockSize;
  const router = cluster.pools[0].router;
  for (let r = 0; r < inputs.workload.requestCount; r++) {
    const sent = !Number.isNaN(collector.arrivalMs[r]);
    if (!sent && collector.warmup[r] === 0) unarrived++;
    if (sent && collector.warmup[r] === 1 && collector.status[r] === Status.Pending) warmupInFlight++;
    if (collector.admissions[r] === 0) continue;
    admitted++;
    const islBlocks = Math.ceil(inputs.workload.inputLength[r] / bs);
    if (collector.warmup[r] === 1 || islBlocks === 0) continue;
    hitSum += router.overlapBlocks[r] / islBlocks;
    hitCount++;
  }
  let decodeForwards = 0, decodeTokens = 0;
  for (const e of cluster.engines) {
    decodeForwards += e.decodeForwards;
    decodeTokens += e.decodeTokens;
  }
  const handoff = handoffSummary(collector);
  const routerQueue = routerQueueSummary(
    collector,
    inputs.spec.router.policy != null ? router.profile.classes.map((c) => c.name) : undefined,
  );
  return {
    workload: {
      name: inputs.workload.name,
      requests: stats.requests,
      sessions: stats.sessions,
      input_tokens: stats.inputTokens,
      output_tokens: stats.outputTokens,
      ...(step ? { arrival_step_ms: step.stepMs } : {}),
      ...(inputs.spec.spread_arrival_steps ? { arrival_jitter_ms: jitterMs } : {}),
    },
    pools: cluster.pools.map((pool, p) => ({
      role: pool.setup.stage,
      scheduler: pool.setup.config.policy,
      workers: pool.setup.workers,
      kv_capacity_blocks: pool.setup.config.numGpuBlocks,
      kv_capacity_source: pool.setup.config.kvCapacitySource,
      ...kvCapacityDetails(pool.setup.config.kvCapacity),
      block_size: pool.setup.config.blockSize,
      ...(pool.setup.config.stateBlocksPerSeq > 0
        ? { state_blocks_per_seq: pool.setup.config.stateBlocksPerSeq }
        : {}),
      ...(pool.setup.config.windowShare > 0
        ? {
          window_blocks_per_seq: sideBlocks(pool.setup.config, Infinity, 1) -
            pool.setup.config.stateBlocksPerSeq,
        }
        : {}),
      perf_model: pool.setup.perf.name,
      gpus_per_worker: pool.setup.config.gpusPerWorker,
      ranks_per_worker: pool.setup.config.dpSize,
      worker_seconds: cluster.workerSeconds[p],
      passes: sum(pool.workers.flatMap((w) => w.ranks.map((e) => e.passes))),
      preemptions: sum(pool.workers.flatMap((w) => w.ranks.map((e) => e.preemptions))),
      busy_ms: sum(pool.workers.flatMap((w) => w.ranks.map((e) => e.busyMs))),
      ...(pool.setup.config.hostTier
        ? {
          host_tier: { ...hostTierSummary(pool.setup.config.hostTier, pool.workers.flatMap((w) => w.ranks)) },
        }
        : {}),
      ...passDetails(pool.setup, sumPassTotals(pool.workers.flatMap((w) => w.ranks.map((e) => e.totals)))),
    })),
    ...(cluster.lowerTiers ? { lower_kv_tiers: lowerTiersSummary(cluster.lowerTiers) } : {}),
    router: cluster.pools[0].router.mode,
    mean_kv_hit_rate: hitCount > 0 ? hitSum / hitCount : 0,
    admitted_requests: admitted,
    warmup_requests: collector.warmup.reduce((a, b) => a + b, 0),
    mean_accept_length: decodeForwards > 0 ? decodeTokens / decodeForwards : 1,
    ...(handoff ? { handoff } : {}),
    ...(routerQueue ? { router_queue: routerQueue } : {}),
    simulated_end_ms: cluster.endMs,
    truncated: cluster.truncated,
    ...(cluster.truncated
      ? { unarrived_requests: unarrived, warmup_in_flight_requests: warmupInFlight }
      : {}),
    events: cluster.events,
    warnings: [
      ...stepWarning(step, jitterMs, inputs.spec.spread_arrival_steps),
      ...clampWarnings(inputs.workload.clampedInputTokens ?? 0, stats.inputTokens),
      ...resolved.flatMap((r) => r.warnings),
      ...(resolved.length === 2 ? transferArgWarnings(resolved[0].args, resolved[1].args) : []),
      ...(inputs.spec.router.mode === "kv_router"
        ? policyWarnings(inputs.spec.router.policy, inputs.spec.router.model_name)
        : unusedConfigWarnings(inputs.spec.router.mode, inputs.spec.router.config)),
      ...plannerWarnings,
    ],
  };
}

/**
 * The warning for a trace whose arrivals come in steps ({@link arrivalStep}) replayed with less jitter than
 * half a step: each step's requests then arrive at one instant, which queues them behind each other as no real
 * server would see (the Mooncake conversation trace: about a third more mean TTFT). With `spread` asked of a
 * trace without steps, the warning that there was nothing to spread.
 */
function stepWarning(step: ArrivalStep | null, jitterMs: number, spread: boolean): string[] {
  if (step == null) {
    return spread
      ? ["spread_arrival_steps: the trace's arrival times are not quantised, so it was replayed as is"]
      : [];
  }
  if (jitterMs >= step.stepMs / 2) return [];
  const shared = `${formatCount(step.requests)} requests at ${formatCount(step.instants)} instants, up to ` +
    `${step.peak} at one`;
  return [
    `the trace's arrival times come in steps of ${formatCount(step.stepMs)} ms (${shared}), so each step's ` +
    `requests arrive at one instant; --spread-arrival-steps (spread_arrival_steps) spreads them over their ` +
    `step, as --arrival-jitter-ms ${Math.ceil(step.stepMs / 2)} does`,
  ];
}

/** A pool's busy time by part and its typical passes ({@link typicalPasses}), for the report. */
function passDetails(setup: PoolSetup, totals: PassTotals): { [key: string]: ReportValue } {
  const { prefill, decode } = typicalPasses(setup.perf, setup.config, totals);
  const out: { [key: string]: ReportValue } = {
    busy_ms_by_part: { prefill: totals.prefillMs, decode: totals.decodeMs, overhead: totals.overheadMs },
  };
  const withOps = (pass: { [key: string]: ReportValue }, ops: OpBreakdown | undefined) =>
    ops ? { ...pass, ops_ms: { ...ops } } : pass;
  if (prefill) {
    out.typical_prefill_pass = withOps({
      requests: prefill.requests,
      mean_isl: prefill.meanIsl,
      mean_prefix: prefill.meanPrefix,
      ms: prefill.ms,
      overhead_ms: prefill.overheadMs,
    }, prefill.ops);
  }
  if (decode) {
    out.typical_decode_pass = withOps({
      requests: decode.requests,
      mean_context: decode.meanContext,
      active_kv_tokens: decode.activeKvTokens,
      ms: decode.ms,
      overhead_ms: decode.overheadMs,
    }, decode.ops);
  }
  return out;
}

/** How a derived KV capacity was reached, in GiB per GPU (empty for explicit or default capacities). */
function kvCapacityDetails(c: KvCapacity | undefined): { [key: string]: ReportValue } {
  if (!c) return {};
  const gib = (bytes: number) => bytes / 2 ** 30;
  return {
    kv_capacity_tokens: c.tokens,
    kv_capacity_derivation: {
      [c.fractionArg]: c.fraction,
      kv_gib: gib(c.kvBytes),
      weights_gib: gib(c.weightBytes),
      activations_gib: gib(c.activationBytes),
      reserved_gib: gib(c.reservedBytes),
      kv_bytes_per_token: c.kvBytesPerToken,
      ...(c.stateBytesPerSeq > 0 ? { state_bytes_per_seq: c.stateBytesPerSeq } : {}),
    },
  };
}

function sum(values: number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
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
