/**
 * Growing typed arrays.
 *
 * @module
 */

/**
 * A copy of `a` with room for `n` entries, the new ones `fill`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { grown } from "./grown.ts";
 * assert.deepEqual([...grown(new Int32Array([1, 2]), 4, -1)], [1, 2, -1, -1]);
 * ```
 */
export function grown<A extends Float64Array | Int32Array>(a: A, n: number, fill = 0): A {
  const b = new (a.constructor as new (length: number) => A)(n);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}
