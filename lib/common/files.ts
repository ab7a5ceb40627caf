/**
 * File-system helpers for the loaders at the edges (the simulator core does no I/O).
 *
 * @module
 */

/**
 * Whether `path` names something that exists (following links).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pathExists } from "./files.ts";
 * assert.equal(await pathExists("/no/such/path"), false);
 * ```
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The text of the UTF-8 file at `path`, without the byte-order mark some editors put first (as trace files are
 * read), which JSON and YAML parsers would take for a stray character.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTextSync } from "./files.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "\uFEFF{}");
 * assert.equal(readTextSync(path), "{}");
 * await Deno.remove(path);
 * ```
 */
export function readTextSync(path: string): string {
  const text = Deno.readTextFileSync(path);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
