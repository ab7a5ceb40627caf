import assert from "node:assert/strict";
import { aisimulate } from "../../lib/cli/aisimulate.ts";
import { capture, writeYaml } from "./_cli.ts";
import { tempDir } from "../_temp.ts";

/** Run `aisimulate` with `args`, capturing its output. */
const run = (args: string[]) => capture(aisimulate, args);

/** Qwen3-32B-FP8 at TP 2 on H200, priced by the analytic model; `extra` merged into the config. */
function config(extra: Record<string, unknown> = {}) {
  return {
    traffic: {
      source: { type: "synthetic", input_tokens: 2048, output_tokens: 64 },
      load: { type: "poisson", requests_per_second: 8, seed: 3 },
      stop: { requests: 60 },
    },
    engine: {
      model: "Qwen/Qwen3-32B-FP8",
      hardware: "h200_sxm",
      workers: { aggregated: { parallelism: { tensor: 2 } } },
    },
    ...extra,
  };
}

/** `predict -c path --output-dir out FLAGS`, which must succeed: what it printed and the prediction it wrote. */
async function predictTo(out: string, path: string, flags: string[]) {
  const res = await run(["predict", "-c", path, "--output-dir", out, ...flags]);
  assert.equal(res.code, 0, res.err);
  return { res, prediction: JSON.parse(await Deno.readTextFile(`${out}/prediction.json`)) };
}

type Obj = Record<string, unknown>;
/** The prediction's per-pool busy time of `part`, summed over pools. */
const busy = (prediction: Obj, part: "prefill" | "decode") =>
  ((prediction.dynolab as Obj).pools as Obj[])
    .reduce((a, p) => a + ((p.busy_ms_by_part as Record<string, number>)[part]), 0);
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

Deno.test("predict --detail all: each section from the run, operator time adding up to the busy time, the report unchanged", async () => {
  await using tmp = await tempDir();
  const path = await writeYaml(tmp.path, "p.yaml", config());
  const without = (await predictTo(`${tmp.path}/plain`, path, [])).prediction;
  const { res, prediction } = await predictTo(`${tmp.path}/out`, path, [
    "--detail",
    "all",
    "--format",
    "json",
  ]);
  const stdout = JSON.parse(res.out);
  assert.deepEqual(Object.keys(stdout), ["details", "summary"]);
  assert.deepEqual(stdout.details, prediction.details);

  // The figures are those of a run without --detail.
  const strip = (r: Obj) =>
    Object.fromEntries(Object.entries(r).filter(([k]) => !/^(wall_time_ms|processed_|details$)/.test(k)));
  assert.deepEqual(strip(prediction), strip(without));

  const { schema_version, sections, skipped } = prediction.details;
  assert.equal(schema_version, "1.0");
  assert.deepEqual(Object.keys(sections).sort(), ["energy", "memory", "source", "summary", "time"]);
  assert.deepEqual(skipped, {});
  assert.deepEqual(sections.summary.metrics, stdout.summary);

  // Memory: the derived KV capacity of the one role, its parts within the GPU.
  const role = sections.memory.roles.aggregated;
  assert.equal(role.status, "available");
  assert.equal(role.total_gpu_capacity_bytes, 141 * 2 ** 30); // the catalog's H200
  const parts = role.memory_breakdown;
  assert.ok(
    role.total_kv_size_bytes + parts.weights_bytes + parts.activations_bytes + parts.runtime_overhead_bytes +
        parts.comm_overhead_bytes <= role.total_gpu_capacity_bytes,
  );
  assert.equal(
    role.estimated_num_gpu_blocks,
    Math.floor(role.total_kv_size_tokens / role.scheduler_block_size_tokens),
  );
  const pool = (prediction.dynolab.pools as Obj[])[0];
  assert.equal(pool.kv_capacity_tokens, role.estimated_num_gpu_blocks * role.scheduler_block_size_tokens);

  // Time: serving latencies, and each phase's operators adding up to the pools' busy time of that part.
  assert.equal(sections.time.serving_metrics.mean_ttft_ms, prediction.mean_ttft_ms);
  assert.ok(!("duration_ms" in sections.time.serving_metrics));
  const diagnostics = sections.time.diagnostics;
  assert.equal(diagnostics.status, "available");
  assert.deepEqual(diagnostics.phases.map((p: Obj) => p.name), ["prefill", "decode"]);
  for (const phase of diagnostics.phases) {
    const ops = phase.operations as { name: string; latency_ms: number; source: string }[];
    assert.ok(ops.some((o) => o.name === "gemm" && o.source === "analytic"), JSON.stringify(ops));
    assert.ok(close(ops.reduce((a, o) => a + o.latency_ms, 0), phase.latency_ms));
    assert.ok(close(phase.latency_ms, busy(prediction, phase.name)), `${phase.name}: ${phase.latency_ms}`);
  }
  // The decoding share of mixed passes is one figure, not split by operator.
  const mixed = diagnostics.phases[1].operations.find((o: Obj) => o.name === "mixed_pass_decode");
  assert.equal(mixed?.source, "analytic (mixed passes, not split by operator)");
  // Each operator's speed of light (math, memory, the larger per kernel summed) and its time over it; a
  // phase's SOL sums its operators'.
  type Sol = { latency_ms: number; math_ms: number; memory_ms: number };
  for (const phase of diagnostics.phases) {
    const ops = phase.operations as {
      name: string;
      latency_ms: number;
      sol: Sol;
      latency_to_sol_ratio: number;
    }[];
    for (const o of ops) {
      const { latency_ms, math_ms, memory_ms } = o.sol;
      // (What decoding rows add to a pass can hide under its prompt's bound, so not below max(math, memory).)
      const floor = o.name === "mixed_pass_decode" ? 0 : Math.max(math_ms, memory_ms);
      assert.ok(latency_ms >= floor && latency_ms <= math_ms + memory_ms, o.name);
      assert.ok(close(o.latency_to_sol_ratio, o.latency_ms / latency_ms), o.name);
      assert.ok(o.latency_to_sol_ratio > 1, `${phase.name} ${o.name}: no faster than its roofline`);
    }
    const sum = (k: keyof Sol) => ops.reduce((a, o) => a + o.sol[k], 0);
    assert.ok(close(phase.sol.latency_ms, sum("latency_ms")) && close(phase.sol.math_ms, sum("math_ms")));
    assert.equal(phase.sol_unavailable_reason, null);
  }
  const byName = (phase: number, name: string) =>
    diagnostics.phases[phase].operations.find((o: Obj) => o.name === name).sol as Sol;
  assert.ok(
    byName(0, "gemm").math_ms > byName(0, "gemm").memory_ms,
    "2,048-token prompts: GEMMs compute-bound",
  );
  assert.ok(byName(1, "gemm").memory_ms > byName(1, "gemm").math_ms, "decode: GEMMs bound by the weights");
  // Source: the same operators, with the model that priced them; energy: no evidence.
  assert.deepEqual(
    sections.source.phases.map((p: Obj) => (p.operations as Obj[]).map((o) => o.name)),
    diagnostics.phases.map((p: Obj) => (p.operations as Obj[]).map((o) => o.name)),
  );
  assert.equal(sections.energy.status, "unsupported");
  assert.equal(sections.energy.diagnostics.power_w, null);
});

