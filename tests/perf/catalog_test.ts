import assert from "node:assert/strict";
import {
  kvBytesPerToken,
  kvBytesPerTokenPerGpu,
  totalParams,
  weightBytesPerGpu,
} from "../../lib/perf/catalog/footprint.ts";
import { GPU_IDS, GPUS, gpuSpec } from "../../lib/perf/catalog/gpus.ts";
import { modelFromHfConfig } from "../../lib/perf/catalog/hf_config.ts";
import { catalogModel, findModel, MODEL_IDS, MODELS } from "../../lib/perf/catalog/models.ts";
import { InputError } from "../../lib/common/errors.ts";
import { parsePythonJson } from "../../lib/perf/json_file.ts";
import { sharedPath, sharedTest } from "../_shared.ts";
import { LLAMA_8B_CONFIG } from "../_fixtures.ts";

const one = { tp: 1, attnDp: 1, moeTp: 1, moeEp: 1 };

Deno.test("Llama-3.1-8B: 8.03 B parameters, 128 KiB of BF16 KV per token, 64 KiB in FP8", () => {
  const arch = MODELS["meta-llama/Llama-3.1-8B-Instruct"].arch;
  assert.equal(kvBytesPerToken(arch, "bfloat16"), 131072);
  assert.equal(kvBytesPerToken(arch, "fp8"), 65536);
  assert.ok(Math.abs(totalParams(arch) / 1e9 - 8.03) < 0.01, `${totalParams(arch)}`);
});

Deno.test("KV per GPU is sharded by TP and replicated beyond the KV heads", () => {
  const arch = MODELS["meta-llama/Llama-3.1-70B-Instruct"].arch; // 8 KV heads
  assert.equal(kvBytesPerTokenPerGpu(arch, "bfloat16", 2), kvBytesPerToken(arch, "bfloat16") / 2);
  assert.equal(kvBytesPerTokenPerGpu(arch, "bfloat16", 16), kvBytesPerToken(arch, "bfloat16") / 8);
});

Deno.test("MLA caches the latent (kv_lora_rank + rope) once per layer, on every TP rank", () => {
  const arch = MODELS["deepseek-ai/DeepSeek-R1"].arch;
  assert.equal(kvBytesPerToken(arch, "bfloat16"), 61 * 576 * 2);
  assert.equal(kvBytesPerTokenPerGpu(arch, "bfloat16", 8), 61 * 576 * 2);
});

Deno.test("sliding-window layers do not count towards KV per token (gpt-oss)", () => {
  const arch = MODELS["openai/gpt-oss-120b"].arch;
  assert.equal(kvBytesPerToken(arch, "bfloat16"), 18 * 2 * 8 * 64 * 2);
});

Deno.test("weights per GPU follow the checkpoint format and the split", () => {
  const fp8 = weightBytesPerGpu(MODELS["nvidia/Llama-3.1-8B-Instruct-FP8"], one) / 1e9;
  const bf16 = weightBytesPerGpu(MODELS["meta-llama/Llama-3.1-8B-Instruct"], one) / 1e9;
  assert.ok(fp8 > 8.9 && fp8 < 9.2, `fp8 ${fp8}`); // perf-model.md §10.5: ≈ 9 GB
  assert.ok(bf16 > 15.9 && bf16 < 16.2, `bf16 ${bf16}`); // ≈ 16.1 GB
  const ds = MODELS["deepseek-ai/DeepSeek-V3"];
  const total = weightBytesPerGpu(ds, one);
  assert.ok(total / 1e9 > 650 && total / 1e9 < 720, `${total / 1e9}`); // 671 B params, FP8
  const ep8 = weightBytesPerGpu(ds, { tp: 8, attnDp: 1, moeTp: 1, moeEp: 8 });
  assert.ok(Math.abs(ep8 / total - 1 / 8) < 0.01);
});

