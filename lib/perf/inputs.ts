/**
 * The I/O edge of the perf models: `loadPerfInputs` reads, before a run, everything the chosen model needs from
 * disk — a model `config.json` given by path, AIC tables for table mode, a planner profile — so that building
 * and running the model stays pure and synchronous.
 *
 * Table mode is on when `aic_systems_path` is set, or when the environment variable `DYNOLAB_AIC_SYSTEMS` names
 * an AIC `systems` directory and the args ask for a model-based timing (`aic_*`).
 *
 * @module
 */
import { InputError, type InputLocation } from "../common/errors.ts";
import type { ModelSpec } from "./catalog/arch.ts";
import { modelFromHfConfig, tokenizerKind } from "./catalog/hf_config.ts";
import { catalogModel, findModel } from "./catalog/models.ts";
import { loadAicTables, systemGpu } from "./aic/tables.ts";
import { tableWarnings } from "./aic/table_model.ts";
import { parsePythonJson, readJson } from "./json_file.ts";
import { readNpzFile } from "./npz.ts";
import { isProfilerResults, readProfilerResults } from "./profiler_results.ts";
import { parseProfile, PROFILE_KEYS } from "./profile.ts";
import { type PerfArgs, wantsModelTiming } from "./args.ts";
import { DEFAULT_SYSTEM, isModelPath, resolvePerfSetup } from "./setup.ts";
import type { PerfInputs } from "./types.ts";

/** Environment variable naming an AIC `systems` directory for table mode. */
export const AIC_SYSTEMS_ENV = "DYNOLAB_AIC_SYSTEMS";

/**
 * Read a model from a `config.json` path (or a directory holding one). The optional files beside it are read
 * too: a ModelOpt `hf_quant_config.json` and `generation_config.json`; whether `tokenizer.json` and
 * `tokenizer_config.json` are there sets its tokenizer kind.
 */
