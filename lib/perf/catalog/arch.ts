/**
 * Model architecture descriptors and their layer-level shapes: which layers hold attention (full or sliding),
 * linear attention or an FFN, each kind's attention shape, and how a shape splits over tensor parallelism. What
 * a model occupies in memory (weights, KV per token, recurrent state) is `footprint.ts`'s.
 *
 * @module
 */
import type { KvDType, WeightDType } from "../dtypes.ts";
import type { Sampling } from "../sampling.ts";
import type { TokenizerKind } from "../frontend.ts";

/** Mixture-of-experts block. */
export interface MoeArch {
  /** Routed experts. */
  readonly experts: number;
  /** Experts each token is routed to. */
  readonly topK: number;
  /** Intermediate size of one routed expert. */
  readonly expertFfn: number;
  /** Shared (always-on) experts; 0 when none. */
  readonly sharedExperts: number;
  /** Intermediate size of one shared expert. */
  readonly sharedFfn: number;
  /** Layers with a dense FFN instead of MoE (DeepSeek's leading `first_k_dense_replace`, Llama 4's interleave). */
  readonly denseLayers: number;
  /**
   * LatentMoE (Nemotron-3 Super/Ultra): the routed experts run `latent` wide, between a projection down from
   * the hidden size and one back up; absent: they run at the hidden size.
   */
  readonly latent?: number;
}

/** Multi-head latent attention (DeepSeek-V3 style). */
export interface MlaArch {
  /** Query LoRA rank (0: no query compression). */
  readonly qLoraRank: number;
  /** Latent KV rank: the compressed KV cached per token. */
  readonly kvLoraRank: number;
  readonly qkNopeDim: number;
  readonly qkRopeDim: number;
  readonly vHeadDim: number;
}

/** The shape of a Gated-DeltaNet layer: its key and value heads (of the model, or of one GPU's share). */
export interface LinearAttentionShape {
  readonly kHeads: number;
  readonly vHeads: number;
  readonly kHeadDim: number;
  readonly vHeadDim: number;
  readonly convKernel: number;
  /** Bytes per element of the recurrent state (`mamba_ssm_dtype`: 4 for float32, 2 for bfloat16). */
  readonly stateBytes: number;
}

/**
 * Linear-attention layers: each keeps a fixed-size recurrent state per sequence instead of a KV cache. Per layer:
 * one fused input projection ({@link linearInProjDim}), a causal depthwise convolution of width `convKernel`
 * over q, k and v, the recurrence, a gated RMSNorm and the output projection. Two recurrences share that shape:
 *
 * - `gated_delta_net` (Qwen3-Next, Qwen3.5/3.6): the projection gives q, k, v, the output gate z and the b/a
 *   gates (two per value head);
 * - `mamba2` (Nemotron-H): Mamba-2's SSD, read onto the same shape with C as q and B as k (`kHeads` = its
 *   `n_groups`, `kHeadDim` = its `ssm_state_size`), x as v (`vHeads` × `vHeadDim` = its heads × head dim), the
 *   gate z, and one `dt` per head.
 */
export interface LinearAttentionArch extends LinearAttentionShape {
  readonly kind: "gated_delta_net" | "mamba2";
  /** Layers that are linear attention (the rest are full attention). */
  readonly layers: number;
}

/**
 * The attention shape of one kind of layer (full or sliding-window), as {@link fullAttentionShape} and
 * {@link slidingAttentionShape} resolve it.
 */
export interface AttentionShape {
  readonly kvHeads: number;
  /** Query and key head dimension. */
  readonly headDim: number;
  /** Value head dimension. */
  readonly vHeadDim: number;
  /** The keys double as values: no value projection (the KV cache still holds both, as vLLM pages it). */
  readonly kEqV: boolean;
}

/**
 * Sliding-window attention on some layers, with the shape of those layers where it differs from the
 * full-attention layers' (Gemma 4's narrower heads, MiMo-V2's other KV-head count).
 */
export interface SlidingWindowArch {
  readonly window: number;
  readonly layers: number;
  readonly kvHeads?: number;
  readonly headDim?: number;
  readonly vHeadDim?: number;
}

/** Dense FFN layers of one width. */
export interface FfnWidth {
  /** Intermediate size. */
  readonly ffn: number;
  readonly layers: number;
}

