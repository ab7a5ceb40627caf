/**
 * How long a planner may run: a run ticks its planner once per tick interval of simulated time and writes one
 * HTML report per `report_interval_hours`, so a workload spanning years at the shortest intervals would tick
 * billions of times and write a file per 36 s. {@link checkTickBudget} refuses such a run before it starts,
 * from the span its arrivals alone take; the runtime stops one whose passes stretch it past the same limits.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import type { Workload } from "../workload/mod.ts";
import type { EffectivePlanner } from "./config.ts";

/**
 * The most planner ticks a run may take: at the default 5 s load interval about 1.6 years of simulated time, at
 * the shortest (0.1 s) about 11.6 days; ten million idle ticks take about 10 s.
 */
export const MAX_PLANNER_TICKS = 10_000_000;

/**
 * The most `report_interval_hours` windows a run may span (one HTML report each, about 25 kB): at the default
 * 24 hours about 27 years, at the shortest (0.01 hours) about 4 days.
 */
export const MAX_REPORT_INTERVALS = 10_000;

const count = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

/** The planner's shortest tick interval (s) and the key that sets it. */
export function tickInterval(planner: EffectivePlanner): { readonly key: string; readonly seconds: number } {
  const c = planner.config;
  return planner.throughputScaling &&
      c.throughput_adjustment_interval_seconds < c.load_adjustment_interval_seconds
    ? { key: "throughput_adjustment_interval_seconds", seconds: c.throughput_adjustment_interval_seconds }
    : { key: "load_adjustment_interval_seconds", seconds: c.load_adjustment_interval_seconds };
}

/**
 * The time by which every request of `w` has arrived even if serving took no time, ms: a lower bound on how
 * long a run of it lasts. Open loop, roots arrive at their `arrivalMs` and no request starts before its own;
 * closed loop (`--replay-concurrency`), roots start at 0 and only the delays between requests count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkloadBuilder } from "../workload/mod.ts";
 * import { arrivalSpanMs } from "./tick_budget.ts";
 * const b = new WorkloadBuilder({ name: "t", blockSize: 4 });
 * b.add({ session: "a", arrivalMs: 0, inputLength: 4, outputLength: 1, tokenBlocks: "unique" });
 * b.add({ session: "b", arrivalMs: 9000, inputLength: 4, outputLength: 1, tokenBlocks: "unique" });
 * const w = b.build();
 * assert.deepEqual([arrivalSpanMs(w, true), arrivalSpanMs(w, false)], [9000, 0]);
 * ```
 */
export function arrivalSpanMs(w: Workload, openLoop: boolean): number {
  const at = new Float64Array(w.requestCount);
  let span = 0;
  // A request waits only for requests numbered before it: one pass in order settles every time.
  for (let r = 0; r < w.requestCount; r++) {
    const t = openLoop ? Math.max(at[r], w.arrivalMs[r]) : at[r];
    if (t > span) span = t;
    for (let i = w.succOffset[r]; i < w.succOffset[r + 1]; i++) {
      const s = w.succ[i], due = t + w.succDelayMs[i];
      if (due > at[s]) at[s] = due;
    }
  }
  return span;
}

/**
 * Refuse a run whose planner would tick more than {@link MAX_PLANNER_TICKS} times or write more than
 * {@link MAX_REPORT_INTERVALS} interval reports over `spanMs` of simulated time (at most `limitMs`, the run's
 * time limit). Errors name the planner key to raise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { effectivePlanner, parsePlannerConfig } from "./config.ts";
 * import { checkTickBudget } from "./tick_budget.ts";
 * const planner = effectivePlanner(parsePlannerConfig({ mode: "agg", load_adjustment_interval_seconds: 0.1 }));
 * checkTickBudget(planner, 86_400_000); // a day: 864,000 ticks
 * assert.throws(() => checkTickBudget(planner, 2 ** 43), /load_adjustment_interval_seconds/);
 * checkTickBudget(planner, 2 ** 43, 3_600_000); // stopped after an hour
 * ```
 */
export function checkTickBudget(planner: EffectivePlanner, spanMs: number, limitMs = Infinity): void {
  const seconds = Math.min(spanMs, limitMs) / 1000;
  const limited = limitMs < spanMs;
  const span = limited
    ? `the ${count.format(seconds)} s the run may last (max_sim_time_seconds)`
    : `the ${count.format(seconds)} s the workload's arrivals span`;
  const tick = tickInterval(planner);
  const ticks = Math.floor(seconds / tick.seconds);
  if (ticks > MAX_PLANNER_TICKS) {
    throw new InputError(
      `(${tick.seconds} s) would tick the planner ${count.format(ticks)} times over ${span}, more than the ` +
        `${count.format(MAX_PLANNER_TICKS)} a run may take; raise it` +
        (limited ? " or lower max_sim_time_seconds" : ", or stop the clock earlier (max_sim_time_seconds)"),
      { field: `planner.${tick.key}` },
    );
  }
  const hours = planner.config.report_interval_hours;
  const windows = hours == null ? 0 : Math.ceil(seconds / (hours * 3600));
  if (windows > MAX_REPORT_INTERVALS) {
    throw new InputError(
      `(${hours} h) would write ${count.format(windows)} interval reports over ${span}, more than the ` +
        `${count.format(MAX_REPORT_INTERVALS)} a run may write; raise it, or set it to null for the whole ` +
        "run's report only",
      { field: "planner.report_interval_hours" },
    );
  }
}

/**
 * The error for a run that reached {@link MAX_PLANNER_TICKS} ticks at `nowS` (its passes stretched it past
 * what its arrivals alone span).
 */
export function tooManyTicks(planner: EffectivePlanner, nowS: number): InputError {
  const tick = tickInterval(planner);
  return new InputError(
    `(${tick.seconds} s) ticked the planner ${count.format(MAX_PLANNER_TICKS)} times by ` +
      `${count.format(nowS)} s of simulated time, the most a run may take; raise it, or stop the clock ` +
      "earlier (max_sim_time_seconds)",
    { field: `planner.${tick.key}` },
  );
}

/** The error for a run that reached {@link MAX_REPORT_INTERVALS} report windows at `nowS`. */
export function tooManyIntervals(planner: EffectivePlanner, nowS: number): InputError {
  return new InputError(
    `(${planner.config.report_interval_hours} h) would write more than ${
      count.format(MAX_REPORT_INTERVALS)
    } ` +
      `interval reports by ${count.format(nowS)} s of simulated time; raise it, or set it to null for the ` +
      "whole run's report only",
    { field: "planner.report_interval_hours" },
  );
}