Deno.test("catalog holds the required models and variants by HF id, case-insensitively", () => {
  for (
    const id of [
      "meta-llama/Llama-3.1-8B-Instruct",
      "meta-llama/Llama-3.1-70B-Instruct",
      "meta-llama/Llama-3.1-405B-Instruct",
      "Qwen/Qwen3-8B",
      "Qwen/Qwen3-32B",
      "Qwen/Qwen3-30B-A3B",
      "Qwen/Qwen3-235B-A22B",
      "deepseek-ai/DeepSeek-V3",
      "deepseek-ai/DeepSeek-R1",
      "openai/gpt-oss-20b",
      "openai/gpt-oss-120b",
      "mistralai/Mixtral-8x7B-v0.1",
      "MiniMaxAI/MiniMax-M2.5",
      "moonshotai/Kimi-K2.5",
      "nvidia/Llama-3.1-8B-Instruct-FP8",
      "Qwen/Qwen3-32B-FP8",
      "nvidia/Qwen3-235B-A22B-NVFP4",
    ]
  ) assert.ok(findModel(id), id);
  assert.equal(findModel("QWEN/qwen3-32b-fp8")?.quant.linear, "fp8_block");
  // An alias is its own id (messages name what was asked for) and shares its checkpoint's description.
  const [r1, v3] = [findModel("deepseek-ai/deepseek-r1")!, MODELS["deepseek-ai/DeepSeek-V3"]];
  assert.equal(r1.id, "deepseek-ai/DeepSeek-R1");
  assert.ok(r1.arch === v3.arch && r1.quant === v3.quant);
  assert.equal(MODELS["nvidia/Llama-3.1-8B-Instruct-FP8"].quant.linear, "fp8");
  assert.equal(MODELS["nvidia/Llama-3.1-8B-Instruct-FP4"].quant.linear, "nvfp4");
});

Deno.test("each catalog model samples as its generation config says: top-k/top-p for Llama, Qwen3, DeepSeek, MiniMax", () => {
  const sorted = [
    "meta-llama/Llama-3.1-70B",
    "Qwen/Qwen3-235B-A22B-FP8",
    "deepseek-ai/DeepSeek-R1",
    "MiniMaxAI/MiniMax-M2.5",
  ];
  for (const id of sorted) assert.equal(MODELS[id].sampling, "top_k_top_p", id);
  for (const id of ["openai/gpt-oss-120b", "mistralai/Mixtral-8x7B-Instruct-v0.1", "moonshotai/Kimi-K2.5"]) {
    assert.equal(MODELS[id].sampling, "random", id);
  }
  for (const id of MODEL_IDS) assert.ok(MODELS[id].sampling, `${id} has no sampling`);
});

Deno.test("only Kimi ships a Python tokenizer (slow in vLLM's front end); every other catalog model's is fast", () => {
  const slow = MODEL_IDS.filter((id) => MODELS[id].tokenizer === "slow");
  assert.deepEqual(slow, ["moonshotai/Kimi-K2.5", "nvidia/Kimi-K2.5-NVFP4"]);
  for (const id of MODEL_IDS) assert.ok(["fast", "slow"].includes(MODELS[id].tokenizer), id);
});

Deno.test("an unknown model lists the catalog and says how to pass a config.json", () => {
  assert.throws(() => catalogModel("meta-llama/Llama-3.1-9B", { field: "aic_model_path" }), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.match(e.message, /aic_model_path: unknown model "meta-llama\/Llama-3.1-9B"/);
    assert.match(e.message, /Qwen\/Qwen3-8B/);
    assert.match(e.message, /config\.json/);
    return true;
  });
  // A model named without its owner, or by the start of its name, is suggested.
  assert.throws(() => catalogModel("deepseek-r1"), /did you mean deepseek-ai\/DeepSeek-R1\?/);
  assert.throws(() => catalogModel("Qwen3-32B"), /did you mean Qwen\/Qwen3-32B\?/);
});

