/**
 * Expanding a scenario into its runs: variants in declared order, and within each the grid of its sweeps
 * (the first sweep varies slowest). Pure: no trace is read here.
 *
 * @module
 */
import { dslField } from "./names.ts";
import { dslWording } from "./wording.ts";
import { InputError } from "../common/errors.ts";
import type { SimSpecInput } from "../spec.ts";
import {
  checkArrivalMode,
  copyDraft,
  draftToSpec,
  setParam,
  type TraceRef,
  type WorkloadNeed,
} from "./draft.ts";
import type { Scenario } from "./scenario.ts";
import type { Scalar } from "./types.ts";

/** One run of a scenario, before its trace is resolved. */
export interface PlannedRun {
  /** Position in the scenario's declared order, from 0. */
  readonly index: number;
  /** `variant · param=value · …`, or the scenario name for a single run. */
  readonly name: string;
  /** The `.compare()` variant, or null. */
  readonly variant: string | null;
  /** The swept parameters of this run, in sweep order. */
  readonly params: Readonly<Record<string, Scalar>>;
  /** The spec, its trace path still as the user named it. */
  readonly spec: SimSpecInput;
  /** The trace as named (path, URL or `family:name`, or shards), if the workload is a trace. */
  readonly traceRef?: TraceRef;
}

/**
 * Expand `s` into its runs; a bad combination throws an {@link InputError} naming the run. With `workload`
 * `"ignored"` the runs describe deployments only: their specs carry the default workload, unchecked.
 */
export function expandRuns(s: Scenario, workload: WorkloadNeed = "required"): PlannedRun[] {
  const runs: PlannedRun[] = [];
  const variants = s.variants ?? [[null, s] as const];
  for (const [variant, v] of variants) {
    for (const point of grid(v)) {
      const draft = copyDraft(v.draft);
      const label = [variant, ...point.map(([p, value]) => `${p}=${value}`)].filter(Boolean).join(" · ") ||
        s.name;
      try {
        for (const [param, value, def] of point) setParam(draft, def, value, param);
        const { spec, traceRef } = draftToSpec(draft, workload);
        if (workload === "required") checkArrivalMode(draft);
        runs.push({
          index: runs.length,
          name: label,
          variant,
          params: Object.fromEntries(point.map(([p, value]) => [p, value])),
          spec,
          traceRef,
        });
      } catch (e) {
        if (e instanceof InputError) throw inRunError(e, runs.length, label);
        throw e;
      }
    }
  }
  return runs;
}

/**
 * Run `work` for `run`, prefixing an {@link InputError} it throws with the run's index and name, in the DSL's
 * names ({@link runError}).
 */
export async function inRun<T>(run: PlannedRun, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof InputError) throw runError(e, run);
    throw e;
  }
}

/**
 * An error a run raised while it ran (after {@link inRun}'s checks), prefixed with the run's index and name like
 * theirs: an {@link InputError} stays one, its field and message in the DSL's names (the simulator words them as
 * the CLI does: `--extra-engine-args.max_num_seqs`, `warmup_request_count`); any other error becomes an `Error`
 * with its message (and its name, unless a plain `Error`) and `e` as its cause.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InputError } from "../common/errors.ts";
 * import { runError } from "./plan.ts";
 * const run = { index: 2, name: "warmupRequestCount=500" };
 * const e = runError(new InputError("too many", { field: "warmup_request_count" }), run);
 * assert(e instanceof InputError);
 * assert.equal(e.message, "run 2 (warmupRequestCount=500): warmupRequestCount: too many");
 * assert.equal(
 *   runError(new TypeError("x is undefined"), run).message,
 *   "run 2 (warmupRequestCount=500): TypeError: x is undefined",
 * );
 * ```
 */
export function runError(e: unknown, run: Pick<PlannedRun, "index" | "name">): Error {
  if (e instanceof InputError) {
    const field = e.location.field;
    const worded = new InputError(dslWording(e.detail), {
      ...e.location,
      field: field === undefined || field.startsWith("spec.") ? field : dslWording(field),
    });
    return inRunError(worded, run.index, run.name);
  }
  const message = e instanceof Error ? (e.name === "Error" ? "" : `${e.name}: `) + e.message : String(e);
  return new Error(`run ${run.index} (${run.name}): ${message}`, { cause: e });
}

/** `e` prefixed with the run it came from, a spec field it names called as the DSL calls it ({@link dslField}). */
function inRunError(e: InputError, index: number, name: string): InputError {
  const field = e.location.field;
  const named = field !== undefined && field.startsWith("spec.")
    ? new InputError(e.detail, { ...e.location, field: dslField(field) })
    : e;
  return new InputError(`run ${index} (${name}): ${named.message}`);
}

type Point = Array<[string, Scalar, Scenario["sweeps"][number]["def"]]>;

function grid(s: Scenario): Point[] {
  let points: Point[] = [[]];
  for (const sweep of s.sweeps) {
    const next: Point[] = [];
    for (const p of points) for (const v of sweep.values) next.push([...p, [sweep.param, v, sweep.def]]);
    points = next;
  }
  return points;
}
