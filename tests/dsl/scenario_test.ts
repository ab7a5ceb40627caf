import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { parseSpec, range, scenario } from "../../mod.ts";
import { MINI_TRACE } from "./_helpers.ts";

const base = scenario("base").trace(MINI_TRACE);

Deno.test("every method returns a new scenario; the base is unchanged", () => {
  const a = base.agg({ workers: 2 });
  const b = a.engine({ numGpuBlocks: 1024 });
  assert.notEqual(a, b);
  assert.deepEqual(a.spec().topology, { mode: "agg", num_workers: 2, engine: {} });
  assert.deepEqual(b.spec().topology, { mode: "agg", num_workers: 2, engine: { num_gpu_blocks: 1024 } });
  assert.equal(base.spec().topology.mode, "agg");
  assert.equal(base.calls.length, 1);
  // Calls after .compare() apply to every variant and are recorded once.
  const compared = base.compare({ a: (s) => s, b: (s) => s.agg({ workers: 2 }) }).sweep("seed", [1, 2]).seed(
    7,
  );
  assert.deepEqual(compared.calls.slice(1), [".compare(…)", '.sweep("seed", [2 values])', ".seed(7)"]);
});

Deno.test("options map one to one onto the spec's snake_case fields, aliases included", () => {
  const s = base
    .engine({
      backend: "vllm",
      gpu: "h200_sxm",
      model: "nvidia/Llama-3.1-8B-Instruct-FP8",
      tp: 1,
      startupTime: 60,
    })
    .agg({ workers: 2 })
    .router({ mode: "kv_router", overlapScoreWeight: 2, temperature: 0.1 })
    .sla({ ttftMs: 1500, itlMs: 50 })
    .seed(7);
  const spec = s.spec();
  assert.deepEqual(spec.topology, {
    mode: "agg",
    num_workers: 2,
    engine: {
      aic_backend: "vllm",
      aic_system: "h200_sxm",
      aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8",
      aic_tp_size: 1,
      startup_time: 60,
    },
  });
  assert.deepEqual(spec.router, {
    mode: "kv_router",
    config: { overlap_score_weight: 2, router_temperature: 0.1 },
  });
  assert.deepEqual(spec.sla, { ttft_ms: 1500, itl_ms: 50 });
  assert.equal(spec.seed, 7);
});

Deno.test("disagg pools merge their own engine args over .engine()'s", () => {
  const spec = base.engine({ blockSize: 32, maxNumSeqs: 64 })
    .disagg({ prefill: { workers: 2, maxNumSeqs: 1 }, decode: { workers: 3 }, kvTransferLinkSharing: true })
    .spec();
  assert.deepEqual(spec.topology, {
    mode: "disagg",
    num_prefill_workers: 2,
    num_decode_workers: 3,
    kv_transfer_link_sharing: true,
    prefill_engine: { block_size: 32, max_num_seqs: 1 },
    decode_engine: { block_size: 32, max_num_seqs: 64 },
  });
  // Whichever comes first: a later .engine() does not erase the pools' own args ...
  const later = base.disagg({ decode: { workers: 1, maxNumSeqs: 4 } }).engine({ maxNumSeqs: 256 }).spec();
  assert.deepEqual(later.topology, {
    mode: "disagg",
    num_decode_workers: 1,
    prefill_engine: { max_num_seqs: 256 },
    decode_engine: { max_num_seqs: 4 },
  });
  // ... while setting or sweeping the parameter sets it on every pool.
  const set = base.disagg({ decode: { maxNumSeqs: 4 } }).set({ maxNumSeqs: 16 }).spec();
  assert.deepEqual(set.topology, {
    mode: "disagg",
    prefill_engine: { max_num_seqs: 16 },
    decode_engine: { max_num_seqs: 16 },
  });
});

