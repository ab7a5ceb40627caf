/**
 * Raw argument handling before and after `parseArgs`: negative numbers kept as values, and `parseArgs`'
 * errors turned into input errors that name the flag.
 *
 * @module
 */
import { InputError, suggest } from "../common/errors.ts";
import { CLI_FLAGS, FLAGS } from "./flag_defs.ts";

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

/**
 * A `parseArgs` error as an {@link InputError} naming the flag: an unknown flag (with the nearest of `known`,
 * the replay flags by default), a missing value, a value that looks like a flag, a value given to a switch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flagError } from "./argv.ts";
 * const e = flagError(new Error("Unknown option '--num-worker'"));
 * assert.match(e.message, /did you mean --num-workers\?/);
 * ```
 */
export function flagError(e: Error, known: readonly string[] = CLI_FLAGS): InputError {
  const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(e.message);
  if (unknown) {
    const hint = suggest(unknown[1].replace(/^-+/, ""), known);
    return new InputError(`unknown flag${hint ? ` (did you mean --${hint}?)` : ""}; see --help`, {
      field: unknown[1],
    });
  }
  const missing = /Option '(-{1,2}[^ ']+)[^']*' argument missing/.exec(e.message);
  if (missing) return new InputError("needs a value", { field: missing[1].split(",")[0] });
  const ambiguous = /Option '(-{1,2}[^ ']+)[^']*' argument is ambiguous/.exec(e.message);
  if (ambiguous) {
    const flag = ambiguous[1].split(",")[0];
    return new InputError(`needs a value (a value starting with "-" goes as ${flag}=-…)`, { field: flag });
  }
  const switched = /Option '(-{1,2}[^ ']+)[^']*' does not take an argument/.exec(e.message);
  if (switched) return new InputError("is a switch and takes no value", { field: switched[1].split(",")[0] });
  return new InputError(e.message.split("\n")[0], { field: "arguments" });
}
