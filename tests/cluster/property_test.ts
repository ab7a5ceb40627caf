/**
 * Property tests: random configurations and workloads must never crash or hang, must account for every
 * request, conserve tokens, leave every KV pool empty, drain a warm-up before measuring, and give identical
 * reports when repeated.
 */
import assert from "node:assert/strict";
import { Rng } from "../../lib/common/rng.ts";
import { type RouterQueueSummary, Status } from "../../lib/metrics/mod.ts";
import { reportJson } from "../../lib/report/mod.ts";
import type { SimSpecInput } from "../../lib/spec.ts";
import { run, type TestRow, workloadOf } from "../_fixtures.ts";

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

function randomEngine(rng: Rng, blockSize: number): Record<string, unknown> {
  const engine: Record<string, unknown> = {
    engine_type: pick(rng, ["vllm", "vllm", "trtllm"]),
    block_size: blockSize,
    num_gpu_blocks: 4 + rng.int(200),
    max_num_seqs: 1 + rng.int(16),
    max_num_batched_tokens: pick(rng, [16, 100, 512, 2048, 8192]),
    enable_chunked_prefill: rng.next() < 0.8,
    enable_prefix_caching: rng.next() < 0.8,
    preemption_mode: pick(rng, ["lifo", "fifo"]),
    async_scheduling: rng.next() < 0.3,
  };
  if (rng.next() < 0.2) engine.max_model_len = 200 + rng.int(3000);
  const timing = rng.next();
  if (timing < 0.5) {
    engine.timing_model = {
      type: "fixed",
      prefill_ms: pick(rng, [0, 1, 10]),
      decode_ms: pick(rng, [0, 0.5, 3]),
      prefill_ms_per_token: pick(rng, [0, 0.01]),
    };
  } else if (timing < 0.7) {
    // The analytic model (its KV capacity still the given blocks), dense or MoE.
    engine.aic_system = "h100_sxm";
    engine.aic_model_path = pick(rng, ["Qwen/Qwen3-8B", "Qwen/Qwen3-30B-A3B"]);
  }
  // Speculative decoding: rounds of 1 + drafts, which may outgrow a small token budget.
  if (rng.next() < 0.2) {
    const nextn = 1 + rng.int(3);
    engine.aic_nextn = nextn;
    engine.aic_nextn_accept_rates = pick(rng, [[1, 1, 1], [0.85, 0.3, 0], [0, 0, 0], [0.5, 0.5, 0.5]])
      .slice(0, nextn);
  }
  // Several ranks per worker: independent (dp_size) or an attention-DP group stepping together.
  const ranks = rng.next();
  if (ranks < 0.15) engine.aic_attention_dp_size = 2 + rng.int(3);
  else if (ranks < 0.25) engine.dp_size = 2;
  return engine;
}

function randomRows(rng: Rng): TestRow[] {
  const rows: TestRow[] = [];
  const last = new Map<string, TestRow>();
  const n = 1 + rng.int(60);
  for (let i = 0; i < n; i++) {
    const blocks = 1 + rng.int(12);
    const ids = Array.from({ length: blocks }, (_, k) => (k < 3 ? rng.int(3) : 100 + rng.int(40)) + k * 1000);
    const size = pick(rng, [16, 64, 256]);
    const graph = i > 0 && rng.next() < 0.2;
    const session = !graph && rng.next() < 0.3 ? `s${rng.int(5)}` : undefined;
    const previous = session === undefined ? undefined : last.get(session);
    // A later turn either is a whole prompt or extends the previous one (prompt, output, new tokens).
    const extend = previous !== undefined && rng.next() < 0.5;
    const row: TestRow = {
      input: extend ? previous.input + previous.output + rng.int(300) : 1 + rng.int(blocks * size),
      output: 1 + rng.int(pick(rng, [5, 50, 300])),
      ids,
      size,
      session,
      at: previous ? undefined : rng.next() * 5000,
      delay: previous ? pick(rng, [0, rng.next() * 100]) : undefined,
      extend,
    };
    if (rng.next() < 0.3) {
      // Router-queue hints: a priority (maybe negative), a strict tier, a class or family (maybe unknown).
      row.priority = rng.int(200) - 50;
      row.strict = rng.int(3);
      row.policyClass = pick(rng, ["latency", "batch", "custom", "unknown"]);
    }
    if (graph) {
      // An agentic request: waits on 1–3 earlier ones (at their end or dispatch), maybe not before a time.
      const sources = [...new Set(Array.from({ length: 1 + rng.int(3) }, () => rng.int(i)))];
      row.after = sources.map((s) => ({
        row: s,
        delay: pick(rng, [0, rng.next() * 200]),
        onDispatch: rng.next() < 0.3,
      }));
      row.at = rng.next() < 0.3 ? rng.next() * 5000 : undefined;
    }
    rows.push(row);
    if (session !== undefined) last.set(session, row);
  }
  return rows;
}