Deno.test("GPU catalog: required GPUs with datasheet figures; unknown ids list the valid ones", () => {
  for (const id of ["h100_sxm", "h200_sxm", "b200_sxm", "b300_sxm", "gb200", "a100_sxm", "l40s"]) {
    assert.ok(GPUS[id], id);
  }
  assert.equal(GPUS.h100_sxm.bf16Flops, 989e12);
  assert.equal(GPUS.h200_sxm.memBw, 4.8e12);
  assert.equal(GPUS.a100_sxm.fp8Flops, 0);
  assert.ok(GPUS.b200_sxm.fp4Flops > 0 && GPUS.h200_sxm.fp4Flops === 0);
  assert.equal(GPUS.b300_sxm.memBytes, 288400343040); // AIC's b300_sxm.yaml: 275,040 MiB
  // AIC's systems/gb200.yaml (`mem_capacity: 198674743296 # 189471MiB reported by nvidia-smi`; in forks of
  // ai-dynamo/aiconfigurator such as github.com/ilyasher/aiconfigurator, src/aiconfigurator/systems/) and
  // ai-dynamo/aiconfigurator's systems/l40s.yaml (`mem_capacity: 48305799168 # 46068 MiB`).
  assert.equal(GPUS.gb200.memBytes, 198674743296);
  assert.equal(GPUS.l40s.memBytes, 48305799168);
  assert.throws(() => gpuSpec("h300"), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.match(e.message, /unknown GPU "h300"/);
    for (const id of GPU_IDS) assert.match(e.message, new RegExp(id));
    return true;
  });
  assert.throws(() => gpuSpec("h200"), /did you mean h200_sxm\?/);
  assert.throws(() => gpuSpec("toString"), /unknown GPU "toString"/); // not the prototype's method
});

Deno.test("config.json parsing: GQA, MoE, MLA, sliding windows and quantisation", () => {
  const moe = modelFromHfConfig({
    model_type: "qwen3_moe",
    num_hidden_layers: 48,
    hidden_size: 2048,
    num_attention_heads: 32,
    num_key_value_heads: 4,
    head_dim: 128,
    intermediate_size: 6144,
    moe_intermediate_size: 768,
    num_experts: 128,
    num_experts_per_tok: 8,
    vocab_size: 151936,
    quantization_config: { quant_method: "fp8", weight_block_size: [128, 128] },
  }, "x.json");
  assert.deepEqual(moe.arch.moe, {
    experts: 128,
    topK: 8,
    expertFfn: 768,
    sharedExperts: 0,
    sharedFfn: 768,
    denseLayers: 0,
  });
  assert.equal(moe.quant.moe, "fp8_block");
  assert.equal(moe.arch.qkNorm, true);
  assert.throws(() => modelFromHfConfig({ hidden_size: 1 }, "bad.json"), /bad\.json: num_hidden_layers/);
});

Deno.test("config.json values no model has are errors naming the file, field, value and valid range", () => {
  const llama = {
    model_type: "llama",
    num_hidden_layers: 4,
    hidden_size: 4096,
    num_attention_heads: 32,
    num_key_value_heads: 8,
    intermediate_size: 14336,
    vocab_size: 128256,
  };
  const moe = { ...llama, moe_intermediate_size: 768, num_experts: 128, num_experts_per_tok: 8 };
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [
      { ...llama, num_key_value_heads: 0 },
      /num_key_value_heads: is 0; valid: a divisor of num_attention_heads 32/,
    ],
    [{ ...llama, num_key_value_heads: 5 }, /num_key_value_heads: is 5; valid: .*\(1, 2, 4, 8, 16, 32\)/],
    [{ ...llama, num_key_value_heads: 64 }, /num_key_value_heads: is 64; valid/],
    [{ ...llama, intermediate_size: 0 }, /intermediate_size: needs a positive integer \(got 0\)/],
    [{ ...llama, vocab_size: 0 }, /vocab_size: needs a positive integer \(got 0\)/],
    [
      { ...llama, layer_types: ["full_attention"] },
      /layer_types: has 1 entries; valid: one per layer .* 4\)/,
    ],
    [{ ...moe, num_experts_per_tok: 0 }, /num_experts_per_tok: is 0; valid: 1 to 128, the num_experts/],
    [{ ...moe, num_experts_per_tok: 200 }, /num_experts_per_tok: is 200; valid: 1 to 128/],
    [{ ...moe, moe_intermediate_size: 0 }, /moe_intermediate_size: needs a positive integer \(got 0\)/],
  ];
  for (const [config, message] of cases) {
    assert.throws(() => modelFromHfConfig(config, "bad/config.json"), (e: unknown) => {
      assert.ok(e instanceof InputError, String(e));
      assert.match(e.message, /^bad\/config\.json: /);
      assert.match(e.message, message);
      return true;
    });
  }
  assert.equal(modelFromHfConfig(moe, "ok.json").arch.moe?.topK, 8);
});

