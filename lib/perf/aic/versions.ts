/**
 * Ordering backend versions as AIC names them (`0.24.0`, `1.3.0rc20`, `0.5.6.post2`, `0.1.dev19262`).
 *
 * @module
 */

function parts(v: string): { nums: number[]; tag: number; tagNum: number } {
  const m = /^(\d+(?:\.\d+)*)(?:\.?(rc|post|dev)(\d+))?/.exec(v);
  if (!m) return { nums: [], tag: 0, tagNum: 0 };
  const tagRank: Record<string, number> = { dev: -2, rc: -1, post: 1 };
  return {
    nums: m[1].split(".").map(Number),
    tag: m[2] ? tagRank[m[2]] : 0,
    tagNum: m[3] ? Number(m[3]) : 0,
  };
}

/**
 * Compare two versions: numeric parts first, then dev < rc < release < post.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareVersions } from "./versions.ts";
 * const sorted = ["1.3.0rc20", "1.2.0rc5", "1.3.0rc5", "1.3.0"].sort(compareVersions);
 * assert(sorted.join() === "1.2.0rc5,1.3.0rc5,1.3.0rc20,1.3.0");
 * assert(compareVersions("0.5.6.post2", "0.5.6") > 0 && compareVersions("0.24.0", "0.9.0") > 0);
 * ```
 */
export function compareVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  const n = Math.max(pa.nums.length, pb.nums.length);
  for (let i = 0; i < n; i++) {
    const d = (pa.nums[i] ?? 0) - (pb.nums[i] ?? 0);
    if (d !== 0) return d;
  }
  if (pa.tag !== pb.tag) return pa.tag - pb.tag;
  if (pa.tagNum !== pb.tagNum) return pa.tagNum - pb.tagNum;
  return a < b ? -1 : a > b ? 1 : 0;
}
