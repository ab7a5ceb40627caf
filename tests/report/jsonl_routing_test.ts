// The per-request JSONL's `routing_history`: one entry per routing stage a request reached, consistent with
// the record's own times, workers and route overlaps.
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { runRecords } from "../../lib/cli/run_outputs.ts";
import type { RequestRecord } from "../../lib/report/mod.ts";
import type { SimSpecInput } from "../../lib/spec.ts";
import { fixedTiming, run, type TestRow, workloadOf } from "../_fixtures.ts";

/** The records of `rows` run with `spec`. */
function records(rows: TestRow[], spec: Omit<SimSpecInput, "workload">): RequestRecord[] {
  const w = workloadOf(rows);
  return runRecords(run(w, spec), { workload: w } as never);
}

/** Assert that `r`'s routing history agrees with the rest of its record; returns the history. */
function checked(r: RequestRecord): RequestRecord["routing_history"] {
  const h = r.routing_history;
  const at = `request ${r.uuid}: ${JSON.stringify(h)}`;
  assert.ok(Array.isArray(h), at);
  const disagg = r.prefill_admit_ms !== null || r.prefill_worker_idx !== null || h[0]?.pool === "prefill";
  assert.deepEqual(
    h.map((s) => s.pool),
    disagg ? ["prefill", "decode"].slice(0, h.length) : h.map(() => "aggregated"),
  );
  assert.ok(h.length <= (disagg ? 2 : 1), at);
  for (const s of h) {
    assert.ok(s.routed_at_ms !== null && s.routed_at_ms >= r.arrival_time_ms!, at);
    if (s.outcome === "queued") {
      assert.ok(
        s.queue_entered_at_ms! >= r.arrival_time_ms! && s.released_at_ms! >= s.queue_entered_at_ms!,
        at,
      );
      assert.equal(s.queue_wait_ms, s.released_at_ms! - s.queue_entered_at_ms!, at);
      assert.equal(s.routed_at_ms, s.released_at_ms, at);
    } else {
      assert.equal(s.outcome, "immediate", at);
      assert.deepEqual([s.queue_entered_at_ms, s.released_at_ms, s.queue_wait_ms], [null, null, null], at);
    }
  }
  const [first, decode] = h;
  if (first && r.first_admit_ms !== null) assert.ok(r.first_admit_ms >= first.routed_at_ms!, at);
  if (!disagg && first) {
    assert.deepEqual([first.worker_id, first.dp_rank], [r.decode_worker_idx, r.dp_rank], at);
    assert.equal(first.reported_overlap_tokens, r.decode_route_overlap_tokens, at);
  }
  if (disagg && first) {
    assert.equal(first.worker_id, r.prefill_worker_idx, at);
    assert.equal(first.reported_overlap_tokens, r.prefill_route_overlap_tokens, at);
  }
  if (decode) {
    assert.equal(decode.outcome, "immediate", at);
    assert.equal(decode.routed_at_ms, r.source_held_ms, at);
    assert.ok(decode.routed_at_ms! >= first.routed_at_ms!, at);
    assert.deepEqual([decode.worker_id, decode.dp_rank], [r.decode_worker_idx, r.dp_rank], at);
    assert.equal(decode.reported_overlap_tokens, r.decode_route_overlap_tokens, at);
    if (r.destination_reserved_ms !== null) assert.ok(r.destination_reserved_ms >= decode.routed_at_ms!, at);
  } else if (disagg) {
    assert.equal(r.source_held_ms, null, `${at}: a finished prefill has a decode stage`);
  }
  return h;
}

// A burst of arrivals; a later request shares the first prompt's blocks.
const SHARED = [1, 2, 3, 4];
const ROWS: TestRow[] = [
  { input: 256, output: 3, at: 0, ids: SHARED },
  { input: 2048, output: 2, at: 1 },
  { input: 1280, output: 4, at: 2 },
  { input: 640, output: 2, at: 3 },
  { input: 64, output: 5, at: 4 },
  { input: 320, output: 3, at: 60, ids: [...SHARED, 5] }, // once the first prompt is cached
];

Deno.test("routing_history: agg without a queue routes each request once, at arrival", () => {
  const recs = records(ROWS, {
    topology: { mode: "agg", num_workers: 2, engine: { ...fixedTiming(10, 5), dp_size: 2 } },
    router: { mode: "kv_router" },
  });
  assert.equal(recs.length, ROWS.length);
  for (const r of recs) {
    const [s] = checked(r);
    assert.equal(r.routing_history.length, 1);
    assert.deepEqual([s.pool, s.outcome, s.routed_at_ms], ["aggregated", "immediate", r.arrival_time_ms]);
  }
  // The request sharing the first prompt's blocks was routed to them: its reported overlap is that prefix.
  const [shared] = recs[5].routing_history;
  assert.equal(shared.reported_overlap_tokens, 256);
  assert.deepEqual(new Set(recs.map((r) => r.routing_history[0].dp_rank)), new Set([0, 1]), "both DP ranks");
});

