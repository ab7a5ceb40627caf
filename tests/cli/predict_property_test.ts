/**
 * Property test of `aisimulate predict --stack dynamo`: random configs, valid or not (sources, loads, stops,
 * modes, parallelism, schedulers, KV caches and offload, timing models, routers, planners), never crash. A
 * config runs (exit 0, every request accounted for, every figure finite) or is refused (exit 2) with one line
 * naming the file and a field, and nothing written.
 */
import assert from "node:assert/strict";
import { aisimulate } from "../../lib/cli/aisimulate.ts";
import { Rng } from "../../lib/common/rng.ts";
import { capture, writeYaml } from "./_cli.ts";
import { nonFinite } from "../_fixtures.ts";
import { tempDir } from "../_temp.ts";

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];
/** `value()` with probability `p`, else nothing (the key left out). */
const some = <T>(rng: Rng, p: number, value: () => T): T | undefined => rng.next() < p ? value() : undefined;
/** `o` without its undefined values. */
const defined = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

function randomRole(rng: Rng): Record<string, unknown> {
  return defined({
    parallelism: some(rng, 0.6, () =>
      defined({
        replicas: some(rng, 0.5, () => 1 + rng.int(3)),
        tensor: some(rng, 0.5, () => pick(rng, [1, 2, 3, 4])),
        attention_data: some(rng, 0.1, () => pick(rng, [1, 2])),
      })),
    scheduler: some(rng, 0.6, () =>
      defined({
        max_batched_tokens: some(rng, 0.7, () => pick(rng, [64, 512, 8192])),
        max_sequences: some(rng, 0.7, () => pick(rng, [1, 4, 64])),
      })),
    kv_cache: some(rng, 0.5, () =>
      defined({
        block_size: some(rng, 0.5, () => pick(rng, [16, 32, 64])),
        prefix_caching: some(rng, 0.3, () => rng.next() < 0.5),
        capacity: pick(rng, [
          { type: "fixed", blocks: pick(rng, [2, 30, 2000]) },
          { type: "default", memory_fraction: pick(rng, [0.5, 0.9]) },
          { type: "fixed" }, // refused: blocks required
        ]),
        host_offload: some(rng, 0.2, () => ({ num_host_blocks: pick(rng, [10, 1000]) })),
      })),
    timing: some(rng, 0.7, () =>
      pick(rng, [
        { type: "fixed", prefill_ms: pick(rng, [0, 3]), decode_ms: pick(rng, [0.5, 2]) },
        { type: "polynomial" },
        { type: "default" },
      ])),
    startup_seconds: some(rng, 0.2, () => pick(rng, [0, 30])),
  });
}

/** A Mooncake trace of `n` requests sharing some prefix blocks, as JSONL. */
function mooncake(rng: Rng, n: number): string {
  return Array.from({ length: n }, (_, i) => {
    const blocks = 1 + rng.int(4);
    return JSON.stringify({
      timestamp: i * rng.int(200),
      input_length: blocks * 512 - rng.int(400),
      output_length: 1 + rng.int(40),
      hash_ids: Array.from({ length: blocks }, (_, k) => k < 2 ? k : 100 * i + k),
    });
  }).join("\n") + "\n";
}

