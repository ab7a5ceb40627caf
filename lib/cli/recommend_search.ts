/**
 * The search loop of `aisimulate recommend`: the optimizer's trial budget split across the deployment-mode
 * branches, rounds of `parallelism` suggestions per branch, each new point evaluated and each repeated one
 * counted as a cache hit. A branch whose space fits its budget is enumerated, every point once; otherwise
 * points are drawn at random (`random`), or (`bayesian`) drawn near the best points found so far once there
 * are some; a suggestion that repeats an evaluated point is redrawn a few times first. Deterministic for a
 * seed.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { Rng } from "../common/rng.ts";
import type { Optimizer } from "./recommend_config.ts";
import { type Branch, type Dim, type Point, spaceSize } from "./recommend_space.ts";

/** A point to evaluate, of branch `branch`. */
export interface Trial {
  readonly branch: number;
  readonly point: Point;
}

/** Scores of evaluated trials (higher is better), null for one that is not feasible. */
export type Evaluate = (trials: readonly Trial[]) => Promise<readonly (number | null)[]>;

/** What the search did besides its evaluations. */
export interface SearchStats {
  /** Suggestions that repeated an evaluated point (each used a trial). */
  readonly cacheHits: number;
  /** `exhaustive` when every branch was enumerated, else `optimizer_guided`. */
  readonly strategy: "exhaustive" | "optimizer_guided";
}

/** Share of `bayesian` suggestions drawn near a good point once one exists. */
const EXPLOIT = 0.7;
/** The good points `bayesian` draws near: the best few. */
const ELITE = 3;
/** Step of a continuous dimension's move, as a share of its span (in log space for a log range). */
const STEP = 0.15;

/**
 * Search `branches` with `optimizer`'s settings, evaluating through `evaluate`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { search } from "./recommend_search.ts";
 * const branch = {
 *   mode: "aggregated" as const, seedOffset: 0, base: {},
 *   dims: [{ kind: "range" as const, name: "x", path: ["x"], min: 0, max: 10, log: false, int: false }],
 * };
 * let best = -Infinity;
 * await search([branch], { algorithm: "bayesian", max_trials: 40, parallelism: 4, candidate_timeout_seconds: 1, seed: 1 },
 *   (trials) => Promise.resolve(trials.map((t) => (best = Math.max(best, -Math.abs(t.point[0] - 7)), -Math.abs(t.point[0] - 7)))));
 * assert(best > -0.5);
 * ```
 */
export async function search(
  branches: readonly Branch[],
  optimizer: Optimizer,
  evaluate: Evaluate,
): Promise<SearchStats> {
  checkTrials(branches, optimizer);
  const share = Math.floor(optimizer.max_trials / branches.length);
  const extra = optimizer.max_trials % branches.length;
  const states = branches.map((b, i) => {
    const budget = share + (i < extra ? 1 : 0);
    const enumerate = spaceSize(b) <= budget;
    return {
      branch: b,
      left: enumerate ? spaceSize(b) : budget,
      rng: new Rng(optimizer.seed + b.seedOffset),
      seen: new Set<string>(),
      scored: [] as { point: Point; score: number }[],
      next: enumerate ? 0 : -1,
    };
  });
  let cacheHits = 0;
  while (states.some((s) => s.left > 0)) {
    const trials: Trial[] = [];
    states.forEach((s, b) => {
      let added = 0;
      for (let n = Math.min(optimizer.parallelism, s.left); n > 0; n--, s.left--) {
        const point = s.next >= 0 ? pointAt(s.branch.dims, s.next++) : fresh(s, optimizer.algorithm);
        const key = JSON.stringify(point);
        if (s.seen.has(key)) {
          cacheHits++;
          continue;
        }
        s.seen.add(key);
        trials.push({ branch: b, point });
        added++;
      }
      if (added === 0) s.left = 0; // stalled: the space is (nearly) exhausted
    });
    const scores = await evaluate(trials);
    trials.forEach((t, i) => {
      const score = scores[i];
      if (score !== null) states[t.branch].scored.push({ point: t.point, score });
    });
    for (const s of states) s.scored.sort((a, b) => b.score - a.score);
  }
  return { cacheHits, strategy: states.every((s) => s.next >= 0) ? "exhaustive" : "optimizer_guided" };
}

