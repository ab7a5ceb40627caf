/**
 * Reading a Hugging Face `config.json` (already parsed) into a {@link ModelSpec}: the shapes the perf models need,
 * the checkpoint's weight formats from `quantization_config` (or a ModelOpt `hf_quant_config.json`) and its
 * default sampling from `generation_config.json`, and its tokenizer kind from the tokenizer files beside it.
 *
 * Pure: the caller reads the files (see `loadHfModel` in `inputs.ts`).
 *
 * @module
 */
import { InputError, type InputLocation, shown } from "../../common/errors.ts";
import { isObject, type Json } from "../../common/json.ts";
import type { LinearAttentionArch, MlaArch, ModelArch, ModelSpec, MoeArch } from "./arch.ts";
import { quantFrom } from "./hf_quant.ts";
import { nasBlocks } from "./hf_nas.ts";
import { attentionFrom, type IntField, windowedAttention } from "./hf_attention.ts";
import { generationSampling } from "../sampling.ts";
import type { TokenizerKind } from "../frontend.ts";

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
 * Keys a `config.json` may leave to its transformers config class, by `model_type`, where the class's default
 * is not the usual one (untied embeddings): Gemma ties its embeddings, and Gemma 3's text config (which
 * google/gemma-3-27b-it's omits) has a vocabulary of 262,208.
 */
const CLASS_DEFAULTS: Readonly<Record<string, Json>> = {
  gemma: { tie_word_embeddings: true },
  gemma2: { tie_word_embeddings: true },
  gemma3_text: { tie_word_embeddings: true, vocab_size: 262_208 },
};

