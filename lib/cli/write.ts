/**
 * Writing output files safely: all or nothing, never a half-written file.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";

/**
 * The report path the reference would use: `path` itself, a timestamped file inside `path` when it is a
 * directory (an existing one, or a new one written with a trailing `/`, created on write), or
 * `./dynamo_replay_report_YYYYmmdd_HHMMSS.json` when unset.
 */
export async function defaultReportPath(path: string | undefined, now = new Date()): Promise<string> {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}_` +
    `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  const name = `dynamo_replay_report_${stamp}.json`;
  if (path === undefined) return name;
  if (path.endsWith("/") || await isDirectory(path)) return `${path.replace(/\/+$/, "")}/${name}`;
  return path;
}

/**
 * Refuse output paths that cannot take a file before anything runs: an empty path, one naming a directory
 * (existing, or written with a trailing `/`), and one path given for two outputs. `files` pairs each path with
 * the flag or setting that named it, for the error.
 */
export async function checkOutputPaths(
  files: readonly (readonly [path: string, what: string])[],
): Promise<void> {
  const seen = new Map<string, string>();
  for (const [path, what] of files) {
    if (path.trim() === "") throw new InputError(`${what}: empty path; give a file path`);
    if (path.endsWith("/") || await isDirectory(path)) {
      throw new InputError(`${what}: "${path}" is a directory; give a file path`);
    }
    const key = normalizePath(path);
    const other = seen.get(key);
    if (other !== undefined) {
      throw new InputError(`${what}: "${path}" is also ${other}'s path; give each output its own file`);
    }
    seen.set(key, what);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/** `path` with `./` segments, repeated slashes and `dir/..` pairs folded, so `./a.json` and `a.json` compare equal. */
function normalizePath(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "." || (part === "" && out.length > 0)) continue;
    if (part === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else out.push(part);
  }
  return out.join("/");
}

/**
 * Where the planner's HTML report goes: `dir/filename`, or `dir/planner_report_YYYYmmdd_HHMMSS_<ms>.html` when
 * no file name is configured (the reference's timestamped name).
 */
export function plannerReportPath(dir: string, filename: string | null, now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const name = filename ??
    `planner_report_${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}_` +
      `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}_${p(now.getMilliseconds(), 3)}.html`;
  return `${dir.replace(/\/$/, "")}/${name}`;
}

/**
 * Write every `[path, contents]` pair: first all to temporary files beside their targets, then rename them
 * into place. Paths are checked first ({@link checkOutputPaths}), and a failure before the renames leaves no
 * target touched.
 */
export async function writeFilesAtomically(
  files: readonly (readonly [path: string, contents: string | Uint8Array])[],
): Promise<void> {
  await checkOutputPaths(files.map(([path]) => [path, `output "${path}"`] as const));
  const temps: string[] = [];
  try {
    for (const [path, contents] of files) {
      const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
      await Deno.mkdir(dir, { recursive: true });
      const temp = `${path}.tmp-${Deno.pid}`;
      if (typeof contents === "string") await Deno.writeTextFile(temp, contents);
      else await Deno.writeFile(temp, contents);
      temps.push(temp);
    }
  } catch (e) {
    for (const t of temps) await Deno.remove(t).catch(() => {});
    throw new InputError(`cannot write output: ${(e as Error).message}`);
  }
  let renamed = 0;
  try {
    for (; renamed < files.length; renamed++) await Deno.rename(temps[renamed], files[renamed][0]);
  } catch (e) {
    for (const t of temps.slice(renamed)) await Deno.remove(t).catch(() => {});
    throw new InputError(`cannot write output "${files[renamed][0]}": ${(e as Error).message}`);
  }
}
