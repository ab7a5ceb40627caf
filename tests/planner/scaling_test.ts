import assert from "node:assert/strict";
import {
  AggModel,
  budgetClamp,
  DecodeModel,
  effectivePlanner,
  type Fpm,
  globalBudget,
  idleFpm,
  parsePlannerConfig,
  PlannerStateMachine,
  PrefillModel,
} from "../../lib/planner/mod.ts";
import {
  aggSla,
  decodeSla,
  kvEasy,
  prefillEasy,
  prefillSla,
  reconcile,
} from "../../lib/planner/load_scaling.ts";
import { throughputReplicas } from "../../lib/planner/throughput_scaling.ts";
import { fixedTiming, run, workloadOf } from "../_fixtures.ts";

const O = { maxSamples: 64, bucketCount: 16, minObservations: 5 };
const close = (a: number, b: number, eps = 1e-9) =>
  assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);
const caps = {
  numGpu: 1,
  maxNumBatchedTokens: 1000,
  maxNumSeqs: 256,
  contextLength: null,
  maxKvTokens: 100_000,
  ranks: 1,
};

/** Prefill model with wall = 0.01 + 1e-4 · tokens s and mean ISL 500. */
function prefillModel(): PrefillModel {
  const m = new PrefillModel(O);
  for (const t of [200, 400, 500, 600, 800]) {
    m.add({ ...idleFpm(0, 0), numPrefill: 1, sumPrefillTokens: t, wallTimeS: 0.01 + 1e-4 * t });
  }
  return m;
}

/** Decode model with wall = 0.005 + 1e-4 · batch + 1e-7 · kv s. */
function decodeModel(): DecodeModel {
  const m = new DecodeModel(O);
  for (const [bs, kv] of [[1, 1000], [8, 20_000], [16, 10_000], [32, 60_000], [64, 90_000], [4, 50_000]]) {
    m.add({
      ...idleFpm(0, 0),
      numDecode: bs,
      sumDecodeKvTokens: kv,
      wallTimeS: 0.005 + 1e-4 * bs + 1e-7 * kv,
    });
  }
  return m;
}

const queued = (worker: number, tokens: number): Fpm => ({
  ...idleFpm(worker, 0),
  sumQueuedPrefillTokens: tokens,
});

function ctx(overrides: Record<string, unknown> = {}, models = {}) {
  const planner = effectivePlanner(
    parsePlannerConfig({ optimization_target: "sla", enable_load_scaling: true, ...overrides }),
  );
  return { planner, caps: { prefill: caps, decode: caps }, models, hitRate: null, accept: 1 };
}

Deno.test("prefill model: TTFT estimate chunks (queued + mean ISL) by MBT", () => {
  const m = prefillModel();
  close(m.avgIsl, 500);
  // 1700 + 500 = 2200 tokens: f(1000) + f(1000) + f(200) = 0.11 + 0.11 + 0.03.
  close(m.estimateNextTtft(1700, 1000, 0)!, 0.25);
  // A 50 % hit rate halves the tokens: 1100 → f(1000) + f(100).
  close(m.estimateNextTtft(1700, 1000, 0.5)!, 0.11 + 0.02);
  // Engine rate at ISL 2500 with MBT 1000: wt = 2 f(1000) + f(500) = 0.28 s.
  const [rps, ttft] = m.bestEngineRps(2500, 1000);
  close(rps, 1 / 0.28);
  close(ttft, 280);
});

Deno.test("decode model: batch search by bisection under the ITL target", () => {
  const m = decodeModel();
  // ctx 1000: wt(bs) = 0.005 + 1e-4 bs + 1e-4 bs = 0.005 + 2e-4 bs ≤ 0.0251 → bs ≤ 100.
  const [rps, itl] = m.bestEngineRps(25.1, 1000, 200, 100_000, 256);
  close(itl, 25, 1e-6);
  close(rps, 100 / (200 * 0.025), 1e-6);
  // KV cap 50 000 / 1000 = 50 < 100.
  const [rps50] = m.bestEngineRps(25, 1000, 200, 50_000, 256);
  close(rps50, 50 / (200 * (0.005 + 2e-4 * 50)));
  // Even one request too slow: batch 1.
  const [rps1, itl1] = m.bestEngineRps(1, 1000, 200, 100_000, 256);
  close(itl1, 5.2);
  close(rps1, 1 / (200 * 0.0052));
});

Deno.test("decode model: an accept length of k tokens per pass divides the per-token ITL and multiplies the rate", () => {
  // With MTP each decode pass emits `accept` tokens of every request: the ITL is wt / accept and a request needs
  // OSL / accept passes, so engine_rps = bs · accept / (OSL · wt) (dynolab; the reference's planner, without
  // speculative decoding, has accept 1).
  const m = decodeModel();
  // ITL 25.1 ms, ctx 1000: accept 1 fits the KV cap's 100 requests at wt 25 ms; accept 2 the same batch at a
  // per-token 12.5 ms, twice the rate.
  const [rps1, itl1] = m.bestEngineRps(25.1, 1000, 200, 100_000, 256, 1);
  const [rps2, itl2] = m.bestEngineRps(25.1, 1000, 200, 100_000, 256, 2);
  close(rps1, 100 / (200 * 0.025), 1e-6);
  close(itl1, 25, 1e-6);
  close(rps2, 100 * 2 / (200 * 0.025), 1e-6);
  close(itl2, 12.5, 1e-6);
  // ITL 15.1 ms: accept 1 stops at bs 50 (wt 15 ms); accept 2 allows wt ≤ 30.2 ms, so the KV cap (100) again.
  const [rps3, itl3] = m.bestEngineRps(15.1, 1000, 200, 100_000, 256, 1);
  const [rps4, itl4] = m.bestEngineRps(15.1, 1000, 200, 100_000, 256, 2);
  close(rps3, 50 / (200 * 0.015), 1e-6);
  close(itl3, 15, 1e-6);
  close(rps4, 40, 1e-6);
  close(itl4, 12.5, 1e-6);
});

