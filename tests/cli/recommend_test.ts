import { fileURLToPath } from "node:url";
import { searchSpace } from "../../lib/cli/recommend_space.ts";
import { OptimizationSchema } from "../../lib/cli/recommend_config.ts";
import assert from "node:assert/strict";
import { parse } from "yaml";
import { aisimulate } from "../../lib/cli/aisimulate.ts";
import { capture, preset, writeYaml } from "./_cli.ts";
import { tempDir } from "../_temp.ts";

/** Run `aisimulate` with `args`, capturing its output. */
const run = (args: string[]) => capture(aisimulate, args);

/** The user guide's recommendation example, as shipped in `scenarios/aisimulate/`. */
const GUIDE_PATH = fileURLToPath(new URL("../../scenarios/aisimulate/recommendation.yaml", import.meta.url));
const GUIDE = parse(await Deno.readTextFile(GUIDE_PATH));

/** A fixed-time engine (5 ms a prefill pass, 2 ms a decode pass), for fast candidates. */
const FIXED = { type: "fixed", prefill_ms: 5, decode_ms: 2 };

/** `config` written as `recommendation.yaml` in `dir`. */
const writeConfig = (dir: string, config: unknown) => writeYaml(dir, "recommendation.yaml", config);

interface Row {
  candidate_id: string;
  status: string;
  reason_category: string | null;
  score: number | null;
  used_gpus: number;
  config: Record<string, unknown>;
  metrics: Record<string, number>;
}

Deno.test("aisimulate recommend: the user guide's example ranks its four candidates and writes each as a predict config", async () => {
  await using tmp = await tempDir();
  const config = GUIDE_PATH;
  const out = `${tmp.path}/recommendation-output`;
  const res = await run(["recommend", "--config", config, "--output-dir", out]);
  assert.equal(res.code, 0, res.err);
  const lines = res.out.split("\n");
  assert.match(
    lines[0],
    /^Sweeper done: 4\/4 replay attempt\(s\) feasible, 0 gated, .* best throughput_per_gpu=/,
  );
  assert.equal(lines[1], "AISimulate recommendations");
  assert.equal(lines.length, 7);
  for (let i = 1; i <= 4; i++) {
    assert.match(
      lines[i + 1],
      new RegExp(`^${i}: score=[0-9.]+ used_gpus=[14] config=${out}/recommendations/000${i}\\.yaml$`),
    );
  }
  assert.equal(lines[6], `Saved full result to: ${out}/recommendation.json`);

  const text = await Deno.readTextFile(`${out}/recommendation.json`);
  const result = JSON.parse(text);
  assert.equal(result.schema_version, "1.1");
  assert.deepEqual(Object.keys(result), [...Object.keys(result)].sort());
  assert.deepEqual(result.counts, {
    cache_hits: 0,
    evaluated: 4,
    failed: 0,
    feasible: 4,
    infeasible: 0,
    resource_limited: 0,
    timed_out: 0,
    unsupported: 0,
  });
  assert.equal(result.provenance.search_strategy, "exhaustive", "4 points, 4 trials: every point once");
  const rows = result.candidates as Row[];
  const top = result.views.top_n as string[];
  assert.equal(top.length, 4);
  const scores = top.map((id) => rows.find((r) => r.candidate_id === id)!.score!);
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a), "best first");
  for (const r of rows) {
    const gpuHours = r.metrics.gpu_hours, hours = r.metrics.duration_ms / 3_600_000;
    assert.ok(Math.abs(r.score! - r.metrics.output_throughput_tok_s / (gpuHours / hours)) < 1e-9 * r.score!);
  }

  const csv = (await Deno.readTextFile(`${out}/recommendation.csv`)).trimEnd().split("\n");
  assert.equal(csv.length, 5);
  assert.ok(csv[0].startsWith("schema_version,candidate_id,status,reason_category,reason,used_gpus,score,"));
  assert.ok(csv[0].endsWith(",is_top_n,is_pareto"));
  assert.ok(csv.slice(1).every((l) => l.startsWith("1.1,candidate-00000") && l.endsWith(",True,False")));

  // The best candidate's YAML is a predict config that reproduces its figures.
  const best = rows.find((r) => r.candidate_id === top[0])!;
  const yaml = parse(await Deno.readTextFile(`${out}/recommendations/0001.yaml`));
  assert.deepEqual(Object.keys(yaml), ["traffic", "engine", "evaluation"]);
  const predicted = await run([
    "predict",
    "-c",
    `${out}/recommendations/0001.yaml`,
    "--output-dir",
    `${tmp.path}/p`,
    "--format",
    "json",
  ]);
  assert.equal(predicted.code, 0, predicted.err);
  const summary = JSON.parse(predicted.out);
  for (const [key, value] of Object.entries(best.metrics)) assert.equal(summary[key], value, key);

  // --format json: the ranking as one line; the same files.
  const json = await run(["recommend", "-c", config, "--output-dir", out, "--overwrite", "--format", "json"]);
  assert.equal(json.code, 0, json.err);
  const ranking = JSON.parse(json.out);
  assert.deepEqual(ranking.map((r: { rank: number }) => r.rank), [1, 2, 3, 4]);
  assert.deepEqual(Object.keys(ranking[0]), [
    "config_path",
    "objectives",
    "power_coverage",
    "power_w",
    "rank",
    "score",
    "used_gpus",
  ]);
  const again = JSON.parse(await Deno.readTextFile(`${out}/recommendation.json`));
  const strip = (r: { provenance: Record<string, unknown> }) => ({
    ...r,
    provenance: { ...r.provenance, created_at: 0, run_id: 0 },
  });
  assert.deepEqual(strip(again), strip(result), "deterministic");
});

