import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import assert from "node:assert/strict";
import { aisimulate } from "../../lib/cli/aisimulate.ts";
import { checkOutputDir, removeStaleOutputs } from "../../lib/cli/aisimulate_files.ts";
import { capture, cli, tempTrace, writeYaml } from "./_cli.ts";
import { LLAMA_8B_CONFIG } from "../_fixtures.ts";
import { tempDir } from "../_temp.ts";

/** Run `aisimulate` with `args`, capturing its output. */
const run = (args: string[]) => capture(aisimulate, args);
/** `aisimulate predict --stack dynamo` on `config`, the summary printed as JSON. */
const predictJson = (config: string, out: string) =>
  run(["predict", "--stack", "dynamo", "-c", config, "--output-dir", out, "--format", "json"]);

/** The user guide's Dynamo prediction example, as shipped in `scenarios/aisimulate/`. */
const GUIDE_PATH = fileURLToPath(new URL("../../scenarios/aisimulate/prediction.yaml", import.meta.url));
const GUIDE = parse(await Deno.readTextFile(GUIDE_PATH));

/** The docs' dynamo-planner example: a local model directory, fixed timing, load scaling. */
function plannerExample(model: string) {
  return {
    traffic: {
      source: { type: "synthetic", input_tokens: 32, output_tokens: 4 },
      load: { type: "constant_rate", requests_per_second: 1.0 },
      stop: { requests: 12 },
    },
    engine: {
      mode: "aggregated",
      model,
      hardware: "h200_sxm",
      backend: "vllm",
      context_length: 2048,
      workers: {
        aggregated: {
          parallelism: { replicas: 2 },
          scheduler: { max_batched_tokens: 2048, max_sequences: 32 },
          kv_cache: { block_size: 64, prefix_caching: true, capacity: { type: "fixed", blocks: 256 } },
          timing: { type: "fixed", prefill_ms: 1, decode_ms: 1 },
        },
      },
    },
    evaluation: { sla: { ttft_ms: 8000.0, itl_ms: 200.0 } },
    planner: {
      policy: "enabled",
      target: "load",
      enable_throughput_scaling: false,
      enable_load_scaling: true,
      load_adjustment_interval_seconds: 5,
      max_num_gpus: 2,
      min_workers: 1,
    },
  };
}

/** `config` written as `prediction.yaml` in `dir`. */
const writeConfig = (dir: string, config: unknown) => writeYaml(dir, "prediction.yaml", config);

Deno.test("aisimulate predict: the user guide's Dynamo example writes prediction.json and prints the table", async () => {
  await using tmp = await tempDir();
  const config = GUIDE_PATH;
  const out = `${tmp.path}/dynamo-full-prediction`;
  const res = await run(["predict", "--stack", "dynamo", "--config", config, "--output-dir", out]);
  assert.equal(res.code, 0, res.err);
  assert.match(res.out, /^NVIDIA AIPerf \| LLM Metrics/);
  assert.match(res.out, /Request Count \(requests\)\s+┃\s+100\.00/);
  assert.ok(res.out.endsWith(`Saved full report to: ${out}/prediction.json`));
  assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name), ["prediction.json"]);
  const text = await Deno.readTextFile(`${out}/prediction.json`);
  const prediction = JSON.parse(text);
  assert.equal(prediction.completed_requests, 100);
  assert.equal(prediction.summary.completed_requests, 100);
  assert.equal(prediction.summary.mean_ttft_ms, prediction.mean_ttft_ms);
  assert.ok(prediction.summary.goodput_completed_requests <= 100, "an SLA gives goodput figures");
  assert.equal(prediction.planner, undefined, "no planner block with policy disabled");
  // Keys sorted at every level, as AISimulate writes them.
  const keys = Object.keys(prediction);
  assert.deepEqual(keys, [...keys].sort());
  assert.ok(text.endsWith("}\n"));
});

