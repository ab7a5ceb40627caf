/**
 * Replications: one scenario run once per seed of a small arrival jitter, to see how far its figures move by
 * chance at the same load.
 *
 * @module
 */
import type { Scenario } from "./scenario.ts";

/** The replications the studies run by default: five seeds of a ±1 ms jitter (small against a pass). */
export const REPLICAS: { readonly seeds: readonly number[]; readonly jitterMs: number } = {
  seeds: [1, 2, 3, 4, 5],
  jitterMs: 1,
};

/** How {@link replicate} jitters each seed's arrivals: by ±`jitterMs`, or with `spread`, by half a step. */
export type ReplicateOptions =
  & { readonly seeds?: readonly number[] }
  & ({ readonly jitterMs?: number; readonly spread?: false } | {
    readonly spread: true;
    readonly jitterMs?: never;
  });

/**
 * `s` run once per seed of `seeds`, each with its arrivals jittered by ±`jitterMs` (`arrival_jitter_ms`), or
 * with `spread`, by half the trace's timestamp step (`spread_arrival_steps`: a quantised trace's steps spread
 * over their length), swept as `seed` (after any sweeps `s` has).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { replicate, scenario } from "../../mod.ts";
 * const fleet = scenario("r").trace("t.jsonl").agg({ workers: 2 });
 * const runs = replicate(fleet).runs();
 * assert.deepEqual(runs.map((r) => [r.spec.seed, r.spec.arrival_jitter_ms]), [[1, 1], [2, 1], [3, 1], [4, 1], [5, 1]]);
 * const spread = replicate(fleet, { seeds: [1, 2], spread: true }).runs();
 * assert.deepEqual(spread.map((r) => [r.spec.seed, r.spec.spread_arrival_steps]), [[1, true], [2, true]]);
 * ```
 */
export function replicate(
  s: Scenario,
  { seeds = REPLICAS.seeds, jitterMs = REPLICAS.jitterMs, spread = false }: ReplicateOptions = {},
): Scenario {
  return s.set(spread ? { spreadArrivalSteps: true } : { arrivalJitterMs: jitterMs }).sweep("seed", seeds);
}

/**
 * Why an unjittered run can lie outside its replications' range, for a findings page to quote where
 * `outsideBand` finds it does: requests that share an instant (`arrivalStep` finds a quantised trace).
 */
export const SIMULTANEOUS_ARRIVALS: string =
  "The trace's requests share arrival instants (its timestamps are quantised); arriving at exactly one " +
  "instant, an idle engine batches them into one pass, while any jitter (even 1 µs) lets the first start a " +
  "pass alone. Real arrivals are never simultaneous, so the replications are the likelier figures.";