Deno.test("aisimulate recommend: min_gpus ranks the smallest deployment meeting the SLA first, and none meeting it exits 1", async () => {
  await using tmp = await tempDir();
  const config = await writeConfig(tmp.path, {
    traffic: {
      source: { type: "synthetic", input_tokens: 256, output_tokens: 16 },
      load: { type: "constant_rate", requests_per_second: 5 },
      stop: { requests_per_load_unit: 4 },
    },
    engine: {
      mode: "aggregated",
      model: "meta-llama/Llama-3.1-8B-Instruct",
      hardware: "h200_sxm",
      workers: {
        aggregated: {
          parallelism: { preset: [preset(1), preset(2)] },
          scheduler: { max_batched_tokens: 2048, max_sequences: 32 },
          timing: FIXED,
        },
      },
    },
    evaluation: { sla: { ttft_ms: 10, itl_ms: 5 } },
    optimization: {
      target: "min_gpus",
      strict_sla: true,
      constraints: { max_candidate_gpus: 2, min_goodput_rps: 4 },
    },
    optimizer: { algorithm: "random", max_trials: 2, parallelism: 1, seed: 17 },
  });
  const out = `${tmp.path}/out`;
  const res = await run(["recommend", "-c", config, "--output-dir", out, "--format", "json"]);
  assert.equal(res.code, 0, res.err);
  const ranking = JSON.parse(res.out) as { score: number; used_gpus: number }[];
  assert.deepEqual(ranking.map((r) => r.used_gpus), [1, 2]);
  assert.equal(ranking[0].score, -1);

  const none = await run([
    "recommend",
    "-c",
    config,
    "--output-dir",
    out,
    "--overwrite",
    "--set",
    "evaluation.sla={e2e_ms: 0.001}",
  ]);
  assert.equal(none.code, 1);
  assert.equal(none.err, `no feasible candidate found; saved full result to: ${out}/recommendation.json`);
  const result = JSON.parse(await Deno.readTextFile(`${out}/recommendation.json`));
  assert.deepEqual(result.views, { pareto_front: [], top_n: [] });
  assert.ok(
    (result.candidates as Row[]).every((r) =>
      r.status === "infeasible" && r.reason_category === "sla_constraint"
    ),
  );
  await assert.rejects(
    Deno.stat(`${out}/recommendations/0001.yaml`),
    Deno.errors.NotFound,
    "the old YAMLs went",
  );
});