Deno.test("load SLA prefill: up when every engine is over the SLA; consolidation-aware down", () => {
  const c = ctx({ ttft_ms: 300 }, { prefill: prefillModel() });
  // est = f-chunks of (queued + 500) ms: queued 2000 → 2500 → 110 + 110 + 60 = 280 ms... use 3000: 3500 → 3·110 + 60 = 390.
  assert.deepEqual(prefillSla(c, [queued(0, 3000), queued(1, 3000)], 2).desired, 3);
  // One engine under the SLA: no scale-up.
  const mixed = prefillSla(c, [queued(0, 3000), queued(1, 0)], 2);
  assert.notEqual(mixed.desired, 3);
  // The same with that engine busy (500 queued tokens, so no idle veto): 1000 tokens → f(1000) = 110 ms < 300.
  // The reference scales up only when *every* engine is over the SLA; consolidation is refused as engine 0's
  // doubled queue (6500 tokens → 6·110 + 60 = 720 ms, less T_own 60) is far over (300 − 60)·0.8 = 192.
  const busyUnder = prefillSla(c, [queued(0, 3000), queued(1, 500)], 2);
  assert.equal(busyUnder.desired, null);
  assert.equal(busyUnder.reason, "scale_down_refused_consolidation");
  close(busyUnder.estTtftMs!, 390);
  // Idle engines: T_own = f(500) = 60 ms, budget (300 − 60)·0.8 = 192; post queue 0 → 0 < 192: down.
  assert.deepEqual(prefillSla(c, [queued(0, 0), queued(1, 0)], 2), {
    desired: 1,
    reason: "scale_down",
    estTtftMs: 60,
  });
  // Queue 1000 each → survivor holds 2000: 2500 tokens → 280 − 60 = 220 ≥ 192: refused.
  const refused = prefillSla(c, [queued(0, 1000), queued(1, 1000)], 2);
  assert.equal(refused.desired, null);
  assert.equal(refused.reason, "scale_down_refused_consolidation");
  // Not enough samples: no decision.
  const thin = new PrefillModel(O);
  thin.add({ ...idleFpm(0, 0), numPrefill: 1, sumPrefillTokens: 100, wallTimeS: 0.02 });
  assert.equal(prefillSla(ctx({}, { prefill: thin }), [queued(0, 0)], 1).reason, "insufficient_data");
});

Deno.test("load SLA decode: KV must fit and the ITL stay under SLA × sensitivity after consolidation", () => {
  const m = decodeModel();
  const c = ctx({ itl_ms: 20 }, { decode: m });
  const kv = (w: number, sched: number): Fpm => ({
    ...idleFpm(w, 0),
    numDecode: 4,
    sumDecodeKvTokens: sched,
  });
  // Light load: post KV 2·10 000 = 20 000, ITL well under 16 ms → down.
  assert.equal(decodeSla(c, [kv(0, 10_000), kv(1, 10_000)], 2).desired, 1);
  // Post KV 2 · 60 000 ≥ 100 000 capacity: refused.
  assert.equal(decodeSla(c, [kv(0, 60_000), kv(1, 1000)], 2).reason, "scale_down_refused_consolidation");
});

Deno.test("load SLA decode: every engine's KV oversubscribed scales up, however short the ITL", () => {
  const c = ctx({ itl_ms: 1000 }, { decode: decodeModel() });
  // Scheduled 80 000 + queued hand-offs 30 000 ≥ 100 000 capacity; est. ITL ≈ 16 ms ≪ 1000 ms.
  const full = (w: number, queued: number): Fpm => ({
    ...idleFpm(w, 0),
    numDecode: 4,
    sumDecodeKvTokens: 80_000,
    numQueuedDecode: queued ? 10 : 0,
    sumQueuedDecodeKvTokens: queued,
  });
  const up = decodeSla(c, [full(0, 30_000), full(1, 20_000)], 2);
  assert.equal(up.desired, 3);
  assert.equal(up.reason, "scale_up_kv");
  assert.ok(up.estItlMs! < 20);
  // One engine with room (80 000 + 10 000 < 100 000): the router can still place hand-offs there.
  assert.notEqual(decodeSla(c, [full(0, 30_000), full(1, 10_000)], 2).desired, 3);
});

Deno.test("load SLA decode: consolidating KV leaves the sensitivity's margin below capacity, so it cannot undo a KV scale-up", () => {
  const c = ctx({ itl_ms: 1000 }, { decode: decodeModel() });
  const held = (w: number, sched: number): Fpm => ({
    ...idleFpm(w, 0),
    numDecode: 4,
    sumDecodeKvTokens: sched,
  });
  // One engine at 100 000 scales up; two at 45 000 would hold 90 000 on one: under capacity, over 80 % of it.
  assert.equal(decodeSla(c, [held(0, 100_000)], 1).reason, "scale_up_kv");
  assert.equal(
    decodeSla(c, [held(0, 45_000), held(1, 45_000)], 2).reason,
    "scale_down_refused_consolidation",
  );
  // At 39 000 each the survivor holds 78 000, under 80 % of the capacity: down.
  assert.equal(decodeSla(c, [held(0, 39_000), held(1, 39_000)], 2).desired, 1);
});

