/**
 * What a planner run prints after the summary table: the effective mode, the scaling events in the
 * reference's format, the tick count, the GPU-hours line (findable with `grep 'GPU hours: <float>'`) and the
 * HTML report's path. No other line contains `scale_up`/`scale_down`, so sweep scripts can count events by
 * grepping those words, as the reference's do.
 *
 * @module
 */
import type { PlannerRuntime } from "../planner/mod.ts";

/**
 * The lines a planner run prints after the summary table.
 *
 * @example
 * ```ts ignore
 * for (const line of plannerLines(result.planner!, "planner_reports/x.html")) console.log(line);
 * ```
 */
export function plannerLines(planner: PlannerRuntime, htmlPath: string): string[] {
  const gpu = planner.gpuHours();
  return [
    `Planner: ${planner.setup.planner.summary}`,
    ...planner.events.map((e) =>
      `t=${e.atS.toFixed(1)}s [${e.component}]: ${e.from} -> ${e.to} workers (${e.reason})`
    ),
    `Planner ticks: ${planner.totalTicks}`,
    `GPU hours: ${gpu.provisioned.toFixed(2)} (provisioned: starting, active and draining workers; ` +
    `active workers only: ${gpu.active.toFixed(2)})`,
    `Planner report: ${htmlPath}`,
  ];
}
