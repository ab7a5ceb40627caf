/**
 * The planner's HTML diagnostics report (the reference's `diagnostics_recorder.py`, §7.6): one self-contained
 * page titled "Planner Diagnostics Report", with the time range, tick count, `Scaling events: N | GPU hours:
 * X.XX` and the SLA targets in its header, and twelve panels drawn with Observable Plot, rendered here to
 * inline SVG through linkedom. No script, no network, nothing to load: the page is static markup.
 *
 * Import it lazily (`renderPlannerHtml` in `mod.ts`): Plot and linkedom cost ~0.1 s to load.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import { formatCount, formatFixed } from "../common/format.ts";
import type { LoadReason, ScalingEvent, ThroughputReason, TickRecord } from "../planner/mod.ts";

/** What the page shows. */
export interface PlannerHtmlData {
  /** The tick records plotted (at most the first `MAX_TICK_RECORDS` of the run). */
  readonly ticks: readonly TickRecord[];
  readonly events: readonly ScalingEvent[];
  /** Every tick of the span, recorded or not. */
  readonly totalTicks: number;
  /** The span the page covers (s): its first and last tick, or an interval's bounds. */
  readonly fromS: number;
  readonly toS: number;
  /** The effective-mode line (`mode agg, target sla (…): …`). */
  readonly summary: string;
  readonly ttftSlaMs: number;
  readonly itlSlaMs: number;
  readonly throughputIntervalS: number;
  readonly disagg: boolean;
  readonly gpuHours: number;
  readonly activeGpuHours: number;
  readonly gpusPerWorker: readonly number[];
  /** KV capacity of one decode (agg) engine rank, for the decode-load panel (one line per rank). */
  readonly maxKvTokens: number;
  /** Run-level results, for comparing runs: completed requests, mean/p90 TTFT and ITL (ms). */
  readonly results: {
    readonly completed: number;
    readonly ttft: [number, number];
    readonly itl: [number, number];
  };
  /** Warnings of the run (shown under the header). */
  readonly warnings: readonly string[];
  /** An interval's page (`report_interval_hours`): its results line still covers the whole run, and says so. */
  readonly interval?: boolean;
}

/** Timeline colours of load decisions (the reference's, plus dynolab's extra reasons). */
export const LOAD_COLORS: Readonly<Record<LoadReason, string>> = {
  scale_up: "green",
  scale_up_kv: "darkgreen",
  scale_down: "blue",
  scale_down_capped_by_throughput: "steelblue",
  scale_down_refused_consolidation: "slategray",
  capped: "purple",
  no_change: "gray",
  disabled: "lightgray",
  no_fpm_data: "gold",
  scaling_in_progress: "orange",
  worker_count_mismatch: "red",
  insufficient_data: "pink",
};

/** Timeline colours of throughput decisions. */
export const THROUGHPUT_COLORS: Readonly<Record<ThroughputReason, string>> = {
  scale: "green",
  set_lower_bound: "blue",
  no_traffic_data: "gold",
  predict_failed: "red",
  model_not_ready: "orange",
  disabled: "lightgray",
};

const WIDTH = 600, HEIGHT = 250;
/** Most points drawn per series: a panel is 600 px wide, and long runs would otherwise weigh tens of MB. */
export const MAX_POINTS = 1200;

/**
 * At most `max` points per series of `rows` (grouped by `key`): consecutive points are bucketed and each bucket
 * keeps its largest value, so peaks survive. Order is preserved.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { thin } from "./planner_html.ts";
 * const rows = Array.from({ length: 10 }, (_, t) => ({ t, value: t % 4, series: "a" }));
 * assert(thin(rows, "series", 5).map((r) => r.value).join() === "1,3,1,3,1");
 * ```
 */
export function thin<R extends Record<string, unknown>>(
  rows: readonly R[],
  key: string,
  max = MAX_POINTS,
): R[] {
  const groups = new Map<unknown, R[]>();
  for (const r of rows) {
    const g = groups.get(r[key]);
    if (g) g.push(r);
    else groups.set(r[key], [r]);
  }
  if ([...groups.values()].every((g) => g.length <= max)) return [...rows];
  const out: R[] = [];
  for (const g of groups.values()) {
    const size = Math.ceil(g.length / max);
    for (let i = 0; i < g.length; i += size) {
      let best = g[i];
      for (let j = i + 1; j < Math.min(i + size, g.length); j++) {
        if (Number(g[j].value ?? 0) > Number(best.value ?? 0)) best = g[j];
      }
      out.push(best);
    }
  }
  return out;
}

type Row = Record<string, number | string>;

