/**
 * `aisimulate predict --detail SECTIONS`: the `details` AISimulate adds to `prediction.json` (schema 1.0:
 * `sections` and `skipped`), built from a finished run, and the text the table output appends.
 *
 * - `summary`: the run's numeric figures.
 * - `memory`: each role's KV capacity estimate per rank (weights, activations, communicator and runtime
 *   memory, KV), when it was derived from the model and GPU; skipped when no role has one.
 * - `time`: the serving latency figures, and the operator time accumulated over every pass of every rank by
 *   phase (prefill, decode), from the perf model's per-operator split (analytic and AIC-table models), each
 *   with its speed of light (the same passes at the roofline, `lib/perf/sol.ts`) and the ratio of the two.
 * - `energy`: unsupported (dynolab's timing models carry no energy evidence), as AISimulate reports a runner
 *   without it.
 * - `source`: which timing model priced each operator.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { MIXED_DECODE_OP, type OpTotals } from "../engine/mod.ts";
import { type SolTime, sumSol } from "../perf/mod.ts";
import type { SimulationResult } from "../simulate.ts";

/** The sections, in the order they are written. */
export const DETAIL_SECTIONS = ["summary", "memory", "time", "energy", "source"] as const;
/** A `--detail` section. */
export type DetailSection = typeof DETAIL_SECTIONS[number];

/**
 * `--detail`'s value: a comma list of sections or `all` (spaces around a name ignored, repeats collapsed),
 * in {@link DETAIL_SECTIONS} order; an unknown or empty name is an error listing the valid ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDetailSections } from "./predict_detail.ts";
 * assert.deepEqual(parseDetailSections("time, summary,time"), ["summary", "time"]);
 * assert.equal(parseDetailSections("all").length, 5);
 * assert.throws(() => parseDetailSections("time,"), /unsupported or empty detail section \[''\]/);
 * ```
 */
export function parseDetailSections(value: string): DetailSection[] {
  const tokens = new Set(value.split(",").map((t) => t.trim()));
  const unknown = [...tokens].filter((t) =>
    t !== "all" && !(DETAIL_SECTIONS as readonly string[]).includes(t)
  );
  if (unknown.length > 0) {
    throw new InputError(
      `unsupported or empty detail section [${unknown.sort().map((t) => `'${t}'`).join(", ")}]; ` +
        `choose from ${DETAIL_SECTIONS.join(", ")}, all`,
      { field: "--detail" },
    );
  }
  return DETAIL_SECTIONS.filter((s) => tokens.has(s) || tokens.has("all"));
}

/** Whether `sections` need the run's operator time recorded (`runSimulation`'s `recordOps`). */
export function needsOpTotals(sections: readonly DetailSection[]): boolean {
  return sections.includes("time") || sections.includes("source");
}

/** A JSON value of the details. */
type Value = string | number | boolean | null | Value[] | { [key: string]: Value };
type Obj = { [key: string]: Value };

/** The `details` of `prediction.json`: the selected `sections`, and those without evidence under `skipped`. */
export interface PredictionDetails {
  readonly schema_version: "1.0";
  readonly sections: Obj;
  readonly skipped: { [section: string]: string };
}

/** Latency distributions AISimulate counts as serving timing: `{stat}_{metric}_ms`. */
const SERVING_LATENCY = new Set([
  ...["ttft", "ttst", "tpot", "itl", "e2e_latency", "trajectory_e2e_latency"].flatMap((m) =>
    ["mean", "min", "max", "median", "p75", "p90", "p95", "p99", "std"].map((s) => `${s}_${m}_ms`)
  ),
  "p50_trajectory_e2e_latency_ms",
]);
const OP_SCOPE = "accumulated_active_forward_pass_per_gpu";
const ENERGY_SCOPE = "active_forward_pass_per_gpu";
const NO_SOL = "the selected timing model has no roofline (the analytic and AIC-table models do)";
const PHASE_NO_SOL = "one or more operations lack SOL evidence, or this phase was not observed";

/**
 * The `details` of a finished run (`result`, run with operator time recorded when {@link needsOpTotals})
 * whose numeric figures are `summary`.
 */
export function predictionDetails(
  sections: readonly DetailSection[],
  result: SimulationResult,
  summary: Readonly<Record<string, number>>,
): PredictionDetails {
  const out: Obj = {}, skipped: { [section: string]: string } = {};
  const ops = needsOpTotals(sections) ? operatorTime(result) : undefined;
  for (const section of sections) {
    if (section === "summary") {
      out.summary = { status: "available", scope: "serving_workload", metrics: summary };
    } else if (section === "memory") {
      const memory = memorySection(result);
      if (typeof memory === "string") skipped.memory = memory;
      else out.memory = memory;
    } else if (section === "time") {
      const metrics = Object.fromEntries(Object.entries(summary).filter(([k]) => SERVING_LATENCY.has(k)));
      out.time = {
        status: Object.keys(metrics).length > 0 ? "available" : ops!.status,
        scope: "serving_workload",
        latency_unit: "ms",
        serving_metrics: metrics,
        diagnostics: ops!,
      };
    } else if (section === "energy") out.energy = energySection();
    else out.source = sourceSection(ops!);
  }
  return { schema_version: "1.0", sections: out, skipped };
}

