/**
 * Reading a Hugging Face `config.json` (already parsed) into a {@link ModelSpec}: the shapes the perf models need,
 * the checkpoint's weight formats from `quantization_config` (or a ModelOpt `hf_quant_config.json`) and its
 * default sampling from `generation_config.json`, and its tokenizer kind from the tokenizer files beside it.
 *
 * Pure: the caller reads the files (see `loadHfModel` in `inputs.ts`).
 *
 * @module
 */
import { InputError, type InputLocation } from "../../common/errors.ts";
import type { WeightDType } from "../dtypes.ts";
import type { MlaArch, ModelArch, ModelSpec, MoeArch, QuantSpec } from "./arch.ts";
import { generationSampling } from "../sampling.ts";
import type { TokenizerKind } from "../frontend.ts";

type Json = Record<string, unknown>;

/** The files a checkpoint may hold beside `config.json`, parsed; `undefined` when absent. */
export interface HfCompanions {
  /** ModelOpt's `hf_quant_config.json`. */
  readonly quant?: unknown;
  /** `generation_config.json` (absent: vLLM's own sampling defaults, see `generationSampling`). */
  readonly generation?: unknown;
  /** How its tokenizer runs (absent: `"fast"`); see `tokenizerKind`. */
  readonly tokenizer?: TokenizerKind;
}

/**
 * Build a model spec from a parsed `config.json` and the files beside it. Multimodal configs are read through
 * their `text_config`.
 *
 * @param id Name to report the model under (the path it came from).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelFromHfConfig } from "./hf_config.ts";
 * const m = modelFromHfConfig({
 *   architectures: ["LlamaForCausalLM"], model_type: "llama", num_hidden_layers: 32, hidden_size: 4096,
 *   num_attention_heads: 32, num_key_value_heads: 8, intermediate_size: 14336, vocab_size: 128256,
 * }, "llama.json", { generation: { temperature: 0.6, top_p: 0.9 } });
 * assert(m.arch.headDim === 128 && m.quant.linear === "bfloat16" && m.sampling === "top_k_top_p");
 * ```
 */
export function modelFromHfConfig(config: unknown, id: string, companions: HfCompanions = {}): ModelSpec {
  const at: InputLocation = { file: id };
  if (!isObject(config)) throw new InputError("config.json must hold a JSON object", at);
  const c = isObject(config.text_config) ? { ...config, ...config.text_config } : config;
  const int = (key: string, fallback?: number): number => {
    const v = c[key];
    if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
    if (v == null && fallback !== undefined) return fallback;
    throw new InputError(`needs a non-negative integer (got ${JSON.stringify(v)})`, { ...at, field: key });
  };
  const layers = int("num_hidden_layers");
  const hidden = int("hidden_size");
  const heads = int("num_attention_heads");
  const kvHeads = int("num_key_value_heads", heads);
  const experts = int("num_local_experts", int("num_experts", int("n_routed_experts", 0)));
  let moe: MoeArch | undefined;
  if (experts > 0) {
    const shared = int("n_shared_experts", c.shared_expert_intermediate_size ? 1 : 0);
    const expertFfn = int("moe_intermediate_size", int("intermediate_size"));
    moe = {
      experts,
      topK: int("num_experts_per_tok"),
      expertFfn,
      sharedExperts: shared,
      sharedFfn: int("shared_expert_intermediate_size", expertFfn),
      denseLayers: int("first_k_dense_replace", 0),
    };
  }
  let mla: MlaArch | undefined;
  if (c.kv_lora_rank != null) {
    mla = {
      qLoraRank: int("q_lora_rank", 0),
      kvLoraRank: int("kv_lora_rank"),
      qkNopeDim: int("qk_nope_head_dim"),
      qkRopeDim: int("qk_rope_head_dim"),
      vHeadDim: int("v_head_dim"),
    };
  }
  const headDim = mla
    ? mla.qkNopeDim + mla.qkRopeDim
    : int("head_dim", Math.floor(hidden / Math.max(1, heads)));
  const window = typeof c.sliding_window === "number" && c.sliding_window > 0 ? c.sliding_window : 0;
  let slidingWindow: ModelArch["slidingWindow"];
  if (window > 0) {
    const types = Array.isArray(c.layer_types) ? c.layer_types : undefined;
    const sliding = types ? types.filter((t) => t === "sliding_attention").length : layers;
    if (sliding > 0) slidingWindow = { window, layers: sliding };
  }
  if (layers === 0 || hidden === 0 || heads === 0) {
    throw new InputError("num_hidden_layers, hidden_size and num_attention_heads must be positive", at);
  }
  const arch: ModelArch = {
    family: typeof c.model_type === "string" ? c.model_type : "unknown",
    layers,
    hidden,
    heads,
    kvHeads: mla ? heads : kvHeads,
    headDim,
    ffn: int("intermediate_size", moe ? moe.expertFfn : 4 * hidden),
    vocab: int("vocab_size"),
    tiedEmbeddings: c.tie_word_embeddings === true,
    qkNorm: c.use_qk_norm === true || c.model_type === "qwen3" || c.model_type === "qwen3_moe",
    moe,
    mla,
    slidingWindow,
    maxContext: int("max_position_embeddings", 131072),
  };
  return {
    id,
    arch,
    quant: quantFrom(c, companions.quant),
    sampling: generationSampling(companions.generation),
    tokenizer: companions.tokenizer ?? "fast",
  };
}

