/**
 * What `aisimulate recommend` writes and prints, in AISimulate's formats: `recommendation.json` (the ledger of
 * every candidate, counts, provenance and views; keys sorted), `recommendation.csv` (one row per candidate),
 * `recommendations/NNNN.yaml` (each selected candidate as a predict config, best first) and the ranking on
 * stdout, as a table or one JSON line.
 *
 * @module
 */
import { stringify } from "yaml";
import type { Json } from "../common/json.ts";
import { type Report, reportJson, type ReportValue, sortKeys } from "../report/mod.ts";
import { DEFAULT_TRAFFIC } from "./predict_spec.ts";
import { PredictConfigSchema } from "./predict_config.ts";

/** One row of the ledger (`recommendation.json`'s `candidates`). */
export interface LedgerRow {
  readonly candidate_id: string;
  readonly status: "feasible" | "infeasible" | "unsupported" | "timed_out" | "failed";
  readonly reason: string | null;
  readonly reason_category: string | null;
  readonly score: number | null;
  readonly used_gpus: number | null;
  readonly objectives: Record<string, number> | null;
  /** The search's point: the deployment mode and each dimension's value. */
  readonly config: Json;
  /** The run's figures ({} without a run). */
  readonly metrics: Record<string, number>;
  /** The candidate as a predict config. */
  readonly prediction_config: Json;
  readonly provenance: Json;
}

/** A finished search. */
export interface Recommendation {
  readonly rows: readonly LedgerRow[];
  /** Selected candidate ids, best first (or the Pareto front). */
  readonly selected: readonly string[];
  readonly pareto: boolean;
  readonly cacheHits: number;
  readonly provenance: Json;
}

/** `recommendation.json`: schema 1.1 of AISimulate's sweeper result. */
export function recommendationJson(r: Recommendation): string {
  const count = (status: LedgerRow["status"]) => r.rows.filter((row) => row.status === status).length;
  const counts = {
    cache_hits: r.cacheHits,
    evaluated: r.rows.length - count("unsupported"),
    failed: count("failed"),
    feasible: count("feasible"),
    infeasible: count("infeasible"),
    resource_limited: 0,
    timed_out: count("timed_out"),
    unsupported: count("unsupported"),
  };
  return reportJson({
    candidate_retention: "all",
    candidates: r.rows as unknown as Report[],
    counts,
    provenance: r.provenance as Report,
    schema_version: "1.1",
    views: { pareto_front: r.pareto ? [...r.selected] : [], top_n: r.pareto ? [] : [...r.selected] },
  });
}

/** The CSV's columns, in AISimulate's order. */
const CSV_COLUMNS = [
  "schema_version",
  "candidate_id",
  "status",
  "reason_category",
  "reason",
  "used_gpus",
  "score",
  "power_w",
  "power_coverage",
  "power_source",
  "config_json",
  "prediction_config_json",
  "metrics_json",
  "objectives_json",
  "provenance_json",
  "is_top_n",
  "is_pareto",
];

/** `recommendation.csv`: one row per candidate, in evaluation order (a header alone when there are none). */
export function recommendationCsv(r: Recommendation): string {
  const json = (v: unknown) => v === null ? "" : JSON.stringify(sortKeys(v as ReportValue));
  const cell = (v: string) => /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
  const bool = (b: boolean) => b ? "True" : "False";
  const lines = r.rows.map((row) => {
    const selected = r.selected.includes(row.candidate_id);
    return [
      "1.1",
      row.candidate_id,
      row.status,
      row.reason_category ?? "",
      row.reason ?? "",
      row.used_gpus === null ? "" : String(row.used_gpus),
      row.score === null ? "" : String(row.score),
      "",
      "",
      "",
      json(row.config),
      json(row.prediction_config),
      json(row.metrics),
      json(row.objectives),
      json(row.provenance),
      bool(selected && !r.pareto),
      bool(selected && r.pareto),
    ].map(cell).join(",");
  });
  return [CSV_COLUMNS.join(","), ...lines].join("\n") + "\n";
}

/** Sections of a candidate's YAML, in AISimulate's order (adapter sections last). */
const SECTIONS = ["traffic", "engine", "evaluation", "execution", "router", "planner"];

/**
 * A candidate's predict config as YAML: every default filled in (the traffic too), nulls left out, so that
 * `aisimulate predict -c` runs it as it ran in the search.
 */
export function candidateYaml(config: Json): string {
  const full = PredictConfigSchema.parse(config) as Json;
  full.traffic ??= DEFAULT_TRAFFIC;
  const ordered = Object.fromEntries(
    SECTIONS.filter((s) => full[s] != null).map((s) => [s, dropNulls(full[s])]),
  );
  return stringify(ordered);
}

function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.entries(v).filter(([, x]) => x !== null && x !== undefined).map(([k, x]) => [k, dropNulls(x)]),
  );
}

/** A selected candidate as printed: its rank, score, objectives and YAML path. */
export interface PrintedRow {
  readonly rank: number;
  readonly score: number;
  readonly used_gpus: number;
  readonly objectives: Record<string, number> | null;
  readonly config_path: string;
}

/** The ranking as AISimulate prints it: a table of lines, or (`json`) one compact line. */
export function formatRanking(
  rows: readonly PrintedRow[],
  format: "table" | "json",
  resultPath: string,
): string {
  if (format === "json") {
    return JSON.stringify(
      sortKeys(rows.map((r) => ({ ...r, power_coverage: null, power_w: null })) as unknown as ReportValue),
    );
  }
  const lines = rows.map((r) => {
    const metric = r.objectives
      ? Object.entries(r.objectives).map(([k, v]) => `${k}=${g4(v)}`).join(", ")
      : `score=${g4(r.score)}`;
    return `${r.rank}: ${metric} used_gpus=${r.used_gpus} config=${r.config_path}`;
  });
  return ["AISimulate recommendations", ...lines, `Saved full result to: ${resultPath}`].join("\n");
}

/**
 * `x` as Python's `format(x, ".4g")`: four significant digits, trailing zeros dropped, exponent form below
 * 1e-4 and from 1e4.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { g4 } from "./recommend_output.ts";
 * assert.deepEqual([400, 1234.4, 12345.6, -0.5, 0.00001234].map(g4), ["400", "1234", "1.235e+04", "-0.5", "1.234e-05"]);
 * ```
 */
export function g4(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toPrecision(4)))));
  if (exp < -4 || exp >= 4) {
    const [m, e] = x.toExponential(3).split("e");
    const mant = m.includes(".") ? m.replace(/\.?0+$/, "") : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  const s = x.toPrecision(4);
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}
