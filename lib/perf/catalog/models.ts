/**
 * Model catalog: architectures of well-known checkpoints and their quantised variants, by Hugging Face id.
 *
 * Shapes are those of each model's published `config.json` (layers, hidden size, heads, KV heads, head
 * dimension, FFN and expert sizes, vocabulary, MLA ranks, sliding windows); formats follow each checkpoint's
 * quantisation config (`fp8` = per-tensor FP8 as NVIDIA ModelOpt and RedHat/Neural Magic ship it, `fp8_block` =
 * 128×128 block FP8 as Qwen and DeepSeek ship it, `nvfp4` = NVIDIA ModelOpt FP4, `w4a16_mxfp4` = gpt-oss's MXFP4
 * experts, `int4_wo` = Kimi's INT4 experts). Any other model can be given as a path to its `config.json`
 * (`aic_model_path`), see `hf_config.ts`.
 *
 * @module
 */
import { InputError, type InputLocation, suggest } from "../../common/errors.ts";
import type { ModelArch, ModelSpec, MoeArch, QuantSpec } from "./arch.ts";
import type { Sampling } from "../sampling.ts";

const llama = (layers: number, hidden: number, heads: number, ffn: number): ModelArch => ({
  family: "llama",
  layers,
  hidden,
  heads,
  kvHeads: 8,
  headDim: 128,
  ffn,
  vocab: 128256,
  tiedEmbeddings: false,
  qkNorm: false,
  maxContext: 131072,
});

/**
 * Llama-3.3-Nemotron-Super-49B (NAS-pruned from Llama-3.3-70B): 49 of its 80 layers keep their attention, and
 * its 80 FFNs come in six widths (`block_configs`).
 */
const NEMOTRON_SUPER_49B: ModelArch = {
  ...llama(49, 8192, 64, 28672),
  family: "nemotron-nas",
  ffnLayers: 80,
  ffnWidths: [
    { ffn: 28672, layers: 49 },
    { ffn: 17920, layers: 1 },
    { ffn: 14336, layers: 6 },
    { ffn: 7168, layers: 10 },
    { ffn: 5632, layers: 8 },
    { ffn: 2816, layers: 6 },
  ],
};

const qwen3 = (layers: number, hidden: number, heads: number, ffn: number): ModelArch => ({
  family: "qwen3",
  layers,
  hidden,
  heads,
  kvHeads: 8,
  headDim: 128,
  ffn,
  vocab: 151936,
  tiedEmbeddings: false,
  qkNorm: true,
  maxContext: 40960,
});

const qwen3Moe = (layers: number, hidden: number, heads: number, expertFfn: number): ModelArch => ({
  family: "qwen3_moe",
  layers,
  hidden,
  heads,
  kvHeads: 4,
  headDim: 128,
  ffn: hidden * 3,
  vocab: 151936,
  tiedEmbeddings: false,
  qkNorm: true,
  moe: { experts: 128, topK: 8, expertFfn, sharedExperts: 0, sharedFfn: 0, denseLayers: 0 },
  maxContext: 40960,
});

/**
 * Qwen3.5 (and 3.6, the same shapes): three Gated-DeltaNet layers to one full-attention layer whose query
 * projection also gates its output; 256-dim attention heads, 128-dim linear heads, 16 key heads, a float32
 * recurrent state.
 */
const qwen35 = (
  layers: number,
  hidden: number,
  heads: number,
  kvHeads: number,
  vHeads: number,
  ffn: number,
  moe?: MoeArch,
): ModelArch => ({
  family: moe ? "qwen3_5_moe" : "qwen3_5",
  layers,
  hidden,
  heads,
  kvHeads,
  headDim: 256,
  ffn,
  vocab: 248320,
  tiedEmbeddings: false,
  qkNorm: true,
  moe,
  linearAttention: {
    kind: "gated_delta_net",
    layers: layers * 3 / 4,
    kHeads: 16,
    vHeads,
    kHeadDim: 128,
    vHeadDim: 128,
    convKernel: 4,
    stateBytes: 4,
  },
  attnOutputGate: true,
  maxContext: 262144,
});

/** A Qwen3.5 MoE block: every layer routed, one shared expert of the routed experts' size. */
const qwen35Moe = (experts: number, topK: number, expertFfn: number): MoeArch => ({
  experts,
  topK,
  expertFfn,
  sharedExperts: 1,
  sharedFfn: expertFfn,
  denseLayers: 0,
});

