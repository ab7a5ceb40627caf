/**
 * The DSL's parameter registry: every name `.set()` and `.sweep()` accept, where it lands in the simulation spec,
 * and the typo check ("did you mean startupTime?"). Names are derived from the zod schemas' keys:
 *
 * | scope | flat name | dotted name | spec field |
 * | --- | --- | --- | --- |
 * | engine args (all pools) | `startupTime`, `numGpuBlocks`, … | `engine.startupTime` | `topology.engine.startup_time` (agg), both pools (disagg) |
 * | one disagg pool | — | `prefill.startupTime`, `decode.maxNumSeqs` | `topology.prefill_engine.…` |
 * | topology | `workers`, `prefillWorkers`, `decodeWorkers`, `kvTransferLinkSharing` | | `topology.num_workers`, … |
 * | run | `arrivalSpeedupRatio`, `arrivalJitterMs`, `replayConcurrency`, `warmupRequestCount`, `maxSimTimeSeconds`, `seed` | | top-level spec fields |
 * | router | `routerMode`, `overlapScoreCredit`, `routerTemperature`, … | `router.mode`, `router.…` | `router.mode`, `router.config.…` |
 * | goodput SLA | `slaTtftMs`, `slaItlMs`, `slaE2eMs` | `sla.ttftMs` | `sla.ttft_ms`, … |
 * | trace | `tracePath`, `traceFormat`, `traceBlockSize`, … | `workload.path` | `workload.path`, … |
 * | synthetic | `inputTokens`, `requestRate`, … | `workload.inputTokens` | `workload.input_tokens`, … |
 * | planner | `ttftMs`, `itlMs`, `loadAdjustmentIntervalSeconds`, … | `planner.ttftMs` | `planner.…` |
 *
 * A flat name two scopes share (e.g. `routerQueuePolicy`, an engine arg and a router key) is ambiguous: use the
 * dotted form. Aliases: see {@link ALIASES}.
 *
 * @module
 */
import type { z } from "zod";
import { InputError, shown, suggest } from "../common/errors.ts";
import { EngineArgsSchema } from "../engine/mod.ts";
import { RouterConfigSchema } from "../router/mod.ts";
import { AggTopologySchema, DisaggTopologySchema, SimSpecSchema, SlaSchema } from "../spec.ts";
import { PLANNER_ALIASES as REFERENCE_PLANNER_ALIASES, PlannerConfigObject } from "../planner/mod.ts";
import { SyntheticWorkloadSchema, TraceWorkloadSchema } from "../workload/mod.ts";
import { camel, pascal } from "./names.ts";

/** Where a parameter lands. */
export type Scope =
  | "engine"
  | "prefill"
  | "decode"
  | "topology"
  | "run"
  | "router"
  | "routerMode"
  | "sla"
  | "trace"
  | "synthetic"
  | "planner";

/** One DSL parameter: its scope and the snake_case key it sets there. */
export interface ParamDef {
  readonly scope: Scope;
  /** The schema key (snake_case) within the scope. */
  readonly key: string;
}

/** Friendly aliases: DSL name → canonical DSL name. */
export const ALIASES: Readonly<Record<string, string>> = {
  gpu: "aicSystem",
  model: "aicModelPath",
  backend: "aicBackend",
  backendVersion: "aicBackendVersion",
  tp: "aicTpSize",
  workers: "numWorkers",
  prefillWorkers: "numPrefillWorkers",
  decodeWorkers: "numDecodeWorkers",
  speedup: "arrivalSpeedupRatio",
  concurrency: "replayConcurrency",
  throughputIntervalS: "throughputAdjustmentIntervalSeconds",
  loadIntervalS: "loadAdjustmentIntervalSeconds",
  plannerMode: "planner.mode",
  temperature: "routerTemperature",
};

