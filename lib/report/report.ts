/**
 * The JSON report of a run, with the reference's keys (`TraceSimulationReport`) and a few dynolab additions.
 *
 * @module
 */
import {
  type Collector,
  type Distribution,
  REJECT_REASONS,
  sortedOrder,
  Status,
  summarize,
  summarizeSorted,
} from "../metrics/mod.ts";
import { Chunks } from "../common/json.ts";
import type { Trajectories } from "../workload/mod.ts";
import { trajectoryMetrics } from "./trajectories.ts";

/** A report value: numbers (never NaN or infinite), strings, or nested plain objects. */
export type ReportValue = number | string | boolean | null | ReportValue[] | { [key: string]: ReportValue };

/** A run's report: flat reference keys plus the nested `dynolab` section. Keys are sorted when written. */
export type Report = { [key: string]: ReportValue };

/** Goodput thresholds in ms (unset = not checked). */
export interface GoodputSla {
  readonly ttft_ms?: number | null;
  readonly itl_ms?: number | null;
  readonly e2e_ms?: number | null;
}

/** What {@link buildReport} reads besides the collector. */
export interface ReportInputs {
  readonly collector: Collector;
  readonly inputLength: Int32Array;
  /** Provisioned worker-seconds and GPUs per worker, for prefill (disagg) and decode (agg workers count here). */
  readonly prefillWorkerSeconds: number;
  readonly decodeWorkerSeconds: number;
  readonly prefillGpusPerWorker: number;
  readonly decodeGpusPerWorker: number;
  readonly sla: GoodputSla;
  /** Agentic traces: each request's trajectory and their count (the workload's), for trajectory metrics. */
  readonly trajectories?: Trajectories;
  /** dynolab additions, reported under `dynolab`. */
  readonly extra: { [key: string]: ReportValue };
}

/** The distributions a report carries, by key stem. */
export const DISTRIBUTIONS = ["ttft", "ttst", "tpot", "itl", "e2e_latency"] as const;

/**
 * Build the report. Only completed requests enter the statistics; rejected ones are counted apart. Warm-up
 * requests (the collector's `warmup` flags) enter none of them: counts, tokens, latencies and throughputs cover
 * the measured requests only, and throughputs divide by the window from the first measured arrival to the last
 * measured terminal event (from t = 0 when there is no warm-up, as the reference does).
 */