/** Each role's KV capacity estimate per rank; the reasons joined when no role has one. */
function memorySection(result: SimulationResult): Obj | string {
  const stage = "before_native_capacity_adjustments", scope = "capacity_estimate_per_rank";
  const roles: Obj = {};
  for (const { setup } of result.cluster.pools) {
    const c = setup.config.kvCapacity;
    const role = setup.config.role;
    if (!c) {
      roles[role] = {
        status: "unavailable",
        scope,
        stage,
        unavailable_reason: "KV capacity was not derived (num_gpu_blocks given, or no aic_model_path and " +
          "aic_system to derive it from); no memory estimate was made",
      };
      continue;
    }
    const tokens = Math.floor(c.kvBytes / c.kvBytesPerToken);
    roles[role] = {
      status: "available",
      scope,
      stage,
      total_gpu_capacity_bytes: Math.round(c.gpuBytes),
      total_kv_size_bytes: Math.round(c.kvBytes),
      kv_size_per_token_bytes: Math.round(c.kvBytesPerToken),
      total_kv_size_tokens: tokens,
      source: "native",
      scheduler_block_size_tokens: setup.config.blockSize,
      estimated_num_gpu_blocks: c.numGpuBlocks,
      memory_breakdown: {
        weights_bytes: Math.round(c.weightBytes),
        activations_bytes: Math.round(c.activationBytes),
        runtime_overhead_bytes: Math.round(c.reservedBytes - c.commBytes),
        comm_overhead_bytes: Math.round(c.commBytes),
        cuda_graph_reserved_bytes: 0,
      },
      tolerance_adjusted: null,
    };
  }
  const records = Object.entries(roles) as [string, Obj][];
  const available = records.filter(([, r]) => r.status === "available").length;
  if (available === 0) return records.map(([role, r]) => `${role}: ${r.unavailable_reason}`).join("; ");
  return { status: available === records.length ? "available" : "partial", scope, roles };
}

/** Operator time of every rank, by phase and by (operator, timing model), as AISimulate's performance diagnostics. */
function operatorTime(result: SimulationResult): Obj {
  /** Per phase and `op\nsource`: the time, and the SOL while every rank that ran the op had one. */
  const phases = { prefill: new Map<string, OpSum>(), decode: new Map<string, OpSum>() };
  for (const rank of result.cluster.engines) {
    const totals: OpTotals | null = rank.opTotals;
    if (!totals) continue;
    for (const phase of ["prefill", "decode"] as const) {
      const { time, sol } = totals[phase];
      for (const [op, ms] of time) {
        const key = `${op}\n${rank.perf.name}`;
        const sum = phases[phase].get(key) ?? { ms: 0, sol: sumSol([]) };
        const r = sol.get(op);
        sum.ms += ms;
        sum.sol = sum.sol && r ? sumSol([sum.sol, r]) : null;
        phases[phase].set(key, sum);
      }
    }
  }
  if (phases.prefill.size + phases.decode.size === 0) {
    return {
      status: "unavailable",
      scope: OP_SCOPE,
      latency_unit: "ms",
      phases: [],
      unavailable_reason: "the selected timing model does not split passes by operator (the analytic and " +
        "AIC-table models do; the polynomial, fixed and profile models do not)",
    };
  }
  return {
    status: "available",
    scope: OP_SCOPE,
    latency_unit: "ms",
    phases: (["prefill", "decode"] as const).map((name) => {
      const sums = [...phases[name]].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
      const operations = sums.map(
        ([key, sum]) => {
          const [op, source] = key.split("\n");
          const sol = solValue(sum.sol);
          return {
            name: op,
            latency_ms: sum.ms,
            source: op === MIXED_DECODE_OP ? `${source} (mixed passes, not split by operator)` : source,
            fallbacks: null,
            sol,
            sol_unavailable_reason: sol ? null : NO_SOL,
            latency_to_sol_ratio: sol && sol.latency_ms > 0 ? sum.ms / sol.latency_ms : null,
          };
        },
      );
      const sols = sums.map(([, sum]) => sum.sol);
      const phaseSol = sols.length > 0 && sols.every((x) => x !== null) ? solValue(sumSol(sols)) : null;
      return {
        name,
        latency_ms: operations.reduce((a, o) => a + o.latency_ms, 0),
        sol: phaseSol,
        sol_unavailable_reason: phaseSol ? null : PHASE_NO_SOL,
        operations,
      };
    }),
  };
}

/** An operator's accumulated time (ms) and SOL, null once a rank had none. */
interface OpSum {
  ms: number;
  sol: SolTime | null;
}

/** AISimulate's SOL record of `sol`. */
function solValue(sol: SolTime | null) {
  return sol && { latency_ms: sol.latencyMs, math_ms: sol.mathMs, memory_ms: sol.memoryMs };
}