Deno.test("predict --detail: a disaggregated run splits prefill and decode by pool; the table lists the top operators", async () => {
  await using tmp = await tempDir();
  const path = await writeYaml(tmp.path, "p.yaml", {
    ...config(),
    engine: {
      mode: "disaggregated",
      model: "Qwen/Qwen3-32B-FP8",
      hardware: "h200_sxm",
      workers: { prefill: { parallelism: { tensor: 2 } }, decode: { parallelism: { tensor: 2 } } },
    },
  });
  const { res, prediction } = await predictTo(`${tmp.path}/out`, path, [
    "--detail",
    "time, memory",
    "--detail-top-n",
    "2",
  ]);
  const { sections } = prediction.details;
  assert.deepEqual(Object.keys(sections.memory.roles), ["decode", "prefill"]); // the file's keys are sorted
  for (const phase of sections.time.diagnostics.phases) {
    assert.ok(close(phase.latency_ms, busy(prediction, phase.name)));
  }
  // Sections in AISimulate's order whatever the flag's, each operator list cut at 2 with the rest counted.
  const text = res.out;
  assert.ok(text.indexOf("Detail: memory") < text.indexOf("Detail: time"));
  assert.match(text, /^ {2}prefill: available\n {4}stage: before_native_capacity_adjustments$/m);
  const decodeOps = sections.time.diagnostics.phases[1].operations.length;
  assert.match(text, new RegExp(`^ {4}\\.\\.\\. ${decodeOps - 2} more operations in JSON$`, "m"));
  assert.match(text, /^ {2}operation scope: accumulated_active_forward_pass_per_gpu$/m);
  assert.match(
    text,
    /^ {4}SOL: \{'latency_ms': [0-9.e+-]+, 'math_ms': [0-9.e+-]+, 'memory_ms': [0-9.e+-]+\}$/m,
    "a phase's SOL in Python's dict form",
  );
  assert.match(text, /^ {4}gemm: [0-9.]+ ms; SOL: \{'latency_ms': .*\}; latency\/SOL: [0-9.]+$/m);
});

Deno.test("predict --detail: without a model-based capacity or operator split, memory is skipped and time says why", async () => {
  await using tmp = await tempDir();
  const path = await writeYaml(tmp.path, "p.yaml", {
    ...config(),
    engine: {
      model: "Qwen/Qwen3-32B-FP8",
      hardware: "h200_sxm",
      workers: {
        aggregated: {
          kv_cache: { capacity: { type: "fixed", blocks: 4000 } },
          timing: { type: "fixed", prefill_ms: 5, decode_ms: 2 },
        },
      },
    },
  });
  const { res, prediction } = await predictTo(`${tmp.path}/out`, path, ["--detail", "all"]);
  const { sections, skipped } = prediction.details;
  assert.ok(!("memory" in sections));
  assert.match(skipped.memory, /^aggregated: KV capacity was not derived \(num_gpu_blocks given/);
  assert.equal(sections.time.status, "available");
  assert.equal(sections.time.diagnostics.status, "unavailable");
  assert.match(sections.source.unavailable_reason, /does not split passes by operator/);
  assert.match(res.out, /^Skipped memory: aggregated: KV capacity was not derived/m);
});

Deno.test("predict --detail: a bad section or top-n is an error before the config is read; recommend has no --detail", async () => {
  const missing = ["predict", "-c", "/no/such/config.yaml"];
  for (
    const [flags, pattern] of [
      [
        ["--detail", "time,"],
        /--detail: unsupported or empty detail section \[''\]; choose from summary, memory, time, energy, source, all/,
      ],
      [["--detail", "SUMMARY,power"], /\['SUMMARY', 'power'\]/],
      [["--detail", "all", "--detail-top-n", "0"], /--detail-top-n: must be at least 1/],
      [["--detail", "all", "--diagnostics-top-n", "x"], /--detail-top-n: invalid int value: 'x'/],
    ] as const
  ) {
    const res = await run([...missing, ...flags]);
    assert.equal(res.code, 2);
    assert.match(res.err, pattern);
  }
  const res = await run(["recommend", "-c", "/no/such/config.yaml", "--detail", "all"]);
  assert.equal(res.code, 2);
  assert.match(res.err, /--detail/);
});
