/**
 * The SGLang scheduler (`engine_type: "sglang"`): its settings, prefill batches ahead of decode, chunking and
 * the prefill budget, the KV reserve for decoding requests' output, decode retraction and LPM ordering.
 */
import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { Engine, RequestTable, resolveEngineArgs } from "../../lib/engine/mod.ts";
import type { SglangScheduler } from "../../lib/engine/sglang.ts";
import { fixedModel } from "../../lib/perf/mod.ts";
import { formatRunSummary } from "../../lib/report/mod.ts";
import { fixedTiming, run, type TestRow, workloadOf } from "../_fixtures.ts";

const sglang = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  engine_type: "sglang",
  block_size: 16,
  num_gpu_blocks: 1000,
  ...fixedTiming(5, 1),
  ...extra,
});
const agg = (engine: Record<string, unknown>) => ({
  topology: { mode: "agg" as const, num_workers: 1, engine },
});

Deno.test("sglang config: SGLang's defaults, page size 1 unless set, new_token_ratio from conservativeness", () => {
  const { config } = resolveEngineArgs({ engine_type: "sglang" }, "aggregated");
  assert.equal(config.policy, "sglang");
  assert.equal(config.blockSize, 1);
  const s = config.sglang!;
  assert.deepEqual(
    [s.lpm, s.maxPrefillTokens, s.chunkedPrefillSize, s.clipMaxNewTokens],
    [false, 16384, 8192, 4096],
  );
  assert.equal(s.initNewTokenRatio, 0.7);
  assert.ok(Math.abs(s.minNewTokenRatio - 0.098) < 1e-12);
  assert.ok(Math.abs(s.newTokenRatioDecay - (0.7 - 0.098) / 600) < 1e-12);
  const paged = resolveEngineArgs(
    {
      engine_type: "sglang",
      sglang: { page_size: 16, schedule_policy: "lpm", schedule_conservativeness: 1.2 },
    },
    "aggregated",
  ).config;
  assert.equal(paged.blockSize, 16);
  assert.equal(paged.sglang!.lpm, true);
  assert.ok(Math.abs(paged.sglang!.initNewTokenRatio - 0.84) < 1e-12);
  // SGLang caps the ratio at 1.
  const capped = resolveEngineArgs(
    { engine_type: "sglang", sglang: { schedule_conservativeness: 2 } },
    "aggregated",
  );
  assert.equal(capped.config.sglang!.initNewTokenRatio, 1);
  assert.equal(resolveEngineArgs({ engine_type: "vllm" }, "aggregated").config.sglang, null);
});

Deno.test("sglang config: wrong settings name their field; settings without effect are reported", () => {
  const fails = (args: Record<string, unknown>, field: string, message: RegExp) =>
    assert.throws(
      () => resolveEngineArgs(args, "aggregated", "extra_engine_args"),
      (e: unknown) => e instanceof InputError && e.location.field === field && message.test(e.message),
    );
  fails(
    { engine_type: "sglang", block_size: 16, sglang: { page_size: 32 } },
    "extra_engine_args.sglang.page_size",
    /differs from block_size 16/,
  );
  fails(
    { engine_type: "sglang", block_size: 64, sglang: { chunked_prefill_size: 100 } },
    "extra_engine_args.sglang.chunked_prefill_size",
    /100 is not a multiple of the page size \(64 tokens\)/,
  );
  fails(
    { engine_type: "sglang", sglang: { schedule_policy: "random" } },
    "extra_engine_args.sglang.schedule_policy",
    /fifo.*fcfs.*lpm/,
  );
  fails(
    { engine_type: "sglang", num_g2_blocks: 100, kv_bytes_per_token: 1024 },
    "extra_engine_args.num_g2_blocks",
    /SGLang scheduler has no host KV tier/,
  );
  const { warnings } = resolveEngineArgs({ sglang: { page_size: 16 } }, "aggregated", "e");
  assert.deepEqual(warnings, ['e.sglang has no effect unless engine_type is "sglang"']);
  const vllmKeys = resolveEngineArgs(
    {
      engine_type: "sglang",
      async_scheduling: true,
      max_num_batched_tokens: 512,
      enable_prefix_caching: false,
    },
    "aggregated",
    "e",
  );
  assert.deepEqual(vllmKeys.warnings, [
    "e.max_num_batched_tokens has no effect on the SGLang scheduler",
    "e.async_scheduling has no effect on the SGLang scheduler",
  ]);
  const lpm = resolveEngineArgs(
    { engine_type: "sglang", enable_prefix_caching: false, sglang: { schedule_policy: "lpm" } },
    "aggregated",
    "e",
  );
  assert.equal(lpm.config.sglang!.lpm, false);
  assert.deepEqual(lpm.warnings, [
    'e.sglang.schedule_policy "lpm" has no effect without prefix caching (SGLang schedules FIFO)',
  ]);
  // On a decode rank the page size still sizes the blocks; the scheduling keys do nothing.
  const decode = resolveEngineArgs(
    { engine_type: "sglang", sglang: { page_size: 16, schedule_policy: "fcfs" } },
    "decode",
    "e",
  );
  assert.equal(decode.config.sglang, null);
  assert.equal(decode.config.blockSize, 16);
  assert.deepEqual(decode.warnings, [
    "e.sglang.schedule_policy has no effect on decode workers, which plan their passes as vLLM's",
  ]);
  assert.deepEqual(
    resolveEngineArgs({ engine_type: "sglang", sglang: { page_size: 16 } }, "decode").warnings,
    [],
  );
});

