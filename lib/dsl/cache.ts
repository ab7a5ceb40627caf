/**
 * The content-addressed result cache: one JSON file per run, keyed by the sha256 of the canonical spec (the
 * trace path replaced by the file's name and digest), a digest of the other files the run reads (a `config.json`
 * model, AIC tables and a custom GPU's system file, a planner profile, the planner's warm-up trace), the
 * time-series settings, the dynolab version and a digest of the simulator's source (every `.ts` file under
 * `lib/` except the DSL and the CLI, so that a code change between releases is never answered from a stale
 * cache). A changed spec, input file, version or simulator misses; anything else is read back instead of
 * re-simulated.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
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
 * @param inputsDigest sha256 of what the run reads besides its trace (perf inputs, planner warm-up).
 */
export async function cacheKey(
  spec: SimSpec,
  traceDigest: string | undefined,
  bucketS?: number,
  inputsDigest?: string,
): Promise<string> {
  const workload = spec.workload.source === "trace"
    ? { ...spec.workload, path: { name: traceName(spec.workload.path), sha256: traceDigest } }
    : spec.workload;
  return await sha256Hex(
    canonicalJson({
      dynolab: DYNOLAB_VERSION,
      simulator: await simulatorDigest(),
      spec: { ...spec, workload },
      inputs: inputsDigest,
      series: { bucketS },
    }),
  );
}

/** A trace's file name (its shards' names), without directories: a key does not depend on where it lies. */
function traceName(path: string | readonly string[]): string | string[] {
  return typeof path === "string" ? path.split("/").pop()! : path.map(traceName) as string[];
}

let sourceDigest: Promise<string> | undefined;

/** The DSL's files whose code shapes what a cache entry holds (the run's report and time series). */
const CACHED_DSL_FILES = ["dsl/execute.ts", "dsl/series.ts"];

/**
 * sha256 over the simulator's source files (`lib/**.ts` except `lib/dsl/` and `lib/cli/`, but with
 * {@link CACHED_DSL_FILES}; sorted by path), or `"unknown"` when the modules are not loaded from disk.
 */
export function simulatorDigest(): Promise<string> {
  sourceDigest ??= (async () => {
    const lib = new URL("../", import.meta.url);
    if (lib.protocol !== "file:") return "unknown";
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of Deno.readDirSync(dir)) {
        const path = `${dir}/${e.name}`;
        if (e.isDirectory && !["dsl", "cli"].includes(e.name)) walk(path);
        else if (e.isFile && e.name.endsWith(".ts")) files.push(path);
      }
    };
    const root = fileURLToPath(lib).replace(/\/$/, ""); // decoded: a checkout path may hold spaces
    walk(root);
    files.push(...CACHED_DSL_FILES.map((f) => `${root}/${f}`));
    files.sort();
    const parts = files.map((f) => `${f.slice(root.length)}\0${Deno.readTextFileSync(f)}`);
    return await sha256Hex(parts.join("\0"));
  })();
  return sourceDigest;
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
