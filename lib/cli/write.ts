/**
 * Writing output files safely: all or nothing, never a half-written file.
 *
 * @module
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { InputError } from "../common/errors.ts";

/** Where the JSON report goes: its path, and whether dynolab named it (a timestamped name). */
export interface ReportPath {
  readonly path: string;
  readonly timestamped: boolean;
}

/**
 * The report path the reference would use: `path` itself, a timestamped file inside `path` when it is a
 * directory (an existing one, or a new one written with a trailing `/`, created on write), or
 * `<cwd>/dynamo_replay_report_YYYYmmdd_HHMMSS.json` when unset.
 */
export async function defaultReportPath(path: string | undefined, now = new Date()): Promise<ReportPath> {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}_` +
    `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  const name = `dynamo_replay_report_${stamp}.json`;
  if (path === undefined) return { path: resolve(name), timestamped: true };
  if (path.endsWith("/") || await isDirectory(path)) {
    return { path: `${path.replace(/\/+$/, "")}/${name}`, timestamped: true };
  }
  return { path, timestamped: false };
}

/**
 * Claim a timestamped report name so that runs finishing in the same second do not overwrite each other:
 * `path` if no file has it yet, else the first free `<stem>_2.json`, `<stem>_3.json`, …. The name is taken by
 * creating an empty file, which the report then replaces; {@link releaseClaim} removes it if the write fails.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { claimReportPath } from "./write.ts";
 * const dir = await Deno.makeTempDir();
 * const a = await claimReportPath(`${dir}/r.json`), b = await claimReportPath(`${dir}/r.json`);
 * assert.deepEqual([a, b], [`${dir}/r.json`, `${dir}/r_2.json`]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function claimReportPath(path: string): Promise<string> {
  await Deno.mkdir(dirname(resolve(path)), { recursive: true });
  for (let n = 1;; n++) {
    const candidate = n === 1 ? path : path.replace(/(\.json)?$/, `_${n}$1`);
    try {
      (await Deno.open(candidate, { write: true, createNew: true })).close();
      return candidate;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
  }
}

/** Remove a name {@link claimReportPath} took, if it is still the empty placeholder. */
export async function releaseClaim(path: string): Promise<void> {
  const info = await Deno.stat(path).catch(() => undefined);
  if (info?.isFile && info.size === 0) await Deno.remove(path).catch(() => {});
}

/** An output path and the flag or setting that named it (for errors). */
export type NamedPath = readonly [path: string, what: string];

/**
 * Where a write lands: the file itself, or through a symbolic link the file it names (the link is kept);
 * `stream` when that is not a regular file (a device, a FIFO, `/dev/stdout`), which is written in place since
 * it cannot be replaced atomically.
 */
interface OutputTarget {
  readonly target: string;
  readonly stream: boolean;
}

/** Where a write to `path` lands ({@link OutputTarget}). */
async function outputTarget(path: string): Promise<OutputTarget> {
  const info = await Deno.stat(path).catch(() => undefined);
  if (info === undefined) {
    // A dangling link is written through to the file it names.
    const link = await Deno.lstat(path).catch(() => undefined);
    if (!link?.isSymlink) return { target: resolve(path), stream: false };
    const to = await Deno.readLink(path);
    return { target: resolve(dirname(resolve(path)), to), stream: false };
  }
  const stream = !info.isFile && !info.isDirectory;
  // A pipe behind /dev/stdout has no path to resolve to.
  const real = await Deno.realPath(path).catch(() => resolve(path));
  return { target: real, stream };
}

/**
 * Refuse output paths that cannot take their files before anything runs: an empty path, a file path naming a
 * directory (existing, or written with a trailing `/`), one path given for two outputs, a file path that
 * another output would need as a directory, an output that is one of the run's `inputs` (it would overwrite
 * it), and a place that cannot be created or written in. `files` are output files; `dirs` are output
 * directories (created if missing). A path through a symbolic link counts as the file it names. Returns where
 * each of `files` lands ({@link outputTarget}).
 */
export async function checkOutputPaths(
  files: readonly NamedPath[],
  dirs: readonly NamedPath[] = [],
  inputs: readonly NamedPath[] = [],
): Promise<OutputTarget[]> {
  const seen = new Map<string, string>();
  const read = new Map<string, string>();
  for (const [path, what] of inputs) {
    const real = await Deno.realPath(path).catch(() => undefined);
    if (real !== undefined) read.set(real, what);
  }
  const outputs: [path: string, what: string, dir: string][] = [];
  const targets: OutputTarget[] = [];
  for (const [path, what] of files) {
    if (path.trim() === "") throw new InputError(`${what}: empty path; give a file path`);
    if (path.endsWith("/") || await isDirectory(path)) {
      throw new InputError(`${what}: "${path}" is a directory; give a file path`);
    }
    const { target, stream } = await outputTarget(path);
    targets.push({ target, stream });
    const input = read.get(target);
    if (input !== undefined) {
      throw new InputError(
        `${what}: "${path}" is ${input}, which the run reads; give the output its own file`,
      );
    }
    const other = seen.get(target);
    if (other !== undefined) {
      throw new InputError(`${what}: "${path}" is also ${other}'s path; give each output its own file`);
    }
    seen.set(target, what);
    if (!stream) outputs.push([path, what, dirname(target)]);
  }
  outputs.push(...dirs.map(([p, w]) => [p, w, resolve(p)] as [string, string, string]));
  for (const [path, what, dir] of outputs) {
    for (let d = dir;; d = dirname(d)) {
      const file = seen.get(d);
      if (file !== undefined) {
        throw new InputError(
          `${what}: "${path}" would need ${file}'s file as a directory; give each its own place`,
        );
      }
      if (d === dirname(d)) break;
    }
    await checkWritable(path, what, dir);
  }
  return targets;
}

