import assert from "node:assert/strict";
import { formatRunSummary, reportJson } from "../../lib/report/mod.ts";
import { type HandoffSummary, Status } from "../../lib/metrics/mod.ts";
import { fixedTiming, run, workloadOf } from "../_fixtures.ts";

const agg = (engine: Record<string, unknown> = {}, workers = 1) => ({
  topology: { mode: "agg" as const, num_workers: workers, engine },
});

Deno.test("same-time arrivals are scheduled together in one pass", () => {
  const w = workloadOf([1, 2, 3].map(() => ({ input: 100, output: 2 })));
  const { collector, cluster } = run(w, agg(fixedTiming(10, 5)));
  assert.deepEqual([...collector.firstTokenMs], [15, 15, 15]);
  assert.equal(cluster.engines[0].passes, 2);
});

Deno.test("sessions: the next turn arrives after the previous completion plus its delay", () => {
  const w = workloadOf([
    { input: 64, output: 3, session: "a", at: 100 },
    { input: 128, output: 2, session: "a", delay: 50 },
  ]);
  const { collector } = run(w, agg(fixedTiming(10, 5)));
  // Turn 1: arrives 0 (normalised), first token at 15, done at 25. Turn 2 arrives 25 + 50.
  assert.equal(collector.terminalMs[0], 25);
  assert.equal(collector.arrivalMs[1], 75);
  assert.equal(collector.firstTokenMs[1], 90);
});

Deno.test("arrival speed-up divides arrivals and inter-turn delays", () => {
  const w = workloadOf(
    [
      { input: 64, output: 1, session: "a", at: 0 },
      { input: 64, output: 1, session: "a", delay: 1000 },
      { input: 64, output: 1, at: 4000 },
    ],
    64,
    4,
  );
  const { collector } = run(w, agg(fixedTiming(10, 0)));
  assert.equal(collector.arrivalMs[1], 10 + 250);
  assert.equal(collector.arrivalMs[2], 1000);
});

Deno.test("closed loop: concurrency 1 runs requests one after another, latency from dispatch", () => {
  const w = workloadOf([0, 1, 2].map(() => ({ input: 64, output: 2, at: 0 })));
  const { collector, report } = run(w, { ...agg(fixedTiming(10, 5)), replay_concurrency: 1 });
  assert.deepEqual([...collector.arrivalMs], [0, 20, 40]);
  assert.equal(report.mean_ttft_ms, 15);
});

Deno.test("closed loop: a slot freed by a rejection at a pass start is refilled at once, not at the pass end", () => {
  // Concurrency 2: the second request is over max_model_len and is rejected as the first one's prefill starts.
  const w = workloadOf([
    { input: 512, output: 20, at: 0 },
    { input: 4096, output: 2, at: 0 },
    { input: 512, output: 20, at: 0 },
  ]);
  const { collector } = run(w, {
    ...agg({ ...fixedTiming(10, 5), max_model_len: 3000 }),
    replay_concurrency: 2,
  });
  assert.equal(collector.status[1], Status.Rejected);
  assert.equal(collector.arrivalMs[2], 0, "dispatched with the rejection, not when the pass ends (15 ms)");
});

Deno.test("closed loop: continuing session turns go before new sessions", () => {
  const w = workloadOf([
    { input: 64, output: 1, session: "a" },
    { input: 64, output: 1, session: "a", delay: 0 },
    { input: 64, output: 1, session: "b" },
  ]);
  const { collector } = run(w, { ...agg(fixedTiming(10, 0)), replay_concurrency: 1 });
  assert.ok(collector.arrivalMs[1] < collector.arrivalMs[2]);
  // Four sessions of three turns (and a fifth waiting) at concurrency 4: turns that end together free four
  // slots, and all four sessions' next turns take them before the fifth session starts.
  const rows = [0, 1, 2, 3, 4].flatMap((s) =>
    [0, 1, 2].map((turn) => ({ input: 64, output: 3, session: `s${s}`, ...(turn ? { delay: 0 } : {}) }))
  );
  const four = run(workloadOf(rows), { ...agg(fixedTiming(10, 5)), replay_concurrency: 4 }).collector;
  const turns = (turn: number) => [0, 1, 2, 3].map((s) => four.arrivalMs[3 * s + turn]);
  assert.deepEqual([turns(0), turns(1), turns(2)], [[0, 0, 0, 0], [25, 25, 25, 25], [50, 50, 50, 50]]);
  assert.equal(four.arrivalMs[12], 75, "the fifth session starts once the four have ended");
});