/**
 * Maybe a host KV tier on the agg or prefill engines (drawn from its own stream, so the other draws stay as they
 * were): a few blocks or many, instant or slow copies, each way; maybe lower tiers below it.
 */
function withHostTier(rng: Rng, spec: Omit<SimSpecInput, "workload">): void {
  if (rng.next() >= 0.3) return;
  const t = spec.topology!;
  const engine = (t.mode === "disagg" ? t.prefill_engine : t.engine) as Record<string, unknown>;
  engine.num_g2_blocks = pick(rng, [1, 8, 500]);
  engine.kv_bytes_per_token = pick(rng, [1024, 131072]);
  engine.bandwidth_g1_to_g2_gbps = pick(rng, [0, 0.01, 14]);
  engine.bandwidth_g2_to_g1_gbps = pick(rng, [0, 0.01, 14]);
  // The lower tiers, shared by every rank: a disk of a few blocks or many, an object store, both or neither.
  if (rng.next() < 0.5) {
    engine.num_g3_blocks = pick(rng, [0, 2, 40, 1000]);
    engine.bandwidth_g2_to_g3_gbps = pick(rng, [0, 0.01, 7]);
    engine.bandwidth_g3_to_g2_gbps = pick(rng, [0, 0.01, 7]);
  }
  if (rng.next() < 0.3) {
    engine.enable_g4_storage = true;
    engine.bandwidth_g2_to_g4_gbps = pick(rng, [0, 0.01, 4]);
    engine.bandwidth_g4_to_g2_gbps = pick(rng, [0, 0.01, 4]);
  }
}

/**
 * Maybe SGLang's scheduler on the agg engine, or on each disagg engine (its own stream too), with random settings
 * (the chunk a multiple of the page size), where no host tier was drawn.
 */
function withSglang(rng: Rng, spec: Omit<SimSpecInput, "workload">, blockSize: number): void {
  const t = spec.topology!;
  const engines = (t.mode === "disagg" ? [t.prefill_engine, t.decode_engine] : [t.engine]) as Record<
    string,
    unknown
  >[];
  for (const engine of engines) {
    if (rng.next() >= 0.3 || engine.num_g2_blocks !== undefined) continue;
    engine.engine_type = "sglang";
    engine.sglang = {
      schedule_policy: pick(rng, ["fifo", "lpm"]),
      chunked_prefill_size: blockSize * pick(rng, [1, 4, 128]),
      max_prefill_tokens: pick(rng, [16, 512, 16384]),
      clip_max_new_tokens: pick(rng, [1, 4096]),
      schedule_conservativeness: pick(rng, [0.3, 1, 2]),
    };
  }
}

function randomSpec(rng: Rng, blockSize: number): Omit<SimSpecInput, "workload"> {
  const disagg = rng.next() < 0.35;
  const spec: Omit<SimSpecInput, "workload"> = {
    topology: disagg
      ? {
        mode: "disagg",
        num_prefill_workers: 1 + rng.int(3),
        num_decode_workers: 1 + rng.int(3),
        prefill_engine: {
          ...randomEngine(rng, blockSize),
          kv_bytes_per_token: pick(rng, [undefined, 1000, 131072]),
          kv_transfer_bandwidth: pick(rng, [undefined, 1, 50]),
          kv_transfer_timing_mode: pick(rng, ["full_prompt", "destination_missing"]),
        },
        decode_engine: randomEngine(rng, blockSize),
        kv_transfer_link_sharing: rng.next() < 0.5,
      }
      : { mode: "agg", num_workers: 1 + rng.int(4), engine: randomEngine(rng, blockSize) },
    router: randomRouter(rng),
    seed: rng.int(1000),
  };
  if (disagg) {
    // TRT-LLM runs aggregated only (as in the reference): its draw stands for vLLM's here.
    const t = spec.topology as {
      prefill_engine: Record<string, unknown>;
      decode_engine: Record<string, unknown>;
    };
    for (const e of [t.prefill_engine, t.decode_engine]) {
      if (e.engine_type === "trtllm") e.engine_type = "vllm";
    }
  }
  const loop = rng.next();
  if (loop < 0.3) spec.replay_concurrency = 1 + rng.int(8);
  else if (loop < 0.5) spec.arrival_jitter_ms = pick(rng, [0.5, 20, 1000]);
  return spec;
}

