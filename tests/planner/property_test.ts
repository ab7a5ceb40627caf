/**
 * Property test of the planner in the loop: random topologies (DP ranks and attention-DP groups included),
 * engines, start-up times, planner targets, scalings, predictors, budgets and workloads, in open or closed loop,
 * with warm-ups and time limits, must never crash or hang, must account for every request, must keep the
 * non-draining fleet within the GPU budget at every tick (a starting fleet over it is warned about and held to
 * it from the first decision), put no non-finite number in the report, and give identical reports when repeated.
 */
import assert from "node:assert/strict";
import { Rng } from "../../lib/common/rng.ts";
import { Status } from "../../lib/metrics/mod.ts";
import { reportJson } from "../../lib/report/mod.ts";
import type { SimSpecInput } from "../../lib/spec.ts";
import { nonFinite, run, type TestRow, workloadOf } from "../_fixtures.ts";

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/** Requests arriving over two minutes, some in sessions, so that the planner ticks while they run. */
function randomRows(rng: Rng): TestRow[] {
  const n = 10 + rng.int(80), span = pick(rng, [20_000, 60_000, 120_000]);
  return Array.from({ length: n }, (_, i) => ({
    input: 1 + rng.int(pick(rng, [200, 2000, 6000])),
    output: 1 + rng.int(pick(rng, [20, 200])),
    ids: Array.from({ length: 1 + rng.int(6) }, (_, k) => rng.int(4) + k * 100),
    size: 64,
    session: rng.next() < 0.3 ? `s${i % 4}` : undefined,
    at: rng.next() * span,
  })).map((r, i, all) =>
    // A later turn of a session follows its previous turn after a think time.
    r.session !== undefined && all.findIndex((o) => o.session === r.session) < i
      ? { ...r, at: undefined, delay: rng.next() * 2000 }
      : r
  );
}

/** Engine args: fixed or polynomial timing, a small KV pool or a large one, maybe several ranks. */
function randomEngine(rng: Rng): Record<string, unknown> {
  const engine: Record<string, unknown> = {
    block_size: 64,
    num_gpu_blocks: pick(rng, [40, 200, 2000]),
    max_num_seqs: pick(rng, [4, 32, 256]),
    max_num_batched_tokens: pick(rng, [512, 2048, 8192]),
    startup_time: pick(rng, [0, 0, 3, 20]),
  };
  if (rng.next() < 0.5) {
    engine.timing_model = {
      type: "fixed",
      prefill_ms: pick(rng, [1, 10]),
      decode_ms: pick(rng, [0.5, 5, 30]),
      prefill_ms_per_token: pick(rng, [0, 0.05]),
    };
  }
  const ranks = rng.next();
  if (ranks < 0.2) engine.aic_attention_dp_size = 2 + rng.int(2);
  else if (ranks < 0.35) engine.dp_size = 2;
  return engine;
}

/** A planner config for `mode`: any target, scaling, predictor and counting, a budget that holds the minimum fleet. */
function randomPlanner(rng: Rng, mode: "agg" | "disagg"): Record<string, unknown> {
  const target = pick(rng, ["sla", "sla", "throughput", "load"] as const);
  const load = pick(rng, [1, 2, 5]);
  const throughputScaling = rng.next() < 0.6, loadScaling = !throughputScaling || rng.next() < 0.5;
  return {
    mode,
    optimization_target: target,
    ttft_ms: pick(rng, [50, 500, 3000]),
    itl_ms: pick(rng, [5, 20, 60]),
    enable_throughput_scaling: throughputScaling,
    enable_load_scaling: loadScaling,
    load_adjustment_interval_seconds: load,
    throughput_adjustment_interval_seconds: load * pick(rng, [2, 5, 10]),
    max_gpu_budget: pick(rng, [-1, 8, 12, 32]),
    min_endpoint: pick(rng, [1, 1, 2]),
    load_predictor: pick(rng, ["constant", "arima", "kalman"]),
    demand_counting: pick(rng, ["completion", "arrival"]),
    pre_deployment_sweeping_mode: pick(rng, ["rapid", "rapid", "none"]),
    prefill_scale_up_queue_tokens: 2000,
    prefill_scale_down_queue_tokens: 200,
    decode_scale_up_kv_rate: 80,
    decode_scale_down_kv_rate: 20,
  };
}