Deno.test("misspelled options and parameters fail at once with a suggestion", () => {
  const hint = (fn: () => unknown, re: RegExp) =>
    assert.throws(fn, (e) => e instanceof InputError && re.test(e.message), String(re));
  // @ts-expect-error: not an engine arg
  hint(() => base.engine({ startupTme: 60 }), /did you mean startupTime\?/);
  // @ts-expect-error: not a sweep parameter
  const sweepTypo = () => base.sweep("startupTme", [0, 10]);
  hint(sweepTypo, /unknown parameter "startupTme" \(did you mean startupTime\?\)/);
  // @ts-expect-error: not a router option
  hint(() => base.router({ overlapWeight: 1 }), /did you mean overlapScoreWeight\?/);
  // @ts-expect-error: not a .set() parameter
  hint(() => base.set({ numGpuBlock: 2 }), /did you mean numGpuBlocks\?/);
  // @ts-expect-error: not an agg option
  hint(() => base.agg({ worker: 2 }), /unknown option "worker"/);
  hint(() => base.trace(MINI_TRACE, { formt: "azure" } as never), /did you mean format\?/);
  // Options a method takes itself are listed and suggested; schema keys it sets itself are not options.
  hint(() => base.trace(MINI_TRACE, { speedUp: 2 } as never), /did you mean speedup\?.*valid: blockSize, /);
  hint(() => base.trace(MINI_TRACE, { path: "x" } as never), /unknown option "path"/);
  hint(() => base.disagg({ prefill: { worker: 1 } as never }), /did you mean workers\?/);
  hint(() => scenario("s").synthetic({ source: "x" } as never), /unknown option "source".*concurrency/);
});

Deno.test("settings that do not fit the scenario are named as the DSL names them", () => {
  assert.throws(
    () => base.agg({}).sweep("decode.maxNumSeqs", [1, 2]).runs(),
    /decode\.maxNumSeqs: prefill\.\/decode\. settings need \.disagg\(\)/,
  );
  assert.throws(
    () => base.agg({}).set({ prefillWorkers: 2 }).runs(),
    /numPrefillWorkers: needs \.disagg\(\)/,
  );
  const syn = scenario("s").synthetic({
    inputTokens: 100,
    outputTokens: 10,
    requestCount: 4,
    requestRate: 1,
  });
  assert.throws(
    () => syn.agg({}).set({ traceBlockSize: 16 }).runs(),
    /workload\.traceBlockSize: is a trace setting/,
  );
});

Deno.test("a synthetic workload needs exactly one arrival mode, named as the DSL names it", () => {
  const syn = scenario("s").synthetic({ inputTokens: 100, outputTokens: 10, requestCount: 4 }).agg({});
  assert.throws(
    () => syn.runs(),
    /run 0 \(s\): \.synthetic\(\): a synthetic workload needs exactly one arrival mode: requestRate \(Poisson\), arrivalIntervalMs \(fixed gap\) or concurrency \(closed loop\)$/,
  );
  assert.throws(
    () => syn.set({ requestRate: 1 }).synthetic({ concurrency: 2 } as never).runs(),
    /requestRate and concurrency are both given; a synthetic workload takes exactly one/,
  );
  assert.equal(syn.sweep("requestRate", [1, 2]).runs().length, 2);
});

Deno.test("an ambiguous flat name asks for the dotted form", () => {
  assert.throws(
    () => base.sweep("routerQueuePolicy" as never, ["fcfs"] as never),
    (e) =>
      e instanceof InputError && /engine\.routerQueuePolicy or router\.routerQueuePolicy/.test(e.message),
  );
  // An alias means its target: `backend` is the engine's aicBackend; the planner's stays `planner.backend`.
  const topology = base.agg({ workers: 1 }).set({ backend: "trtllm" }).spec().topology;
  assert.equal(topology.mode === "agg" && topology.engine?.aic_backend, "trtllm");
});

