/**
 * Writing output files safely: all or nothing, never a half-written file.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";

/**
 * The report path the reference would use: `path` itself, a timestamped file inside `path` when it is a
 * directory, or `./dynamo_replay_report_YYYYmmdd_HHMMSS.json` when unset.
 */
export async function defaultReportPath(path: string | undefined, now = new Date()): Promise<string> {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}_` +
    `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  const name = `dynamo_replay_report_${stamp}.json`;
  if (path === undefined) return name;
  try {
    if ((await Deno.stat(path)).isDirectory) return `${path.replace(/\/$/, "")}/${name}`;
  } catch { /* a new file */ }
  return path;
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
 * into place. A failure before the renames leaves no target touched.
 */
export async function writeFilesAtomically(
  files: readonly (readonly [path: string, contents: string | Uint8Array])[],
): Promise<void> {
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
  for (let i = 0; i < files.length; i++) await Deno.rename(temps[i], files[i][0]);
}