/** An agg regression fed six passes priced 10 ms + 0.1 ms per prefill token + 0.1 µs per decode KV token. */
function sampledAggModel(): AggModel {
  const m = new AggModel(O);
  for (const [p, kv] of [[0, 1000], [500, 0], [1000, 20_000], [200, 50_000], [800, 80_000], [0, 90_000]]) {
    m.add({
      ...idleFpm(0, 0),
      numPrefill: p ? 1 : 0,
      sumPrefillTokens: p,
      numDecode: kv ? 4 : 0,
      sumDecodeKvTokens: kv,
      wallTimeS: 0.01 + 1e-4 * p + 1e-7 * kv,
    });
  }
  return m;
}

Deno.test("load SLA agg: up wins, down needs both sides, refusals keep the count", () => {
  const m = sampledAggModel();
  const c = ctx({ mode: "agg", ttft_ms: 300, itl_ms: 100 }, { agg: m }); // est. ITL ≈ 61 ms: decode never blocks
  const f = (w: number, q: number, kv: number): Fpm => ({
    ...idleFpm(w, 0),
    sumQueuedPrefillTokens: q,
    sumDecodeKvTokens: kv,
  });
  assert.equal(aggSla(c, [f(0, 5000, 1000), f(1, 5000, 1000)], 2).desired, 3);
  assert.equal(aggSla(c, [f(0, 0, 1000), f(1, 0, 1000)], 2).desired, 1);
  const keep = aggSla(c, [f(0, 1500, 1000), f(1, 0, 1000)], 2);
  assert.equal(keep.desired, 2);
  assert.equal(keep.reason, "scale_down_refused_consolidation");
});

/** Agg samples enough in number, but unfittable: wall time falls as prefill tokens grow (a negative coefficient). */
function unfittableAggFpms(): Fpm[] {
  return [[0, 1000], [500, 0], [1000, 20_000], [200, 50_000], [800, 80_000], [0, 90_000]].map(([p, kv]) => ({
    ...idleFpm(-1, 0),
    numPrefill: p ? 1 : 0,
    sumPrefillTokens: p,
    numDecode: kv ? 4 : 0,
    sumDecodeKvTokens: kv,
    wallTimeS: 0.2 - 1e-4 * p + 1e-7 * kv,
  }));
}

Deno.test("load SLA agg: a regression that does not fit gives no signal (insufficient_data), not no_change", () => {
  const m = new AggModel(O);
  for (const f of unfittableAggFpms()) m.add(f);
  assert.ok(m.regression.hasSufficientData);
  assert.equal(m.regression.fit(), null);
  const c = ctx({ mode: "agg", ttft_ms: 300, itl_ms: 100 }, { agg: m });
  const busy = (w: number): Fpm => ({
    ...idleFpm(w, 0),
    numDecode: 4,
    sumDecodeKvTokens: 1000,
    sumQueuedPrefillTokens: 500,
  });
  for (const n of [1, 2, 3]) {
    const d = aggSla(c, Array.from({ length: n }, (_, w) => busy(w)), n);
    assert.deepEqual(d, { desired: null, reason: "insufficient_data" }, `n = ${n}`);
  }
  // In the state machine, the load tick records it and decides nothing.
  const planner = effectivePlanner(parsePlannerConfig({
    mode: "agg",
    optimization_target: "sla",
    enable_load_scaling: true,
    load_adjustment_interval: 10,
    throughput_adjustment_interval: 60,
  }));
  const sm = new PlannerStateMachine(planner, { decode: caps });
  sm.loadBenchmarkFpms(unfittableAggFpms().slice(0, 3), unfittableAggFpms().slice(3));
  const out = sm.onTick(sm.initialTick(0), {
    nowS: 10,
    decode: { ready: 2, expected: 2 },
    fpms: { prefill: [], decode: [busy(0), busy(1)] },
  });
  assert.equal(out.decision, null);
  assert.equal(out.diagnostics.loadReason, "insufficient_data");
  assert.equal(out.diagnostics.estTtftMs, undefined);
  assert.equal(out.diagnostics.estItlMs, undefined);
});

Deno.test("an idle engine vetoes scale-up and passes consolidation, whatever its estimates (dynolab)", () => {
  const m = sampledAggModel();
  // The agg ITL estimate prices a pass with the mean prefill chunk: ≈ 60 ms on an idle engine, over 0.8 × 70.
  const c = ctx({ mode: "agg", ttft_ms: 300, itl_ms: 70 }, { agg: m });
  const idle = [idleFpm(0, 0), idleFpm(1, 0), idleFpm(2, 0)];
  assert.ok(aggSla(c, idle, 3).estItlMs! > 0.8 * 70);
  assert.equal(aggSla(c, idle, 3).desired, 2);
  // With decode work to consolidate, the same estimates refuse, as the reference does.
  const busy = idle.map((f) => ({ ...f, numDecode: 4, sumDecodeKvTokens: 1000 }));
  assert.equal(aggSla(c, busy, 3).reason, "scale_down_refused_consolidation");
  // Estimates over the SLA itself: busy engines scale up; idle ones shrink, and one idle engine vetoes up.
  const tight = ctx({ mode: "agg", ttft_ms: 300, itl_ms: 50 }, { agg: m });
  assert.equal(aggSla(tight, busy, 3).desired, 4);
  assert.equal(aggSla(tight, idle, 3).desired, 2);
  assert.equal(aggSla(tight, [busy[0], busy[1], idle[2]], 3).desired, 3);
  // Disagg decode: the idle estimate carries the mean batch and context of the last busy passes.
  const d = ctx({ itl_ms: 8 }, { decode: decodeModel() });
  const quiet = [idleFpm(0, 0), idleFpm(1, 0)];
  assert.ok(decodeSla(d, quiet, 2).estItlMs! > 0.8 * 8);
  assert.equal(decodeSla(d, quiet, 2).desired, 1);
});

