import assert from "node:assert/strict";
import { Engine, RequestTable, resolveEngineArgs } from "../../lib/engine/mod.ts";
import { createPerfModel, fixedModel, FRONTEND_LATENCY, polynomialModel } from "../../lib/perf/mod.ts";
import { formatRunSummary } from "../../lib/report/mod.ts";
import { fixedTiming, run, workloadOf } from "../_fixtures.ts";
import { Rng } from "../../lib/common/rng.ts";

const poly = polynomialModel(16384 * 64);
const close = (a: number, b: number, eps = 1e-9) =>
  assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);
const agg = (engine: Record<string, unknown> = {}, workers = 1) => ({
  topology: { mode: "agg" as const, num_workers: workers, engine },
});

Deno.test("one request: TTFT = prefill(T) + decode(u), ITL = decode(u)", () => {
  const { report, collector } = run(workloadOf([{ input: 1000, output: 10 }]), agg());
  const u = 16 * 64 / (16384 * 64); // 16 blocks hold 1000..1010 tokens
  const prefill = poly.prefillMs(1, 1000, 0);
  const decode = poly.decodeMs(1, 0, 16 * 64);
  close(prefill, 4.209989e-7 * 1e6 + 1.518344e-2 * 1000 + 16.50142);
  close(decode, -25.74 * u * u + 54.01 * u + 5.74);
  close(report.mean_ttft_ms as number, prefill + decode);
  close(report.mean_itl_ms as number, decode);
  close(report.mean_tpot_ms as number, decode);
  close(report.mean_e2e_latency_ms as number, prefill + 10 * decode);
  close(report.mean_ttst_ms as number, decode);
  assert.equal(report.total_output_tokens, 10);
  assert.equal(collector.outputTokens[0], 10);
});

Deno.test("chunked prefill: a 10k prompt takes two passes of the 8192-token budget", () => {
  const { report } = run(workloadOf([{ input: 10_000, output: 2 }]), agg());
  const blocks = Math.ceil(10_001 / 64);
  const ttft = poly.prefillMs(1, 8192, 0) + poly.prefillMs(1, 10_000, 8192) +
    poly.decodeMs(1, 10_000, 157 * 64);
  close(report.mean_ttft_ms as number, ttft);
  close(report.mean_itl_ms as number, poly.decodeMs(1, 10_001, blocks * 64));
});

Deno.test("chunked prefill off: a prompt over the budget is rejected, others run", () => {
  const w = workloadOf([{ input: 9000, output: 2 }, { input: 100, output: 2, at: 1 }]);
  const { report } = run(w, agg({ enable_chunked_prefill: false }));
  assert.equal(report.rejected_requests, 1);
  assert.equal(report.completed_requests, 1);
});

Deno.test("prefix cache: a later request reuses the full blocks of an earlier one", () => {
  const ids = [1, 2, 3, 4];
  const w = workloadOf([{ input: 1000, output: 1, ids, size: 256 }, {
    input: 1000,
    output: 1,
    ids,
    size: 256,
    at: 10_000,
  }]);
  const { report, collector } = run(w, agg());
  // 1000 tokens = 15 full blocks of 64 (960 tokens); the second request reuses all of them.
  assert.equal(collector.reusedTokens[0], 0);
  assert.equal(collector.reusedTokens[1], 960);
  close(report.prefix_cache_reused_ratio as number, 960 / 2000);
  close(collector.firstTokenMs[1] - 10_000, poly.prefillMs(1, 1000, 960) + poly.decodeMs(1, 0, 16 * 64));
});

Deno.test("prefix cache: a fully cached prompt still recomputes its last block (vLLM rule)", () => {
  const ids = [7, 8];
  const w = workloadOf([{ input: 128, output: 1, ids, size: 64 }, {
    input: 128,
    output: 1,
    ids,
    size: 64,
    at: 5000,
  }]);
  const { collector } = run(w, agg());
  assert.equal(collector.reusedTokens[1], 64); // floor((128 − 1) / 64) · 64
});

