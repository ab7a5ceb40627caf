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

/**
 * What identifies a file's content as `stat` sees it, short of reading it: size, mtime, ctime (which a rewrite
 * or a restored mtime moves), inode and device (which a replacement by rename moves).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileIdentity } from "./files.ts";
 * const info = { size: 3, mtime: new Date(1000), ctime: new Date(2000), ino: 7, dev: 1 } as Deno.FileInfo;
 * assert.notEqual(fileIdentity(info), fileIdentity({ ...info, ctime: new Date(3000) }));
 * ```
 */
export function fileIdentity(info: Deno.FileInfo): string {
  return [info.size, info.mtime?.getTime(), info.ctime?.getTime(), info.ino, info.dev].join(":");
}

/**
 * Timestamps are coarse (Deno gives ctime in whole seconds): a file changed within this many ms of being read
 * may change again without its {@link fileIdentity} changing.
 */
const SETTLE_MS = 2000;

/**
 * Whether `info`, as stat gave it at `now` (ms), identifies the file's content for good: its last change is
 * older than the timestamps' resolution, so any later change moves its ctime. A file without a ctime never is
 * (a restored mtime would go unseen).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { settledFile } from "./files.ts";
 * const info = { mtime: new Date(1000), ctime: new Date(1000) } as Deno.FileInfo;
 * assert.equal(settledFile(info, 1500), false);
 * assert.equal(settledFile(info, 5000), true);
 * ```
 */
export function settledFile(info: Deno.FileInfo, now: number): boolean {
  if (info.ctime == null) return false;
  return now - Math.max(info.ctime.getTime(), info.mtime?.getTime() ?? 0) >= SETTLE_MS;
}
