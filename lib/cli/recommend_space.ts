/**
 * The search space of `aisimulate recommend`: the config's domains (`{choices: [...]}` or `{range: {min, max,
 * step?, scale?}}` in place of a value) and the defaults AISimulate searches where a knob is left out (both
 * modes, a parallelism ladder within the GPU budget, scheduler limits), as one branch per deployment mode. A
 * point picks a value for each dimension; {@link materialize} turns it into a concrete predict config.
 *
 * @module
 */
import { isIntegerAt } from "../common/config.ts";
import { InputError } from "../common/errors.ts";
import { isObject, type Json, setPath } from "../common/json.ts";
import { range } from "../dsl/mod.ts";
import { PredictConfigSchema } from "./predict_config.ts";
import type { Optimization } from "./recommend_config.ts";

/** The leaves one value of a dimension sets: `[path, value]` pairs. */
export type Patch = readonly (readonly [readonly string[], unknown])[];

/** A dimension: categorical (one patch per value) or continuous (one leaf, a number in [min, max]). */
export type Dim =
  | { readonly kind: "choice"; readonly name: string; readonly patches: readonly Patch[] }
  | {
    readonly kind: "range";
    readonly name: string;
    readonly path: readonly string[];
    readonly min: number;
    readonly max: number;
    readonly log: boolean;
    readonly int: boolean;
  };

/** A deployment mode's search: the config with its domains taken out, and the dimensions. */
export interface Branch {
  readonly mode: "aggregated" | "disaggregated";
  /** Added to the optimizer's seed (AISimulate's: agg 0, disagg 1). */
  readonly seedOffset: number;
  readonly base: Json;
  readonly dims: readonly Dim[];
}

/** A point of a branch: per dimension, a patch index (choice) or the value (range). */
export type Point = readonly number[];

/** Worker sizes (GPUs) of the default parallelism ladder. */
const LADDER = [1, 2, 4, 8, 16];
/** Paths (prefixes) that must stay concrete. */
const CONCRETE = [
  "engine.model",
  "engine.hardware",
  "engine.backend_version",
  "engine.context_length",
  "engine.kv_transfer",
  "traffic.source",
  "traffic.stop",
  "traffic.load.type",
  "evaluation",
  "execution",
];
const PARALLELISM_KEYS = ["replicas", "tensor", "pipeline", "attention_data", "moe_tensor", "moe_expert"];
/** AISimulate's scheduler domains for a knob left out, by role. */
const SCHEDULER_DEFAULTS: Readonly<Record<string, Readonly<Record<string, readonly number[]>>>> = {
  aggregated: { max_batched_tokens: [8192, 16384, 32768], max_sequences: [256, 512, 1024] },
  prefill: { max_batched_tokens: [8192, 16384, 32768], max_sequences: [1, 2, 4, 8, 16, 32, 64, 128, 256] },
  decode: { max_batched_tokens: [8192], max_sequences: [256, 512, 1024] },
};

const fail = (field: string, message: string): never => {
  throw new InputError(message, { field });
};

/**
 * The branches of `doc` (the config without `optimization` and `optimizer`) under `optimization`'s budget.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OptimizationSchema } from "./recommend_config.ts";
 * import { materialize, searchSpace } from "./recommend_space.ts";
 * const [agg] = searchSpace({
 *   engine: {
 *     mode: "aggregated", model: "Qwen/Qwen3-32B", hardware: "h200_sxm",
 *     workers: { aggregated: { parallelism: { tensor: { choices: [1, 2] } }, scheduler: { max_sequences: 64 } } },
 *   },
 *   traffic: { source: { type: "synthetic" }, load: { concurrency: { range: { min: 4, max: 16, step: 4 } } } },
 * }, OptimizationSchema.parse({}));
 * assert.deepEqual(agg.dims.map((d) => d.name), [
 *   "engine.workers.aggregated.parallelism.tensor", "engine.workers.aggregated.scheduler.max_batched_tokens",
 *   "traffic.load.concurrency",
 * ]);
 * const config = materialize(agg, [1, 0, 3]);
 * assert.equal((config.traffic as { load: { concurrency: number } }).load.concurrency, 16);
 * ```
 */