/**
 * The "Replica Counts" panel's points: per tick and component (`agg`, or `prefill` and `decode`), the active
 * workers, the provisioned ones (active + starting + draining) and the throughput lower bound.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { replicaRows } from "./planner_html.ts";
 * const tick = (atS: number, active: number, starting: number) => ({
 *   atS, load: true, throughput: false, decode: { active, starting, draining: 0 },
 *   diagnostics: { lowerBoundDecode: 1 }, gpuHours: 0, activeGpuHours: 0,
 * });
 * const rows = replicaRows([tick(5, 1, 1), tick(10, 2, 0), tick(15, 1, 0)] as never, false);
 * assert.deepEqual(rows.filter((r) => r.series === "agg provisioned").map((r) => r.value), [2, 2, 1]);
 * ```
 */
export function replicaRows(ticks: readonly TickRecord[], disagg: boolean): Row[] {
  const component = disagg ? ["prefill", "decode"] as const : ["decode"] as const;
  const rows: Row[] = [];
  for (const r of ticks) {
    for (const c of component) {
      const s = r[c]!, name = disagg ? c : "agg";
      const lb = c === "prefill" ? r.diagnostics.lowerBoundPrefill : r.diagnostics.lowerBoundDecode;
      rows.push(
        { t: r.atS, value: s.active, series: `${name} active` },
        { t: r.atS, value: s.active + s.starting + s.draining, series: `${name} provisioned` },
        { t: r.atS, value: lb, series: `${name} throughput lower bound` },
      );
    }
  }
  return rows;
}
type Mark = Plot.Markish;

/**
 * Render the report. Deterministic: the same data gives the same page.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plannerHtml } from "./planner_html.ts";
 * const html = plannerHtml({
 *   ticks: [], events: [], totalTicks: 0, fromS: 0, toS: 0, summary: "mode agg", ttftSlaMs: 500, itlSlaMs: 50, throughputIntervalS: 180,
 *   disagg: false, gpuHours: 1234.5, activeGpuHours: 1.25, gpusPerWorker: [1], maxKvTokens: 1024,
 *   results: { completed: 0, ttft: [0, 0], itl: [0, 0] }, warnings: [],
 * });
 * assert(html.includes("Scaling events: 0 | GPU hours: 1234.50") && !html.includes("<script")); // a plain float
 * ```
 */
