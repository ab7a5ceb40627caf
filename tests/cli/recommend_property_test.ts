/**
 * Property test of `aisimulate recommend`: random valid configs (modes, domains, loads, budgets, targets,
 * optimizers) never fail with a bad-input or internal error, and their ledgers are consistent: counts add up,
 * no row has a non-finite figure, feasible rows are scored inside the budget, the rest say why, what is
 * selected is feasible and ranked, one YAML per selection, and a repeat gives the same ledger.
 */
import assert from "node:assert/strict";
import { aisimulate } from "../../lib/cli/aisimulate.ts";
import { Rng } from "../../lib/common/rng.ts";
import { canonicalJson } from "../../lib/dsl/mod.ts";
import { capture, preset, writeYaml } from "./_cli.ts";
import { tempDir } from "../_temp.ts";

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];
const maybe = <T>(rng: Rng, p: number, value: () => T): T | undefined => rng.next() < p ? value() : undefined;

/** A worker role with fixed pass times, some of its knobs searched, some left to the defaults. */
function randomRole(rng: Rng): Record<string, unknown> {
  const parallelism = pick(rng, [
    undefined,
    { tensor: { choices: [1, 2] } },
    { replicas: { choices: [1, 2, 3] } },
    { preset: [preset(1), preset(2)] },
  ]);
  const blocks = pick(rng, [undefined, 40, 400, { choices: [3, 200] }]);
  return {
    ...(parallelism ? { parallelism } : {}),
    scheduler: {
      max_batched_tokens: pick(rng, [256, 2048, { choices: [256, 4096] }]),
      max_sequences: pick(rng, [4, 32, { choices: [2, 16] }]),
    },
    ...(blocks === undefined ? {} : { kv_cache: { block_size: 16, capacity: { type: "fixed", blocks } } }),
    timing: { type: "fixed", prefill_ms: pick(rng, [1, 5]), decode_ms: pick(rng, [0.5, 2]) },
  };
}

/** A valid recommend config: the optimization target consistent with the SLA and the load. */
function randomConfig(rng: Rng): Record<string, unknown> {
  const mode = pick(rng, ["aggregated", "disaggregated", undefined]);
  const roles = mode === "aggregated"
    ? ["aggregated"]
    : mode === "disaggregated"
    ? ["prefill", "decode"]
    : ["aggregated", "prefill", "decode"];
  const load = pick(rng, [
    { type: "concurrency", concurrency: pick(rng, [2, 6, { choices: [1, 4, 8] }]) },
    { type: "poisson", requests_per_second: pick(rng, [20, { range: { min: 5, max: 50, scale: "log" } }]) },
    {
      type: "kv_capacity_fraction",
      fraction: pick(rng, [0.5, { range: { min: 0.1, max: 1.5, scale: "log" } }]),
    },
  ]);
  const sla = maybe(rng, 0.6, () => ({
    ...(rng.next() < 0.7 ? { ttft_ms: pick(rng, [5, 50, 500]) } : {}),
    itl_ms: pick(rng, [1, 3, 30]),
  }));
  const fixedConcurrency = load.type === "concurrency" && typeof load.concurrency === "number";
  const targets = [
    "throughput",
    "throughput_per_gpu",
    "throughput_per_user",
    "ttft",
    "e2e_latency",
    "pareto",
    ...(sla ? ["goodput", "goodput_per_gpu"] : []),
    ...(sla && fixedConcurrency ? ["min_gpus"] : []),
  ];
  return {
    traffic: {
      source: { type: "synthetic", input_tokens: 32 + rng.int(400), output_tokens: 2 + rng.int(30) },
      load,
      stop: rng.next() < 0.5 ? { requests: 4 + rng.int(20) } : { requests_per_load_unit: pick(rng, [1, 2]) },
    },
    engine: {
      ...(mode ? { mode } : {}),
      model: "Qwen/Qwen3-8B",
      hardware: "h100_sxm",
      workers: Object.fromEntries(roles.map((r) => [r, randomRole(rng)])),
    },
    ...(sla ? { evaluation: { sla } } : {}),
    optimization: {
      target: pick(rng, targets),
      strict_sla: sla !== undefined && rng.next() < 0.5,
      // (Disaggregated alone needs two GPUs: a budget of one leaves its default layouts nothing to search.)
      constraints: { max_candidate_gpus: pick(rng, mode === "disaggregated" ? [2, 4, 8] : [1, 2, 4, 8]) },
    },
    optimizer: {
      algorithm: pick(rng, ["random", "bayesian"]),
      max_trials: (mode ? 1 : 2) + rng.int(10),
      parallelism: 1 + rng.int(3),
      seed: rng.int(1000),
    },
  };
}