/** Keys of an object schema, looking through wrappers (optional, nullable, default, refinements, pipes). */
export function schemaKeys(schema: z.ZodType | undefined): string[] {
  type Node = { shape?: object; def?: { innerType?: unknown; in?: unknown; out?: unknown } };
  const queue: unknown[] = [schema];
  for (let i = 0; i < 16 && queue.length; i++) {
    const node = queue.shift() as Node | undefined;
    if (!node) continue;
    if (node.shape) return Object.keys(node.shape);
    queue.push(node.def?.innerType, node.def?.in, node.def?.out);
  }
  return [];
}

const TOPOLOGY_KEYS = [
  "num_workers",
  "num_prefill_workers",
  "num_decode_workers",
  "kv_transfer_link_sharing",
];
const RUN_KEYS = schemaKeys(SimSpecSchema).filter((k) =>
  !["workload", "topology", "router", "sla", "planner"].includes(k)
);

function traceName(key: string): string {
  const c = camel(key);
  return c.startsWith("trace") ? c : `trace${pascal(c)}`;
}

/** Flat and dotted names → definitions (several for an ambiguous flat name). */
function buildRegistry(): Map<string, ParamDef[]> {
  const map = new Map<string, ParamDef[]>();
  const add = (name: string, def: ParamDef) => {
    const defs = map.get(name) ?? [];
    if (!defs.some((d) => d.scope === def.scope && d.key === def.key)) defs.push(def);
    map.set(name, defs);
  };
  for (const key of schemaKeys(EngineArgsSchema)) {
    add(camel(key), { scope: "engine", key });
    add(`engine.${camel(key)}`, { scope: "engine", key });
    add(`prefill.${camel(key)}`, { scope: "prefill", key });
    add(`decode.${camel(key)}`, { scope: "decode", key });
  }
  const topo = new Set([...schemaKeys(AggTopologySchema), ...schemaKeys(DisaggTopologySchema)]);
  for (const key of TOPOLOGY_KEYS.filter((k) => topo.has(k))) add(camel(key), { scope: "topology", key });
  for (const key of RUN_KEYS) add(camel(key), { scope: "run", key });
  add("routerMode", { scope: "routerMode", key: "mode" });
  add("router.mode", { scope: "routerMode", key: "mode" });
  for (const key of schemaKeys(RouterConfigSchema)) {
    add(camel(key), { scope: "router", key });
    add(`router.${camel(key)}`, { scope: "router", key });
  }
  for (const key of schemaKeys(SlaSchema)) {
    add(`sla${pascal(camel(key))}`, { scope: "sla", key });
    add(`sla.${camel(key)}`, { scope: "sla", key });
  }
  for (const key of schemaKeys(TraceWorkloadSchema).filter((k) => k !== "source")) {
    add(traceName(key), { scope: "trace", key });
    add(`workload.${camel(key)}`, { scope: "trace", key });
  }
  for (const key of schemaKeys(SyntheticWorkloadSchema).filter((k) => k !== "source")) {
    add(camel(key), { scope: "synthetic", key });
    add(`workload.${camel(key)}`, { scope: "synthetic", key });
  }
  for (const key of schemaKeys(PlannerConfigObject)) {
    add(camel(key), { scope: "planner", key });
    add(`planner.${camel(key)}`, { scope: "planner", key });
  }
  // An alias means its target, also where a scope has a key of the alias's name (the planner's `backend`,
  // a live-deployment setting, stays `planner.backend`).
  for (const [alias, target] of Object.entries(ALIASES)) map.set(alias, [...map.get(target) ?? []]);
  return map;
}

const REGISTRY = buildRegistry();

/** Every parameter name the DSL accepts (flat, dotted and aliases), sorted. */
export const PARAM_NAMES: readonly string[] = [...REGISTRY.keys()].sort();

/** The schema keys behind the parameters (snake_case, as reports name them). */
export const SCHEMA_KEYS: ReadonlySet<string> = new Set([...REGISTRY.values()].flat().map((d) => d.key));