Deno.test("routing_history: a router queue's held requests are queued, routed when released", () => {
  const spec = (threshold: number | null) => ({
    topology: {
      mode: "agg" as const,
      num_workers: 1,
      engine: { ...fixedTiming(10, 5), max_num_batched_tokens: 512 },
    },
    router: { mode: "kv_router" as const, config: { router_queue_threshold: threshold } },
  });
  const w = workloadOf(ROWS), result = run(w, spec(0.5));
  const recs = runRecords(result, { workload: w } as never);
  const outcomes = recs.map((r) => checked(r)[0].outcome);
  assert.equal(outcomes[0], "immediate", "the first found the worker idle");
  assert.ok(outcomes.filter((o) => o === "queued").length >= 3, outcomes.join());
  for (const r of recs.filter((r) => r.routing_history[0].outcome === "queued")) {
    const [s] = r.routing_history;
    assert.equal(s.queue_entered_at_ms, r.arrival_time_ms, "no front-end delay: queued on arrival");
    assert.ok(s.queue_wait_ms! > 0);
  }
  const share =
    (result.report.dynolab as { router_queue: { waited_share: number } }).router_queue.waited_share;
  assert.equal(
    share,
    outcomes.filter((o) => o === "queued").length / ROWS.length,
    "as the report counts them",
  );
  // Without a queue (no threshold), the same burst is routed at once.
  assert.ok(records(ROWS, spec(null)).every((r) => checked(r)[0].outcome === "immediate"));
});

Deno.test("routing_history: disagg routes at prefill, then at decode when the prefill finishes", () => {
  for (const config of [{}, { router_queue_threshold: 0 }]) {
    const recs = records(ROWS, {
      topology: {
        mode: "disagg",
        num_prefill_workers: 2,
        num_decode_workers: 2,
        prefill_engine: { ...fixedTiming(10, 0), max_num_batched_tokens: 1024 },
        decode_engine: { ...fixedTiming(0, 5), dp_size: 2 },
      },
      router: { mode: "kv_router", config },
    });
    assert.equal(recs.length, ROWS.length);
    for (const r of recs) {
      const h = checked(r);
      assert.deepEqual(h.map((s) => s.pool), ["prefill", "decode"]);
      assert.ok(h[1].routed_at_ms! > h[0].routed_at_ms!, "the prefill pass took time");
    }
    const queued = recs.filter((r) => r.routing_history[0].outcome === "queued").length;
    assert.ok("router_queue_threshold" in config ? queued > 0 : queued === 0, `${queued} queued`);
  }
});

Deno.test("routing_history: a shed request was never routed; a worker's rejection keeps its stage", () => {
  // One class with no busy threshold and a queue limit of 0: a request arriving while the worker prefills
  // is shed.
  const policy = parseYaml(`
default_policy_family: root
uncached_isl_buckets: [{min_tokens: 0, bucket: all}]
policy_classes: [{name: root, policy_family: root, cache_bucket: all, quantum: 1, prefill_busy_threshold: 0,
                  request_queue_limit_per_worker: 0}]
`);
  const engine = { ...fixedTiming(100, 5), max_num_batched_tokens: 64, max_model_len: 1000 };
  const recs = records([
    { input: 64, output: 2, at: 0 },
    { input: 64, output: 2, at: 10 },
    { input: 2000, output: 2, at: 500 },
  ], { topology: { mode: "agg", num_workers: 1, engine }, router: { mode: "kv_router", policy } });
  const byArrival = recs.map((r) => [r.reject_reason ?? r.terminal_status, checked(r).length]);
  assert.deepEqual(byArrival, [["completed", 1], ["router_queue_limit", 0], ["max_model_len", 1]]);
  const [rejected] = recs[2].routing_history;
  assert.deepEqual([rejected.outcome, rejected.routed_at_ms, rejected.worker_id], ["immediate", 500, null]);
  // Disagg: a prompt over the prefill worker's limit never reaches the decode router.
  const disagg = records([{ input: 64, output: 2 }, { input: 2000, output: 2, at: 1 }], {
    topology: {
      mode: "disagg",
      prefill_engine: { ...fixedTiming(10, 0), max_model_len: 1000 },
      decode_engine: fixedTiming(0, 5),
    },
  });
  assert.deepEqual(disagg.map((r) => checked(r).map((s) => s.pool)), [["prefill", "decode"], ["prefill"]]);
});
