// The KV router's queue with trace priorities and policy classes, end to end through the cluster: the
// reference's offline-router tests (kv_router/mod.rs), ported. One worker with max_num_batched_tokens 64.
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { type RouterQueueSummary, Status } from "../../lib/metrics/mod.ts";
import { formatRunSummary } from "../../lib/report/mod.ts";
import { fixedTiming, run, type TestRow, workloadOf } from "../_fixtures.ts";

const engine = { ...fixedTiming(100, 5), max_num_batched_tokens: 64 };

/** Run `rows` on one worker behind the KV router with `router` settings. */
function replay(rows: TestRow[], router: Record<string, unknown>) {
  return run(workloadOf(rows), {
    topology: { mode: "agg", num_workers: 1, engine },
    router: { mode: "kv_router", ...router },
  });
}

/** Request indices in the order the engine first admitted them (shed ones left out). */
function admitted(rows: TestRow[], router: Record<string, unknown>): number[] {
  const { collector } = replay(rows, router);
  return rows.map((_, r) => r).filter((r) => collector.status[r] === Status.Completed)
    .sort((a, b) => collector.firstAdmitMs[a] - collector.firstAdmitMs[b] || a - b);
}

// Threshold 0: a worker is busy while any prompt routed to it is unfinished, so one request leaves at a time.
const queue = (policy: string) => ({ config: { router_queue_threshold: 0, router_queue_policy: policy } });

Deno.test("policy classes: a strict tier leaves the queue first under every policy", () => {
  const rows: TestRow[] = [
    { input: 64, output: 2, at: 0 },
    { input: 1, output: 2, at: 0, priority: 1_000_000, strict: 0 },
    { input: 64, output: 2, at: 1, priority: 0, strict: 1 },
  ];
  for (const policy of ["fcfs", "lcfs", "wspt"]) {
    assert.deepEqual(admitted(rows, queue(policy)), [0, 2, 1], policy);
  }
});

Deno.test("policy classes: within a strict tier the policy orders, and priority is seconds of credit", () => {
  const tier: TestRow[] = [
    { input: 64, output: 2, at: 0 },
    { input: 64, output: 2, at: 0, strict: 4 },
    { input: 1, output: 2, at: 10, strict: 4 },
  ];
  assert.deepEqual(admitted(tier, queue("fcfs")), [0, 1, 2]);
  assert.deepEqual(admitted(tier, queue("lcfs")), [0, 2, 1]);
  assert.deepEqual(admitted(tier, queue("wspt")), [0, 2, 1]);
  const soft: TestRow[] = [
    { input: 64, output: 2, at: 0 },
    { input: 64, output: 2, at: 0, strict: 2 },
    { input: 64, output: 2, at: 10, priority: 1000, strict: 2 },
    { input: 64, output: 2, at: 20, priority: -5, strict: 2 }, // a negative priority counts as 0
  ];
  assert.deepEqual(admitted(soft, queue("fcfs")), [0, 2, 1, 3]);
});

const POLICY = parseYaml(`
default_policy_family: root
uncached_isl_buckets: [{min_tokens: 0, bucket: all}]
policy_classes: [{name: root, policy_family: root, cache_bucket: all, quantum: 1}]
models:
  replay-model:
    default_policy_family: latency
    uncached_isl_buckets:
      - {min_tokens: 0, bucket: cached}
      - {min_tokens: 32, bucket: uncached}
    policy_classes:
      - {name: latency_cached, policy_family: latency, cache_bucket: cached, quantum: 1, prefill_busy_threshold: 0,
         request_queue_limit_per_worker: 1}
      - {name: latency_uncached, policy_family: latency, cache_bucket: uncached, quantum: 1, prefill_busy_threshold: 0,
         request_queue_limit_per_worker: 0}
      - {name: batch_cached, policy_family: batch, cache_bucket: cached, quantum: 4, prefill_busy_threshold: 1024}
      - {name: batch_uncached, policy_family: batch, cache_bucket: uncached, quantum: 4, prefill_busy_threshold: 1024}
`);

// Request 0 leaves block 7 cached; request 1 (batch) keeps the worker busy for the latency classes from 200 ms.
const MAPPED: TestRow[] = [
  { input: 64, output: 2, at: 0, ids: [7], policyClass: "latency" },
  { input: 128, output: 2, at: 200, policyClass: "batch" },
  { input: 64, output: 2, at: 210, ids: [7], policyClass: "latency" }, // latency_cached: queued
  { input: 64, output: 2, at: 220, policyClass: "latency_cached" }, // no selector: latency_uncached, limit 0
  { input: 64, output: 2, at: 230, ids: [7], policyClass: "latency" }, // latency_cached at its limit of 1
];