Deno.test("prefix caching off: no reuse", () => {
  const ids = [1, 2, 3];
  const w = workloadOf([{ input: 192, output: 1, ids }, { input: 192, output: 1, ids, at: 5000 }]);
  const { report } = run(w, agg({ enable_prefix_caching: false }));
  assert.equal(report.prefix_cache_reused_ratio, 0);
});

Deno.test("max_num_seqs bounds the running batch", () => {
  const w = workloadOf([1, 2, 3].map(() => ({ input: 64, output: 5 })));
  const { collector } = run(w, agg({ max_num_seqs: 2, ...fixedTiming(10, 5) }));
  // Two run together; the third is admitted only when a slot frees at t = 10 + 5·5 = 35.
  assert.equal(collector.firstAdmitMs[2], 35);
  assert.equal(collector.firstTokenMs[0], 15);
});

Deno.test("attention DP: each rank schedules its own sequences, token budget and KV blocks", () => {
  const dp2 = { aic_attention_dp_size: 2, max_num_seqs: 2, num_gpu_blocks: 100 };
  const { config } = resolveEngineArgs(dp2, "aggregated");
  assert.deepEqual(
    [config.attentionDp, config.dpSize, config.maxNumSeqs, config.maxNumBatchedTokens, config.numGpuBlocks],
    [2, 2, 2, 8192, 100],
  );
  assert.equal(config.gpusPerWorker, 2);
  // Round robin over the ranks puts three requests on rank 0, which holds two sequences: the fifth request
  // waits there for a slot (t = 10 + 5·5 = 35) while rank 1 runs its two.
  const five = workloadOf([1, 2, 3, 4, 5].map(() => ({ input: 64, output: 5 })));
  const { collector } = run(five, agg({ ...dp2, ...fixedTiming(10, 5) }));
  assert.deepEqual([collector.firstAdmitMs[3], collector.firstAdmitMs[4]], [0, 35]);
  // A 10k prompt chunks at the rank's 8192 tokens: two prefill passes.
  const { report } = run(
    workloadOf([{ input: 10_000, output: 2 }]),
    agg({ aic_attention_dp_size: 2, ...fixedTiming(10, 5) }),
  );
  assert.equal(report.mean_ttft_ms, 2 * 10 + 5);
  // Without chunked prefill a prompt over the budget, or a sequence over the rank's blocks, never runs.
  const big = workloadOf([{ input: 9000, output: 2 }, { input: 100, output: 2, at: 1 }]);
  const off = run(big, agg({ aic_attention_dp_size: 2, enable_chunked_prefill: false })).report;
  assert.deepEqual([off.rejected_requests, off.completed_requests], [1, 1]);
  const long = workloadOf([{ input: 1500, output: 10 }, { input: 100, output: 10, at: 1 }]);
  const kv = run(long, agg({ aic_attention_dp_size: 2, num_gpu_blocks: 20 })).report; // 1,510 tokens: 24 blocks
  assert.deepEqual([kv.rejected_requests, kv.completed_requests], [1, 1]);
  // The report says why, and the run summary tells the user.
  assert.deepEqual((off.dynolab as Record<string, unknown>).rejected_by_reason, { batched_tokens: 1 });
  assert.deepEqual((kv.dynolab as Record<string, unknown>).rejected_by_reason, { kv_capacity: 1 });
  const tooLong = run(long, agg({ max_model_len: 1000 })).report;
  assert.deepEqual((tooLong.dynolab as Record<string, unknown>).rejected_by_reason, { max_model_len: 1 });
  assert.match(
    formatRunSummary(tooLong).at(-1)!,
    /^Rejected: 1 of 2 requests, in no statistic \(1 with a prompt at or over max_model_len\)$/,
  );
  assert.equal("rejected_by_reason" in (run(five, agg()).report.dynolab as object), false);
});

