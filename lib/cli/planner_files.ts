/**
 * The planner's output files, as the reference writes them: the HTML diagnostics report of the whole run;
 * with `report_interval_hours`, one more report per interval of simulated time (`<name>_001.html`, …); and with
 * `report_write_gzip_log` (default on), the per-tick log as gzipped JSON Lines beside the report
 * (`<name>.log.jsonl.gz`).
 *
 * @module
 */
import { resolve } from "node:path";
import { InputError } from "../common/errors.ts";
import { jsonLines } from "../common/json.ts";
import type { IntervalTotals, PlannerRuntime } from "../planner/mod.ts";
import { type PlannerHtmlData, plannerHtmlData, renderPlannerHtml, type Report } from "../report/mod.ts";
import type { FileContents } from "./write.ts";

/** A file to write: its path and contents. */
export type OutputFile = readonly [path: string, contents: FileContents];

/**
 * Every planner file of a run, the full report first.
 *
 * @param htmlPath Where the full report goes.
 */
export async function plannerFiles(
  planner: PlannerRuntime,
  report: Report,
  htmlPath: string,
): Promise<OutputFile[]> {
  const cfg = planner.setup.planner.config;
  const data = plannerHtmlData(planner, report);
  const files: OutputFile[] = [[htmlPath, await renderPlannerHtml(data)]];
  const stem = htmlPath.replace(/\.html?$/, "");
  if (cfg.report_interval_hours != null) {
    const windows = intervalWindows(data, planner.intervals, cfg.report_interval_hours * 3600);
    for (let k = 0; k < windows.length; k++) {
      files.push([`${stem}_${String(k + 1).padStart(3, "0")}.html`, await renderPlannerHtml(windows[k])]);
    }
  }
  if (cfg.report_write_gzip_log) files.push([plannerLogPath(htmlPath), await gzipLines(planner.ticks)]);
  return files;
}

/**
 * Where the per-tick log of the planner report at `htmlPath` goes: beside it, `<name>.log.jsonl.gz`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plannerLogPath } from "./planner_files.ts";
 * assert.equal(plannerLogPath("out/run.html"), "out/run.log.jsonl.gz");
 * ```
 */
export function plannerLogPath(htmlPath: string): string {
  return `${htmlPath.replace(/\.html?$/, "")}.log.jsonl.gz`;
}

/**
 * The report data of each interval of `seconds` when the run's ticks span more than one (none otherwise):
 * `totals` (the runtime's `intervals`, over every tick) give each window's tick count and GPU-hours, the last
 * window's to the run's end, so they sum to the run's; the recorded ticks and the events within it are
 * plotted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { intervalWindows } from "./planner_files.ts";
 * const tick = (atS: number) => ({ atS }) as never;
 * const data = { ticks: [tick(10), tick(70)], events: [], totalTicks: 3, toS: 130, gpuHours: 3.5, activeGpuHours: 3.5 };
 * // The third tick, at 130 s, was not recorded; the totals count it.
 * const totals = [1, 2, 3].map((h) => ({ ticks: 1, gpuHours: h, activeGpuHours: h }));
 * const w = intervalWindows(data as never, totals, 60);
 * assert(w.length === 3 && w[1].ticks.length === 1 && w[1].gpuHours === 1);
 * assert(w[2].ticks.length === 0 && w[2].totalTicks === 1 && w[2].gpuHours === 1.5 && w[2].toS === 130);
 * ```
 */
export function intervalWindows(
  data: PlannerHtmlData,
  totals: readonly IntervalTotals[],
  seconds: number,
): PlannerHtmlData[] {
  if (totals.length < 2) return [];
  return totals.map((t, k) => {
    const start = k * seconds, end = start + seconds, last = k === totals.length - 1;
    const before = totals[k - 1] ?? { gpuHours: 0, activeGpuHours: 0 };
    const after = last ? { gpuHours: data.gpuHours, activeGpuHours: data.activeGpuHours } : t;
    return {
      ...data,
      ticks: data.ticks.filter((r) => r.atS > start && r.atS <= end),
      events: data.events.filter((e) => e.atS > start && e.atS <= end),
      totalTicks: t.ticks,
      fromS: start,
      toS: Math.min(end, data.toS),
      gpuHours: after.gpuHours - before.gpuHours,
      activeGpuHours: after.activeGpuHours - before.activeGpuHours,
      interval: true,
    };
  });
}

async function gzipLines(rows: readonly unknown[]): Promise<Uint8Array> {
  const stream = new Blob(jsonLines(rows)).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Refuse `--report-json` or `--report-jsonl` named as one of the interval reports the planner writes beside its
 * report at `htmlPath` (`<name>_001.html`, …), whose count the run decides.
 */
export function checkIntervalNames(
  htmlPath: string,
  outputs: readonly (readonly [string | undefined, string])[],
): void {
  const stem = resolve(htmlPath.replace(/\.html?$/, ""));
  for (const [path, flag] of outputs) {
    const at = path === undefined ? "" : resolve(path);
    if (at.startsWith(`${stem}_`) && /^_\d{3}\.html$/.test(at.slice(stem.length))) {
      throw new InputError(
        `"${path}" is the name of one of the planner's interval reports (report_interval_hours); give the ` +
          "output another name",
        { field: flag },
      );
    }
  }
}

/** The planner's files at `htmlPath` whose names are known before the run: the report, and its tick log. */
export function plannerNamedFiles(
  htmlPath: string,
  cfg: { readonly report_write_gzip_log: boolean },
): (readonly [path: string, what: string])[] {
  const what = "--planner-config report_filename";
  return [
    [htmlPath, what],
    ...(cfg.report_write_gzip_log ? [[plannerLogPath(htmlPath), `${what} (its tick log)`] as const] : []),
  ];
}
