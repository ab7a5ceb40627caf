import assert from "node:assert/strict";
import { loadAppliedComputeAgentic } from "../../lib/workload/applied_compute_agentic.ts";
import { loadWorkload } from "../../lib/workload/load.ts";
import { WorkloadSpecSchema } from "../../lib/workload/spec.ts";
import { parseSpec } from "../../lib/spec.ts";
import {
  appliedSession as session,
  blocksOf,
  commonPrefix,
  delaysOf,
  jsonl,
  rejectsAt,
  throwsAt,
  turnsOf,
  withFile,
} from "./_helpers.ts";

Deno.test("applied_compute_agentic: each line is a session of num_turns + 1 growing requests", async () => {
  const text = jsonl([session(2000), "", { ...session(900, 0), final_assistant_response_length: 0 }]);
  await withFile("t.jsonl", text, async (path) => {
    const w = await loadAppliedComputeAgentic(path, { blockSize: 64, speedup: 2 });
    assert.equal(w.sessionCount, 2);
    assert.deepEqual(w.sessionIds, [
      "applied_compute_agentic_session_1",
      "applied_compute_agentic_session_3",
    ]);
    assert.deepEqual(turnsOf(w, 0), [0, 1, 2]);
    // 2000, + 100 + 700, + 200 + 700; a line with no turns is one request; an output of 0 replays as 1
    assert.deepEqual(Array.from(w.inputLength), [2000, 2800, 3700, 900]);
    assert.deepEqual(Array.from(w.outputLength), [100, 200, 42, 1]);
    assert.deepEqual(delaysOf(w), [0, 250, 500, 0], "tool latency in ms, over the speed-up");
    assert.equal(commonPrefix(w, 0, 1), blocksOf(w, 0).length, "a request reuses its predecessor's prompt");
    assert.equal(commonPrefix(w, 1, 2), blocksOf(w, 1).length);
    assert.equal(commonPrefix(w, 0, 3), 0, "sessions share nothing without prefix groups");
  });
});

Deno.test("applied_compute_agentic: prefix groups share whole hash-id blocks of first prompts", async () => {
  const text = jsonl([session(2000), session(2000), session(3000), session(600)]);
  await withFile("t.jsonl", text, async (path) => {
    const options = { blockSize: 64, sharedPrefixRatio: 0.5, numPrefixGroups: 2 };
    const w = await loadAppliedComputeAgentic(path, options);
    const first = w.roots;
    // lines 1 and 3 are group 0: round(ceil(2000 / 512) × 0.5) = 2 blocks of 512 tokens = 16 engine blocks
    assert.equal(commonPrefix(w, first[0], first[2]), 16);
    assert.equal(
      commonPrefix(w, first[1], first[3]),
      8,
      "line 4 (group 1): round(ceil(600 / 512) × 0.5) = 1",
    );
    assert.equal(commonPrefix(w, first[0], first[1]), 0, "different groups stay distinct");
    const none = await loadAppliedComputeAgentic(path, { ...options, sharedPrefixRatio: 0 });
    assert.equal(commonPrefix(none, none.roots[0], none.roots[2]), 0);
  });
});

for (
  const [what, row, field, line] of [
    ["a length array of the wrong size", { ...session(500), tool_call_latency: [1] }, "tool_call_latency", 2],
    ["a negative tool latency", { ...session(500), tool_call_latency: [1, -1] }, "tool_call_latency[1]", 2],
    [
      "a fractional output length",
      { ...session(500), assistant_response_length: [1.5, 2] },
      "assistant_response_length[0]",
      2,
    ],
    ["an empty prompt", { ...session(500), input_prompt_length: 0 }, "input_prompt_length", 2],
    [
      "a missing final length",
      { ...session(500), final_assistant_response_length: undefined },
      "final_assistant_response_length",
      2,
    ],
    ["malformed JSON", "{num_turns: 1", undefined, 2],
    // Sizes past what a request holds are refused before any prompt is grown (they used to exhaust memory).
    ["a prompt past 2^31 tokens", { ...session(500), input_prompt_length: 1e15 }, "input_prompt_length", 2],
    [
      "a tool output past 2^31 tokens",
      { ...session(500), tool_call_output_length: [1e15, 1] },
      "tool_call_output_length[0]",
      2,
    ],
    [
      "a prompt that grows past 2^31 tokens",
      { ...session(2 ** 31 - 2000), tool_call_output_length: [2000, 1] },
      "tool_call_output_length[0]",
      2,
    ],
    [
      "a latency past 278 years",
      { ...session(500), tool_call_latency: [1e306, 1] },
      "tool_call_latency[0]",
      2,
    ],
  ] as const
) {
  Deno.test(`applied_compute_agentic: ${what} is an error naming file, line and field`, async () => {
    await withFile("t.jsonl", jsonl([session(500), row]), async (path) => {
      const expected = field === undefined ? { line } : { line, field: field as string };
      await rejectsAt(() => loadAppliedComputeAgentic(path, { blockSize: 64 }), path, expected);
    });
  });
}

Deno.test("applied_compute_agentic: replays in closed loop only", async () => {
  await withFile("t.jsonl", jsonl([session(500)]), async (path) => {
    const workload = WorkloadSpecSchema.parse({ source: "trace", path, format: "applied_compute_agentic" });
    await rejectsAt(
      () => loadWorkload(workload, { blockSize: 64, speedup: 1, closedLoop: false }),
      path,
      { field: "replay_concurrency", includes: ["closed loop"] },
    );
    const w = await loadWorkload(workload, { blockSize: 64, speedup: 1, closedLoop: true });
    assert.equal(w.requestCount, 3);
    const topology = { mode: "agg" } as const;
    throwsAt(() => parseSpec({ workload, topology }), {
      field: "spec.replay_concurrency",
      includes: ["closed loop"],
    });
    assert.equal(parseSpec({ workload, topology, replay_concurrency: 4 }).replay_concurrency, 4);
  });
});

Deno.test("applied_compute_agentic: a prompt spanning more token blocks than a prefix group holds is an error", async () => {
  await withFile("t.jsonl", jsonl([session(20_000_000, 0)]), async (path) => {
    const options = { blockSize: 64, traceBlockSize: 1, sharedPrefixRatio: 1, numPrefixGroups: 1 };
    await rejectsAt(() => loadAppliedComputeAgentic(path, options), path, {
      line: 1,
      field: "input_prompt_length",
      includes: ["20000000 token blocks of 1"],
    });
  });
});
