import assert from "node:assert/strict";
import { loadDynamoTrace } from "../../lib/workload/dynamo_trace.ts";
import { loadWorkload } from "../../lib/workload/load.ts";
import { WorkloadSpecSchema } from "../../lib/workload/spec.ts";
import type { Workload } from "../../lib/workload/types.ts";
import { Rng } from "../../lib/common/rng.ts";
import { fixedTiming, run } from "../_fixtures.ts";
import { blocksOf, type Expected, gzip, jsonl, rejectsAt, withFile } from "./_helpers.ts";
import { tempDir } from "../_temp.ts";

const SCHEMA = "dynamo.request.trace.v1";

interface Req {
  readonly start: number;
  readonly end: number;
  readonly hashes?: readonly (number | string)[];
  readonly session?: string;
  readonly parent?: string;
  readonly block?: number;
  readonly input?: number;
  readonly output?: number;
}

/** A `request_end` record (hashes given as strings are written as bare JSON integers, for u64s). */
function record(id: string, r: Req): string {
  const hashes = r.hashes ?? [1];
  const block = r.block ?? 64;
  const json = JSON.stringify({
    schema: SCHEMA,
    event_type: "request_end",
    event_time_unix_ms: r.end,
    ...(r.session ? { agent_context: { session_id: r.session, parent_session_id: r.parent } } : {}),
    request: {
      request_id: id,
      model: "m",
      request_received_ms: r.start,
      output_tokens: r.output ?? 8,
      replay: {
        trace_block_size: block,
        input_length: r.input ?? block * hashes.length,
        input_sequence_hashes: hashes.map((h) => `@${h}@`),
      },
    },
  });
  return json.replace(/"@(\d+)@"/g, "$1");
}

/** A `tool_end` record with launch/join evidence. */
function tool(session: string, id: string, start: number, end: number, claude?: object): string {
  return JSON.stringify({
    schema: SCHEMA,
    event_type: "tool_end",
    event_time_unix_ms: end,
    event_source: "harness",
    agent_context: { session_id: session },
    tool: {
      tool_call_id: id,
      tool_class: "Agent",
      started_at_unix_ms: start,
      ended_at_unix_ms: end,
      ...(claude ? { claude } : {}),
    },
  });
}

/** Each request's dependencies as `id<-dep@delay`, in load order. */
function waits(w: Workload): string[] {
  const out: string[] = [];
  for (let r = 0; r < w.requestCount; r++) {
    for (let e = w.succOffset[r]; e < w.succOffset[r + 1]; e++) {
      out.push(`${w.requestIds![w.succ[e]]}<-${w.requestIds![r]}@${w.succDelayMs[e]}`);
    }
  }
  return out.sort();
}

function load(lines: string[], traceBlockSize?: number): Promise<Workload> {
  return withFile(
    "trace.jsonl",
    jsonl(lines),
    (path) => loadDynamoTrace([path], { blockSize: 64, traceBlockSize }),
  );
}

Deno.test("dynamo: requests without agent_context arrive on their own, from request_received_ms", async () => {
  const w = await load([
    record("c", { start: 1500, end: 1600, hashes: [11, 33] }),
    record("a", { start: 1000, end: 1100, hashes: [11, 22] }),
    JSON.stringify({ event_type: "request_payload", request_id: "a" }), // no schema: skipped all the same
    JSON.stringify({ schema: SCHEMA, event_type: "tool_start", event_time_unix_ms: 1 }),
    "",
    JSON.stringify({
      timestamp: 1,
      event: JSON.parse(record("b", { start: 1000, end: 1700, hashes: [22] })),
    }),
  ]);
  assert.deepEqual(w.requestIds, ["a", "b", "c"], "by start, then end");
  assert.deepEqual([...w.arrivalMs], [0, 0, 500]);
  assert.deepEqual([...w.roots], [0, 1, 2]);
  assert.equal(w.succ.length, 0);
  assert.equal(w.sessionCount, 3);
  assert.equal(w.trajectories, undefined);
  assert.deepEqual(blocksOf(w, 0).slice(0, 1), blocksOf(w, 2).slice(0, 1), "equal hashes share blocks");
  assert.notDeepEqual(blocksOf(w, 1), blocksOf(w, 0).slice(1, 2), "a hash's block depends on its prefix");
});

