/**
 * Narrowing parsed JSON.
 *
 * @module
 */

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
export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
