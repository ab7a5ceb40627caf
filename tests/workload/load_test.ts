import assert from "node:assert/strict";
import { loadWorkload } from "../../lib/workload/load.ts";
import { WorkloadSpecSchema } from "../../lib/workload/spec.ts";
import { jsonl, rejectsAt, withFile } from "./_helpers.ts";

const open = { blockSize: 64, speedup: 1, closedLoop: false };

Deno.test("loadWorkload: dispatches every source and format", async () => {
  const synthetic = await loadWorkload(
    WorkloadSpecSchema.parse({ source: "synthetic", input_tokens: 128, output_tokens: 4, request_count: 3 }),
    { ...open, closedLoop: true },
  );
  assert.equal(synthetic.name, "synthetic");
  assert.equal(synthetic.requestCount, 3);
  const def = await loadWorkload(WorkloadSpecSchema.parse({ source: "default", sessions: 5 }), open);
  assert.equal(def.sessionCount, 5);
  await withFile(
    "t.csv",
    "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.0,100,3\n",
    async (path) => {
      const w = await loadWorkload(
        WorkloadSpecSchema.parse({ source: "trace", path, format: "azure" }),
        open,
      );
      assert.equal(w.requestCount, 1);
    },
  );
  const session = {
    block_size: 64,
    requests: [{ t: 0, type: "n", in: 130, out: 3, hash_ids: [1, 2], think_time: 0 }],
  };
  await withFile("t.jsonl", jsonl([session, session, session]), async (path) => {
    const spec = WorkloadSpecSchema.parse({
      source: "trace",
      path,
      format: "kv_cache_tester",
      max_sessions: 2,
      session_interval_ms: 10,
    });
    const w = await loadWorkload(spec, { ...open, speedup: 2 });
    assert.deepEqual(Array.from(w.arrivalMs), [0, 5]);
  });
  await withFile("t.jsonl", jsonl([{ input_length: 10, output_length: 1, hash_ids: [1] }]), async (path) => {
    const spec = WorkloadSpecSchema.parse({ source: "trace", path, trace_block_size: 16 });
    // closed loop: Mooncake first turns need no timestamp
    assert.equal((await loadWorkload(spec, { ...open, closedLoop: true })).inputLength[0], 10);
    await rejectsAt(() => loadWorkload(spec, open), path, { line: 1, field: "timestamp" });
  });
  const turn = (timestamp: number) => ({
    session_id: 1,
    timestamp,
    input_length: 64,
    output_length: 2,
    hash_ids: [3],
  });
  await withFile("t.jsonl", jsonl([turn(0), turn(9)]), async (path) => {
    const spec = WorkloadSpecSchema.parse({
      source: "trace",
      path,
      format: "mooncake_delta",
      trace_block_size: 64,
    });
    assert.deepEqual(Array.from((await loadWorkload(spec, open)).inputLength), [64, 130]);
  });
  const agent = {
    num_turns: 0,
    input_prompt_length: 1024,
    assistant_response_length: [],
    tool_call_output_length: [],
    tool_call_latency: [],
    final_assistant_response_length: 1,
  };
  await withFile("t.jsonl", jsonl([agent, agent]), async (path) => {
    const spec = WorkloadSpecSchema.parse({
      source: "trace",
      path,
      format: "applied_compute_agentic",
      trace_block_size: 256,
      trace_shared_prefix_ratio: 0.5,
      trace_num_prefix_groups: 1,
    });
    const w = await loadWorkload(spec, { ...open, closedLoop: true });
    assert.equal(w.blocks[7], w.blocks[16 + 7], "the 2 shared 256-token blocks are 8 common engine blocks");
    assert.notEqual(w.blocks[8], w.blocks[16 + 8]);
  });
});

Deno.test("loadWorkload: synthetic validation errors surface as rejections", async () => {
  const spec = WorkloadSpecSchema.parse({
    source: "synthetic",
    input_tokens: 1,
    output_tokens: 1,
    request_count: 1,
  });
  await rejectsAt(() => loadWorkload(spec, open), undefined, { includes: ["exactly one arrival mode"] });
});

Deno.test("loadWorkload: a file that fails at its first line as one format says which format it looks like", async () => {
  const mooncake = jsonl([{ timestamp: 0, input_length: 100, output_length: 2, hash_ids: [1] }]);
  const load = (path: string, format: string) => () =>
    loadWorkload(WorkloadSpecSchema.parse({ source: "trace", path, format }), open);
  await withFile("t.jsonl", mooncake, async (path) => {
    for (const format of ["dynamo", "kv_cache_tester", "agentic_mooncake", "azure"]) {
      await rejectsAt(load(path, format), path, {
        line: 1,
        includes: ['(the file looks like trace format "mooncake")'],
      });
    }
  });
  await withFile(
    "t.csv",
    "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.0,100,3\n",
    async (path) => {
      await rejectsAt(load(path, "mooncake"), path, {
        line: 1,
        includes: ['looks like trace format "azure"'],
      });
    },
  );
  // A bad first row of the right format, or a later bad row, gets no hint.
  const bad = jsonl([{ timestamp: -1, input_length: 100, output_length: 2, hash_ids: [1] }]);
  await withFile("t.jsonl", bad, async (path) => {
    const e = await rejectsAt(load(path, "mooncake_delta"), path, { line: 1, field: "timestamp" });
    assert.ok(!e.message.includes("looks like"), e.message);
  });
});
