import assert from "node:assert/strict";
import { loadAgenticMooncake } from "../../lib/workload/agentic_mooncake.ts";
import { loadWorkload } from "../../lib/workload/load.ts";
import { WorkloadSpecSchema } from "../../lib/workload/spec.ts";
import { fixedTiming, run, workloadOf } from "../_fixtures.ts";
import {
  AGENTIC_V2_HEADER,
  agenticNode as node,
  agenticRow as row,
  agenticV2Graph,
  blocksOf,
  type Expected,
  jsonl,
  rejectsAt,
  withFile,
} from "./_helpers.ts";

/** Each edge as `source→target@delay` (`!` marks a dispatch edge), by source. */
function edges(w: Awaited<ReturnType<typeof loadAgenticMooncake>>): string[] {
  const out: string[] = [];
  for (let r = 0; r < w.requestCount; r++) {
    for (let e = w.succOffset[r]; e < w.succOffset[r + 1]; e++) {
      out.push(`${r}→${w.succ[e]}@${w.succDelayMs[e]}${w.succOnDispatch[e] ? "!" : ""}`);
    }
  }
  return out;
}

/** Each file of rows is refused with the error expected of it. */
async function refusesAll(cases: [unknown[], Expected][]): Promise<void> {
  for (const [rows, expected] of cases) {
    await withFile(
      "bad.jsonl",
      jsonl(rows),
      // Closed loop, where roots need no timestamp: the rows' other faults show.
      (path) =>
        rejectsAt(
          () => loadAgenticMooncake(path, { blockSize: 64, requireTimestamps: false }),
          path,
          expected,
        ),
    );
  }
}

const HEADER = AGENTIC_V2_HEADER;

Deno.test("agentic_mooncake v1: wait_for makes a graph; delay + tool_wait_ms is each edge's delay", async () => {
  const text = jsonl([
    row("root", { timestamp: 5000, session_id: "a", branches: ["t1", "t2"], prefix_reset: true }),
    row("t1", { wait_for: ["root"], tool_wait_ms: 300, timestamp: 1, session_id: "a" }),
    row("t2", { wait_for: ["root"], delay_ms: 40, tool_wait_ms: 60, session_id: "a" }),
    row("join", { wait_for: ["t1", "t2"], delay: 20, session_id: "a" }),
    row("other", { timestamp: 6000, output_length: 0 }),
  ]);
  await withFile("a.jsonl", text, async (path) => {
    const w = await loadAgenticMooncake(path, { blockSize: 64, speedup: 2 });
    assert.deepEqual([...w.waitCount], [0, 1, 1, 2, 0]);
    assert.deepEqual(edges(w), ["0→1@150", "0→2@50", "1→3@10", "2→3@10"], "over the speed-up");
    assert.deepEqual([...w.roots], [0, 4]);
    assert.deepEqual([...w.arrivalMs], [0, 0, 0, 0, 500], "roots from their timestamps; t1's is not used");
    assert.deepEqual([...w.sessionOf], [0, 0, 0, 0, 1]);
    assert.equal(w.outputLength[4], 1, "an output of 0 replays as 1 token");
    assert.deepEqual(blocksOf(w, 3), blocksOf(w, 0), "equal hash ids share blocks");
    assert.deepEqual(
      [...w.trajectories!.of],
      [0, 0, 0, 0, 1],
      "trajectories: the requests linked by wait_for",
    );
    assert.equal(w.trajectories!.count, 2);
  });
});

Deno.test("agentic_mooncake v1: a request may name a later row; it is placed before its waiter", async () => {
  const text = jsonl([
    row("b", { wait_for: ["a"] }),
    row("c", { timestamp: 0 }),
    row("a", { timestamp: 10 }),
  ]);
  await withFile("a.jsonl", text, async (path) => {
    const w = await loadAgenticMooncake(path, { blockSize: 64 });
    assert.deepEqual(w.requestIds, ["a", "b", "c"], "a moved up for b");
    assert.deepEqual(edges(w), ["0→1@0"]);
    assert.deepEqual([...w.arrivalMs], [10, 0, 0]);
    assert.deepEqual([...w.roots], [2, 0]);
  });
});

