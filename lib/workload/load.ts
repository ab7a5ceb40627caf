/**
 * Load any {@link WorkloadSpec} into a {@link Workload}. This is an I/O edge: it reads files.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { loadAgenticMooncake } from "./agentic_mooncake.ts";
import { loadAppliedComputeAgentic } from "./applied_compute_agentic.ts";
import { loadAzure } from "./azure.ts";
import { defaultWorkload } from "./default_workload.ts";
import { loadKvCacheTester } from "./kv_cache_tester.ts";
import { loadMooncake } from "./mooncake.ts";
import { loadDynamoTrace } from "./dynamo_trace.ts";
import { openLoopProblem, tracePaths, type TraceWorkloadSpec, type WorkloadSpec } from "./spec.ts";
import { sniffFile } from "./sniff.ts";
import { generateSynthetic } from "./synthetic.ts";
import type { Workload } from "./types.ts";

/** How the simulation will consume the workload. */
export interface LoadOptions {
  /** Engine block size to intern prompt blocks at (and the token-block size of generated prompts). */
  readonly blockSize: number;
  /** `--arrival-speedup-ratio`: divides arrivals and inter-turn delays. */
  readonly speedup: number;
  /** Closed-loop replay (`--replay-concurrency`): first-turn timestamps are not needed. */
  readonly closedLoop: boolean;
}

/**
 * Load a trace or generate a workload. Generated workloads (`synthetic`, `default`) are pure functions of the
 * spec and options; traces are streamed from disk. Bad input throws an `InputError`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadWorkload } from "./load.ts";
 * import { WorkloadSpecSchema } from "./spec.ts";
 * const spec = WorkloadSpecSchema.parse({ source: "default", sessions: 10 });
 * const w = await loadWorkload(spec, { blockSize: 64, speedup: 1, closedLoop: false });
 * assert(w.name === "default" && w.sessionCount === 10);
 * ```
 */
export function loadWorkload(spec: WorkloadSpec, options: LoadOptions): Promise<Workload> {
  switch (spec.source) {
    case "trace":
      return loadTrace(spec, options);
    case "synthetic":
      return Promise.resolve().then(() => generateSynthetic(spec, options));
    case "default":
      return Promise.resolve().then(() => defaultWorkload(spec, options));
  }
}

/**
 * Load a trace file as its spec's format. When it fails at its first line (or as a whole) and the file looks
 * like another format, the error says which.
 */
async function loadTrace(spec: TraceWorkloadSpec, options: LoadOptions): Promise<Workload> {
  try {
    return await loadAs(spec, options);
  } catch (e) {
    // Only an error about a file's content, at its first line or as a whole, may be the wrong format's.
    if (!(e instanceof InputError) || (e.location.line ?? 1) !== 1 || e.location.file === undefined) throw e;
    const looks = await sniffFile(e.location.file);
    const family = (f: string) => f.replace(/_delta$/, "");
    if (looks === undefined || family(looks) === family(spec.format)) throw e;
    throw new InputError(
      `${e.detail} (the file looks like trace format "${looks}")`,
      e.location,
    );
  }
}

function loadAs(spec: TraceWorkloadSpec, options: LoadOptions): Promise<Workload> {
  const { blockSize, speedup } = options;
  const paths = tracePaths(spec);
  const path = paths[0];
  switch (spec.format) {
    case "mooncake":
    case "mooncake_delta":
      return loadMooncake(path, {
        blockSize,
        traceBlockSize: spec.trace_block_size ?? 512,
        speedup,
        requireTimestamps: !options.closedLoop,
        sessionDeltas: spec.format === "mooncake_delta",
      });
    case "agentic_mooncake":
      return loadAgenticMooncake(path, {
        blockSize,
        traceBlockSize: spec.trace_block_size ?? undefined,
        speedup,
        requireTimestamps: !options.closedLoop,
      });
    case "applied_compute_agentic":
      if (!options.closedLoop) {
        throw new InputError(openLoopProblem(spec.format)!, { file: path, field: "replay_concurrency" });
      }
      return loadAppliedComputeAgentic(path, {
        blockSize,
        traceBlockSize: spec.trace_block_size ?? 512,
        speedup,
        sharedPrefixRatio: spec.trace_shared_prefix_ratio,
        numPrefixGroups: spec.trace_num_prefix_groups,
      });
    case "azure":
      return loadAzure(path, { blockSize, speedup });
    case "dynamo":
      return loadDynamoTrace(paths, {
        blockSize,
        speedup,
        traceBlockSize: spec.trace_block_size ?? undefined,
      });
    case "kv_cache_tester":
      return loadKvCacheTester(path, {
        blockSize,
        speedup,
        traceBlockSize: spec.trace_block_size ?? undefined,
        maxSessions: spec.max_sessions,
        sessionIntervalMs: spec.session_interval_ms,
        sessionRate: spec.session_rate,
        sessionSeed: spec.session_seed,
        subagents: spec.subagents,
      });
  }
}