Deno.test("aisimulate predict: the planner example captures per-request records and prints the summary as JSON", async () => {
  await using tmp = await tempDir();
  await Deno.mkdir(`${tmp.path}/model`);
  await Deno.writeTextFile(`${tmp.path}/model/config.json`, JSON.stringify(LLAMA_8B_CONFIG));
  const config = await writeConfig(tmp.path, plannerExample(`${tmp.path}/model`));
  const out = `${tmp.path}/planner-output`;
  const res = await run([
    "predict",
    "--stack",
    "dynamo",
    "--config",
    config,
    "--output-dir",
    out,
    "--capture-per-request",
    "--format",
    "json",
  ]);
  assert.equal(res.code, 0, res.err);
  assert.equal(res.out.split("\n").length, 1, "one line");
  const summary = JSON.parse(res.out);
  assert.equal(summary.completed_requests, 12);
  assert.ok(summary.planner_total_ticks > 0);
  const prediction = JSON.parse(await Deno.readTextFile(`${out}/prediction.json`));
  assert.equal(prediction.planner.total_ticks, summary.planner_total_ticks);
  // The replay report's planner section, whole: scaling events, lifecycle, GPU-hours.
  assert.ok(Array.isArray(prediction.planner.scaling_events));
  assert.ok(Array.isArray(prediction.planner.lifecycle_operations));
  assert.ok(prediction.planner.gpu_hours.provisioned > 0);
  // The front end sets no live-deployment key the user did not: no warning about one.
  assert.doesNotMatch(res.err, /live-deployment/);
  assert.ok(!prediction.dynolab.warnings.some((w: string) => w.includes("live-deployment")));
  assert.equal(prediction.per_request.length, 12);
  const lines = (await Deno.readTextFile(`${out}/requests.jsonl`)).trim().split("\n");
  assert.equal(lines.length, 12);
  const first = JSON.parse(lines[0]);
  assert.equal(first.input_length, 32);
  assert.equal(first.output_length, 4);
  assert.deepEqual(Object.keys(first), Object.keys(first).sort());
});

Deno.test("aisimulate predict: --set replaces leaves, and whole mappings, before the config is checked", async () => {
  await using tmp = await tempDir();
  const config = await writeConfig(tmp.path, {
    ...GUIDE,
    traffic: undefined,
    router: undefined,
    planner: undefined,
  });
  const summary = async (...sets: string[]) => {
    const res = await run([
      "predict",
      "-c",
      config,
      "--output-dir",
      `${tmp.path}/o`,
      "--overwrite",
      "--format",
      "json",
      ...sets.flatMap((s) => ["--set", s]),
    ]);
    assert.equal(res.code, 0, res.err);
    return JSON.parse(res.out);
  };
  // No traffic section: 100 requests at concurrency 10.
  assert.equal((await summary()).completed_requests, 100);
  const traffic =
    "traffic={source: {type: synthetic}, load: {type: concurrency, concurrency: 16}, stop: {requests: 7}}";
  assert.equal((await summary(traffic)).completed_requests, 7);
  assert.equal((await summary(traffic, "traffic.stop.requests=3")).completed_requests, 3, "later sets win");
  const paced = await summary(
    "traffic.source={type: synthetic, input_tokens: 500, output_tokens: 20}",
    "traffic.load={type: constant_rate, requests_per_second: 2}",
    "traffic.stop={requests: 9}",
  );
  assert.equal(paced.completed_requests, 9);
  assert.equal(paced.total_input_tokens, 9 * 500);
  assert.ok(
    Math.abs(paced.duration_ms - (8 * 500 + paced.max_e2e_latency_ms)) < 1e-6,
    "one arrival every 500 ms",
  );
});

Deno.test("aisimulate predict: a partial traffic section is not merged with the default", async () => {
  await using tmp = await tempDir();
  const config = await writeConfig(tmp.path, { ...GUIDE, traffic: { source: { type: "synthetic" } } });
  const res = await run(["predict", "-c", config, "--stack", "dynamo", "--output-dir", `${tmp.path}/o`]);
  assert.equal(res.code, 2);
  assert.match(res.err, /^error: .*prediction\.yaml: traffic\.load: /);
});