Deno.test("attention DP: the group's ranks step together, every pass as long as the slowest rank's", () => {
  // A 1,000-token and a 100-token prompt at once, one per rank (round robin): prefill 10 ms + 0.01 ms/token.
  const two = workloadOf([{ input: 1000, output: 3 }, { input: 100, output: 3 }]);
  const twoOnePass = workloadOf([{ input: 1000, output: 1 }, { input: 100, output: 1 }]);
  const timing = fixedTiming(10, 5, 0.01);
  const group = run(two, agg({ aic_attention_dp_size: 2, ...timing }));
  // Both first tokens come at the end of the group's first pass, the long prompt's 10 + 10 + 5 ms ...
  assert.deepEqual([group.collector.firstTokenMs[0], group.collector.firstTokenMs[1]], [25, 25]);
  // ... and each rank charges its own work; the short prompt's rank waits at the barrier.
  const [long, short] = group.cluster.engines;
  assert.deepEqual([long.busyMs, short.busyMs], [25 + 2 * 5, 16 + 2 * 5]);
  // Its pass still lasts the group's: its wall time (the FPM's `wall_time_secs`) is the long prompt's pass.
  const once = run(twoOnePass, agg({ aic_attention_dp_size: 2, ...timing })).cluster.engines;
  const charged = (e: typeof long) => e.last.prefillMs + e.last.decodeMs + e.last.overheadMs;
  assert.deepEqual(once.map((e) => [charged(e), e.last.wallMs]), [[25, 25], [16, 25]]);
  const summary = formatRunSummary(group.report);
  assert.match(summary[0], /^Workers \(aggregated\): 1 × 2 GPUs in 2 DP ranks, fixed timing, /);
  assert.match(summary[1], /^ {2}Busy 0\.06 rank-seconds: /);
  // Independent DP ranks (dp_size, no attention DP) do not wait for each other.
  const free = run(two, agg({ dp_size: 2, ...timing }));
  assert.deepEqual([free.collector.firstTokenMs[0], free.collector.firstTokenMs[1]], [25, 16]);
  const alone = run(twoOnePass, agg({ dp_size: 2, ...timing })).cluster.engines;
  assert.deepEqual(alone.map((e) => e.last.wallMs), [25, 16]);
  // A rank with nothing to run sits the group's pass out: a request reaching it mid-pass starts after it.
  const late = run(
    workloadOf([{ input: 1000, output: 1 }, { input: 100, output: 1, at: 1 }]),
    agg({ aic_attention_dp_size: 2, ...timing }),
  );
  assert.deepEqual([late.collector.firstAdmitMs[1], late.collector.firstTokenMs[1]], [25, 25 + 16]);
});

Deno.test("attention DP: each rank has its own prefix cache", () => {
  const ids = Array.from({ length: 16 }, (_, i) => 7000 + i);
  const same = workloadOf([0, 1000, 2000].map((at) => ({ input: 1024, output: 2, at, ids })));
  const { collector } = run(same, agg({ aic_attention_dp_size: 2, ...fixedTiming(10, 5) }));
  // Round robin: the second request lands on the other rank and misses; the third is back on the first rank.
  assert.deepEqual(Array.from(collector.firstReusedTokens), [0, 0, 960]);
  assert.deepEqual(Array.from(collector.computeEngine), [0, 1, 0]);
});

Deno.test("KV pressure: LIFO preemption by recompute, every request still completes", () => {
  const w = workloadOf([1, 2, 3, 4].map(() => ({ input: 256, output: 300 })));
  const { report, cluster } = run(w, agg({ num_gpu_blocks: 24, ...fixedTiming(5, 1) }));
  assert.equal(report.completed_requests, 4);
  assert.equal(report.total_output_tokens, 1200);
  assert.ok(cluster.engines[0].preemptions > 0, "expected preemptions");
  assert.ok((report.prefix_cache_reused_ratio as number) >= 0);
  assert.equal(cluster.engines[0].pool.activeBlocks, 0);
});

