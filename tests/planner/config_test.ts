import assert from "node:assert/strict";
import { effectivePlanner, parsePlannerConfig, PLANNER_ALIASES } from "../../lib/planner/mod.ts";
import { createPredictor } from "../../lib/planner/mod.ts";
import { fixedTiming, run, workloadOf } from "../_fixtures.ts";

Deno.test("planner config: the reference's defaults", () => {
  const c = parsePlannerConfig({});
  assert.equal(c.mode, "disagg");
  assert.equal(c.optimization_target, "throughput");
  assert.equal(c.ttft_ms, 500);
  assert.equal(c.itl_ms, 50);
  assert.equal(c.enable_throughput_scaling, true);
  assert.equal(c.enable_load_scaling, false);
  assert.equal(c.throughput_adjustment_interval_seconds, 180);
  assert.equal(c.load_adjustment_interval_seconds, 5);
  assert.equal(c.max_gpu_budget, 8);
  assert.equal(c.min_endpoint, 1);
  assert.equal(c.prefill_engine_num_gpu, null);
  assert.equal(c.pre_deployment_sweeping_mode, "rapid");
  assert.equal(c.load_predictor, "arima");
  assert.deepEqual([c.kalman_q_level, c.kalman_q_trend, c.kalman_r, c.kalman_min_points], [1, 0.1, 10, 5]);
  assert.deepEqual([c.max_num_fpm_samples, c.fpm_sample_bucket_size, c.load_scaling_down_sensitivity], [
    64,
    16,
    80,
  ]);
  assert.equal(c.load_min_observations, 5);
  assert.equal(c.report_output_dir, "./planner_reports");
  assert.equal(c.demand_counting, "completion");
});

Deno.test("planner config: every alias maps to its field", () => {
  for (const [alias, name] of Object.entries(PLANNER_ALIASES)) {
    const value = name.endsWith("kv_rate") ? 90 : 77;
    const input: Record<string, unknown> = { [alias]: value };
    if (name.endsWith("kv_rate")) {
      Object.assign(input, { optimization_target: "load", mode: "agg", decode_scale_down_kv_rate: 10 });
    }
    const c = parsePlannerConfig(input) as Record<string, unknown>;
    assert.equal(c[name], value, alias);
  }
});

Deno.test("planner config: unknown key names the field and lists the valid keys", () => {
  assert.throws(() => parsePlannerConfig({ ttft_msec: 1 }), (e: Error) => {
    assert.match(e.message, /--planner-config: unknown key "ttft_msec" \(did you mean ttft_ms\?\)/);
    assert.match(e.message, /valid keys: .*load_adjustment_interval_seconds.*ttft_ms/);
    return true;
  });
});

Deno.test("planner config: alias and canonical name together is an error", () => {
  assert.throws(() => parsePlannerConfig({ ttft: 1, ttft_ms: 2 }), /ttft: give either ttft or ttft_ms/);
});

Deno.test("planner config: validation rules", () => {
  assert.throws(
    () => parsePlannerConfig({ fpm_sample_bucket_size: 10 }),
    /fpm_sample_bucket_size: must be a perfect square/,
  );
  assert.throws(
    () =>
      parsePlannerConfig({
        optimization_target: "sla",
        enable_load_scaling: true,
        load_adjustment_interval: 300,
        throughput_adjustment_interval: 300,
      }),
    /load_adjustment_interval_seconds: \(300 s\) must be shorter/,
  );
  assert.throws(
    () => parsePlannerConfig({ optimization_target: "load", mode: "agg" }),
    /decode_scale_up_kv_rate: optimization_target 'load' needs/,
  );
  assert.throws(
    () =>
      parsePlannerConfig({
        optimization_target: "load",
        mode: "agg",
        decode_scale_up_kv_rate: 10,
        decode_scale_down_kv_rate: 20,
      }),
    /must be greater than decode_scale_down_kv_rate/,
  );
  assert.throws(
    () => parsePlannerConfig({ optimization_target: "sla", pre_deployment_sweeping_mode: "none" }),
    /pre_deployment_sweeping_mode: cannot be 'none'/,
  );
  assert.throws(
    () => parsePlannerConfig({ mode: "both" }),
    /mode: invalid value; expected one of: "agg", "disagg", "prefill", "decode"/,
  );
  // Intervals that would tick, or write reports, billions of times over a trace (found by fuzzing: a hang).
  assert.throws(
    () => parsePlannerConfig({ load_adjustment_interval: 1e-9 }),
    /load_adjustment_interval_seconds/,
  );
  assert.throws(() => parsePlannerConfig({ throughput_adjustment_interval_seconds: 0.01 }), /must be [≥>]/);
  assert.throws(
    () => parsePlannerConfig({ report_interval_hours: 1e-6 }),
    /report_interval_hours: must be ≥ 0.01/,
  );
  assert.equal(
    parsePlannerConfig({ load_adjustment_interval_seconds: 0.1 }).load_adjustment_interval_seconds,
    0.1,
  );
});

