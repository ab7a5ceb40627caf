/**
 * Plot helpers for results, built on Observable Plot: a sweep plot (metrics against a parameter), a run's
 * timeline, and a comparison of variants. Each returns a {@link Figure} whose panels are ordinary Plot options.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { Figure, type PanelOptions } from "./figure.ts";
import type { Results, RunResult } from "./results.ts";

export { Figure, type PanelOptions } from "./figure.ts";

/** Options shared by the helpers. */
export interface PlotOptions {
  /** Figure title (default: derived from the results). */
  readonly title?: string;
  /** Width, px (default 720). */
  readonly width?: number;
  /** Height of each panel, px (default 180). */
  readonly height?: number;
  /** Extra Plot marks drawn on every panel. */
  readonly marks?: Plot.Markish[];
}

const SERIES = "__series";
const X = "__x";

/**
 * Metrics against `x`, one panel per metric; one line per combination of variant and other parameters (those a
 * row sets), and a dashed level line per row that does not sweep `x` (a variant of a comparison).
 */
export function sweepFigure(
  results: Results,
  x: string,
  metrics: string[],
  options: PlotOptions = {},
): Figure {
  const keys = [...(results.hasVariants ? ["variant"] : []), ...results.params.filter((p) => p !== x)];
  const rows = results.rows.map((r): Record<string, unknown> => ({
    ...r,
    [SERIES]: keys.filter((k) => r[k] != null).map((k) => (k === "variant" ? String(r[k]) : `${k}=${r[k]}`))
      .join(" · ") || "all",
  }));
  const title = `${results.scenario}: ${metrics.join(", ")} vs ${x}`;
  const levels = rows.filter((r) => r[x] == null);
  return lineFigure(rows.filter((r) => r[x] != null), x, x, metrics, options, title, levels);
}

/**
 * One panel per metric of `rows` against their field `x` (axis label `label`), a line per `SERIES` value, and
 * a dashed level line per row of `levels` (variants that sweep nothing). An axis of strings keeps the order the
 * values first appear in (a sweep's order), not the alphabet's.
 */
function lineFigure(
  rows: Record<string, unknown>[],
  x: string,
  label: string,
  metrics: string[],
  options: PlotOptions,
  title: string,
  levels: Record<string, unknown>[] = [],
): Figure {
  const multi = new Set([...rows, ...levels].map((r) => r[SERIES])).size > 1;
  const xs = [...new Set(rows.map((r) => r[x]))];
  // A few swept integers (workers, seeds) are ticked at their values, not at 1.2, 1.4, …
  const ticks = xs.length <= 12 && xs.every(Number.isInteger)
    ? { ticks: xs as number[], tickFormat: ",d" }
    : {};
  const xScale = xs.every((v) => typeof v === "number")
    ? { label, nice: true, ...ticks }
    : { label, type: "point" as const, domain: xs.map(String), padding: 0.3 };
  const at = xScale.type === "point" ? rows.map((r) => ({ ...r, [x]: String(r[x]) })) : rows;
  const panels = metrics.map((y): PanelOptions => ({
    height: options.height ?? 180,
    marginLeft: 60,
    marginRight: multi ? 110 : 20,
    x: xScale,
    y: { label: y, grid: true, zero: isRatioOrCount(y) },
    color: { type: "categorical" },
    marks: [
      Plot.line(at, { x, y, stroke: multi ? SERIES : "steelblue", z: SERIES }),
      Plot.dot(at, { x, y, fill: multi ? SERIES : "steelblue", r: 2.5 }),
      ...(multi
        ? [
          Plot.text(
            at,
            Plot.selectLast({ x, y, z: SERIES, text: SERIES, fill: SERIES, dx: 5, textAnchor: "start" }),
          ),
        ]
        : []),
      Plot.ruleY(levels, { y, stroke: SERIES, strokeDasharray: "4,3" }),
      Plot.text(levels, { y, text: SERIES, fill: SERIES, frameAnchor: "right", dy: -6, textAnchor: "end" }),
      ...(options.marks ?? []),
    ],
  }));
  return new Figure(panels, options.title ?? title, options.width);
}