Deno.test("FIFO preemption also completes every request", () => {
  const w = workloadOf([1, 2, 3, 4].map(() => ({ input: 256, output: 300 })));
  const { report, cluster } = run(
    w,
    agg({ num_gpu_blocks: 24, preemption_mode: "fifo", ...fixedTiming(5, 1) }),
  );
  assert.equal(report.completed_requests, 4);
  assert.ok(cluster.engines[0].preemptions > 0);
});

Deno.test("TRT-LLM GUARANTEED_NO_EVICT reserves whole sequences and never preempts", () => {
  const w = workloadOf([1, 2, 3, 4].map(() => ({ input: 256, output: 300 })));
  const { report, cluster } = run(
    w,
    agg({ engine_type: "trtllm", num_gpu_blocks: 24, block_size: 64, ...fixedTiming(5, 1) }),
  );
  assert.equal(report.completed_requests, 4);
  assert.equal(cluster.engines[0].preemptions, 0);
});

Deno.test("a request that can never fit the KV pool is rejected and excluded from statistics", () => {
  const w = workloadOf([{ input: 2000, output: 10 }, { input: 100, output: 10, at: 1 }]);
  const { report } = run(w, agg({ num_gpu_blocks: 10 }));
  assert.equal(report.rejected_requests, 1);
  assert.equal(report.completed_requests, 1);
  assert.equal(report.total_input_tokens, 100);
});

Deno.test("max_model_len: prompts at the limit are rejected, generation stops at the limit", () => {
  const w = workloadOf([{ input: 600, output: 5 }, { input: 500, output: 200, at: 1 }]);
  const { report, collector } = run(w, agg({ max_model_len: 600 }));
  assert.equal(report.rejected_requests, 1);
  assert.equal(collector.outputTokens[1], 100);
});

Deno.test("max_model_len: a prompt is rejected when it reaches the queue's head, even with no budget left", () => {
  // The first prompt takes the whole 8-token budget; the session's first turn cannot run and is rejected in the
  // same pass, so its next turn follows at once and is admitted in the next pass.
  const w = workloadOf([
    { input: 8, output: 3 },
    { input: 12, output: 3, session: "s" },
    { input: 4, output: 3, session: "s", delay: 0 },
  ], 4);
  const engine = { block_size: 4, max_num_batched_tokens: 8, max_model_len: 12, ...fixedTiming(10, 2) };
  const { collector } = run(w, agg(engine));
  assert.deepEqual([collector.terminalMs[1], collector.arrivalMs[2]], [0, 0]);
  assert.equal(collector.firstTokenMs[2], 24); // the pass from 12 (after the first one's): prefill and decode
});

Deno.test("rejections alone are no pass: the passes and the last pass's stats are the work's", () => {
  const one = workloadOf([{ input: 4, output: 3, at: 5 }]);
  const three = workloadOf([{ input: 700, output: 3 }, { input: 800, output: 3 }, {
    input: 4,
    output: 3,
    at: 5,
  }]);
  const pools = (r: ReturnType<typeof run>) => (r.report.dynolab as { pools: { passes: number }[] }).pools;
  const alone = run(one, agg({ max_model_len: 600, ...fixedTiming(10, 5) }));
  const rejecting = run(three, agg({ max_model_len: 600, ...fixedTiming(10, 5) }));
  assert.equal(rejecting.report.rejected_requests, 2);
  assert.equal(pools(rejecting)[0].passes, pools(alone)[0].passes);
  assert.equal(rejecting.report.mean_e2e_latency_ms, alone.report.mean_e2e_latency_ms);
});

Deno.test("speedup_ratio divides every pass duration", () => {
  const w = workloadOf([{ input: 1000, output: 3 }]);
  const slow = run(w, agg()).report, fast = run(w, agg({ speedup_ratio: 2 })).report;
  close(fast.mean_e2e_latency_ms as number, (slow.mean_e2e_latency_ms as number) / 2);
});