Deno.test("load easy mode: thresholds by target; prefill falls back to MBT without max_model_len", () => {
  const c = ctx({ optimization_target: "throughput", mode: "disagg" });
  // Context = MBT = 1000: ratio ≥ 1 on any engine → up; all < 0.1 → down.
  assert.equal(prefillEasy(c, [queued(0, 1000), queued(1, 0)], 2).desired, 3);
  assert.equal(prefillEasy(c, [queued(0, 99), queued(1, 0)], 2).desired, 1);
  assert.equal(prefillEasy(c, [queued(0, 100), queued(1, 0)], 2).desired, null);
  const lat = ctx({ optimization_target: "latency", mode: "disagg" });
  assert.equal(prefillEasy(lat, [queued(0, 100)], 1).desired, 2);
  assert.equal(prefillEasy(lat, [queued(0, 0), queued(1, 0)], 2).desired, 1);
  const kv = (w: number, sched: number): Fpm => ({ ...idleFpm(w, 0), sumDecodeKvTokens: sched });
  assert.equal(kvEasy(c, [kv(0, 100_001)], 1, false).desired, 2);
  assert.equal(kvEasy(c, [kv(0, 59_999), kv(1, 0)], 2, false).desired, 1);
  assert.equal(kvEasy(lat, [kv(0, 40_001)], 1, false).desired, 2);
  // Agg adds queued prompt tokens to the utilisation.
  assert.equal(kvEasy(c, [{ ...kv(0, 50_000), sumQueuedPrefillTokens: 60_000 }], 1, true).desired, 2);
  // A worker of two DP ranks holds 50,000 tokens a rank, and each rank's FPM is weighed against that.
  const dp = { ...c, caps: { decode: { ...caps, ranks: 2 } } };
  assert.equal(kvEasy(dp, [{ ...kv(0, 50_001), rank: 0 }, { ...kv(0, 0), rank: 1 }], 1, false).desired, 2);
  assert.equal(kvEasy(dp, [{ ...kv(0, 49_999), rank: 0 }, { ...kv(0, 0), rank: 1 }], 1, false).desired, null);
  const load = ctx({
    optimization_target: "load",
    mode: "disagg",
    prefill_scale_up_queue_tokens: 500,
    prefill_scale_down_queue_tokens: 50,
    decode_scale_up_kv_rate: 80,
    decode_scale_down_kv_rate: 20,
  });
  assert.equal(prefillEasy(load, [queued(0, 500)], 1).desired, 2);
  assert.equal(prefillEasy(load, [queued(0, 50), queued(1, 10)], 2).desired, 1);
  assert.equal(kvEasy(load, [kv(0, 80_000)], 1, false).desired, 2);
});

Deno.test("reconcile: worker count and consistent DP ranks", () => {
  assert.equal(reconcile([idleFpm(0, 0), idleFpm(1, 0)], 2), true);
  assert.equal(reconcile([idleFpm(0, 0)], 2), false);
  assert.equal(reconcile([idleFpm(0, 0), idleFpm(0, 1), idleFpm(1, 0)], 2), false);
});

Deno.test("throughput: prefill latency floor and disagg decode sizing", () => {
  const c = ctx({ ttft_ms: 100, itl_ms: 25, min_endpoint: 1 }, {
    prefill: prefillModel(),
    decode: decodeModel(),
  });
  // ISL 2500: wt 0.28 s → engine 3.57 rps; demand 1 rps → ⌈0.28⌉ = 1, but TTFT 280 > 100: floor ⌈2.8⌉ = 3.
  const out = throughputReplicas({ ...c, demandRps: 1, isl: 2500, osl: 200, hitRate: 0 });
  assert.equal(out.prefill, 3);
  // Decode ctx = 2600: bs ≤ (0.025 − 0.005) / (1e-4 + 2.6e-4) = 55 (KV cap 38) → 38 / (200 · wt).
  const wt = 0.005 + 1e-4 * 38 + 1e-7 * 38 * 2600;
  close(out.engineRpsDecode!, 38 / (200 * wt));
  assert.equal(out.decode, Math.ceil(1 / (38 / (200 * wt))));
  assert.equal(out.reason, "scale");
});

Deno.test("throughput: a KV hit rate of 1 prices a prefill at f(0) and sizing goes on (disagg and agg)", () => {
  const c = ctx({ ttft_ms: 100, itl_ms: 25, min_endpoint: 1 }, {
    prefill: prefillModel(),
    decode: decodeModel(),
  });
  // Every prompt token cached: isl_eff = 0, wt = f(0) = 0.01 s → 100 req/s per prefill engine.
  const out = throughputReplicas({ ...c, demandRps: 150, isl: 2500, osl: 200, hitRate: 1 });
  assert.equal(out.reason, "scale");
  close(out.engineRpsPrefill!, 100);
  assert.equal(out.prefill, 2); // ⌈150 / 100⌉; TTFT 10 ms is under the SLA
  // Decode sizes as at any hit rate (ctx = ISL + OSL/2).
  assert.equal(
    out.decode,
    throughputReplicas({ ...c, demandRps: 150, isl: 2500, osl: 200, hitRate: 0 }).decode,
  );
  // Agg: no prefill tokens per pass and a TTFT of 0, so the ITL SLA alone bounds the batch: the KV cap,
  // ⌊100 000 / 2100⌋ = 47, at wt = f(0, 47 · 2100).
  const a = ctx({ mode: "agg", ttft_ms: 100, itl_ms: 25, min_endpoint: 1 }, { agg: sampledAggModel() });
  const agg = throughputReplicas({ ...a, demandRps: 20, isl: 2000, osl: 200, hitRate: 1 });
  assert.equal(agg.reason, "scale");
  const rps = 47 / (200 * (0.01 + 1e-7 * 47 * 2100));
  close(agg.engineRpsDecode!, rps, 1e-6);
  assert.equal(agg.decode, Math.ceil(20 / rps));
});

