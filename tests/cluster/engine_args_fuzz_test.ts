/**
 * Property test of engine args: random combinations of keys, each from a pool of valid and invalid values
 * (perf-model setups over the catalog's GPUs, models, parallelisms and formats, MTP drafts, capacities,
 * scheduler limits, timing models), in aggregated and disaggregated topologies. A spec either runs, every
 * request accounted for and every figure finite, or fails with an {@link InputError} naming a field; nothing
 * else may escape.
 */
import assert from "node:assert/strict";
import { Rng } from "../../lib/common/rng.ts";
import { runsOrRefuses } from "../_fixtures.ts";

/** Values each key draws from: sound ones and wrong ones (types, ranges, unknown names). */
const POOL: Readonly<Record<string, readonly unknown[]>> = {
  engine_type: ["vllm", "vllm", "trtllm", "sglang", "bogus"],
  block_size: [16, 64, 64, 1, 0, 1.5],
  num_gpu_blocks: [2, 40, 4000, null, -3],
  max_num_seqs: [1, 8, 256, 0],
  max_num_batched_tokens: [16, 512, 8192, 0],
  enable_chunked_prefill: [true, false],
  enable_prefix_caching: [true, false],
  max_model_len: [100, 4096, 200_000],
  speedup_ratio: [1, 4, 0.5, 0],
  decode_speedup_ratio: [1, 2],
  dp_size: [1, 2],
  async_scheduling: [true, false],
  cudagraph_mode: ["FULL_AND_PIECEWISE", "FULL_DECODE_ONLY", "NONE", "bogus"],
  moe_backend: ["auto", "triton", "deep_gemm"],
  aic_backend: ["vllm", "vllm", "sglang", "trtllm", "bogus"],
  aic_system: ["h100_sxm", "h200_sxm", "b200_sxm", "gb200", "a100_sxm", "l40s", "bogus"],
  aic_model_path: [
    "Qwen/Qwen3-8B",
    "Qwen/Qwen3-30B-A3B",
    "nvidia/Llama-3.1-8B-Instruct-FP8",
    "deepseek-ai/DeepSeek-V3",
    "openai/gpt-oss-20b",
    "bogus/model",
  ],
  aic_tp_size: [1, 2, 3, 4, 8],
  aic_moe_tp_size: [1, 2, 4],
  aic_moe_ep_size: [1, 2, 8],
  aic_attention_dp_size: [1, 2, 4],
  aic_gemm_dtype: ["auto", "fp8", "fp8_block", "bfloat16", "nvfp4", "bogus"],
  aic_kv_cache_dtype: ["fp8", "bfloat16", "bogus"],
  aic_nextn: [1, 2, 3],
  aic_nextn_accept_rates: ["0.8,0.6,0.4", [0.9], [1.5], "x"],
  gpu_memory_utilization: [0.5, 0.9, 1.2],
  kv_bytes_per_token: [1024, 131072],
  num_g2_blocks: [0, 16, 1000, -1],
  bandwidth_g1_to_g2_gbps: [0, 14, -1],
  bandwidth_g2_to_g1_gbps: [0, 0.01, 14],
  num_g3_blocks: [0, 100, -1],
  enable_g4_storage: [true, false],
  bandwidth_g3_to_g2_gbps: [0, 7],
  framework_overhead: [true, false],
  sampling: ["greedy", "random", "top_k_top_p"],
  frontend_latency: [true, false],
  timing_model: [{ type: "fixed", prefill_ms: 2, decode_ms: 1 }, "polynomial"],
  sglang: [
    { schedule_policy: "lpm", chunked_prefill_size: 64 },
    { page_size: 16, max_prefill_tokens: 512 },
    { schedule_policy: "bogus" },
    { chunked_prefill_size: 100, clip_max_new_tokens: 8 },
  ],
};
const KEYS = Object.keys(POOL);

/** Engine args: a model-priced setup half the time, and a few random keys. */
function randomArgs(rng: Rng): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  if (rng.next() < 0.6) {
    args.aic_model_path = POOL.aic_model_path[rng.int(5)];
    args.aic_system = POOL.aic_system[rng.int(6)];
  }
  for (let k = 1 + rng.int(6); k > 0; k--) {
    const key = KEYS[rng.int(KEYS.length)];
    args[key] = POOL[key][rng.int(POOL[key].length)];
  }
  return args;
}

Deno.test("property: random engine args run with every request accounted for, or fail with an input error", async () => {
  const rng = new Rng(808);
  let ran = 0;
  const trials = 150;
  for (let trial = 0; trial < trials; trial++) {
    const disagg = rng.next() < 0.35;
    const spec = {
      workload: {
        source: "synthetic",
        input_tokens: 50 + rng.int(3000),
        output_tokens: 1 + rng.int(40),
        request_count: 2 + rng.int(10),
      },
      replay_concurrency: 1 + rng.int(6),
      topology: disagg
        ? {
          mode: "disagg",
          num_prefill_workers: 1 + rng.int(2),
          num_decode_workers: 1 + rng.int(2),
          prefill_engine: randomArgs(rng),
          decode_engine: randomArgs(rng),
        }
        : { mode: "agg", num_workers: 1 + rng.int(3), engine: randomArgs(rng) },
    };
    if (await runsOrRefuses(spec, `trial ${trial}: ${JSON.stringify(spec)}`)) ran++;
  }
  assert.ok(ran >= trials / 5, `only ${ran} of ${trials} ran`);
});
