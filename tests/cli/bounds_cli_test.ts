/**
 * Values no deployment has and the simulator cannot hold, through the command lines: one error line naming the
 * field or flag and its range, exit 2, nothing written.
 */
import assert from "node:assert/strict";
import { aisimulate } from "../../lib/cli/aisimulate.ts";
import { capture, cli, type Outcome, tempTrace, writeYaml } from "./_cli.ts";
import { tempDir } from "../_temp.ts";

const SYNTHETIC = [
  "--input-tokens",
  "100",
  "--output-tokens",
  "10",
  "--request-count",
  "4",
  "--replay-concurrency",
  "2",
];

/** `res` is one error line matching `pattern`, exit 2, nothing printed. */
function badInput(res: Outcome, pattern: RegExp): void {
  assert.equal(res.code, 2, res.err);
  assert.match(res.err, /^error: /);
  assert.equal(res.err.split("\n").length, 1, `one-line error: ${res.err}`);
  assert.match(res.err, pattern);
  assert.equal(res.out, "");
}

/** `replay` with `args` and a report path in a fresh directory: bad input, and the directory stays empty. */
async function replayRefuses(args: string[], pattern: RegExp): Promise<void> {
  await using tmp = await tempDir();
  const res = await cli([...args, "--report-json", `${tmp.path}/out/report.json`]);
  badInput(res, pattern);
  assert.deepEqual([...Deno.readDirSync(tmp.path)], [], "nothing written");
}

Deno.test("replay: time-valued engine args past their caps are refused, not crashed on", async () => {
  const engine = (args: unknown) => [...SYNTHETIC, "--extra-engine-args", JSON.stringify(args)];
  const fixed = (terms: Record<string, number>) =>
    engine({ timing_model: { type: "fixed", decode_ms: 1, ...terms } });
  await replayRefuses(
    fixed({ prefill_ms: 1e308 }),
    /--extra-engine-args\.timing_model\.prefill_ms: must be 0 or from 1e-6 to 1e9 ms/,
  );
  await replayRefuses(
    fixed({ decode_ms: 1e308 }),
    /timing_model\.decode_ms: must be 0 or from 1e-6 to 1e9 ms/,
  );
  await replayRefuses(
    fixed({ prefill_ms_per_token: 1e308 }),
    /timing_model\.prefill_ms_per_token: must be 0 or from 1e-6 to 1000 ms per token/,
  );
  await replayRefuses(
    fixed({ decode_ms: 5e-324 }),
    /--extra-engine-args\.timing_model\.decode_ms: must be 0 or from 1e-6 to 1e9 ms/,
  );
  await replayRefuses(
    engine({ frontend_latency: { base_ms: 1e308 } }),
    /frontend_latency\.base_ms: must be from 0 to 1e9 ms/,
  );
  await replayRefuses(
    engine({ frontend_latency: { ms_per_input_token: 1e308 } }),
    /frontend_latency\.ms_per_input_token: must be from 0 to 1000 ms per token/,
  );
  await replayRefuses(
    engine({ frontend_latency: { ms_per_request_in_flight: 1e308 } }),
    /frontend_latency\.ms_per_request_in_flight: must be from 0 to 1000 ms per request/,
  );
  const disagg = JSON.stringify({ kv_bytes_per_token: 1000, kv_transfer_bandwidth: 1e-308 });
  await replayRefuses(
    [...SYNTHETIC, "--prefill-engine-args", disagg, "--decode-engine-args", disagg],
    /kv_transfer_bandwidth: must be 0 \(instant\) or from 0\.01 to 1e6 GB\/s/,
  );
});

Deno.test("replay: router settings whose costs overflow are refused", async () => {
  const router = (config: unknown) => [
    ...SYNTHETIC,
    "--num-workers",
    "2",
    "--router-mode",
    "kv_router",
    "--router-config",
    JSON.stringify(config),
  ];
  await replayRefuses(
    router({ prefill_load_scale: 1e308 }),
    /--router-config\.prefill_load_scale: must be from 0 to 1e6/,
  );
  await replayRefuses(
    router({ router_temperature: 5e-324 }),
    /--router-config\.router_temperature: must be 0 \(the cheapest worker\) or at least 1e-6/,
  );
});