Deno.test("round robin alternates workers; GPU-hours count provisioned workers", () => {
  const w = workloadOf([0, 1, 2, 3].map((i) => ({ input: 64, output: 1, at: i })));
  const { collector, report } = run(w, { ...agg(fixedTiming(10, 0), 2), router: { mode: "round_robin" } });
  assert.deepEqual([...collector.computeEngine], [0, 1, 0, 1]);
  const duration = report.duration_ms as number;
  assert.ok(Math.abs((report.decode_worker_seconds as number) - 2 * duration / 1000) < 1e-12);
  assert.ok(Math.abs((report.gpu_hours as number) - 2 * duration / 1000 / 3600) < 1e-15);
});

Deno.test("kv_router sends a request to the worker holding its prefix", () => {
  const ids = [1, 2, 3, 4];
  const w = workloadOf([
    { input: 256, output: 1, ids, at: 0 },
    { input: 256, output: 1, at: 1 },
    { input: 256, output: 1, ids, at: 1000 },
  ]);
  const { collector } = run(w, { ...agg(fixedTiming(10, 0), 2), router: { mode: "kv_router" } });
  assert.equal(collector.computeEngine[2], collector.computeEngine[0]);
  assert.equal(collector.reusedTokens[2], 192);
});

Deno.test("random routing is seeded: same seed, same placement; reports byte-identical", () => {
  const w = workloadOf(Array.from({ length: 40 }, (_, i) => ({ input: 100 + i, output: 3, at: i * 3 })));
  const spec = { ...agg({}, 4), router: { mode: "random" as const }, seed: 7 };
  const a = run(w, spec), b = run(w, spec);
  assert.equal(reportJson(a.report), reportJson(b.report));
  assert.deepEqual([...a.collector.computeEngine], [...b.collector.computeEngine]);
  const c = run(w, { ...spec, seed: 8 });
  assert.notDeepEqual([...a.collector.computeEngine], [...c.collector.computeEngine]);
});

const disagg = (prefill: Record<string, unknown>, decode: Record<string, unknown>, extra = {}) => ({
  topology: { mode: "disagg" as const, prefill_engine: prefill, decode_engine: decode, ...extra },
});

Deno.test("disagg: TTFT = prefill pass + handoff + first decode pass; no transfer delay by default", () => {
  const w = workloadOf([{ input: 1000, output: 4 }]);
  const { collector, report } = run(w, disagg(fixedTiming(30, 99), fixedTiming(99, 7)));
  assert.equal(collector.firstTokenMs[0], 30 + 7);
  assert.equal(report.mean_itl_ms, 7);
  assert.equal(report.total_output_tokens, 4);
  assert.equal(collector.computeEngine[0], 0);
  assert.equal(collector.decodeEngine[0], 1);
});

Deno.test("disagg: KV transfer takes prompt × bytes per token ÷ bandwidth", () => {
  const w = workloadOf([{ input: 10_000, output: 2 }]);
  const prefill = { ...fixedTiming(30, 0), kv_bytes_per_token: 131_072, kv_transfer_bandwidth: 400 };
  const { collector } = run(w, disagg(prefill, fixedTiming(0, 5)));
  const transfer = 10_000 * 131_072 / 400e9 * 1000;
  assert.ok(Math.abs(collector.firstTokenMs[0] - (30 + 30 + transfer + 5)) < 1e-9); // two 8192-budget chunks
});