Deno.test("aisimulate predict: bad input names the file and field, exits 2 and writes nothing", async () => {
  await using tmp = await tempDir();
  const out = `${tmp.path}/out`;
  const expectError = async (config: unknown, args: string[], pattern: RegExp) => {
    const path = await writeConfig(tmp.path, config);
    const res = await run(["predict", "-c", path, "--output-dir", out, ...args]);
    assert.equal(res.code, 2, `${pattern}: ${res.out}`);
    assert.match(res.err, pattern);
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound, `${pattern}: nothing written`);
  };
  const engine = GUIDE.engine;
  // A workload setting's error names the config section that gave it, not the spec field it fills.
  await expectError(
    GUIDE,
    ["--stack", "dynamo", "--set", "traffic.load.requests_per_second=1e-300"],
    /prediction\.yaml: traffic\.load: 2 sessions at this pace arrive over more than/,
  );
  await expectError(
    { ...GUIDE, engine: { ...engine, modle: "x" } },
    ["--stack", "dynamo"],
    /engine: unknown key "modle"/,
  );
  await expectError(GUIDE, [], /prediction\.yaml: router: a router or planner section needs --stack dynamo/);
  await expectError(
    { ...GUIDE, traffic: { ...GUIDE.traffic, source: "synthetic" } },
    ["--stack", "dynamo"],
    /traffic\.source: expected a mapping \{type: "synthetic" \| "synthetic-session" \| "trace", …\}/,
  );
  // The advice names the config's fields, not the engine args they set.
  await expectError(
    { ...GUIDE, engine: { ...engine, model: "meta-llama/Llama-3.1-405B-Instruct" } },
    ["--stack", "dynamo"],
    /parallelism\.tensor: .* does not fit .* at kv_cache\.capacity\.memory_fraction 0\.9; raise parallelism\.tensor \(or parallelism\.moe_expert\), or set kv_cache\.capacity\.blocks$/m,
  );
  await expectError(GUIDE, ["--fromat", "json"], /--fromat: unknown flag \(did you mean --format\?\)/);
  await expectError(
    GUIDE,
    ["--stack", "llm-d"],
    /--stack: stack 'llm-d' is unavailable; installed stacks: engine, dynamo/,
  );
  await expectError(
    { ...GUIDE, engine: { ...engine, speculation: { kind: "ngram" } } },
    ["--stack", "dynamo"],
    /engine\.speculation: not supported by dynolab: n-gram speculation/,
  );
  await expectError(
    { ...GUIDE, evaluation: {}, planner: { policy: "enabled", target: "sla" } },
    ["--stack", "dynamo"],
    /planner\.enable_throughput_scaling: throughput scaling needs evaluation\.sla\.ttft_ms and itl_ms/,
  );
  await expectError(
    {
      ...GUIDE,
      traffic: { ...GUIDE.traffic, load: { type: "poisson", requests_per_second: 8, speedup: 2 } },
    },
    ["--stack", "dynamo"],
    /traffic\.load\.speedup: traffic\.load\.type 'poisson' does not accept it/,
  );
  await expectError(
    {
      ...GUIDE,
      engine: {
        ...engine,
        workers: { aggregated: { kv_cache: { g3_offload: { num_blocks: 100 } } } },
      },
    },
    ["--stack", "dynamo"],
    /engine\.workers\.aggregated\.kv_cache\.g3_offload: not supported by dynolab: AISimulate's G3 model/,
  );
  await expectError(
    {
      ...GUIDE,
      engine: { ...engine, workers: { aggregated: { parallelism: { tensor: 4 } } } },
      planner: {
        policy: "enabled",
        target: "load",
        enable_throughput_scaling: false,
        enable_load_scaling: true,
        max_num_gpus: 2,
      },
    },
    ["--stack", "dynamo"],
    /planner\.max_num_gpus: 2 GPUs cannot hold the minimum fleet/,
  );
  await expectError(
    { ...GUIDE, traffic: { ...GUIDE.traffic, load: { type: "kv_capacity_fraction", fraction: 0.5 } } },
    ["--stack", "dynamo"],
    /traffic\.load\.type: kv_capacity_fraction is for recommend/,
  );
  await expectError(
    { ...GUIDE, traffic: { ...GUIDE.traffic, load: { type: "concurrency", fraction: 0.5 } } },
    ["--stack", "dynamo"],
    /traffic\.load\.fraction: traffic\.load\.type 'concurrency' does not accept it/,
  );
  await expectError(
    { ...GUIDE, engine: { ...engine, mode: "disaggregated", workers: { prefill: {} } } },
    ["--stack", "dynamo"],
    /engine\.workers\.decode: required in disaggregated mode/,
  );
  await expectError(
    GUIDE,
    ["--stack", "dynamo", "--set", "engine.workers.0.x=1"],
    /sequence indexes are unsupported/,
  );
  await expectError(GUIDE, ["--stack", "dynamo", "--set", "engine.model.x=1"], /crosses a non-mapping value/);
  await expectError(GUIDE, ["--stack", "dynamo", "--format", "csv"], /--format: invalid choice 'csv'/);
  await expectError(
    { ...GUIDE, optimization: {} },
    ["--stack", "dynamo"],
    /optimization: predict does not accept it/,
  );
  await expectError(
    GUIDE,
    ["--stack", "dynamo", "--set", "optimizer.seed=1"],
    /--set path 'optimizer\.seed' is not in the schema/,
  );
  const res = await run(["forecast", "-c", "x.yaml"]);
  assert.equal(res.code, 2);
  assert.match(res.err, /forecast: unknown command; the commands: predict, recommend/);
});