/**
 * The tokenizer kind of a checkpoint from which tokenizer files sit beside its config: `"slow"` when it has a
 * `tokenizer_config.json` but no `tokenizer.json` (a Python tokenizer class, such as Kimi's), else `"fast"`
 * (also when neither is there: nearly every model ships a `tokenizer.json`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tokenizerKind } from "./hf_config.ts";
 * assert.equal(tokenizerKind({ tokenizerJson: false, tokenizerConfig: true }), "slow");
 * assert.equal(tokenizerKind({ tokenizerJson: true, tokenizerConfig: true }), "fast");
 * ```
 */
export function tokenizerKind(files: { tokenizerJson: boolean; tokenizerConfig: boolean }): TokenizerKind {
  return files.tokenizerConfig && !files.tokenizerJson ? "slow" : "fast";
}

/** The weight formats a config's `quantization_config` (or a ModelOpt quant file) declares. */
function quantFrom(config: Json, quantFile: unknown): QuantSpec {
  const modelopt = isObject(quantFile) && isObject(quantFile.quantization)
    ? quantFile.quantization
    : undefined;
  const qc = isObject(config.quantization_config) ? config.quantization_config : undefined;
  const algo = String(modelopt?.quant_algo ?? qc?.quant_algo ?? "").toUpperCase();
  const kvAlgo = String(modelopt?.kv_cache_quant_algo ?? qc?.kv_cache_quant_algo ?? "").toUpperCase();
  const kv = kvAlgo === "FP8" ? "fp8" as const : null;
  const excluded = JSON.stringify(
    modelopt?.exclude_modules ?? qc?.ignore ?? qc?.modules_to_not_convert ?? [],
  );
  const attnExcluded = excluded.includes("self_attn");
  const spec = (d: WeightDType, moeOnly = false): QuantSpec => ({
    linear: moeOnly ? "bfloat16" : d,
    attention: moeOnly || attnExcluded ? "bfloat16" : d,
    moe: d,
    kvCheckpoint: kv,
  });
  if (algo === "FP8") return spec("fp8");
  if (algo === "NVFP4") return spec("nvfp4");
  if (!qc) return spec("bfloat16");
  const method = String(qc.quant_method ?? "").toLowerCase();
  if (method === "fp8") return spec(Array.isArray(qc.weight_block_size) ? "fp8_block" : "fp8");
  if (method === "mxfp4") return spec("w4a16_mxfp4", true);
  if (method === "modelopt") return spec(algo === "NVFP4" ? "nvfp4" : "fp8");
  if (method === "compressed-tensors" && isObject(qc.config_groups)) {
    const group = Object.values(qc.config_groups).find(isObject);
    const w = isObject(group?.weights) ? group.weights : {};
    const a = isObject(group?.input_activations) ? group.input_activations : undefined;
    if (w.num_bits === 4) {
      if (a?.num_bits === 4) return spec("nvfp4");
      return spec("int4_wo", true);
    }
    if (w.num_bits === 8) return spec(w.strategy === "block" ? "fp8_block" : "fp8");
  }
  return spec("bfloat16");
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