/**
 * Nemotron-3 (NVIDIA's Nemotron-H MoE): blocks of one Mamba-2 mixer, one attention mixer or one MoE each, as many
 * Mamba-2 as MoE blocks; 2 KV heads of 128; Mamba-2 heads of 64 in 8 groups with a 128-wide float32 state;
 * ungated squared-ReLU experts beside one shared expert, LatentMoE (`latent`) on the larger models.
 */
const nemotron3 = (
  shape: { mamba: number; attention: number; hidden: number; heads: number; mambaHeads: number },
  moe: Omit<MoeArch, "sharedExperts" | "denseLayers">,
): ModelArch => ({
  family: "nemotron_h",
  layers: shape.mamba + shape.attention,
  ffnLayers: shape.mamba,
  hidden: shape.hidden,
  heads: shape.heads,
  kvHeads: 2,
  headDim: 128,
  ffn: moe.expertFfn,
  vocab: 131072,
  tiedEmbeddings: false,
  qkNorm: false,
  moe: { ...moe, sharedExperts: 1, denseLayers: 0 },
  linearAttention: {
    kind: "mamba2",
    layers: shape.mamba,
    kHeads: 8,
    vHeads: shape.mambaHeads,
    kHeadDim: 128,
    vHeadDim: 64,
    convKernel: 4,
    stateBytes: 4,
  },
  ffnUngated: true,
  maxContext: 262144,
});

const NEMOTRON3_NANO = nemotron3(
  { mamba: 23, attention: 6, hidden: 2688, heads: 32, mambaHeads: 64 },
  { experts: 128, topK: 6, expertFfn: 1856, sharedFfn: 3712 },
);

const NEMOTRON3_SUPER = nemotron3(
  { mamba: 40, attention: 8, hidden: 4096, heads: 32, mambaHeads: 128 },
  { experts: 512, topK: 22, expertFfn: 2688, sharedFfn: 5376, latent: 1024 },
);

const NEMOTRON3_ULTRA = nemotron3(
  { mamba: 48, attention: 12, hidden: 8192, heads: 64, mambaHeads: 256 },
  { experts: 512, topK: 22, expertFfn: 5120, sharedFfn: 10240, latent: 2048 },
);

const deepseekMla = { qLoraRank: 1536, kvLoraRank: 512, qkNopeDim: 128, qkRopeDim: 64, vHeadDim: 128 };

const DEEPSEEK_V3: ModelArch = {
  family: "deepseek_v3",
  layers: 61,
  hidden: 7168,
  heads: 128,
  kvHeads: 128,
  headDim: 192,
  ffn: 18432,
  vocab: 129280,
  tiedEmbeddings: false,
  qkNorm: false,
  moe: { experts: 256, topK: 8, expertFfn: 2048, sharedExperts: 1, sharedFfn: 2048, denseLayers: 3 },
  mla: deepseekMla,
  maxContext: 163840,
};

const KIMI_K25: ModelArch = {
  ...DEEPSEEK_V3,
  family: "kimi_k2",
  heads: 64,
  kvHeads: 64,
  vocab: 163840,
  moe: { experts: 384, topK: 8, expertFfn: 2048, sharedExperts: 1, sharedFfn: 2048, denseLayers: 1 },
  maxContext: 262144,
};

const gptOss = (layers: number, experts: number): ModelArch => ({
  family: "gpt_oss",
  layers,
  hidden: 2880,
  heads: 64,
  kvHeads: 8,
  headDim: 64,
  ffn: 2880,
  vocab: 201088,
  tiedEmbeddings: false,
  qkNorm: false,
  moe: { experts, topK: 4, expertFfn: 2880, sharedExperts: 0, sharedFfn: 0, denseLayers: 0 },
  slidingWindow: { window: 128, layers: layers / 2 },
  maxContext: 131072,
});

const MIXTRAL_8X7B: ModelArch = {
  family: "mixtral",
  layers: 32,
  hidden: 4096,
  heads: 32,
  kvHeads: 8,
  headDim: 128,
  ffn: 14336,
  vocab: 32000,
  tiedEmbeddings: false,
  qkNorm: false,
  moe: { experts: 8, topK: 2, expertFfn: 14336, sharedExperts: 0, sharedFfn: 0, denseLayers: 0 },
  maxContext: 32768,
};

const MINIMAX_M25: ModelArch = {
  family: "minimax_m2",
  layers: 62,
  hidden: 3072,
  heads: 48,
  kvHeads: 8,
  headDim: 128,
  ffn: 1536,
  vocab: 200064,
  tiedEmbeddings: false,
  qkNorm: true,
  moe: { experts: 256, topK: 8, expertFfn: 1536, sharedExperts: 0, sharedFfn: 0, denseLayers: 0 },
  maxContext: 196608,
};