Deno.test("disagg: the decode engines' transfer args have no effect, and say so", () => {
  const w = workloadOf([{ input: 10_000, output: 2 }]);
  const decode = { ...fixedTiming(0, 5), kv_bytes_per_token: 131_072, kv_transfer_bandwidth: 400 };
  const { collector, report } = run(w, disagg(fixedTiming(30, 0), decode));
  assert.equal(collector.firstTokenMs[0], 30 + 30 + 5, "no transfer time");
  const warnings = (report.dynolab as { warnings: string[] }).warnings;
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0], /kv_transfer_bandwidth 400 have no effect.*prefill \(source\).*unset/);
  // The same value on both sides is the usual way to give it (the DSL's .engine() sets both): no warning.
  const both = run(w, disagg({ ...decode, ...fixedTiming(30, 0) }, decode));
  assert.deepEqual((both.report.dynolab as { warnings: string[] }).warnings, []);
  // Without a size in bytes, the prefill engines' bandwidth times nothing either.
  const unsized = run(w, disagg({ ...fixedTiming(30, 0), kv_transfer_bandwidth: 400 }, fixedTiming(0, 5)));
  assert.match(
    (unsized.report.dynolab as { warnings: string[] }).warnings.join(),
    /instant, as in the reference/,
  );
});

Deno.test("disagg: with link sharing, simultaneous transfers from one worker share its bandwidth", () => {
  const w = workloadOf([{ input: 1000, output: 1 }, { input: 1000, output: 1 }]);
  const prefill = { ...fixedTiming(10, 0), kv_bytes_per_token: 1_000_000, kv_transfer_bandwidth: 1 };
  const alone = 1000 * 1e6 / 1e9 * 1000; // 1000 ms each
  const plain = run(w, disagg(prefill, fixedTiming(0, 5)));
  assert.deepEqual([...plain.collector.firstTokenMs], [10 + alone + 5, 10 + alone + 5]);
  const shared = run(w, disagg(prefill, fixedTiming(0, 5), { kv_transfer_link_sharing: true }));
  assert.deepEqual([...shared.collector.firstTokenMs], [10 + 2 * alone + 5, 10 + 2 * alone + 5]);
});

Deno.test("disagg: a shared link keeps one pending check however many transfers are in flight", () => {
  // 200 prompts 1 ms apart, each 1 s alone on the link: ~200 transfers share it at the peak. Each link used to
  // keep a check per transfer, each re-armed at every completion: 47.8 million events on a Mooncake replay.
  const n = 200;
  const w = workloadOf(Array.from({ length: n }, (_, i) => ({ input: 1000, output: 1, at: i })));
  const prefill = { ...fixedTiming(1, 0), kv_bytes_per_token: 1_000_000, kv_transfer_bandwidth: 1 };
  const { cluster, collector } = run(
    w,
    disagg(prefill, fixedTiming(0, 5), { kv_transfer_link_sharing: true }),
  );
  assert.ok(collector.status.every((s) => s === Status.Completed));
  // The link carries 200 s of transfers back to back; they land in arrival order, the last at ~200 s.
  const first = [...collector.firstTokenMs];
  assert.ok(first.every((t, i) => i === 0 || t >= first[i - 1]));
  assert.ok(Math.abs(first[n - 1] - n * 1000) < n + 10, `${first[n - 1]}`);
  assert.ok(cluster.events < 10 * n, `${cluster.events} events for ${n} requests`);
});