export function plannerHtml(data: PlannerHtmlData): string {
  const { document } = parseHTML("<!DOCTYPE html><html><body></body></html>") as unknown as {
    document: unknown;
  };
  let chart = 0;
  const panel = (title: string, rows: readonly unknown[], options: () => Plot.PlotOptions): string => {
    // (rows only decide whether there is anything to draw; the marks receive thinned copies)
    const body = rows.length === 0 ? `<div class="empty">no data in this run</div>` : (Plot.plot(
      {
        ...options(),
        document,
        width: WIDTH,
        height: HEIGHT,
        className: `plot-${++chart}`,
        style: { fontSize: "11px", background: "white" },
      } as Plot.PlotOptions & { document: unknown },
    ) as unknown as { outerHTML: string }).outerHTML;
    return `<section class="panel"><h2>${escape(title)}</h2>${body}</section>`;
  };
  // One time axis for every panel, from 0 (a run of one tick would otherwise have an empty domain).
  const t = data.ticks;
  const x = { label: "time (s)", grid: true, domain: [0, Math.max(1, ...t.map((r) => r.atS))] };
  const replicas = replicaRows(t, data.disagg);
  const traffic = t.filter((r) => r.traffic);
  const rate: Row[] = [];
  for (const r of traffic) {
    rate.push({ t: r.atS, value: r.traffic!.numReq / r.traffic!.durationS, series: "observed" });
  }
  for (const r of t) {
    if (r.diagnostics.predictedNumReq !== undefined) {
      rate.push({
        t: r.atS,
        value: r.diagnostics.predictedNumReq / data.throughputIntervalS,
        series: "predicted",
      });
    }
  }
  const series = (pick: (r: TickRecord) => number | null | undefined, rows = t): Row[] =>
    rows.flatMap((r) => {
      const v = pick(r);
      return v == null || !Number.isFinite(v) ? [] : [{ t: r.atS, value: v }];
    });
  const engineRows = (
    pick: (r: TickRecord) => readonly (readonly number[])[] | undefined,
    index: number,
  ): Row[] =>
    t.flatMap((r) => (pick(r) ?? []).map((e) => ({ t: r.atS, value: e[index], series: `engine ${e[0]}` })));
  const prefillLoad = engineRows((r) => (data.disagg ? r.prefillEngines : r.decodeEngines), 1);
  const decodeLoad = engineRows((r) => r.decodeEngines, 2);
  const capacity: Row[] = [
    ...series((r) => r.diagnostics.engineRpsPrefill).map((r) => ({
      ...r,
      series: data.disagg ? "prefill" : "agg",
    })),
    ...(data.disagg
      ? series((r) => r.diagnostics.engineRpsDecode).map((r) => ({ ...r, series: "decode" }))
      : []),
  ];
  const lengths: Row[] = [
    ...series((r) => r.traffic?.isl || null).map((r) => ({ ...r, series: "ISL observed" })),
    ...series((r) => r.diagnostics.predictedIsl || null).map((r) => ({ ...r, series: "ISL predicted" })),
    ...series((r) => r.traffic?.osl || null).map((r) => ({ ...r, series: "OSL observed" })),
    ...series((r) => r.diagnostics.predictedOsl || null).map((r) => ({ ...r, series: "OSL predicted" })),
  ];
  const loadDecisions = t.filter((r) => r.load && r.diagnostics.loadReason).map((r) => ({
    t: r.atS,
    reason: r.diagnostics.loadReason!,
  }));
  const tputDecisions = t.filter((r) => r.throughput && r.diagnostics.throughputReason)
    .map((r) => ({ t: r.atS, reason: r.diagnostics.throughputReason! }));

  const lines = (all: Row[], extra: Mark[] = [], y: Plot.ScaleOptions = {}) => () => {
    const rows = thin(all, "series");
    return {
      x,
      y: { grid: true, tickFormat: "~s", domain: flatDomain(rows, y.type === "log"), ...y },
      marginLeft: 50,
      // One legend entry per series; per-engine panels of large runs would drown in theirs.
      color: { legend: new Set(rows.map((r) => r.series)).size <= 12 },
      marks: [
        Plot.line(rows, { x: "t", y: "value", z: "series", stroke: "series", curve: "step-after" }),
        Plot.dot(rows, { x: "t", y: "value", fill: "series", r: 1.5 }),
        ...extra,
      ],
    };
  };
  const withSla = (all: Row[], sla: number, label: string, color: string) => () => {
    const rows: Row[] = thin(all.map((r): Row => ({ ...r, series: "s" })), "series");
    return {
      x,
      y: {
        grid: true,
        label,
        tickFormat: "~s",
        domain: [0, Math.max(sla * 1.2, ...rows.map((r) => r.value as number))],
      },
      marginLeft: 50,
      marks: [
        Plot.line(rows, { x: "t", y: "value", stroke: color }),
        Plot.dot(rows, { x: "t", y: "value", fill: color, r: 2 }),
        Plot.ruleY([sla], { stroke: "red", strokeDasharray: "6,4" }),
        Plot.text([sla], {
          y: (d: number) => d,
          frameAnchor: "right",
          text: () => `SLA ${sla} ms`,
          dy: -6,
          fill: "red",
        }),
      ],
    };
  };
  const timeline = (all: { t: number; reason: string }[], colors: Readonly<Record<string, string>>) => () => {
    const rows = thin(all, "reason");
    const used = Object.keys(colors).filter((k) => rows.some((r) => r.reason === k));
    return {
      x,
      y: { label: null, domain: used },
      marginLeft: 240,
      color: { domain: used, range: used.map((k) => colors[k]) },
      marks: [Plot.dot(rows, { x: "t", y: "reason", fill: "reason", r: 3.5 })],
    };
  };

  const panels = [
    panel("Replica Counts", replicas, lines(replicas, [], { label: "workers" })),
    panel("Request Rate (observed vs predicted, req/s)", rate, lines(rate, [], { label: "req/s" })),
    panel(
      "Observed TTFT vs SLA",
      series((r) => r.traffic?.ttftMs),
      withSla(series((r) => r.traffic?.ttftMs), data.ttftSlaMs, "TTFT (ms)", "steelblue"),
    ),
    panel(
      "Observed ITL vs SLA",
      series((r) => r.traffic?.itlMs),
      withSla(series((r) => r.traffic?.itlMs), data.itlSlaMs, "ITL (ms)", "darkorange"),
    ),
    panel(
      "Estimated TTFT vs SLA",
      series((r) => r.diagnostics.estTtftMs),
      withSla(series((r) => r.diagnostics.estTtftMs), data.ttftSlaMs, "TTFT (ms)", "steelblue"),
    ),
    panel(
      "Estimated ITL vs SLA",
      series((r) => r.diagnostics.estItlMs),
      withSla(series((r) => r.diagnostics.estItlMs), data.itlSlaMs, "ITL (ms)", "darkorange"),
    ),
    panel(
      "Prefill Engine Load (queued prefill tokens)",
      prefillLoad,
      lines(prefillLoad, [], { label: "tokens" }),
    ),
    panel(
      "Decode Engine Load (queued + in-flight decode KV tokens)",
      decodeLoad,
      lines(decodeLoad, [Plot.ruleY([data.maxKvTokens], { stroke: "red", strokeDasharray: "6,4" })], {
        label: "KV tokens",
      }),
    ),
    panel("Engine Capacity (req/s per engine)", capacity, lines(capacity, [], { label: "req/s" })),
    panel(
      "Sequence Lengths (observed vs predicted)",
      lengths,
      lines(lengths, [], { label: "tokens", type: "log" }),
    ),
    panel("Load Scaling Decisions", loadDecisions, timeline(loadDecisions, LOAD_COLORS)),
    panel("Throughput Scaling Decisions", tputDecisions, timeline(tputDecisions, THROUGHPUT_COLORS)),
  ];
  return page(data, panels);
}