Deno.test("aisimulate: --overwrite removes nothing before the run; afterwards, only the known outputs not rewritten", async () => {
  await using tmp = await tempDir();
  const out = tmp.path;
  for (const name of ["prediction.json", "requests.jsonl", "notes.txt"]) {
    await Deno.writeTextFile(`${out}/${name}`, "old");
  }
  await Deno.mkdir(`${out}/recommendations`);
  await Deno.writeTextFile(`${out}/recommendations/0001.yaml`, "old");
  const stale = await checkOutputDir(out, true);
  assert.deepEqual(stale.toSorted(), [
    `${out}/prediction.json`,
    `${out}/recommendations/0001.yaml`,
    `${out}/requests.jsonl`,
  ]);
  assert.equal(await Deno.readTextFile(`${out}/requests.jsonl`), "old", "a run that fails leaves them");
  await removeStaleOutputs(stale, [`${out}/prediction.json`]);
  assert.deepEqual([...Deno.readDirSync(out)].map((e) => e.name).toSorted(), [
    "notes.txt",
    "prediction.json",
    "recommendations",
  ]);
  assert.deepEqual([...Deno.readDirSync(`${out}/recommendations`)], []);
});

Deno.test("aisimulate predict: a non-empty output directory needs --overwrite, which replaces only known outputs", async () => {
  await using tmp = await tempDir();
  const config = await writeConfig(tmp.path, { ...GUIDE, router: undefined, planner: undefined });
  const out = `${tmp.path}/out`;
  await Deno.mkdir(out);
  await Deno.writeTextFile(`${out}/prediction.json`, "old");
  await Deno.writeTextFile(`${out}/notes.txt`, "mine");
  const refused = await run(["predict", "-c", config, "--output-dir", out]);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /is not empty; pass --overwrite/);
  assert.equal(await Deno.readTextFile(`${out}/prediction.json`), "old");
  const res = await run(["predict", "-c", config, "--output-dir", out, "--overwrite", "--format", "json"]);
  assert.equal(res.code, 0, res.err);
  const prediction = JSON.parse(await Deno.readTextFile(`${out}/prediction.json`));
  assert.equal(prediction.completed_requests, 100);
  assert.equal(prediction.summary, undefined, "the engine stack's report is flat");
  assert.equal(await Deno.readTextFile(`${out}/notes.txt`), "mine");
});

Deno.test("aisimulate predict: an output directory that cannot take the outputs is refused before the run", async () => {
  await using tmp = await tempDir();
  const config = await writeConfig(tmp.path, { ...GUIDE, router: undefined, planner: undefined });
  await Deno.writeTextFile(`${tmp.path}/afile`, "");
  await Deno.mkdir(`${tmp.path}/out/prediction.json`, { recursive: true });
  for (
    const [dir, message] of [
      ["", /--output-dir: empty path; give a directory/],
      [`${tmp.path}/afile/sub`, /--output-dir: .*afile\/sub cannot be used: /],
      [`${tmp.path}/afile`, /--output-dir: .*afile exists and is not a directory/],
      [
        `${tmp.path}/out`,
        /--output-dir: .*out\/prediction\.json is a directory where the run writes that file/,
      ],
    ] as const
  ) {
    const res = await run(["predict", "-c", config, "--output-dir", dir, "--overwrite"]);
    assert.equal(res.code, 2, `${dir}: ${res.err}`);
    assert.match(res.err, message);
  }
});

