/**
 * What both `aisimulate` commands (`predict`, `recommend`) read and prepare: the YAML config with its `--set`
 * overrides applied, a prediction config compiled into a simulation spec and loaded (errors naming the config's
 * fields), and the output directory, cleared of AISimulate's known outputs with `--overwrite`.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";
import { parseConfig, yamlProblem } from "../common/config.ts";
import { InputError } from "../common/errors.ts";
import { isObject, type Json, setPath } from "../common/json.ts";
import { loadInputs, type SimulationInputs } from "../simulate.ts";
import type { SimSpecInput } from "../spec.ts";
import { PredictConfigSchema } from "./predict_config.ts";
import { predictSpec, type Stack } from "./predict_spec.ts";
import { checkOutputPaths } from "./write.ts";

/**
 * The YAML mapping at `path` with the `--set PATH=YAML_VALUE` `overrides` applied, left to right. `refused`:
 * sections no override may name (predict's `optimization` and `optimizer`).
 */
export async function readConfigDoc(
  path: string,
  overrides: readonly string[],
  refused: readonly string[] = [],
): Promise<Json> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    throw new InputError("no such config file", { file: path });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { merge: true }); // `<<: *anchor` merge keys, as Python's YAML loaders read them
  } catch (e) {
    throw new InputError(yamlProblem(e), { file: path });
  }
  if (!isObject(doc)) {
    throw new InputError("the config must be one YAML mapping", { file: path });
  }
  for (const o of overrides) applyOverride(doc, o, refused);
  return doc;
}

/**
 * Apply one `--set PATH=YAML_VALUE` to `doc`: the path's keys, separated by dots, name a leaf (created with
 * its missing parents) that takes the value parsed as YAML, replacing what was there.
 */
function applyOverride(doc: Json, override: string, refused: readonly string[]): void {
  const at = override.indexOf("=");
  if (at < 0) {
    throw new InputError(`invalid --set '${override}'; expected PATH=YAML_VALUE`, { field: "--set" });
  }
  const path = override.slice(0, at), keys = path.split(".");
  if (keys.some((k) => k === "" || /^\d+$/.test(k))) {
    throw new InputError(`invalid --set path '${path}'; sequence indexes are unsupported`, {
      field: "--set",
    });
  }
  if (refused.includes(keys[0])) {
    throw new InputError(`--set path '${path}' is not in the schema`, { field: "--set" });
  }
  let value: unknown;
  try {
    value = parseYaml(override.slice(at + 1));
  } catch (e) {
    throw new InputError(`${path}: ${yamlProblem(e)}`, { field: "--set" });
  }
  const blocked = setPath(doc, keys, value ?? null);
  if (blocked !== undefined) {
    throw new InputError(`--set path '${path}' crosses a non-mapping value at '${blocked}'`, {
      field: "--set",
    });
  }
}

/** A prediction config (`doc`, read from `file`) checked and compiled for `stack`; errors name `file`. */
export function compilePrediction(doc: Json, stack: Stack, file: string): SimSpecInput {
  const config = parseConfig(PredictConfigSchema, doc, "", { file });
  return inConfigFile(file, () => predictSpec(config, stack));
}

/** `f()`, an input error it throws naming the config `file` when it names no file. */
export function inConfigFile<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InputError && e.location.file === undefined) {
      throw new InputError(e.detail, { ...e.location, file });
    }
    throw e;
  }
}

/**
 * Load what a compiled prediction runs on, with `load` (pass one `inputsLoader()` for many predictions, so
 * what they share is read once); an engine arg's error names the config field that set it.
 */
export function loadPrediction(
  spec: SimSpecInput,
  file: string,
  load: (spec: SimSpecInput) => Promise<SimulationInputs> = loadInputs,
): Promise<SimulationInputs> {
  return load(spec).catch((e) => {
    throw inConfigTerms(e, file);
  });
}