Deno.test("config.json parsing: windows, interleaved MoE and layer kinds as the modelling code places them", () => {
  const base = {
    num_hidden_layers: 28,
    hidden_size: 3584,
    num_attention_heads: 28,
    num_key_value_heads: 4,
    intermediate_size: 18944,
    vocab_size: 152064,
  };
  // Qwen2.5 ships a window it does not use: full attention everywhere (it read as ∞ KV blocks).
  const qwen = modelFromHfConfig({
    ...base,
    model_type: "qwen2",
    sliding_window: 131072,
    use_sliding_window: false,
  }, "q");
  assert.equal(qwen.arch.slidingWindow, undefined);
  assert.equal(kvBytesPerToken(qwen.arch, "bfloat16"), 57_344);
  // Every layer sliding (Mistral 7B v0.1): those layers size the KV cache.
  const mistral = modelFromHfConfig({ ...base, model_type: "mistral", sliding_window: 4096 }, "m");
  assert.deepEqual(mistral.arch.slidingWindow, { window: 4096, layers: 28 });
  assert.equal(kvBytesPerToken(mistral.arch, "bfloat16"), 57_344);
  // Gemma 3: one full layer in every six.
  const gemma = modelFromHfConfig({
    ...base,
    model_type: "gemma3_text",
    sliding_window: 1024,
    sliding_window_pattern: 6,
  }, "g");
  assert.deepEqual(gemma.arch.slidingWindow, { window: 1024, layers: 24 });
  // Llama 4 Maverick: MoE every other layer with a shared expert, dense layers of their own size, chunked
  // local attention on three RoPE layers in four.
  const maverick = modelFromHfConfig({
    model_type: "llama4",
    text_config: {
      model_type: "llama4_text",
      num_hidden_layers: 48,
      hidden_size: 5120,
      num_attention_heads: 40,
      num_key_value_heads: 8,
      head_dim: 128,
      intermediate_size: 8192,
      intermediate_size_mlp: 16384,
      num_local_experts: 128,
      num_experts_per_tok: 1,
      interleave_moe_layer_step: 2,
      attention_chunk_size: 8192,
      vocab_size: 202048,
    },
  }, "maverick");
  assert.deepEqual(maverick.arch.moe, {
    experts: 128,
    topK: 1,
    expertFfn: 8192,
    sharedExperts: 1,
    sharedFfn: 8192,
    denseLayers: 24,
  });
  assert.equal(maverick.arch.ffn, 16384);
  assert.deepEqual(maverick.arch.slidingWindow, { window: 8192, layers: 36 });
  assert.ok(Math.abs(totalParams(maverick.arch) / 1e9 - 400) < 5);
  // Qwen3-MoE's dense layers, and layer kinds the perf model cannot price.
  const qwenMoe = modelFromHfConfig({
    ...base,
    num_experts: 64,
    num_experts_per_tok: 8,
    moe_intermediate_size: 768,
    mlp_only_layers: [0, 1],
  }, "qm");
  assert.equal(qwenMoe.arch.moe?.denseLayers, 2);
  assert.throws(
    () => modelFromHfConfig({ ...base, layer_types: ["mamba", "full_attention"] }, "hybrid.json"),
    /hybrid\.json: layer_types: layer 0's "mamba" layers .* are not modelled/,
  );
  assert.throws(
    () => modelFromHfConfig({ ...base, linear_attn_config: { kda_layers: [1, 2, 3] } }, "k3.json"),
    /k3\.json: linear_attn_config: Kimi Linear's KDA layers \(Kimi Delta Attention\) are not modelled/,
  );
  assert.throws(
    () => modelFromHfConfig({ ...base, hidden_size_per_layer_input: 256 }, "e2b.json"),
    /e2b\.json: hidden_size_per_layer_input: Gemma 4 E2B\/E4B's per-layer embeddings.* are not modelled/,
  );
  assert.throws(
    () => modelFromHfConfig({ ...base, compress_ratios: [0, 0, 4, 128] }, "v4.json"),
    /v4\.json: compress_ratios: DeepSeek-V4's compressed sparse attention layers are not modelled/,
  );
});

