import assert from "node:assert/strict";
import { type KvCacheTesterOptions, loadKvCacheTester } from "../../lib/workload/kv_cache_tester.ts";
import { jitterArrivals } from "../../lib/workload/jitter.ts";
import { Rng } from "../../lib/common/rng.ts";
import { fixedTiming, run } from "../_fixtures.ts";
import {
  arraysOf,
  blocksOf,
  commonPrefix,
  delaysOf,
  gzip,
  jsonl,
  kvCall as call,
  kvSession as session,
  rejectsAt,
  turnsOf,
  withFile,
} from "./_helpers.ts";

const TWO = jsonl([
  session("trace_0001", [call(0, 4), call(5, 6), call(12, 9, 0, { think_time: 4.5 })]),
  session("trace_0002", [call(0, 4), call(8, 5)]),
]);

async function load(text: string, options: Partial<KvCacheTesterOptions> = {}, name = "t.jsonl.gz") {
  return await withFile(name, text, (path) => loadKvCacheTester(path, { blockSize: 64, ...options }));
}

Deno.test("kv-cache-tester: sessions are closed loops with think-time delays", async () => {
  const w = await load(TWO);
  assert.equal(w.requestCount, 5);
  assert.equal(w.sessionCount, 2);
  assert.deepEqual(turnsOf(w, 0), [0, 1, 2]);
  // think_time (s → ms), not api_time, is the delay; all sessions start at t = 0 by default
  assert.deepEqual(delaysOf(w), [0, 3000, 4500, 0, 3000]);
  assert.deepEqual(Array.from(w.arrivalMs), [0, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(w.inputLength), [266, 394, 576, 266, 330]);
  // len(hash_ids) = floor(in / 64) blocks, each turn extends the previous one
  assert.equal(blocksOf(w, 1).length, 6);
  assert.equal(commonPrefix(w, 0, 1), 4);
  assert.equal(commonPrefix(w, 1, 2), 6);
});

Deno.test("kv-cache-tester: equal local ids in two sessions share no block", async () => {
  const w = await load(TWO);
  const a = new Set([...blocksOf(w, 0), ...blocksOf(w, 1), ...blocksOf(w, 2)]);
  for (const id of [...blocksOf(w, 3), ...blocksOf(w, 4)]) assert.ok(!a.has(id));
  // hash_id_scope "global" puts both sessions in one namespace
  const global = await load(jsonl([
    session("a", [call(0, 4)], { hash_id_scope: "global" }),
    session("b", [call(0, 4)], { hash_id_scope: "global" }),
  ]));
  assert.equal(commonPrefix(global, 0, 1), 4);
  // a local session after a global one must not disturb later global sharing
  const mixed = await load(jsonl([
    session("a", [call(0, 4)], { hash_id_scope: "global" }),
    session("b", [call(0, 4)]),
    session("c", [call(0, 4)], { hash_id_scope: "global" }),
  ]));
  assert.equal(commonPrefix(mixed, 0, 2), 4);
  assert.equal(commonPrefix(mixed, 0, 1), 0);
});

Deno.test("kv-cache-tester: session starts by fixed interval or seeded Poisson process", async () => {
  const fixed = await load(TWO, { sessionIntervalMs: 1500, speedup: 3 });
  assert.deepEqual([fixed.arrivalMs[0], fixed.arrivalMs[3]], [0, 500]);
  const many = jsonl(Array.from({ length: 200 }, (_, i) => session(`s${i}`, [call(0, 1)])));
  const a = await load(many, { sessionRate: 2, sessionSeed: 7 });
  const b = await load(many, { sessionRate: 2, sessionSeed: 7 });
  const c = await load(many, { sessionRate: 2, sessionSeed: 8 });
  assert.deepEqual(arraysOf(a), arraysOf(b));
  assert.notDeepEqual(Array.from(a.arrivalMs), Array.from(c.arrivalMs));
  const span = a.arrivalMs[199];
  // 199 gaps of mean 500 ms: the mean is within a few standard errors
  assert.ok(Math.abs(span / 199 - 500) < 4 * 500 / Math.sqrt(199), `mean gap ${span / 199}`);
});

Deno.test("kv-cache-tester: session starts past 2^43 ms name the option that put them there", async () => {
  for (
    const [options, field] of [[{ sessionRate: 5e-324 }, "session_rate"], [
      { sessionIntervalMs: 1e300 },
      "session_interval_ms",
    ]] as const
  ) {
    await withFile("t.jsonl", TWO, async (path) => {
      const e = await rejectsAt(() => loadKvCacheTester(path, { blockSize: 64, ...options }), undefined, {
        field,
        includes: ["starts session 2 (line 2)"],
      });
      assert.equal(e.location.line, undefined);
    });
  }
});

Deno.test("kv-cache-tester: only the first max_sessions sessions are read", async () => {
  const text = TWO + "this line is never parsed\n";
  const w = await load(text, { maxSessions: 2 });
  assert.equal(w.sessionCount, 2);
  const one = await load(text, { maxSessions: 1 });
  assert.equal(one.requestCount, 3);
});

const WITH_SUBAGENT = jsonl([
  session("p", [
    call(0, 4),
    {
      t: 20,
      type: "subagent",
      agent_id: "agent_001",
      requests: [call(0, 2, 5, { think_time: 0 }), call(6, 3, 5, { think_time: 1 })],
    },
    call(30, 8, 10, { think_time: 7 }),
  ]),
]);

Deno.test("kv-cache-tester: sub-agents run as their own sessions in the parent's namespace", async () => {
  const w = await load(WITH_SUBAGENT, { sessionIntervalMs: 0 });
  assert.equal(w.sessionCount, 2);
  assert.equal(w.requestCount, 4);
  // parent chain: calls 0 and 2 of the list; sub-agent chain starts 20 s after the parent's first call is sent
  // (an edge from it, so that closed loop keeps the sub-agent beside its parent)
  assert.deepEqual(turnsOf(w, 0), [0, 1]);
  assert.deepEqual(Array.from(w.inputLength), [266, 522, 133, 197]);
  // The sub-agent's first call has no start floor of its own: its edge holds the 20 s, so arrival jitter, which
  // moves each session's floors by the session's own draw, moves it with its parent.
  assert.deepEqual(Array.from(w.arrivalMs), [0, 0, 0, 0]);
  assert.deepEqual(delaysOf(w), [0, 7000, 20_000, 1000]);
  for (const seed of [1, 2, 3]) assert.equal(jitterArrivals(w, 5000, new Rng(seed)).arrivalMs[2], 0);
  // same namespace: the sub-agent's ids 1, 2 are the parent's blocks 1, 2
  assert.equal(commonPrefix(w, 0, 2), 2);
});

Deno.test("kv-cache-tester: inline sub-agents are spliced into the parent's chain", async () => {
  const w = await load(WITH_SUBAGENT, { subagents: "inline" });
  assert.equal(w.sessionCount, 1);
  assert.deepEqual(turnsOf(w, 0), [0, 1, 2, 3]);
  assert.deepEqual(Array.from(w.inputLength), [266, 133, 197, 522]);
  assert.deepEqual(delaysOf(w), [0, 0, 1000, 7000]);
});

Deno.test("kv-cache-tester: missing think_time falls back to the gap the trace implies", async () => {
  const w = await load(jsonl([
    session("s", [
      call(0, 2, 0, { api_time: 2.5 }),
      call(10, 3, 0, { think_time: undefined }),
      call(11, 4, 0, { think_time: undefined, api_time: undefined }),
      call(30, 5, 0, { think_time: undefined }),
    ]),
  ]));
  // 10 − 0 − 2.5; 11 − 10 − 2 → floored at 0; 30 − 11 − 0 (no api_time)
  assert.deepEqual(delaysOf(w), [0, 7500, 0, 19000]);
});

Deno.test("kv-cache-tester: out 0 is replayed as one token", async () => {
  const w = await load(jsonl([session("s", [call(0, 2, 0, { out: 0 })])]));
  assert.equal(w.outputLength[0], 1);
});

Deno.test("kv-cache-tester: engine blocks that reach into the partial tail block share nothing", async () => {
  // call 0: 100 tokens = 1 full 64-token block + 36; call 1 extends it to 3 full blocks
  const text = jsonl([session("s", [call(0, 1, 36), call(5, 3, 0)])]);
  const w = await load(text, { blockSize: 16 });
  assert.equal(blocksOf(w, 0).length, 6);
  // tokens 0..63 (4 engine blocks) agree; tokens 64..95 are the unnamed tail of call 0, not call 1's id 2
  assert.equal(commonPrefix(w, 0, 1), 4);
  const big = await load(text, { blockSize: 128 });
  assert.equal(blocksOf(big, 0).length, 0);
  assert.equal(blocksOf(big, 1).length, 1);
});

Deno.test("kv-cache-tester: trace_block_size overrides the file's block_size", async () => {
  const text = jsonl([session("s", [{ ...call(0, 2, 0), in: 256 }], { block_size: 999 })]);
  const w = await load(text, { traceBlockSize: 128 });
  assert.equal(blocksOf(w, 0).length, 4);
});

const ok = call(0, 2);
const badLines: Array<[string, unknown, string | undefined, string[]]> = [
  ["malformed JSON", '{"id": "x", "requests": [', undefined, ["malformed JSON"]],
  ["a non-object line", "[]", undefined, ["JSON object"]],
  ["missing requests", { block_size: 64 }, "requests", ["array of calls"]],
  ["a non-object call", session("s", [ok, 5]), "requests[1]", ["must be an object"]],
  ["an unknown call type", session("s", [{ ...ok, type: "x" }]), "requests[0].type", [
    '"n", "s" or "subagent"',
  ]],
  ["a missing in", session("s", [{ ...ok, in: undefined }]), "requests[0].in", ["required"]],
  ["a wrong-typed out", session("s", [ok, { ...ok, out: "20" }]), "requests[1].out", ["integer from 0 to"]],
  ["a negative out", session("s", [{ ...ok, out: -1 }]), "requests[0].out", ["integer from 0 to"]],
  ["a zero in", session("s", [{ ...ok, in: 0, hash_ids: [] }]), "requests[0].in", ["integer from 1 to"]],
  ["missing hash_ids", session("s", [{ ...ok, hash_ids: undefined }]), "requests[0].hash_ids", ["array"]],
  ["too few hash_ids", session("s", [{ ...ok, hash_ids: [1] }]), "requests[0].hash_ids", [
    "has 1 ids but in = 138 holds floor(138 / 64) = 2",
  ]],
  ["a negative hash id", session("s", [{ ...ok, hash_ids: [1, -1] }]), "requests[0].hash_ids", ["[0, 2^52)"]],
  ["a negative think_time", session("s", [ok, { ...ok, think_time: -2 }]), "requests[1].think_time", ["≥ 0"]],
  ["a string t", session("s", [{ ...ok, t: "0" }]), "requests[0].t", ["finite number"]],
  [
    "a non-finite api_time",
    '{"block_size":64,"requests":[{"type":"n","in":64,"out":1,"hash_ids":[1],"api_time":1e999}]}',
    "requests[0].api_time",
    ["finite"],
  ],
  ["a think_time past 2^43 ms", session("s", [ok, { ...ok, think_time: 1e20 }]), "requests[1].think_time", [
    "at most 8796093022.208 s",
  ]],
  ["a t past 2^43 ms", session("s", [{ ...ok, t: 1e20 }]), "requests[0].t", ["at most 8796093022.208 s"]],
  [
    "sub-agent offsets that add up past 2^43 ms",
    session("s", [{ t: 8e9, type: "subagent", requests: [{ ...ok, t: 8e9 }] }]),
    "requests[0].requests[0].t",
    ["16000000000 s after its session's start"],
  ],
  ["an in past 2^31", session("s", [{ ...ok, in: 2 ** 31, hash_ids: [] }]), "requests[0].in", [
    "from 1 to 2147483647",
  ]],
  [
    "a bad call inside a sub-agent",
    session("s", [{ t: 1, type: "subagent", requests: [{ ...ok, in: -5 }] }]),
    "requests[0].requests[0].in",
    ["integer from 1 to"],
  ],
  ["a sub-agent without requests", session("s", [{ t: 1, type: "subagent" }]), "requests[0].requests", [
    "array",
  ]],
  ["a missing block_size", { requests: [ok] }, "block_size", ["trace_block_size"]],
  ["a zero block_size", session("s", [ok], { block_size: 0 }), "block_size", ["positive integer"]],
  ["a bad hash_id_scope", session("s", [ok], { hash_id_scope: "session" }), "hash_id_scope", [
    '"local" or "global"',
  ]],
];

for (const [what, line, field, includes] of badLines) {
  Deno.test(`kv-cache-tester: ${what} is an error naming file, line and field`, async () => {
    await withFile("bad.jsonl", jsonl([session("ok", [ok]), "", line]), async (path) => {
      await rejectsAt(() => loadKvCacheTester(path, { blockSize: 64 }), path, { line: 3, field, includes });
    });
  });
}

Deno.test("kv-cache-tester: empty and truncated files", async () => {
  await withFile("t.jsonl", "\n", async (path) => {
    await rejectsAt(() => loadKvCacheTester(path, { blockSize: 64 }), path, { includes: ["no requests"] });
  });
  const big = jsonl(Array.from({ length: 40 }, (_, i) => session(`s${i}`, [call(0, 300), call(9, 600)])));
  const bytes = await gzip(big);
  await withFile("t.jsonl.gz", bytes.subarray(0, bytes.length - 50), async (path) => {
    await rejectsAt(() => loadKvCacheTester(path, { blockSize: 64 }), path, { includes: ["truncated"] });
  });
  // reading stops early without leaking the file (the test sanitizer checks resources)
  await withFile("t.jsonl.gz", bytes, async (path) => {
    const w = await loadKvCacheTester(path, { blockSize: 64, maxSessions: 3 });
    assert.equal(w.sessionCount, 3);
  });
});

Deno.test("kv-cache-tester: loading is deterministic", async () => {
  const a = await load(WITH_SUBAGENT + TWO, { sessionRate: 0.5 });
  const b = await load(WITH_SUBAGENT + TWO, { sessionRate: 0.5 });
  assert.deepEqual(arraysOf(a), arraysOf(b));
});

Deno.test("kv-cache-tester: in closed loop a sub-agent starts its offset after its parent's first call is sent", async () => {
  // The parent session, then a second session; one request at a time. The sub-agent waits 20 s after its
  // parent's first call went out, not for every session of the trace to have started.
  const w = await load(jsonl([...WITH_SUBAGENT.trim().split("\n"), session("q", [call(0, 2)])]), {
    sessionIntervalMs: 0,
  });
  const { collector } = run(w, {
    topology: { mode: "agg", engine: fixedTiming(1, 1) },
    replay_concurrency: 1,
  });
  const [parent, , sub, , other] = collector.arrivalMs;
  assert.ok(sub >= parent + 20_000, `sub-agent at ${sub}, parent at ${parent}`);
  assert.ok(other < sub, "the other session went out while the sub-agent waited");
});
