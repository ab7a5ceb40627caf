/**
 * The architectures of the model catalog (`models.ts`), one constant per published shape, as each model's
 * `config.json` states it (layers, hidden size, heads, KV heads, head dimension, FFN and expert sizes,
 * vocabulary, MLA ranks, sliding windows).
 *
 * @module
 */
import type { ModelArch, MoeArch } from "./arch.ts";

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

/** Llama-3.1-8B. */
export const LLAMA31_8B: ModelArch = llama(32, 4096, 32, 14336);
/** Llama-3.1-70B (and Llama-3.3-70B). */
export const LLAMA31_70B: ModelArch = llama(80, 8192, 64, 28672);
/** Llama-3.1-405B. */
export const LLAMA31_405B: ModelArch = llama(126, 16384, 128, 53248);

/**
 * Llama-3.3-Nemotron-Super-49B (NAS-pruned from Llama-3.3-70B): 49 of its 80 layers keep their attention, and
 * its 80 FFNs come in six widths (`block_configs`).
 */
export const NEMOTRON_SUPER_49B: ModelArch = {
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

/** Qwen3-8B. */
export const QWEN3_8B: ModelArch = qwen3(36, 4096, 32, 12288);
/** Qwen3-32B. */
export const QWEN3_32B: ModelArch = qwen3(64, 5120, 64, 25600);

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

/** Qwen3-30B-A3B. */
export const QWEN3_30B_A3B: ModelArch = qwen3Moe(48, 2048, 32, 768);
/** Qwen3-235B-A22B. */
export const QWEN3_235B_A22B: ModelArch = qwen3Moe(94, 4096, 64, 1536);

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

/** Qwen3.5-27B (and Qwen3.6-27B). */
export const QWEN35_27B: ModelArch = qwen35(64, 5120, 24, 4, 48, 17408);
/** Qwen3.5-35B-A3B (and Qwen3.6-35B-A3B). */
export const QWEN35_35B_A3B: ModelArch = qwen35(40, 2048, 16, 2, 32, 512, qwen35Moe(256, 8, 512));
/** Qwen3.5-122B-A10B. */
export const QWEN35_122B_A10B: ModelArch = qwen35(48, 3072, 32, 2, 64, 1024, qwen35Moe(256, 8, 1024));
/** Qwen3.5-397B-A17B. */
export const QWEN35_397B_A17B: ModelArch = qwen35(60, 4096, 32, 2, 64, 1024, qwen35Moe(512, 10, 1024));

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

/** Nemotron-3 Nano 30B-A3B. */
export const NEMOTRON3_NANO: ModelArch = nemotron3(
  { mamba: 23, attention: 6, hidden: 2688, heads: 32, mambaHeads: 64 },
  { experts: 128, topK: 6, expertFfn: 1856, sharedFfn: 3712 },
);

/** Nemotron-3 Super 120B-A12B. */
export const NEMOTRON3_SUPER: ModelArch = nemotron3(
  { mamba: 40, attention: 8, hidden: 4096, heads: 32, mambaHeads: 128 },
  { experts: 512, topK: 22, expertFfn: 2688, sharedFfn: 5376, latent: 1024 },
);

/** Nemotron-3 Ultra 550B-A55B. */
export const NEMOTRON3_ULTRA: ModelArch = nemotron3(
  { mamba: 48, attention: 12, hidden: 8192, heads: 64, mambaHeads: 256 },
  { experts: 512, topK: 22, expertFfn: 5120, sharedFfn: 10240, latent: 2048 },
);

const deepseekMla = { qLoraRank: 1536, kvLoraRank: 512, qkNopeDim: 128, qkRopeDim: 64, vHeadDim: 128 };

/** DeepSeek-V3 and R1: MLA, 256 routed experts and one shared, 3 leading dense layers. */
export const DEEPSEEK_V3: ModelArch = {
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

/** Kimi-K2.5: DeepSeek-V3's shape with 64 heads, 384 experts and one leading dense layer. */
export const KIMI_K25: ModelArch = {
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

/** gpt-oss-20b. */
export const GPT_OSS_20B: ModelArch = gptOss(24, 32);
/** gpt-oss-120b. */
export const GPT_OSS_120B: ModelArch = gptOss(36, 128);

/** Mixtral-8x7B. */
export const MIXTRAL_8X7B: ModelArch = {
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

/** MiniMax-M2.5. */
export const MINIMAX_M25: ModelArch = {
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
