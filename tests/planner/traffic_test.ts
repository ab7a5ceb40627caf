import assert from "node:assert/strict";
import { trafficWindows } from "../../lib/planner/mod.ts";
import { WorkloadBuilder } from "../../lib/workload/mod.ts";
import { runInputsLoader } from "../../lib/run_inputs.ts";
import { parseSpec } from "../../lib/spec.ts";
import { tempDir } from "../_temp.ts";
import { fixedTiming, run, workloadOf } from "../_fixtures.ts";

Deno.test("planner warm-up trace: a later turn counts in the interval of its own timestamp", () => {
  const b = new WorkloadBuilder({ name: "t", blockSize: 4 });
  const row = { inputLength: 8, outputLength: 2, tokenBlocks: "unique" } as const;
  b.add({ ...row, session: "a", arrivalMs: 1_000 });
  b.add({ ...row, session: "a", arrivalMs: 61_000 }); // 60 s after its first turn
  b.add({ ...row, session: "a", delayMs: 60_000 }); // an explicit delay, in the third interval
  b.add({ ...row, session: "b", arrivalMs: 2_000 });
  assert.deepEqual(trafficWindows(b.build(), 60).map((w) => w.numReq), [2, 1, 1]);
});

Deno.test("a Dynamo request trace warms the planner too, bucketed by request_received_ms (the reference's test)", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const warmup = `${dir}/warmup.jsonl`;
  const records = [1_000, 11_000].map((received, i) =>
    JSON.stringify({
      schema: "dynamo.request.trace.v1",
      event_type: "request_end",
      event_time_unix_ms: received + 10,
      request: {
        request_id: `request-${i}`,
        request_received_ms: received,
        output_tokens: 4 + i,
        replay: { trace_block_size: 64, input_length: 64 * (i + 1), input_sequence_hashes: [101 + i] },
      },
    })
  );
  await Deno.writeTextFile(warmup, records.join("\n") + "\n");
  const spec = parseSpec({
    workload: { source: "synthetic", input_tokens: 64, output_tokens: 2, request_count: 1, request_rate: 1 },
    topology: { mode: "agg", num_workers: 1, engine: { block_size: 64 } },
    planner: {
      mode: "agg",
      optimization_target: "throughput",
      load_predictor_warmup_trace: warmup,
      throughput_adjustment_interval_seconds: 10,
    },
  });
  const { plannerWarmup } = await runInputsLoader()(spec);
  assert.deepEqual(plannerWarmup!.map((o) => [o.numReq, o.isl, o.osl]), [[1, 64, 4], [1, 128, 5]]);
});

Deno.test("the planner's KV hit rate comes from KV-router admissions only, as the reference's", () => {
  // Sessions whose later turns extend their prompts: the engines' prefix caches hit under any router.
  const rows = Array.from({ length: 60 }, (_, i) => ({
    input: 512 * (1 + (i % 3)),
    output: 4,
    session: `s${Math.floor(i / 3)}`,
    ids: Array.from({ length: 1 + (i % 3) }, (_, k) => 1000 * Math.floor(i / 3) + k),
    size: 512,
    at: i % 3 === 0 ? 500 * i : undefined,
  }));
  const hitRates = (mode: "round_robin" | "kv_router") => {
    const { planner } = run(workloadOf(rows), {
      topology: { mode: "agg", num_workers: 2, engine: fixedTiming(20, 5) },
      router: { mode },
      planner: {
        mode: "agg",
        optimization_target: "sla",
        throughput_adjustment_interval_seconds: 10,
        load_adjustment_interval_seconds: 5,
        load_predictor: "constant",
      },
    });
    return planner!.ticks.flatMap((t) => t.traffic ? [t.traffic.kvHitRate ?? 0] : []);
  };
  assert.ok(hitRates("kv_router").some((h) => h > 0.3), String(hitRates("kv_router")));
  assert.deepEqual([...new Set(hitRates("round_robin"))], [0]);
});

Deno.test("demand counted at arrival counts requests as they reach the router, also those its queue holds", () => {
  // 40 requests a second for 20 s on one slow worker behind the KV router's queue: most wait at the router.
  const rows = Array.from({ length: 800 }, (_, i) => ({ input: 512, output: 4, at: 25 * i }));
  const { planner } = run(workloadOf(rows), {
    topology: { mode: "agg", num_workers: 1, engine: { ...fixedTiming(200, 5), max_num_seqs: 2 } },
    router: { mode: "kv_router", config: { router_queue_threshold: 1 } },
    planner: {
      mode: "agg",
      optimization_target: "sla",
      throughput_adjustment_interval_seconds: 10,
      load_adjustment_interval_seconds: 5,
      demand_counting: "arrival",
      load_predictor: "constant",
      max_gpu_budget: 1,
    },
  });
  const counts = planner!.ticks.flatMap((t) => t.traffic ? [t.traffic.numReq] : []);
  assert.deepEqual(counts.slice(0, 2), [401, 399]); // the first window holds the arrivals at 0 and 10 s
});