const q = (
  linear: QuantSpec["linear"],
  moe = linear,
  attention = linear,
  kv: QuantSpec["kvCheckpoint"] = null,
) => ({
  linear,
  attention,
  moe,
  kvCheckpoint: kv,
});

/** BF16 checkpoint. */
const BF16 = q("bfloat16");
/** NVIDIA ModelOpt per-tensor FP8 with FP8 KV scales. */
const MODELOPT_FP8 = q("fp8", "fp8", "fp8", "fp8");
/** RedHat / Neural Magic per-tensor FP8. */
const RH_FP8 = q("fp8");
/** 128×128 block FP8 (Qwen, DeepSeek, MiniMax). */
const BLOCK_FP8 = q("fp8_block");
/** NVIDIA ModelOpt NVFP4 on every linear layer, FP8 KV. */
const MODELOPT_FP4 = q("nvfp4", "nvfp4", "nvfp4", "fp8");
/** NVIDIA ModelOpt NVFP4 on the experts only (attention and dense layers left in BF16), FP8 KV. */
const MODELOPT_FP4_EXPERTS = q("bfloat16", "nvfp4", "bfloat16", "fp8");
/**
 * NVIDIA ModelOpt mixed precision (Qwen3.6 "NVFP4"): FP8 attention projections, FP4 weights on BF16 activations
 * in the MLP and experts (priced as the 4-bit weight-only `int4_wo`), FP8 KV.
 */
const MODELOPT_MIXED_W4A16 = q("int4_wo", "int4_wo", "fp8", "fp8");

/**
 * How each family's checkpoints sample a request that sets no sampling parameters, from their
 * `generation_config.json` (see `generationSampling`): Llama 3.x temperature 0.6 / top-p 0.9, Qwen3 top-k 20
 * / top-p 0.95 (0.8 for the 2507 instruct releases; Qwen3.5 alike), DeepSeek-V3/R1 top-p 0.95, MiniMax-M2.5
 * top-k 40 / top-p 0.95; gpt-oss, Mixtral and Kimi-K2.5 ship none (BOS/EOS and length only), so vLLM samples
 * at temperature 1 without a cut. Quantized re-releases copy the original's file. Nemotron-3's file is not on
 * record here, nor is Llama-Nemotron-Super's: they take vLLM's defaults without one, as the last group does.
 */
const GENERATION_SAMPLING: Readonly<Record<string, Sampling>> = {
  llama: "top_k_top_p",
  qwen3: "top_k_top_p",
  qwen3_moe: "top_k_top_p",
  qwen3_5: "top_k_top_p",
  qwen3_5_moe: "top_k_top_p",
  deepseek_v3: "top_k_top_p",
  minimax_m2: "top_k_top_p",
  gpt_oss: "random",
  mixtral: "random",
  kimi_k2: "random",
  nemotron_h: "random",
  "nemotron-nas": "random",
};

/**
 * Families whose checkpoints ship a Python tokenizer and no `tokenizer.json` (Kimi-K2's tiktoken tokenizer,
 * `trust_remote_code`), which vLLM's front end runs slowly (see `TokenizerKind`); every other family is `fast`.
 */
const SLOW_TOKENIZER_FAMILIES: ReadonlySet<string> = new Set(["kimi_k2"]);