Deno.test("aisimulate predict: disaggregated workers behind the KV router, with a KV transfer", async () => {
  await using tmp = await tempDir();
  const role = {
    scheduler: { max_batched_tokens: 4096 },
    kv_cache: { capacity: { type: "fixed", blocks: 2000 } },
  };
  const config = await writeConfig(tmp.path, {
    traffic: {
      source: {
        type: "synthetic-session",
        new_input_tokens_per_turn: 800,
        output_tokens_per_turn: 30,
        session: { turns: 3, shared_prefix_ratio: 0.5, prefix_groups: 2, inter_turn_delay_ms: 100 },
      },
      load: { type: "poisson", sessions_per_second: 2 },
      stop: { sessions: 10 },
    },
    engine: {
      mode: "disaggregated",
      model: "meta-llama/Llama-3.1-8B-Instruct",
      hardware: "h100_sxm",
      workers: { prefill: { ...role, parallelism: { replicas: 2 } }, decode: role },
      kv_transfer: { bandwidth_gb_per_second: 50 },
    },
    router: { policy: "kv_router", overlap_score_credit: 1, prefill_load_scale: 2 },
  });
  const out = `${tmp.path}/out`;
  const res = await predictJson(config, out);
  assert.equal(res.code, 0, res.err);
  const summary = JSON.parse(res.out);
  assert.equal(summary.completed_requests, 30, "10 sessions of 3 turns");
  assert.equal(summary.prefill_gpus_per_worker, 1);
  assert.ok(summary.prefix_cache_reused_ratio > 0, "later turns and shared prefixes hit the cache");
  const prediction = JSON.parse(await Deno.readTextFile(`${out}/prediction.json`));
  assert.equal(prediction.dynolab.pools.length, 2);
});

Deno.test("aisimulate predict: host_offload gives the workers a host KV tier at its bandwidths", async () => {
  await using tmp = await tempDir();
  const aggregated = GUIDE.engine.workers.aggregated;
  const config = await writeConfig(tmp.path, {
    ...GUIDE,
    traffic: { ...GUIDE.traffic, stop: { requests: 10 } },
    engine: {
      ...GUIDE.engine,
      workers: {
        aggregated: {
          ...aggregated,
          kv_cache: { ...aggregated.kv_cache, host_offload: { num_host_blocks: 100 } },
        },
      },
    },
  });
  const res = await predictJson(config, `${tmp.path}/out`);
  assert.equal(res.code, 0, res.err);
  const prediction = JSON.parse(await Deno.readTextFile(`${tmp.path}/out/prediction.json`));
  const tier = prediction.dynolab.pools[0].host_tier;
  assert.deepEqual([tier.blocks_per_rank, tier.offload_gbps, tier.onboard_gbps], [100, 32, 32]);
});

Deno.test("aisimulate predict: the sglang backend runs SGLang's scheduler at its page size, with its KV budget", async () => {
  await using tmp = await tempDir();
  const aggregated = GUIDE.engine.workers.aggregated;
  const config = await writeConfig(tmp.path, {
    ...GUIDE,
    traffic: { ...GUIDE.traffic, stop: { requests: 10 } },
    engine: {
      ...GUIDE.engine,
      backend: "sglang",
      backend_version: null,
      workers: {
        aggregated: {
          ...aggregated,
          scheduler: { ...aggregated.scheduler, prefill_decode_interval: 4 },
          kv_cache: { ...aggregated.kv_cache, block_size: null },
        },
      },
    },
  });
  const res = await predictJson(config, `${tmp.path}/out`);
  assert.equal(res.code, 0, res.err);
  const prediction = JSON.parse(await Deno.readTextFile(`${tmp.path}/out/prediction.json`));
  const pool = prediction.dynolab.pools[0];
  assert.deepEqual([pool.scheduler, pool.block_size], ["sglang", 1]);
  assert.equal(pool.kv_capacity_derivation.mem_fraction_static, 0.9);
  assert.deepEqual(prediction.dynolab.warnings, []);
  const vllm = await writeConfig(tmp.path, {
    ...GUIDE,
    engine: {
      ...GUIDE.engine,
      workers: {
        aggregated: { ...aggregated, scheduler: { ...aggregated.scheduler, prefill_decode_interval: 4 } },
      },
    },
  });
  const refused = await predictJson(vllm, `${tmp.path}/out2`);
  assert.equal(refused.code, 2);
  assert.match(
    refused.err,
    /scheduler\.prefill_decode_interval.*applies to aggregated and prefill workers of the sglang backend/,
  );
  // SGLang's pass budget is its chunked_prefill_size, in whole pages.
  const unaligned = await writeConfig(tmp.path, {
    ...GUIDE,
    engine: {
      ...GUIDE.engine,
      backend: "sglang",
      workers: { aggregated: { ...aggregated, scheduler: { max_batched_tokens: 1000 } } },
    },
  });
  const odd = await predictJson(unaligned, `${tmp.path}/out3`);
  assert.equal(odd.code, 2);
  assert.match(odd.err, /scheduler\.max_batched_tokens.*1000 is not a multiple of the block size 64/);
});