export function searchSpace(doc: Json, optimization: Optimization): Branch[] {
  const engine = doc.engine;
  if (!isObject(engine)) return fail("engine", "required");
  const hardware = engine.hardware === "auto" ? optimization.hardware : engine.hardware;
  if (hardware === undefined) {
    fail("engine.hardware", "engine.hardware='auto' requires one optimization.hardware");
  }
  // Both modes when left out, but aggregated alone for TRT-LLM, which runs aggregated only.
  const mode = engine.mode ??
    (engine.backend === "trtllm" ? "aggregated" : { choices: ["aggregated", "disaggregated"] });
  const modes = isDomain(mode) ? choicesOf(mode, "engine.mode") : [mode];
  for (const m of modes) {
    if (m !== "aggregated" && m !== "disaggregated") {
      fail("engine.mode", `expected "aggregated" or "disaggregated" (dynolab does not model afd), got ${m}`);
    }
  }
  const limits = optimization.constraints;
  const branches = (modes as ("aggregated" | "disaggregated")[]).map((m) => {
    const base = structuredClone(doc);
    const e = base.engine as Json;
    e.mode = m;
    e.hardware = hardware;
    e.backend ??= "vllm";
    const workers = isObject(e.workers) ? e.workers : {};
    const roles = m === "aggregated" ? ["aggregated"] : ["prefill", "decode"];
    e.workers = Object.fromEntries(roles.map((r) => [r, isObject(workers[r]) ? workers[r] : {}]));
    const dims: Dim[] = [];
    const ladders: string[] = [];
    for (const r of roles) {
      const role = (e.workers as Record<string, Json>)[r];
      const scheduler = (role.scheduler ??= {}) as Json;
      for (const [key, values] of Object.entries(SCHEDULER_DEFAULTS[r])) {
        if (scheduler[key] === undefined) {
          scheduler[key] = values.length === 1 ? values[0] : { choices: [...values] };
        }
      }
      const par = role.parallelism, at = `engine.workers.${r}.parallelism`;
      if (par === undefined || (isObject(par) && par.preset === "default" && Object.keys(par).length === 1)) {
        ladders.push(r);
        delete role.parallelism;
      } else if (isObject(par) && "preset" in par) {
        const others = Object.keys(par).filter((k) => k !== "preset");
        if (par.preset === false) delete par.preset;
        else if (others.length) {
          fail(at, `cannot combine preset with independent knobs [${others.join(", ")}]`);
        } else if (Array.isArray(par.preset)) {
          dims.push({
            kind: "choice",
            name: at,
            patches: par.preset.map((p, i) => [[at.split("."), preset(p, `${at}.preset[${i}]`)]]),
          });
          delete role.parallelism;
        } else fail(`${at}.preset`, "expected default, false or a list of parallelism mappings");
      }
    }
    if (ladders.length) {
      // The roles given a fixed layout take their GPUs out of the limits the searched roles share.
      const fixed = roles.filter((r) => !ladders.includes(r)).reduce((sum, r) => {
        const role = (e.workers as Record<string, Json>)[r];
        return sum + (fixedLayout(role.parallelism) ? roleGpus(role) : 0);
      }, 0);
      const lo = (limits.min_candidate_gpus ?? 1) - fixed, hi = limits.max_candidate_gpus - fixed;
      dims.push(ladderDim(ladders, lo, hi));
    }
    collect(base, [], dims);
    return { mode: m, seedOffset: m === "aggregated" ? 0 : 1, base, dims };
  });
  // A mode whose default parallelism has no layout within the GPU limits is not searched.
  const fits = branches.filter((b) => b.dims.every((d) => d.kind === "range" || d.patches.length > 0));
  if (fits.length === 0) {
    const { min_candidate_gpus: lo, max_candidate_gpus: hi } = limits;
    fail(
      "optimization.constraints",
      `no ${modes.join(" or ")} deployment of the default parallelism (workers of 1, 2, 4, 8 or 16 GPUs, ` +
        `replicated) uses between ${lo ?? 1} and ${hi} GPUs; raise max_candidate_gpus or give ` +
        "engine.workers.<role>.parallelism",
    );
  }
  return fits;
}