export function buildReport(inputs: ReportInputs): Report {
  const c = inputs.collector;
  const n = c.status.length;
  const ttft = new Float64Array(n),
    ttst = new Float64Array(n),
    tpot = new Float64Array(n),
    e2e = new Float64Array(n);
  let completed = 0, rejected = 0, arrived = 0, nTtst = 0, nTpot = 0, good = 0, goodTokens = 0;
  let inputTokens = 0, outputTokens = 0, reused = 0, firstReused = 0, duration = 0, warmup = 0;
  let windowStart = Infinity;
  const rejectedBy = new Int32Array(REJECT_REASONS.length + 1);
  const sla = inputs.sla;
  const checkGoodput = sla.ttft_ms != null || sla.itl_ms != null || sla.e2e_ms != null;
  for (let r = 0; r < n; r++) {
    if (c.warmup[r] === 1) {
      warmup++;
      continue;
    }
    if (!Number.isNaN(c.arrivalMs[r])) {
      arrived++;
      if (c.arrivalMs[r] < windowStart) windowStart = c.arrivalMs[r];
    }
    if (c.status[r] === Status.Rejected) {
      rejected++;
      rejectedBy[c.rejectReason[r]]++;
    }
    if (c.status[r] !== Status.Completed) continue;
    const out = c.outputTokens[r];
    const first = c.firstTokenMs[r] - c.arrivalMs[r];
    const total = c.lastTokenMs[r] - c.arrivalMs[r];
    ttft[completed] = first;
    e2e[completed] = total;
    completed++;
    if (out > 1) {
      ttst[nTtst++] = c.secondTokenMs[r] - c.firstTokenMs[r];
      tpot[nTpot++] = (c.lastTokenMs[r] - c.firstTokenMs[r]) / (out - 1);
    }
    inputTokens += inputs.inputLength[r];
    outputTokens += out;
    reused += c.reusedTokens[r];
    firstReused += c.firstReusedTokens[r];
    if (c.terminalMs[r] > duration) duration = c.terminalMs[r];
    if (checkGoodput) {
      const itl = out > 1 ? (total - first) / (out - 1) : 0;
      const ok = (sla.ttft_ms == null || first <= sla.ttft_ms) &&
        (sla.e2e_ms == null || total <= sla.e2e_ms) &&
        (sla.itl_ms == null || out <= 1 || itl <= sla.itl_ms);
      if (ok) {
        good++;
        goodTokens += out;
      }
    }
  }
  if (warmup > 0 && completed > 0) duration -= windowStart;
  const seconds = Math.max(duration / 1000, 1e-9);
  const report: Report = {
    num_requests: arrived,
    completed_requests: completed,
    rejected_requests: rejected,
    incomplete_requests: arrived - completed - rejected,
    total_input_tokens: inputTokens,
    total_output_tokens: outputTokens,
    duration_ms: duration,
    request_throughput_rps: completed / seconds,
    input_throughput_tok_s: inputTokens / seconds,
    output_throughput_tok_s: outputTokens / seconds,
    total_throughput_tok_s: (inputTokens + outputTokens) / seconds,
    prefill_worker_seconds: inputs.prefillWorkerSeconds,
    decode_worker_seconds: inputs.decodeWorkerSeconds,
    prefill_gpus_per_worker: inputs.prefillGpusPerWorker,
    decode_gpus_per_worker: inputs.decodeGpusPerWorker,
    gpu_hours: (inputs.prefillWorkerSeconds * inputs.prefillGpusPerWorker +
      inputs.decodeWorkerSeconds * inputs.decodeGpusPerWorker) / 3600,
    prefix_cache_reused_ratio: inputTokens > 0 ? reused / inputTokens : 0,
    first_admission_prefix_cache_reused_ratio: inputTokens > 0 ? firstReused / inputTokens : 0,
  };
  if (checkGoodput) {
    report.goodput_completed_requests = good;
    report.goodput_request_throughput_rps = good / seconds;
    report.goodput_output_throughput_tok_s = goodTokens / seconds;
  }
  addDistribution(report, "ttft", summarize(ttft, completed), "_ms");
  addDistribution(report, "ttst", summarize(ttst, nTtst), "_ms");
  addDistribution(report, "tpot", summarize(tpot, nTpot), "_ms");
  addDistribution(report, "e2e_latency", summarize(e2e, completed), "_ms");
  if (inputs.trajectories) {
    Object.assign(report, trajectoryMetrics(c, inputs.trajectories));
  }
  const [itl, perUser] = gapDistributions(c);
  addDistribution(report, "itl", itl, "_ms");
  addDistribution(report, "output_token_throughput_per_user", perUser, "");
  report.dynolab = rejected === 0 ? inputs.extra : {
    ...inputs.extra,
    rejected_by_reason: Object.fromEntries(
      REJECT_REASONS.map((reason, i) => [reason, rejectedBy[i + 1]] as const).filter(([, n]) => n > 0),
    ),
  };
  assertFinite(report, "report");
  return report;
}

/**
 * The pooled token gaps of the completed requests and, from the same sort, the per-user throughput
 * `1000 / gap` of every positive gap (its ascending order is the gaps' descending order).
 */
function gapDistributions(c: Collector): [Distribution, Distribution] {
  const { values, weights: w, count: n } = c.completedGaps();
  const order = sortedOrder(values, n);
  const gaps = new Float64Array(n), weights = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    gaps[j] = values[order[j]];
    weights[j] = w[order[j]];
  }
  const rates = new Float64Array(n), rateWeights = new Float64Array(n);
  let k = 0;
  for (let j = n - 1; j >= 0 && gaps[j] > 0; j--) {
    rates[k] = 1000 / gaps[j];
    rateWeights[k++] = weights[j];
  }
  return [summarizeSorted(gaps, weights, n), summarizeSorted(rates, rateWeights, k)];
}

