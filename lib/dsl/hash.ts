/**
 * Hashing for the result cache: canonical JSON, sha256 of strings, bytes and files.
 *
 * @module
 */
import { fileIdentity, settledFile } from "../common/files.ts";

/**
 * JSON with object keys sorted at every level (so equal values give equal text), `undefined` fields dropped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalJson } from "./hash.ts";
 * assert(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: undefined } }) ===
 *   '{"a":{"d":[2,{"e":0,"f":1}]},"b":1}');
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortDeep(value));
}

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortDeep(v);
  }
  return out;
}

/**
 * Hex sha256 of a string (UTF-8) or bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "./hash.ts";
 * assert((await sha256Hex("abc")).startsWith("ba7816bf"));
 * ```
 */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const fileDigests = new Map<string, string>();

/**
 * Hex sha256 of a file's bytes, memoised per file identity ({@link fileIdentity}). A digest is only memoised
 * once the file has been still for longer than its timestamps' resolution ({@link settledFile}), so a rewrite
 * that keeps the size and restores the mtime (`cp -p`, `rsync -t`) is never answered from the memo.
 */
export async function fileDigest(path: string): Promise<string> {
  const now = Date.now();
  const before = await Deno.stat(path);
  const key = `${path}\0${fileIdentity(before)}`;
  const known = fileDigests.get(key);
  if (known) return known;
  const digest = await sha256Hex(await Deno.readFile(path));
  // Unchanged while it was read, and any later change will show in its identity.
  if (settledFile(before, now) && fileIdentity(await Deno.stat(path)) === fileIdentity(before)) {
    fileDigests.set(key, digest);
  }
  return digest;
}
