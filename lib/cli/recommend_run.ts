/**
 * Running `aisimulate recommend`'s candidates: each concrete config compiled and loaded here (a config the
 * simulator refuses is recorded, not fatal), then simulated on a pool of Web Workers, each run stopped at the
 * optimizer's `candidate_timeout_seconds` (its worker replaced). Figures come back in candidate order.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import type { Json } from "../common/json.ts";
import { type FromWorker, type Job, spawnWorkers, type ToWorker } from "../dsl/mod.ts";
import type { Workload } from "../workload/mod.ts";
import { compilePrediction, loadPrediction } from "./aisimulate_files.ts";
import type { Stack } from "./predict_spec.ts";
import { summaryOf } from "./run_outputs.ts";
import type { Figures } from "./recommend_score.ts";

/** A candidate's run: its figures, or why there are none (AISimulate's status and reason category). */
export type RunOutcome =
  | { readonly ok: true; readonly figures: Figures }
  | {
    readonly ok: false;
    readonly status: "infeasible" | "unsupported" | "failed" | "timed_out";
    readonly category: string;
    readonly reason: string;
  };

/** Errors of a config the simulator cannot run, by what they say: [pattern, status, category]. */
const REFUSALS: readonly [RegExp, "infeasible" | "unsupported", string][] = [
  [/does not fit on/, "infeasible", "kv_capacity"],
  [/does not divide/, "infeasible", "parallel_projection"],
  [/not supported by dynolab/, "unsupported", "backend_topology"],
];

/** Simulate `configs` (concrete predict configs) on `stack`, `parallelism` at a time, each for `timeoutS` at most. */
export async function runCandidates(
  configs: readonly Json[],
  stack: Stack,
  parallelism: number,
  timeoutS: number,
): Promise<RunOutcome[]> {
  const outcomes: (RunOutcome | undefined)[] = new Array(configs.length);
  const jobs: Job[] = [], workloads = new Map<number, Workload>();
  for (const [id, config] of configs.entries()) {
    try {
      const inputs = await loadPrediction(compilePrediction(config, stack, "candidate"), "candidate");
      jobs.push({ id, spec: inputs.spec, workloadKey: String(id) });
      workloads.set(id, inputs.workload);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const reason = `${e.location.field ? `${e.location.field}: ` : ""}${e.detail}`;
      const [, status, category] = REFUSALS.find(([p]) => p.test(reason)) ??
        [null, "infeasible", "adapter_constraint"];
      outcomes[id] = {
        ok: false,
        status,
        category,
        reason: category === "adapter_constraint"
          ? `generated prediction config is infeasible: ${reason}`
          : reason,
      };
    }
  }
  const queue = [...jobs];
  const count = Math.min(parallelism, queue.length, Math.max(1, navigator.hardwareConcurrency || 1));
  await Promise.all(Array.from({ length: count }, async () => {
    let [worker] = spawnWorkers(1);
    try {
      for (let job = queue.shift(); job; job = queue.shift()) {
        const result = await runOne(worker, job, workloads.get(job.id)!, timeoutS);
        if (result === "timeout") {
          worker.terminate();
          [worker] = spawnWorkers(1);
          outcomes[job.id] = {
            ok: false,
            status: "timed_out",
            category: "runtime_timeout",
            reason: `exceed runtime: replay > ${timeoutS}s`,
          };
        } else outcomes[job.id] = result;
      }
    } finally {
      worker.terminate();
    }
  }));
  return outcomes as RunOutcome[];
}

/** Run `job` on `worker`; "timeout" when it takes more than `timeoutS`. */
function runOne(
  worker: Worker,
  job: Job,
  workload: Workload,
  timeoutS: number,
): Promise<RunOutcome | "timeout"> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve("timeout"), timeoutS * 1000);
    worker.onmessage = (e: MessageEvent<FromWorker>) => {
      clearTimeout(timer);
      const msg = e.data;
      if (msg.type === "done") resolve({ ok: true, figures: summaryOf(msg.result.report, undefined) });
      else if (msg.input) {
        resolve({ ok: false, status: "failed", category: "replay_runtime", reason: msg.message });
      } else reject(new Error(msg.message));
    };
    worker.onerror = (e) => {
      clearTimeout(timer);
      e.preventDefault();
      reject(new Error(`simulation worker failed: ${e.message}`));
    };
    worker.postMessage({ type: "workload", key: job.workloadKey, workload } satisfies ToWorker);
    worker.postMessage({ type: "job", job } satisfies ToWorker);
  });
}
