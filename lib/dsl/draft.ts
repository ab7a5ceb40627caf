/**
 * A scenario's settings as plain data (snake_case per scope) and their translation into a simulation spec.
 * Scenarios copy a draft on every method call, so drafts are never shared between scenarios.
 *
 * @module
 */
import { InputError, shown } from "../common/errors.ts";
import type { SimSpecInput } from "../spec.ts";
import { type ArrivalFields, type ArrivalMode, arrivalModeProblem, arrivalModes } from "../workload/mod.ts";
import { dottedName, type ParamDef } from "./params.ts";

type Fields = Record<string, unknown>;

/** A trace as the user named it (path, URL or `family:name`), or a `dynamo` trace's shards. */
export type TraceRef = string | readonly string[];

/** Which workload a scenario replays. */
export type WorkloadDraft =
  | { readonly kind: "trace"; readonly ref: TraceRef }
  | { readonly kind: "synthetic" }
  | { readonly kind: "default" };

/** A scenario's settings. */
export interface Draft {
  workload: WorkloadDraft | null;
  /** Which method chose it, for "conflicting calls" messages. */
  workloadBy: string | null;
  topology: "agg" | "disagg" | null;
  topologyBy: string | null;
  trace: Fields;
  synthetic: Fields;
  topo: Fields;
  engine: Fields;
  prefill: Fields;
  decode: Fields;
  routerMode: string | null;
  router: Fields;
  /** The router-side perf model (`.router({aic})`), or null. */
  routerAic: Fields | null;
  /** The router queue's policy document (`.router({policy})`) and model profile, or null. */
  routerPolicy: Fields | null;
  routerModelName: string | null;
  sla: Fields;
  run: Fields;
  planner: Fields | null;
  /** Planner options set by name (`.set()`, `.sweep()`): they need `.planner()`, which they override. */
  plannerParams: Fields;
  /** The DSL name of the first of them, for the error when there is no planner. */
  plannerParamBy: string | null;
}

/** An empty draft. */
export function emptyDraft(): Draft {
  return {
    workload: null,
    workloadBy: null,
    topology: null,
    topologyBy: null,
    trace: {},
    synthetic: {},
    topo: {},
    engine: {},
    prefill: {},
    decode: {},
    routerMode: null,
    router: {},
    routerAic: null,
    routerPolicy: null,
    routerModelName: null,
    sla: {},
    run: {},
    planner: null,
    plannerParams: {},
    plannerParamBy: null,
  };
}

/** A deep copy. */
export function copyDraft(d: Draft): Draft {
  return structuredClone(d);
}

/**
 * Choose the workload; a different kind than one already chosen is a conflict. A different trace drops the
 * earlier one's options unless `keepOptions` (a `tracePath` setting: the same options, another file).
 */
export function setWorkload(d: Draft, w: WorkloadDraft, by: string, keepOptions = false): void {
  if (d.workload && d.workload.kind !== w.kind) {
    throw new InputError(
      `conflicting workload calls: ${d.workloadBy} then ${by}; a scenario replays one workload ` +
        "(branch from a common base, or use .compare())",
      { field: by },
    );
  }
  if (
    !keepOptions && d.workload?.kind === "trace" && w.kind === "trace" &&
    JSON.stringify(d.workload.ref) !== JSON.stringify(w.ref)
  ) d.trace = {};
  d.workload = w;
  d.workloadBy = by;
}

/** Choose the topology; switching between agg and disagg is a conflict. */
export function setTopology(d: Draft, mode: "agg" | "disagg", by: string): void {
  if (d.topology && d.topology !== mode) {
    throw new InputError(
      `conflicting topology calls: ${d.topologyBy} then ${by}; a scenario has one topology ` +
        "(branch from a common base, or use .compare({agg: …, disagg: …}))",
      { field: by },
    );
  }
  d.topology = mode;
  d.topologyBy = by;
}

/** Set one parameter (from `.set()` or a sweep point). */
export function setParam(d: Draft, def: ParamDef, value: unknown, name: string): void {
  switch (def.scope) {
    case "engine":
      d.engine[def.key] = value;
      delete d.prefill[def.key];
      delete d.decode[def.key];
      return;
    case "prefill":
    case "decode":
      d[def.scope][def.key] = value;
      return;
    case "topology":
      d.topo[def.key] = value;
      return;
    case "run":
      d.run[def.key] = value;
      return;
    case "routerMode":
      d.routerMode = String(value);
      return;
    case "router":
      d.router[def.key] = value;
      return;
    case "sla":
      d.sla[def.key] = value;
      return;
    case "trace":
      if (def.key === "path") {
        if (typeof value !== "string") {
          throw new InputError(`expected a trace path, URL or name, got ${shown(value)}`, {
            field: name,
          });
        }
        setWorkload(d, { kind: "trace", ref: value }, name, true);
      } else d.trace[def.key] = value;
      return;
    case "synthetic":
      d.synthetic[def.key] = value;
      return;
    case "planner":
      d.plannerParams[def.key] = value;
      d.plannerParamBy ??= name;
      return;
  }
}

/** The DSL's name of each arrival-mode spec field. */
const ARRIVAL_OPTION: Record<ArrivalMode, string> = {
  request_rate: "requestRate",
  arrival_interval_ms: "arrivalIntervalMs",
  replay_concurrency: "concurrency",
};