/** A run over time: workers, load, queue, TTFT and ITL, with the goodput SLA lines when set. */
export function timelineFigure(run: RunResult, options: PlotOptions = {}): Figure {
  const s = run.series;
  // Long format, one row per (bucket, series); empty buckets are left out so lines join across them, and a
  // series that is zero throughout (no workers starting in a static fleet) is not drawn.
  const long = (names: Array<[keyof typeof s, string]>) =>
    names.flatMap(([key, label]) => {
      const values = s[key] as Array<number | null>;
      if ((key === "startingWorkers" || key === "drainingWorkers") && values.every((v) => !v)) return [];
      return values.flatMap((value, i) => (value === null ? [] : [{ t: s.t[i], value, series: label }]));
    });
  const sla = run.spec.sla;
  const events = s.scalingEvents;
  const panel = (
    label: string,
    data: ReturnType<typeof long>,
    extra: Plot.Markish[] = [],
    step = false,
  ): PanelOptions => ({
    height: options.height ?? 150,
    marginLeft: 60,
    marginRight: 90,
    x: { label: "simulated time (s)" },
    y: { label, grid: true, zero: true },
    color: { type: "categorical" },
    marks: [
      Plot.line(data, { x: "t", y: "value", stroke: "series", curve: step ? "step-after" : "linear" }),
      Plot.text(
        data,
        Plot.selectLast({
          x: "t",
          y: "value",
          z: "series",
          text: "series",
          fill: "series",
          dx: 5,
          textAnchor: "start",
        }),
      ),
      ...extra,
      ...(options.marks ?? []),
    ],
  });
  const slaRule = (value: number | null | undefined, label: string) =>
    value != null
      ? [
        Plot.ruleY([value], { stroke: "red", strokeDasharray: "4,3" }),
        Plot.text([{ value }], {
          y: "value",
          frameAnchor: "left",
          text: () => label,
          fill: "red",
          dy: -6,
          dx: 4,
          textAnchor: "start",
        }),
      ]
      : [];
  const eventMarks = events.length
    ? [
      Plot.ruleX(events, {
        x: "atS",
        stroke: (e) => (e.to > e.from ? "green" : "purple"),
        strokeOpacity: 0.5,
      }),
    ]
    : [];
  const panels = [
    panel(
      "workers",
      [...poolLines(s), ...long([["startingWorkers", "starting"], ["drainingWorkers", "draining"]])],
      eventMarks,
      true,
    ),
    panel("requests/s", long([["requestRate", "arrivals"], ["completionRate", "completions"]])),
    panel("requests", long([["queued", "queued"], ["running", "running"]])),
    panel("TTFT (ms)", long([["ttftMs", "mean"], ["ttftP90Ms", "p90"]]), slaRule(sla.ttft_ms, "SLA")),
    panel("ITL (ms)", long([["itlMs", "mean"]]), slaRule(sla.itl_ms, "SLA")),
  ];
  return new Figure(panels, options.title ?? `timeline: ${run.name}`, options.width);
}

/** Active workers per pool (one line per role; "active" for a single pool). */
function poolLines(s: RunResult["series"]): Array<{ t: number; value: number; series: string }> {
  const roles = Object.keys(s.poolActive ?? {});
  if (roles.length <= 1) return s.activeWorkers.map((value, i) => ({ t: s.t[i], value, series: "active" }));
  return roles.flatMap((role) =>
    s.poolActive[role].map((value, i) => ({ t: s.t[i], value, series: `${role} active` }))
  );
}

/**
 * Variants side by side: bars per variant for each metric, or — when the results sweep a parameter — lines
 * over the first swept parameter, one per variant.
 */
export function compareFigure(results: Results, metrics: string[], options: PlotOptions = {}): Figure {
  const title = `${results.scenario}: compared`;
  if (results.params.length > 0) {
    const swept = (r: Record<string, unknown>) => results.params.find((p) => r[p] != null);
    if (results.rows.every((r) => swept(r) === results.params[0])) {
      return sweepFigure(results, results.params[0], metrics, { ...options, title: options.title ?? title });
    }
    // Variants sweep different parameters: each line runs over its own variant's first swept parameter, and a
    // variant that sweeps nothing is a level line across the panel.
    const rows = results.rows.map((r) => {
      const p = swept(r);
      return { ...r, [SERIES]: String(r.variant ?? "all"), [X]: p === undefined ? null : r[p] };
    });
    const label = [...new Set(results.rows.map(swept))].filter((p) => p !== undefined).join(" / ");
    const levels = rows.filter((r) => r[X] === null);
    return lineFigure(rows.filter((r) => r[X] !== null), X, label, metrics, options, title, levels);
  }
  const key = results.hasVariants ? "variant" : "name";
  const rows = results.rows.map((r, i) => ({ ...r, name: results.runs[i].name }));
  const panels = metrics.map((y): PanelOptions => ({
    height: options.height ?? 160,
    marginLeft: 60,
    x: { label: null, padding: 0.3 },
    y: { label: y, grid: true, zero: true },
    color: { type: "categorical" },
    marks: [
      Plot.barY(rows, { x: key, y, fill: key }),
      Plot.text(rows, { x: key, y, text: (d) => format(d[y] as number | null), dy: -7 }),
      ...(options.marks ?? []),
    ],
  }));
  return new Figure(panels, options.title ?? `${results.scenario}: compared`, options.width);
}

function isRatioOrCount(metric: string): boolean {
  return /Reuse|Ratio|Rate|gpuHours|throughput|goodput|completed|rejected|scalingEvents/i.test(metric);
}

function format(v: number | null): string {
  if (v === null) return "—";
  return Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString();
}
