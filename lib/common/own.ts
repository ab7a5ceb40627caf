/**
 * Table lookups by user-given names that only see the table's own entries.
 *
 * @module
 */

/**
 * `table[key]` when `key` is one of the table's own entries, else undefined: a name such as `toString` or
 * `constructor` finds nothing, rather than the object prototype's method.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { own } from "./own.ts";
 * const gpus = { h200_sxm: 141 };
 * assert.equal(own(gpus, "h200_sxm"), 141);
 * assert.equal(own(gpus, "toString"), undefined);
 * ```
 */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
