/**
 * Model catalog: architectures of well-known checkpoints and their quantised variants, by Hugging Face id.
 *
 * Shapes are those of each model's published `config.json` (`architectures.ts`); formats follow each checkpoint's
 * quantisation config (`fp8` = per-tensor FP8 as NVIDIA ModelOpt and RedHat/Neural Magic ship it, `fp8_block` =
 * 128×128 block FP8 as Qwen and DeepSeek ship it, `nvfp4` = NVIDIA ModelOpt FP4, `w4a16_mxfp4` = gpt-oss's MXFP4
 * experts, `int4_wo` = Kimi's INT4 experts). Any other model can be given as a path to its `config.json`
 * (`aic_model_path`), see `hf_config.ts`.
 *
 * @module
 */
import { InputError, type InputLocation, suggest } from "../../common/errors.ts";
import type { ModelArch, ModelSpec, QuantSpec } from "./arch.ts";
import {
  DEEPSEEK_V3,
  GPT_OSS_120B,
  GPT_OSS_20B,
  KIMI_K25,
  LLAMA31_405B,
  LLAMA31_70B,
  LLAMA31_8B,
  MINIMAX_M25,
  MIXTRAL_8X7B,
  NEMOTRON3_NANO,
  NEMOTRON3_SUPER,
  NEMOTRON3_ULTRA,
  NEMOTRON_SUPER_49B,
  QWEN35_122B_A10B,
  QWEN35_27B,
  QWEN35_35B_A3B,
  QWEN35_397B_A17B,
  QWEN3_235B_A22B,
  QWEN3_30B_A3B,
  QWEN3_32B,
  QWEN3_8B,
} from "./architectures.ts";
import type { Sampling } from "../sampling.ts";

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
 * NVIDIA ModelOpt NVFP4 on the dense layers, shared and routed experts, attention left in BF16, FP8 KV
 * (Kimi-K2.5 NVFP4: its `quantization_config` ignores `self_attn*`, the LM head and the vision modules only).
 */