Deno.test("throughput: a worker with DP ranks serves its ranks' summed rate, each rank on its KV share", () => {
  const models = { prefill: prefillModel(), decode: decodeModel() };
  const one = ctx({ ttft_ms: 1000, itl_ms: 25, min_endpoint: 1 }, models);
  const dp4 = {
    ...one,
    caps: { prefill: { ...caps, ranks: 4 }, decode: { ...caps, maxKvTokens: 400_000, ranks: 4 } },
  };
  const a = throughputReplicas({ ...one, demandRps: 20, isl: 2500, osl: 200, hitRate: 0 });
  const b = throughputReplicas({ ...dp4, demandRps: 20, isl: 2500, osl: 200, hitRate: 0 });
  // Each rank holds 100,000 KV tokens, as the single-rank worker does: the same batch (38), four ranks' rate.
  close(b.engineRpsPrefill!, 4 * a.engineRpsPrefill!);
  close(b.engineRpsDecode!, 4 * a.engineRpsDecode!);
  assert.equal(b.prefill, Math.ceil(20 / b.engineRpsPrefill!));
  assert.equal(b.decode, Math.ceil(20 / b.engineRpsDecode!));
  assert.ok(b.decode! < a.decode!);
});

Deno.test("throughput: an agg worker with DP ranks serves its ranks' summed rate, each rank on its KV share", () => {
  // As for disagg: the agg regression learns one rank's passes, so one rank's rate at the SLA (its batch bounded
  // by its KV share, max_kv_tokens / dp) times the ranks is the worker's (dynolab; the reference divides the
  // demand by one rank's rate).
  const one = ctx({ mode: "agg", ttft_ms: 100, itl_ms: 25, min_endpoint: 1 }, { agg: sampledAggModel() });
  const dp4 = { ...one, caps: { ...one.caps, decode: { ...caps, maxKvTokens: 400_000, ranks: 4 } } };
  const a = throughputReplicas({ ...one, demandRps: 100, isl: 2000, osl: 200, hitRate: 1 });
  const b = throughputReplicas({ ...dp4, demandRps: 100, isl: 2000, osl: 200, hitRate: 1 });
  // Every prompt token cached (hit rate 1), so the ITL SLA alone bounds one rank's batch: its KV share's cap,
  // ⌊100 000 / 2100⌋ = 47, at wt = f(0, 47 · 2100) (as in the hit-rate test above).
  const rank = 47 / (200 * (0.01 + 1e-7 * 47 * 2100));
  close(a.engineRpsDecode!, rank, 1e-6);
  close(b.engineRpsDecode!, 4 * rank, 1e-6);
  close(b.engineRpsPrefill!, 4 * rank, 1e-6);
  // 11.8 requests/s a rank: 100 requests/s need 9 single-rank workers, 3 of 4 ranks.
  assert.deepEqual([a.decode, b.decode, b.reason], [9, 3, "scale"]);
});

Deno.test("budget clamps: single component and disagg split", () => {
  assert.equal(budgetClamp(10, 1, 8, 1), 8);
  assert.equal(budgetClamp(5, 2, 8, 1), 4);
  assert.equal(budgetClamp(5, 2, -1, 1), 5);
  assert.equal(budgetClamp(3, 4, 2, 1), 0);
  assert.deepEqual(globalBudget(2, 3, 1, 1, 8, 1, 1), [2, 3]);
  assert.deepEqual(globalBudget(10, 2, 1, 1, 8, 1, 1), [6, 2]); // P = ⌊10 · 8/12⌋ = 6; D = 8 − 6
  assert.deepEqual(globalBudget(1, 10, 2, 1, 8, 1, 1), [1, 6]);
  assert.deepEqual(globalBudget(3, 3, 2, 2, 3, 1, 1), [0, 0]);
});

Deno.test("budget clamps: a budget that is no multiple of a worker's GPUs rounds the workers down", () => {
  // `_budget_clamp`: floor(budget / gpu) workers, so the fleet never exceeds the budget: 8 GPUs hold two
  // 3-GPU workers (6 GPUs), not three (9).
  assert.equal(budgetClamp(10, 3, 8, 1), 2);
  assert.equal(budgetClamp(3, 3, 8, 1), 2);
  assert.equal(budgetClamp(2, 3, 8, 1), 2); // 6 ≤ 8: unchanged
  assert.equal(budgetClamp(5, 3, 7, 2), 2);
  assert.equal(budgetClamp(5, 3, 8, 3), 0); // 8 < 3 · 3: below the minimum fleet
  assert.equal(budgetClamp(9, 4, 11, 1), 2);
  for (const [desired, gpu, budget] of [[10, 3, 8], [7, 2, 9], [6, 4, 13], [20, 3, 10]]) {
    const n = budgetClamp(desired, gpu, budget, 1);
    assert.ok(n * gpu <= budget && (n + 1) * gpu > budget, `${desired} × ${gpu} under ${budget}: ${n}`);
  }
  // `_apply_global_budget` with such budgets: P = ⌊p · budget / total⌋ within room for the decode minimum, D the
  // rest, rounded down; the split stays within the budget.
  // 5P·3 + 5D·2 = 25 > 8: P = ⌊5 · 8/25⌋ = 1 (≥ 1), D = ⌊(8 − 3) / 2⌋ = 2: 7 GPUs.
  assert.deepEqual(globalBudget(5, 5, 3, 2, 8, 1, 1), [1, 2]);
  // 4P·3 + 1D·1 = 13 > 8: P = min(⌊(8 − 1) / 3⌋ = 2, ⌊4 · 8/13⌋ = 2) = 2, D = 8 − 6 = 2.
  assert.deepEqual(globalBudget(4, 1, 3, 1, 8, 1, 1), [2, 2]);
  // 2P·2 + 4D·3 = 16 > 11: P = ⌊2 · 11/16⌋ = 1, D = ⌊(11 − 2) / 3⌋ = 3: 11 GPUs.
  assert.deepEqual(globalBudget(2, 4, 2, 3, 11, 1, 1), [1, 3]);
});