Deno.test("disagg: destination_missing charges only the prompt blocks missing at the decode worker", () => {
  const w = workloadOf([
    { input: 256, output: 1, ids: [1, 2, 3, 4] },
    { input: 256, output: 1, ids: [1, 2, 8, 9], at: 5000 },
  ]);
  const prefill = {
    ...fixedTiming(10, 0),
    kv_bytes_per_token: 1_000_000,
    kv_transfer_bandwidth: 1,
    kv_transfer_timing_mode: "destination_missing",
  };
  const { collector } = run(w, disagg(prefill, fixedTiming(0, 5)));
  assert.equal(collector.firstTokenMs[0], 10 + 256 + 5);
  // The decode worker already holds the two shared blocks; 128 tokens travel.
  assert.equal(collector.firstTokenMs[1] - 5000, 10 + 128 + 5);
});

Deno.test("disagg: destination_missing counts no block still in transfer as at the decode worker", () => {
  // Two prompts of the same blocks end their prefills at once on two prefill workers: both transfers move the
  // whole prompt (the first's blocks count only once they have landed, as vLLM caches a remote prefill's).
  const w = workloadOf([{ input: 256, output: 1, ids: [1, 2, 3, 4] }, {
    input: 256,
    output: 1,
    ids: [1, 2, 3, 4],
  }]);
  const prefill = {
    ...fixedTiming(10, 0),
    kv_bytes_per_token: 1_000_000,
    kv_transfer_bandwidth: 1,
    kv_transfer_timing_mode: "destination_missing",
  };
  const { collector } = run(w, disagg(prefill, fixedTiming(0, 5), { num_prefill_workers: 2 }));
  assert.deepEqual([...collector.kvArrivedMs], [10 + 256, 10 + 256]);
  assert.deepEqual([...collector.decodeReusedTokens], [0, 0]);
});

Deno.test("disagg: a decode pool short of KV backs up into the prefill pool's KV, as vLLM's hand-off does", () => {
  // Six 4-block prompts at once. The prefill pool holds two prompts; the decode pool two growing sequences.
  const w = workloadOf(Array.from({ length: 6 }, () => ({ input: 256, output: 50 })));
  const prefill = { ...fixedTiming(10, 0), num_gpu_blocks: 8 };
  const tightRun = run(w, disagg(prefill, { ...fixedTiming(0, 5), num_gpu_blocks: 10 }));
  const roomyRun = run(w, disagg(prefill, { ...fixedTiming(0, 5), num_gpu_blocks: 1000 }));
  const tight = tightRun.collector, roomy = roomyRun.collector;
  for (const c of [tight, roomy]) {
    assert.ok(c.status.every((s) => s === Status.Completed));
    assert.equal(c.outputTokens.reduce((a, b) => a + b, 0), 6 * 50);
  }
  // Roomy: every hand-off reserves at once, the source frees its copy, the next pair prefills 10 ms later.
  assert.deepEqual([...roomy.firstAdmitMs], [0, 0, 10, 10, 20, 20]);
  assert.deepEqual([...roomy.reservedMs], [...roomy.handoffMs]);
  // Tight: the second pair's hand-off waits for decode blocks while the prefill worker holds its KV, so the
  // third pair cannot start its prefill until that KV has left.
  assert.ok(tight.reservedMs[2] > tight.handoffMs[2] + 100);
  assert.equal(
    Math.min(tight.firstAdmitMs[4], tight.firstAdmitMs[5]),
    Math.min(tight.kvArrivedMs[2], tight.kvArrivedMs[3]),
  );
  assert.ok(tight.firstAdmitMs[4] > 200);
  // The report says where the hand-offs' time went: the four later requests waited for decode KV.
  const handoff = (r: typeof tightRun) => (r.report.dynolab as { handoff: HandoffSummary }).handoff;
  assert.equal(handoff(roomyRun).waited_share, 0);
  assert.equal(handoff(tightRun).waited_share, 4 / 6);
  assert.equal(handoff(tightRun).decode_kv_wait_ms!.max, tight.reservedMs[4] - tight.handoffMs[4]);
});

Deno.test("disagg: prefill and decode block sizes must agree", () => {
  const w = workloadOf([{ input: 64, output: 1 }]);
  assert.throws(() => run(w, disagg({ block_size: 32 }, { block_size: 64 })), /same block size/);
});

