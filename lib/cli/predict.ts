/**
 * `deno task aisimulate predict`: AISimulate's command (`aisimulate predict --stack dynamo -c cfg.yaml`, the
 * reference's front end from Dynamo v1.5 on) with only the program name changed. Reads the YAML config, applies
 * `--set` overrides, compiles it ({@link predictSpec}), runs the simulation and writes `prediction.json` (and
 * `requests.jsonl` with `--capture-per-request`) to the output directory; prints the AIPerf table or, with
 * `--format json`, the summary as one line. Exit codes as AISimulate's: 0 ok, 1 the run failed, 2 bad input
 * (nothing written).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { parseConfig, yamlProblem } from "../common/config.ts";
import { InputError } from "../common/errors.ts";
import { isObject } from "../common/json.ts";
import { enterInvocationDirectory } from "../common/invocation.ts";
import { formatSummary, type Report, reportJson, sortKeys } from "../report/mod.ts";
import { loadInputs, runSimulation } from "../simulate.ts";
import { PredictConfigSchema } from "./predict_config.ts";
import { predictSpec, type Stack, STACKS } from "./predict_spec.ts";
import { runRecords, withWallFigures } from "./run_outputs.ts";
import { writeFilesAtomically } from "./write.ts";
import type { Io } from "./main.ts";

/** The command's usage text. */
export const PREDICT_USAGE =
  `usage: deno task aisimulate predict [--stack {engine,dynamo}] -c CONFIG [--set PATH=YAML_VALUE]...
                                  [--output-dir DIR] [--overwrite] [--format {table,json}] [--capture-per-request]

AISimulate's predict command: replay the traffic of a YAML config through its engines (and, with --stack dynamo,
its router and planner), write DIR/prediction.json (default DIR ./aisimulate-output) and print the summary.`;

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

const consoleIo: Io = { out: (s) => console.log(s), err: (s) => console.error(s) };

/**
 * Run `aisimulate` with `argv` (its first word the subcommand, `predict`); returns the exit code.
 *
 * @example
 * ```ts ignore
 * import { aisimulate } from "./predict.ts";
 * Deno.exit(await aisimulate(["predict", "--stack", "dynamo", "-c", "cfg.yaml"]));
 * ```
 */
export async function aisimulate(argv: readonly string[], io: Io = consoleIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === "-h" || command === "--help") {
      io.out(PREDICT_USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command !== "predict") {
      throw new InputError(
        `${command === "recommend" ? "not supported by dynolab" : "unknown command"}; the commands: predict`,
        {
          field: command,
        },
      );
    }
    const args = parsePredictArgs(rest);
    if (args === "help") {
      io.out(PREDICT_USAGE);
      return 0;
    }
    const spec = await loadConfigSpec(args.config, args.stack, args.set);
    const inputs = await loadInputs(spec).catch((e) => {
      if (!(e instanceof InputError)) throw e;
      const { file = args.config, line, field } = e.location;
      throw new InputError(e.detail, {
        file,
        line,
        field: field === undefined ? undefined : configField(field),
      });
    });
    await prepareOutputDir(args.outputDir, args.overwrite);
    const started = performance.now();
    const result = runSimulation(inputs);
    const report = withWallFigures(result.report, performance.now() - started);
    for (const w of (report.dynolab as { warnings?: string[] }).warnings ?? []) io.err(`warning: ${w}`);
    const summary = summaryOf(report, result.planner?.totalTicks);
    const prediction: Report = args.stack === "dynamo"
      ? {
        ...report,
        ...(result.planner ? { planner: { total_ticks: result.planner.totalTicks } } : {}),
        summary,
      }
      : { ...report };
    const dir = args.outputDir.replace(/\/$/, ""), path = `${dir}/prediction.json`;
    const files: [string, string][] = [];
    if (args.capture) {
      const records = runRecords(result, inputs) as unknown as Report[];
      prediction.per_request = records;
      files.push([
        `${dir}/requests.jsonl`,
        records.map((r) => JSON.stringify(sortKeys(r))).join("\n") + "\n",
      ]);
    }
    files.unshift([path, reportJson(prediction)]);
    await writeFilesAtomically(files);
    if (args.format === "json") io.out(JSON.stringify(sortKeys(summary)));
    else io.out(`${formatSummary(report)}\n\nSaved full report to: ${path}`);
    return 0;
  } catch (e) {
    if (e instanceof InputError) {
      io.err(`error: ${e.message}`);
      return 2;
    }
    io.err(`aisimulate predict failed: ${(e as Error).name}: ${(e as Error).message}`);
    return 1;
  }
}

/** The parsed flags of `predict`. */
interface PredictArgs {
  readonly stack: Stack;
  readonly config: string;
  readonly set: readonly string[];
  readonly outputDir: string;
  readonly overwrite: boolean;
  readonly format: "table" | "json";
  readonly capture: boolean;
}