Deno.test("dynamo: u64 hashes up to 2^64 − 1 are read, though as doubles they round to 2^64; 2^64 is not", async () => {
  const top = ["18446744073709551557", "18446744073709551615"];
  const w = await load([
    record("a", { start: 0, end: 5, hashes: [top[0]] }),
    record("b", { start: 1, end: 6, hashes: [top[1]] }),
  ]);
  assert.notDeepEqual(blocksOf(w, 0), blocksOf(w, 1));
  await withFile(
    "trace.jsonl",
    jsonl([record("a", { start: 0, end: 5, hashes: ["18446744073709551616"] })]),
    (path) =>
      rejectsAt(() => loadDynamoTrace([path], { blockSize: 64 }), path, {
        line: 1,
        includes: ["[0, 2^64)", "found 18446744073709551616"],
      }),
  );
});

Deno.test("dynamo: shards read as one trace; gzip; u64 hashes keep every bit", async () => {
  // 2^63 + 1 and 2^63 + 2 are one double apart from nothing: as numbers they would be one block.
  const big = ["9223372036854775809", "9223372036854775810"];
  await using tmp = await tempDir();
  const dir = tmp.path;
  await Deno.writeFile(
    `${dir}/a.jsonl.gz`,
    await gzip(jsonl([record("x", { start: 0, end: 5, hashes: [big[0]] })])),
  );
  await Deno.writeTextFile(
    `${dir}/b.jsonl`,
    jsonl([
      record("y", { start: 10, end: 20, hashes: [big[1]] }),
      record("z", { start: 30, end: 40, hashes: [big[0]] }),
    ]),
  );
  const spec = WorkloadSpecSchema.parse({
    source: "trace",
    format: "dynamo",
    path: [`${dir}/b.jsonl`, `${dir}/a.jsonl.gz`],
  });
  const w = await loadWorkload(spec, { blockSize: 64, speedup: 2, closedLoop: false });
  assert.equal(w.name, "2 dynamo shards");
  assert.deepEqual(w.requestIds, ["x", "y", "z"], "sorted across shards");
  assert.deepEqual([...w.arrivalMs], [0, 5, 15], "over the speed-up");
  assert.deepEqual(blocksOf(w, 0), blocksOf(w, 2));
  assert.notDeepEqual(blocksOf(w, 0), blocksOf(w, 1));
});

Deno.test("dynamo: the block size is the trace's own (a matching --trace-block-size is accepted); an output of 0 is 1 token", async () => {
  const w = await load([
    record("a", { start: 0, end: 1, block: 16, input: 40, hashes: [1, 2, 3] }),
    record("b", { start: 1, end: 2, block: 16, input: 32, hashes: [1, 2] }),
  ]);
  assert.deepEqual([w.inputLength[0], w.inputLength[1]], [40, 32]);
  assert.equal(w.outputLength[0], 8);
  const zero = await load([record("a", { start: 0, end: 1, output: 0 })]);
  assert.equal(zero.outputLength[0], 1, "an output of 0 replays as 1 token");
  assert.equal((await load([record("a", { start: 0, end: 1, block: 16 })], 16)).requestCount, 1);
});

Deno.test("dynamo: agent sessions chain in start order and wait their recorded gap", async () => {
  // The reference's lowering tests: a tool between two turns, then a sub-agent found by its timestamps.
  const w = await load([
    record("r2", { start: 1300, end: 1400, session: "root" }),
    record("r1", { start: 1000, end: 1100, session: "root" }),
    tool("root", "call-1", 1150, 1250),
    record("other", { start: 5000, end: 5100, session: "elsewhere" }),
  ]);
  assert.deepEqual(waits(w), ["r2<-r1@200"], "100 ms of tool and 100 ms of think time");
  assert.deepEqual(w.requestIds!.filter((_, r) => w.waitCount[r] === 0), ["r1", "other"]);
  assert.deepEqual([...w.arrivalMs], [0, 0, 4000]);
  assert.equal(w.trajectories!.count, 2);

  const sub = await load([
    record("parent-1", { start: 1000, end: 1100, session: "root" }),
    record("child-1", { start: 1200, end: 1300, session: "child", parent: "root" }),
    record("parent-2", { start: 1500, end: 1600, session: "root" }),
  ]);
  assert.deepEqual(waits(sub), ["child-1<-parent-1@100", "parent-2<-child-1@200", "parent-2<-parent-1@200"]);
  assert.equal(sub.trajectories!.count, 1);
});