Deno.test("async scheduling: a request reaching a busy engine joins the pass after next; an idle one at once", () => {
  // A: prefill pass [0, 15) (10 ms prefill + 5 ms decode), then decode passes of 5 ms. B arrives at 12 ms.
  const w = workloadOf([{ input: 100, output: 20 }, { input: 100, output: 20, at: 12 }]);
  const sync = run(w, agg(fixedTiming(10, 5))).collector;
  const planned = run(w, agg({ async_scheduling: true, ...fixedTiming(10, 5) })).collector;
  assert.equal(sync.firstTokenMs[0], 15);
  assert.equal(planned.firstTokenMs[0], 15);
  // sync: B runs in the next pass [15, 30); async: that pass was planned without it, B runs in [20, 35)
  assert.equal(sync.firstTokenMs[1], 30);
  assert.equal(planned.firstTokenMs[1], 35);
});

Deno.test("async scheduling: requests queued together at an idle engine are admitted together", () => {
  // A: prompt pass [0, 15), its last token [15, 20). B and C arrive at 16, during that pass, planned without
  // them; at 20 the engine would otherwise run nothing, so both are admitted then, as without async scheduling.
  const w = workloadOf([{ input: 4, output: 2 }, { input: 4, output: 3, at: 16 }, {
    input: 4,
    output: 3,
    at: 16,
  }], 4);
  for (const async_scheduling of [false, true]) {
    const { collector } = run(w, agg({ block_size: 4, async_scheduling, ...fixedTiming(10, 5) }));
    assert.deepEqual([...collector.firstAdmitMs], [0, 20, 20], `async_scheduling ${async_scheduling}`);
  }
});

Deno.test("MTP: the pass that completes a recompute after preemption emits one token, not a draft burst", () => {
  // Two 4-token prompts, 20 tokens each, in 8 blocks of 4: one is preempted. Every draft is accepted (bursts of
  // 3), but the pass that recomputes a prompt emits one token and verifies nothing.
  const req = new RequestTable(workloadOf([{ input: 4, output: 20 }, { input: 4, output: 20 }], 4));
  const { config } = resolveEngineArgs({ block_size: 4, num_gpu_blocks: 8 }, "aggregated");
  const spec = { acceptRates: [1, 1], rng: new Rng(1) };
  const e = new Engine(
    0,
    config,
    fixedModel({ prefillMs: 10, prefillMsPerToken: 0, decodeMs: 5 }),
    req,
    spec,
  );
  for (const r of [0, 1]) {
    req.reset(r, 20);
    e.enqueue(r);
  }
  let t = 0, promptBursts = 0;
  for (let pass = 0; pass < 100 && e.hasWork; pass++) {
    t += e.startPass(t);
    for (let j = 0; j < e.emittedCount; j++) {
      const r = e.emitted[j];
      if (req.passPrefill[r] === 1) promptBursts += req.burst[r] - 1;
    }
    e.endPass(t);
  }
  assert.ok(e.preemptions > 0);
  assert.equal(promptBursts, 0);
  // The 40 tokens less each prompt pass's one (2, and 1 a recompute) come from verification rounds.
  assert.equal(e.decodeTokens, 40 - 2 - e.preemptions);
  assert.ok(e.decodeForwards <= Math.ceil(e.decodeTokens / 3) + 2, `${e.decodeForwards} rounds`);
});

Deno.test("mixed pass: a model's mixedDecodeMs prices the decodes that share a pass with a prefill", () => {
  const w = workloadOf([{ input: 100, output: 5 }, { input: 100, output: 5 }]);
  const { config } = resolveEngineArgs({}, "aggregated");
  const perf = {
    ...fixedModel({ prefillMs: 10, prefillMsPerToken: 0, decodeMs: 4 }),
    mixedDecodeMs: () => 0.5,
  };
  const req = new RequestTable(w);
  const e = new Engine(0, config, perf, req);
  req.reset(0, 5);
  e.enqueue(0);
  // A pass that only completes a prompt charges no decode part: the first token comes from the prefill.
  assert.equal(e.startPass(0), 10);
  e.endPass(0);
  req.reset(1, 5);
  e.enqueue(1);
  // Request 0 decodes beside request 1's prefill: prefill plus the mixed decode part.
  assert.equal(e.startPass(0), 10.5);
  e.endPass(0);
  // Decode only: the standalone decode part.
  assert.equal(e.startPass(0), 4);
});

