/**
 * Executing simulation jobs: in this thread, or in parallel on a pool of Web Workers that receive each loaded
 * workload once, in shared memory, instead of re-reading trace files. Results come back ordered by job, and
 * are identical whatever the parallelism (the simulator is pure and deterministic).
 *
 * @module
 */
import { InputError, type InputLocation } from "../common/errors.ts";
import type { Report } from "../report/mod.ts";
import { type RunInputs, runInputsLoader } from "../run_inputs.ts";
import { runSimulation } from "../simulate.ts";
import type { SimSpec } from "../spec.ts";
import type { Workload } from "../workload/mod.ts";
import { type RunSeries, runSeries } from "./series.ts";

/** One simulation to run. */
export interface Job {
  /** Result slot. */
  readonly id: number;
  /** A validated spec. */
  readonly spec: SimSpec;
  /** Key into the workloads map. */
  readonly workloadKey: string;
  /** Time-series bucket width (s), or undefined for automatic. */
  readonly bucketS?: number;
}

/** What a job produces. */
export interface JobResult {
  readonly report: Report;
  readonly series: RunSeries;
}

/** Run one job in this thread, on its workload and the {@link RunInputs} its spec reads. */
export function runJob(job: Job, workload: Workload, inputs: RunInputs): JobResult {
  const { report, collector, cluster, planner } = runSimulation({ spec: job.spec, workload, ...inputs });
  return { report, series: runSeries(collector, cluster, job.bucketS, planner?.events) };
}

/** Copy a workload's typed arrays into shared memory, so every worker reads the same bytes without a copy. */
export function shareWorkload(w: Workload): Workload {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(w)) {
    if (ArrayBuffer.isView(value) && !(value.buffer instanceof SharedArrayBuffer)) {
      const Ctor = value.constructor as new (b: SharedArrayBuffer) => ArrayBufferView;
      const shared = new Ctor(new SharedArrayBuffer(value.byteLength));
      new Uint8Array(shared.buffer).set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      out[key] = shared;
    } else out[key] = value;
  }
  return out as unknown as Workload;
}

/** Messages to a worker. */
export type ToWorker =
  | { readonly type: "workload"; readonly key: string; readonly workload: Workload }
  | { readonly type: "job"; readonly job: Job };

/** Messages from a worker. */
export type FromWorker =
  | { readonly type: "done"; readonly id: number; readonly result: JobResult }
  | {
    readonly type: "error";
    readonly id: number;
    /** The error's message (an {@link InputError}'s with its location). */
    readonly message: string;
    readonly input: boolean;
    /** An input error's detail and location, to raise it again as it was. */
    readonly detail?: string;
    readonly location?: InputLocation;
    /** Any other error's name (`TypeError`, …) and stack. */
    readonly name?: string;
    readonly stack?: string;
  };

/** Start `count` simulation workers (they load their modules while the caller prepares the jobs). */
export function spawnWorkers(count: number): Worker[] {
  return Array.from(
    { length: count },
    () => new Worker(new URL("./worker.ts", import.meta.url), { type: "module" }),
  );
}

/** Why a job has no result, when {@link ExecuteOptions.onFailure} records it instead of rejecting. */
export type JobFailure =
  | { readonly kind: "input"; readonly message: string; readonly error: InputError }
  | { readonly kind: "timeout"; readonly seconds: number };

/**
 * The job whose failure {@link execute} rejected with (an {@link InputError} as the job raised it, a time limit,
 * or any other error, which names the job), or undefined for an error of no job.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { failedJob } from "./execute.ts";
 * assert.equal(failedJob(new Error("not from a job")), undefined);
 * ```
 */
export function failedJob(e: unknown): Job | undefined {
  return typeof e === "object" && e !== null ? jobOf.get(e) : undefined;
}

const jobOf = new WeakMap<object, Job>();

/** `e`, marked as `job`'s failure for {@link failedJob}. */
function ofJob<E extends object>(e: E, job: Job): E {
  jobOf.set(e, job);
  return e;
}

/** A job's error other than an input error, naming the job, with the original as its cause. */
function jobError(job: Job, cause: unknown): Error {
  const message = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return ofJob(new Error(`simulation job ${job.id} failed: ${message}`, { cause }), job);
}

/** An error a worker reported, as an `Error` with the worker's name, message and stack. */
function workerError(reply: { message: string; name?: string; stack?: string }): Error {
  const e = new Error(reply.message);
  if (reply.name) e.name = reply.name;
  if (reply.stack) e.stack = reply.stack;
  return e;
}

