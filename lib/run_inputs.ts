/**
 * What a run needs besides its spec, resolved and loaded at the I/O edge: each pool's engine args resolved
 * with its perf inputs, the planner checked against the topology, the perf inputs and the planner's warm-up
 * windows read from disk (shared across a sweep's specs), and the workload interned at the engines' block size.
 *
 * @module
 */
import { InputError } from "./common/errors.ts";
import { formatCount } from "./common/format.ts";
import { MAX_FLEET_BYTES, overFleetLimit, workerBytes } from "./cluster/mod.ts";
import {
  blockSizeSource,
  type EngineArgs,
  lowerTiersBytes,
  requestedBlockSize,
  type ResolvedEngine,
  resolveEngineArgs,
  type WorkerRole,
} from "./engine/mod.ts";
import {
  createPerfModel,
  loadPerfInputs,
  type PerfInputs,
  type PerfModel,
  speculativeConfig,
} from "./perf/mod.ts";
import {
  createPredictor,
  type EffectivePlanner,
  effectivePlanner,
  minEndpoint,
  type TrafficObservation,
  trafficWindows,
} from "./planner/mod.ts";
import type { SimSpec, Topology } from "./spec.ts";
import { isDynamoTrace, loadDynamoTrace, loadMooncake, loadWorkload, type Workload } from "./workload/mod.ts";

