/**
 * Property test of the `replay` command's flags: random combinations (workload, topology, engine args, router,
 * planner, outputs), each from a pool of valid and invalid values, on a small trace or a synthetic workload.
 * A command runs (exit 0, the report written, every request accounted for, every figure finite) or is refused
 * (exit 2) with one `error:` line and nothing written; nothing else may escape.
 */
import assert from "node:assert/strict";
import { Rng } from "../../lib/common/rng.ts";
import { nonFinite } from "../_fixtures.ts";
import { cli, GOOD, tempTrace } from "./_cli.ts";

const LINES = [
  GOOD,
  '{"timestamp": 40, "input_length": 1500, "output_length": 12, "hash_ids": [1, 2, 3]}',
  '{"timestamp": 90, "input_length": 300, "output_length": 30, "hash_ids": [7]}',
  '{"session_id": "s", "timestamp": 100, "input_length": 900, "output_length": 5, "hash_ids": [1, 9]}',
  '{"session_id": "s", "delay": 50, "input_length": 1600, "output_length": 5, "hash_ids": [1, 9, 10, 11]}',
];

/** Values each flag draws from: sound and wrong ones. */
const POOL: Readonly<Record<string, readonly string[]>> = {
  "--num-workers": ["1", "2", "3", "0", "x"],
  "--router-mode": ["round_robin", "kv_router", "random", "bogus"],
  "--extra-engine-args": [
    '{"num_gpu_blocks": 200, "block_size": 64}',
    '{"aic_backend": "vllm", "aic_system": "h200_sxm", "aic_model_path": "Qwen/Qwen3-8B"}',
    '{"timing_model": {"type": "fixed", "prefill_ms": 2, "decode_ms": 1}}',
    '{"max_num_seqs": 2, "max_num_batched_tokens": 256}',
    "{not json",
    '{"bogus_key": 1}',
  ],
  "--router-config": [
    '{"router_temperature": 0.5}',
    '{"router_queue_threshold": 1, "router_queue_policy": "wspt"}',
    '{"overlap_score_weight": -1}',
    "[]",
  ],
  "--arrival-speedup-ratio": ["1", "4", "0.25", "0", "-1"],
  "--arrival-jitter-ms": ["0", "50", "-5"],
  "--replay-concurrency": ["1", "4", "0"],
  "--warmup-request-count": ["0", "1", "9"],
  "--max-sim-time-seconds": ["0.05", "100", "0"],
  "--sla-ttft-ms": ["50", "5000", "x"],
  "--sla-itl-ms": ["5", "50"],
  "--seed": ["1", "99", "-1"],
  "--trace-block-size": ["512", "256", "0"],
  "--planner-config": [
    '{"mode": "agg", "enable_throughput_scaling": false, "enable_load_scaling": true}',
    '{"mode": "agg", "throughput_adjustment_interval": 1, "ttft": 500, "itl": 50}',
    '{"mode": "disagg"}',
    '{"mode": "agg", "bogus": 1}',
  ],
};
const FLAGS = Object.keys(POOL);

Deno.test("property: random replay flags run with every request accounted for, or refuse with one error line", async () => {
  const rng = new Rng(515);
  let ran = 0;
  const trials = 60;
  for (let trial = 0; trial < trials; trial++) {
    await using temp = await tempTrace(LINES);
    const { dir, trace } = temp;
    const synthetic = rng.next() < 0.3;
    const args = synthetic
      ? ["--input-tokens", "700", "--output-tokens", "8", "--request-count", "6", "--request-rate", "20"]
      : [trace];
    for (let k = 1 + rng.int(4); k > 0; k--) {
      const flag = FLAGS[rng.int(FLAGS.length)];
      if (args.includes(flag)) continue;
      const values = POOL[flag];
      args.push(flag, values[rng.int(values.length)]);
    }
    // Planner reports go to the temporary directory, not the working one.
    const at = args.indexOf("--planner-config");
    if (at >= 0) {
      const planner = JSON.parse(args[at + 1]);
      if (typeof planner === "object") {
        args[at + 1] = JSON.stringify({ ...planner, report_output_dir: `${dir}/p` });
      }
    }
    const report = `${dir}/out/r.json`;
    args.push("--report-json", report);
    const context = `trial ${trial}: ${args.join(" ")}`;
    const res = await cli(args);
    if (res.code === 2) {
      // Warnings, then one error line.
      const lines = res.err.trim().split("\n").filter((l) => !l.startsWith("warning: "));
      assert.equal(lines.length, 1, `${context}\n${res.err}`);
      assert.match(lines[0], /^error: \S/, context);
      await assert.rejects(Deno.stat(report), Deno.errors.NotFound, `${context}: nothing written`);
      continue;
    }
    assert.equal(res.code, 0, `${context}\n${res.err}`);
    ran++;
    const r = JSON.parse(await Deno.readTextFile(report));
    assert.equal(nonFinite(r), null, context);
    const warmup = args.includes("--warmup-request-count")
      ? Number(args[args.indexOf("--warmup-request-count") + 1])
      : 0;
    const requests = synthetic ? 6 : LINES.length;
    assert.equal(
      r.completed_requests + r.rejected_requests + (r.incomplete_requests ?? 0),
      r.num_requests,
      context,
    );
    // (A clock stopped early leaves later arrivals out.)
    const cut = args.includes("--max-sim-time-seconds");
    assert.ok(r.num_requests <= requests && (cut || r.num_requests >= requests - warmup), context);
  }
  assert.ok(ran >= trials / 5, `only ${ran} of ${trials} ran`);
});