function parsePredictArgs(argv: readonly string[]): PredictArgs | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        stack: { type: "string", default: "engine" },
        config: { type: "string", short: "c" },
        set: { type: "string", multiple: true, default: [] },
        "output-dir": { type: "string", default: "./aisimulate-output" },
        overwrite: { type: "boolean", default: false },
        format: { type: "string", default: "table" },
        "capture-per-request": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new InputError((e as Error).message.replace(/\. To specify.*$/s, ""));
  }
  if (values.help) return "help";
  if (!(STACKS as readonly string[]).includes(values.stack)) {
    throw new InputError(`stack '${values.stack}' is unavailable; installed stacks: ${STACKS.join(", ")}`, {
      field: "--stack",
    });
  }
  if (values.config === undefined) throw new InputError("required", { field: "--config" });
  if (values.format !== "table" && values.format !== "json") {
    throw new InputError(`invalid choice '${values.format}' (choose from table, json)`, {
      field: "--format",
    });
  }
  return {
    stack: values.stack as Stack,
    config: values.config,
    set: values.set,
    outputDir: values["output-dir"],
    overwrite: values.overwrite,
    format: values.format,
    capture: values["capture-per-request"],
  };
}

/** Read `path`, apply the `--set` overrides, check it, and compile it for `stack`. */
async function loadConfigSpec(path: string, stack: Stack, overrides: readonly string[]) {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    throw new InputError("no such config file", { file: path });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new InputError(yamlProblem(e), { file: path });
  }
  if (!isObject(doc)) {
    throw new InputError("the config must be one YAML mapping", { file: path });
  }
  for (const o of overrides) applyOverride(doc, o);
  const config = parseConfig(PredictConfigSchema, doc, "", { file: path });
  try {
    return predictSpec(config, stack);
  } catch (e) {
    if (e instanceof InputError && e.location.file === undefined) {
      throw new InputError(e.detail, { ...e.location, file: path });
    }
    throw e;
  }
}

/**
 * Apply one `--set PATH=YAML_VALUE` to `doc`: the path's keys, separated by dots, name a leaf (created with
 * its missing parents) that takes the value parsed as YAML, replacing what was there.
 */
function applyOverride(doc: Record<string, unknown>, override: string): void {
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
  let value: unknown;
  try {
    value = parseYaml(override.slice(at + 1));
  } catch (e) {
    throw new InputError(`${path}: ${yamlProblem(e)}`, { field: "--set" });
  }
  let node = doc;
  for (const key of keys.slice(0, -1)) {
    const next = node[key] ?? (node[key] = {});
    if (!isObject(next)) {
      throw new InputError(`--set path '${path}' crosses a non-mapping value at '${key}'`, {
        field: "--set",
      });
    }
    node = next;
  }
  node[keys[keys.length - 1]] = value ?? null;
}

/** Check the output directory; with `overwrite`, clear the outputs a run writes (AISimulate's known files). */
async function prepareOutputDir(dir: string, overwrite: boolean): Promise<void> {
  let entries: string[];
  try {
    const stat = await Deno.stat(dir);
    if (!stat.isDirectory) throw new InputError("exists and is not a directory", { field: "--output-dir" });
    entries = [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  if (entries.length === 0) return;
  if (!overwrite) {
    throw new InputError(`output directory ${dir} is not empty; pass --overwrite to replace known outputs`, {
      field: "--output-dir",
    });
  }
  for (const name of entries.filter((n) => KNOWN_OUTPUTS.includes(n))) await Deno.remove(`${dir}/${name}`);
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
};
const ROLE_FLAGS: Readonly<Record<string, string>> = {
  "--extra-engine-args": "aggregated",
  "--prefill-engine-args": "prefill",
  "--decode-engine-args": "decode",
};

/** An error's field as the config names it, where the run names an engine arg by its flag. */
function configField(field: string): string {
  const m = /^(--[a-z]+-engine-args)\.(\w+)(.*)$/.exec(field);
  const role = m && ROLE_FLAGS[m[1]], key = m && ROLE_FIELDS[m[2]];
  if (!role || !key) return field;
  return (key.startsWith("engine.") ? key : `engine.workers.${role}.${key}`) + m[3];
}

/** The summary: the report's numeric top-level figures (and the planner's tick count when it ran). */
function summaryOf(report: Report, plannerTicks: number | undefined): Record<string, number> {
  const figures = Object.entries(report).filter((e): e is [string, number] => typeof e[1] === "number");
  return {
    ...Object.fromEntries(figures),
    ...(plannerTicks === undefined ? {} : { planner_total_ticks: plannerTicks }),
  };
}

if (import.meta.main) {
  enterInvocationDirectory();
  Deno.exit(await aisimulate(Deno.args));
}