/**
 * A router policy document: families `latency` and `batch` over two cache buckets and an explicit class
 * `custom`, each with a random order, quantum, busy threshold (or none) and queue limits (or none).
 */
function randomPolicy(rng: Rng): Record<string, unknown> {
  const limit = () => rng.next() < 0.5 ? undefined : rng.int(4);
  const cls = (name: string, family?: string, bucket?: string) => ({
    name,
    ...(family ? { policy_family: family, cache_bucket: bucket } : {}),
    queue_policy: pick(rng, ["fcfs", "wspt"]),
    quantum: 1 + rng.int(2048),
    ...(rng.next() < 0.8
      ? rng.next() < 0.5
        ? { prefill_busy_threshold: rng.int(512) }
        : { prefill_busy_threshold_frac: pick(rng, [0, 0.5, 2]) }
      : {}),
    request_queue_limit_per_worker: limit(),
    raw_isl_token_queue_limit_per_worker: rng.next() < 0.8 ? undefined : rng.int(4096),
    cached_token_queue_limit_per_worker: rng.next() < 0.8 ? undefined : rng.int(1024),
  });
  return {
    default_policy_family: pick(rng, ["latency", "batch"]),
    uncached_isl_buckets: [{ min_tokens: 0, bucket: "cached" }, { min_tokens: 256, bucket: "uncached" }],
    policy_classes: [
      cls("latency_cached", "latency", "cached"),
      cls("latency_uncached", "latency", "uncached"),
      cls("batch_cached", "batch", "cached"),
      cls("batch_uncached", "batch", "uncached"),
      cls("custom"),
    ],
  };
}

/**
 * A router: its mode, sometimes a queue (or none), sometimes other cost weights, and with the KV router sometimes
 * the AIC prefill-load model.
 */
function randomRouter(rng: Rng): SimSpecInput["router"] {
  const mode = pick(rng, ["round_robin", "random", "kv_router"] as const);
  const queue = rng.next() < 0.3
    ? {
      router_queue_threshold: pick(rng, [0, 0.5, 2, null]),
      router_queue_policy: pick(rng, ["fcfs", "lcfs", "wspt"] as const),
    }
    : {};
  const cost = rng.next() < 0.3
    ? {
      overlap_score_credit: pick(rng, [0, 0.5, 1]),
      overlap_score_credit_decay: pick(rng, [0, 0.5, 4]),
      prefill_load_scale: pick(rng, [0, 0.5, 3]),
      router_track_prefill_tokens: rng.next() < 0.7,
      ...(rng.next() < 0.2 ? { overlap_score_weight: pick(rng, [0, 2]) } : {}),
    }
    : {};
  const config = { ...queue, ...cost };
  if (mode === "kv_router" && rng.next() < 0.3) return { mode, config, policy: randomPolicy(rng) };
  if (mode !== "kv_router" || rng.next() >= 0.3) return { mode, config };
  return {
    mode,
    config: { ...config, router_prefill_load_model: "aic", router_track_prefill_tokens: true },
    aic: { aic_backend: "vllm", aic_system: "h100_sxm", aic_model_path: "Qwen/Qwen3-8B" },
  };
}

/**
 * The invariants of every random run: `w` run with `spec`, `warmup` of its first requests warm-up, as `result`.
 * Every request accounted for and each output conserved, the warm-up drained first, hand-offs in vLLM's order,
 * the router queue's classes accounting for its requests, every pool and queue empty at the end, the pass
 * totals adding up, and TRT-LLM's GUARANTEED_NO_EVICT never preempting.
 */