/**
 * Build a model spec from a parsed `config.json` and the files beside it. Multimodal configs are read through
 * their `text_config`; keys left to the config class take its defaults where they are unusual.
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
  const merged = isObject(config.text_config) ? { ...config, ...config.text_config } : config;
  const c: Json = { ...CLASS_DEFAULTS[String(merged.model_type)], ...merged };
  checkLayerKinds(c, at);
  const int = (key: string, fallback?: number): number => {
    const v = c[key];
    if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
    if (v == null && fallback !== undefined) return fallback;
    throw new InputError(`needs a non-negative integer (got ${shown(v)})`, { ...at, field: key });
  };
  // Sizes a layer is built from.
  const size = (key: string, fallback?: number): number => {
    const v = int(key, fallback);
    if (v > 0) return v;
    throw new InputError(`needs a positive integer (got ${shown(c[key] ?? v)})`, { ...at, field: key });
  };
  const blocks = hybridBlocks(c, at);
  const stated = blocks ? 0 : int("num_hidden_layers");
  if (!blocks && Array.isArray(c.layer_types) && c.layer_types.length !== stated) {
    throw new InputError(
      `has ${c.layer_types.length} entries; valid: one per layer (num_hidden_layers ${stated})`,
      { ...at, field: "layer_types" },
    );
  }
  const hidden = int("hidden_size");
  const heads = int("num_attention_heads");
  const nas = nasBlocks(c, heads, hidden, at);
  // Nemotron-H and NAS models: the mixer (attention) blocks are the layers; FFN blocks are counted apart
  // (`ffnLayers`).
  const layers = blocks ? blocks.mamba + blocks.attention : nas ? nas.attention : stated;
  const family = typeof c.model_type === "string" ? c.model_type : "unknown";
  const llama4 = family.startsWith("llama4");
  const expertsKey = EXPERT_COUNT_KEYS.find((k) => c[k] != null);
  if (!expertsKey) checkExpertKeys(c, at);
  const experts = expertsKey ? int(expertsKey) : 0;
  let moe: MoeArch | undefined;
  if (experts > 0 && nas) {
    throw new InputError("per-layer block configs with routed experts are not modelled", {
      ...at,
      field: "block_configs",
    });
  }
  if (experts > 0) {
    // Llama 4's MoE layers run one shared expert of the routed experts' size beside them; Gemma 4's run their
    // dense MLP beside them (`enable_moe_block`), a shared expert of `intermediate_size`.
    const denseBeside = c.enable_moe_block === true;
    const shared = int(
      "n_shared_experts",
      c.shared_expert_intermediate_size || llama4 || denseBeside ? 1 : 0,
    );
    // Models whose every layer is MoE (Qwen3.5-MoE) may state no dense `intermediate_size`.
    const expertFfn = c.moe_intermediate_size != null
      ? size("moe_intermediate_size")
      : size("expert_intermediate_size", size("intermediate_size"));
    const latent = int("moe_latent_size", 0);
    const topKKey = c.num_experts_per_tok == null && c.top_k_experts != null
      ? "top_k_experts"
      : "num_experts_per_tok";
    const topK = int(topKKey);
    if (topK < 1 || topK > experts) {
      throw new InputError(`is ${topK}; valid: 1 to ${experts}, the ${expertsKey}`, {
        ...at,
        field: topKKey,
      });
    }
    moe = {
      experts,
      topK,
      expertFfn,
      sharedExperts: shared,
      sharedFfn: denseBeside ? int("intermediate_size") : int(
        "shared_expert_intermediate_size",
        int("moe_shared_expert_intermediate_size", expertFfn),
      ),
      denseLayers: blocks ? blocks.mlp : layers - moeLayerCount(c, layers, int, at),
      ...(latent > 0 ? { latent } : {}),
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
  const attention = mla
    ? {
      kvHeads: heads,
      headDim: mla.qkNopeDim + mla.qkRopeDim,
      slidingWindow: windowedAttention(c, layers, int, llama4),
    }
    : attentionFrom(c, int, { layers, heads, hidden, llama4, kvHeads: nas?.kvHeads }, at);
  const linear = blocks ? mamba2(c, blocks.mamba, int) : linearAttention(c, layers, int);
  if (layers === 0 || hidden === 0 || heads === 0) {
    throw new InputError("num_hidden_layers, hidden_size and num_attention_heads must be positive", at);
  }
  const arch: ModelArch = {
    family,
    layers,
    hidden,
    heads,
    ...attention,
    // Llama 4 states its dense layers' FFN apart from the experts'; NAS models size each layer's.
    ffn: nas
      ? nas.ffnWidths[0]?.ffn ?? 0
      : size("intermediate_size_mlp", size("intermediate_size", moe ? moe.expertFfn : 4 * hidden)),
    vocab: size("vocab_size"),
    tiedEmbeddings: c.tie_word_embeddings === true,
    qkNorm: c.use_qk_norm === true || /^(qwen3(_moe|_next|_5.*)?|gemma[34](_text)?)$/.test(family),
    moe,
    mla,
    linearAttention: linear,
    attnOutputGate: c.attn_output_gate === true || family === "qwen3_next" || undefined,
    ffnLayers: blocks
      ? blocks.mlp + blocks.moe
      : nas
      ? nas.ffnWidths.reduce((sum, g) => sum + g.layers, 0)
      : undefined,
    ffnWidths: nas?.ffnWidths,
    // Nemotron-H's FFNs and experts are `up → relu² → down` (its `mlp_hidden_act`, relu2 by default).
    ffnUngated: blocks && (c.mlp_hidden_act ?? "relu2") === "relu2" || undefined,
    maxContext: int("max_position_embeddings", 131072),
  };
  return {
    id,
    arch,
    quant: quantFrom(c, companions.quant, arch),
    sampling: generationSampling(companions.generation),
    tokenizer: companions.tokenizer ?? "fast",
  };
}

/** The fields that state a config's routed experts, as the modelling code reads them. */
const EXPERT_COUNT_KEYS = ["num_local_experts", "num_experts", "n_routed_experts"];

/**
 * Refuse a config that states routed experts only in a field dynolab does not read (ERNIE 4.5's
 * `moe_num_experts`, with its `moe_k` and `moe_layer_start_index`), which would otherwise pass as a dense
 * model: any other non-zero field named `…experts` (shared-expert counts aside).
 */
function checkExpertKeys(c: Json, at: InputLocation): void {
  const field = Object.keys(c).find((k) =>
    /(^|_)experts$/.test(k) && !/shared/.test(k) && c[k] != null && c[k] !== 0 &&
    !(Array.isArray(c[k]) && (c[k] as unknown[]).length === 0)
  );
  if (field) {
    const value = shown(c[field]);
    throw new InputError(
      `is ${value}: routed experts stated in this field (as ERNIE 4.5 states them, with moe_k) are not ` +
        "modelled; valid: num_local_experts, num_experts or n_routed_experts, with num_experts_per_tok",
      { ...at, field },
    );
  }
}

/** The block counts of a Nemotron-H model, each block one mixer (Mamba-2 or attention) or one FFN / MoE. */
interface HybridBlocks {
  readonly mamba: number;
  readonly attention: number;
  readonly mlp: number;
  readonly moe: number;
}

