/**
 * What a model occupies on a GPU, for a given parallelism: weight bytes (and parameter counts, and an MTP draft
 * layer's), KV-cache bytes per token (full-attention layers, and the sliding-window layers' share), and a
 * linear-attention model's recurrent state per sequence.
 *
 * @module
 */
import { kvBytes, type KvDType, weightBytes } from "../dtypes.ts";
import {
  type AttentionShape,
  denseFfns,
  ffnLayerCount,
  ffnMatrices,
  fullAttentionLayers,
  fullAttentionShape,
  kvHeadsPerGpu,
  type LinearAttentionArch,
  linearConvDim,
  linearInProjDim,
  type MlaArch,
  type ModelArch,
  type ModelSpec,
  type Parallelism,
  slidingAttentionShape,
  softmaxAttentionLayers,
} from "./arch.ts";

/** Layers whose KV sizes the cache: the full-attention ones, or every layer when all slide (Mistral 7B v0.1). */
function kvLayers(arch: ModelArch): number {
  return fullAttentionLayers(arch) || softmaxAttentionLayers(arch);
}

/** The shape of the layers {@link kvLayers} counts. */
function kvShape(arch: ModelArch): AttentionShape {
  return fullAttentionLayers(arch) > 0 ? fullAttentionShape(arch) : slidingAttentionShape(arch);
}

/**
 * Recurrent-state bytes one sequence holds on one GPU of a `tp`-way group, over all linear-attention layers: the
 * delta-rule state (`vHeads × kHeadDim × vHeadDim` at `stateBytes`) and the convolution's last `convKernel − 1`
 * inputs (BF16), as vLLM sizes its Mamba-style state pages. 0 for models without linear attention.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ModelArch } from "./arch.ts";
 * import { linearStateBytesPerSeqPerGpu } from "./footprint.ts";
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
 * import { kvBytesPerToken } from "./footprint.ts";
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
 * import { slidingKvBytesPerTokenPerGpu } from "./footprint.ts";
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
  if (arch.mla) return softmaxAttentionLayers(arch) * mlaParamsPerGpu(arch.mla, arch.hidden, arch.heads / tp);
  const sliding = arch.slidingWindow?.layers ?? 0;
  const full = softmaxAttentionLayers(arch) - sliding;
  return (full > 0 ? full * layerAttentionParamsPerGpu(arch, fullAttentionShape(arch), tp) : 0) +
    (sliding > 0 ? sliding * layerAttentionParamsPerGpu(arch, slidingAttentionShape(arch), tp) : 0);
}

/** Attention projection parameters of one layer of shape `shape` on one GPU. */
function layerAttentionParamsPerGpu(arch: ModelArch, shape: AttentionShape, tp: number): number {
  const h = arch.hidden;
  const { headDim: d, vHeadDim: dv } = shape;
  const q = arch.heads / tp * (arch.attnOutputGate ? 2 : 1);
  const kv = kvHeadsPerGpu(shape, tp);
  return h * d * (q + kv) + (shape.kEqV ? 0 : h * dv * kv) + (arch.heads / tp) * dv * h;
}

/** MLA projection parameters of one layer with `headsGpu` heads on one GPU (down/up projections, output). */
function mlaParamsPerGpu(m: MlaArch, h: number, headsGpu: number): number {
  const qDim = m.qkNopeDim + m.qkRopeDim;
  const q = m.qLoraRank > 0 ? h * m.qLoraRank + m.qLoraRank * headsGpu * qDim : h * headsGpu * qDim;
  const kvA = h * (m.kvLoraRank + m.qkRopeDim);
  const kvB = m.kvLoraRank * headsGpu * (m.qkNopeDim + m.vHeadDim);
  return q + kvA + kvB + headsGpu * m.vHeadDim * h;
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
 * import { weightBytesPerGpu } from "./footprint.ts";
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

/**
 * Weight bytes one GPU holds for the MTP draft module vLLM loads beside the model when speculative decoding
 * drafts with it (`aic_nextn` > 0; one module whatever the number of draft steps): one decoder layer, split over
 * the GPUs as the model's layers are and in their formats, its `eh_proj` (2·hidden → hidden, a plain BF16
 * `nn.Linear` on every GPU in vLLM's DeepSeek MTP) and two norms; the embedding and LM head are the target
 * model's. The catalog does not record a checkpoint's MTP layers, so the layer is shaped like the model's last:
 * full (or MLA) attention and the routed experts of a MoE model (Nemotron-H: one attention and one FFN or MoE
 * block), else its dense FFN (a NAS model's widest).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MODELS } from "./models.ts";
 * import { mtpWeightBytesPerGpu } from "./footprint.ts";
 * // DeepSeek-R1 at TP 8 / EP 8: MLA, 32 of the 256 FP8 experts, the shared expert and the BF16 eh_proj.
 * const gb = mtpWeightBytesPerGpu(MODELS["deepseek-ai/DeepSeek-R1"], { tp: 8, attnDp: 1, moeTp: 1, moeEp: 8 }) / 1e9;
 * assert(gb > 1.6 && gb < 1.7);
 * ```
 */
export function mtpWeightBytesPerGpu(model: ModelSpec, par: Parallelism): number {
  const a = model.arch, h = a.hidden, widths = a.ffnWidths;
  const withDraft: ModelArch = {
    ...a,
    layers: a.layers + 1,
    ffnLayers: a.ffnLayers === undefined ? undefined : a.ffnLayers + 1,
    ffnWidths: widths && [{ ...widths[0], layers: widths[0].layers + 1 }, ...widths.slice(1)],
  };
  const layer = weightBytesPerGpu({ ...model, arch: withDraft }, par) - weightBytesPerGpu(model, par);
  return layer + (2 * h * h + 2 * h) * 2;
}