/**
 * `e` as the config file `file` names things: an input error's field (an engine arg, a planner key, a spec
 * field) as the config field that set it, and, in an engine arg's error, the engine args its message names
 * (advice such as "raise aic_tp_size") as their fields under a worker role; any other error as it is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InputError } from "../common/errors.ts";
 * import { inConfigTerms } from "./aisimulate_files.ts";
 * const e = inConfigTerms(new InputError("over the limit", { field: "planner.max_gpu_budget" }), "c.yaml");
 * assert.equal((e as Error).message, "c.yaml: planner.max_num_gpus: over the limit");
 * const arg = new InputError("raise aic_tp_size", { field: "--extra-engine-args.num_gpu_blocks" });
 * assert.equal(
 *   (inConfigTerms(arg, "c.yaml") as Error).message,
 *   "c.yaml: engine.workers.aggregated.kv_cache.capacity.blocks: raise parallelism.tensor",
 * );
 * const row = new InputError("1 id at block_size 512", { file: "t.jsonl", line: 3, field: "hash_ids" });
 * assert.match((inConfigTerms(row, "c.yaml") as Error).message, /at block_size 512$/);
 * ```
 */
export function inConfigTerms(e: unknown, file: string): unknown {
  if (!(e instanceof InputError)) return e;
  const { file: at = file, line, field } = e.location;
  // An engine arg's error may advise other engine args; other errors (a trace row's) keep their words.
  const engineArg = field !== undefined && /^--[a-z]+-engine-args\./.test(field);
  const detail = engineArg ? e.detail.replace(ENGINE_ARG, (arg) => ROLE_FIELDS[arg]) : e.detail;
  return new InputError(detail, {
    file: at,
    line,
    field: field === undefined ? undefined : configField(field),
  });
}

/** Files an `--overwrite` run may replace in a non-empty output directory (AISimulate's list). */
const KNOWN_OUTPUTS = [
  "prediction.json",
  "fpm-coverage.json",
  "recommendation.json",
  "recommendation.csv",
  "requests.jsonl",
  "resource-plan.json",
  "resource-runtime.json",
  "execution-events.jsonl",
  "afd-replay-spec.json",
  "afd-qualification.json",
];
/** `recommend`'s candidate configs, under `recommendations/`. */
const CANDIDATE_FILE = /^[0-9]{4}\.yaml$/;

/**
 * Check the output directory `dir` before a run: it must be writable, or creatable where missing; absent or
 * empty is fine; otherwise, without `overwrite`, refuse. With it, return the outputs an earlier run left there
 * (AISimulate's known files, and the candidate configs under `recommendations/`): {@link removeStaleOutputs}
 * removes those the new run did not replace once its own are written, so a run that fails leaves the earlier
 * results as they were.
 */
export async function checkOutputDir(dir: string, overwrite: boolean): Promise<string[]> {
  const field = "--output-dir";
  if (dir.trim() === "") throw new InputError("empty path; give a directory", { field });
  let entries: Deno.DirEntry[] = [];
  try {
    const stat = await Deno.stat(dir);
    if (!stat.isDirectory) throw new InputError(`${dir} exists and is not a directory`, { field });
    entries = [...Deno.readDirSync(dir)];
  } catch (e) {
    if (e instanceof InputError) throw e;
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new InputError(`${dir} cannot be used: ${e instanceof Error ? e.message : e}`, { field });
    }
  }
  await checkOutputPaths([], [[dir, field]]); // it can be created (when missing) and written in
  if (entries.length === 0) return [];
  if (!overwrite) {
    throw new InputError(`output directory ${dir} is not empty; pass --overwrite to replace known outputs`, {
      field,
    });
  }
  const known = entries.filter((e) => KNOWN_OUTPUTS.includes(e.name));
  const blocked = known.find((e) => e.isDirectory);
  if (blocked) {
    throw new InputError(
      `${dir}/${blocked.name} is a directory where the run writes that file; move it away`,
      {
        field,
      },
    );
  }
  const stale = known.map((e) => `${dir}/${e.name}`);
  const candidates = `${dir}/recommendations`;
  if (entries.some((e) => e.name === "recommendations") && (await Deno.stat(candidates)).isDirectory) {
    for (const e of Deno.readDirSync(candidates)) {
      if (e.isFile && CANDIDATE_FILE.test(e.name)) stale.push(`${candidates}/${e.name}`);
    }
  }
  return stale;
}

/** Remove the earlier outputs `stale` ({@link checkOutputDir}) that the run's `written` files did not replace. */
export async function removeStaleOutputs(
  stale: readonly string[],
  written: readonly string[],
): Promise<void> {
  const kept = new Set(written);
  for (const path of stale) if (!kept.has(path)) await Deno.remove(path);
}

