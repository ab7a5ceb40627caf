import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { type SetupArgs, wantsModelTiming } from "../../lib/perf/args.ts";
import { modelFromHfConfig } from "../../lib/perf/catalog/hf_config.ts";
import { LLAMA_8B_CONFIG } from "../_fixtures.ts";
import { resolvePerfSetup } from "../../lib/perf/setup.ts";

const fails = (args: SetupArgs, field: string, ...patterns: RegExp[]) =>
  assert.throws(() => resolvePerfSetup(args, {}, "engine args"), (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    assert.ok(e.message.startsWith(`engine args.${field}: `), e.message);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });

const LLAMA = "meta-llama/Llama-3.1-8B-Instruct";

Deno.test("no aic_* args: no setup; defaults: h200_sxm, vllm, its newest version, TP 1", () => {
  assert.equal(resolvePerfSetup({}), undefined);
  assert.equal(wantsModelTiming({ engine_type: "vllm" }), false);
  const s = resolvePerfSetup({ aic_model_path: LLAMA })!;
  assert.equal(s.gpu.id, "h200_sxm");
  assert.equal(s.backend, "vllm");
  assert.equal(s.version, "0.24.0");
  assert.deepEqual(s.par, { tp: 1, attnDp: 1, moeTp: 1, moeEp: 1 });
  assert.equal(s.dtypes.kv, "bfloat16");
  assert.equal(resolvePerfSetup({ aic_model_path: LLAMA, engine_type: "trtllm" })!.backend, "trtllm");
});

Deno.test("vLLM and TRT-LLM follow the checkpoint's FP8 KV, SGLang keeps BF16; an explicit format wins", () => {
  const id = "nvidia/Llama-3.1-8B-Instruct-FP8";
  assert.equal(resolvePerfSetup({ aic_model_path: id, aic_backend: "trtllm" })!.dtypes.kv, "fp8");
  assert.equal(resolvePerfSetup({ aic_model_path: id })!.dtypes.kv, "fp8");
  assert.equal(resolvePerfSetup({ aic_model_path: id, aic_backend: "sglang" })!.dtypes.kv, "bfloat16");
  assert.equal(
    resolvePerfSetup({ aic_model_path: id, aic_kv_cache_dtype: "bfloat16" })!.dtypes.kv,
    "bfloat16",
  );
  // A checkpoint without calibrated KV scales keeps BF16 everywhere.
  assert.equal(resolvePerfSetup({ aic_model_path: "Qwen/Qwen3-32B-FP8" })!.dtypes.kv, "bfloat16");
  assert.equal(resolvePerfSetup({ aic_model_path: LLAMA, aic_gemm_dtype: "fp8" })!.dtypes.linear, "fp8");
});

Deno.test('"auto" formats are the checkpoint\'s, as leaving them unset (the reference\'s "model default")', () => {
  const id = "nvidia/Llama-3.1-8B-Instruct-FP8";
  const auto = resolvePerfSetup({
    aic_model_path: id,
    aic_gemm_dtype: "auto",
    aic_moe_dtype: "AUTO",
    aic_kv_cache_dtype: "auto",
    aic_fmha_dtype: "auto",
    aic_comm_dtype: "auto",
  })!;
  assert.deepEqual(auto.dtypes, resolvePerfSetup({ aic_model_path: id })!.dtypes);
  assert.equal(auto.dtypes.linear, "fp8");
  assert.equal(auto.dtypes.kv, "fp8");
});

Deno.test("unknown GPU, backend, version, model and formats are errors listing valid choices", () => {
  fails(
    { aic_model_path: LLAMA, aic_system: "h201_sxm" },
    "aic_system",
    /unknown GPU "h201_sxm"/,
    /h200_sxm/,
    /l40s/,
  );
  fails({ aic_model_path: LLAMA, aic_system: "constructor" }, "aic_system", /unknown GPU "constructor"/);
  fails(
    { aic_model_path: LLAMA, aic_backend: "vlm" },
    "aic_backend",
    /unknown backend "vlm"/,
    /did you mean vllm/,
  );
  fails(
    { aic_model_path: LLAMA, aic_backend_version: "0.99.0" },
    "aic_backend_version",
    /unknown vllm version "0.99.0"/,
    /0\.24\.0/,
  );
  fails({ aic_model_path: "acme/NotAModel-7B" }, "aic_model_path", /unknown model/, /config\.json/);
  fails({ aic_backend: "vllm", aic_tp_size: 2 }, "aic_model_path", /need a model/);
  assert.equal(resolvePerfSetup({ aic_tp_size: 2 }), undefined); // parallelism alone: GPU accounting only
  fails(
    { aic_model_path: LLAMA, aic_gemm_dtype: "fp7" },
    "aic_gemm_dtype",
    /unknown format "fp7"/,
    /fp8_block/,
  );
  fails({ aic_model_path: "./my/config.json" }, "aic_model_path", /loadPerfInputs/);
});