Deno.test("aisimulate recommend: left-out knobs are searched (both modes, parallelism within the budget, scheduler limits)", async () => {
  await using tmp = await tempDir();
  const config = await writeConfig(tmp.path, {
    traffic: {
      source: { type: "synthetic", input_tokens: 512, output_tokens: 32 },
      load: { type: "poisson", requests_per_second: { range: { min: 2, max: 20, scale: "log" } } },
      stop: { requests: 40 },
    },
    engine: {
      model: "meta-llama/Llama-3.1-8B-Instruct",
      hardware: "auto",
      workers: { aggregated: { timing: FIXED }, prefill: { timing: FIXED }, decode: { timing: FIXED } },
    },
    evaluation: { sla: { ttft_ms: 200 } },
    optimization: { target: "goodput_per_gpu", hardware: "h100_sxm", constraints: { max_candidate_gpus: 3 } },
    optimizer: { max_trials: 24, parallelism: 4, seed: 7 },
  });
  const out = `${tmp.path}/out`;
  const res = await run(["recommend", "-c", config, "--output-dir", out, "--format", "json"]);
  assert.equal(res.code, 0, res.err);
  const result = JSON.parse(await Deno.readTextFile(`${out}/recommendation.json`));
  const rows = result.candidates as Row[];
  assert.equal(rows.length + result.counts.cache_hits, 24, "every trial is a row or a cache hit");
  assert.equal(result.provenance.search_strategy, "optimizer_guided");
  const modes = new Set(rows.map((r) => r.config.deployment_mode));
  assert.deepEqual([...modes].sort(), ["agg", "disagg"]);
  assert.ok(rows.every((r) => r.used_gpus <= 3 && r.status === "feasible"));
  const rates = rows.map((r) => r.config["traffic.load.requests_per_second"] as number);
  assert.ok(rates.every((x) => x >= 2 && x <= 20));
  const disagg = rows.find((r) => r.config.deployment_mode === "disagg")!;
  assert.ok(
    [1, 2, 4, 8, 16, 32, 64, 128, 256].includes(
      disagg.config["engine.workers.prefill.scheduler.max_sequences"] as number,
    ),
  );
  assert.equal(rows.find((r) => r.config.deployment_mode === "agg")!.metrics.num_requests, 40);
  const yaml = parse(await Deno.readTextFile(`${out}/recommendations/0001.yaml`));
  assert.equal(yaml.engine.hardware, "h100_sxm", "auto resolved");

  // A budget of one GPU leaves no disaggregated layout (a prefill and a decode worker): only agg is searched,
  // and the ttft target ranks no candidate that completed nothing (4 blocks cannot hold a prompt).
  const small = await writeConfig(tmp.path, {
    traffic: {
      source: { type: "synthetic", input_tokens: 512, output_tokens: 32 },
      load: { type: "concurrency", concurrency: 2 },
      stop: { requests: 8 },
    },
    engine: {
      model: "meta-llama/Llama-3.1-8B-Instruct",
      hardware: "h100_sxm",
      workers: {
        aggregated: {
          timing: FIXED,
          kv_cache: { block_size: 16, capacity: { type: "fixed", blocks: { choices: [4, 400] } } },
        },
        prefill: { timing: FIXED },
        decode: { timing: FIXED },
      },
    },
    optimization: { target: "ttft", constraints: { max_candidate_gpus: 1 } },
    optimizer: { max_trials: 4, parallelism: 2 },
  });
  const one = await run(["recommend", "-c", small, "--output-dir", `${tmp.path}/one`]);
  assert.equal(one.code, 0, one.err);
  const oneRows = JSON.parse(await Deno.readTextFile(`${tmp.path}/one/recommendation.json`))
    .candidates as Row[];
  assert.ok(oneRows.every((r) => r.config.deployment_mode === "agg"));
  const starved = oneRows.filter((r) => r.config["engine.workers.aggregated.kv_cache.capacity.blocks"] === 4);
  assert.ok(
    starved.length > 0 &&
      starved.every((r) => r.status === "infeasible" && r.reason_category === "no_samples"),
  );
  // Disaggregated alone has nothing to search.
  const smallDoc = parse(await Deno.readTextFile(small));
  const disaggOnly = await writeConfig(tmp.path, {
    ...smallDoc,
    engine: { ...smallDoc.engine, mode: "disaggregated" },
  });
  const none = await run(["recommend", "-c", disaggOnly, "--output-dir", `${tmp.path}/none`]);
  assert.equal(none.code, 2, none.err);
  assert.match(
    none.err,
    /optimization\.constraints: no disaggregated deployment .* uses between 1 and 1 GPUs/,
  );
});