/** A small dense config, for the refusals below. */
const SMALL = {
  num_hidden_layers: 8,
  hidden_size: 1024,
  num_attention_heads: 8,
  num_key_value_heads: 2,
  intermediate_size: 4096,
  vocab_size: 32000,
};

Deno.test("config.json: Mamba and lightning-attention hybrids are refused, naming the field", () => {
  const base = SMALL;
  // Jamba: attention on every 8th layer, Mamba on the rest (read as 8 attention layers before).
  assert.throws(
    () =>
      modelFromHfConfig({
        ...base,
        model_type: "jamba",
        attn_layer_period: 8,
        attn_layer_offset: 4,
        mamba_d_state: 16,
        mamba_d_conv: 4,
        mamba_expand: 2,
      }, "jamba.json"),
    /jamba\.json: attn_layer_period: Jamba's Mamba layers .* are not modelled/,
  );
  // MiniMax-M1: 0 marks a lightning (linear) attention layer; MiniMax-M2 states all 1s and is priced.
  const attn = (t: number) => Array.from({ length: 8 }, (_, i) => i === 7 ? 1 : t);
  assert.throws(
    () => modelFromHfConfig({ ...base, model_type: "minimax_m1", attn_type_list: attn(0) }, "m1.json"),
    /m1\.json: attn_type_list: layer 0's lightning attention layers .* are not modelled/,
  );
  assert.equal(
    modelFromHfConfig({ ...base, model_type: "minimax_m2", attn_type_list: attn(1) }, "m2").arch.layers,
    8,
  );
  // Falcon-H1: Mamba-2 heads beside attention in every layer, without Nemotron-H's block pattern.
  assert.throws(
    () =>
      modelFromHfConfig({
        ...base,
        model_type: "falcon_h1",
        mamba_d_ssm: 2048,
        mamba_d_state: 128,
        mamba_n_heads: 32,
      }, "falcon.json"),
    /falcon\.json: mamba_d_ssm: Mamba mixers outside Nemotron-H's block pattern .* are not modelled/,
  );
});

Deno.test("config.json: routed experts stated in fields dynolab does not read are refused, naming the field", () => {
  const base = SMALL;
  // ERNIE 4.5: routed experts in fields dynolab does not read (read as a dense model before).
  assert.throws(
    () =>
      modelFromHfConfig({
        ...base,
        model_type: "ernie4_5_moe",
        moe_num_experts: 64,
        moe_k: 8,
        moe_layer_start_index: 3,
        moe_num_shared_experts: 0,
        moe_intermediate_size: 3584,
      }, "ernie.json"),
    (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(
        e.message,
        /ernie\.json: moe_num_experts: is 64: routed experts stated in this field .* not modelled/,
      );
      assert.match(e.message, /valid: num_local_experts, num_experts or n_routed_experts/);
      return true;
    },
  );
  // A dense model stating no experts (0) or only shared-expert fields passes.
  const dense = modelFromHfConfig({ ...base, moe_num_experts: 0, moe_num_shared_experts: 0 }, "dense.json");
  assert.equal(dense.arch.moe, undefined);
});