/** How {@link execute} runs its jobs; every field is optional. */
export interface ExecuteOptions {
  /**
   * Reads a job's {@link RunInputs} in this thread (no workers). Pass the loader that prepared the jobs, so
   * nothing is read twice; a fresh one by default.
   */
  readonly load?: (spec: SimSpec) => Promise<RunInputs>;
  /** Called as each job finishes. */
  readonly onDone?: (job: Job, result: JobResult) => void;
  /**
   * Seconds a job may run on a worker; past it, the worker is replaced and the job fails with a timeout. Jobs
   * run in this thread (no workers) have no limit.
   */
  readonly timeoutS?: number;
  /**
   * Records a job that fails on its input (an {@link InputError}) or its time limit, and goes on with the
   * others. Without it, the first such failure rejects. Any other error always rejects, naming the job;
   * {@link failedJob} tells which job any rejection came from.
   */
  readonly onFailure?: (job: Job, failure: JobFailure) => void;
}

/**
 * Run `jobs` on `workers` (none: in this thread, one after another) and return their results by job id. The
 * first failure stops the pool and rejects, unless `onFailure` records it (see {@link ExecuteOptions}). The
 * workers are terminated when done. Each thread reads the {@link RunInputs} of the jobs it runs itself (AIC
 * tables cannot be sent to a worker), once per distinct pool.
 */
export async function execute(
  jobs: readonly Job[],
  workloads: ReadonlyMap<string, Workload>,
  workers: readonly Worker[],
  options: ExecuteOptions = {},
): Promise<Map<number, JobResult>> {
  const { load = runInputsLoader(), onDone, onFailure, timeoutS } = options;
  const results = new Map<number, JobResult>();
  const done = (job: Job, result: JobResult) => {
    results.set(job.id, result);
    onDone?.(job, result);
  };
  const failed = (job: Job, failure: JobFailure) => {
    if (onFailure) return onFailure(job, failure);
    throw ofJob(
      failure.kind === "input"
        ? failure.error
        : new Error(`simulation job ${job.id} ran past its limit of ${failure.seconds} s`),
      job,
    );
  };
  if (workers.length === 0) {
    for (const job of jobs) {
      let result: JobResult;
      try {
        result = runJob(job, workloads.get(job.workloadKey)!, await load(job.spec));
      } catch (e) {
        if (!(e instanceof InputError)) throw jobError(job, e);
        failed(job, { kind: "input", message: e.message, error: e });
        continue;
      }
      done(job, result);
      await Promise.resolve();
    }
    return results;
  }
  const shared = new Map([...workloads].map(([k, w]) => [k, shareWorkload(w)]));
  const queue = [...jobs];
  const live = [...workers];
  const timers = new Set<Timer>();
  try {
    await Promise.all(workers.map(async (first) => {
      let worker = first, sent = new Set<string>();
      for (let job = queue.shift(); job; job = queue.shift()) {
        if (!sent.has(job.workloadKey)) {
          const message: ToWorker = {
            type: "workload",
            key: job.workloadKey,
            workload: shared.get(job.workloadKey)!,
          };
          worker.postMessage(message);
          sent.add(job.workloadKey);
        }
        const reply = await runOn(worker, job, timeoutS, timers);
        if (reply === "timeout") {
          worker.terminate();
          [worker] = spawnWorkers(1);
          live.push(worker);
          sent = new Set();
          failed(job, { kind: "timeout", seconds: timeoutS! });
        } else if (reply.type === "done") done(job, reply.result);
        else if (reply.input) {
          const error = new InputError(reply.detail ?? reply.message, reply.location ?? {});
          failed(job, { kind: "input", message: error.message, error });
        } else throw jobError(job, workerError(reply));
      }
    }));
  } finally {
    queue.length = 0;
    for (const timer of timers) clearTimeout(timer);
    for (const w of live) w.terminate();
  }
  return results;
}

/** A pending time limit. */
type Timer = ReturnType<typeof setTimeout>;

/** Send `job` to `worker` and wait for its reply, or "timeout" after `timeoutS` (its timer kept in `timers`). */
function runOn(
  worker: Worker,
  job: Job,
  timeoutS: number | undefined,
  timers: Set<Timer>,
): Promise<FromWorker | "timeout"> {
  return new Promise((resolve, reject) => {
    const timer = timeoutS === undefined ? undefined : setTimeout(() => resolve("timeout"), timeoutS * 1000);
    if (timer !== undefined) timers.add(timer);
    const settle = () => {
      if (timer === undefined) return;
      clearTimeout(timer);
      timers.delete(timer);
    };
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      settle();
      resolve(e.data);
    };
    worker.onerror = (e) => {
      settle();
      e.preventDefault();
      reject(ofJob(new Error(`simulation worker failed on job ${job.id}: ${e.message}`), job));
    };
    worker.postMessage({ type: "job", job } satisfies ToWorker);
  });
}