Deno.test("policy classes: requests map to their family's bucket; a class at its queue limit sheds", () => {
  const { collector, report } = replay(MAPPED, { policy: POLICY, model_name: "replay-model" });
  assert.deepEqual(
    Array.from(collector.status),
    [1, 1, 1, 2, 2].map((s) => s === 1 ? Status.Completed : Status.Rejected),
  );
  assert.ok(
    collector.firstAdmitMs[2] >= collector.firstTokenMs[1],
    "the cached latency request waited for the batch prefill",
  );
  assert.equal(report.rejected_requests, 2);
  assert.deepEqual((report.dynolab as { rejected_by_reason: unknown }).rejected_by_reason, {
    router_queue_limit: 2,
  });
  const summary = formatRunSummary(report).join("\n");
  assert.match(summary, /2 shed by the router, their policy class's queue at a limit/);
  // By class: every request counts in the class it mapped to on arrival (the first latency request found no
  // cache; the batch one went straight through); the cached latency request waited; the shed ones count against the class that refused them.
  type ByClass = Record<
    string,
    { requests: number; waited: number; shed: number; ttft_ms?: { mean: number } }
  >;
  const byClass = (report.dynolab as { router_queue: { by_class: ByClass } }).router_queue.by_class;
  assert.deepEqual(
    Object.fromEntries(Object.entries(byClass).map(([k, v]) => [k, [v.requests, v.waited, v.shed]])),
    { latency_cached: [1, 1, 1], batch_uncached: [1, 0, 0], latency_uncached: [1, 0, 1] },
  );
  const ttft = (r: number) => collector.firstTokenMs[r] - collector.arrivalMs[r];
  assert.equal(byClass.batch_uncached.ttft_ms!.mean, ttft(1));
  assert.equal(byClass.latency_cached.ttft_ms!.mean, ttft(2));
  assert.match(
    summary,
    /\n {2}class latency_cached: 1 request, 1 waited \(mean [\d.,]+ ms, p90 [\d.,]+ ms\), TTFT mean [\d.,]+ ms, p90 [\d.,]+ ms, 1 shed/,
  );
  assert.match(
    summary,
    /\n {2}class latency_uncached: 1 request, 0 waited, TTFT mean [\d.,]+ ms, p90 [\d.,]+ ms, 1 shed/,
  );
  // The root profile (no --model-name, or an unknown one) has no busy threshold: nothing queues.
  // Its one class still breaks the run down: every request in it, none waited.
  for (const model_name of [null, "other"]) {
    const { collector: root, report: rootReport } = replay(MAPPED, { policy: POLICY, model_name });
    assert.ok(Array.from(root.status).every((s) => s === Status.Completed), String(model_name));
    assert.ok(root.routerHeldMs.every(Number.isNaN), "no request waited at the router");
    const rootQueue = (rootReport.dynolab as { router_queue: RouterQueueSummary }).router_queue;
    assert.equal(rootQueue.waited_share, 0);
    assert.equal(rootQueue.wait_ms, undefined);
    assert.deepEqual(Object.keys(rootQueue.by_class!), ["root"]);
    assert.equal(rootQueue.by_class!.root.requests, MAPPED.length);
    assert.equal(rootQueue.by_class!.root.waited, 0);
    assert.match(
      formatRunSummary(rootReport).join("\n"),
      /\nRouter queue: no request waited at the router\n {2}class root: 5 requests, 0 waited, TTFT mean/,
    );
  }
});

Deno.test("policy classes: a busy class blocks only itself", () => {
  // batch stays below its 1,024-token threshold while the latency classes are busy: it goes straight through.
  const rows: TestRow[] = [
    { input: 64, output: 2, at: 0, policyClass: "latency" },
    { input: 64, output: 2, at: 1, ids: [9], policyClass: "latency" },
    { input: 64, output: 2, at: 2, policyClass: "batch" },
  ];
  const policy = structuredClone(POLICY);
  policy.models["replay-model"].policy_classes[1].request_queue_limit_per_worker = 4;
  const { collector } = replay(rows, { policy, model_name: "replay-model" });
  assert.deepEqual(Array.from(collector.routerHeldMs, (t) => !Number.isNaN(t)), [false, true, false]);
  assert.ok(collector.firstAdmitMs[1] >= collector.firstTokenMs[0], "latency waited for the prefill");
});

Deno.test("policy classes: per-worker queue limits count workers, not their DP ranks", () => {
  // Eight requests at once; every rank is busy while a prompt routed to it is unfinished. One worker of two DP
  // ranks takes one request per rank, then its queue holds request_queue_limit_per_worker × 1 worker (the
  // reference counts registered workers); the rest are shed. Two workers of one rank each hold two.
  const policy = parseYaml(`
default_policy_family: root
uncached_isl_buckets: [{min_tokens: 0, bucket: all}]
policy_classes:
  - {name: root, policy_family: root, cache_bucket: all, quantum: 1, prefill_busy_threshold: 0,
     request_queue_limit_per_worker: 1}
`);
  const rows: TestRow[] = Array.from(
    { length: 8 },
    (_, i) => ({ input: 64, output: 2, at: 0, ids: [100 + i] }),
  );
  const outcome = (num_workers: number, dp_size: number) => {
    const { collector } = run(workloadOf(rows), {
      topology: { mode: "agg", num_workers, engine: { ...engine, dp_size } },
      router: { mode: "kv_router", policy },
    });
    const status = Array.from(collector.status);
    return [
      status.filter((s) => s === Status.Completed).length,
      status.filter((s) => s === Status.Rejected).length,
    ];
  };
  assert.deepEqual(outcome(1, 2), [3, 5]);
  assert.deepEqual(outcome(2, 1), [4, 4]);
  assert.deepEqual(outcome(2, 2), [6, 2]);
});

Deno.test("policy classes: the spec refuses a policy outside the KV router and an empty model name", () => {
  assert.throws(
    () =>
      run(workloadOf(MAPPED), { topology: { mode: "agg" }, router: { mode: "round_robin", policy: POLICY } }),
    /spec\.router\.policy: only applies to the KV router/,
  );
  assert.throws(() => replay(MAPPED, { policy: POLICY, model_name: "" }), /model_name must be non-empty/);
  assert.throws(
    () => replay(MAPPED, { policy: { ...POLICY, policy_classes: [] } }),
    /invalid router policy config: root policy_classes must not be empty/,
  );
});