/** The energy section of a runner without energy evidence. */
function energySection(): Obj {
  return {
    status: "unsupported",
    scope: ENERGY_SCOPE,
    diagnostics: {
      schema_version: "1.0",
      scope: ENERGY_SCOPE,
      publication_status: "unsupported",
      power_w: null,
      power_coverage: null,
      coverage_gate: 0.9,
      phases: [],
      unavailable_reason: "dynolab's timing models carry no energy evidence (no power model)",
    },
  };
}

/** Which timing model priced each operator, by phase. */
function sourceSection(ops: Obj): Obj {
  const phases = ops.phases as Obj[];
  return {
    status: ops.status,
    scope: ops.scope,
    phases: phases.map((p) => ({
      name: p.name,
      operations: (p.operations as Obj[]).map((o) => ({
        name: o.name,
        latency_ms: o.latency_ms,
        source: o.source,
        fallbacks: o.fallbacks,
      })),
    })),
    ...(ops.unavailable_reason ? { unavailable_reason: ops.unavailable_reason } : {}),
  };
}

/**
 * The text the table output appends for `details`: each section (`Detail: NAME`, its scope, status and
 * figures; at most `topN` operators a phase, largest first), then `Skipped NAME: reason` lines.
 */
export function formatDetails(details: PredictionDetails, topN: number): string {
  const lines: string[] = [];
  for (const [name, section] of Object.entries(details.sections) as [string, Obj][]) {
    if (name === "energy") {
      lines.push("Detail: energy", ...energyLines(section.diagnostics as Obj), "");
      continue;
    }
    lines.push(`Detail: ${name}`, `  scope: ${section.scope}`, `  status: ${section.status}`);
    for (const [k, v] of Object.entries((section.metrics ?? section.serving_metrics ?? {}) as Obj)) {
      if (typeof v !== "object") lines.push(`  ${k}: ${v}`);
    }
    const evidence = (section.diagnostics ?? section) as Obj;
    if (evidence.unavailable_reason) lines.push(`  ${evidence.unavailable_reason}`);
    if (name === "memory") lines.push(...memoryLines(section.roles as Obj));
    if (name === "time" || name === "source") {
      if (name === "time") lines.push(`  operation scope: ${evidence.scope}`);
      for (const phase of evidence.phases as Obj[]) lines.push(...phaseLines(name, phase, topN));
    }
    lines.push("");
  }
  for (const [name, reason] of Object.entries(details.skipped)) lines.push(`Skipped ${name}: ${reason}`);
  return lines.join("\n").trimEnd();
}

function memoryLines(roles: Obj): string[] {
  const lines: string[] = [];
  for (const [role, record] of Object.entries(roles) as [string, Obj][]) {
    lines.push(`  ${role}: ${record.status}`);
    if (record.unavailable_reason) lines.push(`    ${record.unavailable_reason}`);
    for (const [k, v] of Object.entries(record)) {
      if (/_(bytes|tokens)$/.test(k) || ["source", "stage", "estimated_num_gpu_blocks"].includes(k)) {
        lines.push(`    ${k}: ${v}`);
      }
    }
    for (const [k, v] of Object.entries((record.memory_breakdown ?? {}) as Obj)) lines.push(`    ${k}: ${v}`);
  }
  return lines;
}

function phaseLines(section: string, phase: Obj, topN: number): string[] {
  const lines = [`  ${phase.name}:`];
  if (section === "time") {
    lines.push(`    accumulated latency_ms: ${phase.latency_ms}`, `    SOL: ${solText(phase)}`);
  }
  const ops = [...(phase.operations as Obj[])].sort((a, b) =>
    (b.latency_ms as number) - (a.latency_ms as number) || ((a.name as string) < (b.name as string) ? -1 : 1)
  );
  for (const op of ops.slice(0, topN)) {
    lines.push(
      section === "time"
        ? `    ${op.name}: ${op.latency_ms} ms; SOL: ${solText(op)}; latency/SOL: ${
          op.latency_to_sol_ratio ?? "None"
        }`
        : `    ${op.name}: ${op.source}; fallbacks: unavailable`,
    );
  }
  if (ops.length > topN) lines.push(`    ... ${ops.length - topN} more operations in JSON`);
  return lines;
}

/** A phase's or operator's SOL as AISimulate prints it: its record in Python's dict form, or why there is none. */
function solText(o: Obj): string {
  const sol = o.sol as Obj | null;
  if (!sol) return o.sol_unavailable_reason as string;
  return `{${Object.entries(sol).map(([k, v]) => `'${k}': ${v}`).join(", ")}}`;
}

function energyLines(d: Obj): string[] {
  return [
    "AISimulate active forward-pass energy diagnostics (per GPU)",
    `Aggregate: power=N/A coverage=N/A gate=${(100 * (d.coverage_gate as number)).toFixed(2)}% ` +
    `status=${d.publication_status}`,
    `Reason: ${d.unavailable_reason}`,
    "Energy is modeled active forward-pass evidence in W-ms per GPU; it is not wall-clock or provisioned-fleet " +
    "energy.",
  ];
}