Deno.test("agentic_mooncake v1: bad rows are refused, naming the line and field", async () => {
  const cases: [unknown[], Expected][] = [
    [[{ ...row("a"), request_id: undefined }], {
      line: 1,
      field: "request_id",
      includes: ["non-empty string"],
    }],
    [[row("a"), row("a")], { line: 2, field: "request_id", includes: ['"a" of line 1'] }],
    [[row("a", { wait_for: ["zzz"] })], { line: 1, field: "wait_for", includes: ['"zzz"', "no row has"] }],
    [[row("a", { wait_for: ["a"] })], { line: 1, field: "wait_for", includes: ["itself"] }],
    [[row("a"), row("b", { wait_for: ["a", "a"] })], { line: 2, field: "wait_for", includes: ['"a" twice'] }],
    [[row("a", { wait_for: "b" }), row("b")], { line: 1, field: "wait_for", includes: ["array"] }],
    [[row("a", { delay: 1, delay_ms: 2 })], { line: 1, field: "delay_ms", includes: ["not both"] }],
    [[row("a", { tool_wait_ms: -1 })], { line: 1, field: "tool_wait_ms", includes: ["≥ 0"] }],
    [[row("a", { input_length: 1025 })], { line: 1, field: "input_length", includes: ["2 hash ids × 512"] }],
    [[row("a", { hash_ids: [] })], { line: 1, field: "hash_ids" }],
    [[{ ...row("a"), output_length: undefined }], { line: 1, field: "output_length" }],
    [[row("a"), { ...HEADER }], { line: 2, field: "schema", includes: ["first line"] }],
    [[row("a", { output_tokens: 2 ** 31, output_length: undefined })], {
      line: 1,
      field: "output_tokens",
      includes: ["from 0 to 2147483647"],
    }],
    [[row("a", { created_time: 1e20 })], { line: 1, field: "created_time", includes: ["at most"] }],
  ];
  await refusesAll(cases);
  // Open loop: a root (no wait_for) needs its arrival time, as a Mooncake session's first turn does.
  await withFile(
    "roots.jsonl",
    jsonl([row("a", { timestamp: 0 }), row("b", { wait_for: ["a"] }), row("c")]),
    (path) =>
      rejectsAt(() => loadAgenticMooncake(path, { blockSize: 64 }), path, {
        line: 3,
        field: "timestamp",
        includes: ["without wait_for", "--replay-concurrency"],
      }),
  );
});

Deno.test("agentic_mooncake v1: hash ids that make too long a prompt are refused, naming hash_ids", async () => {
  const text = jsonl([row("a", { input_length: undefined, hash_ids: [1, 2, 3, 4, 5, 6, 7, 8, 9] })]);
  await withFile("big.jsonl", text, async (path) => {
    await rejectsAt(() => loadAgenticMooncake(path, { blockSize: 64, traceBlockSize: 1e9 }), path, {
      line: 1,
      field: "hash_ids",
      includes: ["9 ids × 1000000000 tokens (--trace-block-size) make a 9000000000-token prompt"],
    });
  });
});

Deno.test("agentic_mooncake: a cycle is refused, naming its requests and lines", async () => {
  const text = jsonl([
    row("x", { timestamp: 0 }),
    row("a", { wait_for: ["b"] }),
    row("b", { wait_for: ["a", "x"] }),
  ]);
  await withFile(
    "cycle.jsonl",
    text,
    (path) =>
      rejectsAt(() => loadAgenticMooncake(path, { blockSize: 64 }), path, {
        includes: ['"a" (line 2) waits for "b" (line 3) waits for "a" (line 2)'],
      }),
  );
});