Deno.test("max_sim_time_seconds stops the clock; unfinished requests are incomplete", () => {
  const w = workloadOf([0, 1, 2, 3].map((i) => ({ input: 64, output: 10, at: i * 1000 })));
  const { report, cluster } = run(w, { ...agg(fixedTiming(10, 10)), max_sim_time_seconds: 1.05 });
  assert.equal(report.completed_requests, 1); // done at 110 ms; the second, from 1000 ms, runs until 1110 ms
  assert.equal(report.incomplete_requests, 1);
  assert.equal(report.num_requests, 2);
  assert.equal(cluster.truncated, true);
  assert.equal(cluster.endMs, 1050);
  assert.equal(
    formatRunSummary(report).find((l) => l.startsWith("Stopped")),
    "Stopped at the simulated-time limit (1.05 s): incomplete, 1 request in flight and 2 requests not yet sent, " +
      "in no statistic",
  );
  // With a warm-up (the first request) still running at the limit, the summary counts it apart.
  const warm =
    run(w, { ...agg(fixedTiming(10, 10)), max_sim_time_seconds: 0.05, warmup_request_count: 1 }).report;
  assert.match(
    formatRunSummary(warm).find((l) => l.startsWith("Stopped"))!,
    /\(nor 1 request of the warm-up\)$/,
  );
});

Deno.test("max_sim_time_seconds: the token gaps of requests cut off unfinished stay out of the ITL", () => {
  // The first request completes with 10 tokens (9 gaps of 10 ms); the second, cut off, has 3 gaps of 20 ms.
  const w = workloadOf([{ input: 64, output: 10 }, { input: 64, output: 10, at: 1000 }]);
  const { report, collector } = run(w, { ...agg(fixedTiming(10, 20)), max_sim_time_seconds: 1.1 });
  assert.equal(report.completed_requests, 1);
  assert(collector.outputTokens[1] > 1, "the second request has emitted several tokens");
  const { weights, count } = collector.completedGaps();
  assert.equal(weights.subarray(0, count).reduce((a, b) => a + b, 0), 9);
  assert.equal(report.max_itl_ms, report.min_itl_ms);
});

Deno.test("goodput counts requests meeting every SLA", () => {
  const w = workloadOf([{ input: 64, output: 3 }, { input: 64, output: 3, at: 1000 }]);
  const res = run(w, { ...agg(fixedTiming(10, 5)), sla: { ttft_ms: 20, itl_ms: 5 } });
  assert.equal(res.report.goodput_completed_requests, 2);
  const strict = run(w, { ...agg(fixedTiming(10, 5)), sla: { ttft_ms: 10 } });
  assert.equal(strict.report.goodput_completed_requests, 0);
});

Deno.test("dp_size: each worker has independent ranks; GPUs per worker = TP × DP", () => {
  const w = workloadOf([0, 1, 2, 3].map((i) => ({ input: 64, output: 2, at: i })));
  const { collector, report, cluster } = run(w, { ...agg({ dp_size: 2, ...fixedTiming(10, 5) }, 2) });
  assert.equal(cluster.engines.length, 4);
  assert.deepEqual([...collector.computeEngine], [0, 1, 2, 3]);
  assert.equal(report.decode_gpus_per_worker, 2);
  assert.equal(cluster.pools[0].workers.length, 2);
});