const entries: ReadonlyArray<[ModelArch, QuantSpec, string[]]> = [
  [llama(32, 4096, 32, 14336), BF16, [
    "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Llama-3.1-8B",
    "meta-llama/Meta-Llama-3.1-8B-Instruct",
    "meta-llama/Meta-Llama-3.1-8B",
  ]],
  [llama(32, 4096, 32, 14336), MODELOPT_FP8, ["nvidia/Llama-3.1-8B-Instruct-FP8"]],
  [llama(32, 4096, 32, 14336), RH_FP8, [
    "RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8",
    "neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8",
  ]],
  [llama(32, 4096, 32, 14336), MODELOPT_FP4, ["nvidia/Llama-3.1-8B-Instruct-FP4"]],
  [llama(80, 8192, 64, 28672), BF16, [
    "meta-llama/Llama-3.1-70B-Instruct",
    "meta-llama/Llama-3.1-70B",
    "meta-llama/Meta-Llama-3.1-70B-Instruct",
    "meta-llama/Meta-Llama-3.1-70B",
    "meta-llama/Llama-3.3-70B-Instruct",
  ]],
  [llama(80, 8192, 64, 28672), MODELOPT_FP8, [
    "nvidia/Llama-3.1-70B-Instruct-FP8",
    "nvidia/Llama-3.3-70B-Instruct-FP8",
  ]],
  [llama(80, 8192, 64, 28672), RH_FP8, ["RedHatAI/Meta-Llama-3.1-70B-Instruct-FP8"]],
  [llama(80, 8192, 64, 28672), MODELOPT_FP4, ["nvidia/Llama-3.3-70B-Instruct-FP4"]],
  [llama(126, 16384, 128, 53248), BF16, [
    "meta-llama/Llama-3.1-405B-Instruct",
    "meta-llama/Llama-3.1-405B",
    "meta-llama/Meta-Llama-3.1-405B-Instruct",
    "meta-llama/Meta-Llama-3.1-405B",
  ]],
  [llama(126, 16384, 128, 53248), MODELOPT_FP8, ["nvidia/Llama-3.1-405B-Instruct-FP8"]],
  [llama(126, 16384, 128, 53248), MODELOPT_FP4, ["nvidia/Llama-3.1-405B-Instruct-FP4"]],
  [NEMOTRON_SUPER_49B, BF16, ["nvidia/Llama-3_3-Nemotron-Super-49B-v1"]],
  [qwen3(36, 4096, 32, 12288), BF16, ["Qwen/Qwen3-8B"]],
  [qwen3(36, 4096, 32, 12288), BLOCK_FP8, ["Qwen/Qwen3-8B-FP8"]],
  [qwen3(36, 4096, 32, 12288), MODELOPT_FP4, ["nvidia/Qwen3-8B-FP4"]],
  [qwen3(64, 5120, 64, 25600), BF16, ["Qwen/Qwen3-32B"]],
  [qwen3(64, 5120, 64, 25600), BLOCK_FP8, ["Qwen/Qwen3-32B-FP8"]],
  [qwen3(64, 5120, 64, 25600), MODELOPT_FP8, ["Qwen/Qwen3-32B-FP8-Static-PerTensor"]],
  [qwen3(64, 5120, 64, 25600), MODELOPT_FP4, ["nvidia/Qwen3-32B-FP4"]],
  [qwen3Moe(48, 2048, 32, 768), BF16, ["Qwen/Qwen3-30B-A3B", "Qwen/Qwen3-30B-A3B-Instruct-2507"]],
  [qwen3Moe(48, 2048, 32, 768), BLOCK_FP8, [
    "Qwen/Qwen3-30B-A3B-FP8",
    "Qwen/Qwen3-30B-A3B-Instruct-2507-FP8",
  ]],
  [qwen3Moe(48, 2048, 32, 768), MODELOPT_FP4, ["nvidia/Qwen3-30B-A3B-FP4"]],
  [qwen3Moe(94, 4096, 64, 1536), BF16, ["Qwen/Qwen3-235B-A22B", "Qwen/Qwen3-235B-A22B-Instruct-2507"]],
  [qwen3Moe(94, 4096, 64, 1536), BLOCK_FP8, [
    "Qwen/Qwen3-235B-A22B-FP8",
    "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
  ]],
  [qwen3Moe(94, 4096, 64, 1536), MODELOPT_FP4, [
    "nvidia/Qwen3-235B-A22B-NVFP4",
    "nvidia/Qwen3-235B-A22B-FP4",
  ]],
  [qwen35(64, 5120, 24, 4, 48, 17408), BF16, ["Qwen/Qwen3.5-27B", "Qwen/Qwen3.6-27B"]],
  [qwen35(64, 5120, 24, 4, 48, 17408), MODELOPT_MIXED_W4A16, ["nvidia/Qwen3.6-27B-NVFP4"]],
  [qwen35(40, 2048, 16, 2, 32, 512, qwen35Moe(256, 8, 512)), BF16, [
    "Qwen/Qwen3.5-35B-A3B",
    "Qwen/Qwen3.6-35B-A3B",
  ]],
  [qwen35(40, 2048, 16, 2, 32, 512, qwen35Moe(256, 8, 512)), MODELOPT_MIXED_W4A16, [
    "nvidia/Qwen3.6-35B-A3B-NVFP4",
  ]],
  [qwen35(48, 3072, 32, 2, 64, 1024, qwen35Moe(256, 8, 1024)), BF16, ["Qwen/Qwen3.5-122B-A10B"]],
  [qwen35(48, 3072, 32, 2, 64, 1024, qwen35Moe(256, 8, 1024)), MODELOPT_FP4_EXPERTS, [
    "nvidia/Qwen3.5-122B-A10B-NVFP4",
  ]],
  [qwen35(60, 4096, 32, 2, 64, 1024, qwen35Moe(512, 10, 1024)), BF16, ["Qwen/Qwen3.5-397B-A17B"]],
  [qwen35(60, 4096, 32, 2, 64, 1024, qwen35Moe(512, 10, 1024)), MODELOPT_FP4_EXPERTS, [
    "nvidia/Qwen3.5-397B-A17B-NVFP4",
  ]],
  [NEMOTRON3_NANO, BF16, ["nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16"]],
  [NEMOTRON3_NANO, MODELOPT_FP4, ["nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-NVFP4"]],
  [NEMOTRON3_SUPER, MODELOPT_FP8, ["nvidia/NVIDIA-Nemotron-3-Super-120B-A12B-FP8"]],
  [NEMOTRON3_SUPER, MODELOPT_FP4, ["nvidia/NVIDIA-Nemotron-3-Super-120B-A12B-NVFP4"]],
  [NEMOTRON3_ULTRA, BF16, ["nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B-BF16"]],
  [NEMOTRON3_ULTRA, MODELOPT_FP8, ["nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B-FP8"]],
  [NEMOTRON3_ULTRA, MODELOPT_FP4, ["nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B-NVFP4"]],
  [DEEPSEEK_V3, BLOCK_FP8, [
    "deepseek-ai/DeepSeek-V3",
    "deepseek-ai/DeepSeek-V3-0324",
    "deepseek-ai/DeepSeek-R1",
    "deepseek-ai/DeepSeek-R1-0528",
  ]],
  [DEEPSEEK_V3, MODELOPT_FP4_EXPERTS, [
    "nvidia/DeepSeek-R1-FP4",
    "nvidia/DeepSeek-R1-0528-FP4",
    "nvidia/DeepSeek-V3-0324-FP4",
  ]],
  [gptOss(24, 32), q("bfloat16", "w4a16_mxfp4"), ["openai/gpt-oss-20b"]],
  [gptOss(36, 128), q("bfloat16", "w4a16_mxfp4"), ["openai/gpt-oss-120b"]],
  [MIXTRAL_8X7B, BF16, ["mistralai/Mixtral-8x7B-Instruct-v0.1", "mistralai/Mixtral-8x7B-v0.1"]],
  [MIXTRAL_8X7B, RH_FP8, [
    "RedHatAI/Mixtral-8x7B-Instruct-v0.1-FP8",
    "neuralmagic/Mixtral-8x7B-Instruct-v0.1-FP8",
  ]],
  [MINIMAX_M25, BLOCK_FP8, ["MiniMaxAI/MiniMax-M2.5"]],
  [MINIMAX_M25, MODELOPT_FP4_EXPERTS, ["nvidia/MiniMax-M2.5-NVFP4"]],
  [KIMI_K25, q("bfloat16", "int4_wo"), ["moonshotai/Kimi-K2.5"]],
  [KIMI_K25, MODELOPT_FP4_EXPERTS, ["nvidia/Kimi-K2.5-NVFP4"]],
];