Deno.test("conflicting topology and workload calls are errors", () => {
  assert.throws(
    () => base.agg({ workers: 2 }).disagg({}),
    (e) =>
      e instanceof InputError && /conflicting topology calls: \.agg\(\) then \.disagg\(\)/.test(e.message),
  );
  assert.throws(
    () => base.synthetic({ inputTokens: 10, outputTokens: 5, requestCount: 3, requestRate: 1 }),
    (e) => e instanceof InputError && /conflicting workload calls/.test(e.message),
  );
  assert.throws(
    () => base.set({ "prefill.maxNumSeqs": 1 }).runs(),
    /prefill\.\/decode\. settings need \.disagg\(\)/,
  );
  assert.throws(() => base.disagg({}).set({ workers: 2 }).runs(), /is for \.agg\(\)/);
  assert.throws(() => scenario("x").agg({}).runs(), /no workload/);
});

Deno.test("sweep: bad values fail before anything runs", () => {
  assert.throws(() => base.sweep("numGpuBlocks", []), /no values to sweep numGpuBlocks over/);
  assert.throws(() => base.sweep("numGpuBlocks", [1, 1]), /duplicate value 1/);
  assert.throws(() => base.sweep("numGpuBlocks", [1]).sweep("numGpuBlocks", [2]), /swept twice/);
  // Two names of one parameter are one sweep too.
  assert.throws(
    () => base.sweep("workers", [2, 3]).sweep("numWorkers", [4, 5]),
    /numWorkers: is swept twice \(as "workers" and "numWorkers", names of one parameter\)/,
  );
  assert.throws(() => base.sweep("speedup", [1, 2]).sweep("arrivalSpeedupRatio", [3]), /swept twice/);
  assert.throws(() => base.sweep("numGpuBlocks", range(10, 0, 1)), /goes away from stop/);
});

Deno.test("sweeps form a grid, first sweep slowest; compare variants come first", () => {
  const s = base.agg({})
    .sweep("workers", [1, 2])
    .sweep("routerMode", ["round_robin", "kv_router"]);
  const runs = s.runs();
  assert.deepEqual(runs.map((r) => r.params), [
    { workers: 1, routerMode: "round_robin" },
    { workers: 1, routerMode: "kv_router" },
    { workers: 2, routerMode: "round_robin" },
    { workers: 2, routerMode: "kv_router" },
  ]);
  assert.equal(runs[3].spec.topology.mode === "agg" && runs[3].spec.topology.num_workers, 2);
  assert.equal(runs[3].spec.router?.mode, "kv_router");

  const c = base.compare({ agg: (x) => x.agg({ workers: 2 }), disagg: (x) => x.disagg({}) })
    .sweep("numGpuBlocks", [1024, 2048]);
  assert.deepEqual(c.runs().map((r) => r.name), [
    "agg · numGpuBlocks=1024",
    "agg · numGpuBlocks=2048",
    "disagg · numGpuBlocks=1024",
    "disagg · numGpuBlocks=2048",
  ]);
  const disagg = c.runs()[3].spec.topology;
  assert.equal(disagg.mode === "disagg" && disagg.decode_engine?.num_gpu_blocks, 2048);
  assert.equal(disagg.mode === "disagg" && disagg.prefill_engine?.num_gpu_blocks, 2048);
});

Deno.test("pool-specific sweep parameters use the dotted form", () => {
  const runs = base.disagg({}).sweep("decode.maxNumSeqs", [8, 16]).runs();
  const t = runs[1].spec.topology;
  assert.ok(t.mode === "disagg");
  assert.equal(t.decode_engine?.max_num_seqs, 16);
  assert.equal(t.prefill_engine?.max_num_seqs, undefined);
});

Deno.test("sweeping the trace itself", () => {
  const runs = scenario("traces").agg({}).sweep("tracePath", ["mooncake:conversation", "mooncake:synthetic"])
    .runs();
  assert.deepEqual(runs.map((r) => r.traceRef), ["mooncake:conversation", "mooncake:synthetic"]);
});

