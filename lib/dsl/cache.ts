/**
 * The content-addressed result cache: one JSON file per run, keyed by the sha256 of the canonical spec (the
 * trace path replaced by the file's name and digest), the time-series settings and the dynolab version. A
 * changed spec, trace or version misses; anything else is read back instead of re-simulated.
 *
 * @module
 */
import denoConfig from "../../deno.json" with { type: "json" };
import type { SimSpec } from "../spec.ts";
import type { JobResult } from "./execute.ts";
import { canonicalJson, sha256Hex } from "./hash.ts";

/** dynolab's version (from `deno.json`), part of every cache key. */
export const DYNOLAB_VERSION: string = denoConfig.version;

/**
 * The cache key of a run.
 *
 * @param traceDigest sha256 of the trace file, when the workload is a trace.
 */
export async function cacheKey(
  spec: SimSpec,
  traceDigest: string | undefined,
  bucketS?: number,
): Promise<string> {
  const workload = spec.workload.source === "trace"
    ? { ...spec.workload, path: { name: spec.workload.path.split("/").pop(), sha256: traceDigest } }
    : spec.workload;
  return await sha256Hex(
    canonicalJson({ dynolab: DYNOLAB_VERSION, spec: { ...spec, workload }, series: { bucketS } }),
  );
}

/** A directory of cached run results. */
export class ResultCache {
  /** The directory. */
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir.replace(/\/$/, "");
  }

  #path(key: string): string {
    return `${this.dir}/${key.slice(0, 2)}/${key}.json`;
  }

  /** The cached result for `key`, or undefined (a missing or unreadable entry is a miss). */
  async get(key: string): Promise<JobResult | undefined> {
    try {
      const entry = JSON.parse(await Deno.readTextFile(this.#path(key)));
      if (entry.key !== key || !entry.report || !entry.series) return undefined;
      return { report: entry.report, series: entry.series };
    } catch {
      return undefined;
    }
  }

  /** Store a result (atomically: written to a temporary file, then renamed). */
  async put(key: string, result: JobResult): Promise<void> {
    const path = this.#path(key);
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    const temp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    await Deno.writeTextFile(temp, JSON.stringify({ key, version: DYNOLAB_VERSION, ...result }));
    await Deno.rename(temp, path);
  }
}