/**
 * The closest name to a typo: by edit distance, else the shortest name that contains the typo's letters in
 * order (`overlapWeight` → `overlapScoreWeight`).
 */
export function suggestName(word: string, names: readonly string[]): string | undefined {
  const close = suggest(word, names);
  if (close) return close;
  const norm = (s: string) => s.toLowerCase().replace(/[-_.]/g, "");
  const w = norm(word);
  const subsequence = (n: string) => {
    let i = 0;
    for (const ch of n) if (ch === w[i]) i++;
    return i === w.length;
  };
  const matches = names.filter((n) => w.length >= 4 && subsequence(norm(n)));
  return matches.sort((a, b) => a.length - b.length)[0];
}

/**
 * Throw an {@link InputError} for the first key of `rest` (options left after the valid ones were taken out of
 * a method's options), naming the method `what`, the closest valid option and every valid one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unknownOptions } from "./params.ts";
 * unknownOptions({}, ["workers"], ".agg()");
 * assert.throws(() => unknownOptions({ worker: 2 }, ["workers"], ".agg()"), /did you mean workers\?/);
 * ```
 */
export function unknownOptions(rest: object, valid: readonly string[], what: string): void {
  const key = Object.keys(rest)[0];
  if (key !== undefined) {
    const hint = suggestName(key, valid);
    throw new InputError(
      `unknown option "${key}"` + (hint ? ` (did you mean ${hint}?)` : "") + `; valid: ${valid.join(", ")}`,
      { field: what },
    );
  }
}

/**
 * Check the values of `.sweep(param, values)`: at least one, each a number, string or boolean, none twice.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkSweepValues } from "./params.ts";
 * checkSweepValues("workers", [1, 2]);
 * assert.throws(() => checkSweepValues("workers", [1, 1]), /duplicate value 1/);
 * ```
 */
export function checkSweepValues(param: string, values: readonly unknown[]): void {
  const field = `.sweep("${param}")`;
  if (!Array.isArray(values) || values.length === 0) {
    throw new InputError(`no values to sweep ${param} over`, { field });
  }
  const seen = new Set<string>();
  for (const v of values) {
    if (!["number", "string", "boolean"].includes(typeof v)) {
      throw new InputError(`sweep values must be numbers, strings or booleans, got ${shown(v)}`, {
        field,
      });
    }
    if (seen.has(JSON.stringify(v))) throw new InputError(`duplicate value ${JSON.stringify(v)}`, { field });
    seen.add(JSON.stringify(v));
  }
}

/**
 * Look a parameter up; throws {@link InputError} for an unknown name (with a suggestion) or an ambiguous one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lookupParam } from "./params.ts";
 * assert(lookupParam("startupTime").key === "startup_time");
 * assert(lookupParam("tp").key === "aic_tp_size");
 * try {
 *   lookupParam("startupTme");
 * } catch (e) {
 *   assert(String(e).includes("did you mean startupTime?"));
 * }
 * ```
 */
export function lookupParam(name: string, where = "parameter"): ParamDef {
  const defs = REGISTRY.get(name);
  if (!defs) {
    const flat = PARAM_NAMES.filter((n) => !n.includes("."));
    const hint = suggestName(name, flat) ?? suggestName(name, PARAM_NAMES);
    throw new InputError(
      `unknown parameter "${name}"` + (hint ? ` (did you mean ${hint}?)` : "") +
        "; see lib/dsl/README.md for the parameter names",
      { field: where },
    );
  }
  if (defs.length > 1) {
    const dotted = defs.map((d) => dottedName(d)).join(" or ");
    throw new InputError(`"${name}" is ambiguous: use ${dotted}`, { field: where });
  }
  return defs[0];
}

/** The definition `name` stands for, or undefined when it stands for none or for several. */
export function findParam(name: string): ParamDef | undefined {
  const defs = REGISTRY.get(name);
  return defs?.length === 1 ? defs[0] : undefined;
}