/** Nemotron-H's block kinds by their `hybrid_override_pattern` letter and their `layers_block_type` name. */
const BLOCK_KINDS: Readonly<Record<string, keyof HybridBlocks>> = {
  M: "mamba",
  "*": "attention",
  "-": "mlp",
  E: "moe",
  mamba: "mamba",
  attention: "attention",
  mlp: "mlp",
  moe: "moe",
};

/**
 * Nemotron-H's blocks, from `layers_block_type` (`"mamba"`, `"attention"`, `"mlp"`, `"moe"`) or
 * `hybrid_override_pattern` (`M`, `*`, `-`, `E`); undefined for configs with neither. It needs an attention
 * block: the KV pool is sized by them.
 */
function hybridBlocks(c: Json, at: InputLocation): HybridBlocks | undefined {
  const field = Array.isArray(c.layers_block_type)
    ? "layers_block_type"
    : typeof c.hybrid_override_pattern === "string"
    ? "hybrid_override_pattern"
    : undefined;
  if (!field) return undefined;
  const kinds: unknown[] = field === "layers_block_type"
    ? c.layers_block_type as unknown[]
    : [...c.hybrid_override_pattern as string];
  const counts = { mamba: 0, attention: 0, mlp: 0, moe: 0 };
  kinds.forEach((k, i) => {
    const kind = typeof k === "string" && Object.hasOwn(BLOCK_KINDS, k) ? BLOCK_KINDS[k] : undefined;
    if (!kind) {
      const valid = field === "layers_block_type" ? '"mamba", "attention", "mlp", "moe"' : "M, *, -, E";
      throw new InputError(`block ${i} is ${JSON.stringify(k)}; valid: ${valid}`, { ...at, field });
    }
    counts[kind]++;
  });
  if (counts.attention === 0) {
    throw new InputError("has no attention block; dynolab sizes the KV pool by them", { ...at, field });
  }
  return counts;
}

/**
 * Nemotron-H's Mamba-2 mixers on `n` blocks, read onto the linear-attention shape (see `LinearAttentionArch`):
 * `n_groups` B/C groups of `ssm_state_size`, `mamba_num_heads` heads of `mamba_head_dim`. The state is float32
 * when `mamba_ssm_cache_dtype` says so (vLLM follows it), else BF16.
 */
function mamba2(c: Json, n: number, int: IntField): LinearAttentionArch | undefined {
  if (n === 0) return undefined;
  return {
    kind: "mamba2",
    layers: n,
    kHeads: int("n_groups", 1),
    vHeads: int("mamba_num_heads"),
    kHeadDim: int("ssm_state_size"),
    vHeadDim: int("mamba_head_dim"),
    convKernel: int("conv_kernel", 4),
    stateBytes: c.mamba_ssm_cache_dtype === "float32" ? 4 : 2,
  };
}

/**
 * MoE layers of a config with routed experts, as the modelling code places them: from `first_k_dense_replace`
 * on (DeepSeek, GLM), every `moe_layer_freq`-th (DeepSeek), every `decoder_sparse_step`-th counting from 1 and
 * not in `mlp_only_layers` (Qwen2/Qwen3-MoE), every `interleave_moe_layer_step`-th (Llama 4), or the layers
 * `moe_layers` lists, or those a per-layer `moe_layer_freq` list flags (MiniMax-M3, MiMo-V2).
 */
function moeLayerCount(c: Json, layers: number, int: IntField, at: InputLocation): number {
  if (Array.isArray(c.moe_layers)) {
    return new Set(c.moe_layers.filter((i) => Number.isInteger(i) && i >= 0 && i < layers)).size;
  }
  // MiniMax-M3 and MiMo-V2 flag each layer instead.
  if (Array.isArray(c.moe_layer_freq)) return c.moe_layer_freq.slice(0, layers).filter(Boolean).length;
  const positive = (key: string) => {
    const v = int(key, 1);
    if (v === 0) throw new InputError("needs a positive integer (got 0)", { ...at, field: key });
    return v;
  };
  const firstK = int("first_k_dense_replace", 0), freq = positive("moe_layer_freq");
  const step = c.interleave_moe_layer_step != null
    ? positive("interleave_moe_layer_step")
    : positive("decoder_sparse_step");
  const dense = new Set(Array.isArray(c.mlp_only_layers) ? c.mlp_only_layers : []);
  let count = 0;
  for (let i = firstK; i < layers; i++) {
    if (i % freq === 0 && (i + 1) % step === 0 && !dense.has(i)) count++;
  }
  return count;
}