function checkRun(
  w: ReturnType<typeof workloadOf>,
  spec: Omit<SimSpecInput, "workload">,
  warmup: number,
  context: string,
  { report, collector, cluster }: ReturnType<typeof run>,
): void {
  const measured = w.requestCount - warmup;
  assert.equal(report.num_requests, measured, context);
  assert.equal(collector.warmup.reduce((a, b) => a + b, 0), warmup, context);
  // The warm-up phase drains before any measured request goes out.
  let warmEnd = -Infinity, measuredStart = Infinity, completedOut = 0;
  for (let r = 0; r < w.requestCount; r++) {
    if (collector.warmup[r] === 1) warmEnd = Math.max(warmEnd, collector.terminalMs[r]);
    else measuredStart = Math.min(measuredStart, collector.arrivalMs[r]);
  }
  assert.ok(warmEnd <= measuredStart, `${context}: a measured request went out during the warm-up`);
  for (let r = 0; r < w.requestCount; r++) {
    const status = collector.status[r];
    assert.notEqual(status, Status.Pending, `${context}: request ${r} never finished`);
    if (status !== Status.Completed) continue;
    if (collector.warmup[r] === 0) completedOut += collector.outputTokens[r];
    assert.ok(collector.outputTokens[r] <= w.outputLength[r], context);
    assert.ok(collector.arrivalMs[r] <= collector.firstTokenMs[r], context);
    assert.ok(collector.firstTokenMs[r] <= collector.lastTokenMs[r], context);
    assert.equal(collector.terminalMs[r], collector.lastTokenMs[r], context);
    if (spec.topology?.mode === "disagg") {
      // vLLM's hand-off order: held at the source, reserved at the destination, landed, admitted.
      const steps = [
        collector.firstAdmitMs[r],
        collector.handoffMs[r],
        collector.reservedMs[r],
        collector.kvArrivedMs[r],
        collector.decodeAdmitMs[r],
        collector.firstTokenMs[r],
      ];
      for (let k = 1; k < steps.length; k++) assert.ok(steps[k - 1] <= steps[k], `${context}: ${steps}`);
    }
  }
  assert.equal(report.total_output_tokens, completedOut, context);
  assert.equal(
    (report.completed_requests as number) + (report.rejected_requests as number),
    measured,
    context,
  );
  // With policy classes, the classes account for every completed and every shed measured request.
  const queue = (report.dynolab as { router_queue?: RouterQueueSummary }).router_queue;
  if (queue?.by_class) {
    const classes = Object.values(queue.by_class);
    const shed = (report.dynolab as { rejected_by_reason?: Record<string, number> }).rejected_by_reason
      ?.router_queue_limit ?? 0;
    assert.equal(classes.reduce((a, k) => a + k.requests, 0), report.completed_requests, context);
    assert.equal(classes.reduce((a, k) => a + k.shed, 0), shed, context);
    assert.equal(
      classes.reduce((a, k) => a + k.waited, 0),
      Math.round(queue.waited_share * queue.requests),
    );
  }
  for (const pool of cluster.pools) {
    assert.equal(pool.router.waiting, 0, `${context}: requests left in the router queue`);
    for (const e of cluster.engines) {
      assert.equal(pool.router.prefillTokens(e.id, cluster.endMs), 0, context);
    }
  }
  for (const e of cluster.engines) {
    assert.equal(e.pool.activeBlocks, 0, `${context}: engine ${e.id} leaked KV blocks`);
    assert.equal(e.pool.available, e.pool.capacity, context);
    assert.equal(e.runningCount + e.waiting.size + e.landed.size + e.pending.size, 0, context);
    assert.equal(e.holds.size + e.inTransfer, 0, `${context}: engine ${e.id} still holds hand-offs`);
    assert.equal(e.inboundTokens, 0, `${context}: engine ${e.id} still counts inbound hand-off tokens`);
    if (e.offload) {
      assert.equal(e.offload.parked, 0, `${context}: engine ${e.id} still parks requests`);
      assert.equal(
        e.offload.tier.pool.activeBlocks,
        0,
        `${context}: engine ${e.id} still holds host blocks`,
      );
    }
    // Pass totals: the parts add up to the busy time; each counted pass computed or emitted something.
    const t = e.totals;
    const parts = t.prefillMs + t.decodeMs + t.overheadMs;
    assert.ok(
      Math.abs(parts - e.busyMs) <= 1e-9 * Math.max(1, e.busyMs),
      `${context}: ${parts} ≠ ${e.busyMs}`,
    );
    assert.ok(t.prefillPasses <= e.passes && t.decodePasses <= e.passes, context);
    assert.ok(t.prefillRequests >= t.prefillPasses && t.decodeRequests >= t.decodePasses, context);
    assert.ok(t.prefillKvTokens - t.prefillPrefixTokens >= t.prefillRequests, context);
  }
  // TRT-LLM reserves each sequence's whole KV at admission (GUARANTEED_NO_EVICT): it never preempts.
  for (const pool of (report.dynolab as { pools: { scheduler: string; preemptions: number }[] }).pools) {
    if (pool.scheduler === "trtllm") assert.equal(pool.preemptions, 0, `${context}: TRT-LLM preempted`);
  }
}