/**
 * A run's synthetic workload must say how requests arrive (`arrivalModeProblem`, worded in the DSL's option
 * names). Checked per run, after its sweep point supplied its values; {@link draftToSpec} does not check it,
 * so a scenario whose sweep gives the mode still has a spec to show.
 */
export function checkArrivalMode(d: Draft): void {
  if (d.workload?.kind !== "synthetic") return;
  // Values are the user's, unchecked: only their presence matters here; the spec schema checks them.
  const given = arrivalModes(d.synthetic as ArrivalFields, d.run.replay_concurrency != null);
  const problem = arrivalModeProblem(given, (m) => ARRIVAL_OPTION[m]);
  if (problem) throw new InputError(problem, { field: ".synthetic()" });
}

/** What {@link draftToSpec} returns: the spec (trace path not yet resolved) and the trace reference. */
export interface DraftSpec {
  readonly spec: SimSpecInput;
  /** The trace as the user named it; undefined for other workloads. */
  readonly traceRef?: TraceRef;
}

/**
 * Whether a use of a draft's spec needs its workload: a run does; pricing passes does not, and then the spec
 * carries the default workload whatever the draft says, unchecked.
 */
export type WorkloadNeed = "required" | "ignored";

/**
 * The simulation spec a draft describes. Cross-field problems (a pool setting without `.disagg()`, synthetic
 * options with a trace, no workload when `workload` is `"required"`) throw an {@link InputError}; field values
 * are checked later by the spec schema.
 */
export function draftToSpec(d: Draft, workload: WorkloadNeed = "required"): DraftSpec {
  const workloadInput = workload === "required" ? workloadSpec(d) : { source: "default" as const };
  const topology = topologySpec(d);
  const spec: Record<string, unknown> = {
    ...d.run,
    workload: workloadInput,
    topology,
    router: {
      ...(d.routerMode !== null ? { mode: d.routerMode } : {}),
      config: { ...d.router },
      ...(d.routerAic !== null ? { aic: { ...d.routerAic } } : {}),
      ...(d.routerPolicy !== null ? { policy: structuredClone(d.routerPolicy) } : {}),
      ...(d.routerModelName !== null ? { model_name: d.routerModelName } : {}),
    },
    sla: { ...d.sla },
  };
  if (d.planner) {
    spec.planner = { mode: topology.mode, ...d.planner, ...d.plannerParams };
  } else if (d.plannerParamBy !== null) {
    throw new InputError(
      "is a planner setting but the scenario has no planner; call .planner({...}) to put the SLA planner in " +
        "the loop (the report's goodput thresholds are slaTtftMs, slaItlMs, slaE2eMs)",
      { field: d.plannerParamBy },
    );
  }
  return {
    spec: spec as unknown as SimSpecInput,
    traceRef: d.workload?.kind === "trace" && workload === "required" ? d.workload.ref : undefined,
  };
}

function workloadSpec(d: Draft): SimSpecInput["workload"] {
  const w = d.workload;
  if (!w) {
    throw new InputError("no workload: call .trace(), .synthetic() or .defaultWorkload()", {
      field: "workload",
    });
  }
  const misplaced = (fields: Fields, scope: "trace" | "synthetic") => {
    const key = Object.keys(fields)[0];
    if (key !== undefined) {
      const kind = scope === "trace" ? "trace" : "synthetic-workload";
      throw new InputError(`is a ${kind} setting but the workload is ${w.kind}`, {
        field: dottedName({ scope, key }),
      });
    }
  };
  if (w.kind === "trace") {
    misplaced(d.synthetic, "synthetic");
    return { source: "trace", path: w.ref, ...d.trace } as SimSpecInput["workload"];
  }
  misplaced(d.trace, "trace");
  if (w.kind === "synthetic") return { source: "synthetic", ...d.synthetic } as SimSpecInput["workload"];
  misplaced(d.synthetic, "synthetic");
  return { source: "default" };
}

function topologySpec(d: Draft): SimSpecInput["topology"] {
  const mode = d.topology ?? (has(d.topo, "num_prefill_workers", "num_decode_workers") ? "disagg" : "agg");
  if (mode === "agg") {
    for (const scope of ["prefill", "decode"] as const) {
      const key = Object.keys(d[scope])[0];
      if (key !== undefined) {
        throw new InputError("prefill./decode. settings need .disagg()", {
          field: dottedName({ scope, key }),
        });
      }
    }
    for (const key of ["num_prefill_workers", "num_decode_workers", "kv_transfer_link_sharing"]) {
      if (key in d.topo) {
        throw new InputError("needs .disagg()", { field: dottedName({ scope: "topology", key }) });
      }
    }
    return { mode: "agg", ...pick(d.topo, "num_workers"), engine: { ...d.engine } };
  }
  if ("num_workers" in d.topo) {
    throw new InputError("is for .agg(); disaggregated pools use prefillWorkers and decodeWorkers", {
      field: "workers",
    });
  }
  return {
    mode: "disagg",
    ...pick(d.topo, "num_prefill_workers", "num_decode_workers", "kv_transfer_link_sharing"),
    prefill_engine: { ...d.engine, ...d.prefill },
    decode_engine: { ...d.engine, ...d.decode },
  };
}

function has(fields: Fields, ...keys: string[]): boolean {
  return keys.some((k) => k in fields);
}

function pick(fields: Fields, ...keys: string[]): Fields {
  const out: Fields = {};
  for (const k of keys) if (k in fields) out[k] = fields[k];
  return out;
}
