import assert from "node:assert/strict";
import { parseConfig } from "../../lib/common/config.ts";
import { InputError } from "../../lib/common/errors.ts";
import {
  DefaultWorkloadSchema,
  SyntheticWorkloadSchema,
  TraceWorkloadSchema,
  WorkloadSpecSchema,
} from "../../lib/workload/spec.ts";

function parse(value: unknown) {
  return parseConfig(WorkloadSpecSchema, value, "workload");
}

function rejects(value: unknown, field: string, ...includes: string[]): void {
  assert.throws(() => parse(value), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.equal(e.location.field, field, e.message);
    for (const part of includes) assert.ok(e.message.includes(part), e.message);
    return true;
  });
}

Deno.test("spec: defaults for each source", () => {
  assert.deepEqual(parse({ source: "trace", path: "t.jsonl" }), {
    source: "trace",
    path: "t.jsonl",
    format: "mooncake",
  });
  assert.deepEqual(parse({ source: "default" }), {
    source: "default",
    seed: 42,
    sessions: 300,
    session_rate: 0.25,
  });
  const synthetic = parse({ source: "synthetic", input_tokens: 10, output_tokens: 2, request_count: 3 });
  assert.equal(synthetic.source === "synthetic" && synthetic.turn_prompts, "cumulative");
  assert.equal(synthetic.source === "synthetic" && synthetic.arrival_seed, 42);
});

Deno.test("spec: kv-cache-tester options are accepted for their format only", () => {
  const kv = parse({
    source: "trace",
    path: "t.jsonl.gz",
    format: "kv_cache_tester",
    max_sessions: 50,
    session_rate: 0.5,
    session_seed: 3,
    subagents: "inline",
    trace_block_size: 64,
  });
  assert.equal(kv.source === "trace" && kv.max_sessions, 50);
  rejects(
    { source: "trace", path: "t", max_sessions: 5 },
    "workload.max_sessions",
    "kv_cache_tester",
    "not mooncake",
  );
  rejects(
    { source: "trace", path: "t", format: "azure", subagents: "inline" },
    "workload.subagents",
    "not azure",
  );
  rejects(
    { source: "trace", path: "t", format: "azure", trace_block_size: 16 },
    "workload.trace_block_size",
    "mooncake",
  );
  rejects(
    { source: "trace", path: "t", format: "kv_cache_tester", session_rate: 1, session_interval_ms: 5 },
    "workload.session_rate",
    "not both",
  );
  rejects(
    { source: "trace", path: "t", format: "kv_cache_tester", session_seed: 1 },
    "workload.session_seed",
    "session_rate",
  );
  rejects(
    { source: "trace", path: "t", format: "kv_cache_tester", max_sessions: 0 },
    "workload.max_sessions",
  );
  rejects(
    { source: "trace", path: "t", format: "kv_cache_tester", subagents: "drop" },
    "workload.subagents",
    '"inline"',
  );
  rejects(
    { source: "trace", path: "t", format: "mooncake_delta", trace_num_prefix_groups: 2 },
    "workload.trace_num_prefix_groups",
    "applied_compute_agentic, not mooncake_delta",
  );
  rejects(
    { source: "trace", path: "t", format: "applied_compute_agentic", trace_shared_prefix_ratio: 1.5 },
    "workload.trace_shared_prefix_ratio",
  );
  rejects(
    { source: "trace", path: "t", format: "parquet" },
    "workload.format",
    '"azure"',
    '"kv_cache_tester"',
  );
});

Deno.test("spec: strict keys, with suggestions from the per-source schemas", () => {
  rejects({ source: "default", sesions: 3 }, "workload", 'unknown key "sesions"');
  assert.throws(
    () => parseConfig(DefaultWorkloadSchema, { source: "default", sesions: 3 }, "workload"),
    /did you mean sessions/,
  );
  assert.throws(
    () =>
      parseConfig(
        SyntheticWorkloadSchema,
        {
          source: "synthetic",
          input_tokens: 1,
          output_tokens: 1,
          request_count: 1,
          turn_prompt: "independent",
        },
        "workload",
      ),
    /did you mean turn_prompts/,
  );
  assert.throws(
    () => parseConfig(TraceWorkloadSchema, { source: "trace", path: "t", max_session: 1 }, "workload"),
    /did you mean max_sessions/,
  );
  rejects(
    { source: "synthetic", input_tokens: 1, output_tokens: 1, request_count: 1, shared_prefix_ratio: 2 },
    "workload.shared_prefix_ratio",
  );
  rejects({ source: "default", session_rate: 0 }, "workload.session_rate");
});
