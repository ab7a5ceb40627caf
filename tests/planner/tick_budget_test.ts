/** A run may tick its planner at most 10⁷ times and span at most 10⁴ report intervals. */
import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import {
  arrivalSpanMs,
  checkTickBudget,
  effectivePlanner,
  MAX_PLANNER_TICKS,
  MAX_REPORT_INTERVALS,
  parsePlannerConfig,
  type PlannerConfigInput,
  PlannerRuntime,
} from "../../lib/planner/mod.ts";
import { run, workloadOf } from "../_fixtures.ts";

const planner = (config: PlannerConfigInput) =>
  effectivePlanner(parsePlannerConfig({ mode: "agg", ...config }));

/** `f` throws an InputError naming `field` whose message matches `pattern`. */
function refused(f: () => unknown, field: string, pattern: RegExp): void {
  assert.throws(f, (e) => {
    assert(e instanceof InputError, String(e));
    assert.equal(e.location.field, field);
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("tick budget: a span of more than 10⁷ ticks of the shortest interval is refused, naming it", () => {
  const fast = planner({ load_adjustment_interval_seconds: 0.1, report_interval_hours: null });
  checkTickBudget(fast, MAX_PLANNER_TICKS * 100); // exactly 10⁷ ticks of 0.1 s
  refused(
    () => checkTickBudget(fast, 2 ** 43),
    "planner.load_adjustment_interval_seconds",
    /\(0\.1 s\) would tick the planner 87,960,930,222 times over the 8,796,093,022\.2 s the workload's arrivals span, more than the 10,000,000/,
  );
  // A time limit bounds the span.
  checkTickBudget(fast, 2 ** 43, 86_400_000);
  refused(
    () => checkTickBudget(fast, 2 ** 43, 2e9),
    "planner.load_adjustment_interval_seconds",
    /max_sim_time_seconds/,
  );
  // Throughput ticks count where they are the shorter cadence (SLA target, load scaling off).
  const throughput = planner({
    optimization_target: "sla",
    enable_load_scaling: false,
    throughput_adjustment_interval_seconds: 1,
    report_interval_hours: null,
  });
  refused(
    () => checkTickBudget(throughput, 1e11),
    "planner.throughput_adjustment_interval_seconds",
    /\(1 s\)/,
  );
});

Deno.test("tick budget: more than 10⁴ report intervals are refused, naming report_interval_hours", () => {
  const p = planner({ report_interval_hours: 0.01 });
  checkTickBudget(p, MAX_REPORT_INTERVALS * 36_000); // exactly 10⁴ windows of 36 s
  refused(
    () => checkTickBudget(p, 1e9),
    "planner.report_interval_hours",
    /\(0\.01 h\) would write 27,778 interval reports over the 1,000,000 s the workload's arrivals span, more than the 10,000/,
  );
  checkTickBudget(planner({ report_interval_hours: null }), 1e9);
});

Deno.test("tick budget: the span of a workload's arrivals, open and closed loop", () => {
  const w = workloadOf([
    { input: 64, output: 1, at: 0 },
    { input: 64, output: 1, at: 5_000 },
    { input: 64, output: 1, session: "s", at: 1_000 },
    { input: 64, output: 1, session: "s", delay: 9_000 },
  ]);
  // Open loop: the chain's second turn comes 9 s after the first, at 1 s. Closed loop: roots start at 0.
  assert.equal(arrivalSpanMs(w, true), 10_000);
  assert.equal(arrivalSpanMs(w, false), 9_000);
});

Deno.test("tick budget: the runtime refuses a workload too long for its planner before the run", () => {
  const w = workloadOf([{ input: 64, output: 1, at: 0 }, { input: 64, output: 1, at: 2 ** 43 }]);
  const setup = (openLoop?: boolean, limitMs?: number) => ({
    planner: planner({ report_interval_hours: null }),
    benchmarkGranularity: 1,
    workload: w,
    collector: undefined as never,
    gpusPerWorker: [1],
    openLoop,
    limitMs,
  });
  refused(
    () => new PlannerRuntime(setup(true, Infinity)),
    "planner.load_adjustment_interval_seconds",
    /\(5 s\)/,
  );
  // Closed loop ignores the timestamps; a time limit cuts the run short; unset, only the run itself checks.
  new PlannerRuntime(setup(false, Infinity));
  new PlannerRuntime(setup(true, 3_600_000));
  new PlannerRuntime(setup());
});

Deno.test("tick budget: a run whose passes stretch it past the budget stops at it", () => {
  // One request of two tokens at 10⁹ ms a pass: 2 × 10⁶ s of passes, 2 × 10⁷ ticks of 0.1 s.
  const w = workloadOf([{ input: 64, output: 2 }]);
  const engine = { timing_model: { type: "fixed" as const, prefill_ms: 1e9, decode_ms: 1e9 } };
  refused(
    () =>
      run(w, {
        topology: { mode: "agg", num_workers: 1, engine },
        planner: { mode: "agg", load_adjustment_interval_seconds: 0.1, report_interval_hours: null },
      }),
    "planner.load_adjustment_interval_seconds",
    /ticked the planner 10,000,000 times by 1,000,000(\.\d)? s of simulated time/,
  );
  // At 0.01 h (36 s) a report, 10⁴ intervals pass after 360,000 s.
  refused(
    () =>
      run(w, {
        topology: { mode: "agg", num_workers: 1, engine },
        planner: { mode: "agg", report_interval_hours: 0.01 },
      }),
    "planner.report_interval_hours",
    /more than 10,000 interval reports by 360,00\d s of simulated time/,
  );
});
