/**
 * `parseArgs`' errors turned into input errors that name the flag, for every command line of dynolab.
 *
 * @module
 */
import { InputError, suggest } from "./errors.ts";

/**
 * A `parseArgs` error as an {@link InputError} naming the flag: an unknown flag (with the nearest of
 * `known`), a missing value, a value that looks like a flag, a value given to a switch.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flagError } from "./flag_error.ts";
 * const e = flagError(new Error("Unknown option '--num-worker'"), ["num-workers"]);
 * assert.match(e.message, /did you mean --num-workers\?/);
 * ```
 */
export function flagError(e: Error, known: readonly string[]): InputError {
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