/** Each engine arg a config field sets: under the worker role, or (`engine.…`) for every role. */
const ROLE_FIELDS: Readonly<Record<string, string>> = {
  aic_backend: "engine.backend",
  aic_backend_version: "engine.backend_version",
  aic_model_path: "engine.model",
  aic_system: "engine.hardware",
  max_model_len: "engine.context_length",
  aic_tp_size: "parallelism.tensor",
  aic_attention_dp_size: "parallelism.attention_data",
  aic_moe_tp_size: "parallelism.moe_tensor",
  aic_moe_ep_size: "parallelism.moe_expert",
  max_num_batched_tokens: "scheduler.max_batched_tokens",
  max_num_seqs: "scheduler.max_sequences",
  block_size: "kv_cache.block_size",
  enable_prefix_caching: "kv_cache.prefix_caching",
  kv_bytes_per_token: "kv_cache.bytes_per_token",
  num_gpu_blocks: "kv_cache.capacity.blocks",
  gpu_memory_utilization: "kv_cache.capacity.memory_fraction",
  free_gpu_memory_fraction: "kv_cache.capacity.memory_fraction",
  startup_time: "startup_seconds",
  num_g2_blocks: "kv_cache.host_offload.num_host_blocks",
  bandwidth_g1_to_g2_gbps: "kv_cache.host_offload.d2h_bandwidth_gbps",
  bandwidth_g2_to_g1_gbps: "kv_cache.host_offload.h2d_bandwidth_gbps",
};
/** An engine arg of {@link ROLE_FIELDS} named in a message. */
const ENGINE_ARG = new RegExp(`\\b(?:${Object.keys(ROLE_FIELDS).join("|")})\\b`, "g");
const ROLE_FLAGS: Readonly<Record<string, string>> = {
  "--extra-engine-args": "aggregated",
  "--prefill-engine-args": "prefill",
  "--decode-engine-args": "decode",
};

/** Each planner-config key the config's sections set under another name (any other: `planner.<key>`). */
const PLANNER_FIELDS: Readonly<Record<string, string>> = {
  max_gpu_budget: "planner.max_num_gpus",
  min_endpoint: "planner.min_workers",
  prefill_min_endpoint: "planner.prefill_min_workers",
  decode_min_endpoint: "planner.decode_min_workers",
  optimization_target: "planner.target",
  ttft_ms: "evaluation.sla.ttft_ms",
  itl_ms: "evaluation.sla.itl_ms",
  mode: "engine.mode",
  backend: "engine.backend",
  prefill_engine_num_gpu: "engine.workers.prefill.parallelism",
  decode_engine_num_gpu: "engine.workers.decode.parallelism",
};

/** The config section each spec field of the workload and the run comes from. */
const SPEC_FIELDS: Readonly<Record<string, string>> = {
  "workload.request_rate": "traffic.load",
  "workload.arrival_interval_ms": "traffic.load",
  "workload.request_count": "traffic.stop",
  "workload.path": "traffic.source.paths",
  "workload.trace_block_size": "traffic.source.block_size",
  "workload.input_tokens": "traffic.source",
  "workload.output_tokens": "traffic.source",
  "workload.turns_per_session": "traffic.source.session.turns",
  "workload.inter_turn_delay_ms": "traffic.source.session.inter_turn_delay_ms",
  "workload.shared_prefix_ratio": "traffic.source.session.shared_prefix_ratio",
  "workload.num_prefix_groups": "traffic.source.session.prefix_groups",
  replay_concurrency: "traffic.load.concurrency",
  arrival_speedup_ratio: "traffic.load.speedup",
  max_sim_time_seconds: "traffic.stop.max_virtual_time_seconds",
};

/**
 * An error's field as the config names it, where the run names an engine arg or planner key by its flag, or a
 * workload or run setting by its spec field.
 */
function configField(field: string): string {
  const spec = SPEC_FIELDS[field.replace(/^spec\./, "")];
  if (spec) return spec;
  const planner = /^(?:--planner-config|planner)\.(\w+)(.*)$/.exec(field);
  if (planner) return (PLANNER_FIELDS[planner[1]] ?? `planner.${planner[1]}`) + planner[2];
  const m = /^(--[a-z]+-engine-args)\.(\w+)(.*)$/.exec(field);
  const role = m && ROLE_FLAGS[m[1]], key = m && ROLE_FIELDS[m[2]];
  if (!role || !key) return field;
  return (key.startsWith("engine.") ? key : `engine.workers.${role}.${key}`) + m[3];
}