Deno.test("sglang: a prompt's prefill pass holds back the decoding requests (vLLM mixes them)", () => {
  // A decodes from 6 ms (1 ms steps); B arrives at 7.5 ms, and its prefill pass (8–14 ms) runs alone.
  const w = workloadOf([{ input: 100, output: 10 }, { input: 100, output: 5, at: 7.5 }], 16);
  const s = run(w, agg(sglang())).collector;
  assert.equal(s.firstTokenMs[0], 6);
  assert.equal(s.firstTokenMs[1], 14);
  // A's tokens: 6, 7, 8, then none until B's prefill pass ends, then 15.
  assert.equal(s.lastTokenMs[0], 15 + 6);
  const v = run(w, agg({ ...sglang(), engine_type: "vllm" })).collector;
  // vLLM runs B's prompt beside A's decode step: A loses no pass.
  assert.ok(v.lastTokenMs[0] < s.lastTokenMs[0], `${v.lastTokenMs[0]} vs ${s.lastTokenMs[0]}`);
});

Deno.test("sglang: prefill_decode_interval runs that many decode passes after a prefill batch", () => {
  // A's prefill pass ends at 6 ms; B arrives at 6.5 ms, during A's first decode pass (6–7 ms).
  const w = workloadOf([{ input: 100, output: 10 }, { input: 100, output: 5, at: 6.5 }], 16);
  const first = (interval: number) =>
    run(w, agg(sglang({ sglang: { prefill_decode_interval: interval } }))).collector.firstTokenMs[1];
  assert.equal(first(0), 7 + 6);
  // Three decode passes (6–9 ms) before B's prefill batch.
  assert.equal(first(3), 9 + 6);
});

Deno.test("sglang: a long prompt is chunked at chunked_prefill_size, one chunk per pass", () => {
  const w = workloadOf([{ input: 20_000, output: 2 }], 16);
  const one = run(w, agg(sglang({ num_gpu_blocks: 2000, sglang: { chunked_prefill_size: 8192 } }))).collector;
  // Chunks of 8192, 8192 and 3616 tokens, then the first token's decode charge.
  assert.equal(one.firstTokenMs[0], 3 * 5 + 1);
  const whole = run(
    w,
    agg(sglang({ num_gpu_blocks: 2000, sglang: { chunked_prefill_size: 32_768, max_prefill_tokens: 100 } })),
  );
  // Alone in its batch, a request may exceed max_prefill_tokens.
  assert.equal(whole.collector.firstTokenMs[0], 5 + 1);
});

Deno.test("sglang: max_prefill_tokens caps a batch after its first request", () => {
  const rows: TestRow[] = [0, 1, 2].map(() => ({ input: 6000, output: 1 }));
  const { collector } = run(
    workloadOf(rows, 16),
    agg(sglang({ sglang: { chunked_prefill_size: 32_768, max_prefill_tokens: 16_384 } })),
  );
  // 6000 + 6000 fit 16384; the third (6000 ≥ the 4384 left) waits for the next pass.
  assert.deepEqual([...collector.firstTokenMs.slice(0, 3)], [6, 6, 12]);
});

Deno.test("sglang: a prompt waits while its tokens and output do not fit beside the decoding requests' reserve", () => {
  // 20 blocks of 16 = 320 tokens. B needs its prompt and output (246 tokens) below what A leaves: never while A
  // runs. vLLM admits B at once (its prompt fits) and preempts later.
  const w = workloadOf([{ input: 96, output: 150 }, { input: 96, output: 150, at: 1 }], 16);
  const s = run(w, agg(sglang({ num_gpu_blocks: 20 })));
  assert.equal(s.report.completed_requests, 2);
  assert.ok(s.collector.firstTokenMs[1] > s.collector.lastTokenMs[0], `${s.collector.firstTokenMs[1]}`);
  const v = run(w, agg(sglang({ num_gpu_blocks: 20, engine_type: "vllm" }))).collector;
  assert.ok(v.firstTokenMs[1] < v.lastTokenMs[0], `${v.firstTokenMs[1]}`);
});

