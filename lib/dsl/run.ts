/**
 * Running a scenario: expand, prepare (every error before the first run), look up the result cache, load each
 * distinct workload once and check the runs against it, simulate the rest in parallel, store them, and return
 * ordered {@link Results}. A run that still fails while it runs is an error naming it; the runs finished before
 * it are kept in the cache.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { runInputsLoader } from "../run_inputs.ts";
import { ResultCache } from "./cache.ts";
import { execute, failedJob, type Job, type JobResult, spawnWorkers } from "./execute.ts";
import { dslWording } from "./wording.ts";
import { runError } from "./plan.ts";
import { DSL_POOL_NAME, loadWorkloads, prepareRuns } from "./prepare.ts";
import { Progress } from "./progress.ts";
import { Results, type RunResult } from "./results.ts";
import { type Scenario, setScenarioRunner } from "./scenario.ts";
import { selectShard, type Shard } from "./shard.ts";
import { cacheRoot, type TraceEnv } from "./traces.ts";

/** How to run a scenario. */
export interface RunOptions {
  /** Web Workers to simulate on; default all cores (`navigator.hardwareConcurrency`). 1 runs in this thread. */
  readonly parallelism?: number;
  /** No progress output (for notebooks). */
  readonly quiet?: boolean;
  /** Force progress output even when stderr is not a terminal (a line every 10 %). */
  readonly progress?: boolean;
  /** Print the runs' report warnings, each once (default true). */
  readonly warnings?: boolean;
  /** Use the result cache (default true; `--no-cache` in scripts). */
  readonly cache?: boolean;
  /** Cache directory; default `<cacheRoot()>/results` (`$DYNOLAB_CACHE_DIR`, `$XDG_CACHE_HOME/dynolab` or `~/.cache/dynolab`). */
  readonly cacheDir?: string;
  /** Run only this shard of the runs (see `shard.ts`). */
  readonly shard?: Shard;
  /** Time-series bucket width in seconds; default about 150 buckets per run. */
  readonly bucketS?: number;
  /** Environment and network for trace resolution (tests). */
  readonly traceEnv?: TraceEnv;
}

/** Default parallelism: every core. */
export function defaultParallelism(): number {
  return Math.max(1, navigator.hardwareConcurrency || 1);
}

/** Run `s` (see {@link RunOptions}); `Scenario.run()` calls this. */
export async function runScenario(s: Scenario, options: RunOptions = {}): Promise<Results> {
  const planned = s.runs();
  if (planned.length === 0) throw new InputError("the scenario has no runs", { field: s.name });
  const bucketS = options.bucketS;
  if (bucketS !== undefined && !(Number.isFinite(bucketS) && bucketS > 0)) {
    throw new InputError(`expected a number of seconds > 0, got ${bucketS}`, { field: "run() bucketS" });
  }
  const parallelism = options.parallelism;
  if (parallelism !== undefined && !(Number.isInteger(parallelism) && parallelism >= 1)) {
    throw new InputError(`expected an integer ≥ 1, got ${parallelism}`, { field: "run() parallelism" });
  }
  const selected = options.shard ? selectShard(planned, options.shard) : planned;
  // One loader reads each run's other inputs (config.json, tables, warm-up trace) for validation and, in this
  // thread, for the runs themselves.
  const loadRunInputs = runInputsLoader(DSL_POOL_NAME);
  const prepared = await prepareRuns(selected, bucketS, options.traceEnv, loadRunInputs);
  const cache = options.cache === false
    ? null
    : new ResultCache(options.cacheDir ?? `${cacheRoot(options.traceEnv)}/results`);

  const progress = new Progress(prepared.length, {
    enabled: !options.quiet && (options.progress === true || Deno.stderr.isTerminal()),
    inPlace: Deno.stderr.isTerminal(),
  });
  const results = new Map<number, { result: JobResult; cached: boolean }>();
  const todo: typeof prepared = [];
  for (const p of prepared) {
    const hit = cache ? await cache.get(p.cacheKey) : undefined;
    if (hit) {
      results.set(p.planned.index, { result: hit, cached: true });
      progress.tick(true);
    } else todo.push(p);
  }

  // Start the workers first: they load their modules while this thread loads the workloads.
  const threads = Math.min(parallelism ?? defaultParallelism(), todo.length);
  const workers = threads > 1 ? spawnWorkers(threads) : [];
  if (todo.length > 0) progress.start(threads);
  const writes: Promise<void>[] = [];
  try {
    const workloads = await loadWorkloads(todo);
    const jobs: Job[] = todo.map((p) => ({
      id: p.planned.index,
      spec: p.spec,
      workloadKey: p.workloadKey,
      bucketS,
    }));
    const byId = new Map(todo.map((p) => [p.planned.index, p]));
    try {
      await execute(jobs, workloads, workers, {
        load: loadRunInputs,
        onDone: (job, result) => {
          results.set(job.id, { result, cached: false });
          if (cache) writes.push(cache.put(byId.get(job.id)!.cacheKey, result));
          progress.tick(false);
        },
      });
    } catch (e) {
      const job = failedJob(e);
      if (!job) throw e;
      // The job's own error, under the run's name instead of the job's.
      throw runError(e instanceof InputError ? e : (e as Error).cause ?? e, byId.get(job.id)!.planned);
    }
  } finally {
    for (const w of workers) w.terminate();
    progress.end();
    // The runs that finished stay in the cache, even when another failed.
    await Promise.allSettled(writes);
  }
  await Promise.all(writes);

  const runs: RunResult[] = prepared.map((p) => {
    const { result, cached } = results.get(p.planned.index)!;
    const { index, name, variant, params } = p.planned;
    return {
      index,
      name,
      variant,
      params,
      spec: p.spec,
      report: result.report,
      series: result.series,
      cached,
    };
  });
  if (options.warnings !== false) printWarnings(runs);
  const shard = options.shard ? { ...options.shard, totalRuns: planned.length } : null;
  return new Results(s.name, runs, shard);
}

/**
 * The runs' report warnings (settings without effect, a planner target that ignores the SLA, …) in the DSL's
 * names, each once, with the runs it concerns when not all of them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runWarnings } from "./run.ts";
 * const run = (i: number, w: string[]) => ({ index: i, report: { dynolab: { warnings: w } } });
 * assert.deepEqual(runWarnings([run(0, ["a"]), run(1, ["a", "b"])]), ["a", "b (run 1)"]);
 * ```
 */
export function runWarnings(
  runs: readonly { readonly index: number; readonly report: { readonly [key: string]: unknown } }[],
): string[] {
  const byWarning = new Map<string, number[]>();
  for (const run of runs) {
    const warnings = (run.report.dynolab as { warnings?: string[] } | undefined)?.warnings ?? [];
    for (const w of warnings.map(dslWording)) byWarning.set(w, [...(byWarning.get(w) ?? []), run.index]);
  }
  return [...byWarning].map(([w, at]) =>
    at.length === runs.length ? w : `${w} (run${at.length > 1 ? "s" : ""} ${at.join(", ")})`
  );
}

/** Print {@link runWarnings} of `runs` on stderr. */
export function printWarnings(runs: Parameters<typeof runWarnings>[0]): void {
  for (const line of runWarnings(runs)) console.warn(`warning: ${line}`);
}

setScenarioRunner(runScenario);
