/**
 * Command-line edges of the DSL: run flags for scenario scripts (`--no-cache`, `--cache-dir`, `--quiet`,
 * `--parallel`), `deno task sweep` (run a scenario module, or one shard of it) and `deno task merge` (join shard
 * files). I/O edge.
 *
 * @module
 */
import { flagError } from "../common/flag_error.ts";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { InputError } from "../common/errors.ts";
import { mergeResults } from "./merge.ts";
import { Results } from "./results.ts";
import type { RunOptions } from "./run.ts";
import { Scenario } from "./scenario.ts";
import { parseShard, type Shard, shardFromEnv } from "./shard.ts";
import "./run.ts";

/** Flags every scenario script understands. */
export const RUN_FLAGS = {
  "no-cache": { type: "boolean" },
  "cache-dir": { type: "string" },
  "quiet": { type: "boolean" },
  "parallel": { type: "string" },
} as const;

/**
 * Run options from a script's command line: `--no-cache`, `--cache-dir DIR`, `--quiet`, `--parallel N`.
 * Unknown flags are an {@link InputError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runOptionsFromArgs } from "./cli.ts";
 * const o = runOptionsFromArgs(["--no-cache", "--parallel", "2"]);
 * assert.equal(o.cache, false);
 * assert.equal(o.parallelism, 2);
 * ```
 */
export function runOptionsFromArgs(args?: readonly string[]): RunOptions {
  return parseScriptArgs({}, args).options;
}

/**
 * A scenario script's command line: the run flags plus the script's own `extra` flags (`parseArgs` options).
 * Without `args` it reads the script's own (`Deno.args`) as its command line does: `--help` prints the flags and
 * exits, and a bad flag prints one line and exits with code 2; with `args`, a bad flag is an {@link InputError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseScriptArgs } from "./cli.ts";
 * const { options, values } = parseScriptArgs({ trace: { type: "string" } }, ["--trace", "azure:conv", "--quiet"]);
 * assert.equal(values.trace, "azure:conv");
 * assert.equal(options.quiet, true);
 * ```
 */
export function parseScriptArgs(
  extra: Record<string, { type: "string" | "boolean" }> = {},
  args?: readonly string[],
): { options: RunOptions; values: Record<string, string | boolean | undefined> } {
  const flags = { ...RUN_FLAGS, ...extra };
  if (args === undefined && Deno.args.includes("--help")) {
    const names = Object.entries(flags).map(([k, o]) => `--${k}${o.type === "string" ? " VALUE" : ""}`);
    console.log(`usage: deno run -A ${scriptName()} [${names.join("] [")}]`);
    Deno.exit(0);
  }
  try {
    const { values } = parseFlags(args ?? Deno.args, flags, false);
    return { options: runOptions(values), values: values as Record<string, string | boolean | undefined> };
  } catch (e) {
    if (args !== undefined || !(e instanceof InputError)) throw e;
    console.error(`error: ${e.message}`);
    Deno.exit(2);
  }
}

/** The running script's path, relative to where it was run from when inside it. */
function scriptName(): string {
  const path = fileURLToPath(Deno.mainModule);
  return path.startsWith(`${Deno.cwd()}/`) ? path.slice(Deno.cwd().length + 1) : path;
}

function runOptions(values: Record<string, unknown>): RunOptions {
  const parallel = values.parallel === undefined ? undefined : Number(values.parallel);
  if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1)) {
    throw new InputError(`expected an integer ≥ 1, got "${values.parallel}"`, { field: "--parallel" });
  }
  return {
    cache: values["no-cache"] ? false : undefined,
    cacheDir: values["cache-dir"] as string | undefined,
    quiet: values.quiet === true ? true : undefined,
    parallelism: parallel,
  };
}

/** Parse a task's flags strictly; an unknown or malformed flag is an {@link InputError} naming it. */
export function parseFlags<T extends Record<string, { type: "string" | "boolean" }>>(
  args: readonly string[],
  options: T,
  positionals: boolean,
) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: positionals, strict: true });
  } catch (e) {
    throw flagError(e as Error, Object.keys(options));
  }
}

/** A file-name-safe form of a scenario name. */
export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "scenario";
}

