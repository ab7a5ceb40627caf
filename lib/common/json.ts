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