Deno.test("frontend_latency: off by default, true takes the backend's fitted terms for the model's tokenizer, an object gives them", () => {
  const fe = (v: unknown, extra = {}) =>
    resolveEngineArgs({ frontend_latency: v, ...extra }, "aggregated").config.frontend;
  const off = { baseMs: 0, perInputTokenMs: 0, perRequestInFlightMs: 0 };
  assert.deepEqual(
    resolveEngineArgs({ aic_model_path: "Qwen/Qwen3-32B" }, "aggregated").config.frontend,
    off,
  );
  assert.deepEqual(fe(false), off);
  assert.deepEqual(fe(true), FRONTEND_LATENCY.vllm!.fast);
  assert.deepEqual(fe(true, { aic_model_path: "Qwen/Qwen3-32B" }), FRONTEND_LATENCY.vllm!.fast);
  // Kimi's Python (tiktoken) tokenizer: the server's per-request and per-stream costs are higher.
  const kimi = fe(true, { aic_model_path: "moonshotai/Kimi-K2.5", aic_tp_size: 8 });
  assert.deepEqual(kimi, FRONTEND_LATENCY.vllm!.slow);
  assert(kimi.baseMs > FRONTEND_LATENCY.vllm!.fast.baseMs);
  assert(kimi.perRequestInFlightMs > FRONTEND_LATENCY.vllm!.fast.perRequestInFlightMs);
  assert.deepEqual(fe({ base_ms: 3 }), { ...off, baseMs: 3 });
  assert.throws(
    () => fe(true, { engine_type: "trtllm" }),
    /frontend_latency.*no fitted front-end latency for backend trtllm/,
  );
  assert.throws(() => fe({ base_ms: -1 }), /frontend_latency/);
  assert.throws(() => fe({ basems: 1 }), /frontend_latency/);
});

Deno.test("async_scheduling hides the synchronous scheduler's per-request CPU work (20 µs a sequence on vLLM)", () => {
  const overhead = (async_scheduling: boolean, aic_backend = "vllm") => {
    const raw = { aic_model_path: "Qwen/Qwen3-32B", aic_system: "h100_sxm", aic_backend, async_scheduling };
    const { args, config } = resolveEngineArgs(raw, "aggregated");
    return createPerfModel(args, config).passOverheadMs!(0, 64);
  };
  assert.ok(
    Math.abs(overhead(false) - overhead(true) - 64 * 0.02) < 1e-9,
    `${overhead(false)} ${overhead(true)}`,
  );
  // SGLang overlaps its CPU scheduling with the GPU either way.
  assert.equal(overhead(false, "sglang"), overhead(true, "sglang"));
});

Deno.test("sampling: unset follows the model's generation config; greedy is cheapest; a bad value names the valid ones", () => {
  const overhead = (model: string, sampling?: string) => {
    const { args, config } = resolveEngineArgs(
      { aic_model_path: model, aic_system: "h100_sxm", ...(sampling ? { sampling } : {}) },
      "aggregated",
    );
    return createPerfModel(args, config).passOverheadMs!(0, 64);
  };
  // Qwen3's generation config sets top-k/top-p; gpt-oss's sets none (plain random sampling).
  assert.equal(overhead("Qwen/Qwen3-32B"), overhead("Qwen/Qwen3-32B", "top_k_top_p"));
  assert.equal(overhead("openai/gpt-oss-120b"), overhead("openai/gpt-oss-120b", "random"));
  const [greedy, random, sorted] = ["greedy", "random", "top_k_top_p"].map((s) =>
    overhead("Qwen/Qwen3-32B", s)
  );
  assert.ok(greedy < random && random < sorted - 1, `${greedy} < ${random} < ${sorted}`);
  assert.throws(() => overhead("Qwen/Qwen3-32B", "beam"), /sampling.*greedy.*random.*top_k_top_p/s);
});

