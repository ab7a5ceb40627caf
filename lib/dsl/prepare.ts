/**
 * Preparing a scenario's runs before any of them starts: resolve every trace reference, validate every spec
 * (schema, engine args with the files they name, pool compatibility), digest the files each run reads and
 * compute the cache keys; then load the workloads of the runs to simulate and check each run against its
 * workload (a warm-up that leaves no request to measure). Any problem throws here, naming the run, so a sweep
 * never fails half way through on bad input.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import type { WorkerRole } from "../engine/mod.ts";
import type { PerfInputs } from "../perf/mod.ts";
import { checkRun, loadSpecWorkload, type PoolName, type RunInputs, workloadKey } from "../run_inputs.ts";
import { checkWarmup } from "../simulate.ts";
import { parseSpec, type SimSpec } from "../spec.ts";
import type { Workload } from "../workload/mod.ts";
import { cacheKey } from "./cache.ts";
import { canonicalJson, fileDigest, sha256Hex } from "./hash.ts";
import type { TraceRef } from "./draft.ts";
import { inRun, type PlannedRun, runError } from "./plan.ts";
import { resolveTrace, type TraceEnv } from "./traces.ts";

/** A run ready to execute. */
export interface PreparedRun {
  readonly planned: PlannedRun;
  /** The validated spec, trace path resolved to a local file. */
  readonly spec: SimSpec;
  /** Runs with equal keys can share one loaded workload. */
  readonly workloadKey: string;
  /** The engines' KV block size, which the workload is interned at. */
  readonly blockSize: number;
  readonly cacheKey: string;
}

/**
 * Resolve, validate and key `runs`, reading their other inputs with `loadRunInputs` (pass the loader that will
 * run them in this thread, so nothing is read twice).
 */
export async function prepareRuns(
  runs: readonly PlannedRun[],
  bucketS: number | undefined,
  env: TraceEnv | undefined,
  loadRunInputs: (spec: SimSpec) => Promise<RunInputs>,
): Promise<PreparedRun[]> {
  const traces = new Map<string, { path: string | string[]; format?: string; digest: string }>();
  const out: PreparedRun[] = [];
  for (const run of runs) {
    await inRun(run, async () => {
      let input = run.spec as Record<string, unknown>;
      let digest: string | undefined;
      if (run.traceRef !== undefined) {
        const name = JSON.stringify(run.traceRef);
        let resolved = traces.get(name);
        if (!resolved) {
          resolved = await resolveTraces(run.traceRef, env);
          traces.set(name, resolved);
        }
        const workload: Record<string, unknown> = { ...(input.workload as object), path: resolved.path };
        if (workload.format === undefined && resolved.format) workload.format = resolved.format;
        input = { ...input, workload };
        digest = resolved.digest;
      }
      const spec = parseSpec(input);
      const inputs = await loadRunInputs(spec);
      const blockSize = checkRun(spec, inputs, DSL_POOL_NAME);
      const key = await cacheKey(spec, digest, bucketS, await runInputsDigest(inputs));
      out.push({ planned: run, spec, workloadKey: workloadKey(spec, blockSize), blockSize, cacheKey: key });
    });
  }
  return out;
}

/**
 * Load the workloads of `runs` (each distinct one once, by {@link PreparedRun.workloadKey}) and check every run
 * against its own: a warm-up of as many requests as the workload holds or more leaves none to measure. A
 * problem throws an error naming the run, before any run starts.
 */
export async function loadWorkloads(runs: readonly PreparedRun[]): Promise<Map<string, Workload>> {
  const workloads = new Map<string, Workload>();
  for (const run of runs) {
    let workload = workloads.get(run.workloadKey);
    if (!workload) {
      workload = await inRun(run.planned, () => loadSpecWorkload(run.spec, run.blockSize));
      workloads.set(run.workloadKey, workload);
    }
    try {
      checkWarmup(run.spec, workload);
    } catch (e) {
      // The simulator names the spec's field; runError says it as the DSL does (warmupRequestCount).
      throw e instanceof InputError ? runError(e, run.planned) : e;
    }
  }
  return workloads;
}

/**
 * A trace reference resolved to local files: one path (with a named trace's format), or a dynamo trace's
 * shards; the digest covers every file, in order.
 */
async function resolveTraces(
  ref: TraceRef,
  env: TraceEnv | undefined,
): Promise<{ path: string | string[]; format?: string; digest: string }> {
  if (typeof ref === "string") {
    const { path, format } = await resolveTrace(ref, env);
    return { path, format, digest: await fileDigest(path) };
  }
  const paths = await Promise.all(ref.map(async (r) => (await resolveTrace(r, env)).path));
  return { path: paths, digest: await sha256Hex((await Promise.all(paths.map(fileDigest))).join("\n")) };
}

/** What errors call each pool's engine args, and the planner: the scopes of the DSL's dotted names. */
const POOL_NAMES: Readonly<Record<WorkerRole | "planner", string>> = {
  planner: "planner",
  aggregated: "engine",
  prefill: "prefill",
  decode: "decode",
};
/** What the DSL's errors call each pool's engine args (`engine`, `prefill`, `decode`) and the planner. */
export const DSL_POOL_NAME: PoolName = (role) => POOL_NAMES[role];

/**
 * A digest of what a run reads besides its trace, for its cache key: a `config.json` model as parsed (with the
 * files beside it), a planner profile, the GPU as read (a system the catalog lacks comes from its
 * `<system>.yaml`), the AIC tables' files, the planner's warm-up windows.
 */
async function runInputsDigest(inputs: RunInputs): Promise<string> {
  const digest = async ({ model, profile, gpu, tables }: PerfInputs) => ({
    model,
    profile,
    gpu,
    tables: tables && {
      system: tables.system,
      backend: tables.backend,
      version: tables.version,
      gpu: tables.gpu,
      files: await Promise.all(
        Object.values(tables)
          .filter((t): t is { source: string } => typeof t?.source === "string")
          .map((t) => fileDigest(t.source)),
      ),
    },
  });
  const perf = await Promise.all(inputs.perf.map(digest));
  const router = inputs.routerPerf && await digest(inputs.routerPerf);
  return await sha256Hex(canonicalJson({ perf, router, plannerWarmup: inputs.plannerWarmup }));
}
