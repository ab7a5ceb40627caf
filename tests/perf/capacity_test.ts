import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { resolveEngineArgs } from "../../lib/engine/mod.ts";
import { defaultGpuMemoryUtilization, deriveKvCapacity } from "../../lib/perf/capacity.ts";
import { resolvePerfSetup } from "../../lib/perf/setup.ts";
import { mtpWeightBytesPerGpu, weightBytesPerGpu } from "../../lib/perf/catalog/footprint.ts";
import { MODELS } from "../../lib/perf/catalog/models.ts";

const MEM = { maxNumBatchedTokens: 8192, maxNumSeqs: 256, blockSize: 64 };
const ONE = { tp: 1, attnDp: 1, moeTp: 1, moeEp: 1 };

Deno.test("H200 + Llama-3.1-8B-FP8 at 0.9 holds roughly 870k BF16 KV tokens (perf-model.md §10.5)", () => {
  const setup = resolvePerfSetup({
    aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8",
    aic_system: "h200_sxm",
    aic_kv_cache_dtype: "bfloat16",
  })!;
  const cap = deriveKvCapacity(setup, { ...MEM, gpuMemoryUtilization: 0.9 });
  assert.ok(Math.abs(cap.tokens / 870_000 - 1) < 0.1, `${cap.tokens}`);
  assert.equal(cap.kvBytesPerToken, 131072);
  assert.equal(cap.tokens, cap.numGpuBlocks * 64);
  // FP8 KV (the checkpoint's, which vLLM takes unless told otherwise) halves the bytes per token.
  const fp8 = resolvePerfSetup({ aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8" })!;
  const capFp8 = deriveKvCapacity(fp8, { ...MEM, gpuMemoryUtilization: 0.9 });
  assert.ok(Math.abs(capFp8.tokens / cap.tokens - 2) < 0.01);
});

Deno.test("H100 + Llama-3.1-8B BF16 at 0.9: roughly 390–430k tokens (§10.5)", () => {
  const setup = resolvePerfSetup({
    aic_model_path: "meta-llama/Llama-3.1-8B-Instruct",
    aic_system: "h100_sxm",
  })!;
  const cap = deriveKvCapacity(setup, { ...MEM, gpuMemoryUtilization: 0.9 });
  assert.ok(cap.tokens > 370_000 && cap.tokens < 450_000, `${cap.tokens}`);
});

Deno.test("framework budgets: vLLM default by version, TRT-LLM 0.9 of free memory, SGLang static fraction", () => {
  assert.equal(defaultGpuMemoryUtilization("0.19.0"), 0.9);
  assert.equal(defaultGpuMemoryUtilization("0.22.0"), 0.92);
  assert.equal(defaultGpuMemoryUtilization("0.24.0"), 0.92);
  const id = { aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8" };
  const v24 = deriveKvCapacity(resolvePerfSetup(id)!, MEM);
  const v19 = deriveKvCapacity(resolvePerfSetup({ ...id, aic_backend_version: "0.19.0" })!, MEM);
  assert.equal(v24.fraction, 0.92);
  assert.ok(v24.tokens > v19.tokens);
  const trt = deriveKvCapacity(resolvePerfSetup({ ...id, aic_backend: "trtllm" })!, MEM);
  assert.equal(trt.fractionArg, "free_gpu_memory_fraction");
  assert.equal(trt.fraction, 0.9);
  assert.equal(trt.kvBytesPerToken, 65536); // TRT-LLM uses the checkpoint's FP8 KV
  const sgl = deriveKvCapacity(resolvePerfSetup({ ...id, aic_backend: "sglang" })!, {
    ...MEM,
    memFractionStatic: 0.8,
  });
  assert.equal(sgl.fractionArg, "mem_fraction_static");
  assert.equal(sgl.fraction, 0.8);
});

Deno.test("TP shards KV and weights: tokens per engine grow with TP", () => {
  const t = (tp: number) =>
    deriveKvCapacity(
      resolvePerfSetup({ aic_model_path: "meta-llama/Llama-3.1-70B-Instruct", aic_tp_size: tp })!,
      MEM,
    )
      .tokens;
  assert.ok(t(4) > 2 * t(2));
});

Deno.test("a model that does not fit is an error that suggests more TP", () => {
  assert.throws(
    () => deriveKvCapacity(resolvePerfSetup({ aic_model_path: "meta-llama/Llama-3.1-405B-Instruct" })!, MEM),
    (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, /does not fit on NVIDIA H200/);
      assert.match(e.message, /aic_tp_size/);
      return true;
    },
  );
});

Deno.test("resolveEngineArgs: derived, explicit and default KV capacity; GPUs per worker; KV bytes", () => {
  const derived = resolveEngineArgs(
    { aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8", gpu_memory_utilization: 0.9 },
    "aggregated",
  ).config;
  assert.equal(derived.kvCapacitySource, "derived");
  assert.ok(derived.kvCapacity && derived.numGpuBlocks === derived.kvCapacity.numGpuBlocks);
  assert.equal(derived.kvBytesPerToken, 65536); // the checkpoint's FP8 KV: 32 layers × 8 heads × 128 × 2 × 1 B
  assert.equal(derived.gpusPerWorker, 1);
  const explicit = resolveEngineArgs(
    { aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8", num_gpu_blocks: 1000 },
    "aggregated",
  ).config;
  assert.equal(explicit.kvCapacitySource, "explicit");
  assert.equal(explicit.numGpuBlocks, 1000);
  const plain = resolveEngineArgs({}, "aggregated").config;
  assert.equal(plain.kvCapacitySource, "default");
  assert.equal(plain.numGpuBlocks, 16384);
  assert.equal(plain.kvBytesPerToken, 0);
  const dp = resolveEngineArgs({
    aic_model_path: "deepseek-ai/DeepSeek-R1",
    aic_tp_size: 1,
    aic_attention_dp_size: 8,
    aic_moe_ep_size: 8,
    dp_size: 8,
  }, "aggregated").config;
  // Eight ranks of one GPU each, every one with its own KV pool: one GPU's capacity.
  assert.equal(dp.gpusPerWorker, 8);
  assert.equal(dp.dpSize, 8);
  assert.equal(dp.numGpuBlocks * dp.blockSize, dp.kvCapacity!.tokens);
  assert.throws(
    () =>
      resolveEngineArgs({
        aic_model_path: "deepseek-ai/DeepSeek-R1",
        aic_attention_dp_size: 8,
        aic_moe_ep_size: 8,
        dp_size: 2,
      }, "aggregated"),
    /dp_size: 2 conflicts with aic_attention_dp_size 8/,
  );
  const tp4 = resolveEngineArgs(
    { aic_model_path: "meta-llama/Llama-3.1-70B-Instruct", aic_tp_size: 4, dp_size: 2 },
    "aggregated",
  ).config;
  assert.equal(tp4.gpusPerWorker, 8);
});

Deno.test("resolveEngineArgs validates aic_* args with field names", () => {
  assert.throws(
    () =>
      resolveEngineArgs(
        { aic_model_path: "meta-llama/Llama-3.1-8B-Instruct", aic_tp_size: 3 },
        "aggregated",
        "--extra-engine-args",
      ),
    /--extra-engine-args\.aic_tp_size: 3 does not divide/,
  );
  assert.throws(
    () => resolveEngineArgs({ aic_nextn: 2, aic_nextn_accept_rates: "0.5,7" }, "aggregated"),
    /aic_nextn_accept_rates: "7"/,
  );
  // The reference documents the rates as a list; engine-args JSON may give them so.
  assert.throws(
    () => resolveEngineArgs({ aic_nextn: 2, aic_nextn_accept_rates: [0.5, 7] }, "aggregated"),
    /aic_nextn_accept_rates: "7"/,
  );
  assert.throws(
    () => resolveEngineArgs({ aic_nextn: 1, decode_speedup_ratio: 2 }, "aggregated"),
    /decode_speedup_ratio: must be 1\.0 when aic_nextn is set/,
  );
});

Deno.test("capacity: weights follow the run's formats (an NVFP4 requantization frees memory for KV)", () => {
  const base = { aic_model_path: "MiniMaxAI/MiniMax-M2.5", aic_system: "b200_sxm", aic_tp_size: 2 };
  const fp8 = deriveKvCapacity(resolvePerfSetup(base)!, MEM);
  const fp4 = deriveKvCapacity(resolvePerfSetup({ ...base, aic_moe_dtype: "nvfp4" })!, MEM);
  assert.ok(fp4.weightBytes < fp8.weightBytes * 0.6, `${fp4.weightBytes} vs ${fp8.weightBytes}`);
  assert.ok(fp4.tokens > fp8.tokens);
});

Deno.test("capacity: MXFP4 experts priced on Blackwell's FP4 tensor cores keep their checkpoint's bytes", () => {
  const oss = { aic_model_path: "openai/gpt-oss-120b" };
  const weights = (system: string) =>
    deriveKvCapacity(resolvePerfSetup({ ...oss, aic_system: system })!, MEM);
  assert.equal(weights("b200_sxm").weightBytes, weights("h200_sxm").weightBytes);
});

Deno.test("capacity: MTP drafts load one more decoder layer and eh_proj, once whatever the number of drafts", () => {
  const r1 = {
    aic_model_path: "deepseek-ai/DeepSeek-R1",
    aic_system: "h200_sxm",
    aic_tp_size: 8,
    aic_moe_tp_size: 1,
    aic_moe_ep_size: 8,
  };
  const cap = (nextn?: number) => deriveKvCapacity(resolvePerfSetup({ ...r1, aic_nextn: nextn })!, MEM);
  const none = cap(), one = cap(1), three = cap(3);
  // One MoE layer at EP 8 (MLA, 32 of 256 FP8 experts, the shared expert) and the BF16 2·7168 × 7168 eh_proj.
  const draft = mtpWeightBytesPerGpu(MODELS["deepseek-ai/DeepSeek-R1"], {
    tp: 8,
    attnDp: 1,
    moeTp: 1,
    moeEp: 8,
  });
  assert.equal(one.weightBytes - none.weightBytes, draft);
  assert.ok(draft > 1.6e9 && draft < 1.7e9, `${draft}`);
  assert.equal(three.weightBytes, one.weightBytes);
  assert.ok(one.tokens < none.tokens, `${one.tokens} vs ${none.tokens}`);
  // A dense model's draft layer is one of its own layers and the eh_proj.
  const llama = MODELS["meta-llama/Llama-3.1-8B-Instruct"], h = 4096;
  const layer = (weightBytesPerGpu(llama, ONE) - 2 * 2 * 128256 * h) / 32;
  assert.equal(mtpWeightBytesPerGpu(llama, ONE), layer + (2 * h * h + 2 * h) * 2);
});

Deno.test("resolveEngineArgs warns of a memory fraction the capacity does not read, saying why", () => {
  const warnings = (args: Record<string, unknown>) =>
    resolveEngineArgs(args, "aggregated").warnings.join("\n");
  const llama = { aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8" };
  assert.equal(warnings({ ...llama, gpu_memory_utilization: 0.8 }), "");
  assert.match(
    warnings({ ...llama, aic_backend: "trtllm", gpu_memory_utilization: 0.8 }),
    /gpu_memory_utilization has no effect on trtllm, whose KV budget is free_gpu_memory_fraction/,
  );
  assert.match(
    warnings({ ...llama, num_gpu_blocks: 100, mem_fraction_static: 0.8 }),
    /mem_fraction_static has no effect when num_gpu_blocks is given/,
  );
  assert.match(warnings({ free_gpu_memory_fraction: 0.8 }), /without a model to size the KV cache by/);
});