Deno.test("dynamo: a parent request waits for the last sub-agent request to finish", async () => {
  const w = await load([
    record("parent-1", { start: 1000, end: 1100, session: "root" }),
    record("child-slow", { start: 1200, end: 1900, session: "child", parent: "root" }),
    record("child-fast", { start: 1300, end: 1400, session: "child", parent: "root" }),
    record("parent-2", { start: 1500, end: 1600, session: "root" }),
    record("parent-3", { start: 2000, end: 2100, session: "root" }),
  ]);
  assert.deepEqual(waits(w), [
    "child-fast<-child-slow@0",
    "child-slow<-parent-1@100",
    "parent-2<-parent-1@400",
    "parent-3<-child-slow@100",
    "parent-3<-parent-2@100",
  ]);
});

Deno.test("dynamo: tool evidence names the launching and consuming requests", async () => {
  const root = (id: string, start: number, end: number) => record(id, { start, end, session: "root" });
  const trace = (claude?: object) => [
    ...(claude ? [tool("root", "agent-call", 1100, 1800, claude)] : []),
    root("parent-1", 1000, 1100),
    root("parent-2", 1150, 1180),
    record("child-1", { start: 1200, end: 1700, session: "child", parent: "root" }),
    root("parent-3", 1850, 1950),
    root("parent-4", 2000, 2100),
  ];
  // By timestamps: launched by the parent request that started last before it, joined by the first after it.
  assert.deepEqual(waits(await load(trace())), [
    "child-1<-parent-2@20",
    "parent-2<-parent-1@50",
    "parent-3<-child-1@150",
    "parent-3<-parent-2@150",
    "parent-4<-parent-3@50",
  ]);
  const evidence = {
    source_request_id: "parent-1",
    consumer_request_id: "parent-4",
    child_session_id: "child",
  };
  for (const mode of ["blocking", "background"]) {
    assert.deepEqual(waits(await load(trace({ ...evidence, execution_mode: mode }))), [
      "child-1<-parent-1@100",
      "parent-2<-parent-1@50",
      "parent-3<-parent-2@670",
      "parent-4<-child-1@50",
      "parent-4<-parent-3@50",
    ], mode);
  }
  // A tool naming a session that is not in the trace links nothing.
  const missing = await load([
    tool("root", "agent-call", 1100, 1250, {
      ...evidence,
      consumer_request_id: "parent-2",
      child_session_id: "absent",
      execution_mode: "background",
    }),
    root("parent-1", 1000, 1100),
    root("parent-2", 1300, 1400),
  ]);
  assert.deepEqual(waits(missing), ["parent-2<-parent-1@200"]);
});

Deno.test("dynamo: a dependent request starts its gap after its dependency ends in the replay", async () => {
  const w = await load([
    record("r1", { start: 1000, end: 1100, session: "s" }),
    record("r2", { start: 1300, end: 1400, session: "s" }),
  ]);
  const { collector } = run(w, { topology: { mode: "agg", num_workers: 1, engine: fixedTiming(10, 10) } });
  const r1End = collector.terminalMs[0], r2Start = collector.arrivalMs[1];
  assert.ok(r1End > 0);
  assert.equal(r2Start - r1End, 200);
});

