import assert from "node:assert/strict";
import { Cluster } from "../../lib/cluster/mod.ts";
import { resolveEngineArgs } from "../../lib/engine/mod.ts";
import { Collector, type RouterQueueSummary } from "../../lib/metrics/mod.ts";
import { createPerfModel, fixedModel } from "../../lib/perf/mod.ts";
import { RouterConfigSchema } from "../../lib/router/mod.ts";
import { formatRunSummary } from "../../lib/report/mod.ts";
import { parseSpec } from "../../lib/spec.ts";
import { runSimulation } from "../../lib/simulate.ts";
import { fixedTiming, run, type TestRow, workloadOf } from "../_fixtures.ts";

/** Admission order of `rows` on one engine behind the KV router with a queue. */
function admissionOrder(rows: TestRow[], config: Record<string, unknown>, workers = 1): number[] {
  const engine = { ...fixedTiming(10, 5), max_num_batched_tokens: 2048 };
  const { collector } = run(workloadOf(rows), {
    topology: { mode: "agg", num_workers: workers, engine },
    router: { mode: "kv_router", config },
  });
  const order = rows.map((_, r) => r);
  return order.sort((a, b) => collector.firstAdmitMs[a] - collector.firstAdmitMs[b] || a - b);
}

// One long prompt keeps the engine busy; three more arrive while it prefills: 1,280, 64 and 640 tokens.
const ROWS: TestRow[] = [
  { input: 2048, output: 4, at: 0 },
  { input: 1280, output: 4, at: 1 },
  { input: 64, output: 4, at: 2 },
  { input: 640, output: 4, at: 3 },
];

Deno.test("router queue: each policy releases queued requests in its order", () => {
  // Threshold 0: a worker is busy while any prompt it was sent is unfinished, so one request goes at a time.
  const queue = (policy: string) =>
    admissionOrder(ROWS, { router_queue_threshold: 0, router_queue_policy: policy });
  assert.deepEqual(queue("fcfs"), [0, 1, 2, 3]);
  assert.deepEqual(queue("lcfs"), [0, 3, 2, 1]);
  assert.deepEqual(queue("wspt"), [0, 2, 3, 1], "fewest uncached prompt tokens first");
  // Without a queue the engine takes them as they come, all into its next passes.
  assert.deepEqual(admissionOrder(ROWS, {}), [0, 1, 2, 3]);
});

Deno.test("router queue: a request waits while every worker is above threshold × max_num_batched_tokens", () => {
  const engine = { ...fixedTiming(10, 5), max_num_batched_tokens: 1000 };
  const rows: TestRow[] = [
    { input: 1200, output: 2, at: 0 },
    { input: 64, output: 2, at: 1 },
    { input: 64, output: 2, at: 2 },
  ];
  const spec = (threshold: number | null) => ({
    topology: { mode: "agg" as const, num_workers: 1, engine },
    router: { mode: "kv_router" as const, config: { router_queue_threshold: threshold } },
  });
  // 1,200 tokens in flight: busy at threshold 1 (above 1,000), not at 2 (2,000).
  const held = run(workloadOf(rows), spec(1)).collector;
  assert.ok(held.firstAdmitMs[1] >= held.firstTokenMs[0], "row 1 waited for row 0's prefill");
  const free = run(workloadOf(rows), spec(2)).collector;
  assert.ok(
    free.firstAdmitMs[1] < free.firstTokenMs[0],
    "below the threshold it went straight to the engine",
  );
  // Every request still completes, and the wait counts in TTFT.
  assert.equal(run(workloadOf(rows), spec(1)).report.completed_requests, 3);
  assert.ok(held.firstTokenMs[1] - held.arrivalMs[1] > free.firstTokenMs[1] - free.arrivalMs[1]);
});

Deno.test("router queue: released requests go to the worker that freed up; round robin has no queue", () => {
  const rows: TestRow[] = [
    { input: 4096, output: 2, at: 0 },
    { input: 256, output: 2, at: 0 },
    { input: 256, output: 2, at: 1 },
  ];
  const engine = { ...fixedTiming(1, 1, 0.05), max_num_batched_tokens: 8192 };
  const { collector } = run(workloadOf(rows), {
    topology: { mode: "agg", num_workers: 2, engine },
    router: { mode: "kv_router", config: { router_queue_threshold: 0 } },
  });
  assert.equal(collector.computeEngine[0] === collector.computeEngine[1], false, "both workers took one");
  assert.equal(
    collector.computeEngine[2],
    collector.computeEngine[1],
    "row 2 waited for the short prompt's worker",
  );
  assert.ok(collector.firstAdmitMs[2] >= collector.firstTokenMs[1]);
  const rr = run(workloadOf(rows), {
    topology: { mode: "agg", num_workers: 2, engine },
    router: { mode: "round_robin", config: { router_queue_threshold: 0 } },
  }).collector;
  assert.equal(rr.computeEngine[2], rr.computeEngine[0], "round robin ignores the queue");
});

Deno.test("router queue: the engine args' router_queue_policy overrides the router config's", () => {
  const engine = {
    ...fixedTiming(10, 5),
    max_num_batched_tokens: 2048,
    router_queue_policy: "lcfs" as const,
  };
  const { collector } = run(workloadOf(ROWS), {
    topology: { mode: "agg", num_workers: 1, engine },
    router: { mode: "kv_router", config: { router_queue_threshold: 0, router_queue_policy: "fcfs" } },
  });
  const order = ROWS.map((_, r) => r).sort((a, b) => collector.firstAdmitMs[a] - collector.firstAdmitMs[b]);
  assert.deepEqual(order, [0, 3, 2, 1]);
  assert.throws(
    () =>
      parseSpec({
        workload: { source: "default" },
        topology: { mode: "agg", num_workers: 1 },
        router: { config: { router_queue_threshold: -1 } },
      }),
    /router_queue_threshold/,
  );
});