Deno.test("planner config: targets other than sla force load scaling on and throughput off, and say so", () => {
  const easy = effectivePlanner(parsePlannerConfig({ mode: "agg", optimization_target: "latency" }));
  assert.equal(easy.easyMode, true);
  assert.equal(easy.throughputScaling, false);
  assert.equal(easy.loadScaling, true);
  assert.match(easy.summary, /target latency \(static thresholds\): throughput scaling off, load scaling on/);
  assert.equal(easy.notes.length, 1);
  const sla = effectivePlanner(
    parsePlannerConfig({ mode: "agg", optimization_target: "sla", enable_load_scaling: true }),
  );
  assert.deepEqual([sla.easyMode, sla.throughputScaling, sla.loadScaling, sla.notes.length], [
    false,
    true,
    true,
    0,
  ]);
  assert.match(sla.summary, /target sla \(TTFT 500 ms, ITL 50 ms\)/);
  // SLA targets given to a static-threshold planner are named as ignored.
  const ignored = effectivePlanner(
    parsePlannerConfig({
      mode: "agg",
      ttft_ms: 1500,
      enable_throughput_scaling: false,
      enable_load_scaling: true,
    }),
  );
  assert.deepEqual(ignored.notes, [
    'ttft_ms ignored: optimization_target "throughput" scales on static load thresholds, not SLA targets ' +
    '(set optimization_target "sla")',
  ]);
  // So is a load predictor, which only throughput scaling (target sla) uses.
  const prophet = effectivePlanner(parsePlannerConfig({ mode: "agg", load_predictor: "prophet" }));
  assert.deepEqual(prophet.notes.slice(1), [
    'load_predictor "prophet" has no effect: optimization_target "throughput" does not predict the load ' +
    '(set optimization_target "sla")',
  ]);
});

Deno.test("planner config: load_min_observations above max_num_fpm_samples, which no regression can reach, is warned of", () => {
  const notes = (c: Record<string, unknown>) =>
    effectivePlanner(parsePlannerConfig({ optimization_target: "sla", ...c })).notes;
  const [note, ...rest] = notes({ load_min_observations: 100 });
  assert.equal(rest.length, 0);
  assert.match(note, /^load_min_observations 100 exceeds max_num_fpm_samples 64: .*never fit/);
  assert.deepEqual(notes({ load_min_observations: 64 }), []);
  assert.equal(notes({ load_min_observations: 8, max_num_fpm_samples: 4 }).length, 1);
  // Static thresholds read no regression.
  const easy = { mode: "agg", enable_throughput_scaling: false, enable_load_scaling: true };
  assert.deepEqual(effectivePlanner(parsePlannerConfig({ ...easy, load_min_observations: 100 })).notes, []);
});

Deno.test("planner config: prophet is rejected with the alternatives", () => {
  const c = parsePlannerConfig({ optimization_target: "sla", load_predictor: "prophet" });
  assert.throws(() => createPredictor(c), /load_predictor: .*use "arima", "kalman" or "constant"/);
});

Deno.test("planner config: the reference's live-deployment keys are accepted, with a note that they do nothing", () => {
  // Keys of a real deployment's planner config (the reference's PlannerConfig, late 2026).
  const c = parsePlannerConfig({
    mode: "disagg",
    namespace: "dynamo",
    profile_results_dir: "/data/profiling_results",
    metric_pulling_prometheus_endpoint: "http://prometheus:9090",
    metric_pulling_prometheus_extra_query_params: { namespace: "ns" },
    metric_reporting_prometheus_port: 9085,
    control_api_port: 0,
    aic_perf_model: { hf_id: "Qwen/Qwen3-32B", system: "h200_sxm", backend: "vllm" },
    scheduling: { scale_interval_seconds: 5, external_plugins: [{ plugin_id: "p" }] },
  });
  const note = effectivePlanner(c).notes.find((n) => n.includes("live-deployment"));
  assert.ok(note, effectivePlanner(c).notes.join("\n"));
  for (const key of ["namespace", "profile_results_dir", "aic_perf_model", "scheduling.external_plugins"]) {
    assert.ok(note.includes(key), `${key} in ${note}`);
  }
  assert.equal(
    effectivePlanner(parsePlannerConfig({})).notes.some((n) => n.includes("live-deployment")),
    false,
  );
  // The reference's cadence rule: the pipeline's interval divides the loops' intervals.
  assert.throws(
    () => parsePlannerConfig({ mode: "agg", scheduling: { scale_interval_seconds: 3 } }),
    /scheduling\.scale_interval_seconds.*evenly divide load_adjustment_interval_seconds \(5 s\)/,
  );
  assert.throws(
    () =>
      parsePlannerConfig({
        mode: "agg",
        optimization_target: "sla",
        scheduling: { scale_interval_seconds: 5 },
        throughput_adjustment_interval_seconds: 182,
      }),
    /and throughput_adjustment_interval_seconds/,
  );
  assert.throws(
    () => parsePlannerConfig({ scheduling: { scale_interval: 5 } }),
    /scheduling.*scale_interval/,
  );
});

Deno.test("a planner run with one pool's GPU count unset warns about that pool only, with its engine's GPUs", () => {
  const { report } = run(workloadOf([{ input: 64, output: 2 }]), {
    topology: {
      mode: "disagg",
      num_prefill_workers: 1,
      num_decode_workers: 1,
      prefill_engine: fixedTiming(10, 5),
      decode_engine: { ...fixedTiming(10, 5), aic_tp_size: 2 },
    },
    planner: { mode: "disagg", prefill_engine_num_gpu: 3 },
  });
  const warnings = (report.dynolab as { warnings: string[] }).warnings.join("\n");
  assert.match(warnings, /^decode_engine_num_gpu unset in the planner config: .*\(TP × DP = 2\)/m);
  assert.doesNotMatch(warnings, /prefill_engine_num_gpu/);
});
