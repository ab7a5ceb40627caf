/**
 * CLI entry points (`replay`, `aisimulate`) run in process, for the CLI tests: the exit code and what was
 * printed, and a trace file or YAML config written to a temporary directory.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { type Io, main } from "../../lib/cli/mod.ts";
import { tempDir } from "../_temp.ts";

/** What a run of the command returned and printed. */
export interface Outcome {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Run `command` (a CLI entry point) with `args`, capturing its output. */
export async function capture(
  command: (args: string[], io: Io) => Promise<number>,
  args: string[],
): Promise<Outcome> {
  const out: string[] = [], err: string[] = [];
  const code = await command(args, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** `config` written as YAML to `dir/name`; returns the path. */
export async function writeYaml(dir: string, name: string, config: unknown): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, stringify(config));
  return path;
}

/** Run the `replay` command with `args`, capturing its output. */
export function cli(args: string[]): Promise<Outcome> {
  return capture(main, args);
}

/** Run the `replay` command with `args` in a child process whose working directory is `cwd`. */
export async function cliIn(cwd: string, args: string[]): Promise<Outcome> {
  const main = fileURLToPath(new URL("../../lib/cli/main.ts", import.meta.url));
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", main, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes).replace(/\n$/, "");
  return { code: run.code, out: text(run.stdout), err: text(run.stderr) };
}

/** `lines` written as `trace.jsonl` in a fresh temporary directory, removed when its `await using` scope ends. */
export async function tempTrace(
  lines: string[],
): Promise<{ readonly dir: string; readonly trace: string } & AsyncDisposable> {
  const tmp = await tempDir();
  const trace = `${tmp.path}/trace.jsonl`;
  await Deno.writeTextFile(trace, lines.join("\n") + "\n");
  return { dir: tmp.path, trace, [Symbol.asyncDispose]: () => tmp[Symbol.asyncDispose]() };
}

/** A valid Mooncake trace line. */
export const GOOD = '{"timestamp": 0, "input_length": 600, "output_length": 4, "hash_ids": [1, 2]}';

/** Run on a trace of `lines`: exit 2, one error line matching `pattern`, nothing printed or written. */
export async function expectBadInput(lines: string[], extra: string[], pattern: RegExp): Promise<void> {
  await using temp = await tempTrace(lines);
  const { dir, trace } = temp;
  const report = `${dir}/out/report.json`;
  const res = await cli([trace, "--report-json", report, ...extra]);
  assert.equal(res.code, 2, res.err);
  assert.match(res.err, /^error: /);
  assert.equal(res.err.split("\n").length, 1, "one-line error");
  assert.match(res.err, pattern);
  assert.equal(res.out, "");
  await assert.rejects(() => Deno.stat(report), "nothing written");
}

/** An AISimulate parallelism preset entry of `replicas` single-GPU workers. */
export const preset = (replicas: number) => ({
  replicas,
  tensor: 1,
  pipeline: 1,
  attention_data: 1,
  moe_tensor: 1,
  moe_expert: 1,
});
