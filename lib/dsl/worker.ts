/**
 * The Web Worker that runs simulation jobs for {@link execute}: it keeps each workload it receives, reads each
 * job's run inputs (perf inputs, planner warm-up; once per distinct pool) and runs the jobs sent to it, one at a
 * time.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import type { Workload } from "../workload/mod.ts";
import { runInputsLoader } from "../run_inputs.ts";
import { type FromWorker, runJob, type ToWorker } from "./execute.ts";

const workloads = new Map<string, Workload>();
const loadRunInputs = runInputsLoader();
const scope = self as unknown as {
  onmessage: (e: MessageEvent<ToWorker>) => void;
  postMessage: (m: FromWorker) => void;
};

scope.onmessage = async (e) => {
  const msg = e.data;
  if (msg.type === "workload") {
    workloads.set(msg.key, msg.workload);
    return;
  }
  const { job } = msg;
  try {
    const inputs = await loadRunInputs(job.spec);
    scope.postMessage({
      type: "done",
      id: job.id,
      result: runJob(job, workloads.get(job.workloadKey)!, inputs),
    });
  } catch (err) {
    if (err instanceof InputError) {
      const { message, detail, location } = err;
      scope.postMessage({ type: "error", id: job.id, message, input: true, detail, location });
    } else {
      const { message, name, stack } = err instanceof Error
        ? err
        : { message: String(err), name: undefined, stack: undefined };
      scope.postMessage({ type: "error", id: job.id, message, input: false, name, stack });
    }
  }
};