Deno.test("aisimulate recommend: candidates the simulator refuses are recorded with AISimulate's status, not fatal", async () => {
  await using tmp = await tempDir();
  const config = await writeConfig(tmp.path, {
    engine: {
      mode: "aggregated",
      model: "meta-llama/Llama-3.1-70B-Instruct",
      hardware: "h100_sxm",
      backend: { choices: ["vllm", "sglang"] },
      workers: {
        aggregated: {
          parallelism: { tensor: { choices: [1, 3, 4] } },
          scheduler: {
            max_batched_tokens: 8192,
            max_sequences: 64,
            prefill_schedule_interval: { choices: [1, 2] },
          },
        },
      },
    },
    optimization: { target: "throughput" },
    optimizer: { max_trials: 12, parallelism: 2 },
  });
  const out = `${tmp.path}/out`;
  const res = await run(["recommend", "-c", config, "--output-dir", out]);
  assert.equal(res.code, 0, res.err);
  const rows = JSON.parse(await Deno.readTextFile(`${out}/recommendation.json`)).candidates as Row[];
  const status = (backend: string, tensor: number, interval = 1) => {
    const row = rows.find((r) =>
      r.config["engine.backend"] === backend &&
      r.config["engine.workers.aggregated.parallelism.tensor"] === tensor &&
      r.config["engine.workers.aggregated.scheduler.prefill_schedule_interval"] === interval
    )!;
    return [row.status, row.reason_category];
  };
  for (const backend of ["vllm", "sglang"]) {
    assert.deepEqual(status(backend, 1), ["infeasible", "kv_capacity"]);
    assert.deepEqual(status(backend, 3), ["infeasible", "parallel_projection"]);
    assert.equal(status(backend, 4)[0], "feasible");
    assert.deepEqual(status(backend, 4, 2), ["unsupported", "backend_topology"]);
  }
  assert.match(res.out, /^1: score=[0-9.]+ used_gpus=4 /m);
});