function addDistribution(report: Report, stem: string, d: Distribution, unit: string): void {
  report[`mean_${stem}${unit}`] = d.mean;
  report[`min_${stem}${unit}`] = d.min;
  report[`max_${stem}${unit}`] = d.max;
  report[`median_${stem}${unit}`] = d.median;
  report[`p75_${stem}${unit}`] = d.p75;
  report[`p90_${stem}${unit}`] = d.p90;
  report[`p95_${stem}${unit}`] = d.p95;
  report[`p99_${stem}${unit}`] = d.p99;
  report[`std_${stem}${unit}`] = d.std;
}

/** Throw if any number in `value` is NaN or infinite: such a value is a bug, never a result. */
export function assertFinite(value: ReportValue, path: string): void {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`internal error: ${path} is ${value}`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => assertFinite(v, `${path}[${i}]`));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) assertFinite(v, `${path}.${k}`);
  }
}

/**
 * The report as the reference writes it: keys sorted at every level, indent 2, trailing newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reportJson } from "./report.ts";
 * assert(reportJson({ b: 1, a: { d: 2, c: 3 } }) === '{\n  "a": {\n    "c": 3,\n    "d": 2\n  },\n  "b": 1\n}\n');
 * ```
 */
export function reportJson(report: Report): string {
  return reportJsonChunks(report).join("");
}

/**
 * {@link reportJson}'s text in chunks ({@link Chunks}), for a report larger than one string may be (AISimulate's
 * `per_request` records of hundreds of thousands of requests).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reportJsonChunks } from "./report.ts";
 * const report = { z: [{ b: 1, a: [1, 2] }, null, []], a: {}, m: "x" };
 * assert.equal(reportJsonChunks(report).join(""), JSON.stringify(report, ["a", "b", "m", "z"], 2) + "\n");
 * ```
 */
export function reportJsonChunks(report: Report): string[] {
  const out = new Chunks();
  pretty(sortKeys(report), "", out);
  out.push("\n");
  return out.done();
}

/**
 * `JSON.stringify(value, null, 2)` at indent `indent`, into `out`: arrays element by element, objects key by key
 * unless they are an array's elements (`inArray`), which go whole, as does anything else.
 */
function pretty(value: ReportValue, indent: string, out: Chunks, inArray = false): void {
  const inner = indent + "  ";
  if (Array.isArray(value) && value.length > 0) {
    out.push("[\n");
    value.forEach((v, i) => {
      out.push(inner);
      pretty(v ?? null, inner, out, true);
      out.push(i < value.length - 1 ? ",\n" : "\n");
    });
    out.push(indent + "]");
  } else if (!inArray && value !== null && typeof value === "object" && !Array.isArray(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined);
    if (keys.length === 0) return out.push("{}");
    out.push("{\n");
    keys.forEach((k, i) => {
      out.push(`${inner}${JSON.stringify(k)}: `);
      pretty(value[k], inner, out);
      out.push(i < keys.length - 1 ? ",\n" : "\n");
    });
    out.push(indent + "}");
  } else {
    out.push(JSON.stringify(value, null, 2).replaceAll("\n", "\n" + indent));
  }
}

/**
 * `value` with every object's keys in sorted order, as the reference writes its JSON.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sortKeys } from "./report.ts";
 * assert.equal(JSON.stringify(sortKeys({ b: [{ d: 1, c: 2 }], a: 0 })), '{"a":0,"b":[{"c":2,"d":1}]}');
 * ```
 */
export function sortKeys(value: ReportValue): ReportValue {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const out: { [key: string]: ReportValue } = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
  return out;
}