function page(data: PlannerHtmlData, panels: string[]): string {
  const recorded = data.ticks.length, plotted = data.ticks[recorded - 1]?.atS ?? data.fromS;
  const cut = recorded < data.totalTicks
    ? ` (the plots show the ${formatCount(recorded)} recorded ticks, to ${formatFixed(plotted, 2)} s)`
    : "";
  const events = data.events.map((e) =>
    `<li>t=${e.atS.toFixed(1)}s [${e.component}]: ${e.from} → ${e.to} workers (${
      e.reason.replace("_", " ")
    })</li>`
  ).join("");
  const r = data.results;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Planner Diagnostics Report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 16px; color: #222; background: #fafafa; }
header { max-width: 1260px; margin: 0 auto 12px; }
h1 { font-size: 22px; margin: 0 0 6px; }
header p { margin: 3px 0; font-size: 14px; }
.headline { font-weight: 600; }
.warn { color: #8a5a00; font-size: 12px; }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; max-width: 1260px; margin: 0 auto; }
.panel { background: white; border: 1px solid #ddd; border-radius: 6px; padding: 8px 10px; min-width: 0; }
.panel h2 { font-size: 14px; margin: 0 0 4px; }
.panel svg { max-width: 100%; height: auto; }
.empty { height: 120px; display: flex; align-items: center; justify-content: center; color: #888; font-size: 13px; }
details { max-width: 1260px; margin: 12px auto; font-size: 12px; }
</style>
</head>
<body>
<header>
<h1>Planner Diagnostics Report</h1>
<p>Simulated time ${formatFixed(data.fromS, 2)} s – ${
    formatFixed(data.toS, 2)
  } s | Planner ticks: ${data.totalTicks}${cut}</p>
<p class="headline">Scaling events: ${data.events.length} | GPU hours: ${data.gpuHours.toFixed(2)}</p>
<p>SLA targets: TTFT ${data.ttftSlaMs} ms, ITL ${data.itlSlaMs} ms | ${escape(data.summary)}</p>
<p>Provisioned GPU-hours (starting, active and draining workers, GPUs per worker ${
    data.gpusPerWorker.join("/")
  }): ${formatFixed(data.gpuHours, 2)}; active-worker GPU-hours: ${formatFixed(data.activeGpuHours, 2)}</p>
<p>Results${data.interval ? " of the whole run" : ""}: ${
    formatCount(r.completed)
  } requests completed | TTFT mean ${formatFixed(r.ttft[0], 2)} ms, p90 ${
    formatFixed(r.ttft[1], 2)
  } ms | ITL mean ${formatFixed(r.itl[0], 2)} ms, p90 ${formatFixed(r.itl[1], 2)} ms</p>
${data.warnings.map((w) => `<p class="warn">warning: ${escape(w)}</p>`).join("\n")}
</header>
<main class="grid">
${panels.join("\n")}
</main>
<details><summary>Scaling events (${data.events.length})</summary><ul>${events}</ul></details>
</body>
</html>
`;
}

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * A y domain around the one value `rows` all have (a flat series, or a single point), whose own domain would be
 * empty and its ticks unlabelled (NaN); undefined when the values differ, or there are none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flatDomain } from "./planner_html.ts";
 * assert.deepEqual(flatDomain([{ t: 0, value: 0 }, { t: 1, value: 0 }], false), [0, 1]);
 * assert.deepEqual(flatDomain([{ t: 0, value: 8 }], true), [4, 16]);
 * assert.equal(flatDomain([{ t: 0, value: 1 }, { t: 1, value: 2 }], false), undefined);
 * ```
 */
export function flatDomain(
  rows: readonly Readonly<Record<string, unknown>>[],
  log: boolean,
): [number, number] | undefined {
  if (rows.length === 0) return undefined;
  const v = rows[0].value as number;
  if (rows.some((r) => r.value !== v)) return undefined;
  if (log) return [v / 2, v * 2];
  return v > 0 ? [0, 2 * v] : v < 0 ? [2 * v, 0] : [0, 1];
}