/** Whether `par` is a concrete layout (numbers only, no domain or preset): its GPUs are known before the search. */
function fixedLayout(par: unknown): boolean {
  return isObject(par) && Object.values(par).every((v) => typeof v === "number");
}

/** One parallelism preset, checked: exactly the six keys, positive integers. */
function preset(p: unknown, at: string): Json {
  if (!isObject(p)) return fail(at, "expected a mapping");
  const missing = PARALLELISM_KEYS.filter((k) => !(k in p)),
    unknown = Object.keys(p).filter((k) => !PARALLELISM_KEYS.includes(k));
  if (missing.length || unknown.length) {
    fail(
      at,
      `entry must cover exactly (${PARALLELISM_KEYS.join(", ")}); missing=[${missing.join(", ")}], unknown=[${
        unknown.join(", ")
      }]`,
    );
  }
  for (const k of PARALLELISM_KEYS) {
    if (!(Number.isInteger(p[k]) && (p[k] as number) > 0)) fail(`${at}.${k}`, "must be a positive integer");
  }
  return p;
}

/** The default parallelism of `roles`: every worker size of the ladder × replicas within [lo, hi] GPUs in all. */
function ladderDim(roles: readonly string[], lo: number, hi: number): Dim {
  const one: Json[] = [];
  for (const tensor of LADDER) {
    for (let replicas = 1; replicas * tensor <= hi; replicas++) {
      one.push({ replicas, tensor, pipeline: 1, attention_data: 1, moe_tensor: 1, moe_expert: 1 });
    }
  }
  const gpus = (p: Json) => (p.replicas as number) * (p.tensor as number);
  let combos: Json[][] = one.map((p) => [p]);
  for (let i = 1; i < roles.length; i++) {
    combos = combos.flatMap((c) =>
      one.filter((p) => gpus(p) + c.reduce((s, q) => s + gpus(q), 0) <= hi).map((p) => [...c, p])
    );
  }
  combos = combos.filter((c) => c.reduce((s, q) => s + gpus(q), 0) >= lo);
  const paths = roles.map((r) => ["engine", "workers", r, "parallelism"]);
  return {
    kind: "choice",
    name: `engine.workers.${roles.join("+")}.parallelism`,
    patches: combos.map((c) => c.map((p, i) => [paths[i], p] as const)),
  };
}

