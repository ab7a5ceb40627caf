/**
 * The planner's details in the JSON report (the reference's `PlannerReplayDetails`, §7.7): config digest and
 * effective mode, bootstrap status, scaling events, worker lifecycle operations, GPU-hours and the per-tick
 * records. Ticks are stored column-wise (`columns` + one row per tick) so long runs stay compact.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { LifecycleOp } from "../cluster/mod.ts";
import { type PlannerRuntime, rankKvTokens, type TickRecord } from "../planner/mod.ts";
import type { PlannerHtmlData } from "./planner_html.ts";
import type { Report, ReportValue } from "./report.ts";

/** Config keys left out of the digest (they change outputs, not decisions), as in the reference. */
const DIGEST_EXCLUDED = [
  "report_output_dir",
  "report_filename",
  "report_interval_hours",
  "report_write_gzip_log",
  "live_dashboard_port",
];

/** Columns of the per-tick rows. */
export const TICK_COLUMNS = [
  "at_s",
  "load",
  "throughput",
  "prefill_active",
  "prefill_starting",
  "prefill_draining",
  "decode_active",
  "decode_starting",
  "decode_draining",
  "load_reason",
  "throughput_reason",
  "est_ttft_ms",
  "est_itl_ms",
  "predicted_num_req",
  "predicted_isl",
  "predicted_osl",
  "predicted_kv_hit_rate",
  "engine_rps_prefill",
  "engine_rps_decode",
  "lower_bound_prefill",
  "lower_bound_decode",
  "observed_num_req",
  "observed_isl",
  "observed_osl",
  "observed_ttft_ms",
  "observed_itl_ms",
  "observed_kv_hit_rate",
  "target_prefill",
  "target_decode",
  "gpu_hours",
  "active_gpu_hours",
] as const;

const round = (v: number | null | undefined, digits = 4): number | null =>
  v == null || !Number.isFinite(v) ? null : Number(v.toFixed(digits));

function row(t: TickRecord): ReportValue[] {
  const d = t.diagnostics, tr = t.traffic;
  return [
    round(t.atS, 3),
    t.load,
    t.throughput,
    t.prefill?.active ?? null,
    t.prefill?.starting ?? null,
    t.prefill?.draining ?? null,
    t.decode.active,
    t.decode.starting,
    t.decode.draining,
    d.loadReason ?? null,
    d.throughputReason ?? null,
    round(d.estTtftMs),
    round(d.estItlMs),
    round(d.predictedNumReq),
    round(d.predictedIsl),
    round(d.predictedOsl),
    round(d.predictedKvHitRate),
    round(d.engineRpsPrefill),
    round(d.engineRpsDecode),
    d.lowerBoundPrefill,
    d.lowerBoundDecode,
    tr?.numReq ?? null,
    round(tr?.isl),
    round(tr?.osl),
    round(tr?.ttftMs),
    round(tr?.itlMs),
    round(tr?.kvHitRate),
    t.target?.prefill ?? null,
    t.target?.decode ?? null,
    round(t.gpuHours, 6),
    round(t.activeGpuHours, 6),
  ];
}

/**
 * The `planner` section of the report.
 *
 * @param lifecycle The cluster's worker lifecycle operations.
 */
export function plannerDetails(p: PlannerRuntime, lifecycle: readonly LifecycleOp[]): ReportValue {
  const eff = p.setup.planner, cfg = eff.config;
  const decisionConfig: Record<string, unknown> = { ...cfg };
  for (const key of DIGEST_EXCLUDED) delete decisionConfig[key];
  const canonical = JSON.stringify(
    Object.fromEntries(Object.entries(decisionConfig).sort(([a], [b]) => a < b ? -1 : 1)),
  );
  const gpu = p.gpuHours(),
    disagg = p.setup.gpusPerWorker.length > 1,
    names = disagg ? ["prefill", "decode"] : ["agg"];
  return {
    metadata: {
      planner_config_digest: createHash("sha256").update(canonical).digest("hex"),
      mode: cfg.mode,
      effective: eff.summary,
      easy_mode: eff.easyMode,
      throughput_scaling: eff.throughputScaling,
      load_scaling: eff.loadScaling,
      demand_counting: cfg.demand_counting,
      load_predictor: cfg.load_predictor,
      benchmark_granularity: p.bootstrap.granularity,
      bootstrap: {
        status: p.bootstrap.status,
        prefill_fpm_count: p.bootstrap.prefillFpms,
        decode_fpm_count: p.bootstrap.decodeFpms,
        fpm_sha256: p.bootstrap.sha256,
      },
    },
    total_ticks: p.totalTicks,
    budget_capped_ticks: p.budgetCappedTicks(),
    scaling_events: p.events.map((e) => ({
      at_s: round(e.atS, 3),
      component: e.component,
      from_count: e.from,
      to_count: e.to,
      reason: e.reason,
    })),
    lifecycle_operations: lifecycle.map((op) => ({
      at_s: round(op.atMs / 1000, 3),
      component: names[op.pool],
      worker: op.worker,
      op: op.op,
    })),
    gpu_hours: {
      provisioned: gpu.provisioned,
      active: gpu.active,
      gpus_per_worker: [...p.setup.gpusPerWorker],
    },
    ticks: { columns: [...TICK_COLUMNS], rows: p.ticks.map(row), truncated: p.totalTicks > p.ticks.length },
  };
}

/**
 * The data of the planner's HTML report, from a finished run.
 *
 * @param report The run's JSON report (for the TTFT/ITL results and warnings).
 */
export function plannerHtmlData(p: PlannerRuntime, report: Report): PlannerHtmlData {
  const cfg = p.setup.planner.config, gpu = p.gpuHours(), num = (k: string) => Number(report[k] ?? 0);
  const warnings = (report.dynolab as { warnings?: string[] } | undefined)?.warnings ?? [];
  return {
    ticks: p.ticks,
    events: p.events,
    totalTicks: p.totalTicks,
    fromS: p.ticks[0]?.atS ?? 0,
    toS: p.lastTickS,
    summary: p.setup.planner.summary,
    ttftSlaMs: cfg.ttft_ms,
    itlSlaMs: cfg.itl_ms,
    throughputIntervalS: cfg.throughput_adjustment_interval_seconds,
    disagg: p.setup.gpusPerWorker.length > 1,
    gpuHours: gpu.provisioned,
    activeGpuHours: gpu.active,
    gpusPerWorker: p.setup.gpusPerWorker,
    maxKvTokens: rankKvTokens(p.stateMachine.caps.decode),
    results: {
      completed: num("completed_requests"),
      ttft: [num("mean_ttft_ms"), num("p90_ttft_ms")],
      itl: [num("mean_itl_ms"), num("p90_itl_ms")],
    },
    warnings,
  };
}

/** Render the planner's HTML report (loads Observable Plot and linkedom on first use). */
export async function renderPlannerHtml(data: PlannerHtmlData): Promise<string> {
  return (await import("./planner_html.ts")).plannerHtml(data);
}