Deno.test("agentic_mooncake v2: the header's block size, typed edges and not_before_ms floors", async () => {
  const text = jsonl([HEADER, ...agenticV2Graph()]);
  await withFile("v2.jsonl", text, async (path) => {
    const w = await loadAgenticMooncake(path, { blockSize: 64 });
    assert.deepEqual(edges(w), ["0→1@5!", "0→2@1", "1→3@2", "2→3@0"]);
    assert.deepEqual([...w.arrivalMs], [1000, 1000, 9000, 0], "floors, normalised to the earliest (0)");
    assert.deepEqual([...w.inputLength], [130, 100, 100, 100]);
    assert.equal(blocksOf(w, 0).length, 2, "130 tokens at the header's 64 per id: two full engine blocks");
    assert.deepEqual([...w.trajectories!.of], [0, 0, 0, 0], "one play_id");
    const given = await loadAgenticMooncake(path, { blockSize: 64, traceBlockSize: HEADER.block_size });
    assert.deepEqual(
      [...given.inputLength],
      [...w.inputLength],
      "--trace-block-size may repeat the header's",
    );
    await rejectsAt(() => loadAgenticMooncake(path, { blockSize: 64, traceBlockSize: 512 }), path, {
      line: 1,
      field: "block_size",
      includes: ["is 64, but --trace-block-size is 512"],
    });
  });
});

Deno.test("agentic_mooncake v2: bad headers, rows and edges are refused, naming the line and field", async () => {
  const edge = (o: object) =>
    node("b", 0, [{ request_id: "a", trigger: "completion", relation: "sequence", ...o }]);
  const cases: [unknown[], Expected][] = [
    [[{ ...HEADER, schema: "x" }, node("a", 0)], { line: 1, field: "schema" }],
    [[{ ...HEADER, version: 3 }, node("a", 0)], { line: 1, field: "version" }],
    [[{ ...HEADER, block_size: 0 }, node("a", 0)], { line: 1, field: "block_size" }],
    [[{ ...HEADER, hash_id_scope: "global" }, node("a", 0)], { line: 1, field: "hash_id_scope" }],
    [[HEADER, { ...node("a", 0), not_before_ms: undefined }], { line: 2, field: "not_before_ms" }],
    [[HEADER, { ...node("a", 0), hash_ids: [1, 2, 3] }], {
      line: 2,
      field: "hash_ids",
      includes: ["exactly 2"],
    }],
    [[HEADER, node("a", 0), edge({ trigger: "later" })], { line: 3, field: "dependencies[0].trigger" }],
    [[HEADER, node("a", 0), edge({ relation: "x" })], { line: 3, field: "dependencies[0].relation" }],
    [[HEADER, node("a", 0), edge({ relation: "toString" })], { line: 3, field: "dependencies[0].relation" }],
    [[HEADER, node("a", 0), edge({ trigger: "dispatch", relation: "join" })], {
      line: 3,
      field: "dependencies[0].trigger",
      includes: ["join edge fires on completion"],
    }],
    [[HEADER, node("a", 0), edge({ delay_ms: -2 })], { line: 3, field: "dependencies[0].delay_ms" }],
    [[HEADER, node("a", 0), edge({ delay_ms: 2 ** 44 })], {
      line: 3,
      field: "dependencies[0].delay_ms",
      includes: ["at most 8796093022208 ms"],
    }],
    [[HEADER, { ...node("a", 0), input_tokens: 2 ** 31, input_length: undefined }], {
      line: 2,
      field: "input_tokens",
      includes: ["from 1 to 2147483647"],
    }],
    [[HEADER, { ...node("a", 0), play_id: "q" }, edge({})], {
      line: 3,
      field: "dependencies",
      includes: ["across plays"],
    }],
    [[HEADER], { includes: ["no requests"] }],
  ];
  await refusesAll(cases);
});

