/**
 * `simulate(spec) → Report`: the library's front door.
 *
 * {@link loadInputs} is the I/O edge (it reads the trace); {@link runSimulation} is the pure, deterministic
 * core: the same inputs always give a byte-identical report.
 *
 * @module
 */
import { InputError } from "./common/errors.ts";
import { Cluster, type ClusterResult, type PoolSetup, type ScalingController } from "./cluster/mod.ts";
import { type EngineArgs, type ResolvedEngine, resolveEngineArgs, type WorkerRole } from "./engine/mod.ts";
import { Collector } from "./metrics/mod.ts";
import {
  createPerfModel,
  type KvCapacity,
  loadPerfInputs,
  type PerfInputs,
  speculativeConfig,
} from "./perf/mod.ts";
import {
  createPredictor,
  type EffectivePlanner,
  effectivePlanner,
  minEndpoint,
  PlannerRuntime,
  type TrafficObservation,
  trafficWindows,
} from "./planner/mod.ts";
import { buildReport, plannerDetails, type Report, type ReportValue } from "./report/mod.ts";
import { parseSpec, type SimSpec } from "./spec.ts";
import { loadMooncake, loadWorkload, type Workload, workloadStats } from "./workload/mod.ts";

/** Engine args of each pool of a spec's topology, with the role each plays. */
interface PoolArgs {
  readonly role: WorkerRole;
  readonly workers: number;
  readonly args: EngineArgs;
  readonly name: string;
}

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

/** What errors call each pool's engine args, and the planner's config: by default the CLI flag that sets them. */
export type PoolName = (role: WorkerRole | "planner") => string;

const CLI_POOL_NAMES: Readonly<Record<WorkerRole | "planner", string>> = {
  planner: "--planner-config",
  aggregated: "--extra-engine-args",
  prefill: "--prefill-engine-args",
  decode: "--decode-engine-args",
};

const cliName: PoolName = (role) => CLI_POOL_NAMES[role];

function poolArgs(spec: SimSpec, poolName: PoolName = cliName): PoolArgs[] {
  const t = spec.topology;
  const pools: Omit<PoolArgs, "name">[] = t.mode === "agg"
    ? [{ role: "aggregated", workers: t.num_workers, args: t.engine }]
    : [
      { role: "prefill", workers: t.num_prefill_workers, args: t.prefill_engine },
      { role: "decode", workers: t.num_decode_workers, args: t.decode_engine },
    ];
  return pools.map((p) => ({ ...p, name: poolName(p.role) }));
}

function resolvePools(
  spec: SimSpec,
  perf: readonly PerfInputs[] = [],
  poolName?: PoolName,
): ResolvedEngine[] {
  const pools = poolArgs(spec, poolName);
  const resolved = pools.map((p, i) => resolveEngineArgs(p.args, p.role, p.name, {}, perf[i] ?? {}));
  if (resolved.length === 2 && resolved[0].config.blockSize !== resolved[1].config.blockSize) {
    throw new InputError(
      `prefill block_size ${resolved[0].config.blockSize} differs from decode block_size ` +
        `${resolved[1].config.blockSize}; disaggregated workers must use the same block size`,
      { field: `${pools[1].name}.block_size` },
    );
  }
  return resolved;
}

/**
 * What a spec reads from disk besides its workload: each pool's perf inputs (a `config.json` model, AIC tables,
 * a planner profile) and the planner's warm-up windows (`load_predictor_warmup_trace`).
 */
export interface RunInputs {
  /** Each pool's perf inputs, in topology order. */
  readonly perf: readonly PerfInputs[];
  /** Traffic windows of `load_predictor_warmup_trace`, when the planner names one. */
  readonly plannerWarmup?: readonly TrafficObservation[];
}

/**
 * Check a spec against its run inputs as the run will resolve them (every pool's engine args with their perf
 * inputs, the pools together, the planner against the topology and the pools' GPUs) and return the engines' KV
 * block size. A problem throws an {@link InputError} naming the field as `poolName` calls its pool or planner.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSpec } from "./spec.ts";
 * import { checkRun } from "./simulate.ts";
 * const input = {
 *   workload: { source: "synthetic", input_tokens: 100, output_tokens: 10, request_count: 4 },
 *   replay_concurrency: 2,
 *   topology: { mode: "agg", num_workers: 1, engine: { block_size: 32 } },
 * } as const;
 * assert.equal(checkRun(parseSpec(input), []), 32);
 * const budget = parseSpec({ ...input, planner: { mode: "agg", max_gpu_budget: 0 } });
 * assert.throws(() => checkRun(budget, []), /--planner-config\.max_gpu_budget: 0 GPUs cannot hold/);
 * ```
 */
export function checkRun(spec: SimSpec, perf: readonly PerfInputs[], poolName?: PoolName): number {
  const resolved = resolvePools(spec, perf, poolName);
  resolvePlanner(spec, resolved, poolName);
  return resolved[0].config.blockSize;
}