Deno.test("TP must divide the attention heads (and fit the KV heads)", () => {
  fails(
    { aic_model_path: LLAMA, aic_tp_size: 3 },
    "aic_tp_size",
    /3 does not divide the model's 32 attention heads/,
    /1, 2, 4, 8, 16, 32/,
  );
  // MiniMax-M2.5: 48 heads, 8 KV heads: TP 6 divides 48 but neither divides nor is a multiple of 8.
  fails({ aic_model_path: "MiniMaxAI/MiniMax-M2.5", aic_tp_size: 6 }, "aic_tp_size", /8 KV heads/);
  assert.equal(resolvePerfSetup({ aic_model_path: LLAMA, aic_tp_size: 16 })!.par.tp, 16);
});

Deno.test("tp × attention_dp must equal moe_tp × moe_ep; EP must divide the experts", () => {
  const qwen = "Qwen/Qwen3-30B-A3B";
  fails(
    { aic_model_path: qwen, aic_tp_size: 4, aic_moe_tp_size: 2, aic_moe_ep_size: 4 },
    "aic_moe_ep_size",
    /tp × attention_dp = 4 × 1 = 4 must equal moe_tp × moe_ep \(got 2 × 4\)/,
  );
  fails({ aic_model_path: qwen, aic_tp_size: 2, aic_moe_tp_size: 4 }, "aic_moe_tp_size", /must equal/);
  fails(
    { aic_model_path: "mistralai/Mixtral-8x7B-v0.1", aic_tp_size: 16, aic_moe_ep_size: 16 },
    "aic_moe_ep_size",
    /exceeds the model's 8 experts/,
  );
  const s = resolvePerfSetup({ aic_model_path: qwen, aic_tp_size: 4, aic_moe_ep_size: 4 })!;
  assert.deepEqual(s.par, { tp: 4, attnDp: 1, moeTp: 1, moeEp: 4 });
  const dp = resolvePerfSetup({
    aic_model_path: "deepseek-ai/DeepSeek-R1",
    aic_attention_dp_size: 8,
    aic_moe_ep_size: 8,
  })!;
  assert.deepEqual(dp.par, { tp: 1, attnDp: 8, moeTp: 1, moeEp: 8 });
});

Deno.test("a format the GPU cannot run is an error naming the override", () => {
  fails({ aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP4" }, "aic_gemm_dtype", /nvfp4/, /NVIDIA H200/);
  fails(
    { aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8", aic_system: "a100_sxm" },
    "aic_gemm_dtype",
    /fp8/,
  );
  assert.equal(
    resolvePerfSetup({ aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP4", aic_system: "b200_sxm" })!.dtypes
      .linear,
    "nvfp4",
  );
  // FP8 attention math and KV need FP8 tensor cores (A100 has none: its FP8 peak would price them at ∞).
  const a100 = { aic_model_path: LLAMA, aic_system: "a100_sxm" };
  fails({ ...a100, aic_fmha_dtype: "fp8" }, "aic_fmha_dtype", /NVIDIA A100.* has no FP8 support/);
  fails({ ...a100, aic_kv_cache_dtype: "fp8" }, "aic_kv_cache_dtype", /no FP8 support/);
  // MXFP4 × MXFP8 experts run on Blackwell's block-scaled MMA only.
  const oss = { aic_model_path: "openai/gpt-oss-120b", aic_moe_dtype: "w4a8_mxfp4_mxfp8" };
  fails({ ...oss, aic_system: "h200_sxm" }, "aic_moe_dtype", /w4a8_mxfp4_mxfp8/, /NVIDIA H200/);
  assert.equal(resolvePerfSetup({ ...oss, aic_system: "b200_sxm" })!.dtypes.moe, "w4a8_mxfp4_mxfp8");
});

Deno.test("MXFP4 experts run on Blackwell's FP4 tensor cores, dequantized elsewhere; aic_moe_dtype wins", () => {
  const oss = { aic_model_path: "openai/gpt-oss-120b" };
  assert.equal(resolvePerfSetup({ ...oss, aic_system: "b200_sxm" })!.dtypes.moe, "nvfp4");
  assert.equal(resolvePerfSetup({ ...oss, aic_system: "h200_sxm" })!.dtypes.moe, "w4a16_mxfp4");
  assert.equal(
    resolvePerfSetup({ ...oss, aic_system: "b200_sxm", aic_moe_dtype: "w4a16_mxfp4" })!.dtypes.moe,
    "w4a16_mxfp4",
  );
  // Attention and dense layers keep the checkpoint's BF16.
  assert.equal(resolvePerfSetup({ ...oss, aic_system: "b200_sxm" })!.dtypes.linear, "bfloat16");
});

Deno.test("a checkpoint quantization dynolab does not price must be given its formats", () => {
  const config = { ...LLAMA_8B_CONFIG, quantization_config: { quant_method: "bitsandbytes" } };
  const path = "/models/llama-bnb/config.json";
  const inputs = { model: modelFromHfConfig(config, path), modelPath: path };
  assert.throws(
    () => resolvePerfSetup({ aic_model_path: path }, inputs),
    /aic_gemm_dtype: .*quantized with "bitsandbytes", which dynolab does not price; set aic_gemm_dtype to .*int4_wo/,
  );
  const named = resolvePerfSetup({ aic_model_path: path, aic_gemm_dtype: "int4_wo" }, inputs)!;
  assert.equal(named.dtypes.linear, "int4_wo");
});