Deno.test("tick schedule: the 0.5 s merge tolerance", () => {
  const planner = effectivePlanner(parsePlannerConfig({
    mode: "agg",
    optimization_target: "sla",
    enable_load_scaling: true,
    load_adjustment_interval_seconds: 10,
    throughput_adjustment_interval_seconds: 30.4,
  }));
  const dcaps = { ...caps, maxNumBatchedTokens: 8192, maxKvTokens: 1 << 20 };
  const sm = new PlannerStateMachine(planner, { decode: dcaps });
  let tick = sm.initialTick(0);
  const seen: string[] = [];
  for (let i = 0; i < 4; i++) {
    seen.push(`${tick.atS}:${tick.load ? "L" : ""}${tick.throughput ? "T" : ""}`);
    tick = sm.onTick(tick, { nowS: tick.atS, decode: { ready: 1, expected: 1 } }).next;
  }
  // 10, 20, 30 (throughput due at 30.4 ≤ 30 + 0.5: merged), then 40.
  assert.deepEqual(seen, ["10:L", "20:L", "30:LT", "40:L"]);
  const only = new PlannerStateMachine(
    effectivePlanner(
      parsePlannerConfig({
        mode: "agg",
        optimization_target: "sla",
        load_adjustment_interval: 10,
        throughput_adjustment_interval: 30.6,
      }),
    ),
    { decode: dcaps },
  );
  // Throughput scaling alone still ticks at the load cadence (live FPMs feed the regressions), without traffic.
  assert.deepEqual(only.initialTick(0), { atS: 10, load: true, throughput: false, traffic: false });
});

Deno.test("state machine: scaling in progress and worker-count mismatch block load decisions", () => {
  const planner = effectivePlanner(parsePlannerConfig({ mode: "agg", optimization_target: "throughput" }));
  const sm = new PlannerStateMachine(planner, { decode: caps });
  const tick = sm.initialTick(0);
  const busy = (w: number): Fpm => ({ ...idleFpm(w, 0), sumDecodeKvTokens: 200_000 });
  const starting = sm.onTick(tick, {
    nowS: 5,
    decode: { ready: 1, expected: 2 },
    fpms: { prefill: [], decode: [busy(0)] },
  });
  assert.equal(starting.decision, null);
  assert.equal(starting.diagnostics.loadReason, "scaling_in_progress");
  const mismatch = sm.onTick(tick, {
    nowS: 10,
    decode: { ready: 2, expected: 2 },
    fpms: { prefill: [], decode: [busy(0)] },
  });
  assert.equal(mismatch.diagnostics.loadReason, "worker_count_mismatch");
  const up = sm.onTick(tick, {
    nowS: 15,
    decode: { ready: 1, expected: 1 },
    fpms: { prefill: [], decode: [busy(0)] },
  });
  assert.deepEqual(up.decision, { prefill: null, decode: 2 });
  assert.equal(up.diagnostics.loadReason, "scale_up");
});

Deno.test("state machine: disagg at its minimum fleet, idle, reports no scale-down it did not make", () => {
  const planner = effectivePlanner(parsePlannerConfig({
    mode: "disagg",
    optimization_target: "throughput",
    prefill_min_endpoint: 2,
    decode_min_endpoint: 3,
  }));
  const sm = new PlannerStateMachine(planner, { prefill: caps, decode: caps });
  const out = sm.onTick(sm.initialTick(0), {
    nowS: 5,
    prefill: { ready: 2, expected: 2 },
    decode: { ready: 3, expected: 3 },
    fpms: { prefill: [idleFpm(0, 0), idleFpm(1, 0)], decode: [idleFpm(2, 0), idleFpm(3, 0), idleFpm(4, 0)] },
  });
  assert.equal(out.decision, null);
  assert.equal(out.diagnostics.loadReason, "no_change");
});