Deno.test("sglang: decode retracts the request with the fewest output tokens when the KV cannot grow", () => {
  // 60 blocks of 16. B (16 + 400 tokens) arrives when A (16 + 600) has ~195 output tokens and new_token_ratio has
  // decayed to ~0.5: it fits beside A's reserve, but not beside A at full length (39 + 26 blocks > 60), so
  // decode retracts B, which has fewer output tokens, and recomputes it once A is done.
  const w = workloadOf([{ input: 16, output: 600 }, { input: 16, output: 400, at: 200 }], 16);
  // SGLang's rule, not vLLM's preemption_mode: FIFO would preempt A, the oldest.
  const { report, collector } = run(w, agg(sglang({ num_gpu_blocks: 60, preemption_mode: "fifo" })));
  const summary = formatRunSummary(report)[0];
  assert.match(summary, /^Workers \(aggregated\): 1 × 1 GPU, SGLang scheduler, fixed timing/);
  assert.equal(report.completed_requests, 2);
  assert.equal(report.total_output_tokens, 1000);
  const pools = (report.dynolab as { pools: { preemptions: number }[] }).pools;
  assert.ok(pools[0].preemptions >= 1, JSON.stringify(pools[0]));
  assert.ok(collector.firstTokenMs[1] < collector.lastTokenMs[0]);
  assert.ok(collector.lastTokenMs[1] > collector.lastTokenMs[0], "B finishes after A once retracted");
});

Deno.test("sglang: LPM admits the request with the longest cached prefix first", () => {
  // Z caches blocks 1–4; X (uncached) and Y (Z's prefix) arrive together, X first; one admission per pass.
  const rows: TestRow[] = [
    { input: 64, output: 1, ids: [1, 2, 3, 4], size: 16 },
    { input: 64, output: 1, ids: [50, 51, 52, 53], size: 16, at: 100 },
    { input: 80, output: 1, ids: [1, 2, 3, 4, 5], size: 16, at: 100 },
  ];
  const order = (policy: string) => {
    const c = run(
      workloadOf(rows, 16),
      agg(sglang({ sglang: { schedule_policy: policy, max_prefill_tokens: 16 } })),
    ).collector;
    return c.firstTokenMs[1] < c.firstTokenMs[2] ? "X" : "Y";
  };
  assert.equal(order("fifo"), "X");
  assert.equal(order("lpm"), "Y");
});

Deno.test("sglang: disaggregated prefill and decode workers serve every request", () => {
  const rows: TestRow[] = Array.from(
    { length: 30 },
    (_, i) => ({ input: 200 + 37 * i, output: 20, at: 3 * i }),
  );
  const { report } = run(workloadOf(rows, 16), {
    topology: {
      mode: "disagg",
      num_prefill_workers: 1,
      num_decode_workers: 1,
      prefill_engine: sglang({ num_gpu_blocks: 200 }),
      decode_engine: sglang({ num_gpu_blocks: 120 }),
    },
  });
  assert.equal(report.completed_requests, 30);
  assert.equal(report.total_output_tokens, 600);
});

Deno.test("sglang: a prompt over max_num_batched_tokens is chunked at chunked_prefill_size, not rejected", () => {
  const w = workloadOf([{ input: 6000, output: 2 }], 16);
  const { report } = run(w, agg(sglang({ enable_chunked_prefill: false, max_num_batched_tokens: 4096 })));
  assert.equal(report.completed_requests, 1);
});

Deno.test("sglang: reusing cached blocks nobody holds makes them unevictable, which the KV budget counts", () => {
  // 100 blocks of 16. A leaves 50 cached blocks nobody holds; B reuses all of them (800 tokens) and C needs 700
  // new ones. Once B holds its prefix, 1,600 − 800 − 16 − 100 = 684 tokens are left: C waits a pass.
  const prefix = Array.from({ length: 50 }, (_, k) => k + 1);
  const rows: TestRow[] = [
    { input: 800, output: 1, ids: prefix, size: 16 },
    { input: 816, output: 100, ids: [...prefix, 99], size: 16, at: 100 },
    { input: 700, output: 1, at: 100 },
  ];
  const { collector } = run(workloadOf(rows, 16), agg(sglang({ num_gpu_blocks: 100 })));
  assert.equal(collector.firstTokenMs[1], 106);
  assert.ok(collector.firstTokenMs[2] > 106, `${collector.firstTokenMs[2]}`);
});

