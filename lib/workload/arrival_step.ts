/**
 * Quantised timestamps: a trace whose arrivals come in coarse steps, several requests to a step.
 *
 * @module
 */
import type { Workload } from "./types.ts";

/** A workload's arrival step, as {@link arrivalStep} finds it. */
export interface ArrivalStep {
  /** The step between arrival instants, ms (after any speed-up). */
  readonly stepMs: number;
  /** Requests that arrive on their own timestamp (roots). */
  readonly requests: number;
  /** Distinct arrival instants they share. */
  readonly instants: number;
  /** The most requests at one instant. */
  readonly peak: number;
}

/** Arrivals this close together (ms) share an instant: a rounding of ±1 ms, sped up or slowed down a little. */
const SAME_INSTANT_MS = 2.5;
/** The fewest rooted requests worth judging. */
const MIN_REQUESTS = 20;
/** The fewest requests per instant, on average, that makes a trace bursty. */
const MIN_PER_INSTANT = 2;
/** The share of gaps between instants that must be whole multiples of the step. */
const ON_STEP_SHARE = 0.95;

/**
 * The step of a trace whose timestamps are quantised: its rooted requests (those that arrive at their own
 * timestamp) share few instants (at least {@link MIN_PER_INSTANT} requests each on average), and nearly every
 * gap between instants is a whole number of one step (the median gap), within a rounding of a millisecond or
 * 0.2 % of the step. `null` when the arrivals are not so quantised. The Mooncake conversation trace's
 * timestamps come in 3,000 ms steps: replayed as is, each step's requests arrive at one instant.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkloadBuilder } from "./builder.ts";
 * import { arrivalStep } from "./arrival_step.ts";
 * const trace = (at: (i: number) => number) => {
 *   const b = new WorkloadBuilder({ name: "t", blockSize: 4 });
 *   for (let i = 0; i < 60; i++) {
 *     b.add({ arrivalMs: at(i), inputLength: 4, outputLength: 1, tokenBlocks: "unique" });
 *   }
 *   return b.build();
 * };
 * assert.deepEqual(arrivalStep(trace((i) => 3000 * Math.floor(i / 6) + (i % 7 === 0 ? 1 : 0))), {
 *   stepMs: 3000,
 *   requests: 60,
 *   instants: 10,
 *   peak: 6,
 * });
 * assert.equal(arrivalStep(trace((i) => 137 * i)), null);
 * ```
 */
export function arrivalStep(w: Workload): ArrivalStep | null {
  const times: number[] = [];
  for (let r = 0; r < w.requestCount; r++) if (w.waitCount[r] === 0) times.push(w.arrivalMs[r]);
  if (times.length < MIN_REQUESTS) return null;
  times.sort((a, b) => a - b);
  const instants = [times[0]];
  let peak = 1, run = 1;
  for (let i = 1; i < times.length; i++) {
    if (times[i] - times[i - 1] > SAME_INSTANT_MS) {
      instants.push(times[i]);
      run = 0;
    }
    peak = Math.max(peak, ++run);
  }
  if (instants.length < 3 || times.length < MIN_PER_INSTANT * instants.length) return null;
  const gaps = instants.slice(1).map((t, i) => t - instants[i]);
  const stepMs = [...gaps].sort((a, b) => a - b)[gaps.length >> 1];
  const tolerance = Math.max(SAME_INSTANT_MS, 0.002 * stepMs);
  const onStep = gaps.filter((g) => Math.abs(g - stepMs * Math.round(g / stepMs)) <= tolerance).length;
  if (onStep < ON_STEP_SHARE * gaps.length) return null;
  return {
    stepMs: Math.round(stepMs * 1000) / 1000,
    requests: times.length,
    instants: instants.length,
    peak,
  };
}