/** Whether `v` is a domain: a mapping whose one key is `choices` or `range`. */
function isDomain(v: unknown): v is Json {
  if (!isObject(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === "choices" || keys[0] === "range");
}

function choicesOf(d: Json, field: string): unknown[] {
  const c = d.choices;
  if (!Array.isArray(c) || c.length === 0) fail(field, "choices must be a nonempty list");
  const keys = (c as unknown[]).map((v) => JSON.stringify(v));
  if (new Set(keys).size !== keys.length) fail(field, "choices must contain unique values");
  return c as unknown[];
}

/** Take every domain out of `node` (at `path`) into `dims`, leaving its place empty. */
function collect(node: Json, path: string[], dims: Dim[]): void {
  for (const [key, value] of Object.entries(node)) {
    const at = [...path, key], name = at.join(".");
    if (isDomain(value)) {
      if (
        CONCRETE.some((c) => name === c || name.startsWith(`${c}.`)) ||
        /^engine\.workers\.\w+\.hardware$/.test(name)
      ) {
        fail(name, "must be concrete (recommend searches engine, worker, load, router and planner knobs)");
      }
      dims.push(dim(value, at, name));
      delete node[key];
    } else if (isObject(value)) collect(value, at, dims);
  }
}

/** The dimension of domain `d` at `path`. */
function dim(d: Json, path: readonly string[], name: string): Dim {
  // An integer knob of predict's schema: a continuous range over it is rounded, a linear one needs a step.
  const int = isIntegerAt(PredictConfigSchema, path);
  if ("choices" in d) {
    return { kind: "choice", name, patches: choicesOf(d, name).map((v) => [[path, v]]) };
  }
  const r = d.range;
  const field = `${name}.range`;
  if (!isObject(r)) return fail(field, "expected a mapping {min, max, step?, scale?}");
  for (const k of Object.keys(r)) {
    if (!["min", "max", "step", "scale"].includes(k)) {
      fail(field, `unknown key "${k}" (valid: min, max, step, scale)`);
    }
  }
  const { min, max, step, scale = "linear" } = r as {
    min: unknown;
    max: unknown;
    step?: unknown;
    scale?: unknown;
  };
  if (typeof min !== "number" || typeof max !== "number" || !Number.isFinite(min) || !Number.isFinite(max)) {
    return fail(field, "min and max must be finite numbers");
  }
  if (min > max) fail(field, "range requires min <= max");
  if (scale !== "linear" && scale !== "log") fail(`${field}.scale`, `expected linear or log, got ${scale}`);
  if (scale === "log") {
    if (step !== undefined) fail(field, "a log range takes no step");
    if (!(min > 0)) fail(field, "a log range requires min > 0");
  }
  if (step !== undefined) {
    if (typeof step !== "number" || !(step > 0)) fail(`${field}.step`, "must be a positive number");
    if (int && !Number.isInteger(step)) fail(`${field}.step`, "must be an integer");
    return { kind: "choice", name, patches: range(min, max, step as number).map((v) => [[path, v]]) };
  }
  if (int && scale === "linear") fail(field, "integer linear ranges require step");
  if (min === max) return { kind: "choice", name, patches: [[[path, min]]] };
  return { kind: "range", name, path, min, max, log: scale === "log", int };
}

/** The number of points of `b` (Infinity with a continuous dimension). */
export function spaceSize(b: Branch): number {
  return b.dims.reduce((n, d) => n * (d.kind === "choice" ? d.patches.length : Infinity), 1);
}

/** The concrete predict config of point `p` of `b`. */
export function materialize(b: Branch, p: Point): Json {
  const config = structuredClone(b.base);
  b.dims.forEach((d, i) => {
    const patch: Patch = d.kind === "choice" ? d.patches[p[i]] : [[d.path, p[i]]];
    for (const [path, value] of patch) setPath(config, path, structuredClone(value));
  });
  return config;
}

/** The point as AISimulate's internal sample: the deployment mode and each dimension's value. */
export function sample(b: Branch, p: Point): Json {
  return {
    deployment_mode: b.mode === "aggregated" ? "agg" : "disagg",
    ...Object.fromEntries(b.dims.map((d, i) => {
      if (d.kind === "range") return [d.name, p[i]];
      const patch = d.patches[p[i]];
      return [
        d.name,
        patch.length === 1 ? patch[0][1] : Object.fromEntries(patch.map(([path, v]) => [path[2], v])),
      ];
    })),
  };
}

/** GPUs a concrete config provisions: per role, replicas × tensor × pipeline × attention data. */
export function usedGpus(config: Json): number {
  const workers = (config.engine as Json).workers as Record<string, Json>;
  return Object.values(workers).reduce((sum, role) => sum + roleGpus(role), 0);
}

/** The GPUs of one worker role's concrete layout: replicas × tensor × pipeline × attention data. */
function roleGpus(role: Json): number {
  const p = (role.parallelism ?? {}) as Record<string, number | undefined>;
  return (p.replicas ?? 1) * (p.tensor ?? 1) * (p.pipeline ?? 1) * (p.attention_data ?? 1);
}
