/**
 * The `replay` command run in process, for the CLI tests: its exit code and what it printed, and a trace file
 * written to a fresh temporary directory.
 *
 * @module
 */
import assert from "node:assert/strict";
import { main } from "../../lib/cli/mod.ts";

/** What a run of the command returned and printed. */
export interface Outcome {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Run the `replay` command with `args`, capturing its output. */
export async function cli(args: string[]): Promise<Outcome> {
  const out: string[] = [], err: string[] = [];
  const code = await main(args, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** Write `lines` as `trace.jsonl` in a new temporary directory. */
export async function tempTrace(lines: string[]): Promise<{ dir: string; trace: string }> {
  const dir = await Deno.makeTempDir();
  const trace = `${dir}/trace.jsonl`;
  await Deno.writeTextFile(trace, lines.join("\n") + "\n");
  return { dir, trace };
}

/** A valid Mooncake trace line. */
export const GOOD = '{"timestamp": 0, "input_length": 600, "output_length": 4, "hash_ids": [1, 2]}';

/** Run on a trace of `lines`: exit 2, one error line matching `pattern`, nothing printed or written. */
export async function expectBadInput(lines: string[], extra: string[], pattern: RegExp): Promise<void> {
  const { dir, trace } = await tempTrace(lines);
  const report = `${dir}/out/report.json`;
  const res = await cli([trace, "--report-json", report, ...extra]);
  assert.equal(res.code, 2, res.err);
  assert.match(res.err, /^error: /);
  assert.equal(res.err.split("\n").length, 1, "one-line error");
  assert.match(res.err, pattern);
  assert.equal(res.out, "");
  await assert.rejects(() => Deno.stat(report), "nothing written");
}