/** A decoder-only transformer's shape. */
export interface ModelArch {
  /** Architecture family (HF `model_type`), informational. */
  readonly family: string;
  readonly layers: number;
  readonly hidden: number;
  /** Attention (query) heads. */
  readonly heads: number;
  /** KV heads (GQA) of the full-attention layers; equal to `heads` for MHA and MLA. */
  readonly kvHeads: number;
  /** Query and key head dimension of the full-attention layers (for MLA: unused; see {@link MlaArch}). */
  readonly headDim: number;
  /** Value head dimension where it differs from `headDim` (MiMo-V2). */
  readonly vHeadDim?: number;
  /** The full-attention layers' keys double as values (Gemma 4's `attention_k_eq_v`). */
  readonly kEqV?: boolean;
  /** Dense FFN intermediate size (dense models and the dense layers of MoE models). */
  readonly ffn: number;
  readonly vocab: number;
  readonly tiedEmbeddings: boolean;
  /** Per-head RMS norm on Q and K (Qwen3, MiniMax-M2, Gemma 3 and 4). */
  readonly qkNorm: boolean;
  readonly moe?: MoeArch;
  readonly mla?: MlaArch;
  /** Gated-DeltaNet linear attention on `layers` of the layers (Qwen3-Next, Qwen3.5). */
  readonly linearAttention?: LinearAttentionArch;
  /** The query projection also produces a sigmoid gate on the attention output (Qwen3-Next, Qwen3.5). */
  readonly attnOutputGate?: boolean;
  /**
   * Layers with an FFN or MoE block, where that is not every layer: Nemotron-H's blocks hold either a mixer
   * (attention or Mamba-2, counted in `layers`) or an FFN / MoE (counted here). Absent: `layers`.
   */
  readonly ffnLayers?: number;
  /**
   * Dense FFN layers by width, where the widths differ from layer to layer (NAS-pruned Llama-Nemotron); `ffn`
   * is then the widest. Absent: every dense FFN layer is `ffn` wide (see {@link denseFfns}).
   */
  readonly ffnWidths?: readonly FfnWidth[];
  /** The FFN and the experts are an up projection and a squared ReLU, without a gate (Nemotron-H). */
  readonly ffnUngated?: boolean;
  /** Sliding-window attention on `layers` of the layers (gpt-oss alternates). */
  readonly slidingWindow?: SlidingWindowArch;
  /** Longest context the model supports. */
  readonly maxContext: number;
}

/** How a checkpoint stores its weights. */
export interface QuantSpec {
  /** Dense FFN (and shared experts). */
  readonly linear: WeightDType;
  /** Attention projections (QKV, O; MLA projections). */
  readonly attention: WeightDType;
  /** Routed experts. */
  readonly moe: WeightDType;
  /** KV-cache format the checkpoint was calibrated for (TRT-LLM uses it by default), null: none. */
  readonly kvCheckpoint: KvDType | null;
  /**
   * A quantization dynolab cannot price (its `quant_method`), whose formats above are then BF16: the run must
   * name the formats its kernels use (`aic_gemm_dtype`, `aic_moe_dtype`).
   */
  readonly unpriced?: string;
}

/** A model the perf models can time: architecture plus checkpoint format. */
export interface ModelSpec {
  /** The HF repo id as the catalog spells it (of the alias asked for), or the config path it was read from. */
  readonly id: string;
  readonly arch: ModelArch;
  readonly quant: QuantSpec;
  /** How a request that sets no sampling parameters samples, by the checkpoint's `generation_config.json`. */
  readonly sampling: Sampling;
  /** How the serving front end tokenizes and detokenizes it (sets its front-end latency preset). */
  readonly tokenizer: TokenizerKind;
}

/** How a model is split over GPUs. `tp × attnDp = moeTp × moeEp`. */
export interface Parallelism {
  /** Tensor parallelism of attention (and dense layers). */
  readonly tp: number;
  /** Attention data-parallel ranks. */
  readonly attnDp: number;
  readonly moeTp: number;
  readonly moeEp: number;
}

/** KV heads held by one GPU at tensor parallelism `tp` (replicated when `tp > kvHeads`). */
export function kvHeadsPerGpu(shape: { readonly kvHeads: number }, tp: number): number {
  return shape.kvHeads >= tp ? shape.kvHeads / tp : 1;
}

