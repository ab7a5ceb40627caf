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
