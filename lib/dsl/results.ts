/**
 * A scenario's results: one row per run (parameters + flattened metrics), each run's time series and full
 * report, exports to CSV, JSON and Parquet, plots, and Jupyter display.
 *
 * @module
 */
import { JUPYTER_DISPLAY, show } from "./display.ts";
import { parquetWriteBuffer } from "hyparquet-writer";
import { InputError } from "../common/errors.ts";
import type { Report } from "../report/mod.ts";
import type { SimSpec } from "../spec.ts";
import { DYNOLAB_VERSION } from "./cache.ts";
import { findParam, sameParam, suggestName } from "./params.ts";
import { DEFAULT_COLUMNS, flattenMetrics, METRIC_NAMES, type MetricValue } from "./metrics.ts";
import { flattenClasses } from "./class_metrics.ts";
import { compareFigure, type Figure, type PlotOptions, sweepFigure, timelineFigure } from "./plot.ts";
import type { RunSeries } from "./series.ts";
import { formatRows, htmlTable, textTable } from "./table.ts";
import type { Scalar } from "./types.ts";

/** One run's outcome. */
export interface RunResult {
  readonly index: number;
  readonly name: string;
  readonly variant: string | null;
  readonly params: Readonly<Record<string, Scalar>>;
  /** The validated spec it ran (trace path resolved). */
  readonly spec: SimSpec;
  readonly report: Report;
  readonly series: RunSeries;
  /** Whether it came from the result cache (not part of the JSON export). */
  readonly cached?: boolean;
}

/** A results row: run index, variant, swept parameters and metrics. */
export type Row = Record<string, Scalar | MetricValue>;

/** Which part of a sweep these results are (sharded runs), or null for a whole scenario. */
export interface ShardInfo {
  readonly index: number;
  readonly count: number;
  /** Runs in the whole scenario. */
  readonly totalRuns: number;
}

/** The JSON export's shape (`format: "dynolab-results/1"`). */
export interface ResultsJson {
  readonly format: "dynolab-results/1";
  readonly dynolab: string;
  readonly scenario: string;
  readonly shard: ShardInfo | null;
  readonly runs: ReadonlyArray<Omit<RunResult, "cached">>;
}

/** Refuse a stored run that lacks a field the results read (`field` names it in its file). */
function checkRun(r: unknown, field: string, file?: string): void {
  const run = r as Record<string, unknown> | null;
  const bad = (key: string, what: string) =>
    new InputError(`must be ${what}`, { file, field: key ? `${field}.${key}` : field });
  if (run === null || typeof run !== "object" || Array.isArray(run)) throw bad("", "a run object");
  if (!Number.isInteger(run.index)) throw bad("index", "an integer");
  if (typeof run.name !== "string") throw bad("name", "a string");
  if (run.variant !== null && typeof run.variant !== "string") throw bad("variant", "a string or null");
  for (const key of ["params", "spec", "report", "series"]) {
    const v = run[key];
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw bad(key, "an object");
  }
}

/** Results of a scenario. */
export class Results {
  readonly scenario: string;
  readonly runs: readonly RunResult[];
  readonly shard: ShardInfo | null;
  readonly version: string;

  constructor(
    scenario: string,
    runs: readonly RunResult[],
    shard: ShardInfo | null = null,
    version = DYNOLAB_VERSION,
  ) {
    this.scenario = scenario;
    this.runs = [...runs].sort((a, b) => a.index - b.index);
    this.shard = shard;
    this.version = version;
  }

  /** The swept parameter names, in sweep order. */
  get params(): string[] {
    const names: string[] = [];
    for (const r of this.runs) for (const p of Object.keys(r.params)) if (!names.includes(p)) names.push(p);
    return names;
  }

  /** Whether any run had variants from `.compare()`. */
  get hasVariants(): boolean {
    return this.runs.some((r) => r.variant !== null);
  }

  /** Whether the runs had a planner (then rows carry `scalingEvents`). */
  get hasPlanner(): boolean {
    return this.runs.some((r) => (r.spec as Record<string, unknown>).planner != null);
  }

