import assert from "node:assert/strict";
import { modelFromHfConfig } from "../../lib/perf/catalog/hf_config.ts";
import { MODELS } from "../../lib/perf/catalog/models.ts";
import { parsePythonJson } from "../../lib/perf/json_file.ts";
import { sharedPath, sharedTest } from "../_shared.ts";
import { NEMOTRON_H_CONFIG } from "../_fixtures.ts";

/** A DeepSeek-V3-shaped config, small. */
const DEEPSEEK = {
  model_type: "deepseek_v3",
  num_hidden_layers: 4,
  hidden_size: 1024,
  num_attention_heads: 8,
  num_key_value_heads: 8,
  q_lora_rank: 256,
  kv_lora_rank: 128,
  qk_nope_head_dim: 64,
  qk_rope_head_dim: 32,
  v_head_dim: 64,
  intermediate_size: 2048,
  moe_intermediate_size: 256,
  n_routed_experts: 16,
  n_shared_experts: 1,
  num_experts_per_tok: 4,
  first_k_dense_replace: 1,
  vocab_size: 32000,
};

Deno.test("quantisation: a ModelOpt kv_cache_scheme of static 8-bit floats is an FP8 KV cache, as vLLM reads it", () => {
  const scheme = { dynamic: false, num_bits: 8, type: "float" };
  const modelopt = (extra: Record<string, unknown>) =>
    modelFromHfConfig({
      ...DEEPSEEK,
      quantization_config: { quant_method: "modelopt", quant_algo: "NVFP4", ...extra },
    }, "kimi.json").quant.kvCheckpoint;
  // Newer ModelOpt exports (nvidia/Kimi-K2.5-NVFP4's config.json) state no kv_cache_quant_algo.
  assert.equal(modelopt({ kv_cache_scheme: scheme }), "fp8");
  assert.equal(modelopt({ kv_cache_quant_algo: null, kv_cache_scheme: scheme }), "fp8");
  assert.equal(modelopt({ kv_cache_quant_algo: "FP8" }), "fp8");
  // vLLM turns only static 8-bit float schemes into an FP8 cache.
  assert.equal(modelopt({ kv_cache_scheme: { ...scheme, dynamic: true } }), null);
  assert.equal(modelopt({ kv_cache_scheme: { ...scheme, num_bits: 4 } }), null);
  assert.equal(modelopt({}), null);
  // vLLM resolves an unset --kv-cache-dtype from ModelOpt configs only.
  const compressed = modelFromHfConfig({
    ...DEEPSEEK,
    quantization_config: {
      quant_method: "compressed-tensors",
      config_groups: { group_0: { weights: { num_bits: 8 }, input_activations: { num_bits: 8 } } },
      kv_cache_scheme: scheme,
    },
  }, "ct.json");
  assert.equal(compressed.quant.kvCheckpoint, null);
});

Deno.test("catalog: Kimi-K2.5 NVFP4 runs NVFP4 dense layers and shared experts, BF16 attention, an FP8 KV cache", () => {
  // AIC's nvidia--Kimi-K2.5-NVFP4_config.json: `ignore` names lm_head, self_attn* and the vision modules only;
  // kv_cache_scheme {type: float, num_bits: 8, dynamic: false}.
  const expected = { linear: "nvfp4", attention: "bfloat16", moe: "nvfp4", kvCheckpoint: "fp8" };
  assert.deepEqual(MODELS["nvidia/Kimi-K2.5-NVFP4"].quant, expected);
  const ignore = [
    "language_model.lm_head",
    ...Array.from({ length: 4 }, (_, i) => `language_model.model.layers.${i}.self_attn*`),
    "mm_projector*",
    "vision_tower*",
  ];
  const parsed = modelFromHfConfig({
    ...DEEPSEEK,
    quantization_config: {
      quant_method: "modelopt",
      quant_algo: "NVFP4",
      kv_cache_scheme: { dynamic: false, num_bits: 8, type: "float" },
      ignore,
    },
  }, "kimi.json");
  assert.deepEqual(parsed.quant, expected);
});

Deno.test("quantisation: Nemotron-H mixers left unquantized count by the weights the attention format covers", () => {
  const quant = (exclude: string[]) =>
    modelFromHfConfig(NEMOTRON_H_CONFIG, "nh.json", {
      quant: { quantization: { quant_algo: "NVFP4", kv_cache_quant_algo: "FP8", exclude_modules: exclude } },
    }).quant;
  const attention = [3, 8].flatMap((i) =>
    ["q", "k", "v", "o"].map((p) => `backbone.layers.${i}.mixer.${p}_proj`)
  );
  const mamba = (blocks: number[]) =>
    blocks.flatMap((i) => [`backbone.layers.${i}.mixer.in_proj`, `backbone.layers.${i}.mixer.out_proj`]);
  // Every mixer excluded: the attention format is BF16 (a mixer's q/k/v/o_proj was not seen as attention).
  assert.deepEqual(quant([...attention, ...mamba([0, 2, 5, 7])]), {
    linear: "nvfp4",
    attention: "bfloat16",
    moe: "nvfp4",
    kvCheckpoint: "fp8",
  });
  // The attention layers and the Mamba mixer before each hold more than half of those weights here.
  assert.equal(quant([...attention, ...mamba([2, 7])]).attention, "bfloat16");
  // The attention layers alone, or with one Mamba mixer, hold less: most of the mixers' weights are NVFP4.
  assert.equal(quant(attention).attention, "nvfp4");
  assert.equal(quant([...attention, ...mamba([2])]).attention, "nvfp4");
  assert.equal(quant(["lm_head"]).attention, "nvfp4");
});

sharedTest(
  "Nemotron-3 Nano NVFP4: its quant file's BF16 attention and 6 of 23 Mamba mixers leave it NVFP4",
  async () => {
    const file = "nvidia--NVIDIA-Nemotron-3-Nano-30B-A3B-NVFP4";
    const config = parsePythonJson(
      await Deno.readTextFile(sharedPath(`aic/model_configs/${file}_config.json`)),
    );
    const quantFile = JSON.parse(
      await Deno.readTextFile(sharedPath(`aic/model_configs/${file}_hf_quant_config.json`)),
    );
    const excluded: string[] = quantFile.quantization.exclude_modules;
    // The file names every attention layer's projections (as mixer.q_proj, not self_attn) and 6 Mamba mixers.
    assert.equal(excluded.filter((n) => /mixer\.q_proj/.test(n)).length, 6);
    assert.equal(excluded.filter((n) => /mixer\.in_proj/.test(n)).length, 6);
    const parsed = modelFromHfConfig(config, file, { quant: quantFile });
    assert.deepEqual(parsed.quant, MODELS["nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-NVFP4"].quant);
    assert.equal(parsed.quant.attention, "nvfp4");
  },
);
