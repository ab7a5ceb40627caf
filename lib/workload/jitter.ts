/**
 * Seeded arrival jitter: independent replications of one workload at the same load.
 *
 * @module
 */
import type { Rng } from "../common/rng.ts";
import type { Workload } from "./types.ts";

/**
 * `w` with each session's arrival times moved by its own uniform draw from [−`jitterMs`, +`jitterMs`]: its
 * roots and the start floors its later turns carry move together, so a session keeps its shape and the load
 * its level, while which requests meet in the same pass changes. An agentic trace's trajectory moves as one.
 * Times are then normalised so that the earliest root arrives at 0. A jitter of 0 returns `w` itself.
 *
 * A single run of a trace replay can sit on a knife edge (a scale-up that lands just before or after a
 * burst); runs of the same spec at several seeds with a jitter of a fraction of the trace's spacing show how
 * far a figure moves by chance.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../common/rng.ts";
 * import { WorkloadBuilder } from "./builder.ts";
 * import { jitterArrivals } from "./jitter.ts";
 * const b = new WorkloadBuilder({ name: "demo", blockSize: 64 });
 * for (const [session, at] of [["a", 0], ["b", 10_000], ["a", 20_000]] as const) {
 *   b.add({ session, arrivalMs: at, inputLength: 64, outputLength: 4, tokenBlocks: { ids: [1], size: 64 } });
 * }
 * const w = b.build();
 * const j = jitterArrivals(w, 500, new Rng(7));
 * assert.equal(Math.min(j.arrivalMs[0], j.arrivalMs[1]), 0);
 * assert.equal(j.succDelayMs, w.succDelayMs); // session a's later turn follows its first, 20 s on
 * assert.ok(Math.abs((j.arrivalMs[1] - j.arrivalMs[0]) - 10_000) <= 1000);
 * assert.equal(jitterArrivals(w, 0, new Rng(7)), w);
 * ```
 */
export function jitterArrivals(w: Workload, jitterMs: number, rng: Rng): Workload {
  if (jitterMs === 0) return w;
  const group = w.trajectories?.of ?? w.sessionOf;
  const groups = w.trajectories?.count ?? w.sessionCount;
  const offset = new Float64Array(groups);
  for (let g = 0; g < groups; g++) offset[g] = (2 * rng.next() - 1) * jitterMs;
  const n = w.requestCount, arrivalMs = new Float64Array(n);
  /** Whether request r's time is an arrival or a start floor (0 on a later turn means none). */
  const timed = (r: number) => w.waitCount[r] === 0 || w.arrivalMs[r] > 0;
  let t0 = Infinity;
  for (let r = 0; r < n; r++) {
    arrivalMs[r] = timed(r) ? w.arrivalMs[r] + offset[group[r]] : 0;
    if (w.waitCount[r] === 0 && arrivalMs[r] < t0) t0 = arrivalMs[r];
  }
  for (let r = 0; r < n; r++) if (timed(r)) arrivalMs[r] = Math.max(0, arrivalMs[r] - t0);
  const roots = Int32Array.from(w.roots).sort((a, b) => arrivalMs[a] - arrivalMs[b] || a - b);
  return { ...w, arrivalMs, roots };
}