/** Engine args of one pool of a spec's topology, with the role it plays and what errors call it. */
export interface PoolArgs {
  readonly role: WorkerRole;
  readonly workers: number;
  readonly args: EngineArgs;
  readonly name: string;
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

/** Each pool of a topology, in topology order (prefill before decode). */
export function poolArgs(t: Topology, poolName: PoolName = cliName): PoolArgs[] {
  const pools: Omit<PoolArgs, "name">[] = t.mode === "agg"
    ? [{ role: "aggregated", workers: t.num_workers, args: t.engine }]
    : [
      { role: "prefill", workers: t.num_prefill_workers, args: t.prefill_engine },
      { role: "decode", workers: t.num_decode_workers, args: t.decode_engine },
    ];
  return pools.map((p) => ({ ...p, name: poolName(p.role) }));
}

/**
 * Each pool's engine args resolved with its perf inputs, in topology order; disaggregated pools must share a
 * block size.
 */
export function resolvePools(
  topology: Topology,
  perf: readonly PerfInputs[] = [],
  poolName?: PoolName,
): ResolvedEngine[] {
  const pools = poolArgs(topology, poolName);
  const resolved = pools.map((p, i) => resolveEngineArgs(p.args, p.role, p.name, {}, perf[i] ?? {}));
  if (resolved.length === 2 && resolved[0].config.blockSize !== resolved[1].config.blockSize) {
    // A hybrid or sliding-window model's block size is raised per parallelism (see `hybridBlockSize`).
    const raised = resolved.some((r) => r.config.blockSize !== requestedBlockSize(r.args));
    // Where a size came from, unless it was block_size itself or a model raised it.
    const sized = (r: ResolvedEngine) => {
      const source = blockSizeSource(r.args);
      return `${r.config.blockSize}${raised || source === "block_size" ? "" : ` (${source})`}`;
    };
    throw new InputError(
      `prefill block_size ${sized(resolved[0])} differs from decode block_size ${sized(resolved[1])}; ` +
        "disaggregated workers must use the same block size" +
        (raised
          ? " (this model's blocks are raised to fit its pages at each pool's parallelism; give both pools " +
            "parallelisms that raise them alike)"
          : ""),
      { field: `${pools[1].name}.block_size` },
    );
  }
  checkFleetMemory(pools, resolved);
  return resolved;
}

/**
 * Reject a starting fleet whose engines would allocate more than {@link MAX_FLEET_BYTES} (a num_gpu_blocks,
 * max_num_seqs, dp_size or worker count far beyond any deployment), naming the pool that holds the most.
 */
function checkFleetMemory(pools: readonly PoolArgs[], resolved: readonly ResolvedEngine[]): void {
  const bytes = resolved.map((r, i) => pools[i].workers * workerBytes(r.config));
  const tiered = resolved.findIndex((r) => r.config.lowerTiers !== null);
  const lower = tiered >= 0 ? resolved[tiered].config.lowerTiers : null;
  const lowerBytes = lower ? lowerTiersBytes(lower) : 0;
  const total = bytes.reduce((a, b) => a + b, 0) + lowerBytes;
  if (total <= MAX_FLEET_BYTES) return;
  const most = Math.max(...bytes);
  if (lowerBytes > most) {
    throw new InputError(
      `the disk KV tier's ${formatCount(lower!.disk!.blocks)} blocks would take the run's engines to ` +
        `${overFleetLimit(total)}; lower num_g3_blocks`,
      { field: `${pools[tiered].name}.num_g3_blocks` },
    );
  }
  const i = bytes.indexOf(most), c = resolved[i].config;
  // Blame the worker count when one worker fits many times over, else the engine args.
  const workersField = {
    aggregated: "num_workers",
    prefill: "num_prefill_workers",
    decode: "num_decode_workers",
  };
  const field = workerBytes(c) * 4 <= MAX_FLEET_BYTES
    ? `spec.topology.${workersField[pools[i].role]}`
    : pools[i].name;
  const fleet = `${formatCount(pools[i].workers)} worker(s) of ${formatCount(c.dpSize)} rank(s)`;
  throw new InputError(
    `the starting fleet's engines would allocate ${overFleetLimit(total)}: ${fleet}, each rank with ${
      formatCount(c.numGpuBlocks)
    } KV blocks` +
      (c.hostTier ? `, ${formatCount(c.hostTier.blocks)} host KV blocks` : "") +
      ` and ${formatCount(c.maxNumSeqs)} sequence slots; lower num_gpu_blocks` +
      (c.hostTier ? ", num_g2_blocks" : "") + ", max_num_seqs, dp_size or the workers",
    { field },
  );
}

/** A pool resolved to run: its args as the topology gives them, as resolved, and its perf model. */
export interface ResolvedPool extends PoolArgs {
  readonly engine: ResolvedEngine;
  readonly perf: PerfModel;
}

/** Each pool of a topology resolved with its perf inputs ({@link resolvePools}), with its perf model. */
export function resolvePoolModels(
  topology: Topology,
  perf: readonly PerfInputs[] = [],
  poolName?: PoolName,
): ResolvedPool[] {
  const resolved = resolvePools(topology, perf, poolName);
  return poolArgs(topology, poolName).map((p, i) => ({
    ...p,
    engine: resolved[i],
    perf: createPerfModel(resolved[i].args, resolved[i].config, perf[i] ?? {}, p.name),
  }));
}

/** Each pool's perf inputs read from disk (a `config.json` model, AIC tables, a profile), in topology order. */
export function loadPoolPerfInputs(topology: Topology, poolName?: PoolName): Promise<PerfInputs[]> {
  return Promise.all(poolArgs(topology, poolName).map((p) => loadPerfInputs(p.args, p.name)));
}

/**
 * What a spec reads from disk besides its workload: each pool's perf inputs (a `config.json` model, AIC tables,
 * a planner profile) and the planner's warm-up windows (`load_predictor_warmup_trace`).
 */
export interface RunInputs {
  /** Each pool's perf inputs, in topology order. */
  readonly perf: readonly PerfInputs[];
  /** The router-side perf model's inputs (`router.aic`), when it has any. */
  readonly routerPerf?: PerfInputs;
  /** Traffic windows of `load_predictor_warmup_trace`, when the planner names one. */
  readonly plannerWarmup?: readonly TrafficObservation[];
}

/**
 * Check a spec against its run inputs as the run will resolve them (every pool's engine args with their perf
 * inputs, the pools together, the planner against the topology and the pools' GPUs, the router-side perf
 * model) and return the engines' KV block size. A problem throws an {@link InputError} naming the field as `poolName` calls its pool or planner.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSpec } from "./spec.ts";
 * import { checkRun } from "./run_inputs.ts";
 * const input = {
 *   workload: { source: "synthetic", input_tokens: 100, output_tokens: 10, request_count: 4 },
 *   replay_concurrency: 2,
 *   topology: { mode: "agg", num_workers: 1, engine: { block_size: 32 } },
 * } as const;
 * assert.equal(checkRun(parseSpec(input), { perf: [] }), 32);
 * const budget = parseSpec({ ...input, planner: { mode: "agg", max_gpu_budget: 0 } });
 * assert.throws(() => checkRun(budget, { perf: [] }), /--planner-config\.max_gpu_budget: 0 GPUs cannot hold/);
 * ```
 */
export function checkRun(
  spec: SimSpec,
  inputs: Pick<RunInputs, "perf" | "routerPerf">,
  poolName?: PoolName,
): number {
  const resolved = resolvePools(spec.topology, inputs.perf, poolName);
  resolvePlanner(spec, resolved, poolName);
  routerPrefillModel(spec, inputs.routerPerf);
  return resolved[0].config.blockSize;
}

/** What errors call the router-side perf model's settings. */
const ROUTER_AIC = "router.aic";

/**
 * The router-side perf model (`router.aic`, the CLI's `--aic-*` flags) that prices one request's prefill for
 * `router_prefill_load_model: "aic"`, kernels only as AIC's estimate is; undefined without one.
 */
export function routerPrefillModel(spec: SimSpec, inputs: PerfInputs = {}): PerfModel | undefined {
  const aic = spec.router.aic;
  if (aic == null) return undefined;
  speculativeConfig(aic, ROUTER_AIC); // checked like the engines' though a prefill estimate has no drafts
  return createPerfModel(
    { ...aic, framework_overhead: false },
    { numGpuBlocks: 1, blockSize: 1 },
    inputs,
    ROUTER_AIC,
  );
}

/** What the router-side perf model reads from disk (a `config.json` model, AIC tables), if it has one. */
function loadRouterPerfInputs(spec: SimSpec): Promise<PerfInputs | undefined> {
  return spec.router.aic == null ? Promise.resolve(undefined) : loadPerfInputs(spec.router.aic, ROUTER_AIC);
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
 * import { runInputsLoader } from "./run_inputs.ts";
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
  return (spec) => {
    const warmupTrace = spec.planner?.load_predictor_warmup_trace ?? null;
    const interval = spec.planner?.throughput_adjustment_interval_seconds;
    return memo(runs, JSON.stringify([spec.topology, spec.router.aic, warmupTrace, interval]), async () => {
      const perf = await memo(
        perfs,
        JSON.stringify(spec.topology),
        () => loadPoolPerfInputs(spec.topology, poolName),
      );
      const routerPerf = await loadRouterPerfInputs(spec);
      const withRouter = routerPerf ? { perf, routerPerf } : { perf };
      if (warmupTrace == null) return withRouter;
      const blockSize = resolvePools(spec.topology, perf, poolName)[0].config.blockSize;
      const plannerWarmup = await memo(
        warmups,
        JSON.stringify([warmupTrace, blockSize, interval]),
        async () => {
          const history = await isDynamoTrace(warmupTrace)
            ? await loadDynamoTrace([warmupTrace], { blockSize, lengthsOnly: true })
            : await loadMooncake(warmupTrace, { blockSize });
          return trafficWindows(history, interval!);
        },
      );
      return { ...withRouter, plannerWarmup };
    });
  };
}

/**
 * `cache`'s promise for `key`, made by `load` on first use; a rejected one is dropped, so the next call tries
 * again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memo } from "./run_inputs.ts";
 * const cache = new Map<string, Promise<number>>();
 * let loads = 0;
 * const load = () => Promise.resolve(++loads);
 * assert.equal(await memo(cache, "a", load), await memo(cache, "a", load));
 * assert.equal(loads, 1);
 * ```
 */
export function memo<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) {
    p = load();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/**
 * What a spec's loaded workload depends on: specs with equal keys load equal workloads and can share one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { workloadKey } from "./run_inputs.ts";
 * import { parseSpec } from "./spec.ts";
 * const spec = (workers: number, speedup = 1) =>
 *   parseSpec({
 *     workload: { source: "trace", path: "trace.jsonl" },
 *     arrival_speedup_ratio: speedup,
 *     topology: { mode: "agg", num_workers: workers },
 *   });
 * assert.equal(workloadKey(spec(1), 16), workloadKey(spec(4), 16));
 * assert.notEqual(workloadKey(spec(1), 16), workloadKey(spec(1), 32));
 * assert.notEqual(workloadKey(spec(1), 16), workloadKey(spec(1, 2), 16));
 * ```
 */
export function workloadKey(spec: SimSpec, blockSize: number): string {
  return JSON.stringify([
    spec.workload,
    blockSize,
    spec.arrival_speedup_ratio,
    spec.replay_concurrency != null,
  ]);
}

/** Load a validated spec's workload, interned at its engines' `blockSize` ({@link checkRun}). */
export function loadSpecWorkload(spec: SimSpec, blockSize: number): Promise<Workload> {
  return loadWorkload(spec.workload, {
    blockSize,
    speedup: spec.arrival_speedup_ratio,
    closedLoop: spec.replay_concurrency != null,
  });
}

/** A spec's planner resolved for a run: its effective config, each pool's GPUs per worker, warnings to show. */
export interface ResolvedPlanner {
  readonly planner: EffectivePlanner;
  readonly gpus: number[];
  readonly warnings: string[];
}

/** The planner of a spec, checked against the topology and the pools' GPUs; undefined without one. */
export function resolvePlanner(
  spec: SimSpec,
  resolved: ResolvedEngine[],
  poolName: PoolName = cliName,
): ResolvedPlanner | undefined {
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
  const keys = mode === "agg"
    ? ["decode_engine_num_gpu"] as const
    : ["prefill_engine_num_gpu", "decode_engine_num_gpu"] as const;
  const configured = keys.map((k) => cfg[k]);
  const gpus = resolved.map((r, i) => configured[i] ?? r.config.gpusPerWorker);
  const unset = keys.flatMap((_, i) => configured[i] === null ? [i] : []);
  if (unset.length) {
    // Warnings go into the report, which must not depend on who ran it: no CLI or DSL names here.
    warnings.push(
      `${
        unset.map((i) => keys[i]).join("/")
      } unset in the planner config: planner GPU-hours use the engine's ` +
        `GPUs per worker (TP × DP = ${unset.map((i) => gpus[i]).join("/")}) instead of the reference's 0`,
    );
  }
  // The smallest fleet the planner may scale to: the minimum workers of every pool, at their GPUs each (the
  // GPUs the budget counts: `*_engine_num_gpu`, else TP × DP).
  const floor = resolved.map((_, i) => ({
    workers: minEndpoint(cfg, i === 0 && mode === "disagg" ? "prefill" : "decode"),
    gpus: gpus[i],
  }));
  const floorGpus = floor.reduce((a, f) => a + f.workers * f.gpus, 0);
  if (cfg.max_gpu_budget >= 0 && cfg.max_gpu_budget < floorGpus) {
    const parts = floor.map((f) => `${f.workers} worker(s) of ${f.gpus} GPU(s)`).join(" + ");
    throw new InputError(
      `${cfg.max_gpu_budget} GPUs cannot hold the minimum fleet, ${parts} = ${floorGpus} GPUs ` +
        `(the reference would scale to zero workers); raise it to at least ${floorGpus}, or -1 for no budget`,
      { field: `${poolName("planner")}.max_gpu_budget` },
    );
  }
  const t = spec.topology;
  const start = t.mode === "agg" ? [t.num_workers] : [t.num_prefill_workers, t.num_decode_workers];
  const startGpus = start.reduce((a, n, i) => a + n * gpus[i], 0);
  if (cfg.max_gpu_budget >= 0 && startGpus > cfg.max_gpu_budget) {
    warnings.push(
      `the starting fleet (${startGpus} GPUs) exceeds max_gpu_budget (${cfg.max_gpu_budget}): the planner ` +
        "applies the budget from its first scaling decision, as the reference does",
    );
  }
  return { planner, gpus, warnings };
}