Deno.test("aisimulate predict: a config and the replay flags it stands for give the same report", async () => {
  const lines = Array.from({ length: 40 }, (_, i) =>
    JSON.stringify({
      timestamp: i * 150,
      session_id: `s${i % 8}`,
      input_length: 700 + 37 * (i % 5),
      output_length: 12 + (i % 7),
      hash_ids: [i % 3, 10 + (i % 8), 100 + i],
    }));
  await using trace = await tempTrace(lines);
  const role = (replicas: number) => ({
    parallelism: { replicas, tensor: 2 },
    scheduler: { max_batched_tokens: 1024, max_sequences: 64 },
    kv_cache: { block_size: 32, capacity: { type: "fixed", blocks: 600 } },
  });
  const config = await writeConfig(trace.dir, {
    traffic: {
      source: { type: "trace", format: "mooncake", paths: [trace.trace] },
      load: { type: "trace_timestamps", speedup: 2 },
    },
    engine: {
      mode: "disaggregated",
      model: "meta-llama/Llama-3.1-8B-Instruct",
      hardware: "h100_sxm",
      workers: { prefill: role(1), decode: role(2) },
      kv_transfer: { bytes_per_token: 131072, bandwidth_gb_per_second: 25 },
    },
    router: { policy: "kv_router", overlap_score_credit: 0.5, prefill_load_scale: 1.5 },
    evaluation: { sla: { ttft_ms: 300, itl_ms: 20 } },
  });
  const predicted = await predictJson(config, `${trace.dir}/out`);
  assert.equal(predicted.code, 0, predicted.err);
  const args = JSON.stringify({
    aic_backend: "vllm",
    aic_system: "h100_sxm",
    aic_model_path: "meta-llama/Llama-3.1-8B-Instruct",
    aic_tp_size: 2,
    max_num_batched_tokens: 1024,
    max_num_seqs: 64,
    block_size: 32,
    num_gpu_blocks: 600,
    kv_bytes_per_token: 131072,
    kv_transfer_bandwidth: 25,
    // AISimulate's default; the replay CLI's (the reference's) is full_prompt.
    kv_transfer_timing_mode: "destination_missing",
  });
  const reportPath = `${trace.dir}/replay.json`;
  const replayed = await cli([
    trace.trace,
    "--arrival-speedup-ratio",
    "2",
    "--num-prefill-workers",
    "1",
    "--num-decode-workers",
    "2",
    "--prefill-engine-args",
    args,
    "--decode-engine-args",
    args,
    "--router-mode",
    "kv_router",
    "--router-config",
    '{"overlap_score_credit": 0.5, "prefill_load_scale": 1.5}',
    "--sla-ttft-ms",
    "300",
    "--sla-itl-ms",
    "20",
    "--report-json",
    reportPath,
  ]);
  assert.equal(replayed.code, 0, replayed.err);
  const summary = JSON.parse(predicted.out);
  const report = JSON.parse(await Deno.readTextFile(reportPath));
  const wall = ["wall_time_ms", "processed_tokens_per_s", "processed_output_tokens_per_s"];
  const figures = Object.keys(report).filter((k) => typeof report[k] === "number" && !wall.includes(k));
  assert.ok(figures.length > 50, `${figures.length} figures`);
  assert.equal(summary.completed_requests, 40);
  assert.ok(summary.goodput_completed_requests > 0);
  for (const key of figures) assert.equal(summary[key], report[key], key);
});

