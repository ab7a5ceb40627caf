import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { MAX_TICK_RECORDS } from "../../lib/planner/mod.ts";
import { fixedTiming, run, workloadOf } from "../_fixtures.ts";

/** An agg run whose load step always wants one more worker: easy mode `latency`, KV over 40 % busy. */
function alwaysUp(planner: Record<string, unknown>, numWorkers = 1, rows = 40, decodeMs = 5) {
  // 16 blocks of 64 tokens per worker; each request holds 8 to 15 of them for its 400 decode passes.
  const w = workloadOf(Array.from({ length: rows }, () => ({ input: 500, output: 400 })));
  return run(w, {
    topology: {
      mode: "agg",
      num_workers: numWorkers,
      engine: { ...fixedTiming(10, decodeMs), num_gpu_blocks: 16, block_size: 64 },
    },
    planner: { mode: "agg", optimization_target: "latency", load_adjustment_interval_seconds: 1, ...planner },
  });
}

const peak = (events: readonly { to: number }[]) => Math.max(0, ...events.map((e) => e.to));

Deno.test("the GPU budget counts decode_engine_num_gpu per worker, as the planner's GPU-hours do", () => {
  // TP 1 engines, but 4 GPUs per worker for the planner (a profile measured on TP4): 8 GPUs hold 2 workers.
  const { planner } = alwaysUp({ decode_engine_num_gpu: 4, max_gpu_budget: 8 });
  assert.equal(peak(planner!.events), 2, JSON.stringify(planner!.events));
  assert.ok(planner!.budgetCappedTicks() > 0);
  assert.deepEqual(planner!.setup.gpusPerWorker, [4]);
  // Unset, the engine's TP × DP (1) is what both count: the fleet grows to 8 workers.
  const { planner: tp } = alwaysUp({ max_gpu_budget: 8 });
  assert.equal(peak(tp!.events), 8);
});

Deno.test("a budget that is no multiple of a worker's GPUs holds floor(budget / GPUs) workers, never more GPUs", () => {
  // `_budget_clamp` gives ⌊8 / 3⌋ = 2 workers of 3 GPUs: the fleet peaks at 6 GPUs, never at 3 workers' 9,
  // however many more workers the load step wants.
  const { planner } = alwaysUp({ decode_engine_num_gpu: 3, max_gpu_budget: 8 });
  const p = planner!;
  assert.equal(peak(p.events), 2, JSON.stringify(p.events));
  assert.ok(p.budgetCappedTicks() > 0);
  // Provisioned (active, starting and draining) workers at every tick: at most 8 GPUs.
  for (const t of p.ticks) {
    const workers = t.decode.active + t.decode.starting + t.decode.draining;
    assert.ok(workers * 3 <= 8, `${workers} workers of 3 GPUs at ${t.atS} s`);
  }
  assert.ok(p.ticks.some((t) => t.decode.active === 2), "the fleet reaches the budget's 2 workers");
});

Deno.test("the GPU budget counts prefill_engine_num_gpu and decode_engine_num_gpu in disagg", () => {
  const w = workloadOf(Array.from({ length: 40 }, () => ({ input: 500, output: 400 })));
  const engine = { ...fixedTiming(10, 5), num_gpu_blocks: 16, block_size: 64 };
  const { planner } = run(w, {
    topology: {
      mode: "disagg",
      num_prefill_workers: 1,
      num_decode_workers: 1,
      prefill_engine: engine,
      decode_engine: engine,
    },
    planner: {
      mode: "disagg",
      optimization_target: "latency",
      load_adjustment_interval_seconds: 1,
      prefill_engine_num_gpu: 2,
      decode_engine_num_gpu: 3,
      max_gpu_budget: 8,
    },
  });
  // Every tick's fleet: prefill × 2 + decode × 3 GPUs within 8.
  for (const t of planner!.ticks) {
    const p = t.prefill!.active + t.prefill!.starting, d = t.decode.active + t.decode.starting;
    assert.ok(p * 2 + d * 3 <= 8, `${p}P + ${d}D at ${t.atS} s`);
  }
  assert.ok(planner!.budgetCappedTicks() > 0);
});

Deno.test("the start-up budget checks count the planner's GPUs per worker", () => {
  // One worker of 4 GPUs does not fit a budget of 2.
  assert.throws(
    () => alwaysUp({ decode_engine_num_gpu: 4, max_gpu_budget: 2 }, 1, 1),
    (e: unknown) =>
      e instanceof InputError && /max_gpu_budget/.test(`${e.location.field}`) &&
      /1 worker\(s\) of 4 GPU\(s\) = 4 GPUs/.test(e.message),
  );
  // Three workers of 4 GPUs start above a budget of 8: a warning.
  const { report } = alwaysUp({ decode_engine_num_gpu: 4, max_gpu_budget: 8 }, 3, 1);
  const warnings = (report.dynolab as { warnings: string[] }).warnings.join("\n");
  assert.match(warnings, /the starting fleet \(12 GPUs\) exceeds max_gpu_budget \(8\)/);
});

Deno.test("budget_capped_ticks counts every tick, beyond the tick records", () => {
  // One request decoding for ~6,000 s (15 s passes) on a worker whose KV it keeps over 40 % busy, under a budget of
  // one worker: every load tick (0.1 s) wants a second worker, past the records' cap.
  const { planner, report } = alwaysUp(
    { max_gpu_budget: 1, load_adjustment_interval_seconds: 0.1 },
    1,
    1,
    15_000,
  );
  const p = planner!;
  assert.ok(p.totalTicks > MAX_TICK_RECORDS, `${p.totalTicks} ticks`);
  assert.equal(p.ticks.length, MAX_TICK_RECORDS);
  assert.equal(p.events.length, 0);
  assert.ok(p.budgetCappedTicks() > MAX_TICK_RECORDS, `${p.budgetCappedTicks()} capped ticks`);
  assert.equal(
    (report.planner as { budget_capped_ticks: number }).budget_capped_ticks,
    p.budgetCappedTicks(),
  );
});