Deno.test("dynamo: bad records are refused, naming the file, line and field", async () => {
  const ok = record("a", { start: 0, end: 1 });
  /** `ok` with the field at `path` set to `value` (removed when undefined). */
  const edit = (path: string, value?: unknown) => {
    const o = JSON.parse(ok);
    const keys = path.split(".");
    const holder = keys.slice(0, -1).reduce(
      (h, k) => h[k] as Record<string, unknown>,
      o as Record<string, unknown>,
    );
    if (value === undefined) delete holder[keys.at(-1)!];
    else holder[keys.at(-1)!] = value;
    return JSON.stringify(o);
  };
  const cases: [string[], Expected][] = [
    [[edit("schema", "dynamo.request.trace.v2")], { line: 1, field: "schema", includes: ["v1"] }],
    [[edit("event_type", "request_start")], {
      line: 1,
      field: "event_type",
      includes: ["tool_end"],
    }],
    [[edit("event_time_unix_ms")], { line: 1, field: "event_time_unix_ms" }],
    [[edit("request.replay")], { line: 1, field: "request.replay" }],
    [[edit("request.replay.input_sequence_hashes", [1, 2])], {
      line: 1,
      field: "request.replay.input_sequence_hashes",
      includes: ["needs exactly 1"],
    }],
    [[edit("request.replay.input_sequence_hashes", ["1"])], {
      field: "request.replay.input_sequence_hashes",
    }],
    [[edit("request.replay.input_length", 0)], { field: "request.replay.input_length" }],
    [[edit("request.request_received_ms")], { field: "request.request_received_ms" }],
    [[edit("request.output_tokens")], { field: "request.output_tokens" }],
    // Past what a workload holds: named as the record spells it, not as the builder's timestamp or lengths.
    [[edit("request.output_tokens", 2 ** 31)], { field: "request.output_tokens", includes: ["from 0 to"] }],
    [[edit("request.request_received_ms", 2 ** 44)], {
      field: "request.request_received_ms",
      includes: ["from 0 to 8796093022208"],
    }],
    [[edit("request.total_time_ms", -1)], { field: "request.total_time_ms" }],
    [[JSON.stringify({ event: 3 })], { line: 1, field: "event" }],
    [[edit("request.request_id", "")], { field: "request.request_id" }],
    [[ok, ok], { line: 2, field: "request.request_id", includes: ['"a"', ":1"] }],
    [[ok, record("b", { start: 0, end: 1, block: 32 })], {
      line: 2,
      field: "request.replay.trace_block_size",
      includes: ["has 64"],
    }],
    [[ok, record("b", { start: 2, end: 3, session: "s" })], {
      line: 2,
      field: "agent_context",
      includes: ["1 of 2"],
    }],
    [["[1]"], { line: 1, includes: ["JSON object"] }],
    [[JSON.stringify({ schema: SCHEMA, event_type: "tool_end", event_time_unix_ms: 1 })], {
      includes: ["no request_end records"],
    }],
  ];
  for (const [lines, expected] of cases) {
    await withFile(
      "bad.jsonl",
      jsonl(lines),
      (path) => rejectsAt(() => loadDynamoTrace([path], { blockSize: 64 }), path, expected),
    );
  }
  await withFile(
    "t.jsonl",
    jsonl([ok]),
    (path) =>
      rejectsAt(() => loadDynamoTrace([path], { blockSize: 64, traceBlockSize: 512 }), undefined, {
        field: "trace_block_size",
        includes: ["embed trace_block_size 64"],
      }),
  );
});