Deno.test("aisimulate predict: YAML merge keys (`<<: *anchor`) read as Python's YAML loaders read them", async () => {
  await using tmp = await tempDir();
  const config = `${tmp.path}/merge.yaml`;
  await Deno.writeTextFile(
    config,
    `traffic:
  source: {type: synthetic, input_tokens: 256, output_tokens: 16}
  load: {type: concurrency, concurrency: 2}
  stop: {requests: 4}
engine:
  mode: disaggregated
  model: Qwen/Qwen3-8B
  hardware: h200_sxm
  workers:
    prefill: &role
      parallelism: {replicas: 1, tensor: 1}
      timing: {type: fixed, prefill_ms: 1, decode_ms: 1}
    decode:
      <<: *role
      startup_seconds: 0
`,
  );
  const res = await run(["predict", "--config", config, "--output-dir", `${tmp.path}/out`]);
  assert.equal(res.code, 0, res.err);
  assert.equal(JSON.parse(await Deno.readTextFile(`${tmp.path}/out/prediction.json`)).completed_requests, 4);
});

Deno.test("aisimulate predict: a rate stopped by max_virtual_time_seconds alone runs to that time", async () => {
  await using tmp = await tempDir();
  const stopAt = (load: unknown) => ({
    ...GUIDE,
    traffic: { ...GUIDE.traffic, load, stop: { max_virtual_time_seconds: 10 } },
  });
  const config = await writeConfig(tmp.path, stopAt(GUIDE.traffic.load));
  const res = await run(["predict", "--stack", "dynamo", "-c", config, "--output-dir", `${tmp.path}/out`]);
  assert.equal(res.code, 0, res.err);
  const prediction = JSON.parse(await Deno.readTextFile(`${tmp.path}/out/prediction.json`));
  assert.equal(prediction.dynolab.simulated_end_ms, 10_000);
  // About 8 a second arrived in the 10 s; those generated past it never did.
  assert.ok(prediction.num_requests > 50 && prediction.num_requests < 110, `${prediction.num_requests}`);
  // A concurrency load has no rate to size the workload by.
  const closed = await writeConfig(tmp.path, stopAt({ type: "concurrency", concurrency: 4 }));
  const refused = await run(["predict", "--stack", "dynamo", "-c", closed, "--output-dir", `${tmp.path}/c`]);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /traffic\.stop: a concurrency load needs requests or requests_per_load_unit/);
});

Deno.test("aisimulate predict: an enabled planner with its defaults runs the planner's easy mode, with its note", async () => {
  await using tmp = await tempDir();
  const config = await writeConfig(tmp.path, { ...GUIDE, planner: { policy: "enabled" } });
  const res = await run(["predict", "--stack", "dynamo", "-c", config, "--output-dir", `${tmp.path}/out`]);
  assert.equal(res.code, 0, res.err);
  assert.match(res.err, /optimization_target "throughput" uses static load thresholds/);
  assert.ok(JSON.parse(await Deno.readTextFile(`${tmp.path}/out/prediction.json`)).planner.total_ticks > 0);
});

Deno.test("aisimulate predict: the docs' spellings poisson `rate` and capacity type `memory_fraction` read as the examples' keys", async () => {
  await using tmp = await tempDir();
  const summary = async (config: unknown, out: string) => {
    const res = await predictJson(await writeConfig(tmp.path, config), `${tmp.path}/${out}`);
    assert.equal(res.code, 0, res.err);
    const s = JSON.parse(res.out);
    for (const k of Object.keys(s)) if (/per_s$|wall/.test(k)) delete s[k]; // wall-clock figures
    return s;
  };
  const aggregated = GUIDE.engine.workers.aggregated;
  const docs = {
    ...GUIDE,
    traffic: { ...GUIDE.traffic, load: { type: "poisson", rate: 8, seed: 42 } },
    engine: {
      ...GUIDE.engine,
      workers: {
        aggregated: {
          ...aggregated,
          kv_cache: { ...aggregated.kv_cache, capacity: { type: "memory_fraction", memory_fraction: 0.9 } },
        },
      },
    },
  };
  assert.deepEqual(await summary(docs, "docs"), await summary(GUIDE, "guide"));
  const both = { ...GUIDE, traffic: { ...GUIDE.traffic, load: { ...GUIDE.traffic.load, rate: 8 } } };
  const res = await predictJson(await writeConfig(tmp.path, both), `${tmp.path}/both`);
  assert.equal(res.code, 2);
  assert.match(res.err, /traffic\.load: unknown key "rate"/);
});