Deno.test("replay: a flag the workload does not read is still parsed; a valid one only warns", async () => {
  await replayRefuses(
    [...SYNTHETIC, "--trace-block-size", "abc"],
    /--trace-block-size: expected a number, got "abc"/,
  );
  await replayRefuses(
    ["--demo", "--trace-block-size", "-5"],
    /--trace-block-size: expected an integer ≥ 1, got "-5"/,
  );
  await replayRefuses(["--demo", "--arrival-seed", "abc"], /--arrival-seed: expected a number, got "abc"/);
  {
    await using temp = await tempTrace([
      '{"timestamp": 0, "input_length": 600, "output_length": 4, "hash_ids": [1, 2]}',
    ]);
    const res = await cli([temp.trace, "--arrival-seed", "1.5", "--report-json", `${temp.dir}/report.json`]);
    badInput(res, /--arrival-seed: expected an integer ≥ 0, got "1\.5"/);
    const ok = await cli([temp.trace, "--arrival-seed", "7", "--report-json", `${temp.dir}/report.json`]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.err, /--arrival-seed only seeds synthetic arrivals and has no effect/);
  }
});

Deno.test("replay: a trace spanning more planner ticks than a run may take is refused", async () => {
  await using temp = await tempTrace([
    '{"timestamp": 0, "input_length": 100, "output_length": 4, "hash_ids": [1]}',
    '{"timestamp": 8796093022208, "input_length": 100, "output_length": 4, "hash_ids": [2]}',
  ]);
  const plannerDir = `${temp.dir}/planner`;
  const planner = (extra: Record<string, unknown>) =>
    JSON.stringify({ mode: "agg", report_output_dir: plannerDir, ...extra });
  const report = `${temp.dir}/out/report.json`;
  const res = await cli([temp.trace, "--planner-config", planner({}), "--report-json", report]);
  badInput(
    res,
    /--planner-config\.load_adjustment_interval_seconds: \(5 s\) (would tick|ticked) the planner [0-9,]+ times/,
  );
  await assert.rejects(() => Deno.stat(report), "no report");
  await assert.rejects(() => Deno.stat(plannerDir), "no planner report");
  // Stopped after a day, the same trace runs.
  const day = await cli([
    temp.trace,
    "--planner-config",
    planner({ report_interval_hours: null }),
    "--max-sim-time-seconds",
    "86400",
    "--report-json",
    report,
  ]);
  assert.equal(day.code, 0, day.err);
});

/** `config` with `optimizer`'s or the worker's settings replaced, for `aisimulate`. */
const PREDICT = {
  traffic: {
    source: { type: "synthetic", input_tokens: 256, output_tokens: 16 },
    load: { type: "concurrency", concurrency: 4 },
    stop: { requests: 20 },
  },
  engine: {
    mode: "aggregated",
    model: "Qwen/Qwen3-32B-FP8",
    hardware: "h200_sxm",
    backend: "vllm",
    workers: {
      aggregated: {
        kv_cache: { block_size: 64, capacity: { type: "fixed", blocks: 1024 } },
        timing: { type: "fixed", prefill_ms: 1e308, decode_ms: 1 },
      },
    },
  },
};

Deno.test("aisimulate: predict's timing past its cap and recommend's timeout past a timer's are refused", async () => {
  await using tmp = await tempDir();
  const out = `${tmp.path}/out`;
  const predict = await writeYaml(tmp.path, "predict.yaml", PREDICT);
  badInput(
    await capture(aisimulate, ["predict", "-c", predict, "--output-dir", out]),
    /engine\.workers\.aggregated\.timing\.prefill_ms: must be 0 or from 1e-6 to 1e9 ms/,
  );
  const workers = {
    aggregated: {
      ...PREDICT.engine.workers.aggregated,
      timing: { type: "fixed", prefill_ms: 5, decode_ms: 2 },
    },
  };
  const recommend = await writeYaml(tmp.path, "recommend.yaml", {
    ...PREDICT,
    engine: { ...PREDICT.engine, workers },
    optimization: { target: "throughput" },
    optimizer: { algorithm: "random", max_trials: 1, parallelism: 1, candidate_timeout_seconds: 2_147_484 },
  });
  badInput(
    await capture(aisimulate, ["recommend", "-c", recommend, "--output-dir", out]),
    /optimizer\.candidate_timeout_seconds: must be at most 2147483 s/,
  );
  await assert.rejects(() => Deno.stat(out), "nothing written");
});
