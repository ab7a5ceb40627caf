/**
 * The traffic window fed to the throughput planner (the reference's `TrafficAccumulator` plus the replay
 * adapter's window merge): sums since the window opened, drained into one {@link TrafficObservation}.
 *
 * The reference counts `num_req`, and the ISL/OSL means, over requests that **completed** in the window; under
 * a backlog that count lags what arrived (its §9 item 6). With `demand_counting: "arrival"` (a dynolab
 * extension) they are taken over requests that **arrived** in the window instead (requested output lengths).
 * Observed TTFT and ITL always come from completions; the KV hit rate from routing (at arrival).
 *
 * @module
 */
import { nominalArrivals, type Workload } from "../workload/mod.ts";
import type { TrafficObservation } from "./types.ts";

/**
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TrafficWindow } from "./traffic.ts";
 * const w = new TrafficWindow("completion", 0);
 * w.arrived(1000, 100);
 * w.routed(3, 4);
 * w.completed(1000, 80, 250, 20);
 * const obs = w.drain(10_000, null);
 * assert(obs.numReq === 1 && obs.osl === 80 && obs.kvHitRate === 0.75 && obs.durationS === 10);
 * ```
 */
export class TrafficWindow {
  readonly #countAt: "completion" | "arrival";
  #startMs: number;
  #arrivals = 0;
  #arrivalIsl = 0;
  #arrivalOsl = 0;
  #completions = 0;
  #completedIsl = 0;
  #completedOsl = 0;
  #ttftSum = 0;
  #ttftCount = 0;
  #itlSum = 0;
  #itlCount = 0;
  #hitSum = 0;
  #hitCount = 0;

  constructor(countAt: "completion" | "arrival", startMs: number) {
    this.#countAt = countAt;
    this.#startMs = startMs;
  }

  /** A request reached the router with `isl` prompt tokens, asking for `requestedOsl` output tokens. */
  arrived(isl: number, requestedOsl: number): void {
    this.#arrivals++;
    this.#arrivalIsl += isl;
    this.#arrivalOsl += requestedOsl;
  }

  /** A request was routed with `overlapBlocks` of its `islBlocks` prompt blocks cached (the KV hit rate). */
  routed(overlapBlocks: number, islBlocks: number): void {
    if (islBlocks > 0) {
      this.#hitSum += overlapBlocks / islBlocks;
      this.#hitCount++;
    }
  }

  /** A request completed with `osl` output tokens; TTFT and mean ITL in ms (ITL NaN when `osl ≤ 1`). */
  completed(isl: number, osl: number, ttftMs: number, itlMs: number): void {
    this.#completions++;
    this.#completedIsl += isl;
    this.#completedOsl += osl;
    if (ttftMs > 0) {
      this.#ttftSum += ttftMs;
      this.#ttftCount++;
    }
    if (osl > 1 && Number.isFinite(itlMs)) {
      this.#itlSum += itlMs;
      this.#itlCount++;
    }
  }

  /** Close the window at `nowMs`, returning its observation, and open the next one. */
  drain(nowMs: number, acceptLength: number | null): TrafficObservation {
    const byArrival = this.#countAt === "arrival";
    const n = byArrival ? this.#arrivals : this.#completions;
    const isl = byArrival ? this.#arrivalIsl : this.#completedIsl;
    const osl = byArrival ? this.#arrivalOsl : this.#completedOsl;
    const obs: TrafficObservation = {
      durationS: (nowMs - this.#startMs) / 1000,
      numReq: n,
      isl: n > 0 ? isl / n : 0,
      osl: n > 0 ? osl / n : 0,
      // The reference publishes 0 for a window without routed requests.
      kvHitRate: this.#hitCount > 0 ? this.#hitSum / this.#hitCount : 0,
      acceptLength,
      ttftMs: this.#ttftCount > 0 ? this.#ttftSum / this.#ttftCount : null,
      itlMs: this.#itlCount > 0 ? this.#itlSum / this.#itlCount : null,
    };
    this.#startMs = nowMs;
    this.#arrivals = this.#arrivalIsl = this.#arrivalOsl = 0;
    this.#completions = this.#completedIsl = this.#completedOsl = 0;
    this.#ttftSum =
      this.#ttftCount =
      this.#itlSum =
      this.#itlCount =
      this.#hitSum =
      this.#hitCount =
        0;
    return obs;
  }
}

/**
 * A trace bucketed into throughput intervals by each request's trace time ({@link nominalArrivals}: a later
 * turn at its own timestamp), as the reference warms its predictors (`load_predictor_warmup_trace`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trafficWindows } from "./traffic.ts";
 * import { WorkloadBuilder } from "../workload/mod.ts";
 * const b = new WorkloadBuilder({ name: "t", blockSize: 4 });
 * for (const at of [0, 1000, 61_000]) b.add({ inputLength: 8, outputLength: 2, arrivalMs: at, tokenBlocks: { ids: [1, 2], size: 4 } });
 * assert(trafficWindows(b.build(), 60).map((w) => w.numReq).join() === "2,1");
 * ```
 */
export function trafficWindows(w: Workload, intervalS: number): TrafficObservation[] {
  const out: { n: number; isl: number; osl: number }[] = [];
  const arrivals = nominalArrivals(w);
  for (let r = 0; r < w.requestCount; r++) {
    const k = Math.floor(arrivals[r] / (intervalS * 1000));
    while (out.length <= k) out.push({ n: 0, isl: 0, osl: 0 });
    out[k].n++;
    out[k].isl += w.inputLength[r];
    out[k].osl += w.outputLength[r];
  }
  return out.map((b) => ({
    durationS: intervalS,
    numReq: b.n,
    isl: b.n ? b.isl / b.n : 0,
    osl: b.n ? b.osl / b.n : 0,
    kvHitRate: null,
    acceptLength: null,
    ttftMs: null,
    itlMs: null,
  }));
}