Deno.test("state machine: a lower bound set by a merged tick's throughput step applies to its load decision", () => {
  const planner = effectivePlanner(parsePlannerConfig({
    mode: "agg",
    optimization_target: "sla",
    enable_load_scaling: true,
    load_predictor: "constant",
    load_adjustment_interval: 10,
    throughput_adjustment_interval: 30,
  }));
  const sm = new PlannerStateMachine(planner, {
    decode: { ...caps, maxNumBatchedTokens: 8192, maxKvTokens: 1 << 20 },
  });
  const linear = [];
  for (let p = 0; p <= 8000; p += 1000) {
    linear.push({ ...idleFpm(-1, 0), numPrefill: 1, sumPrefillTokens: p, wallTimeS: 0.01 + 2e-5 * p });
  }
  for (let kv = 0; kv <= 800_000; kv += 100_000) {
    linear.push({ ...idleFpm(-1, 0), numDecode: 8, sumDecodeKvTokens: kv, wallTimeS: 0.01 + 2e-8 * kv });
  }
  sm.loadBenchmarkFpms(linear.slice(0, 9), linear.slice(9));
  const traffic = {
    durationS: 30,
    numReq: 3000,
    isl: 2000,
    osl: 200,
    kvHitRate: 0,
    acceptLength: null,
    ttftMs: null,
    itlMs: null,
  };
  const out = sm.onTick({ atS: 30, load: true, throughput: true, traffic: true }, {
    nowS: 30,
    decode: { ready: 2, expected: 2 },
    fpms: { prefill: [], decode: [idleFpm(0, 0), idleFpm(1, 0)] }, // idle: load alone would scale down
    traffic,
  });
  assert.equal(out.diagnostics.throughputReason, "set_lower_bound");
  const bound = out.diagnostics.lowerBoundDecode;
  assert.ok(bound > 2, `lower bound ${bound}`);
  assert.deepEqual(out.decision, { prefill: null, decode: Math.min(bound, 8) }); // GPU budget 8
  assert.equal(out.diagnostics.loadReason, "scale_up");
  // A window without requests is skipped as the reference skips it, keeping the bound it had.
  const empty = sm.onTick({ atS: 60, load: false, throughput: true, traffic: true }, {
    nowS: 60,
    decode: { ready: 8, expected: 8 },
    traffic: { ...traffic, numReq: 0, isl: 0, osl: 0 },
  });
  assert.equal(empty.diagnostics.throughputReason, "no_traffic_data");
  assert.equal(empty.diagnostics.lowerBoundDecode, bound);
});

Deno.test("state machine: a decode pool whose KV is oversubscribed grows, and the diagnostics say why", () => {
  const planner = effectivePlanner(parsePlannerConfig({
    mode: "disagg",
    optimization_target: "sla",
    itl_ms: 1000,
    enable_throughput_scaling: false,
    enable_load_scaling: true,
    load_adjustment_interval: 10,
  }));
  const sm = new PlannerStateMachine(planner, { prefill: caps, decode: caps });
  const decodeSamples = [0, 20_000, 40_000, 60_000, 80_000].map((kv) => ({
    ...idleFpm(-1, 0),
    numDecode: 8,
    sumDecodeKvTokens: kv,
    wallTimeS: 0.005 + 1e-7 * kv,
  }));
  const prefillSamples = [200, 400, 600, 800, 1000].map((t) => ({
    ...idleFpm(-1, 0),
    numPrefill: 1,
    sumPrefillTokens: t,
    wallTimeS: 0.01 + 1e-4 * t,
  }));
  sm.loadBenchmarkFpms(prefillSamples, decodeSamples);
  // 80 000 scheduled + 30 000 queued hand-off tokens on a 100 000-token pool; est. ITL ≈ 16 ms ≪ 1000 ms.
  const full = { ...idleFpm(0, 0), numDecode: 8, sumDecodeKvTokens: 80_000, sumQueuedDecodeKvTokens: 30_000 };
  const out = sm.onTick(sm.initialTick(0), {
    nowS: 10,
    prefill: { ready: 1, expected: 1 },
    decode: { ready: 1, expected: 1 },
    fpms: { prefill: [{ ...idleFpm(0, 0), numPrefill: 1, sumPrefillTokens: 500 }], decode: [full] },
  });
  assert.equal(out.decision?.decode, 2);
  assert.equal(out.diagnostics.loadReasonDecode, "scale_up_kv");
  assert.equal(out.diagnostics.loadReason, "scale_up_kv");
});

Deno.test("state machine: without a fitted model, a directly applied throughput step still raises a pool to its minimum", () => {
  const traffic = {
    durationS: 60,
    numReq: 60,
    isl: 1000,
    osl: 100,
    kvHitRate: 0,
    acceptLength: null,
    ttftMs: null,
    itlMs: null,
  };
  const tick = { atS: 60, load: false, throughput: true, traffic: true };
  // No bootstrap and no FPMs: no model is fitted.
  const machine = (c: Record<string, unknown>, prefill = true) =>
    new PlannerStateMachine(
      effectivePlanner(parsePlannerConfig({ optimization_target: "sla", load_predictor: "constant", ...c })),
      prefill ? { prefill: caps, decode: caps } : { decode: caps },
    );
  const agg = machine({ mode: "agg", min_endpoint: 3 }, false);
  const below = agg.onTick(tick, { nowS: 60, decode: { ready: 1, expected: 1 }, traffic });
  assert.equal(below.diagnostics.throughputReason, "model_not_ready");
  assert.deepEqual(below.decision, { prefill: null, decode: 3 });
  // At or above the minimum nothing moves.
  assert.equal(agg.onTick(tick, { nowS: 120, decode: { ready: 3, expected: 3 }, traffic }).decision, null);
  assert.equal(agg.onTick(tick, { nowS: 180, decode: { ready: 5, expected: 5 }, traffic }).decision, null);
  // Disagg: only the pool below its minimum moves, through the GPU budget (8 GPUs: 3P + 6D is over it, so
  // the budget's split is 3P + 5D), and the pool above its minimum is left alone.
  const disagg = machine({ mode: "disagg", prefill_min_endpoint: 3 });
  const split = disagg.onTick(tick, {
    nowS: 60,
    prefill: { ready: 1, expected: 1 },
    decode: { ready: 6, expected: 6 },
    traffic,
  });
  assert.equal(split.diagnostics.throughputReason, "model_not_ready");
  assert.deepEqual(split.decision, { prefill: 3, decode: null });
  const atMin = { prefill: { ready: 3, expected: 3 }, decode: { ready: 1, expected: 1 } };
  assert.equal(disagg.onTick(tick, { nowS: 120, ...atMin, traffic }).decision, null);
  // With load scaling on, the throughput step only sets a lower bound: nothing to raise there.
  const both = machine({ mode: "agg", min_endpoint: 3, enable_load_scaling: true }, false);
  assert.equal(both.onTick(tick, { nowS: 60, decode: { ready: 1, expected: 1 }, traffic }).decision, null);
});

