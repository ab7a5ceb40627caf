/**
 * Running `aisimulate recommend`'s candidates: each concrete config compiled and loaded here (a config the
 * simulator refuses is recorded, not fatal; what candidates share, such as the workload, is read once), then
 * simulated by the DSL's {@link execute} on a pool of Web Workers, each run stopped at the optimizer's
 * `candidate_timeout_seconds`. Figures come back in candidate order.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import type { Json } from "../common/json.ts";
import { execute, type Job, spawnWorkers } from "../dsl/mod.ts";
import { workloadKey } from "../run_inputs.ts";
import { inputsLoader } from "../simulate.ts";
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

/**
 * Simulate `configs` (concrete predict configs) on `stack`, `parallelism` at a time (on as many workers; the
 * caller caps it to the host), each for `timeoutS` at most.
 */
export async function runCandidates(
  configs: readonly Json[],
  stack: Stack,
  parallelism: number,
  timeoutS: number,
): Promise<RunOutcome[]> {
  const outcomes: (RunOutcome | undefined)[] = new Array(configs.length);
  const jobs: Job[] = [], workloads = new Map<string, Workload>();
  const load = inputsLoader();
  for (const [id, config] of configs.entries()) {
    try {
      const inputs = await loadPrediction(compilePrediction(config, stack, "candidate"), "candidate", load);
      const key = workloadKey(inputs.spec, inputs.workload.blockSize);
      workloads.set(key, inputs.workload);
      jobs.push({ id, spec: inputs.spec, workloadKey: key });
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
  await execute(jobs, workloads, spawnWorkers(Math.min(parallelism, jobs.length)), {
    timeoutS,
    onDone: (job, result) => outcomes[job.id] = { ok: true, figures: summaryOf(result.report, undefined) },
    onFailure: (job, failure) =>
      outcomes[job.id] = failure.kind === "timeout"
        ? {
          ok: false,
          status: "timed_out",
          category: "runtime_timeout",
          reason: `exceed runtime: replay > ${failure.seconds}s`,
        }
        : { ok: false, status: "failed", category: "replay_runtime", reason: failure.message },
  });
  return outcomes as RunOutcome[];
}