Deno.test("agentic_mooncake: replayed, a join starts after its slowest edge; a dispatch edge after the send", async () => {
  const text = jsonl([
    HEADER,
    node("root", 0, [], 64),
    node("spawned", 0, [{ request_id: "root", trigger: "dispatch", delay_ms: 5, relation: "spawn" }], 64),
    node("late", 500, [{ request_id: "root", trigger: "completion", delay_ms: 1, relation: "sequence" }], 64),
    node("join", 0, [
      { request_id: "spawned", trigger: "completion", delay_ms: 2, relation: "join" },
      { request_id: "late", trigger: "completion", delay_ms: 30, relation: "join" },
    ], 64),
  ]);
  await withFile("v2.jsonl", text, async (path) => {
    const w = await loadAgenticMooncake(path, { blockSize: 64 });
    // One worker, 10 ms per pass: each 5-token request takes 5 passes (prefill with its first token, 4 decodes).
    const result = run(w, { topology: { mode: "agg", num_workers: 1, engine: fixedTiming(10, 10) } });
    const c = result.collector;
    assert.deepEqual([...c.arrivalMs], [0, 5, 500, c.lastTokenMs[2] + 30]);
    assert.ok(c.lastTokenMs[2] + 30 > c.lastTokenMs[1] + 2, "the slower edge decides");
    assert.ok(c.lastTokenMs[0] + 1 < 500, "the floor holds 'late' back");
    const report = result.report;
    assert.equal(report.total_trajectories, 1);
    assert.equal(report.completed_trajectories, 1);
    assert.equal(report.mean_trajectory_e2e_latency_ms, c.terminalMs[3] - c.arrivalMs[0]);
  });
});

Deno.test("agentic_mooncake: a rejected request leaves its trajectory incomplete and still releases its waiters", async () => {
  const text = jsonl([
    row("a", { timestamp: 0, input_length: 100 }),
    row("too-long", { wait_for: ["a"], input_length: 1000 }),
    row("after", { wait_for: ["too-long"], input_length: 100 }),
    row("solo", { timestamp: 0, input_length: 100, hash_ids: [9] }),
  ]);
  await withFile("a.jsonl", text, async (path) => {
    const w = await loadAgenticMooncake(path, { blockSize: 64 });
    const engine = { ...fixedTiming(10, 10), max_model_len: 500 };
    const { report, collector } = run(w, { topology: { mode: "agg", num_workers: 1, engine } });
    assert.equal(report.rejected_requests, 1);
    assert.equal(report.completed_requests, 3, "'after' ran once 'too-long' was rejected");
    assert.ok(collector.arrivalMs[2] >= collector.terminalMs[1]);
    assert.equal(report.total_trajectories, 2);
    assert.equal(report.completed_trajectories, 1);
    assert.equal(report.incomplete_trajectories, 1);
    assert.equal(report.mean_trajectory_e2e_latency_ms, collector.terminalMs[3] - collector.arrivalMs[3]);
  });
});

Deno.test("reports of workloads without trajectories carry no trajectory keys", () => {
  const w = workloadOf([{ input: 100, output: 3 }]);
  const { report } = run(w, { topology: { mode: "agg", num_workers: 1, engine: fixedTiming(10, 10) } });
  assert.equal(w.trajectories, undefined);
  assert.ok(!("total_trajectories" in report));
});

Deno.test("agentic_mooncake: loadWorkload reads it, open or closed loop, with --trace-block-size", async () => {
  const text = jsonl([
    row("a", { timestamp: 100, input_length: 128, hash_ids: [1] }),
    row("b", { wait_for: ["a"] }),
  ]);
  await withFile("a.jsonl", text, async (path) => {
    const spec = WorkloadSpecSchema.parse({
      source: "trace",
      path,
      format: "agentic_mooncake",
      trace_block_size: 1000,
    });
    for (const closedLoop of [false, true]) {
      const w = await loadWorkload(spec, { blockSize: 64, speedup: 1, closedLoop });
      assert.deepEqual([...w.inputLength], [128, 1000]);
      assert.deepEqual([...w.waitCount], [0, 1]);
    }
  });
});

Deno.test("agentic_mooncake: rows' router-queue hints follow their requests into dependency order", async () => {
  const text = jsonl([
    row("late", { wait_for: ["early"], priority: 7, policy_class: "batch" }),
    row("early", { timestamp: 0, strict_priority: 3 }),
  ]);
  await withFile("t.jsonl", text, async (path) => {
    const w = await loadAgenticMooncake(path, { blockSize: 64 });
    assert.deepEqual(w.requestIds, ["early", "late"]);
    assert.deepEqual(Array.from(w.routing!.priority), [0, 7]);
    assert.deepEqual(Array.from(w.routing!.strictPriority), [3, 0]);
    assert.deepEqual(Array.from(w.routing!.policyClass), [-1, 0]);
  });
});