sharedTest(
  "every catalog architecture matches its published config.json (shared model_configs)",
  async () => {
    const pairs: Array<[string, string]> = [
      ["meta-llama/Llama-3.1-8B", "meta-llama--Meta-Llama-3.1-8B"],
      ["meta-llama/Llama-3.1-70B", "meta-llama--Meta-Llama-3.1-70B"],
      ["meta-llama/Llama-3.1-405B", "meta-llama--Meta-Llama-3.1-405B"],
      ["Qwen/Qwen3-8B", "Qwen--Qwen3-8B"],
      ["Qwen/Qwen3-32B", "Qwen--Qwen3-32B"],
      ["Qwen/Qwen3-30B-A3B", "Qwen--Qwen3-30B-A3B"],
      ["Qwen/Qwen3-235B-A22B", "Qwen--Qwen3-235B-A22B"],
      ["Qwen/Qwen3-32B-FP8", "Qwen--Qwen3-32B-FP8"],
      ["deepseek-ai/DeepSeek-V3", "deepseek-ai--DeepSeek-V3"],
      ["deepseek-ai/DeepSeek-R1", "deepseek-ai--DeepSeek-R1"],
      ["openai/gpt-oss-20b", "openai--gpt-oss-20b"],
      ["openai/gpt-oss-120b", "openai--gpt-oss-120b"],
      ["mistralai/Mixtral-8x7B-v0.1", "mistralai--Mixtral-8x7B-v0.1"],
      ["MiniMaxAI/MiniMax-M2.5", "MiniMaxAI--MiniMax-M2.5"],
      ["moonshotai/Kimi-K2.5", "moonshotai--Kimi-K2.5"],
      ["Qwen/Qwen3.5-27B", "Qwen--Qwen3.5-27B"],
      ["Qwen/Qwen3.5-35B-A3B", "Qwen--Qwen3.5-35B-A3B"],
      ["Qwen/Qwen3.5-122B-A10B", "Qwen--Qwen3.5-122B-A10B"],
      ["Qwen/Qwen3.5-397B-A17B", "Qwen--Qwen3.5-397B-A17B"],
      ["nvidia/Qwen3.6-27B-NVFP4", "nvidia--Qwen3.6-27B-NVFP4"],
      ["nvidia/Qwen3.6-35B-A3B-NVFP4", "nvidia--Qwen3.6-35B-A3B-NVFP4"],
      ["nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", "nvidia--NVIDIA-Nemotron-3-Nano-30B-A3B-BF16"],
      ["nvidia/Llama-3_3-Nemotron-Super-49B-v1", "nvidia--Llama-3_3-Nemotron-Super-49B-v1"],
      ["nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-NVFP4", "nvidia--NVIDIA-Nemotron-3-Nano-30B-A3B-NVFP4"],
      ["nvidia/NVIDIA-Nemotron-3-Super-120B-A12B-FP8", "nvidia--NVIDIA-Nemotron-3-Super-120B-A12B-FP8"],
      ["nvidia/NVIDIA-Nemotron-3-Super-120B-A12B-NVFP4", "nvidia--NVIDIA-Nemotron-3-Super-120B-A12B-NVFP4"],
      ["nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B-BF16", "nvidia--NVIDIA-Nemotron-3-Ultra-550B-A55B-BF16"],
      ["nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B-FP8", "nvidia--NVIDIA-Nemotron-3-Ultra-550B-A55B-FP8"],
      ["nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B-NVFP4", "nvidia--NVIDIA-Nemotron-3-Ultra-550B-A55B-NVFP4"],
      ["nvidia/Kimi-K2.5-NVFP4", "nvidia--Kimi-K2.5-NVFP4"],
    ];
    for (const [id, file] of pairs) {
      const config = parsePythonJson(
        await Deno.readTextFile(sharedPath(`aic/model_configs/${file}_config.json`)),
      );
      const quantFile = sharedPath(`aic/model_configs/${file}_hf_quant_config.json`);
      const quant = await Deno.readTextFile(quantFile).then(JSON.parse, () => undefined);
      const parsed = modelFromHfConfig(config, file, { quant });
      const cat = MODELS[id];
      const keys = [
        "layers",
        "hidden",
        "heads",
        "kvHeads",
        "headDim",
        "vocab",
        "tiedEmbeddings",
        "qkNorm",
        "ffnLayers",
        "ffnUngated",
        "vHeadDim",
        "kEqV",
      ] as const;
      for (const k of keys) assert.equal(parsed.arch[k], cat.arch[k], `${id} ${k}`);
      assert.deepEqual(parsed.arch.linearAttention, cat.arch.linearAttention, `${id} linear attention`);
      assert.equal(parsed.arch.attnOutputGate, cat.arch.attnOutputGate, `${id} output gate`);
      assert.deepEqual(parsed.arch.mla, cat.arch.mla, `${id} mla`);
      assert.deepEqual(parsed.arch.slidingWindow, cat.arch.slidingWindow, `${id} window`);
      assert.deepEqual(parsed.arch.ffnWidths, cat.arch.ffnWidths, `${id} FFN widths`);
      if (cat.arch.moe) {
        const { experts, topK, expertFfn, sharedExperts, denseLayers, latent } = parsed.arch.moe!;
        assert.deepEqual(
          { experts, topK, expertFfn, sharedExperts, denseLayers, latent },
          {
            experts: cat.arch.moe.experts,
            topK: cat.arch.moe.topK,
            expertFfn: cat.arch.moe.expertFfn,
            sharedExperts: cat.arch.moe.sharedExperts,
            denseLayers: cat.arch.moe.denseLayers,
            latent: cat.arch.moe.latent,
          },
          `${id} moe`,
        );
        if (cat.arch.moe.sharedExperts > 0) {
          assert.equal(parsed.arch.moe!.sharedFfn, cat.arch.moe.sharedFfn, `${id} shared expert`);
        }
      } else assert.equal(parsed.arch.ffn, cat.arch.ffn, `${id} ffn`);
      assert.deepEqual(parsed.quant, cat.quant, `${id} formats`);
    }
    assert.ok(MODEL_IDS.length >= 40);
  },
);