Deno.test("sglang: sliding-window models retract and chunk within their window's blocks, never stall", () => {
  const model = { aic_model_path: "openai/gpt-oss-20b", aic_system: "h200_sxm" };
  // Four requests decoding while their window grows: the retraction check counts the window's blocks.
  const four = workloadOf([1, 2, 3, 4].map((i) => ({ input: 40, output: 100, ids: [i], size: 64 })), 1);
  const a = run(four, agg({ engine_type: "sglang", num_gpu_blocks: 350, ...model }));
  assert.equal(a.report.completed_requests, 4);
  // A prompt whose last chunk's window starts inside a block: rejected up front, or served, never stuck.
  const long = workloadOf([{ input: 165, output: 2 }], 64);
  for (
    const engine of [
      { engine_type: "sglang", sglang: { page_size: 64, chunked_prefill_size: 128 } },
      { engine_type: "vllm", block_size: 64, max_num_batched_tokens: 128 },
    ]
  ) {
    const { report } = run(long, agg({ ...engine, num_gpu_blocks: 6, ...model }));
    assert.equal((report.completed_requests as number) + (report.rejected_requests as number), 1);
  }
});

Deno.test("sglang: a prompt whose tokens and output reach what is left once its prefix is locked waits, as SGLang", () => {
  // SGLang's `add_one_req` refuses `total_tokens >= rem_total_tokens` before and after locking the prefix.
  // At 30 ms the third request's new prompt tokens and output exactly reach the tokens left once its cached
  // prefix (16 tokens nobody holds) is locked: it waits a pass, and the fourth behind it (`>` admitted both).
  const rows: TestRow[] = [
    { input: 3, output: 7, at: 20, ids: [100000], size: 4 },
    { input: 23, output: 2, at: 0, ids: [7000, 7001, 7002, 7003, 100010, 100011], size: 4 },
    { input: 22, output: 1, at: 30, ids: [7000, 7001, 7002, 7003, 100020, 100021], size: 4 },
    { input: 10, output: 9, at: 30, ids: [7000, 100030, 100031], size: 4 },
  ];
  const engine = { ...fixedTiming(10, 5), engine_type: "sglang", num_gpu_blocks: 32 };
  const { collector } = run(
    workloadOf(rows, 1),
    agg({ ...engine, sglang: { schedule_conservativeness: 1 / 0.7 } }),
  );
  assert.deepEqual([...collector.firstAdmitMs], [20, 0, 40, 55]);
});

Deno.test("sglang: a retraction sets new_token_ratio to the remaining requests' output plus 20 steps each, over their output", () => {
  // SGLang's `retract_decode`: new_token_ratio = (Σ decoded + RETRACT_DECODE_STEPS · n) / Σ max_new_tokens over
  // the requests left, at most 1. 60 blocks of 16: A (16 + 600) decodes alone; B (16 + 400) joins at the 196th
  // pass, and at the 563rd their KV cannot grow: B (fewer tokens) is retracted, A (561 tokens) stays.
  const rows: TestRow[] = [{ input: 16, output: 600 }, { input: 16, output: 400 }];
  const req = new RequestTable(workloadOf(rows, 16));
  const { config } = resolveEngineArgs(sglang({ num_gpu_blocks: 60 }), "aggregated");
  const e = new Engine(0, config, fixedModel({ prefillMs: 5, prefillMsPerToken: 0, decodeMs: 1 }), req);
  const scheduler = e.scheduler as SglangScheduler;
  req.reset(0, 600);
  e.enqueue(0);
  let t = 0;
  const retractions: { pass: number; generated: number[]; ratio: number; running: number[] }[] = [];
  for (let pass = 0; pass < 2000 && e.hasWork; pass++) {
    if (pass === 195) {
      req.reset(1, 400);
      e.enqueue(1);
    }
    const generated = [...req.generated], before = e.preemptions;
    t += e.startPass(t);
    if (e.preemptions > before) {
      const running = [...e.running.subarray(0, e.runningCount)];
      retractions.push({ pass, generated, ratio: scheduler.newTokenRatio, running });
    }
    e.endPass(t);
  }
  assert.equal(retractions.length, 1);
  const [{ pass, generated, ratio, running }] = retractions;
  assert.deepEqual([pass, generated, running], [562, [561, 367], [0]]);
  assert.equal(ratio, (561 + 20) / 600);
  assert.equal(e.hasWork, false);
});
