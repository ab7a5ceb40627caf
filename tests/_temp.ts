/**
 * Temporary directories for tests that remove themselves, so a test run leaves nothing behind:
 * `await using dir = await tempDir();` and the directory goes, with all it holds, when the scope ends.
 *
 * @module
 */

/** A fresh temporary directory, removed with all it holds when its `await using` scope ends. */
export interface TempDir extends AsyncDisposable {
  /** Its path. */
  readonly path: string;
}

/**
 * A fresh temporary directory for `await using`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tempDir } from "./_temp.ts";
 * let kept = "";
 * {
 *   await using dir = await tempDir();
 *   await Deno.writeTextFile(`${dir.path}/a.txt`, "a");
 *   kept = dir.path;
 * }
 * await assert.rejects(Deno.stat(kept), Deno.errors.NotFound);
 * ```
 */
export async function tempDir(): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix: "dynolab-test-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** Run `fn` in a fresh temporary directory, removed when `fn` ends. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  await using dir = await tempDir();
  return await fn(dir.path);
}
