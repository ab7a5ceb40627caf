/**
 * Errors raised for bad user input: a trace row, a flag, a config field.
 *
 * Every message names where the problem is (file, line, field) so a user can fix it without reading code. The
 * CLI prints `error: <message>` and exits with code 2 for these; anything else is a bug.
 *
 * @module
 */

/** Where a bad value was found. All parts are optional; the message uses what is known. */
export interface InputLocation {
  /** File path as the user gave it. */
  file?: string;
  /** 1-based line number in `file`. */
  line?: number;
  /** Field or flag name, e.g. `hash_ids` or `--num-workers` or `engine.block_size`. */
  field?: string;
}

/**
 * A user-facing input error with a location.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InputError } from "./errors.ts";
 * const e = new InputError("must be a non-empty array", { file: "t.jsonl", line: 3, field: "hash_ids" });
 * assert(e.message === "t.jsonl:3: hash_ids: must be a non-empty array");
 * assert(e.detail === "must be a non-empty array");
 * ```
 */
export class InputError extends Error {
  /** What is wrong, without the location (the message is the location, then this). */
  readonly detail: string;
  /** Where the bad value was found. */
  readonly location: InputLocation;

  constructor(detail: string, location: InputLocation = {}) {
    super(formatLocated(detail, location));
    this.name = "InputError";
    this.detail = detail;
    this.location = location;
  }
}

function formatLocated(detail: string, { file, line, field }: InputLocation): string {
  let where = "";
  if (file !== undefined) where += line !== undefined ? `${file}:${line}: ` : `${file}: `;
  if (field !== undefined) where += `${field}: `;
  return where + detail;
}

/**
 * A value as an error shows what it got: its JSON, or `nothing` for a missing one (never `undefined`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shown } from "./errors.ts";
 * assert.deepEqual([shown("x"), shown(1e400), shown(undefined), shown([1])], ['"x"', "Infinity", "nothing", "[1]"]);
 * ```
 */
export function shown(value: unknown): string {
  if (value === undefined) return "nothing";
  return typeof value === "number" ? String(value) : JSON.stringify(value) ?? String(value);
}

/**
 * The candidate `word` most plausibly meant, ignoring case, `-` and `_`: the shortest candidate that begins with
 * it, or whose name after an owner's `/` does (`h200` → `h200_sxm`, `deepseek-r1` → `deepseek-ai/DeepSeek-R1`),
 * else the closest by edit distance if that is close enough to be a typo.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { suggest } from "./errors.ts";
 * assert(suggest("startuptime", ["startup_time", "block_size"]) === "startup_time");
 * assert(suggest("h200", ["gb200", "h200_sxm"]) === "h200_sxm");
 * const ids = ["deepseek-ai/DeepSeek-R1-0528", "nvidia/DeepSeek-R1-FP4", "deepseek-ai/DeepSeek-R1"];
 * assert(suggest("deepseek-r1", ids) === "deepseek-ai/DeepSeek-R1");
 * ```
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  const w = norm(word);
  if (w.length >= 3) {
    const name = (c: string) => norm(c.slice(c.lastIndexOf("/") + 1));
    const inexact = (c: string) => (name(c) === w || norm(c) === w ? 0 : 1);
    const begun = candidates.filter((c) => norm(c).startsWith(w) || name(c).startsWith(w));
    // The name equal to the word first, then the shortest name, then the shortest owner.
    begun.sort((a, b) => inexact(a) - inexact(b) || name(a).length - name(b).length || a.length - b.length);
    if (begun.length > 0) return begun[0];
  }
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(w, norm(candidate));
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