function randomSpec(rng: Rng): Omit<SimSpecInput, "workload"> {
  const disagg = rng.next() < 0.5;
  const planner = randomPlanner(rng, disagg ? "disagg" : "agg");
  if (planner.pre_deployment_sweeping_mode === "none" && planner.enable_throughput_scaling) {
    planner.pre_deployment_sweeping_mode = "rapid";
  }
  const prefill = disagg ? randomEngine(rng) : undefined, decode = randomEngine(rng);
  if (prefill) planner.prefill_engine_num_gpu = workerGpus(prefill);
  planner.decode_engine_num_gpu = workerGpus(decode);
  // A budget below the minimum fleet is an input error (tested in the CLI tests): hold at least that fleet.
  const floor = (planner.min_endpoint as number) * (workerGpus(prefill) + workerGpus(decode));
  if ((planner.max_gpu_budget as number) >= 0) {
    planner.max_gpu_budget = Math.max(planner.max_gpu_budget as number, floor);
  }
  return {
    topology: prefill
      ? {
        mode: "disagg",
        num_prefill_workers: 1 + rng.int(2),
        num_decode_workers: 1 + rng.int(2),
        prefill_engine: { ...prefill, kv_bytes_per_token: 1000, kv_transfer_bandwidth: 50 },
        decode_engine: decode,
      }
      : { mode: "agg", num_workers: 1 + rng.int(3), engine: decode },
    router: { mode: pick(rng, ["round_robin", "kv_router"] as const) },
    planner,
    seed: rng.int(1000),
  };
}

interface Ticks {
  columns: string[];
  rows: (number | string | boolean | null)[][];
}

/** The GPUs of the workers each tick left non-draining (active + starting), with the tick's time. */
function tickGpus(ticks: Ticks, gpus: { prefill: number; decode: number }): [atS: number, gpus: number][] {
  const col = (name: string) => ticks.columns.indexOf(name);
  const [at, pa, ps, da, ds] = [
    "at_s",
    "prefill_active",
    "prefill_starting",
    "decode_active",
    "decode_starting",
  ]
    .map(col);
  return ticks.rows.map((r) => [
    r[at] as number,
    ((r[pa] as number) + (r[ps] as number)) * gpus.prefill +
    ((r[da] as number) + (r[ds] as number)) * gpus.decode,
  ]);
}

/** A worker's GPUs as the cluster counts them: TP (1 here) × its ranks; 0 for no pool. */
function workerGpus(engine: Record<string, unknown> | undefined): number {
  if (!engine) return 0;
  return ((engine.aic_attention_dp_size ?? engine.dp_size ?? 1) as number);
}

Deno.test("property: the planner in the loop on random configs and workloads", () => {
  const rng = new Rng(4242);
  let scaled = 0;
  for (let trial = 0; trial < 60; trial++) {
    const rows = randomRows(rng);
    const w = workloadOf(rows, 64);
    const spec = randomSpec(rng);
    // Sometimes a closed loop, a warm-up phase, or a time limit that cuts the run short.
    if (rng.next() < 0.3) spec.replay_concurrency = 1 + rng.int(16);
    if (rng.next() < 0.2) spec.warmup_request_count = 1 + rng.int(rows.length - 1);
    if (rng.next() < 0.15) spec.max_sim_time_seconds = 5 + rng.int(60);
    const context = `trial ${trial}: ${JSON.stringify(spec)}`;
    const first = run(w, spec);
    const { report, collector } = first;
    const measured = w.requestCount - (spec.warmup_request_count ?? 0);
    if (spec.max_sim_time_seconds === undefined) {
      for (let r = 0; r < w.requestCount; r++) {
        assert.notEqual(collector.status[r], Status.Pending, `${context}: request ${r} never finished`);
      }
      assert.equal(report.num_requests, measured, context);
    }
    const ended = ["completed_requests", "rejected_requests", "incomplete_requests"]
      .reduce((a, k) => a + (report[k] as number), 0);
    assert.equal(ended, report.num_requests, context);
    assert.equal(nonFinite(report), null, context);
    const planner = report.planner as unknown as { ticks: Ticks; scaling_events: unknown[] };
    scaled += planner.scaling_events.length > 0 ? 1 : 0;
    const budget = (spec.planner as { max_gpu_budget: number }).max_gpu_budget;
    if (budget >= 0) {
      const t = spec.topology!;
      const gpus = t.mode === "disagg"
        ? { prefill: workerGpus(t.prefill_engine), decode: workerGpus(t.decode_engine) }
        : { prefill: 0, decode: workerGpus(t.engine) };
      const start = t.mode === "disagg"
        ? t.num_prefill_workers! * gpus.prefill + t.num_decode_workers! * gpus.decode
        : t.num_workers! * gpus.decode;
      // A starting fleet over the budget is warned about and held to it from the planner's first decision on.
      const warned = (report.dynolab as { warnings: string[] }).warnings;
      assert.equal(warned.some((m) => m.startsWith("the starting fleet")), start > budget, context);
      const from = start > budget ? (first.planner!.events[0]?.atS ?? Infinity) : -Infinity;
      for (const [atS, used] of tickGpus(planner.ticks, gpus)) {
        if (atS > from) assert.ok(used <= budget, `${context}: ${used} GPUs at ${atS} s`);
      }
    }
    assert.equal(reportJson(run(w, spec).report), reportJson(report), `${context}: not deterministic`);
  }
  assert.ok(scaled >= 20, `only ${scaled} of 60 trials scaled`);
});