Deno.test("warm-up requests are served but enter no statistic", () => {
  // Closed loop of 1: requests run one after another; the first two are warm-up.
  const w = workloadOf([1, 2, 3, 4].map(() => ({ input: 100, output: 3 })));
  const spec = { ...agg(fixedTiming(10, 5)), replay_concurrency: 1 };
  const all = run(w, spec).report;
  const { report, collector } = run(w, { ...spec, warmup_request_count: 2 });
  assert.deepEqual([...collector.warmup], [1, 1, 0, 0]);
  assert.equal(report.num_requests, 2);
  assert.equal(report.completed_requests, 2);
  assert.equal(report.total_output_tokens, 6);
  assert.equal(report.mean_ttft_ms, all.mean_ttft_ms);
  // Only the measured requests' gaps are pooled: 2 per request.
  assert.equal(report.max_itl_ms, 5);
  // The throughput window runs from the first measured dispatch (t = 50) to the last completion (t = 100).
  assert.equal(report.duration_ms, 50);
  assert.equal((report.dynolab as Record<string, unknown>).warmup_requests, 2);
});

Deno.test("closed loop: the profiling phase starts once the warm-up has drained, with every slot at once", () => {
  // Each request takes 25 ms alone or in a pair (first token at 15, two more 5 ms passes).
  const w = workloadOf([0, 1, 2, 3, 4, 5].map(() => ({ input: 100, output: 3 })));
  const { collector } = run(w, {
    ...agg(fixedTiming(10, 5)),
    replay_concurrency: 2,
    warmup_request_count: 3,
  });
  // Warm-up: 0 and 1 at t = 0, then 2 alone at 25; request 3 waits for 2 to end (50) and goes with 4.
  assert.deepEqual([...collector.arrivalMs], [0, 0, 25, 50, 50, 75]);
  assert.deepEqual([...collector.warmup], [1, 1, 1, 0, 0, 0]);
});

Deno.test("open loop: a draining warm-up delays the rest of the schedule, keeping its spacing", () => {
  const w = workloadOf([0, 10, 20, 30].map((at) => ({ input: 100, output: 3, at })));
  const { collector, report } = run(w, { ...agg(fixedTiming(10, 5)), warmup_request_count: 1 });
  // Request 0 (warm-up) runs 0–25; request 1, due at 10, starts the profiling phase at 25; the others follow
  // 10 ms apart as in the trace.
  assert.deepEqual([...collector.arrivalMs], [0, 25, 35, 45]);
  assert.equal(report.num_requests, 3);
  // So it does when the warm-up request's session goes on at once: its next turn is ready at the same instant.
  const turns = workloadOf([
    { input: 100, output: 3, session: "a", at: 0 },
    { input: 100, output: 3, session: "a", delay: 0 },
    ...[10, 20, 30].map((at) => ({ input: 100, output: 3, at })),
  ]);
  const held = run(turns, { ...agg(fixedTiming(10, 5)), warmup_request_count: 1 }).collector;
  assert.deepEqual([2, 3, 4].map((r) => held.arrivalMs[r]), [25, 35, 45]);
  // The session's next turn, due when the warm-up request ended, goes then: it keeps no trace time to shift.
  assert.equal(held.arrivalMs[1], 25);
});

Deno.test("a warm-up that leaves nothing to measure is refused, naming the field", () => {
  const w = workloadOf([1, 2].map(() => ({ input: 100, output: 3 })));
  assert.throws(
    () => run(w, { ...agg(fixedTiming(10, 5)), replay_concurrency: 1, warmup_request_count: 2 }),
    /warmup_request_count.*|leave none/,
  );
});

Deno.test("front-end latency: requests reach the engine later; TTFT and E2E grow, TPOT does not", () => {
  const w = workloadOf([{ input: 100, output: 3 }]);
  const plain = run(w, agg(fixedTiming(10, 5)));
  const frontend = { base_ms: 20, ms_per_input_token: 0.1, ms_per_request_in_flight: 0 };
  const slow = run(w, agg({ ...fixedTiming(10, 5), frontend_latency: frontend }));
  assert.equal(slow.collector.firstTokenMs[0] - plain.collector.firstTokenMs[0], 30);
  assert.equal(slow.report.mean_ttft_ms, (plain.report.mean_ttft_ms as number) + 30);
  assert.equal(slow.report.mean_tpot_ms, plain.report.mean_tpot_ms);
});