Deno.test("property: random configs and workloads account for every request and conserve tokens", () => {
  const rng = new Rng(2024), warmRng = new Rng(7), hostRng = new Rng(31), sglangRng = new Rng(43);
  for (let trial = 0; trial < 300; trial++) {
    const blockSize = pick(rng, [16, 32, 64]);
    const rows = randomRows(rng);
    const w = workloadOf(rows, blockSize);
    const spec = randomSpec(rng, blockSize);
    withHostTier(hostRng, spec);
    withSglang(sglangRng, spec, blockSize);
    const warmup = rows.length > 1 && warmRng.next() < 0.3 ? 1 + warmRng.int(rows.length - 1) : 0;
    if (warmup > 0) spec.warmup_request_count = warmup;
    const context = `trial ${trial}: ${JSON.stringify(spec)}`;
    const result = run(w, spec);
    checkRun(w, spec, warmup, context, result);
    const { report } = result;
    if (trial % 10 === 0) {
      // Repeated, and with every rank's operator time recorded: the same report, and the operators of each
      // part adding up to its busy time, each with a finite speed of light where the model has a roofline.
      const again = run(w, spec, { recordOps: true });
      assert.equal(reportJson(again.report), reportJson(report), `${context}: not deterministic`);
      for (const e of again.cluster.engines) {
        for (const part of ["prefill", "decode"] as const) {
          const { time, sol } = e.opTotals![part];
          const ms = [...time.values()].reduce((a, b) => a + b, 0);
          const busy = e.totals[`${part}Ms`];
          if (e.perf.prefillBreakdown) assert.ok(Math.abs(ms - busy) <= 1e-9 * Math.max(1, busy), context);
          if (!e.perf.roofline) continue;
          for (const op of time.keys()) {
            const s = sol.get(op)!;
            assert.ok(
              [s.latencyMs, s.mathMs, s.memoryMs].every((x) => Number.isFinite(x) && x >= 0),
              context,
            );
          }
        }
      }
    }
  }
});

Deno.test("property: KV pools just above the largest request preempt, refuse none for KV, and keep every invariant", () => {
  // The random pools above are mostly roomy or too small for some request (rejected up front); here every
  // engine's pool holds the longest request's sequence (and its MTP reserve) with 1–3 blocks to spare, so a
  // busy engine must preempt (vLLM, SGLang) or hold requests back (TRT-LLM) and still serve everything.
  const rng = new Rng(99), hostRng = new Rng(131), sglangRng = new Rng(143);
  let preempting = 0;
  const trials = 40;
  for (let trial = 0; trial < trials; trial++) {
    const blockSize = pick(rng, [16, 32, 64]);
    // Arrivals within 50 ms instead of 5 s: requests overlap, so their KV contends.
    const rows = randomRows(rng).map((row) => row.at === undefined ? row : { ...row, at: row.at / 100 });
    const w = workloadOf(rows, blockSize);
    const spec = randomSpec(rng, blockSize);
    withHostTier(hostRng, spec);
    withSglang(sglangRng, spec, blockSize);
    const longest = Math.max(...rows.map((row) => row.input + row.output));
    const t = spec.topology;
    const engines = t.mode === "disagg" ? [t.prefill_engine, t.decode_engine] : [t.engine];
    for (const e of engines as Record<string, unknown>[]) {
      const reserve = (e.aic_nextn as number | undefined) ?? 0;
      e.num_gpu_blocks = Math.ceil((longest + reserve) / blockSize) + 1 + rng.int(3);
    }
    const context = `KV-pressure trial ${trial}: ${JSON.stringify(spec)}`;
    const result = run(w, spec);
    checkRun(w, spec, 0, context, result);
    const rejected =
      (result.report.dynolab as { rejected_by_reason?: Record<string, number> }).rejected_by_reason;
    assert.equal(rejected?.kv_capacity, undefined, `${context}: refused for KV`);
    if (result.cluster.engines.some((e) => e.preemptions > 0)) preempting++;
  }
  // The pressure is real: a share of the trials preempts (11 of these 40).
  assert.ok(preempting >= trials / 5, `${preempting} of ${trials} trials preempted`);
});

Deno.test("property: without max_model_len every completed request emits exactly its output length", () => {
  const rng = new Rng(77);
  for (let trial = 0; trial < 100; trial++) {
    const blockSize = pick(rng, [16, 64]);
    const w = workloadOf(randomRows(rng), blockSize);
    const spec = randomSpec(rng, blockSize);
    const engines = spec.topology.mode === "agg"
      ? [spec.topology.engine]
      : [spec.topology.prefill_engine, spec.topology.decode_engine];
    for (const e of engines) delete (e as Record<string, unknown>).max_model_len;
    const { collector } = run(w, spec);
    for (let r = 0; r < w.requestCount; r++) {
      if (collector.status[r] === Status.Completed) {
        assert.equal(collector.outputTokens[r], w.outputLength[r]);
      }
    }
  }
});