Deno.test("aisimulate recommend: a kv_capacity_fraction load runs each candidate at the concurrency filling that share of its KV", async () => {
  await using tmp = await tempDir();
  const config = await writeConfig(tmp.path, {
    ...GUIDE,
    traffic: {
      source: { type: "synthetic", input_tokens: 1024, output_tokens: 128 },
      load: { type: "kv_capacity_fraction", fraction: 0.5 },
      stop: { requests_per_load_unit: 2 },
    },
    engine: {
      ...GUIDE.engine,
      workers: {
        aggregated: {
          parallelism: { preset: [preset(1), preset(2)] },
          scheduler: { max_batched_tokens: 8192, max_sequences: 256 },
          kv_cache: { block_size: 64, capacity: { type: "fixed", blocks: { choices: [4, 1000] } } },
          timing: FIXED,
        },
      },
    },
    optimizer: { algorithm: "random", max_trials: 4, parallelism: 2, seed: 1 },
  });
  const out = `${tmp.path}/out`;
  const res = await run(["recommend", "-c", config, "--output-dir", out]);
  assert.equal(res.code, 0, res.err);
  const rows = JSON.parse(await Deno.readTextFile(`${out}/recommendation.json`)).candidates as (Row & {
    prediction_config: { traffic: { load: unknown } };
  })[];
  const row = (replicas: number, blocks: number) =>
    rows.find((r) =>
      (r.config["engine.workers.aggregated.parallelism"] as { replicas: number }).replicas === replicas &&
      r.config["engine.workers.aggregated.kv_cache.capacity.blocks"] === blocks
    )!;
  // 1000 blocks of 64 tokens hold 58 requests of 1024 + 128/2 tokens per replica; half of them run.
  for (const [replicas, fit] of [[1, 58], [2, 117]]) {
    const r = row(replicas, 1000);
    assert.equal(r.status, "feasible", r.reason_category ?? "");
    const concurrency = Math.floor(fit / 2);
    assert.deepEqual(
      [r.config.kv_load_ratio, r.config.kv_load_concurrency_capacity, r.config.concurrency],
      [0.5, fit, concurrency],
    );
    assert.equal(r.config.agg_kv_capacity_tokens, 64_000 * replicas);
    assert.equal(r.config.kv_load_capacity_tokens, 64_000 * replicas);
    assert.deepEqual(r.prediction_config.traffic.load, { type: "concurrency", concurrency });
    assert.equal(r.metrics.completed_requests, 2 * concurrency, "requests_per_load_unit × the concurrency");
  }
  // 4 blocks (256 tokens) cannot hold one request: infeasible for its KV capacity.
  for (const replicas of [1, 2]) {
    const r = row(replicas, 4);
    assert.deepEqual([r.status, r.reason_category], ["infeasible", "kv_capacity"]);
  }
  // The selected candidate's YAML runs with predict at its concurrency.
  const yaml = parse(await Deno.readTextFile(`${out}/recommendations/0001.yaml`));
  assert.equal(yaml.traffic.load.type, "concurrency");
});

Deno.test("aisimulate recommend: candidates that come out as one config are one recommendation", async () => {
  await using tmp = await tempDir();
  // KV fractions from 0.5 to 0.55 of 14 requests' worth of blocks (1,000 × 16 tokens over 1,024 + 128/2 each):
  // six feasible rows, all at concurrency 7.
  const config = await writeConfig(tmp.path, {
    ...GUIDE,
    traffic: {
      ...GUIDE.traffic,
      load: { type: "kv_capacity_fraction", fraction: { range: { min: 0.5, max: 0.55 } } },
    },
    engine: {
      ...GUIDE.engine,
      workers: {
        aggregated: {
          parallelism: { tensor: 1 },
          scheduler: { max_batched_tokens: 8192, max_sequences: 256 },
          kv_cache: { block_size: 16, capacity: { type: "fixed", blocks: 1000 } },
          timing: FIXED,
        },
      },
    },
    optimizer: { algorithm: "random", max_trials: 6, parallelism: 2, seed: 5 },
  });
  const out = `${tmp.path}/out`;
  const res = await run(["recommend", "-c", config, "--output-dir", out]);
  assert.equal(res.code, 0, res.err);
  const result = JSON.parse(await Deno.readTextFile(`${out}/recommendation.json`));
  assert.equal(result.counts.feasible, 6);
  assert.ok(result.candidates.every((r: Row) => r.config.concurrency === 7));
  assert.equal(result.views.top_n.length, 1);
  assert.deepEqual([...Deno.readDirSync(`${out}/recommendations`)].map((e) => e.name), ["0001.yaml"]);
});