/**
 * A loader of {@link RunInputs} for many specs (a sweep's): specs with equal pools share one read of their perf
 * inputs, and equal warm-up traces one read of the trace. Each loader has its own memo, so files edited between
 * two loaders' reads are read afresh.
 *
 * @param poolName What errors call each pool's engine args.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSpec } from "./spec.ts";
 * import { runInputsLoader } from "./simulate.ts";
 * const load = runInputsLoader();
 * const spec = parseSpec({
 *   workload: { source: "synthetic", input_tokens: 100, output_tokens: 10, request_count: 4 },
 *   replay_concurrency: 2,
 *   topology: { mode: "agg", num_workers: 1 },
 * });
 * assert.deepEqual(await load(spec), { perf: [{}] });
 * assert.equal(await load(spec), await load(spec));
 * ```
 */
export function runInputsLoader(poolName?: PoolName): (spec: SimSpec) => Promise<RunInputs> {
  const perfs = new Map<string, Promise<PerfInputs[]>>();
  const warmups = new Map<string, Promise<readonly TrafficObservation[]>>();
  const runs = new Map<string, Promise<RunInputs>>();
  const memo = <T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> => {
    let p = cache.get(key);
    if (!p) {
      p = load();
      cache.set(key, p);
      p.catch(() => cache.delete(key));
    }
    return p;
  };
  return (spec) => {
    const warmupTrace = spec.planner?.load_predictor_warmup_trace ?? null;
    const interval = spec.planner?.throughput_adjustment_interval_seconds;
    return memo(runs, JSON.stringify([spec.topology, warmupTrace, interval]), async () => {
      const perf = await memo(
        perfs,
        JSON.stringify(spec.topology),
        () => Promise.all(poolArgs(spec, poolName).map((p) => loadPerfInputs(p.args, p.name))),
      );
      if (warmupTrace == null) return { perf };
      const blockSize = checkRun(spec, perf, poolName);
      const plannerWarmup = await memo(
        warmups,
        JSON.stringify([warmupTrace, blockSize, interval]),
        async () => {
          const history = await loadMooncake(warmupTrace, { blockSize });
          return trafficWindows(history, interval!);
        },
      );
      return { perf, plannerWarmup };
    });
  };
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
export async function loadInputs(specInput: unknown): Promise<SimulationInputs> {
  const spec = parseSpec(specInput);
  const run = await runInputsLoader()(spec);
  return { spec, workload: await loadSpecWorkload(spec, checkRun(spec, run.perf)), ...run };
}

/** Load a validated spec's workload, interned at its engines' `blockSize` ({@link checkRun}). */
export function loadSpecWorkload(spec: SimSpec, blockSize: number): Promise<Workload> {
  return loadWorkload(spec.workload, {
    blockSize,
    speedup: spec.arrival_speedup_ratio,
    closedLoop: spec.replay_concurrency != null,
  });
}

/** Planner of a spec, checked against the topology; warnings to show once. */
function resolvePlanner(
  spec: SimSpec,
  resolved: ResolvedEngine[],
  poolName: PoolName = cliName,
): { planner: EffectivePlanner; gpus: number[]; warnings: string[] } | undefined {
  if (spec.planner == null) return undefined;
  const planner = effectivePlanner(spec.planner), cfg = planner.config, mode = spec.topology.mode;
  if (cfg.mode !== mode) {
    throw new InputError(
      cfg.mode === "agg" || cfg.mode === "disagg"
        ? `mode "${cfg.mode}" does not match the ${
          mode === "agg" ? "aggregated" : "disaggregated"
        } topology ` +
          `(${mode === "agg" ? poolName("aggregated") : `${poolName("prefill")}/${poolName("decode")}`})`
        : `mode "${cfg.mode}": the planner in the loop supports "agg" and "disagg"`,
      { field: `${poolName("planner")}.mode` },
    );
  }
  if (!planner.easyMode) createPredictor(cfg); // rejects unavailable predictors before the run
  const warnings = [...planner.notes];
  const configured = mode === "agg"
    ? [cfg.decode_engine_num_gpu]
    : [cfg.prefill_engine_num_gpu, cfg.decode_engine_num_gpu];
  const gpus = resolved.map((r, i) => configured[i] ?? r.config.gpusPerWorker);
  if (configured.some((g) => g === null)) {
    // Warnings go into the report, which must not depend on who ran it: no CLI or DSL names here.
    warnings.push(
      `${
        mode === "agg" ? "decode_engine_num_gpu" : "prefill_engine_num_gpu/decode_engine_num_gpu"
      } unset in the planner config: planner GPU-hours use the engine's GPUs per worker (TP × DP = ${
        gpus.join("/")
      }) instead of the reference's 0`,
    );
  }
  resolved.forEach((r, i) => {
    const min = minEndpoint(cfg, i === 0 && mode === "disagg" ? "prefill" : "decode");
    if (cfg.max_gpu_budget >= 0 && cfg.max_gpu_budget < min * r.config.gpusPerWorker) {
      throw new InputError(
        `${cfg.max_gpu_budget} GPUs cannot hold the minimum of ${min} worker(s) of ${r.config.gpusPerWorker} GPU(s) ` +
          `(the reference would scale to zero workers)`,
        { field: `${poolName("planner")}.max_gpu_budget` },
      );
    }
  });
  return { planner, gpus, warnings };
}

/** Extra participants of a run. */
export interface RunOptions {
  /**
   * A custom scaling participant (a scripted schedule, an experimental policy) for a spec without a planner.
   */
  readonly controller?: ScalingController;
}

/** Run a simulation on loaded inputs. Pure and deterministic. */
export function runSimulation(inputs: SimulationInputs, options: RunOptions = {}): SimulationResult {
  const { spec, workload } = inputs;
  if (options.controller && spec.planner != null) {
    throw new InputError("a run takes the spec's planner or a custom controller, not both", {
      field: "planner",
    });
  }
  const resolved = resolvePools(spec, inputs.perf);
  const pools: PoolSetup[] = poolArgs(spec).map((p, i) => ({
    stage: p.role,
    workers: p.workers,
    config: resolved[i].config,
    perf: createPerfModel(resolved[i].args, resolved[i].config, inputs.perf?.[i] ?? {}, p.name),
    acceptRates: speculativeConfig(resolved[i].args)?.acceptRates,
    mtpSeed: resolved[i].args.aic_mtp_seed,
  }));
  if (workload.blockSize !== pools[0].config.blockSize) {
    throw new InputError(
      `workload was loaded for block size ${workload.blockSize}, engines use ${pools[0].config.blockSize}`,
    );
  }
  if (spec.warmup_request_count >= workload.requestCount) {
    throw new InputError(
      `${spec.warmup_request_count} warm-up requests leave none of the workload's ${workload.requestCount} ` +
        "to measure; raise the request count or lower the warm-up",
      { field: "warmup_request_count" },
    );
  }
  const collector = new Collector(workload.requestCount);
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
    concurrency: spec.replay_concurrency ?? Infinity,
    warmupRequests: spec.warmup_request_count,
    limitMs: spec.max_sim_time_seconds != null ? spec.max_sim_time_seconds * 1000 : Infinity,
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
    extra: runDetails(inputs, resolved, cluster, collector, plan?.warnings ?? []),
  });
  if (planner) report.planner = plannerDetails(planner, cluster.lifecycle);
  return { report, cluster, collector, planner };
}