Deno.test("sweeping the trace keeps the trace's options for every file; a new .trace() drops them", () => {
  const runs = scenario("traces").trace("a.jsonl", { blockSize: 16 }).agg({}).set({
    traceFormat: "mooncake_delta",
  })
    .sweep("tracePath", ["b.jsonl", "a.jsonl"]).runs();
  for (const r of runs) {
    const w = r.spec.workload as { trace_block_size?: number; format?: string };
    assert.deepEqual([w.trace_block_size, w.format], [16, "mooncake_delta"], String(r.traceRef));
  }
  const again = scenario("traces").trace("a.jsonl", { blockSize: 16 }).trace("b.jsonl").agg({}).spec();
  assert.equal((again.workload as { trace_block_size?: number }).trace_block_size, undefined);
});

Deno.test(".planner() maps camelCase keys and aliases onto the planner config; mode follows the topology", () => {
  const s = base.agg({ workers: 2 })
    .planner({
      optimizationTarget: "sla",
      ttft: 1500,
      itlMs: 50,
      throughputIntervalS: 300,
      loadIntervalS: 10,
    });
  assert.deepEqual(s.spec().planner, {
    mode: "agg",
    optimization_target: "sla",
    ttft_ms: 1500,
    itl_ms: 50,
    throughput_adjustment_interval_seconds: 300,
    load_adjustment_interval_seconds: 10,
  });
  const planner = (s: { planner?: unknown }) => s.planner as Record<string, unknown>;
  assert.equal(planner(base.disagg({}).planner({}).spec()).mode, "disagg");
  const runs = s.sweep("loadIntervalS", [5, 10]).sweep("planner.ttftMs", [500, 1000]).runs();
  assert.equal(planner(runs[3].spec).load_adjustment_interval_seconds, 10);
  assert.equal(planner(runs[3].spec).ttft_ms, 1000);
  assert.equal(planner(base.agg({}).planner({}).sweep("maxGpuBudget", [4]).runs()[0].spec).max_gpu_budget, 4);
  // A planner setting without .planner() is an error, not a planner turned on behind the user's back.
  assert.throws(
    () => base.agg({}).sweep("ttftMs", [200, 2000]).runs(),
    /ttftMs: is a planner setting but the scenario has no planner; call \.planner/,
  );
  // The later of .set() and .planner() wins; a sweep point overrides both.
  assert.equal(planner(base.set({ ttftMs: 5 }).planner({ ttftMs: 7 }).spec()).ttft_ms, 7);
  assert.equal(planner(base.planner({ ttftMs: 7 }).set({ ttftMs: 5 }).spec()).ttft_ms, 5);
  // @ts-expect-error: not a planner option
  const typo = () => base.planner({ ttftMS: 1 });
  assert.throws(typo, (e) => e instanceof InputError && /did you mean ttftMs\?/.test(e.message));
});

Deno.test("compare takes scenarios as they are; functions combine with existing variants", () => {
  const a = base.agg({ workers: 1 }), b = base.agg({ workers: 3 });
  const c = scenario("c").compare({ one: a, three: b }).seed(5);
  assert.deepEqual(c.runs().map((r) => [r.variant, r.spec.seed]), [["one", 5], ["three", 5]]);
  const product = c.compare({ rr: (s) => s.router("round_robin"), kv: (s) => s.router("kv_router") });
  // The first compare varies slowest, as the first sweep does.
  assert.deepEqual(product.runs().map((r) => r.variant), ["one/rr", "one/kv", "three/rr", "three/kv"]);
  assert.throws(() => c.compare({ x: a }), /already has variants/);
});

Deno.test("sweep value types are checked by TypeScript", () => {
  // @ts-expect-error: workers is a number
  const wrongType = () => base.agg({}).sweep("workers", ["two"]);
  assert.doesNotThrow(wrongType); // caught later, by the spec schema, before any run
  assert.throws(() => wrongType().runs().map((r) => r.spec) && parseSpecOf(wrongType()), /num_workers/);
});

function parseSpecOf(s: ReturnType<typeof scenario>) {
  return s.runs().map((r) => parseSpec(r.spec));
}