  /**
   * One row per run: `run`, `variant` (with variants), the swept parameters, then every metric. Every row has
   * the same columns: where only some runs have a planner, the others' planner metrics are null.
   */
  get rows(): Row[] {
    const params = this.params;
    const rows = this.runs.map((r) => ({ ...this.#head(r, params), ...flattenMetrics(r.report, r.series) }));
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    return rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null])));
  }

  /**
   * One row per run and router-policy class (runs with `--router-policy-config` classes): `run`, `variant`
   * (with variants), the swept parameters, then the class's `class`, `requests`, `ttftAvg`, `ttftP90`,
   * `ttftMax`, `waited`, `waitAvg`, `waitP90` and `shed` (see `class_metrics.ts`). Empty without classes.
   */
  get classRows(): Row[] {
    const params = this.params;
    return this.runs.flatMap((r) => {
      const head = this.#head(r, params);
      return flattenClasses(r.report).map((c) => ({ ...head, ...c }));
    });
  }

  /** What every row of run `r` starts with: `run`, `variant` (with variants) and the swept `params`. */
  #head(r: RunResult, params: readonly string[]): Row {
    const row: Row = { run: r.index };
    if (this.hasVariants) row.variant = r.variant;
    for (const p of params) row[p] = r.params[p] ?? null;
    return row;
  }

  /** Column names of {@link Results.rows}. */
  get columns(): string[] {
    const rows = this.rows;
    return rows.length ? Object.keys(rows[0]) : ["run", ...METRIC_NAMES];
  }

  /** A metric or parameter column as an array (a swept parameter by any of its names). */
  column(name: string): Array<Scalar | MetricValue> {
    const column = this.#checkColumn(name);
    return this.rows.map((r) => r[column] ?? null);
  }

  /**
   * The run at `index`, or the first whose parameters (and variant) match `where` (a swept parameter by any of
   * its names).
   */
  get(where: number | Record<string, Scalar | null>, what = "results.get()"): RunResult {
    let found: RunResult | undefined;
    if (typeof where === "number") {
      found = this.runs.find((r) => r.index === where);
    } else {
      const keys = Object.keys(where).map((k) => {
        if (k === "variant") return k;
        const param = this.#swept(k);
        if (param !== undefined) return param;
        const hint = suggestName(k, this.params);
        throw new InputError(
          `"${k}" is not a swept parameter` + (hint ? ` (did you mean ${hint}?)` : "") +
            `; swept: ${this.params.join(", ") || "none"}`,
          { field: what },
        );
      });
      const values = Object.values(where);
      found = this.runs.find((r) =>
        keys.every((k, i) => k === "variant" ? r.variant === values[i] : r.params[k] === values[i])
      );
    }
    if (!found) throw new InputError(`no run matches ${JSON.stringify(where)}`, { field: what });
    return found;
  }

  /** The swept parameter `name` names: itself, or another name of the same parameter (`workers`, `numWorkers`). */
  #swept(name: string): string | undefined {
    if (this.params.includes(name)) return name;
    const def = findParam(name);
    if (def === undefined) return undefined;
    return this.params.find((p) => {
      const d = findParam(p);
      return d !== undefined && sameParam(d, def);
    });
  }

  /** The table shown by {@link Results.table}: variant, parameters and the default metrics present. */
  defaultColumns(): string[] {
    const rows = this.rows;
    const metrics = DEFAULT_COLUMNS.filter((c) => rows.some((r) => r[c] !== null && r[c] !== undefined));
    return [...(this.hasVariants ? ["variant"] : []), ...this.params, ...metrics];
  }

  /** Print (and return) a text table; `columns` default to {@link Results.defaultColumns}. */
  table(columns: string[] = this.defaultColumns(), print = true): string {
    columns = columns.map((c) => this.#checkColumn(c));
    const text = this.rows.length === 0 ? "(no runs)" : textTable(columns, formatRows(columns, this.rows));
    if (print) console.log(text);
    return text;
  }

  /** CSV with a header row (every column unless `columns` is given), full precision. */
  toCSV(columns: string[] = this.columns): string {
    columns.forEach((c) => this.#checkColumn(c));
    const cell = (v: unknown) => {
      if (v === null || v === undefined) return "";
      const s = String(v);
      return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    };
    return [columns.join(","), ...this.rows.map((r) => columns.map((c) => cell(r[c])).join(","))].join("\n") +
      "\n";
  }

  /** Everything: each run's parameters, spec, full report and time series. */
  toJSON(): ResultsJson {
    return {
      format: "dynolab-results/1",
      dynolab: this.version,
      scenario: this.scenario,
      shard: this.shard,
      runs: this.runs.map(({ cached: _, ...run }) => run),
    };
  }

  /** The rows as a Parquet file (numbers DOUBLE, text STRING, flags BOOLEAN; nulls allowed). */
  toParquet(columns: string[] = this.columns): Uint8Array {
    const rows = this.rows;
    const columnData = columns.map((name) => {
      const data = rows.map((r) => r[name] ?? null);
      const kinds = new Set(data.filter((v) => v !== null).map((v) => typeof v));
      const type = kinds.size === 1 && kinds.has("number")
        ? "DOUBLE"
        : kinds.size === 1 && kinds.has("boolean")
        ? "BOOLEAN"
        : "STRING";
      const values = type === "STRING" ? data.map((v) => (v === null ? null : String(v))) : data;
      return { name, data: values, type } as const;
    });
    return new Uint8Array(parquetWriteBuffer({ columnData: columnData as never }));
  }

  /** Write to `path`; the format follows the extension (`.csv`, `.json`, `.parquet`). */
  async save(path: string): Promise<void> {
    if (!/\.(csv|json|parquet)$/.test(path)) {
      throw new InputError("unknown format: use .csv, .json or .parquet", { file: path });
    }
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".";
    await Deno.mkdir(dir, { recursive: true });
    if (path.endsWith(".csv")) await Deno.writeTextFile(path, this.toCSV());
    else if (path.endsWith(".json")) await Deno.writeTextFile(path, JSON.stringify(this.toJSON()) + "\n");
    else await Deno.writeFile(path, this.toParquet());
  }

  /** Results from their JSON export (read from `file`, which errors name). */
  static fromJSON(json: ResultsJson, file?: string): Results {
    const at = (field?: string) => ({ file, field });
    const o = json as unknown as Record<string, unknown> | null;
    if (o === null || typeof o !== "object" || o.format !== "dynolab-results/1") {
      throw new InputError('not a dynolab results file (expected format "dynolab-results/1")', at());
    }
    if (!Array.isArray(o.runs)) throw new InputError("must be an array of runs", at("runs"));
    if (o.shard !== null && typeof o.shard !== "object") {
      throw new InputError("must be null or a shard", at("shard"));
    }
    json.runs.forEach((r: unknown, i) => checkRun(r, `runs[${i}]`, file));
    return new Results(String(o.scenario ?? ""), json.runs, json.shard, json.dynolab);
  }

  /** Read a JSON export. */
  static async load(path: string): Promise<Results> {
    if (/\.(csv|parquet)$/i.test(path)) {
      throw new InputError("Results.load() reads a .json export; CSV and Parquet hold the rows only", {
        file: path,
      });
    }
    let json: ResultsJson;
    try {
      json = JSON.parse(await Deno.readTextFile(path));
    } catch (e) {
      throw new InputError(`cannot read results: ${(e as Error).message}`, { file: path });
    }
    return Results.fromJSON(json, path);
  }

  /** Metrics against a swept parameter, one panel per metric, a line per variant / other parameters. */
  plot(x: string, metrics: string | string[], options: PlotOptions = {}): Figure {
    const column = this.#checkColumn(x);
    const ys = typeof metrics === "string" ? [metrics] : metrics;
    ys.forEach((m) => this.#checkColumn(m));
    return sweepFigure(this, column, ys, options);
  }

  /** One run over time: workers, request rate, queue, TTFT and ITL (and scaling events). */
  timeline(run: number | Record<string, Scalar | null> = 0, options: PlotOptions = {}): Figure {
    return timelineFigure(this.get(run, "results.timeline()"), options);
  }

  /** Variants side by side on `metrics` (bars; lines over the first swept parameter when there is one). */
  compare(metrics: string[] = ["ttftP90", "itlAvg", "gpuHours"], options: PlotOptions = {}): Figure {
    metrics.forEach((m) => this.#checkColumn(m));
    return compareFigure(this, metrics, options);
  }

  /** Display now (in Jupyter: awaited `Deno.jupyter.display`; elsewhere: printed as text). */
  show(): Promise<void> {
    return show(this);
  }

  /** Jupyter display: an HTML table (and a text one). */
  [JUPYTER_DISPLAY](): Record<string, string> {
    const columns = this.defaultColumns();
    const rows = formatRows(columns, this.rows);
    const title = `${this.scenario}: ${this.runs.length} run(s)` +
      (this.shard ? ` (shard ${this.shard.index}/${this.shard.count})` : "");
    return {
      "text/html": htmlTable(columns, rows, title),
      "text/plain": `${title}\n${this.table(columns, false)}`,
    };
  }

  /** The column `name` names (a swept parameter by any of its names), or an error naming the columns. */
  #checkColumn(name: string): string {
    const columns = this.columns;
    if (columns.includes(name)) return name;
    const param = this.#swept(name);
    if (param !== undefined) return param;
    const metric = METRIC_NAMES.includes(name);
    const hint = suggestName(name, columns);
    throw new InputError(
      metric
        ? `metric "${name}" is not available in these results (it needs the planner)`
        : `unknown column "${name}"` + (hint ? ` (did you mean ${hint}?)` : "") +
          `; columns: ${columns.join(", ")}`,
      { field: "results" },
    );
  }
}