/** The `index`-th point of a finite space, the last dimension fastest. */
function pointAt(dims: readonly Dim[], index: number): Point {
  const point = new Array<number>(dims.length);
  for (let i = dims.length - 1; i >= 0; i--) {
    const d = dims[i];
    const n = d.kind === "choice" ? d.patches.length : 1;
    point[i] = index % n;
    index = Math.floor(index / n);
  }
  return point;
}

/** Draws a suggestion may take to find a point not yet evaluated before it repeats one. */
const REDRAWS = 32;

/** A suggestion, redrawn while it repeats an evaluated point (up to {@link REDRAWS} times). */
function fresh(
  s: { branch: Branch; rng: Rng; scored: readonly { point: Point }[]; seen: ReadonlySet<string> },
  algorithm: Optimizer["algorithm"],
): Point {
  let point = suggest(s, algorithm);
  for (let i = 1; i < REDRAWS && s.seen.has(JSON.stringify(point)); i++) point = suggest(s, algorithm);
  return point;
}

/** A suggestion: at random, or for `bayesian` (once a point scored) often a move from one of the best. */
function suggest(
  s: { branch: Branch; rng: Rng; scored: readonly { point: Point }[] },
  algorithm: Optimizer["algorithm"],
): Point {
  const { rng } = s, dims = s.branch.dims;
  if (algorithm === "random" || s.scored.length === 0 || rng.next() >= EXPLOIT) {
    return dims.map((d) => d.kind === "choice" ? rng.int(d.patches.length) : draw(d, rng.next()));
  }
  const point = [...s.scored[rng.int(Math.min(ELITE, s.scored.length))].point];
  const moves = dims.length > 1 && rng.next() < 0.3 ? 2 : 1;
  for (let m = 0; m < moves; m++) {
    const i = rng.int(dims.length), d = dims[i];
    if (d.kind === "choice") {
      const n = d.patches.length;
      point[i] = rng.next() < 0.5
        ? Math.min(n - 1, Math.max(0, point[i] + (rng.next() < 0.5 ? -1 : 1)))
        : rng.int(n);
    } else {
      const [lo, hi, x] = d.log
        ? [Math.log(d.min), Math.log(d.max), Math.log(point[i])]
        : [d.min, d.max, point[i]];
      const u = (Math.min(hi, Math.max(lo, x + rng.normal() * STEP * (hi - lo))) - lo) / (hi - lo);
      point[i] = draw(d, u);
    }
  }
  return point;
}

/** The value of continuous dimension `d` at `u` ∈ [0, 1] of its span (log-spaced for a log range). */
function draw(d: Extract<Dim, { kind: "range" }>, u: number): number {
  const v = d.log
    ? Math.exp(Math.log(d.min) + u * (Math.log(d.max) - Math.log(d.min)))
    : d.min + u * (d.max - d.min);
  const clamped = Math.min(d.max, Math.max(d.min, v));
  return d.int ? Math.min(Math.floor(d.max), Math.max(Math.ceil(d.min), Math.round(clamped))) : clamped;
}

/** Refuse a trial budget below one trial per deployment branch (`recommend` checks it before it writes). */
export function checkTrials(branches: readonly Branch[], optimizer: Optimizer): void {
  if (optimizer.max_trials < branches.length) {
    throw new InputError(
      `must be at least the number of active deployment branches (${branches.length}), got ` +
        String(optimizer.max_trials),
      { field: "optimizer.max_trials" },
    );
  }
}