export async function loadHfModel(path: string, at: InputLocation = {}): Promise<ModelSpec> {
  let file = path;
  try {
    if ((await Deno.stat(path)).isDirectory) file = `${path.replace(/\/$/, "")}/config.json`;
  } catch {
    throw new InputError(`no such file or directory: ${path}`, at);
  }
  const config = await readJson(file, at);
  const dir = file.replace(/[^/]*$/, "");
  const base = file.replace(/^.*\//, "").replace(/config\.json$/i, "");
  const optional = async (...candidates: string[]): Promise<unknown> => {
    for (const candidate of candidates) {
      try {
        return parsePythonJson(await Deno.readTextFile(candidate));
      } catch { /* optional */ }
    }
    return undefined;
  };
  const exists = async (name: string): Promise<boolean> => {
    try {
      return (await Deno.stat(`${dir}${name}`)).isFile;
    } catch {
      return false;
    }
  };
  return modelFromHfConfig(config, path, {
    quant: await optional(`${dir}${base}hf_quant_config.json`, `${dir}hf_quant_config.json`),
    generation: await optional(`${dir}generation_config.json`),
    tokenizer: tokenizerKind({
      tokenizerJson: await exists("tokenizer.json"),
      tokenizerConfig: await exists("tokenizer_config.json"),
    }),
  });
}

/**
 * A planner profile as the JSON object `parseProfile` checks: a JSON file as it is, the five arrays of a NumPy
 * `.npz` (the reference mocker's format; `decode_itl` as rows; any other array is ignored), or a planner
 * profiler's results directory converted as the reference converts it ({@link readProfilerResults}).
 */
async function readProfile(path: string, at: InputLocation): Promise<unknown> {
  let isDirectory = false;
  try {
    isDirectory = (await Deno.stat(path)).isDirectory;
  } catch { /* reported by the read below */ }
  if (isDirectory) {
    if (await isProfilerResults(path)) return await readProfilerResults(path, { ...at, file: path });
    throw new InputError(
      `${path} is a directory but not a profiler's results (selected_prefill_interpolation/raw_data.npz or ` +
        "prefill_raw_data.json, and their decode counterparts); pass such a directory, the mocker's " +
        `perf_data.npz or a JSON profile with the keys ${PROFILE_KEYS.join(", ")}`,
      at,
    );
  }
  return /\.npz$/i.test(path) ? await readNpzFile(path, PROFILE_KEYS, at) : await readJson(path, at);
}

function envSystemsPath(): string | undefined {
  try {
    return Deno.env.get(AIC_SYSTEMS_ENV) || undefined;
  } catch {
    return undefined; // no --allow-env: the variable cannot be set for us
  }
}

/**
 * Load what the perf model chosen by these engine args needs (an empty object for the polynomial, fixed and
 * catalog-model analytic models). Tables are cached per process (read again if a file changes). Parse raw args first with `parseEngineArgs`.
 *
 * @example
 * ```ts ignore
 * import { parseEngineArgs } from "../engine/args.ts";
 * import { loadPerfInputs } from "./inputs.ts";
 * const args = parseEngineArgs({ aic_model_path: "./models/my-llama/config.json" });
 * const inputs = await loadPerfInputs(args);
 * ```
 */
export async function loadPerfInputs(
  args: PerfArgs,
  what = "engine args",
  at: InputLocation = {},
): Promise<PerfInputs> {
  const field = (k: string): InputLocation => ({ ...at, field: `${what}.${k}` });
  let inputs: PerfInputs = {};
  const modelPath = args.aic_model_path;
  if (modelPath != null && !findModel(modelPath)) {
    let exists = false;
    try {
      await Deno.stat(modelPath);
      exists = true;
    } catch { /* not a path */ }
    if (!exists && isModelPath(modelPath)) {
      throw new InputError(`no such file or folder: ${modelPath}`, field("aic_model_path"));
    }
    if (!exists) catalogModel(modelPath, field("aic_model_path"));
    inputs = { ...inputs, model: await loadHfModel(modelPath, field("aic_model_path")), modelPath };
  }
  const profilePath = args.planner_profile_data;
  if (profilePath != null) {
    const json = await readProfile(profilePath, field("planner_profile_data"));
    inputs = { ...inputs, profile: parseProfile(json, { file: profilePath }) };
  }
  const fromEnv = args.aic_systems_path == null;
  const systemsPath = args.aic_systems_path ?? envSystemsPath();
  if (systemsPath != null && wantsModelTiming(args)) {
    const fromTables = (e: unknown): never => {
      // Table mode the user did not ask for in these args: say where it came from, and how to leave it.
      if (!fromEnv || !(e instanceof InputError)) throw e;
      const field = e.location.field?.endsWith("aic_systems_path") ? AIC_SYSTEMS_ENV : e.location.field;
      throw new InputError(
        `${e.detail} (table mode is on because ${AIC_SYSTEMS_ENV}=${systemsPath}; unset it for the analytic model)`,
        { ...e.location, field },
      );
    };
    // A system the GPU catalog lacks is read from its system file, before the setup needs its GPU.
    const system = args.aic_system ?? DEFAULT_SYSTEM;
    const gpu = await systemGpu(systemsPath, system, field("aic_system")).catch(fromTables);
    inputs = { ...inputs, gpu };
    const setup = resolvePerfSetup({ ...args, aic_backend_version: null }, inputs, what, at)!;
    const tables = await loadAicTables(
      systemsPath,
      system,
      setup.backend,
      args.aic_backend_version ?? undefined,
      {
        attention: !setup.model.arch.mla,
        mla: setup.model.arch.mla !== undefined,
        linearAttention: setup.model.arch.linearAttention !== undefined,
        moe: setup.model.arch.moe !== undefined,
        allReduce: setup.par.tp > 1,
        nccl: setup.par.attnDp > 1,
      },
      { ...at, field: what },
    ).catch(fromTables);
    inputs = { ...inputs, tables, warnings: tableWarnings(setup, tables) };
  }
  return inputs;
}
