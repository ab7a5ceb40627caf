import assert from "node:assert/strict";
import { InputError } from "../lib/common/errors.ts";
import { resolvePools } from "../lib/run_inputs.ts";
import { parseSpec } from "../lib/spec.ts";

const synthetic = { source: "synthetic", input_tokens: 100, output_tokens: 10, request_count: 4 };
const topology = { mode: "agg" };

Deno.test("spec: a synthetic workload takes exactly one arrival mode", () => {
  const bad = (spec: Record<string, unknown>, message: RegExp) =>
    assert.throws(
      () => parseSpec({ topology, ...spec }),
      (e) => e instanceof InputError && message.test(e.message),
    );
  bad(
    { workload: synthetic },
    /^spec\.workload: a synthetic workload needs exactly one arrival mode: request_rate/,
  );
  bad(
    { workload: { ...synthetic, request_rate: 2 }, replay_concurrency: 4 },
    /^spec\.workload: request_rate and replay_concurrency are both given; /,
  );
  bad(
    { workload: { ...synthetic, request_rate: 2, arrival_interval_ms: 0 } },
    /request_rate and arrival_interval_ms are both given; /,
  );
  const ok = (workload: Record<string, unknown>, replay_concurrency?: number) =>
    parseSpec({ topology, workload: { ...synthetic, ...workload }, replay_concurrency }).workload;
  assert.equal(ok({ request_rate: 2 }).source, "synthetic");
  assert.equal(ok({ arrival_interval_ms: 0 }).source, "synthetic");
  assert.equal(ok({ request_rate: null }, 4).source, "synthetic"); // null is unset, as in JSON specs
  // Traces arrive by their own timestamps, or in closed loop: the rule is the synthetic generator's.
  assert.equal(
    parseSpec({ topology, workload: { source: "default" }, replay_concurrency: 4 }).replay_concurrency,
    4,
  );
});

Deno.test("run inputs: a fleet whose engines would allocate more than 8 GiB is an input error naming the pool", () => {
  const topo = (engine: Record<string, unknown>, workers = 1) =>
    parseSpec({ workload: { source: "default" }, topology: { mode: "agg", num_workers: workers, engine } })
      .topology;
  const rejects = (t: ReturnType<typeof topo>, message: RegExp) =>
    assert.throws(() => resolvePools(t), (e) => e instanceof InputError && message.test(e.message));
  // Each would have thrown a RangeError or run out of memory while building the engines.
  rejects(topo({ max_num_seqs: 2 ** 40 }), /^--extra-engine-args: .* 1,099,511,627,776 sequence slots/);
  rejects(
    topo({ num_gpu_blocks: 2 ** 31 }),
    /would allocate [\d.]+ GiB, more than a simulation may \(8 GiB\)/,
  );
  rejects(topo({ aic_attention_dp_size: 100_000 }), /1 worker\(s\) of 100,000 rank\(s\)/);
  // One worker fits many times over: the worker count is to blame.
  rejects(topo({}, 100_000), /^spec\.topology\.num_workers: .*100,000 worker\(s\) of 1 rank\(s\)/);
  assert.equal(resolvePools(topo({ num_gpu_blocks: 1_000_000 }, 4)).length, 1);
});

Deno.test("spec: speed-up ratios stay within a million either way (beyond, times overflow the reports)", () => {
  const spec = (extra: Record<string, unknown>) => ({ workload: { source: "default" }, topology, ...extra });
  assert.throws(() => parseSpec(spec({ arrival_speedup_ratio: 1e9 })), /arrival_speedup_ratio: must be ≤ /);
  const engine = (args: Record<string, unknown>) => spec({ topology: { mode: "agg", engine: args } });
  assert.throws(() => parseSpec(engine({ speedup_ratio: 1e300 })), /speedup_ratio: must be ≤ /);
  assert.throws(() => parseSpec(engine({ decode_speedup_ratio: 1e-9 })), /decode_speedup_ratio: must be ≥ /);
  assert.equal(parseSpec(engine({ speedup_ratio: 1e6 })).topology.mode, "agg");
});