Deno.test("dynamo: agent graphs that cannot replay are refused", async () => {
  const root = (id: string, start: number) => record(id, { start, end: start + 100, session: "root" });
  /** A blocking tool call of session root at 1,100–1,200 ms with this launch evidence. */
  const launch = (id: string, claude: object) =>
    tool("root", id, 1100, 1200, { execution_mode: "blocking", ...claude });
  const cases: [string[], Expected][] = [
    [[
      root("parent-1", 1000),
      record("child-1", { start: 1200, end: 1300, session: "child", parent: "root" }),
      record("child-2", { start: 1400, end: 1500, session: "child", parent: "other" }),
    ], { line: 3, field: "agent_context.parent_session_id", includes: ['"root"', '"other"'] }],
    [[
      root("parent-1", 1000),
      tool("root", "t", 1100, 1200, { source_request_id: "nope", execution_mode: "blocking" }),
    ], { line: 2, field: "tool.claude.source_request_id", includes: ['"nope"'] }],
    [[
      root("parent-1", 1000),
      record("x", { start: 1000, end: 1100, session: "elsewhere" }),
      tool("root", "t", 1100, 1200, { source_request_id: "x", execution_mode: "blocking" }),
    ], { line: 3, field: "tool.claude.source_request_id", includes: ['"elsewhere"'] }],
    [[
      root("parent-1", 1000),
      tool("root", "t", 1100, 1200, { source_request_id: "parent-1", execution_mode: "detached" }),
    ], { line: 2, field: "tool.claude.execution_mode", includes: ["blocking"] }],
    [[
      root("parent-1", 1000),
      record("child-1", { start: 1200, end: 1300, session: "child", parent: "root" }),
      launch("t1", { source_request_id: "parent-1", child_session_id: "child" }),
      launch("t2", { source_request_id: "parent-1", child_session_id: "child" }),
    ], { line: 4, field: "tool.claude.child_session_id", includes: ['"t1"'] }],
  ];
  for (const [lines, expected] of cases) {
    await withFile(
      "bad.jsonl",
      jsonl(lines),
      (path) => rejectsAt(() => loadDynamoTrace([path], { blockSize: 64 }), path, expected),
    );
  }
  // A consumer that the sub-agent's own launch waits for: parent-2 consumes the child, the child's launch is
  // parent-2's successor.
  const cycle = [
    root("parent-1", 1000),
    root("parent-2", 1300),
    record("child-1", { start: 1200, end: 1250, session: "child", parent: "root" }),
    launch("t", {
      source_request_id: "parent-2",
      consumer_request_id: "parent-1",
      child_session_id: "child",
    }),
  ];
  await withFile(
    "cycle.jsonl",
    jsonl(cycle),
    (path) =>
      rejectsAt(() => loadDynamoTrace([path], { blockSize: 64 }), path, { includes: ["cycle", "child-1"] }),
  );
  // The same cycle split over two shards names each request's shard and line, and blames no one shard.
  await withFile("a.jsonl", jsonl([cycle[0], cycle[1], cycle[3]]), async (a) => {
    await withFile("b.jsonl", jsonl([cycle[2]]), async (b) => {
      const e = await rejectsAt(() => loadDynamoTrace([a, b], { blockSize: 64 }), undefined, {
        includes: [`"child-1" (${b}:1)`, `"parent-2" (${a}:2)`],
      });
      assert.equal(e.location.file, undefined);
    });
  });
});

Deno.test("dynamo property: random agent traces load, replay every request, and keep their order", async () => {
  for (let seed = 1; seed <= 25; seed++) {
    const rng = new Rng(seed);
    const lines: string[] = [];
    const sessions = 1 + rng.int(6);
    let n = 0;
    for (let s = 0; s < sessions; s++) {
      const parent = s > 0 && rng.next() < 0.6 ? `s${rng.int(s)}` : undefined;
      let t = rng.int(3000);
      for (let k = 0, turns = 1 + rng.int(5); k < turns; k++) {
        const duration = 1 + rng.int(400);
        const hashes = Array.from({ length: 1 + rng.int(4) }, () => rng.int(6));
        lines.push(record(`r${n++}`, { start: t, end: t + duration, session: `s${s}`, parent, hashes }));
        t += duration + rng.int(300);
      }
    }
    const w = await load(lines);
    assert.equal(w.requestCount, n, `seed ${seed}`);
    const { collector } = run(w, { topology: { mode: "agg", num_workers: 2, engine: fixedTiming(5, 2) } });
    for (let r = 0; r < w.requestCount; r++) {
      assert.ok(Number.isFinite(collector.terminalMs[r]), `seed ${seed}: request ${w.requestIds![r]} ended`);
      for (let e = w.succOffset[r]; e < w.succOffset[r + 1]; e++) {
        const next = w.succ[e];
        assert.ok(
          collector.arrivalMs[next] >= collector.terminalMs[r] + w.succDelayMs[e] - 1e-9,
          `seed ${seed}: ${w.requestIds![next]} waits for ${w.requestIds![r]}`,
        );
      }
    }
  }
});