Deno.test("aisimulate recommend: a run past candidate_timeout_seconds is timed out", async () => {
  await using tmp = await tempDir();
  const config = await writeConfig(tmp.path, {
    ...GUIDE,
    optimizer: { ...GUIDE.optimizer, max_trials: 2, candidate_timeout_seconds: 0.001 },
    traffic: { ...GUIDE.traffic, load: { type: "concurrency", concurrency: 8 }, stop: { requests: 20000 } },
  });
  const res = await run(["recommend", "-c", config, "--output-dir", `${tmp.path}/out`]);
  assert.equal(res.code, 1);
  const result = JSON.parse(await Deno.readTextFile(`${tmp.path}/out/recommendation.json`));
  assert.equal(result.counts.timed_out, 2);
  assert.match(result.candidates[0].reason, /^exceed runtime: replay > 0\.001s$/);
});

Deno.test("aisimulate recommend: execution.resources.cpu_limit caps the candidates run at once", async () => {
  await using tmp = await tempDir();
  const parallelism = async (execution?: unknown) => {
    const out = `${tmp.path}/out-${execution ? "capped" : "free"}`;
    const config = await writeConfig(tmp.path, {
      ...GUIDE,
      ...(execution ? { execution } : {}),
      optimizer: { ...GUIDE.optimizer, max_trials: 2, parallelism: 4 },
    });
    const res = await run(["recommend", "-c", config, "--output-dir", out]);
    assert.equal(res.code, 0, res.err);
    return JSON.parse(await Deno.readTextFile(`${out}/recommendation.json`)).provenance.parallelism;
  };
  assert.equal(await parallelism({ resources: { cpu_limit: 1, memory_limit_gib: "auto" } }), 1);
  assert.equal(await parallelism(), Math.min(4, navigator.hardwareConcurrency));
});

