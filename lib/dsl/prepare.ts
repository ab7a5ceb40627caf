/**
 * Preparing a scenario's runs before any of them starts: resolve every trace reference, validate every spec
 * (schema, engine args with the files they name, pool compatibility), digest the files each run reads and
 * compute the cache keys. Any problem throws here, naming the run, so a sweep never fails half way through on
 * bad input.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { resolveEngineArgs, type WorkerRole } from "../engine/mod.ts";
import type { PerfInputs } from "../perf/mod.ts";
import { type RunInputs, runInputsLoader } from "../simulate.ts";
import { parseSpec, type SimSpec } from "../spec.ts";
import { cacheKey } from "./cache.ts";
import { canonicalJson, fileDigest, sha256Hex } from "./hash.ts";
import type { PlannedRun } from "./plan.ts";
import { resolveTrace, type TraceEnv } from "./traces.ts";

/** A run ready to execute. */
export interface PreparedRun {
  readonly planned: PlannedRun;
  /** The validated spec, trace path resolved to a local file. */
  readonly spec: SimSpec;
  /** Runs with equal keys can share one loaded workload. */
  readonly workloadKey: string;
  readonly cacheKey: string;
}

/** Resolve, validate and key `runs`. */
export async function prepareRuns(
  runs: readonly PlannedRun[],
  bucketS: number | undefined,
  env?: TraceEnv,
): Promise<PreparedRun[]> {
  const traces = new Map<string, Awaited<ReturnType<typeof resolveTrace>>>();
  const loadRunInputs = runInputsLoader((role) => POOL_NAMES[role]);
  const out: PreparedRun[] = [];
  for (const run of runs) {
    try {
      let input = run.spec as Record<string, unknown>;
      let digest: string | undefined;
      if (run.traceRef !== undefined) {
        let resolved = traces.get(run.traceRef);
        if (!resolved) {
          resolved = await resolveTrace(run.traceRef, env);
          traces.set(run.traceRef, resolved);
        }
        const workload: Record<string, unknown> = { ...(input.workload as object), path: resolved.path };
        if (workload.format === undefined && resolved.format) workload.format = resolved.format;
        input = { ...input, workload };
        digest = await fileDigest(resolved.path);
      }
      const spec = parseSpec(input);
      const inputs = await loadRunInputs(spec);
      const blockSize = checkPools(spec, inputs.perf);
      const workloadKey = canonicalJson({
        workload: spec.workload,
        digest,
        blockSize,
        speedup: spec.arrival_speedup_ratio,
        closedLoop: spec.replay_concurrency != null,
      });
      const key = await cacheKey(spec, digest, bucketS, await runInputsDigest(inputs));
      out.push({ planned: run, spec, workloadKey, cacheKey: key });
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`run ${run.index} (${run.name}): ${e.message}`);
      throw e;
    }
  }
  return out;
}

/** What errors call each pool's engine args. */
const POOL_NAMES: Readonly<Record<WorkerRole, string>> = {
  aggregated: "engine",
  prefill: "prefill engine",
  decode: "decode engine",
};

/** Validate each pool's engine args as the simulator will, with its perf inputs; returns the block size. */
function checkPools(spec: SimSpec, perf: readonly PerfInputs[]): number {
  const t = spec.topology;
  const pools: Array<[unknown, WorkerRole]> = t.mode === "agg"
    ? [[t.engine, "aggregated"]]
    : [[t.prefill_engine, "prefill"], [t.decode_engine, "decode"]];
  const sizes = pools.map(([args, role], i) =>
    resolveEngineArgs(args, role, POOL_NAMES[role], {}, perf[i] ?? {}).config.blockSize
  );
  if (sizes.length === 2 && sizes[0] !== sizes[1]) {
    throw new InputError(`prefill block_size ${sizes[0]} differs from decode block_size ${sizes[1]}`, {
      field: "decode.blockSize",
    });
  }
  return sizes[0];
}

/**
 * A digest of what a run reads besides its trace, for its cache key: a `config.json` model as parsed (with the
 * files beside it), a planner profile, the AIC tables' files, the planner's warm-up windows.
 */
async function runInputsDigest(inputs: RunInputs): Promise<string> {
  const perf = await Promise.all(inputs.perf.map(async ({ model, profile, tables }) => ({
    model,
    profile,
    tables: tables && {
      system: tables.system,
      backend: tables.backend,
      version: tables.version,
      files: await Promise.all(
        Object.values(tables)
          .filter((t): t is { source: string } => typeof t?.source === "string")
          .map((t) => fileDigest(t.source)),
      ),
    },
  })));
  return await sha256Hex(canonicalJson({ perf, plannerWarmup: inputs.plannerWarmup }));
}
