/**
 * Executing simulation jobs: in this thread, or in parallel on a pool of Web Workers that receive each loaded
 * workload once, in shared memory, instead of re-reading trace files. Results come back ordered by job, and
 * are identical whatever the parallelism (the simulator is pure and deterministic).
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
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
  | { readonly type: "error"; readonly id: number; readonly message: string; readonly input: boolean };

/** Start `count` simulation workers (they load their modules while the caller prepares the jobs). */
export function spawnWorkers(count: number): Worker[] {
  return Array.from(
    { length: count },
    () => new Worker(new URL("./worker.ts", import.meta.url), { type: "module" }),
  );
}

/**
 * Run `jobs` on `workers` (none: in this thread, one after another). `onDone` is called as each finishes. The
 * first failure stops the pool and rejects. The workers are terminated when done. Each thread reads the
 * {@link RunInputs} of the jobs it runs itself (AIC tables cannot be sent to a worker), once per distinct pool;
 * this thread with `load` (pass the loader that prepared the jobs, so nothing is read twice).
 */
export async function execute(
  jobs: readonly Job[],
  workloads: ReadonlyMap<string, Workload>,
  workers: readonly Worker[],
  onDone: (job: Job, result: JobResult) => void,
  load: (spec: SimSpec) => Promise<RunInputs> = runInputsLoader(),
): Promise<Map<number, JobResult>> {
  const results = new Map<number, JobResult>();
  if (workers.length === 0) {
    for (const job of jobs) {
      const result = runJob(job, workloads.get(job.workloadKey)!, await load(job.spec));
      results.set(job.id, result);
      onDone(job, result);
      await Promise.resolve();
    }
    return results;
  }
  const shared = new Map([...workloads].map(([k, w]) => [k, shareWorkload(w)]));
  const queue = [...jobs];
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      const start = (worker: Worker, sent: Set<string>) => {
        const job = queue.shift();
        if (!job) {
          if (running === 0) resolve();
          return;
        }
        running++;
        if (!sent.has(job.workloadKey)) {
          worker.postMessage({
            type: "workload",
            key: job.workloadKey,
            workload: shared.get(job.workloadKey)!,
          });
          sent.add(job.workloadKey);
        }
        worker.postMessage({ type: "job", job } satisfies ToWorker);
      };
      for (const worker of workers) {
        const sent = new Set<string>();
        worker.onmessage = (e: MessageEvent<FromWorker>) => {
          const msg = e.data;
          running--;
          if (msg.type === "error") {
            reject(msg.input ? new InputError(msg.message) : new Error(msg.message));
            return;
          }
          const job = jobs.find((j) => j.id === msg.id)!;
          results.set(msg.id, msg.result);
          onDone(job, msg.result);
          start(worker, sent);
          if (queue.length === 0 && running === 0) resolve();
        };
        worker.onerror = (e) => {
          e.preventDefault();
          reject(new Error(`simulation worker failed: ${e.message}`));
        };
        start(worker, sent);
      }
    });
  } finally {
    for (const w of workers) w.terminate();
  }
  return results;
}
