/**
 * What the commands (`replay`, `aisimulate predict` and `recommend`) add to a run's result before writing it:
 * the wall-clock figures of the reference's report, the per-request records, and the summary of its figures.
 *
 * @module
 */
import { type Report, type RequestRecord, requestRecords } from "../report/mod.ts";
import type { SimulationInputs, SimulationResult } from "../simulate.ts";

/** `report` with the reference's wall-clock figures of a run that took `wallMs` (they differ run to run). */
export function withWallFigures(report: Report, wallMs: number): Report {
  const tokens = Number(report.total_input_tokens) + Number(report.total_output_tokens);
  const seconds = Math.max(wallMs / 1000, 1e-9);
  return {
    ...report,
    wall_time_ms: wallMs,
    processed_tokens: tokens,
    processed_tokens_per_s: tokens / seconds,
    processed_output_tokens_per_s: Number(report.total_output_tokens) / seconds,
  };
}

/** The run's per-request records (the reference's `--report-jsonl` rows), each worker named by its index. */
export function runRecords(result: SimulationResult, inputs: SimulationInputs): RequestRecord[] {
  const cluster = result.cluster;
  const place = new Map<number, readonly [worker: number, rank: number]>();
  for (const w of cluster.pools.flatMap((p) => p.workers)) {
    w.ranks.forEach((e, rank) => place.set(e.id, [w.id, rank]));
  }
  const overlaps = cluster.pools.map((p) => p.router.overlapBlocks);
  return requestRecords(result.collector, inputs.workload, (id) => place.get(id)!, overlaps);
}

/** The summary: the report's numeric top-level figures (and the planner's tick count when it ran). */
export function summaryOf(report: Report, plannerTicks: number | undefined): Record<string, number> {
  const figures = Object.entries(report).filter((e): e is [string, number] => typeof e[1] === "number");
  return {
    ...Object.fromEntries(figures),
    ...(plannerTicks === undefined ? {} : { planner_total_ticks: plannerTicks }),
  };
}