Deno.test("aisimulate recommend: bad input names the file and field, exits 2 and writes nothing", async () => {
  await using tmp = await tempDir();
  const out = `${tmp.path}/out`;
  const expectError = async (config: unknown, pattern: RegExp, args: string[] = []) => {
    const path = await writeConfig(tmp.path, config);
    const res = await run(["recommend", "-c", path, "--output-dir", out, ...args]);
    assert.equal(res.code, 2, `${pattern}: ${res.out} ${res.err}`);
    assert.match(res.err, pattern);
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound, `${pattern}: nothing written`);
  };
  const { optimization: _, ...noOptimization } = GUIDE;
  await expectError(noOptimization, /recommendation\.yaml: optimization: required by recommend/);
  const engine = GUIDE.engine;
  await expectError(
    { ...GUIDE, engine: { ...engine, model: { choices: ["a", "b"] } } },
    /engine\.model: must be concrete/,
  );
  await expectError(
    {
      ...GUIDE,
      traffic: { ...GUIDE.traffic, load: { concurrency: { range: { min: 8, max: 4, step: 1 } } } },
    },
    /traffic\.load\.concurrency\.range: range requires min <= max/,
  );
  await expectError(
    { ...GUIDE, traffic: { ...GUIDE.traffic, load: { concurrency: { range: { min: 4, max: 8 } } } } },
    /integer linear ranges require step/,
  );
  // Any integer knob of the schema, not only the parallelism and scheduler ones.
  await expectError(
    {
      ...GUIDE,
      planner: {
        policy: "enabled",
        target: "load",
        enable_throughput_scaling: false,
        enable_load_scaling: true,
        load_min_observations: { range: { min: 2, max: 10 } },
      },
    },
    /planner\.load_min_observations\.range: integer linear ranges require step/,
    ["--stack", "dynamo"],
  );
  await expectError(
    { ...GUIDE, traffic: { ...GUIDE.traffic, load: { concurrency: { choices: [4, 4] } } } },
    /choices must contain unique values/,
  );
  await expectError(
    {
      ...GUIDE,
      engine: {
        ...engine,
        workers: { aggregated: { parallelism: { preset: [{ replicas: 1, tensor: 1 }] } } },
      },
    },
    /preset\[0\]: entry must cover exactly .*missing=\[pipeline, attention_data, moe_tensor, moe_expert\]/,
  );
  await expectError({ ...GUIDE, engine: { ...engine, modle: "x" } }, /engine: unknown key "modle"/);
  // A fixed field's error is found even when the first point fails on a searched knob.
  const agg = engine.workers.aggregated;
  await expectError(
    {
      ...GUIDE,
      engine: {
        ...engine,
        workers: {
          aggregated: {
            ...agg,
            scheduler: { ...agg.scheduler, max_batched_tokens: { choices: [0, 8192] } },
            kv_cache: { block_size: 64, capacity: { type: "fixed", blocks: 0 } },
          },
        },
      },
    },
    /kv_cache\.capacity\.blocks: must be > 0/,
  );
  await expectError(
    {
      ...GUIDE,
      engine: { ...engine, workers: { aggregated: { parallelism: { preset: "default", tensor: 2 } } } },
    },
    /parallelism: cannot combine preset with independent knobs \[tensor\]/,
  );
  await expectError(
    { ...GUIDE, router: { policy: "kv_router" } },
    /router: a router or planner section needs --stack dynamo/,
  );
  await expectError(
    { ...GUIDE, engine: { ...engine, mode: undefined }, optimizer: { max_trials: 1 } },
    /recommendation\.yaml: optimizer\.max_trials: must be at least the number of active deployment branches \(2\), got 1/,
  );
  // Refused before --overwrite clears the previous outputs.
  await Deno.mkdir(out);
  await Deno.writeTextFile(`${out}/recommendation.json`, "{}");
  const trials = await writeConfig(tmp.path, {
    ...GUIDE,
    engine: { ...engine, mode: undefined },
    optimizer: { max_trials: 1 },
  });
  const kept = await run(["recommend", "-c", trials, "--output-dir", out, "--overwrite"]);
  assert.equal(kept.code, 2, kept.err);
  assert.equal(await Deno.readTextFile(`${out}/recommendation.json`), "{}");
  await Deno.remove(out, { recursive: true });
  await expectError(
    { ...GUIDE, optimization: { target: "goodput" } },
    /optimization target 'goodput' requires an evaluation\.sla bound/,
  );
  const kvFraction = (source: unknown, load: unknown) => ({
    ...GUIDE,
    traffic: { source, load: { type: "kv_capacity_fraction", ...load as object }, stop: { requests: 8 } },
  });
  const synthetic = { type: "synthetic" };
  await expectError(
    kvFraction(synthetic, {}),
    /traffic\.load\.fraction: required by kv_capacity_fraction/,
  );
  await expectError(
    kvFraction(synthetic, { fraction: 0.5, concurrency: 4 }),
    /traffic\.load\.concurrency: traffic\.load\.type 'kv_capacity_fraction' does not accept it/,
  );
  await expectError(
    kvFraction({ type: "synthetic-session", session: {} }, { fraction: 0.5 }),
    /traffic\.source\.type: kv_capacity_fraction sizes the load on a synthetic source's/,
  );
  await expectError(
    kvFraction(synthetic, { fraction: { range: { min: 0, max: 1, scale: "log" } } }),
    /traffic\.load\.fraction\.range: .*min > 0/,
  );
  await expectError({ ...GUIDE, optimizer: { algorithm: "grid" } }, /optimizer\.algorithm: /);
  await expectError(GUIDE, /--capture-per-request/, ["--capture-per-request"]);
});

