/**
 * Raw argument handling before `parseArgs`: abbreviated flags expanded, negative numbers kept as values.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { CLI_FLAGS, DYNOLAB_FLAGS, FLAGS } from "./flag_defs.ts";

/**
 * `argv` with each flag given by an unambiguous prefix spelled out, as the reference's argparse accepts them
 * (`--num-work 2` is `--num-workers 2`). A prefix of one reference flag means it even where a dynolab flag
 * shares the prefix (`--inp` is `--input-tokens`, not `--input-tokens-stddev`); a prefix of several is an
 * error naming them. Everything after `--` is left alone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expandAbbreviations } from "./argv.ts";
 * assert.deepEqual(expandAbbreviations(["t.jsonl", "--num-work=2", "--inp", "8"]), [
 *   "t.jsonl", "--num-workers=2", "--input-tokens", "8",
 * ]);
 * assert.throws(() => expandAbbreviations(["--num"]), /--num: ambiguous: --num-prefix-groups, --num-workers/);
 * ```
 */
export function expandAbbreviations(argv: readonly string[]): string[] {
  const reference = CLI_FLAGS.filter((f) => !DYNOLAB_FLAGS.includes(f));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^--([^=]+)(=.*)?$/s.exec(arg);
    if (!m || Object.hasOwn(FLAGS, m[1])) {
      out.push(arg);
      continue;
    }
    const within = (flags: readonly string[]) => flags.filter((f) => f.startsWith(m[1]));
    const ofReference = within(reference);
    const matches = ofReference.length ? ofReference : within(CLI_FLAGS);
    if (matches.length > 1) {
      throw new InputError(`ambiguous: ${matches.map((f) => `--${f}`).join(", ")}`, { field: `--${m[1]}` });
    }
    out.push(matches.length === 1 ? `--${matches[0]}${m[2] ?? ""}` : arg);
  }
  return out;
}

/**
 * `argv` with each valued flag followed by a negative number joined to it (`--seed -1` → `--seed=-1`), so the
 * number is its value, as the reference's argparse takes it, not an unknown flag.
 */
export function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i], next = argv[i + 1];
    const name = arg.startsWith("--") && !arg.includes("=") ? arg.slice(2) : undefined;
    const valued = name !== undefined && Object.hasOwn(FLAGS, name) &&
      FLAGS[name as keyof typeof FLAGS] === "string";
    if (valued && next !== undefined && /^-(\d|\.\d|inf)/i.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}