interface Row {
  candidate_id: string;
  status: string;
  reason: string | null;
  reason_category: string | null;
  score: number | null;
  used_gpus: number;
  metrics: Record<string, number>;
  prediction_config: unknown;
}

Deno.test("property: recommend on random configs exits 0 or 1 with a consistent ledger", async () => {
  const rng = new Rng(4242);
  for (let trial = 0; trial < 12; trial++) {
    const config = randomConfig(rng);
    const context = `trial ${trial}: ${JSON.stringify(config)}`;
    await using tmp = await tempDir();
    const path = await writeYaml(tmp.path, "r.yaml", config);
    const out = `${tmp.path}/out`;
    const res = await capture(aisimulate, ["recommend", "-c", path, "--output-dir", out]);
    assert.ok(res.code === 0 || res.code === 1, `${context}\n${res.err}`);
    const text = await Deno.readTextFile(`${out}/recommendation.json`);
    const result = JSON.parse(text);
    const rows = result.candidates as Row[];
    const { counts } = result;

    // Counts add up; no trial is lost.
    const n = (status: string) => rows.filter((r) => r.status === status).length;
    for (const status of ["feasible", "infeasible", "unsupported", "timed_out", "failed"]) {
      assert.equal(counts[status], n(status), `${context}: ${status}`);
    }
    assert.equal(counts.evaluated, rows.length - counts.unsupported, context);
    const optimizer = config.optimizer as { max_trials: number };
    assert.ok(rows.length + counts.cache_hits <= optimizer.max_trials, context);
    assert.deepEqual(
      rows.map((r) => r.candidate_id),
      rows.map((_, i) => `candidate-${String(i + 1).padStart(6, "0")}`),
      context,
    );

    // Every figure finite; feasible rows scored within the budget, the others saying why.
    const o = config.optimization as {
      target: string;
      strict_sla: boolean;
      constraints: { max_candidate_gpus: number };
    };
    const budget = o.constraints.max_candidate_gpus;
    const needsSamples = o.strict_sla || ["ttft", "e2e_latency", "min_gpus"].includes(o.target);
    for (const r of rows) {
      for (const [k, v] of Object.entries(r.metrics)) assert.ok(Number.isFinite(v), `${context}: ${k}=${v}`);
      if (r.status === "feasible") {
        assert.ok(Number.isFinite(r.score), context);
        assert.ok(r.used_gpus <= budget, context);
        // (As AISimulate's sweeper: a run that completed nothing is feasible, scored 0, unless the target or
        // the strict SLA needs latency samples.)
        if (needsSamples) assert.ok(r.metrics.completed_requests > 0, context);
      } else {
        assert.equal(r.score, null, context);
        assert.ok(r.reason && r.reason_category, `${context}: ${JSON.stringify(r)}`);
      }
    }

    // What is selected is feasible, ranked, and written as YAML; exit 1 exactly when nothing is.
    const target = o.target;
    const selected: string[] = target === "pareto" ? result.views.pareto_front : result.views.top_n;
    const byId = new Map(rows.map((r) => [r.candidate_id, r]));
    assert.ok(selected.every((id) => byId.get(id)?.status === "feasible"), context);
    const configs = selected.map((id) => canonical(byId.get(id)!.prediction_config));
    assert.equal(new Set(configs).size, configs.length, `${context}: a config selected twice`);
    if (target !== "pareto" && target !== "min_gpus") {
      const scores = selected.map((id) => byId.get(id)!.score!);
      assert.deepEqual(scores, [...scores].sort((a, b) => b - a), `${context}: best first`);
      // Every feasible config, once (candidates that came out as one config are one recommendation).
      const feasible = rows.filter((r) => r.status === "feasible").map((r) => canonical(r.prediction_config));
      assert.equal(selected.length, new Set(feasible).size, context);
    }
    assert.equal(res.code, selected.length > 0 ? 0 : 1, context);
    const yamls = selected.length > 0 ? [...Deno.readDirSync(`${out}/recommendations`)] : [];
    assert.equal(yamls.length, selected.length, context);

    if (trial % 4 === 0) {
      const again = await capture(aisimulate, ["recommend", "-c", path, "--output-dir", out, "--overwrite"]);
      assert.equal(again.code, res.code, context);
      const strip = (t: string) => t.replace(/"(created_at|run_id)": "[^"]*"/g, "");
      assert.equal(strip(await Deno.readTextFile(`${out}/recommendation.json`)), strip(text), context);
    }
  }
});

const canonical = (v: unknown) => canonicalJson(v);