function randomConfig(rng: Rng, tracePath: string): Record<string, unknown> {
  const source = pick(rng, [
    { type: "synthetic", input_tokens: 16 + rng.int(2000), output_tokens: 1 + rng.int(60) },
    {
      type: "synthetic-session",
      new_input_tokens_per_turn: 16 + rng.int(500),
      output_tokens_per_turn: 1 + rng.int(30),
      session: {
        turns: 2 + rng.int(3),
        shared_prefix_ratio: pick(rng, [0, 0.5]),
        prefix_groups: pick(rng, [0, 2]),
      },
    },
    { type: "trace", paths: [tracePath] },
  ]);
  // Mostly a load and stop the source takes; now and then any (which may be refused).
  const rate = (unit: string) => ({
    type: pick(rng, ["poisson", "constant_rate"]),
    [unit]: pick(rng, [2, 40]),
  });
  const anyLoad = () =>
    pick(rng, [
      { type: "concurrency", concurrency: 1 + rng.int(12) },
      rate("requests_per_second"),
      rate("sessions_per_second"),
      { type: "trace_timestamps", speedup: pick(rng, [1, 4]) },
    ]);
  const anyStop = () =>
    pick(rng, [
      undefined,
      { requests: 4 + rng.int(30) },
      { requests_per_load_unit: pick(rng, [0.5, 2]) },
      { sessions: 2 + rng.int(5) },
      { sessions_per_load_unit: 1 },
      { max_virtual_time_seconds: pick(rng, [1, 60]) },
    ]);
  const chaos = rng.next() < 0.1;
  const closed = { type: "concurrency", concurrency: 1 + rng.int(12) };
  const [load, stop] = chaos ? [anyLoad(), anyStop()] : source.type === "synthetic"
    ? [
      pick(rng, [closed, rate("requests_per_second")]),
      pick(rng, [{ requests: 4 + rng.int(30) }, {
        requests_per_load_unit: pick(rng, [0.5, 2]),
      }]),
    ]
    : source.type === "synthetic-session"
    ? [
      pick(rng, [closed, rate("sessions_per_second")]),
      pick(rng, [{ sessions: 2 + rng.int(5) }, {
        sessions_per_load_unit: 1,
      }]),
    ]
    : [
      pick(rng, [closed, { type: "trace_timestamps", speedup: pick(rng, [1, 4]) }]),
      pick(rng, [undefined, {
        max_virtual_time_seconds: 60,
      }]),
    ];
  const mode = pick(rng, ["aggregated", "disaggregated"]);
  const roles = mode === "aggregated" ? ["aggregated"] : ["prefill", "decode"];
  const planner = some(rng, 0.3, () =>
    defined({
      policy: "enabled",
      target: pick(rng, ["throughput", "latency", "sla", "load"]),
      enable_throughput_scaling: some(rng, 0.5, () => rng.next() < 0.5),
      enable_load_scaling: some(rng, 0.5, () => rng.next() < 0.5),
      throughput_adjustment_interval_seconds: some(rng, 0.5, () => pick(rng, [1, 10])),
      max_num_gpus: some(rng, 0.5, () => pick(rng, [2, 8])),
    }));
  return defined({
    traffic: { source, load, ...(stop ? { stop } : {}) },
    engine: defined({
      mode,
      model: pick(rng, ["Qwen/Qwen3-8B", "Qwen/Qwen3-30B-A3B", "meta-llama/Llama-3.1-8B-Instruct"]),
      hardware: pick(rng, ["h100_sxm", "h200_sxm"]),
      backend: some(rng, 0.2, () => pick(rng, ["vllm", "trtllm"])),
      workers: Object.fromEntries(roles.map((r) => [r, randomRole(rng)])),
      kv_transfer: mode === "disaggregated"
        ? some(rng, 0.5, () => ({ bandwidth_gb_per_second: pick(rng, [1, 50]) }))
        : undefined,
    }),
    router: some(rng, 0.5, () =>
      defined({
        policy: pick(rng, ["round_robin", "kv_router"]),
        prefill_load_model: some(rng, 0.2, () => ({ type: "aic" })),
      })),
    planner,
    evaluation: some(rng, 0.4, () => ({ sla: { ttft_ms: pick(rng, [100, 2000]), itl_ms: 50 } })),
  });
}

Deno.test("property: predict on random configs runs and accounts for every request, or refuses with one clear line", async () => {
  const rng = new Rng(606);
  let ran = 0;
  await using tmp = await tempDir();
  const trace = `${tmp.path}/trace.jsonl`;
  await Deno.writeTextFile(trace, mooncake(rng, 24));
  for (let trial = 0; trial < 40; trial++) {
    const config = randomConfig(rng, trace);
    const context = `trial ${trial}: ${JSON.stringify(config)}`;
    const path = await writeYaml(tmp.path, `p${trial}.yaml`, config);
    const out = `${tmp.path}/out${trial}`;
    const detail = rng.next() < 0.3;
    const res = await capture(aisimulate, [
      "predict",
      "--stack",
      "dynamo",
      "-c",
      path,
      "--output-dir",
      out,
      "--format",
      "json",
      ...(detail ? ["--detail", "all"] : []),
    ]);
    if (res.code === 2) {
      assert.match(res.err, new RegExp(`^error: ${path}: [\\w.\\[\\]<>-]+: \\S`), context);
      // A config field, never the replay flag it compiles to.
      assert.doesNotMatch(res.err, new RegExp(`^error: ${path}: --`), `${context}\n${res.err}`);
      assert.equal(res.err.trim().split("\n").length, 1, `${context}\n${res.err}`);
      await assert.rejects(Deno.stat(out), Deno.errors.NotFound, `${context}: nothing written`);
      continue;
    }
    assert.equal(res.code, 0, `${context}\n${res.err}`);
    ran++;
    const prediction = JSON.parse(await Deno.readTextFile(`${out}/prediction.json`));
    assert.equal(nonFinite(prediction), null, context);
    const n = prediction.num_requests;
    assert.ok(n > 0, context);
    assert.equal(
      prediction.completed_requests + prediction.rejected_requests + (prediction.incomplete_requests ?? 0),
      n,
      `${context}: requests accounted for`,
    );
    // The printed summary: the prediction's figures (and the planner's ticks); with --detail, the details too,
    // each phase's operators adding up to the phase.
    const printed = JSON.parse(res.out);
    for (const [k, v] of Object.entries(detail ? printed.summary : printed)) {
      if (k !== "planner_total_ticks") assert.equal(v, prediction[k], `${context}: ${k}`);
    }
    if (detail) {
      assert.deepEqual(printed.details, prediction.details, context);
      const ops = prediction.details.sections.time.diagnostics;
      for (const phase of ops.phases ?? []) {
        const sum = phase.operations.reduce((a: number, o: { latency_ms: number }) => a + o.latency_ms, 0);
        assert.ok(Math.abs(sum - phase.latency_ms) <= 1e-9 * Math.max(1, sum), context);
      }
    }
  }
  assert.ok(ran >= 10, `only ${ran} of 40 random configs ran`);
});
