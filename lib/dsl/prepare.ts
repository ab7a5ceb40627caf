/**
 * Preparing a scenario's runs before any of them starts: resolve every trace reference, validate every spec
 * (schema, engine args, pool compatibility), digest the trace files and compute the cache keys. Any problem
 * throws here, naming the run, so a sweep never fails half way through on bad input.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { resolveEngineArgs, type WorkerRole } from "../engine/mod.ts";
import { parseSpec, type SimSpec } from "../spec.ts";
import { cacheKey } from "./cache.ts";
import { canonicalJson, fileDigest } from "./hash.ts";
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
      const blockSize = checkPools(spec);
      const workloadKey = canonicalJson({
        workload: spec.workload,
        digest,
        blockSize,
        speedup: spec.arrival_speedup_ratio,
        closedLoop: spec.replay_concurrency != null,
      });
      out.push({ planned: run, spec, workloadKey, cacheKey: await cacheKey(spec, digest, bucketS) });
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`run ${run.index} (${run.name}): ${e.message}`);
      throw e;
    }
  }
  return out;
}

/** Validate each pool's engine args as the simulator will; returns the engine block size. */
function checkPools(spec: SimSpec): number {
  const t = spec.topology;
  const pools: Array<[unknown, WorkerRole, string]> = t.mode === "agg"
    ? [[t.engine, "aggregated", "engine"]]
    : [[t.prefill_engine, "prefill", "prefill engine"], [t.decode_engine, "decode", "decode engine"]];
  const sizes = pools.map(([args, role, what]) => resolveEngineArgs(args, role, what).config.blockSize);
  if (sizes.length === 2 && sizes[0] !== sizes[1]) {
    throw new InputError(`prefill block_size ${sizes[0]} differs from decode block_size ${sizes[1]}`, {
      field: "decode.blockSize",
    });
  }
  return sizes[0];
}
