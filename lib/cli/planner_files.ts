/**
 * The planner's output files, as the reference writes them: the HTML diagnostics report of the whole run;
 * with `report_interval_hours`, one more report per interval of simulated time (`<name>_001.html`, …); and with
 * `report_write_gzip_log` (default on), the per-tick log as gzipped JSON Lines beside the report
 * (`<name>.log.jsonl.gz`).
 *
 * @module
 */
import { jsonLines } from "../common/json.ts";
import type { PlannerRuntime } from "../planner/mod.ts";
import { type PlannerHtmlData, plannerHtmlData, renderPlannerHtml, type Report } from "../report/mod.ts";

/** A file to write: its path and contents. */
export type OutputFile = readonly [path: string, contents: string | Uint8Array];

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
    const windows = intervalWindows(data, cfg.report_interval_hours * 3600);
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
 * The report data of each full interval of `seconds` when the run spans more than one (none otherwise): ticks,
 * events and GPU-hours within the interval, the last one's to the run's end (so they sum to the run's).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { intervalWindows } from "./planner_files.ts";
 * const tick = (atS: number, gpuHours: number) => ({ atS, gpuHours, activeGpuHours: gpuHours }) as never;
 * const ticks = [tick(10, 1), tick(70, 2), tick(130, 3)];
 * const data = { ticks, events: [], totalTicks: 3, gpuHours: 3.5, activeGpuHours: 3.5 } as never;
 * const w = intervalWindows(data, 60);
 * assert(w.length === 3 && w[1].ticks.length === 1 && w[1].gpuHours === 1 && w[2].gpuHours === 1.5);
 * ```
 */
export function intervalWindows(data: PlannerHtmlData, seconds: number): PlannerHtmlData[] {
  const ticks = data.ticks;
  if (ticks.length === 0 || ticks[ticks.length - 1].atS <= seconds) return [];
  const windows: PlannerHtmlData[] = [];
  let before = { gpu: 0, active: 0 };
  for (let start = 0; start < ticks[ticks.length - 1].atS; start += seconds) {
    const end = start + seconds;
    const inside = ticks.filter((t) => t.atS > start && t.atS <= end);
    const last = inside.length ? inside[inside.length - 1] : undefined;
    // The last window runs to the run's end, past its last tick: it closes with the run's totals.
    const after = end >= ticks[ticks.length - 1].atS
      ? { gpu: data.gpuHours, active: data.activeGpuHours }
      : last
      ? { gpu: last.gpuHours, active: last.activeGpuHours }
      : before;
    windows.push({
      ...data,
      ticks: inside,
      events: data.events.filter((e) => e.atS > start && e.atS <= end),
      totalTicks: inside.length,
      gpuHours: after.gpu - before.gpu,
      activeGpuHours: after.active - before.active,
    });
    before = after;
  }
  return windows;
}

async function gzipLines(rows: readonly unknown[]): Promise<Uint8Array> {
  const text = jsonLines(rows);
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
