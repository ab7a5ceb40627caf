/**
 * Running `aisimulate recommend`'s candidates: each concrete config compiled and loaded here (a config the
 * simulator refuses is recorded, not fatal; what candidates share, such as the workload, is read once by the
 * caller's loader; a `kv_capacity_fraction` load becomes the candidate's concurrency), then simulated by the
 * DSL's {@link execute} on a pool of Web Workers, each run stopped at the optimizer's
 * `candidate_timeout_seconds`. Outcomes come back in candidate order.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import type { Json } from "../common/json.ts";
import { execute, type Job, spawnWorkers } from "../dsl/mod.ts";
import { workloadKey } from "../run_inputs.ts";
import type { SimulationInputs } from "../simulate.ts";
import type { Workload } from "../workload/mod.ts";
import { compilePrediction, loadPrediction } from "./aisimulate_files.ts";
import type { Stack } from "./predict_spec.ts";
import { summaryOf } from "./run_outputs.ts";
import {
  type KvLoad,
  kvLoad,
  kvLoadRequest,
  roleCapacityTokens,
  withConcurrency,
} from "./recommend_kv_load.ts";
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
  [/does not fit on|cannot hold the estimated/, "infeasible", "kv_capacity"],
  [/does not divide/, "infeasible", "parallel_projection"],
  [/not supported by dynolab/, "unsupported", "backend_topology"],
];

/** A candidate as run: its config with a concrete load, the load a KV fraction resolved to, and the outcome. */
export interface CandidateRun {
  readonly config: Json;
  readonly kvLoad?: KvLoad;
  readonly outcome: RunOutcome;
}

/** How {@link runCandidates} runs: candidates at once (the caller caps it to the host), time limit, loader. */
export interface RunOptions {
  readonly parallelism: number;
  readonly timeoutS: number;
  /** Loads a compiled candidate; one `inputsLoader()` for the whole search shares what candidates share. */
  readonly load: (spec: unknown) => Promise<SimulationInputs>;
}

/** Simulate `configs` (concrete predict configs) on `stack`. */
export async function runCandidates(
  configs: readonly Json[],
  stack: Stack,
  { parallelism, timeoutS, load }: RunOptions,
): Promise<CandidateRun[]> {
  const runs: { config: Json; kvLoad?: KvLoad; outcome?: RunOutcome }[] = configs.map((config) => ({
    config,
  }));
  const jobs: Job[] = [], workloads = new Map<string, Workload>();
  for (const [id, run] of runs.entries()) {
    try {
      const request = kvLoadRequest(run.config);
      if (request !== undefined) {
        const sizing = await loadPrediction(
          compile(withConcurrency(run.config, 1), stack),
          "candidate",
          load,
        );
        run.kvLoad = kvLoad(request, roleCapacityTokens(sizing));
        run.config = withConcurrency(run.config, run.kvLoad.concurrency);
      }
      const inputs = await loadPrediction(compile(run.config, stack), "candidate", load);
      const key = workloadKey(inputs.spec, inputs.workload.blockSize);
      workloads.set(key, inputs.workload);
      jobs.push({ id, spec: inputs.spec, workloadKey: key });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      run.outcome = refusal(e);
    }
  }
  await execute(jobs, workloads, spawnWorkers(Math.min(parallelism, jobs.length)), {
    timeoutS,
    onDone: (job, result) =>
      runs[job.id].outcome = { ok: true, figures: summaryOf(result.report, undefined) },
    onFailure: (job, failure) =>
      runs[job.id].outcome = failure.kind === "timeout"
        ? {
          ok: false,
          status: "timed_out",
          category: "runtime_timeout",
          reason: `exceed runtime: replay > ${failure.seconds}s`,
        }
        : { ok: false, status: "failed", category: "replay_runtime", reason: failure.message },
  });
  return runs as CandidateRun[];
}

const compile = (config: Json, stack: Stack) => compilePrediction(config, stack, "candidate");

/** The outcome of a candidate the simulator refuses with `e`: AISimulate's status and reason category. */
function refusal(e: InputError): RunOutcome {
  const reason = `${e.location.field ? `${e.location.field}: ` : ""}${e.detail}`;
  const [, status, category] = REFUSALS.find(([p]) => p.test(reason)) ??
    [null, "infeasible", "adapter_constraint"];
  return {
    ok: false,
    status,
    category,
    reason: category === "adapter_constraint"
      ? `generated prediction config is infeasible: ${reason}`
      : reason,
  };
}
