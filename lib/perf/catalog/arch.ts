/**
 * Model architecture descriptors and the quantities derived from them: parameter bytes per GPU and KV bytes per
 * token, for a given parallelism.
 *
 * @module
 */
import { kvBytes, type KvDType, weightBytes, type WeightDType } from "../dtypes.ts";
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
  /** Per-head RMS norm on Q and K (Qwen3, MiniMax-M2). */
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

/** Layers whose KV sizes the cache: the full-attention ones, or every layer when all slide (Mistral 7B v0.1). */
function kvLayers(arch: ModelArch): number {
  return fullAttentionLayers(arch) || softmaxAttentionLayers(arch);
}

/** The shape of the layers {@link kvLayers} counts. */
function kvShape(arch: ModelArch): AttentionShape {
  return fullAttentionLayers(arch) > 0 ? fullAttentionShape(arch) : slidingAttentionShape(arch);
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

/**
 * Recurrent-state bytes one sequence holds on one GPU of a `tp`-way group, over all linear-attention layers: the
 * delta-rule state (`vHeads × kHeadDim × vHeadDim` at `stateBytes`) and the convolution's last `convKernel − 1`
 * inputs (BF16), as vLLM sizes its Mamba-style state pages. 0 for models without linear attention.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linearStateBytesPerSeqPerGpu, type ModelArch } from "./arch.ts";
 * const linearAttention = { kind: "gated_delta_net" as const, layers: 48, kHeads: 16, vHeads: 48,
 *   kHeadDim: 128, vHeadDim: 128, convKernel: 4, stateBytes: 4 };
 * const bytes = linearStateBytesPerSeqPerGpu({ linearAttention } as ModelArch, 1);
 * assert.equal(bytes, 48 * (48 * 128 * 128 * 4 + 10240 * 3 * 2)); // Qwen3.5-27B: ≈ 154 MB per sequence
 * ```
 */
export function linearStateBytesPerSeqPerGpu(arch: ModelArch, tp: number): number {
  const la = arch.linearAttention;
  if (!la) return 0;
  const ssm = la.vHeads / tp * la.kHeadDim * la.vHeadDim * la.stateBytes;
  const conv = linearConvDim(la, tp) * (la.convKernel - 1) * 2;
  return la.layers * (ssm + conv);
}

/**
 * KV-cache bytes per token of the whole model (all KV heads once), over the full-attention layers: GQA
 * `layers × 2 × kvHeads × headDim × bytes`; MLA `layers × (kvLoraRank + ropeDim) × bytes`. Sliding-window layers
 * hold at most `window` tokens per request and are left out (vLLM's hybrid allocator sizes the pool by the
 * full-attention group), unless every layer slides: then they size it, and a request holds all its tokens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MODELS } from "./models.ts";
 * import { kvBytesPerToken } from "./arch.ts";
 * assert(kvBytesPerToken(MODELS["meta-llama/Llama-3.1-8B-Instruct"].arch, "bfloat16") === 131072);
 * ```
 */
export function kvBytesPerToken(arch: ModelArch, kv: KvDType): number {
  const layers = kvLayers(arch);
  if (arch.mla) return layers * (arch.mla.kvLoraRank + arch.mla.qkRopeDim) * kvBytes(kv);
  const shape = kvShape(arch);
  return layers * shape.kvHeads * (shape.headDim + shape.vHeadDim) * kvBytes(kv);
}

/**
 * KV-cache bytes per token held by one GPU of a `tp`-way attention group: KV heads are sharded over TP (and
 * replicated beyond `kvHeads`); MLA's latent cache is replicated on every rank.
 */
export function kvBytesPerTokenPerGpu(arch: ModelArch, kv: KvDType, tp: number): number {
  return kvLayers(arch) * kvBytesPerTokenPerLayerPerGpu(arch, kv, tp);
}

/**
 * KV bytes per token the sliding-window layers of a model that also has full-attention layers hold on one GPU
 * of a `tp`-way group (each sequence holds them for its last `window` tokens only); 0 when it has no such layers
 * or every layer slides (then they are {@link kvBytesPerTokenPerGpu}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MODELS } from "./models.ts";
 * import { slidingKvBytesPerTokenPerGpu } from "./arch.ts";
 * // gpt-oss-120b: 18 sliding layers of 8 KV heads × (64 + 64), over TP 2, in BF16.
 * assert.equal(slidingKvBytesPerTokenPerGpu(MODELS["openai/gpt-oss-120b"].arch, "bfloat16", 2), 18 * 4 * 128 * 2);
 * ```
 */
export function slidingKvBytesPerTokenPerGpu(arch: ModelArch, kv: KvDType, tp: number): number {
  const sliding = arch.slidingWindow?.layers ?? 0;
  if (arch.mla || sliding === 0 || fullAttentionLayers(arch) === 0) return 0;
  const shape = slidingAttentionShape(arch);
  return sliding * kvHeadsPerGpu(shape, tp) * (shape.headDim + shape.vHeadDim) * kvBytes(kv);
}

/** One layer's share of {@link kvBytesPerTokenPerGpu}: the KV page of one token, one layer, one GPU. */
export function kvBytesPerTokenPerLayerPerGpu(arch: ModelArch, kv: KvDType, tp: number): number {
  if (arch.mla) return (arch.mla.kvLoraRank + arch.mla.qkRopeDim) * kvBytes(kv);
  const shape = kvShape(arch);
  return kvHeadsPerGpu(shape, tp) * (shape.headDim + shape.vHeadDim) * kvBytes(kv);
}

/**
 * Attention projection parameters on one GPU over all softmax-attention layers (QKV and O, each kind of layer at
 * its shape; MLA's down/up projections).
 */
export function attentionParamsPerGpu(arch: ModelArch, tp: number): number {
  if (arch.mla) {
    return softmaxAttentionLayers(arch) * layerAttentionParamsPerGpu(arch, fullAttentionShape(arch), tp);
  }
  const sliding = arch.slidingWindow?.layers ?? 0;
  const full = softmaxAttentionLayers(arch) - sliding;
  return (full > 0 ? full * layerAttentionParamsPerGpu(arch, fullAttentionShape(arch), tp) : 0) +
    (sliding > 0 ? sliding * layerAttentionParamsPerGpu(arch, slidingAttentionShape(arch), tp) : 0);
}

/** Attention projection parameters of one layer of shape `shape` on one GPU. */
function layerAttentionParamsPerGpu(arch: ModelArch, shape: AttentionShape, tp: number): number {
  const h = arch.hidden;
  if (arch.mla) {
    const m = arch.mla;
    const headsGpu = arch.heads / tp;
    const qDim = m.qkNopeDim + m.qkRopeDim;
    const q = m.qLoraRank > 0 ? h * m.qLoraRank + m.qLoraRank * headsGpu * qDim : h * headsGpu * qDim;
    const kvA = h * (m.kvLoraRank + m.qkRopeDim);
    const kvB = m.kvLoraRank * headsGpu * (m.qkNopeDim + m.vHeadDim);
    return q + kvA + kvB + headsGpu * m.vHeadDim * h;
  }
  const { headDim: d, vHeadDim: dv } = shape;
  const q = arch.heads / tp * (arch.attnOutputGate ? 2 : 1);
  const kv = kvHeadsPerGpu(shape, tp);
  return h * d * (q + kv) + (shape.kEqV ? 0 : h * dv * kv) + (arch.heads / tp) * dv * h;
}

/**
 * Parameters of one linear-attention layer on one GPU: the fused input projection, the output projection and
 * the convolution (the per-head decay and norm weights are negligible).
 */
export function linearAttentionParamsPerGpu(la: LinearAttentionArch, hidden: number, tp: number): number {
  const v = la.vHeads * la.vHeadDim / tp;
  return hidden * linearInProjDim(la, tp) + v * hidden + linearConvDim(la, tp) * la.convKernel;
}

/** Whole-model parameter count (embedding, lm_head, all experts). */
export function totalParams(arch: ModelArch): number {
  const p = weightParts(arch, { tp: 1, attnDp: 1, moeTp: 1, moeEp: 1 });
  return p.attention + p.dense + p.experts + p.embed + p.lmHead;
}

interface WeightParts {
  attention: number;
  dense: number;
  experts: number;
  embed: number;
  lmHead: number;
}

function weightParts(arch: ModelArch, par: Parallelism): WeightParts {
  const h = arch.hidden;
  const moe = arch.moe;
  const mats = ffnMatrices(arch);
  const moeLayers = moe ? ffnLayerCount(arch) - moe.denseLayers : 0;
  const denseParams = denseFfns(arch).reduce((sum, g) => sum + g.layers * mats * h * g.ffn, 0);
  // Shared experts are TP-sharded; the router and LatentMoE's two projections are replicated.
  const sharedPerLayer = moe
    ? mats * h * moe.sharedExperts * moe.sharedFfn / par.tp + h * moe.experts + 2 * h * (moe.latent ?? 0)
    : 0;
  const expertsPerLayer = moe
    ? mats * (moe.latent ?? h) * moe.expertFfn * moe.experts / (par.moeTp * par.moeEp)
    : 0;
  const la = arch.linearAttention;
  const linear = la ? la.layers * linearAttentionParamsPerGpu(la, h, par.tp) : 0;
  return {
    attention: attentionParamsPerGpu(arch, par.tp) + linear,
    dense: denseParams / par.tp + moeLayers * sharedPerLayer,
    experts: moeLayers * expertsPerLayer,
    embed: arch.vocab * h / par.tp,
    lmHead: arch.tiedEmbeddings ? 0 : arch.vocab * h / par.tp,
  };
}

/**
 * Weight bytes one GPU holds: attention and dense layers sharded by `tp`, experts by `moeTp × moeEp`, embedding
 * and lm_head vocabulary-parallel by `tp` and kept in BF16 (as quantised checkpoints do).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MODELS } from "./models.ts";
 * import { weightBytesPerGpu } from "./arch.ts";
 * const m = MODELS["nvidia/Llama-3.1-8B-Instruct-FP8"];
 * const gb = weightBytesPerGpu(m, { tp: 1, attnDp: 1, moeTp: 1, moeEp: 1 }) / 1e9;
 * assert(gb > 8.9 && gb < 9.2);
 * ```
 */
export function weightBytesPerGpu(model: ModelSpec, par: Parallelism): number {
  const p = weightParts(model.arch, par);
  const q = model.quant;
  return p.attention * weightBytes(q.attention) + p.dense * weightBytes(q.linear) +
    p.experts * weightBytes(q.moe) + (p.embed + p.lmHead) * 2;
}