Deno.test("cudagraph_mode: passes without CUDA graphs take at least their layers' launch time (0.65 ms a layer on vLLM)", () => {
  const engine = (cudagraph_mode: string) => ({
    aic_model_path: "nvidia/Llama-3.1-70B-Instruct-FP8",
    aic_system: "b200_sxm",
    aic_tp_size: 8,
    cudagraph_mode,
  });
  const sim = (input: number, mode: string) =>
    run(workloadOf([{ input, output: 8 }]), agg(engine(mode))).report;
  const launchMs = 80 * 0.65;
  // A 1k-token prefill's kernels (~26 ms at TP 8) hide 80 layers of launches only inside a graph.
  const [piecewise, decodeOnly, eager] = ["FULL_AND_PIECEWISE", "FULL_DECODE_ONLY", "NONE"].map((m) =>
    sim(1024, m)
  );
  assert.ok((piecewise.mean_ttft_ms as number) < launchMs, `${piecewise.mean_ttft_ms}`);
  assert.ok((decodeOnly.mean_ttft_ms as number) > launchMs, `${decodeOnly.mean_ttft_ms}`);
  // Decode-only passes replay a full graph under FULL_DECODE_ONLY; without any graph they wait for launches too.
  close(decodeOnly.mean_tpot_ms as number, piecewise.mean_tpot_ms as number);
  assert.ok((eager.mean_tpot_ms as number) > launchMs, `${eager.mean_tpot_ms}`);
  // An 8k-token prefill's kernels outlast the launches: no difference.
  close(
    sim(8192, "FULL_DECODE_ONLY").mean_ttft_ms as number,
    sim(8192, "FULL_AND_PIECEWISE").mean_ttft_ms as number,
  );
  assert.throws(
    () => resolveEngineArgs(engine("PIECEWISE"), "aggregated"),
    /cudagraph_mode.*FULL_AND_PIECEWISE.*FULL_DECODE_ONLY.*NONE/s,
  );
});

Deno.test("kv_capacity: a sequence whose KV fits the pool exactly runs (its last token holds none)", () => {
  // 4 prompt tokens and 5 output: KV for 8 tokens at most, two blocks of 4.
  const tiny = (output: number, extra: Record<string, unknown> = {}) =>
    run(
      workloadOf([{ input: 4, output }], 4),
      agg({ block_size: 4, num_gpu_blocks: 2, ...fixedTiming(10, 5), ...extra }),
    ).report;
  assert.equal(tiny(5).completed_requests, 1);
  assert.equal(tiny(6).rejected_requests, 1);
  // TRT-LLM's GUARANTEED_NO_EVICT reserves the whole sequence at admission: 9 tokens need three blocks.
  assert.equal(tiny(5, { engine_type: "trtllm" }).rejected_requests, 1);
  assert.equal(tiny(4, { engine_type: "trtllm" }).completed_requests, 1);
});

Deno.test("without chunked prefill, a preempted request waits until the rest of its prompt fits the budget", () => {
  // Budget 10, 7 blocks of 4. A (10 + 6) is preempted at 45 ms by FIFO; at 65 ms only C decodes (9 tokens of
  // budget left): A's whole 10-token prompt waits for the next pass, as the reference's prompt_remaining test.
  const w = workloadOf([
    { input: 10, output: 6, at: 0 },
    { input: 1, output: 8, at: 0.5 },
    { input: 1, output: 16, at: 0.5 },
  ], 4);
  const { collector } = run(
    w,
    agg({
      block_size: 4,
      num_gpu_blocks: 7,
      max_num_batched_tokens: 10,
      enable_chunked_prefill: false,
      enable_prefix_caching: false,
      preemption_mode: "fifo",
      ...fixedTiming(10, 5),
    }),
  );
  assert.deepEqual([...collector.lastTokenMs], [130, 65, 105]);
});