Deno.test("quantisation: ModelOpt mixed precision per module kind, unquantized shared experts", () => {
  const moe = {
    model_type: "qwen3_moe",
    num_hidden_layers: 4,
    hidden_size: 1024,
    num_attention_heads: 8,
    num_key_value_heads: 2,
    num_experts: 8,
    num_experts_per_tok: 2,
    moe_intermediate_size: 256,
    shared_expert_intermediate_size: 256,
    vocab_size: 1000,
  };
  const mixed = modelFromHfConfig(moe, "mixed.json", {
    quant: {
      quantization: {
        quant_algo: "MIXED_PRECISION",
        kv_cache_quant_algo: "FP8",
        quantized_layers: {
          "model.layers.0.linear_attn.in_proj_qkv": { quant_algo: "FP8" },
          "model.layers.3.self_attn.q_proj": { quant_algo: "FP8" },
          "model.layers.0.mlp.experts": { quant_algo: "W4A16_NVFP4", group_size: 16 },
          "model.layers.0.mlp.shared_expert.gate_proj": { quant_algo: "NVFP4", group_size: 16 },
        },
      },
    },
  });
  assert.deepEqual(mixed.quant, { linear: "nvfp4", attention: "fp8", moe: "int4_wo", kvCheckpoint: "fp8" });
  // The same per-module formats inside config.json's quantization_config.
  const inline = modelFromHfConfig({
    ...moe,
    quantization_config: {
      quant_algo: "MIXED_PRECISION",
      quantized_layers: {
        "model.layers.0.block_sparse_moe.experts.0.w1": { quant_algo: "NVFP4" },
        "model.layers.0.block_sparse_moe.experts.1.w1": { quant_algo: "NVFP4" },
        "model.layers.0.block_sparse_moe.experts.2.w1": { quant_algo: "MXFP8" },
        "model.layers.0.self_attn.q_proj": { quant_algo: "MXFP8" },
      },
    },
  }, "inline.json");
  // Each kind takes its modules' most common format; MXFP8 prices as FP8 (MiniMax-M3 NVFP4).
  assert.deepEqual(inline.quant, { linear: "bfloat16", attention: "fp8", moe: "nvfp4", kvCheckpoint: null });
  const sharedKept = modelFromHfConfig(moe, "fp4.json", {
    quant: {
      quantization: {
        quant_algo: "NVFP4",
        kv_cache_quant_algo: "FP8",
        exclude_modules: ["lm_head", "*.mlp.shared_expert.*", "model.layers.0.self_attn*"],
      },
    },
  });
  assert.deepEqual(sharedKept.quant, {
    linear: "bfloat16",
    attention: "bfloat16",
    moe: "nvfp4",
    kvCheckpoint: "fp8",
  });
});