/** Refuse `what`'s `path` unless directory `dir` exists or can be made, and a file can be written in it. */
async function checkWritable(path: string, what: string, dir: string): Promise<void> {
  const missing = await missingDirectories(dir);
  const existing = missing.length > 0 ? dirname(missing[0]) : dir;
  if (!await isDirectory(existing)) {
    throw new InputError(`${what}: cannot create "${path}": "${existing}" is a file, not a directory`);
  }
  try {
    await Deno.remove(await Deno.makeTempFile({ dir: existing, prefix: ".dynolab-write-check-" }));
  } catch (e) {
    throw new InputError(`${what}: cannot write "${path}": ${(e as Error).message}`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Where the planner's HTML report goes: `dir/filename`, or `dir/planner_report_YYYYmmdd_HHMMSS_<ms>.html` when
 * no file name is configured (the reference's timestamped name). An absolute file name stands alone, as Python's
 * `os.path.join` has it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plannerReportPath } from "./write.ts";
 * assert.equal(plannerReportPath("./planner_reports", "run.html"), "./planner_reports/run.html");
 * assert.equal(plannerReportPath("./planner_reports", "/tmp/run.html"), "/tmp/run.html");
 * ```
 */
export function plannerReportPath(dir: string, filename: string | null, now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const name = filename ??
    `planner_report_${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}_` +
      `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}_${p(now.getMilliseconds(), 3)}.html`;
  return isAbsolute(name) ? name : `${dir.replace(/\/$/, "")}/${name}`;
}

/**
 * Write every `[path, contents]` pair: first all to temporary files beside their targets, then rename them
 * into place. Paths are checked first ({@link checkOutputPaths}), and a failure before the renames leaves no
 * target touched and removes the directories it created. A path through a symbolic link writes the file it
 * names; one that is not a regular file (a device, a FIFO, `/dev/stdout`) is written in place, after the
 * files.
 */
export async function writeFilesAtomically(
  files: readonly (readonly [path: string, contents: FileContents])[],
): Promise<void> {
  const targets = await checkOutputPaths(files.map(([path]) => [path, `output "${path}"`] as const));
  const temps: string[] = [], made: string[] = [];
  const renames: [temp: string, target: string, path: string][] = [];
  try {
    for (let k = 0; k < files.length; k++) {
      if (targets[k].stream) continue;
      const target = targets[k].target, dir = dirname(target);
      const missing = await missingDirectories(dir);
      await Deno.mkdir(dir, { recursive: true });
      made.push(...missing);
      const temp = `${target}.tmp-${Deno.pid}`;
      await writeContents(temp, files[k][1]);
      temps.push(temp);
      renames.push([temp, target, files[k][0]]);
    }
  } catch (e) {
    for (const t of temps) await Deno.remove(t).catch(() => {});
    for (const d of made.reverse()) await Deno.remove(d).catch(() => {});
    throw new InputError(`cannot write output: ${(e as Error).message}`);
  }
  let renamed = 0;
  try {
    for (; renamed < renames.length; renamed++) await Deno.rename(renames[renamed][0], renames[renamed][1]);
  } catch (e) {
    for (const [t] of renames.slice(renamed)) await Deno.remove(t).catch(() => {});
    throw new InputError(`cannot write output "${renames[renamed][2]}": ${(e as Error).message}`);
  }
  for (let k = 0; k < files.length; k++) {
    if (!targets[k].stream) continue;
    try {
      await writeContents(files[k][0], files[k][1]);
    } catch (e) {
      throw new InputError(`cannot write output "${files[k][0]}": ${(e as Error).message}`);
    }
  }
}

/** What a file holds: text, bytes, or text in chunks (a file larger than one string may be). */
export type FileContents = string | Uint8Array | readonly string[];

async function writeContents(path: string, contents: FileContents): Promise<void> {
  if (typeof contents === "string") return await Deno.writeTextFile(path, contents);
  if (contents instanceof Uint8Array) return await Deno.writeFile(path, contents);
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const encoder = new TextEncoder();
  for (const chunk of contents) {
    const bytes = encoder.encode(chunk);
    for (let at = 0; at < bytes.length;) at += await file.write(bytes.subarray(at));
  }
}

/** Directory `dir` and those of its parents that do not exist, outermost first (none when `dir` exists). */
async function missingDirectories(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let d = dir; !await exists(d) && d !== dirname(d); d = dirname(d)) missing.unshift(d);
  return missing;
}