/** The scenario a module exports (its default export, or its only exported scenario). */
export async function scenarioOf(path: string): Promise<Scenario> {
  const url = new URL(path, `file://${Deno.cwd()}/`);
  let module: Record<string, unknown>;
  try {
    module = await import(url.href);
  } catch (e) {
    throw new InputError(`cannot import: ${(e as Error).message}`, { file: path });
  }
  if (module.default instanceof Scenario) return module.default;
  const found = Object.values(module).filter((v) => v instanceof Scenario) as Scenario[];
  if (found.length !== 1) {
    throw new InputError(
      found.length === 0
        ? "exports no scenario (export default scenario(…) to sweep it)"
        : "exports several scenarios; make the one to sweep the default export",
      { file: path },
    );
  }
  return found[0];
}

const SWEEP_FLAGS = {
  ...RUN_FLAGS,
  "shard": { type: "string" },
  "shard-count": { type: "string" },
  "out": { type: "string" },
  "help": { type: "boolean" },
} as const;

/** `deno task sweep` usage. */
export const SWEEP_USAGE = `usage: deno task sweep SCENARIO.ts [--shard i/n | --shard-count n] [--out DIR]
                       [--no-cache] [--cache-dir DIR] [--parallel N] [--quiet]
Runs the scenario the module exports (default export). With a shard (--shard i/n, 0-based; or
JOB_COMPLETION_INDEX with --shard-count/DYNOLAB_SHARD_COUNT; or SLURM_ARRAY_TASK_ID/_COUNT) it runs
every n-th run from i and writes DIR/<scenario>.shard-i-of-n.json; without, DIR/<scenario>.json.
DIR defaults to out/sweeps. Join shards with: deno task merge DIR/<scenario>.shard-*.json`;

/** `deno task sweep`: returns the exit code. */
export async function sweepMain(
  args: readonly string[],
  env = (k: string) => Deno.env.get(k),
): Promise<number> {
  const { values, positionals } = parseFlags(args, SWEEP_FLAGS, true);
  if (values.help) {
    console.log(SWEEP_USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new InputError("give one scenario module", { field: "arguments" });
  const count = values["shard-count"] === undefined ? undefined : Number(values["shard-count"]);
  if (count !== undefined && values.shard !== undefined) {
    throw new InputError("give --shard i/n or --shard-count n, not both", { field: "--shard-count" });
  }
  const shard: Shard | undefined = values.shard !== undefined
    ? parseShard(values.shard)
    : shardFromEnv(env, count);
  if (count !== undefined && shard === undefined) {
    throw new InputError(
      "needs JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID to say which shard this is; or pass --shard i/n",
      { field: "--shard-count" },
    );
  }
  const s = await scenarioOf(positionals[0]);
  const results = await s.run({ ...runOptions(values), shard });
  const dir = (values.out ?? "out/sweeps").replace(/\/$/, "");
  const file = shard
    ? `${dir}/${slug(s.name)}.shard-${shard.index}-of-${shard.count}.json`
    : `${dir}/${slug(s.name)}.json`;
  await results.save(file);
  console.log(
    `${s.name}: ${results.runs.length} run(s)` + (shard ? ` (shard ${shard.index}/${shard.count})` : "") +
      ` written to ${file}`,
  );
  return 0;
}

/** `deno task merge` usage. */
export const MERGE_USAGE = `usage: deno task merge SHARD.json... [--out FILE]
Joins the shard files of one scenario (every shard exactly once) into FILE (.json, .csv or .parquet;
default out/sweeps/<scenario>.json).`;

/** `deno task merge`: returns the exit code. */
export async function mergeMain(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { out: { type: "string" }, help: { type: "boolean" } },
    true,
  );
  if (values.help) {
    console.log(MERGE_USAGE);
    return 0;
  }
  if (positionals.length === 0) throw new InputError("give the shard files to merge", { field: "arguments" });
  const merged = mergeResults(await Promise.all(positionals.map((p) => Results.load(p))));
  const out = values.out ?? `out/sweeps/${slug(merged.scenario)}.json`;
  await merged.save(out);
  console.log(
    `${merged.scenario}: merged ${positionals.length} shard(s), ${merged.runs.length} runs, into ${out}`,
  );
  return 0;
}

/** Run `main`, turning an {@link InputError} into one `error:` line and exit code 2. */
export async function exitWith(main: () => Promise<number>): Promise<never> {
  try {
    Deno.exit(await main());
  } catch (e) {
    if (e instanceof InputError) {
      console.error(`error: ${e.message}`);
      Deno.exit(2);
    }
    throw e;
  }
}