const MODELOPT_FP4_BF16_ATTN = q("nvfp4", "nvfp4", "bfloat16", "fp8");
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
  [LLAMA31_8B, BF16, [
    "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Llama-3.1-8B",
    "meta-llama/Meta-Llama-3.1-8B-Instruct",
    "meta-llama/Meta-Llama-3.1-8B",
  ]],
  [LLAMA31_8B, MODELOPT_FP8, ["nvidia/Llama-3.1-8B-Instruct-FP8"]],
  [LLAMA31_8B, RH_FP8, [
    "RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8",
    "neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8",
  ]],
  [LLAMA31_8B, MODELOPT_FP4, ["nvidia/Llama-3.1-8B-Instruct-FP4"]],
  [LLAMA31_70B, BF16, [
    "meta-llama/Llama-3.1-70B-Instruct",
    "meta-llama/Llama-3.1-70B",
    "meta-llama/Meta-Llama-3.1-70B-Instruct",
    "meta-llama/Meta-Llama-3.1-70B",
    "meta-llama/Llama-3.3-70B-Instruct",
  ]],
  [LLAMA31_70B, MODELOPT_FP8, [
    "nvidia/Llama-3.1-70B-Instruct-FP8",
    "nvidia/Llama-3.3-70B-Instruct-FP8",
  ]],
  [LLAMA31_70B, RH_FP8, ["RedHatAI/Meta-Llama-3.1-70B-Instruct-FP8"]],
  [LLAMA31_70B, MODELOPT_FP4, ["nvidia/Llama-3.3-70B-Instruct-FP4"]],
  [LLAMA31_405B, BF16, [
    "meta-llama/Llama-3.1-405B-Instruct",
    "meta-llama/Llama-3.1-405B",
    "meta-llama/Meta-Llama-3.1-405B-Instruct",
    "meta-llama/Meta-Llama-3.1-405B",
  ]],
  [LLAMA31_405B, MODELOPT_FP8, ["nvidia/Llama-3.1-405B-Instruct-FP8"]],
  [LLAMA31_405B, MODELOPT_FP4, ["nvidia/Llama-3.1-405B-Instruct-FP4"]],
  [NEMOTRON_SUPER_49B, BF16, ["nvidia/Llama-3_3-Nemotron-Super-49B-v1"]],
  [QWEN3_8B, BF16, ["Qwen/Qwen3-8B"]],
  [QWEN3_8B, BLOCK_FP8, ["Qwen/Qwen3-8B-FP8"]],
  [QWEN3_8B, MODELOPT_FP4, ["nvidia/Qwen3-8B-FP4"]],
  [QWEN3_32B, BF16, ["Qwen/Qwen3-32B"]],
  [QWEN3_32B, BLOCK_FP8, ["Qwen/Qwen3-32B-FP8"]],
  [QWEN3_32B, MODELOPT_FP8, ["Qwen/Qwen3-32B-FP8-Static-PerTensor"]],
  [QWEN3_32B, MODELOPT_FP4, ["nvidia/Qwen3-32B-FP4"]],
  [QWEN3_30B_A3B, BF16, ["Qwen/Qwen3-30B-A3B", "Qwen/Qwen3-30B-A3B-Instruct-2507"]],
  [QWEN3_30B_A3B, BLOCK_FP8, [
    "Qwen/Qwen3-30B-A3B-FP8",
    "Qwen/Qwen3-30B-A3B-Instruct-2507-FP8",
  ]],
  [QWEN3_30B_A3B, MODELOPT_FP4, ["nvidia/Qwen3-30B-A3B-FP4"]],
  [QWEN3_235B_A22B, BF16, ["Qwen/Qwen3-235B-A22B", "Qwen/Qwen3-235B-A22B-Instruct-2507"]],
  [QWEN3_235B_A22B, BLOCK_FP8, [
    "Qwen/Qwen3-235B-A22B-FP8",
    "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
  ]],
  [QWEN3_235B_A22B, MODELOPT_FP4, [
    "nvidia/Qwen3-235B-A22B-NVFP4",
    "nvidia/Qwen3-235B-A22B-FP4",
  ]],
  [QWEN35_27B, BF16, ["Qwen/Qwen3.5-27B", "Qwen/Qwen3.6-27B"]],
  [QWEN35_27B, MODELOPT_MIXED_W4A16, ["nvidia/Qwen3.6-27B-NVFP4"]],
  [QWEN35_35B_A3B, BF16, [
    "Qwen/Qwen3.5-35B-A3B",
    "Qwen/Qwen3.6-35B-A3B",
  ]],
  [QWEN35_35B_A3B, MODELOPT_MIXED_W4A16, [
    "nvidia/Qwen3.6-35B-A3B-NVFP4",
  ]],
  [QWEN35_122B_A10B, BF16, ["Qwen/Qwen3.5-122B-A10B"]],
  [QWEN35_122B_A10B, MODELOPT_FP4_EXPERTS, [
    "nvidia/Qwen3.5-122B-A10B-NVFP4",
  ]],
  [QWEN35_397B_A17B, BF16, ["Qwen/Qwen3.5-397B-A17B"]],
  [QWEN35_397B_A17B, MODELOPT_FP4_EXPERTS, [
    "nvidia/Qwen3.5-397B-A17B-NVFP4",
  ]],
  [NEMOTRON3_NANO, BF16, ["nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16"]],
  // Its attention layers and the 6 Mamba mixers before them stay BF16, 36% of the weights the attention format
  // stands for (the other 17 Mamba mixers are NVFP4): priced NVFP4, as `quantFrom` reads its quant file.
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
  [GPT_OSS_20B, q("bfloat16", "w4a16_mxfp4"), ["openai/gpt-oss-20b"]],
  [GPT_OSS_120B, q("bfloat16", "w4a16_mxfp4"), ["openai/gpt-oss-120b"]],
  [MIXTRAL_8X7B, BF16, ["mistralai/Mixtral-8x7B-Instruct-v0.1", "mistralai/Mixtral-8x7B-v0.1"]],
  [MIXTRAL_8X7B, RH_FP8, [
    "RedHatAI/Mixtral-8x7B-Instruct-v0.1-FP8",
    "neuralmagic/Mixtral-8x7B-Instruct-v0.1-FP8",
  ]],
  [MINIMAX_M25, BLOCK_FP8, ["MiniMaxAI/MiniMax-M2.5"]],
  [MINIMAX_M25, MODELOPT_FP4_EXPERTS, ["nvidia/MiniMax-M2.5-NVFP4"]],
  [KIMI_K25, q("bfloat16", "int4_wo"), ["moonshotai/Kimi-K2.5"]],
  [KIMI_K25, MODELOPT_FP4_BF16_ATTN, ["nvidia/Kimi-K2.5-NVFP4"]],
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