/** Every catalog model by HF id (each alias is a key and its spec's `id`; aliases share `arch` and `quant`). */
export const MODELS: Readonly<Record<string, ModelSpec>> = Object.fromEntries(
  entries.flatMap(([arch, quant, ids]) =>
    ids.map((id): [string, ModelSpec] => [id, {
      id,
      arch,
      quant,
      sampling: GENERATION_SAMPLING[arch.family],
      tokenizer: SLOW_TOKENIZER_FAMILIES.has(arch.family) ? "slow" : "fast",
    }])
  ),
);

/** Every catalog HF id, sorted. */
export const MODEL_IDS: readonly string[] = Object.keys(MODELS).sort();

const byLowerId = new Map(MODEL_IDS.map((id) => [id.toLowerCase(), MODELS[id]]));

/** The catalog model for an HF id (case-insensitive), if any. */
export function findModel(id: string): ModelSpec | undefined {
  return byLowerId.get(id.trim().toLowerCase());
}

/**
 * The catalog model for an HF id, or an {@link InputError} that lists the catalog and says how to pass a
 * `config.json`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { catalogModel } from "./models.ts";
 * assert(catalogModel("Qwen/Qwen3-32B-FP8").quant.linear === "fp8_block");
 * ```
 */
export function catalogModel(id: string, at: InputLocation = {}): ModelSpec {
  const m = findModel(id);
  if (m) return m;
  const hint = suggest(id, MODEL_IDS);
  throw new InputError(
    `unknown model "${id}"` + (hint ? ` (did you mean ${hint}?)` : "") +
      `; give a catalog id (${MODEL_IDS.join(", ")}) or the path of the model's HF config.json ` +
      `(a file ending in .json, or a directory holding config.json)`,
    at,
  );
}
