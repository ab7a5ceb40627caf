/**
 * The sections of `aisimulate recommend`'s config that `predict` does not take: `optimization` (what to
 * optimise, under which GPU budget and SLA) and `optimizer` (how many candidates to try, how many at once), as
 * zod schemas with strict keys and AISimulate's defaults, and the checks across sections.
 *
 * @module
 */
import { z } from "zod";
import { InputError } from "../common/errors.ts";
import type { Json } from "../common/json.ts";

/** The targets `optimization.target` names. */
export const TARGETS = [
  "throughput",
  "throughput_per_gpu",
  "throughput_per_user",
  "goodput",
  "goodput_per_gpu",
  "min_gpus",
  "ttft",
  "e2e_latency",
  "pareto",
] as const;
/** An optimization target. */
export type Target = typeof TARGETS[number];

const posInt = z.number().int().positive();

/**
 * The longest `optimizer.candidate_timeout_seconds`: what a timer holds (2³¹ − 1 ms, about 24.8 days); a
 * longer one would fire at once and fail every candidate.
 */
export const MAX_CANDIDATE_TIMEOUT_S = 2_147_483;

/** `optimization`: the target, the hardware `engine.hardware: auto` resolves to, the SLA rule and constraints. */
export const OptimizationSchema = z.strictObject({
  target: z.enum(TARGETS).default("throughput"),
  hardware: z.string().trim().min(1).refine((h) => h !== "auto", {
    error: "optimization.hardware must be a concrete nonempty identifier",
  }).optional(),
  /** Candidates whose mean latencies exceed the SLA's bounds are infeasible (always so for `min_gpus`). */
  strict_sla: z.boolean().default(false),
  constraints: z.strictObject({
    min_candidate_gpus: posInt.nullable().default(null),
    max_candidate_gpus: posInt.default(32),
    min_goodput_rps: z.number().positive().nullable().default(null),
  }).prefault({}),
});
/** `optimization` after defaults. */
export type Optimization = z.output<typeof OptimizationSchema>;

/** `optimizer`: the search algorithm, its trial budget, parallelism, per-candidate time limit and seed. */
export const OptimizerSchema = z.strictObject({
  algorithm: z.enum(["bayesian", "random"]).default("bayesian"),
  max_trials: posInt.default(320),
  parallelism: posInt.default(16),
  candidate_timeout_seconds: z.number().positive().max(
    MAX_CANDIDATE_TIMEOUT_S,
    `must be at most ${MAX_CANDIDATE_TIMEOUT_S} s (about 24.8 days: the longest a timer holds)`,
  ).default(600),
  seed: z.number().int().nonnegative().default(42),
});
/** `optimizer` after defaults. */
export type Optimizer = z.output<typeof OptimizerSchema>;

/** Targets that need an SLA bound. */
const SLA_TARGETS: readonly Target[] = ["goodput", "goodput_per_gpu", "min_gpus"];

/**
 * Check `optimization` against the rest of the config (`doc`, its domains still in place), as AISimulate does:
 * a strict SLA or a goodput target needs a bound; `min_gpus` needs fixed synthetic traffic (and, at a request
 * rate, a goodput floor no higher than the rate).
 */
export function checkOptimization(o: Optimization, doc: Json): void {
  const fail = (message: string, field = "optimization"): never => {
    throw new InputError(message, { field });
  };
  const c = o.constraints;
  if (c.min_candidate_gpus !== null && c.min_candidate_gpus > c.max_candidate_gpus) {
    fail("min_candidate_gpus cannot exceed max_candidate_gpus", "optimization.constraints");
  }
  if (c.min_goodput_rps !== null && o.target !== "min_gpus") {
    fail("min_goodput_rps is only supported with min_gpus", "optimization.constraints");
  }
  const sla = ((doc.evaluation as Json | undefined)?.sla ?? {}) as Json;
  const bounded = ["ttft_ms", "itl_ms", "e2e_ms"].some((k) => sla[k] != null);
  if (o.strict_sla && !bounded) fail("optimization.strict_sla requires at least one evaluation.sla bound");
  if (SLA_TARGETS.includes(o.target) && !bounded) {
    fail(`optimization target '${o.target}' requires an evaluation.sla bound`);
  }
  if (o.target !== "min_gpus") return;
  const traffic = doc.traffic as Json | undefined;
  const source = traffic?.source as Json | undefined, load = (traffic?.load ?? {}) as Json;
  const type = load.type ?? "concurrency";
  const value = type === "concurrency" ? load.concurrency ?? 10 : load.requests_per_second ?? load.rate;
  if (
    traffic !== undefined &&
    (source?.type !== "synthetic" || !["concurrency", "constant_rate", "poisson"].includes(type as string) ||
      typeof value !== "number")
  ) {
    fail("min_gpus requires fixed synthetic request-rate or concurrency traffic");
  }
  if (type !== "concurrency") {
    const floor = c.min_goodput_rps;
    if (floor === null) fail("min_gpus with request-rate traffic requires constraints.min_goodput_rps");
    else if (floor > (value as number)) fail("min_goodput_rps cannot exceed the offered request rate");
  }
}