Deno.test("quantisation: AWQ/GPTQ 4-bit is weight-only INT4; an unknown method must be named by the run", () => {
  const llama = LLAMA_8B_CONFIG;
  for (const qc of [{ quant_method: "awq", bits: 4 }, { quant_method: "gptq", bits: 4 }]) {
    const m = modelFromHfConfig({ ...llama, quantization_config: qc }, "q.json");
    assert.deepEqual(m.quant, {
      linear: "int4_wo",
      attention: "int4_wo",
      moe: "int4_wo",
      kvCheckpoint: null,
    });
  }
  const fbgemm = modelFromHfConfig(
    { ...llama, quantization_config: { quant_method: "fbgemm_fp8" } },
    "f.json",
  );
  assert.equal(fbgemm.quant.linear, "fp8");
  const bnb = modelFromHfConfig(
    { ...llama, quantization_config: { quant_method: "bitsandbytes" } },
    "b.json",
  );
  assert.equal(bnb.quant.unpriced, "bitsandbytes");
  const gptq8 = modelFromHfConfig(
    { ...llama, quantization_config: { quant_method: "gptq", bits: 8 } },
    "g.json",
  );
  assert.equal(gptq8.quant.unpriced, "gptq (8-bit)");
});

Deno.test("config.json: Gemma 3's text config takes its class's vocabulary and tied embeddings when it omits them", () => {
  // google/gemma-3-27b-it, abridged: its text_config leaves both to Gemma3TextConfig.
  const gemma3 = {
    architectures: ["Gemma3ForConditionalGeneration"],
    model_type: "gemma3",
    text_config: {
      model_type: "gemma3_text",
      hidden_size: 5376,
      intermediate_size: 21504,
      num_attention_heads: 32,
      num_key_value_heads: 16,
      head_dim: 128,
      num_hidden_layers: 62,
      sliding_window: 1024,
      sliding_window_pattern: 6,
    },
  };
  const m = modelFromHfConfig(gemma3, "gemma3.json");
  assert.equal(m.arch.vocab, 262_208);
  assert.equal(m.arch.tiedEmbeddings, true);
  // A config that says otherwise wins.
  const untied = { ...gemma3, text_config: { ...gemma3.text_config, tie_word_embeddings: false } };
  assert.equal(modelFromHfConfig(untied, "u.json").arch.tiedEmbeddings, false);
});