Deno.test("state machine: the engines' aic_nextn bounds the accept length before the planner's speculative_nextn", () => {
  // Load-only SLA agg; the regression prices every pass at 20 ms (and 10⁻¹² s a token), so est. ITL is
  // 20 ms / accept.
  const flat = [0, 20_000, 40_000, 60_000, 80_000].flatMap((kv) =>
    [0, 1000].map((p) => ({
      ...idleFpm(-1, 0),
      numPrefill: p ? 1 : 0,
      sumPrefillTokens: p,
      numDecode: 4,
      sumDecodeKvTokens: kv,
      wallTimeS: 0.02 + 1e-12 * (p + kv),
    }))
  );
  const estItl = (nextn: number, speculative_nextn: number) => {
    const planner = effectivePlanner(parsePlannerConfig({
      mode: "agg",
      optimization_target: "sla",
      enable_throughput_scaling: false,
      enable_load_scaling: true,
      itl_ms: 1000,
      speculative_nextn,
    }));
    const sm = new PlannerStateMachine(planner, { decode: { ...caps, nextn } });
    sm.loadBenchmarkFpms([], flat);
    const out = sm.onTick(sm.initialTick(0), {
      nowS: 5,
      decode: { ready: 1, expected: 1 },
      fpms: { prefill: [], decode: [{ ...idleFpm(0, 0), numDecode: 4, sumDecodeKvTokens: 10_000 }] },
      traffic: {
        durationS: 5,
        numReq: 10,
        isl: 1000,
        osl: 100,
        kvHitRate: null,
        acceptLength: 4.5,
        ttftMs: null,
        itlMs: null,
      },
    });
    return out.diagnostics.estItlMs!;
  };
  close(estItl(0, 0), 20, 1e-5); // no speculative decoding: accept 1
  close(estItl(2, 0), 20 / 3, 1e-5); // the engines draft 2: accept ≤ 3
  close(estItl(0, 2), 20 / 3, 1e-5); // the planner's key when the engines say nothing
  close(estItl(1, 4), 20 / 2, 1e-5); // the engines' count first, as the reference's
});

Deno.test("runtime: a pool's capabilities carry its engines' draft count (aic_nextn)", () => {
  const w = workloadOf([{ input: 512, output: 20 }]);
  const planner = { mode: "agg", optimization_target: "sla", load_adjustment_interval_seconds: 0.5 };
  const mtp = run(w, {
    topology: { mode: "agg", num_workers: 1, engine: { ...fixedTiming(10, 5), aic_nextn: 2 } },
    planner,
  });
  assert.equal(mtp.planner!.stateMachine.caps.decode.nextn, 2);
  const plain = run(w, { topology: { mode: "agg", num_workers: 1, engine: fixedTiming(10, 5) }, planner });
  assert.equal(plain.planner!.stateMachine.caps.decode.nextn, 0);
});

Deno.test("runtime: a preempted request waits in the FPM as queued decode work, not as a prompt to prefill", () => {
  // Two 4-token prompts of 60 output tokens on 20 blocks of 4: both are admitted at once, and one is preempted
  // when their KV outgrows the pool.
  const w = workloadOf([{ input: 4, output: 60 }, { input: 4, output: 60 }], 4);
  const { planner, cluster } = run(w, {
    topology: {
      mode: "agg",
      num_workers: 1,
      engine: { block_size: 4, num_gpu_blocks: 20, ...fixedTiming(10, 5) },
    },
    planner: { mode: "agg", optimization_target: "throughput", load_adjustment_interval_seconds: 0.1 },
  });
  assert.equal(cluster.engines[0].preemptions, 1);
  const loads = planner!.ticks.map((t) => t.decodeEngines![0]);
  // No prompt ever waits to prefill.
  assert.deepEqual(loads.map(([, queuedPrefill]) => queuedPrefill), [0, 0, 0, 0]);
  // At 0.2 s the preempted request's 41 known tokens (4 + 37 generated) wait beside the running one's 42.
  assert.deepEqual(loads[1], [0, 0, 42 + 41]);
});

Deno.test("runtime: an attention-DP rank with nothing to do reports idle while its group's passes run", () => {
  // One worker of two DP ranks; rank 0 decodes 400 tokens, rank 1 one request of 2 and then nothing.
  const w = workloadOf([{ input: 512, output: 400 }, { input: 512, output: 2 }]);
  const { planner } = run(w, {
    topology: { mode: "agg", num_workers: 1, engine: { ...fixedTiming(10, 5), aic_attention_dp_size: 2 } },
    planner: { mode: "agg", load_adjustment_interval_seconds: 0.5 },
  });
  const later = planner!.ticks.filter((t) => t.load && t.atS >= 1 && t.atS <= 1.5);
  assert.ok(later.length > 0);
  for (const t of later) {
    const loads = t.decodeEngines!.map(([, , kv]) => kv);
    assert.equal(loads.filter((kv) => kv === 0).length, 1, JSON.stringify(t.decodeEngines));
  }
});