Deno.test("front-end latency grows with the streams already in flight per worker", () => {
  const w = workloadOf([{ input: 64, output: 50, at: 0 }, { input: 64, output: 2, at: 100 }]);
  const frontend = { base_ms: 0, ms_per_input_token: 0, ms_per_request_in_flight: 7 };
  const { collector } = run(w, agg({ ...fixedTiming(10, 5), frontend_latency: frontend }));
  // The first request meets an idle front end; the second arrives while one stream is in flight.
  assert.equal(collector.firstTokenMs[0], 15);
  assert.equal(collector.firstTokenMs[1] - collector.arrivalMs[1] >= 7 + 10, true);
  const twoWorkers = run(w, agg({ ...fixedTiming(10, 5), frontend_latency: frontend }, 2));
  assert.ok(twoWorkers.collector.firstTokenMs[1] - twoWorkers.collector.arrivalMs[1] < 7 + 15);
});

Deno.test("mean_kv_hit_rate averages each admitted prompt's routed overlap share, as the reference's planner", () => {
  const w = workloadOf([
    { input: 256, output: 1, ids: [1, 2, 3, 4] }, // nothing cached: 0
    { input: 128, output: 1, ids: [1, 2], at: 1000 }, // all cached: 1
    { input: 512, output: 1, ids: [1, 2, 3, 4, 9, 10, 11, 12], at: 2000 }, // half: 0.5
  ]);
  const { report } = run(w, { ...agg(fixedTiming(10, 5), 2), router: { mode: "kv_router" } });
  const dyn = report.dynolab as Record<string, unknown>;
  assert.equal(dyn.mean_kv_hit_rate, 0.5); // the blocks' ratio would be 6 / 14
});

Deno.test("a fixed fleet is billed to the simulation's end, a rejection after the last completion included", () => {
  const w = workloadOf([{ input: 64, output: 2 }, { input: 5000, output: 2, at: 10_000 }]);
  const { report } = run(w, agg({ ...fixedTiming(10, 5), max_model_len: 4096 }, 2));
  assert.equal(report.rejected_requests, 1);
  assert.equal(report.duration_ms, 20); // the last completion
  assert.equal(report.decode_worker_seconds, 20); // two workers to the rejection at 10 s
});

Deno.test("a startup_time without a planner is warned about: the fleet never adds a worker", () => {
  const w = workloadOf([{ input: 64, output: 2 }]);
  const warnings = (run(w, agg({ ...fixedTiming(10, 5), startup_time: 30 })).report.dynolab as {
    warnings: string[];
  }).warnings;
  assert(
    warnings.some((x) => x.startsWith("startup_time only delays the workers a planner adds")),
    `${warnings}`,
  );
});

Deno.test("max_sim_time_seconds: busy time stops at the limit, in the middle of the pass in flight", () => {
  const w = workloadOf([{ input: 64, output: 100 }]);
  const { cluster, report } = run(w, { ...agg(fixedTiming(0, 10)), max_sim_time_seconds: 0.055 });
  assert.equal(cluster.endMs, 55);
  assert.ok(Math.abs(cluster.engines[0].busyMs - 55) < 1e-9, `${cluster.engines[0].busyMs}`);
  const pool = (report.dynolab as { pools: { busy_ms: number; worker_seconds: number }[] }).pools[0];
  assert.ok(pool.busy_ms <= pool.worker_seconds * 1000 + 1e-9);
});

Deno.test("closed loop: sessions start in the trace's order, their first-turn timestamps ignored", () => {
  const w = workloadOf([5000, 1000, 3000].map((at) => ({ input: 64, output: 2, at })));
  const { collector } = run(w, { ...agg(fixedTiming(10, 5)), replay_concurrency: 1 });
  const a = collector.arrivalMs;
  assert.ok(a[0] < a[1] && a[1] < a[2], `dispatched at ${[...a]}`);
});