/**
 * The attention layer kinds dynolab prices, as `layer_types` names them. DeepSeek's sparse attention (GLM-5)
 * is priced as full attention, as `deepseek_v32` models are: it keeps every token's KV, and dense attention
 * bounds its kernel time from above.
 */
const LAYER_TYPES = [
  "full_attention",
  "deepseek_sparse_attention",
  "sliding_attention",
  "chunked_attention",
  "linear_attention",
];

/** Reject layer kinds the perf model cannot price, which would otherwise pass as attention layers. */
function checkLayerKinds(c: Json, at: InputLocation): void {
  const unsupported = (field: string, what: string) => {
    throw new InputError(
      `${what} are not modelled: dynolab prices transformer layers (full, sliding-window, chunked and ` +
        "Gated-DeltaNet linear attention; dense or MoE FFN), Nemotron-H's Mamba-2 blocks and NAS-pruned " +
        "Llama-Nemotron blocks only",
      { ...at, field },
    );
  };
  if (isObject(c.linear_attn_config)) {
    unsupported("linear_attn_config", "Kimi Linear's KDA layers (Kimi Delta Attention)");
  }
  const gemmaNano = [
    ["hidden_size_per_layer_input", (c.hidden_size_per_layer_input as number) > 0],
    ["num_kv_shared_layers", (c.num_kv_shared_layers as number) > 0],
    ["use_double_wide_mlp", c.use_double_wide_mlp === true],
  ].find(([, on]) => on);
  if (gemmaNano) {
    unsupported(
      gemmaNano[0] as string,
      "Gemma 4 E2B/E4B's per-layer embeddings, shared KV layers and double-wide MLPs",
    );
  }
  if (c.compress_ratios != null) {
    unsupported("compress_ratios", "DeepSeek-V4's compressed sparse attention layers");
  }
  if (Array.isArray(c.attn_type_list)) {
    // MiniMax-M1 / MiniMax-Text-01: 0 marks a lightning (linear) attention layer, 1 a softmax one (MiniMax-M2
    // states all 1s).
    const linear = c.attn_type_list.findIndex((t) => t === 0);
    if (linear >= 0) {
      unsupported(
        "attn_type_list",
        `layer ${linear}'s lightning attention layers (MiniMax-M1, MiniMax-Text-01)`,
      );
    }
  }
  if (c.attn_layer_period != null) {
    unsupported(
      "attn_layer_period",
      "Jamba's Mamba layers (attention on every attn_layer_period-th layer only)",
    );
  }
  const nemotronH = Array.isArray(c.layers_block_type) || typeof c.hybrid_override_pattern === "string";
  const mamba = ["mamba_d_ssm", "mamba_d_state"].find((k) => c[k] != null);
  if (mamba && !nemotronH) {
    unsupported(mamba, "Mamba mixers outside Nemotron-H's block pattern (Falcon-H1, Bamba, Granite 4.0-H)");
  }
  if (Array.isArray(c.layer_types)) {
    const odd = c.layer_types.findIndex((t) => !LAYER_TYPES.includes(t));
    if (odd >= 0) {
      unsupported(
        "layer_types",
        `layer ${odd}'s ${
          JSON.stringify(c.layer_types[odd])
        } layers (Mamba, convolution or another kind of linear attention)`,
      );
    }
  }
}

/**
 * Gated-DeltaNet linear-attention layers (Qwen3-Next, Qwen3.5/3.6): those `layer_types` names
 * `linear_attention`, or, without `layer_types`, all but every `full_attention_interval`-th layer (4) when the
 * config states `linear_num_value_heads`. The recurrent state is float32 when `mamba_ssm_dtype` says so (vLLM
 * follows it), else BF16.
 */
function linearAttention(c: Json, layers: number, int: IntField): LinearAttentionArch | undefined {
  const n = Array.isArray(c.layer_types)
    ? c.layer_types.filter((t) => t === "linear_attention").length
    : c.linear_num_value_heads != null
    ? layers - Math.floor(layers / Math.max(1, int("full_attention_interval", 4)))
    : 0;
  if (n === 0) return undefined;
  return {
    kind: "gated_delta_net",
    layers: n,
    kHeads: int("linear_num_key_heads"),
    vHeads: int("linear_num_value_heads"),
    kHeadDim: int("linear_key_head_dim"),
    vHeadDim: int("linear_value_head_dim"),
    convKernel: int("linear_conv_kernel_dim", 4),
    stateBytes: c.mamba_ssm_dtype === "float32" ? 4 : 2,
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