/**
 * Whether two definitions are one parameter (two of its names: `workers` and `numWorkers`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lookupParam, sameParam } from "./params.ts";
 * assert(sameParam(lookupParam("workers"), lookupParam("numWorkers")));
 * assert(!sameParam(lookupParam("workers"), lookupParam("seed")));
 * ```
 */
export function sameParam(a: ParamDef, b: ParamDef): boolean {
  return a.scope === b.scope && a.key === b.key;
}

/** The dotted name of a definition (for messages). */
export function dottedName(def: ParamDef): string {
  switch (def.scope) {
    case "routerMode":
      return "router.mode";
    case "trace":
    case "synthetic":
      return `workload.${camel(def.key)}`;
    case "topology":
    case "run":
      return camel(def.key);
    default:
      return `${def.scope}.${camel(def.key)}`;
  }
}

/**
 * Map an options object with camelCase keys onto the snake_case keys of a schema, resolving `aliases`.
 * Unknown keys throw an {@link InputError} naming `what` with a suggestion.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toSnake } from "./params.ts";
 * import { EngineArgsSchema } from "../engine/mod.ts";
 * const out = toSnake({ startupTime: 60, tp: 2 }, EngineArgsSchema, ".engine()", { tp: "aic_tp_size" });
 * assert(out.startup_time === 60 && out.aic_tp_size === 2);
 * assert.throws(() => toSnake({ tp: 2, aicTpSize: 4 }, EngineArgsSchema, ".engine()", { tp: "aic_tp_size" }));
 * ```
 */
export function toSnake(
  options: Record<string, unknown>,
  schema: z.ZodType,
  what: string,
  aliases: Readonly<Record<string, string>> = {},
  names: OptionNames = {},
): Record<string, unknown> {
  const hidden = new Set(names.hidden ?? []);
  const keys = schemaKeys(schema).filter((k) => !hidden.has(k));
  const byCamel = new Map(keys.map((k) => [camel(k), k]));
  const out: Record<string, unknown> = {};
  const given = new Map<string, string>();
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const key = aliases[name] ?? byCamel.get(name);
    const first = key === undefined ? undefined : given.get(key);
    if (first !== undefined) {
      throw new InputError(`"${first}" and "${name}" name one option; give one of them`, { field: what });
    }
    if (key !== undefined) given.set(key, name);
    if (!key) {
      const valid = [...byCamel.keys(), ...Object.keys(aliases), ...(names.extra ?? [])].sort();
      const hint = suggestName(name, valid);
      throw new InputError(
        `unknown option "${name}"` + (hint ? ` (did you mean ${hint}?)` : "") +
          `; valid: ${valid.join(", ")}`,
        { field: what },
      );
    }
    out[key] = value;
  }
  return out;
}

/** How a method's options differ from its schema's keys, for {@link toSnake}'s checks and messages. */
export interface OptionNames {
  /** Options the method takes itself (not schema keys), valid in messages. */
  readonly extra?: readonly string[];
  /** Schema keys (snake) the method sets itself, not options. */
  readonly hidden?: readonly string[];
}

/** Engine-arg aliases as snake keys (for {@link toSnake}). */
export const ENGINE_ALIASES: Readonly<Record<string, string>> = {
  gpu: "aic_system",
  model: "aic_model_path",
  backend: "aic_backend",
  backendVersion: "aic_backend_version",
  tp: "aic_tp_size",
};

/**
 * Planner aliases as snake keys (for {@link toSnake}): `throughputIntervalS`, `loadIntervalS`, and the
 * reference's own aliases camelCased (`ttft` → `ttft_ms`, `loadAdjustmentInterval` → …).
 */
export const PLANNER_ALIASES: Readonly<Record<string, string>> = {
  throughputIntervalS: "throughput_adjustment_interval_seconds",
  loadIntervalS: "load_adjustment_interval_seconds",
  ...Object.fromEntries(Object.entries(REFERENCE_PLANNER_ALIASES).map(([alias, key]) => [camel(alias), key])),
};