/** The full-attention layers' shape. */
export function fullAttentionShape(arch: ModelArch): AttentionShape {
  return {
    kvHeads: arch.kvHeads,
    headDim: arch.headDim,
    vHeadDim: arch.vHeadDim ?? arch.headDim,
    kEqV: arch.kEqV === true,
  };
}

/**
 * The sliding-window layers' shape: the full-attention layers', but for what {@link SlidingWindowArch} states
 * (a value head dimension follows its own head dimension when it states one); their values are projected.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { slidingAttentionShape, type ModelArch } from "./arch.ts";
 * const gemma4 = { kvHeads: 2, headDim: 512, kEqV: true,
 *   slidingWindow: { window: 1024, layers: 25, kvHeads: 8, headDim: 256 } } as ModelArch;
 * assert.deepEqual(slidingAttentionShape(gemma4), { kvHeads: 8, headDim: 256, vHeadDim: 256, kEqV: false });
 * ```
 */
export function slidingAttentionShape(arch: ModelArch): AttentionShape {
  const w = arch.slidingWindow;
  return {
    kvHeads: w?.kvHeads ?? arch.kvHeads,
    headDim: w?.headDim ?? arch.headDim,
    vHeadDim: w?.vHeadDim ?? w?.headDim ?? arch.vHeadDim ?? arch.headDim,
    kEqV: false,
  };
}

/** Layers with an FFN or MoE block ({@link ModelArch.ffnLayers}). */
export function ffnLayerCount(arch: ModelArch): number {
  return arch.ffnLayers ?? arch.layers;
}

/**
 * The dense FFN layers by width: {@link ModelArch.ffnWidths}, or every FFN layer of a dense model (a MoE model's
 * `denseLayers`) at `ffn`; empty when there are none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MODELS } from "./models.ts";
 * import { denseFfns } from "./arch.ts";
 * assert.deepEqual(denseFfns(MODELS["meta-llama/Llama-3.1-8B-Instruct"].arch), [{ ffn: 14336, layers: 32 }]);
 * assert.deepEqual(denseFfns(MODELS["Qwen/Qwen3-30B-A3B"].arch), []);
 * ```
 */
export function denseFfns(arch: ModelArch): readonly FfnWidth[] {
  if (arch.ffnWidths) return arch.ffnWidths;
  const layers = arch.moe ? arch.moe.denseLayers : ffnLayerCount(arch);
  return layers > 0 ? [{ ffn: arch.ffn, layers }] : [];
}

/** Weight matrices of an FFN or expert: gate, up and down (SwiGLU), or up and down without a gate. */
export function ffnMatrices(arch: ModelArch): number {
  return arch.ffnUngated ? 2 : 3;
}

/**
 * Transformer layers the model's per-layer costs count: `layers`, or, where blocks hold a mixer or an FFN
 * but not both (Nemotron-H), half the blocks.
 */
export function decoderLayers(arch: ModelArch): number {
  return (arch.layers + ffnLayerCount(arch)) / 2;
}

/** Layers with softmax attention (full or sliding-window), that is all but the linear-attention ones. */
export function softmaxAttentionLayers(arch: ModelArch): number {
  return arch.layers - (arch.linearAttention?.layers ?? 0);
}

/** Layers with full (not sliding-window, not linear) attention. */
export function fullAttentionLayers(arch: ModelArch): number {
  return softmaxAttentionLayers(arch) - (arch.slidingWindow?.layers ?? 0);
}

/** Conv channels of a linear-attention layer on one GPU (q, k and v are convolved). */
export function linearConvDim(la: LinearAttentionArch, tp: number): number {
  return (2 * la.kHeads * la.kHeadDim + la.vHeads * la.vHeadDim) / tp;
}

/**
 * Output width of a linear-attention layer's fused input projection on one GPU: the convolved q, k and v, the
 * gate z, and the per-head gates (GDN's b and a, Mamba-2's dt).
 */
export function linearInProjDim(la: LinearAttentionArch, tp: number): number {
  const gatesPerHead = la.kind === "mamba2" ? 1 : 2;
  return linearConvDim(la, tp) + (la.vHeads * la.vHeadDim + gatesPerHead * la.vHeads) / tp;
}
