/**
 * Narrowing parsed JSON.
 *
 * @module
 */

/** A parsed JSON object. */
export type Json = Record<string, unknown>;

/**
 * Whether `v` is a JSON object (not null, not an array).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isObject } from "./json.ts";
 * assert(isObject({ a: 1 }) && !isObject([1]) && !isObject(null));
 * ```
 */
export function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Set `value` at `path` in `node`, creating the mappings missing on the way. Returns the key whose value is in
 * the way (present but not a mapping), or undefined once the value is set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { setPath } from "./json.ts";
 * const doc = { a: { b: 1 } };
 * assert.equal(setPath(doc, ["a", "c", "d"], 2), undefined);
 * assert.deepEqual(doc, { a: { b: 1, c: { d: 2 } } });
 * assert.equal(setPath(doc, ["a", "b", "x"], 3), "b");
 * ```
 */
export function setPath(node: Json, path: readonly string[], value: unknown): string | undefined {
  let at = node;
  for (const key of path.slice(0, -1)) {
    const next = at[key] ?? (at[key] = {});
    if (!isObject(next)) return key;
    at = next;
  }
  at[path[path.length - 1]] = value;
  return undefined;
}

/**
 * `rows` as JSON Lines: each row's JSON and a newline (nothing at all for no rows).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonLines } from "./json.ts";
 * assert.equal(jsonLines([{ a: 1 }, { a: 2 }]), '{"a":1}\n{"a":2}\n');
 * assert.equal(jsonLines([]), "");
 * ```
 */
export function jsonLines(rows: readonly unknown[]): string {
  return rows.map((r) => JSON.stringify(r) + "\n").join("");
}
