/**
 * Property test of planner configs: random keys, each from a pool of valid and invalid values (targets,
 * scalings, intervals, budgets, minimum fleets, predictors and their knobs, FPM sampling, load thresholds,
 * reports), on aggregated and disaggregated topologies. A spec either runs, every request accounted for and
 * every figure finite, or fails with an {@link InputError} naming a field; nothing else may escape.
 */
import assert from "node:assert/strict";
import { Rng } from "../../lib/common/rng.ts";
import { runsOrRefuses } from "../_fixtures.ts";
import { tempDir } from "../_temp.ts";

const POOL: Readonly<Record<string, readonly unknown[]>> = {
  optimization_target: ["throughput", "latency", "load", "sla", "bogus"],
  ttft_ms: [50, 500, 0],
  itl_ms: [5, 50],
  enable_throughput_scaling: [true, false],
  enable_load_scaling: [true, false],
  throughput_adjustment_interval_seconds: [1, 5, 30, 0.01],
  load_adjustment_interval_seconds: [0.5, 2, 10],
  max_throughput_scaling_replicas: [1, 4],
  max_gpu_budget: [-1, 1, 2, 8, -2],
  min_gpu_budget: [-1, 1, 4],
  min_endpoint: [1, 2, 0],
  prefill_min_endpoint: [1, 2, null],
  decode_min_endpoint: [1, 3, null],
  prefill_engine_num_gpu: [1, 2, null],
  decode_engine_num_gpu: [1, 4, null],
  pre_deployment_sweeping_mode: ["none", "rapid", "thorough", null],
  load_predictor: ["constant", "arima", "kalman", "prophet"],
  load_predictor_log1p: [true, false],
  prophet_window_size: [5, 50],
  kalman_q_level: [0.1, 1],
  kalman_min_points: [1, 5],
  max_num_fpm_samples: [4, 64],
  fpm_sample_bucket_size: [4, 16, 10],
  load_scaling_down_sensitivity: [0, 50, 100, 120],
  load_metric_samples: [1, 10],
  load_min_observations: [1, 5],
  prefill_scale_up_queue_tokens: [2000, 100, null],
  prefill_scale_down_queue_tokens: [200, 500],
  decode_scale_up_kv_rate: [80, 10],
  decode_scale_down_kv_rate: [20, 50],
  speculative_nextn: [0, 2],
  throughput_metrics_source: ["frontend", "router"],
  report_interval_hours: [0.01, 24, null],
  demand_counting: ["completion", "arrival"],
  bogus_key: [1],
};
const KEYS = Object.keys(POOL);

Deno.test("property: random planner configs run with every request accounted for, or fail with an input error", async () => {
  const rng = new Rng(909);
  await using tmp = await tempDir();
  let ran = 0;
  const trials = 80;
  for (let trial = 0; trial < trials; trial++) {
    const disagg = rng.next() < 0.4;
    const planner: Record<string, unknown> = {
      mode: disagg ? "disagg" : "agg",
      report_output_dir: `${tmp.path}/reports`,
      report_write_gzip_log: false,
    };
    for (let k = 1 + rng.int(6); k > 0; k--) {
      const key = KEYS[rng.int(KEYS.length)];
      planner[key] = POOL[key][rng.int(POOL[key].length)];
    }
    const engine = { timing_model: { type: "fixed", prefill_ms: 20, decode_ms: 5 }, num_gpu_blocks: 400 };
    const spec = {
      workload: {
        source: "synthetic",
        input_tokens: 200 + rng.int(2000),
        output_tokens: 5 + rng.int(60),
        request_count: 10 + rng.int(40),
        request_rate: 0.5 + rng.int(4),
      },
      topology: disagg
        ? {
          mode: "disagg",
          num_prefill_workers: 1,
          num_decode_workers: 1,
          prefill_engine: engine,
          decode_engine: engine,
        }
        : { mode: "agg", num_workers: 1 + rng.int(2), engine },
      planner,
    };
    if (await runsOrRefuses(spec, `trial ${trial}: ${JSON.stringify(planner)}`)) ran++;
  }
  assert.ok(ran >= trials / 5, `only ${ran} of ${trials} ran`);
});