/** dynolab's additions to the report (under `dynolab`). */
function runDetails(
  inputs: SimulationInputs,
  resolved: ResolvedEngine[],
  cluster: ClusterResult,
  collector: Collector,
  plannerWarnings: readonly string[],
): { [key: string]: ReportValue } {
  const stats = workloadStats(inputs.workload);
  let overlap = 0, islBlocks = 0, admitted = 0;
  const bs = resolved[0].config.blockSize;
  const router = cluster.pools[0].router;
  for (let r = 0; r < inputs.workload.requestCount; r++) {
    if (collector.admissions[r] === 0) continue;
    admitted++;
    overlap += router.overlapBlocks[r];
    islBlocks += Math.ceil(inputs.workload.inputLength[r] / bs);
  }
  let decodeForwards = 0, decodeTokens = 0;
  for (const e of cluster.engines) {
    decodeForwards += e.decodeForwards;
    decodeTokens += e.decodeTokens;
  }
  return {
    workload: {
      name: inputs.workload.name,
      requests: stats.requests,
      sessions: stats.sessions,
      input_tokens: stats.inputTokens,
      output_tokens: stats.outputTokens,
    },
    pools: cluster.pools.map((pool, p) => ({
      role: pool.setup.stage,
      workers: pool.setup.workers,
      kv_capacity_blocks: pool.setup.config.numGpuBlocks,
      kv_capacity_source: pool.setup.config.kvCapacitySource,
      ...kvCapacityDetails(pool.setup.config.kvCapacity),
      block_size: pool.setup.config.blockSize,
      perf_model: pool.setup.perf.name,
      gpus_per_worker: pool.setup.config.gpusPerWorker,
      worker_seconds: cluster.workerSeconds[p],
      passes: sum(pool.workers.flatMap((w) => w.ranks.map((e) => e.passes))),
      preemptions: sum(pool.workers.flatMap((w) => w.ranks.map((e) => e.preemptions))),
      busy_ms: sum(pool.workers.flatMap((w) => w.ranks.map((e) => e.busyMs))),
    })),
    router: cluster.pools[0].router.mode,
    mean_kv_hit_rate: islBlocks > 0 ? overlap / islBlocks : 0,
    admitted_requests: admitted,
    warmup_requests: collector.warmup.reduce((a, b) => a + b, 0),
    mean_accept_length: decodeForwards > 0 ? decodeTokens / decodeForwards : 1,
    simulated_end_ms: cluster.endMs,
    truncated: cluster.truncated,
    events: cluster.events,
    warnings: [...resolved.flatMap((r) => r.warnings), ...plannerWarnings],
  };
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