Deno.test("router queue: the report and the run summary say who waited at the router and how long", () => {
  const engine = { ...fixedTiming(10, 5), max_num_batched_tokens: 2048 };
  const spec = (config: Record<string, unknown>) => ({
    topology: { mode: "agg" as const, num_workers: 1, engine },
    router: { mode: "kv_router" as const, config },
  });
  const { report } = run(workloadOf(ROWS), spec({ router_queue_threshold: 0 }));
  const queue = (report.dynolab as { router_queue: RouterQueueSummary }).router_queue;
  assert.equal(queue.requests, 4);
  assert.equal(queue.waited_share, 0.75, "all but the first");
  const wait = queue.wait_ms!;
  assert.ok(wait.max >= wait.mean && wait.mean > 0);
  assert.ok(formatRunSummary(report).some((l) => l.startsWith("Router queue: 75.0% of requests waited")));
  const none = run(workloadOf(ROWS), spec({})).report;
  assert.equal((none.dynolab as Record<string, unknown>).router_queue, undefined);
  assert.ok(!formatRunSummary(none).some((l) => l.startsWith("Router queue")));
});

Deno.test("a controller hears of a request once it is routed, with the prefix overlap it was routed with", () => {
  // The first and third requests share a prompt; the third arrives while the second (another prompt) is
  // prefilling, once the first has finished. Behind a front-end delay, or held in the router queue until the
  // second's prefill ends, the controller must still see the overlap the third was routed with.
  const prompt = Array.from({ length: 10 }, (_, k) => k + 1);
  const rows: TestRow[] = [
    { input: 640, output: 2, at: 0, ids: prompt },
    { input: 640, output: 2, at: 5000 },
    { input: 640, output: 2, at: 5001, ids: prompt },
  ];
  for (
    const [engine, config] of [
      [{ ...fixedTiming(10, 5), frontend_latency: { base_ms: 20 } }, {}],
      [fixedTiming(10, 5), { router_queue_threshold: 0 }],
    ] as const
  ) {
    const seen: number[] = [];
    const w = workloadOf(rows);
    const controller = {
      cluster: null as unknown as { pools: readonly { router: { overlapBlocks: Int32Array } }[] },
      start(c: never) {
        this.cluster = c;
        return Infinity;
      },
      arrived() {},
      routed(r: number) {
        seen.push(this.cluster.pools[0].router.overlapBlocks[r]);
      },
      completed() {},
      tick() {
        return Infinity;
      },
    };
    runSimulation(
      {
        spec: parseSpec({
          workload: { source: "default" },
          topology: { mode: "agg", num_workers: 1, engine },
          router: { mode: "kv_router", config },
        }),
        workload: w,
      },
      { controller },
    );
    assert.deepEqual(seen, [0, 0, 10], JSON.stringify(config));
  }
});

/**
 * One aggregated worker (1,000 ms prefill passes, `max_num_batched_tokens` 2,048) behind a KV router with a
 * queue at 0.25 × 2,048 = 512 tokens, and with `aic` the AIC prefill-load model predicting 500 ms per 1,024
 * uncached prompt tokens: the times `rows` left the router queue at, and the cluster's result.
 */
function queuedWithLoadModel(rows: TestRow[], model: "aic" | "none") {
  const w = workloadOf(rows);
  const { args, config } = resolveEngineArgs(
    { ...fixedTiming(1000, 10), max_num_batched_tokens: 2048 },
    "aggregated",
  );
  const collector = new Collector(w.requestCount);
  const result = new Cluster({
    workload: w,
    pools: [{ stage: "aggregated", workers: 1, config, perf: createPerfModel(args, config) }],
    routerMode: "kv_router",
    routerConfig: RouterConfigSchema.parse({
      router_queue_threshold: 0.25,
      router_prefill_load_model: model,
    }),
    routerPrefillModel: model === "aic"
      ? fixedModel({ prefillMs: 0, prefillMsPerToken: 500 / 1024, decodeMs: 0 })
      : undefined,
    concurrency: Infinity,
    limitMs: Infinity,
    linkSharing: false,
    seed: 42,
    collector,
  }).run();
  return { released: Array.from(collector.routerReleasedMs), result };
}

Deno.test("router queue: with the AIC prefill-load model it is rechecked every 100 ms from the run's start", () => {
  // Row 0's 1,024 tokens count as 1,024 − ⌊1,024 × t / 500⌋ at t ms: at most 512 from 250 ms, while its
  // pass (1,000 ms of prefill, 10 of decode) ends at 1,010 ms. Row 1, held at 10 ms, goes at the timer's
  // first tick after 250 ms: 300 ms (not 250, nor 310 as a timer started when it was queued would have it).
  const rows: TestRow[] = [{ input: 1024, output: 1, at: 0 }, { input: 64, output: 1, at: 10 }];
  const aic = queuedWithLoadModel(rows, "aic");
  assert.deepEqual(aic.released, [NaN, 300]);
  // Without the model the load falls only when the prefill ends: no timer, and row 1 waits for that event.
  const none = queuedWithLoadModel(rows, "none");
  assert.deepEqual(none.released, [NaN, 1010]);
  // The ticks that released nothing left no trace: one more event than without the model, the one at 300 ms.
  assert.equal(aic.result.events, none.result.events + 1);
  assert.equal(aic.result.endMs, none.result.endMs);
});
