/**
 * Judging `aisimulate recommend`'s candidates: the target's objective from a run's figures, the gates a run
 * must pass to be feasible (the strict SLA on mean latencies, the goodput floor, samples to score), and the
 * ranking of the feasible ones (best score first, then fewer GPUs; for `min_gpus` fewer GPUs, then more
 * goodput, then lower latency; for `pareto` the front of GPU and user throughput). As AISimulate's sweeper.
 *
 * @module
 */
import type { Optimization, Target } from "./recommend_config.ts";

/** A run's numeric figures (the report's top-level numbers). */
export type Figures = Readonly<Record<string, number>>;

/** The SLA of `evaluation.sla`. */
export interface Sla {
  readonly ttft_ms?: number | null;
  readonly itl_ms?: number | null;
  readonly e2e_ms?: number | null;
}

/** How a run fared: feasible with a score (higher is better), or infeasible and why. */
export type Verdict =
  | { readonly feasible: true; readonly score: number; readonly objectives: Figures | null }
  | { readonly feasible: false; readonly category: string; readonly reason: string };

/** The Pareto target's objectives, both maximised. */
const PARETO = ["throughput_per_gpu", "throughput_per_user"] as const;

/** GPUs provisioned on average over the run (GPU-hours over the run's hours). */
function averageGpus(f: Figures): number {
  return f.duration_ms > 0 ? f.gpu_hours / (f.duration_ms / 3_600_000) : 0;
}

/** A target's objective, in its own direction (throughputs up, latencies and GPUs down). */
function objective(target: Exclude<Target, "pareto">, f: Figures, gpus: number): number {
  const perGpu = (x: number) => averageGpus(f) > 0 ? x / averageGpus(f) : 0;
  switch (target) {
    case "throughput":
      return f.output_throughput_tok_s;
    case "throughput_per_gpu":
      return perGpu(f.output_throughput_tok_s);
    case "throughput_per_user":
      return f.mean_output_token_throughput_per_user;
    case "goodput":
      return f.goodput_output_throughput_tok_s;
    case "goodput_per_gpu":
      return perGpu(f.goodput_output_throughput_tok_s);
    // A run that completed nothing has no latency samples (its report's means are 0): no objective.
    case "ttft":
      return f.completed_requests > 0 ? f.mean_ttft_ms : NaN;
    case "e2e_latency":
      return f.completed_requests > 0 ? f.mean_e2e_latency_ms : NaN;
    case "min_gpus":
      return gpus;
  }
}

/** Targets minimised: their score is the objective negated. */
const MINIMISED: readonly Target[] = ["ttft", "e2e_latency", "min_gpus"];

/** The objective behind a score (for `pareto`, the GPU throughput). */
export function objectiveOf(target: Target, score: number): number {
  return MINIMISED.includes(target) ? -score : score;
}

/**
 * The verdict on a completed run with figures `f` on `gpus` GPUs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OptimizationSchema } from "./recommend_config.ts";
 * import { judge } from "./recommend_score.ts";
 * const f = { completed_requests: 10, mean_ttft_ms: 612, mean_tpot_ms: 20, output_throughput_tok_s: 900 };
 * assert.deepEqual(judge(OptimizationSchema.parse({}), { ttft_ms: 500 }, f, 2),
 *   { feasible: true, score: 900, objectives: null });
 * assert.deepEqual(judge(OptimizationSchema.parse({ strict_sla: true }), { ttft_ms: 500 }, f, 2), {
 *   feasible: false, category: "sla_constraint", reason: "strict aggregate SLA violation: ttft 612ms > 500ms",
 * });
 * assert.equal(judge(OptimizationSchema.parse({}), {}, { ...f, completed_requests: 0 }, 2).feasible, false);
 * ```
 */
export function judge(o: Optimization, sla: Sla, f: Figures, gpus: number): Verdict {
  // A run that served nothing measures nothing: its throughput of 0 must not rank as a deployment.
  if (!(f.completed_requests > 0)) {
    return {
      feasible: false,
      category: "no_samples",
      reason: "completed no request (every one rejected or cut off)",
    };
  }
  if (o.strict_sla || o.target === "min_gpus") {
    const bounds = [
      ["ttft", "mean_ttft_ms", sla.ttft_ms],
      ["itl", "mean_tpot_ms", sla.itl_ms],
      ["e2e", "mean_e2e_latency_ms", sla.e2e_ms],
    ] as const;
    const violations = bounds.flatMap(([name, key, bound]) =>
      bound == null
        ? []
        : !(f.completed_requests > 0 && Number.isFinite(f[key]))
        ? [`${name} has no samples`]
        : f[key] > bound
        ? [`${name} ${round(f[key])}ms > ${round(bound)}ms`]
        : []
    );
    if (violations.length) {
      return {
        feasible: false,
        category: "sla_constraint",
        reason: `strict aggregate SLA violation: ${violations.join("; ")}`,
      };
    }
  }
  const floor = o.constraints.min_goodput_rps;
  if (floor !== null && !(f.goodput_request_throughput_rps >= floor)) {
    return {
      feasible: false,
      category: "load_constraint",
      reason: `goodput ${round(f.goodput_request_throughput_rps ?? 0)} rps < min_goodput_rps ${floor}`,
    };
  }
  if (o.target === "pareto") {
    const objectives = {
      throughput_per_gpu: objective("throughput_per_gpu", f, gpus),
      throughput_per_user: objective("throughput_per_user", f, gpus),
    };
    return { feasible: true, score: objectives.throughput_per_gpu, objectives };
  }
  const value = objective(o.target, f, gpus);
  if (!Number.isFinite(value)) {
    return { feasible: false, category: "no_samples", reason: `no samples for the ${o.target} target` };
  }
  return { feasible: true, score: MINIMISED.includes(o.target) ? -value : value, objectives: null };
}

function round(x: number): string {
  return String(Math.round(x * 10) / 10);
}

/** A feasible candidate, as ranking sees it. */
export interface Ranked {
  readonly id: string;
  readonly score: number;
  readonly usedGpus: number;
  readonly figures: Figures;
  readonly objectives: Figures | null;
  /** The config, canonical (the last tie-break). */
  readonly key: string;
}

/**
 * The selected candidates in order: every feasible one ranked, or for `pareto` the non-dominated front by user
 * throughput (ascending).
 */
export function selection(target: Target, feasible: readonly Ranked[]): Ranked[] {
  const byKey = (a: Ranked, b: Ranked) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  if (target === "min_gpus") {
    return [...feasible].sort((a, b) =>
      a.usedGpus - b.usedGpus ||
      b.figures.goodput_output_throughput_tok_s - a.figures.goodput_output_throughput_tok_s ||
      a.figures.mean_e2e_latency_ms - b.figures.mean_e2e_latency_ms || byKey(a, b)
    );
  }
  if (target !== "pareto") {
    return [...feasible].sort((a, b) => b.score - a.score || a.usedGpus - b.usedGpus || byKey(a, b));
  }
  const dominates = (a: Ranked, b: Ranked) =>
    PARETO.every((k) => a.objectives![k] >= b.objectives![k]) &&
    PARETO.some((k) => a.objectives![k] > b.objectives![k]);
  return feasible.filter((c) => !feasible.some((d) => dominates(d, c))).sort((a, b) =>
    a.objectives!.throughput_per_user - b.objectives!.throughput_per_user ||
    b.objectives!.throughput_per_gpu - a.objectives!.throughput_per_gpu || a.usedGpus - b.usedGpus ||
    byKey(a, b)
  );
}