Deno.test("aisimulate recommend: an enabled planner's GPU budget is held to the candidates' budget", async () => {
  await using tmp = await tempDir();
  const config = await writeConfig(tmp.path, {
    traffic: {
      source: { type: "synthetic", input_tokens: 1024, output_tokens: 64 },
      load: { type: "poisson", requests_per_second: 40 },
      stop: { requests: 400 },
    },
    engine: {
      mode: "aggregated",
      model: "Qwen/Qwen3-8B",
      hardware: "h200_sxm",
      workers: { aggregated: { parallelism: { replicas: 1 }, timing: FIXED } },
    },
    planner: {
      policy: "enabled",
      target: "load",
      enable_throughput_scaling: false,
      enable_load_scaling: true,
    },
    optimization: { target: "throughput_per_gpu", constraints: { max_candidate_gpus: 2 } },
    optimizer: { algorithm: "random", max_trials: 1, parallelism: 1 },
  });
  const out = `${tmp.path}/out`;
  const res = await run(["recommend", "--stack", "dynamo", "-c", config, "--output-dir", out]);
  assert.equal(res.code, 0, res.err);
  const candidate = parse(await Deno.readTextFile(`${out}/recommendations/0001.yaml`));
  assert.equal(candidate.planner.max_num_gpus, 2); // the planner's default is 8
  const [row] = JSON.parse(await Deno.readTextFile(`${out}/recommendation.json`)).candidates as Row[];
  assert.ok(row.metrics.gpu_hours / (row.metrics.duration_ms / 3_600_000) <= 2 + 1e-9);
});

Deno.test("recommend: a role with a fixed layout takes its GPUs out of the default search of the other", () => {
  const [disagg] = searchSpace({
    engine: {
      mode: "disaggregated",
      model: "Qwen/Qwen3-32B",
      hardware: "h200_sxm",
      workers: { prefill: { parallelism: { replicas: 1, tensor: 4 } } },
    },
    traffic: { source: { type: "synthetic" }, load: { concurrency: 8 } },
  }, OptimizationSchema.parse({ constraints: { max_candidate_gpus: 6, min_candidate_gpus: 5 } }));
  const ladder = disagg.dims.find((d) => d.name === "engine.workers.decode.parallelism")!;
  assert(ladder.kind === "choice");
  const decode = ladder.patches.map(([[, p]]) => p as { replicas: number; tensor: number });
  // With the prefill's 4 GPUs, decode may take 1 or 2: 5 or 6 in all.
  assert.deepEqual(decode.map((p) => `${p.replicas}×${p.tensor}`), ["1×1", "2×1", "1×2"]);
});

Deno.test("aisimulate recommend: TRT-LLM, which runs aggregated only, searches the aggregated mode alone", async () => {
  await using tmp = await tempDir();
  const doc = {
    traffic: {
      source: { type: "synthetic", input_tokens: 256, output_tokens: 16 },
      load: { type: "concurrency", concurrency: 2 },
      stop: { requests: 4 },
    },
    engine: {
      model: "meta-llama/Llama-3.1-8B-Instruct",
      hardware: "h100_sxm",
      backend: "trtllm",
      workers: { aggregated: { timing: FIXED }, prefill: { timing: FIXED }, decode: { timing: FIXED } },
    },
    optimization: { target: "throughput", constraints: { max_candidate_gpus: 4 } },
    optimizer: { algorithm: "random", max_trials: 6, parallelism: 2, seed: 3 },
  };
  const res = await run([
    "recommend",
    "-c",
    await writeConfig(tmp.path, doc),
    "--output-dir",
    `${tmp.path}/o`,
  ]);
  assert.equal(res.code, 0, res.err);
  const rows = JSON.parse(await Deno.readTextFile(`${tmp.path}/o/recommendation.json`)).candidates as Row[];
  assert.ok(
    rows.length > 0 && rows.every((r) => r.config.deployment_mode === "agg" && r.status === "feasible"),
  );
  // Asked for explicitly, the disaggregated mode is refused by name.
  const disagg = await writeConfig(tmp.path, { ...doc, engine: { ...doc.engine, mode: "disaggregated" } });
  const refused = await run(["recommend", "-c", disagg, "--output-dir", `${tmp.path}/d`]);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /engine\.backend: trtllm runs in aggregated mode only/);
});
