/**
 * The operator decomposition of one forward pass on one GPU, after AIC's model files (perf-model.md §2): the
 * ops of a context (prefill) pass and of a generation (decode) pass, each with the shape it runs at and how many
 * times it runs per pass. Both the analytic model and table mode price these same lists.
 *
 * Per layer: add-norm, QKV projection, attention, O projection, add-norm, then either the dense FFN (gate+up,
 * activation, down) or the MoE block (router, shared experts, routed experts), with a TP all-reduce after the
 * attention and after the FFN/MoE; per pass: embedding, embedding all-reduce, LM head (one row per sequence).
 * MLA models (DeepSeek-V3, Kimi-K2) replace the projections and attention by one MLA-module op; linear-attention
 * layers (Gated DeltaNet, Mamba-2) run their projections and recurrence instead. Where a layer holds a mixer or an
 * FFN but not both (Nemotron-H), each block has one add-norm and one all-reduce. With attention
 * data parallelism the MoE block sees the tokens of every DP rank, gathered before and scattered after it.
 * Generation ops run `(L + nextn)/L` times as often under MTP (one verification round per pass; `L` the
 * model's `decoderLayers`).
 *
 * @module
 */
import {
  type AttentionShape,
  decoderLayers,
  denseFfns,
  ffnLayerCount,
  fullAttentionLayers,
  fullAttentionShape,
  kvHeadsPerGpu,
  type LinearAttentionShape,
  linearInProjDim,
  slidingAttentionShape,
  softmaxAttentionLayers,
} from "./catalog/arch.ts";
import { kvBytes, type WeightDType } from "./dtypes.ts";
import type { MoeBlock } from "./roofline.ts";
import type { PerfSetup } from "./setup.ts";

/** Op groups a breakdown reports. */
export type OpFamily = "gemm" | "logits" | "attention" | "moe" | "comm" | "elementwise";

/** Every {@link OpFamily}, in the order breakdowns list them. */
export const OP_FAMILIES: readonly OpFamily[] = ["gemm", "logits", "attention", "moe", "comm", "elementwise"];

/** A GEMM: `m` is the pass's token count (or its sequence count when `perSeq`). */
export interface GemmOp {
  readonly kind: "gemm";
  readonly name: string;
  readonly family: "gemm" | "logits";
  readonly n: number;
  readonly k: number;
  readonly dtype: WeightDType;
  readonly perSeq: boolean;
  readonly count: number;
}

/** Standard (GQA/MHA) attention over this GPU's heads. */
export interface AttentionOp {
  readonly kind: "attention";
  readonly name: string;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** Sliding window (0: full attention). */
  readonly window: number;
  readonly count: number;
}

/** A whole MLA attention block (projections, attention, output projection) over this GPU's heads. */
export interface MlaOp {
  readonly kind: "mla";
  readonly name: string;
  readonly heads: number;
  readonly count: number;
}

/**
 * The kernels of one linear-attention layer over this GPU's heads: the causal convolution and the chunked
 * recurrence (Gated DeltaNet's delta rule, or Mamba-2's SSD, named `mamba2_ssd`) in a context pass, the
 * convolution update and the recurrent step in a generation pass.
 */
export interface LinearAttentionOp extends LinearAttentionShape {
  readonly kind: "linear_attention";
  readonly name: string;
  readonly count: number;
}

/** Routed-expert compute for this GPU's share of the experts (`tp` and `ep` are the MoE group's). */
export interface MoeOp extends MoeBlock {
  readonly kind: "moe";
  readonly name: string;
  readonly dtype: WeightDType;
  /** Tokens the block sees per token of this rank (the attention-DP size). */
  readonly tokenScale: number;
  readonly count: number;
}

/** A collective over `gpus` ranks moving `hidden` BF16 values per token (× `tokenScale`). */
export interface CommOp {
  readonly kind: "comm";
  readonly name: string;
  readonly op: "all_reduce" | "all_gather" | "reduce_scatter";
  readonly hidden: number;
  readonly gpus: number;
  readonly tokenScale: number;
  readonly count: number;
}

/** A memory-bound element-wise op moving `bytesPerToken` per token. */
export interface MemoryOp {
  readonly kind: "memory";
  readonly name: string;
  readonly bytesPerToken: number;
  readonly count: number;
}

/** Any op of a pass. */
export type Op = GemmOp | AttentionOp | MlaOp | LinearAttentionOp | MoeOp | CommOp | MemoryOp;

/** An op whose cost depends on the sequence lengths of the pass (attention of any kind), not only its tokens. */
export type LengthOp = Extract<Op, { kind: "attention" | "mla" | "linear_attention" }>;
/** An op whose cost depends only on the tokens and sequences of the pass. */
export type TokenOp = Exclude<Op, LengthOp>;

/** Whether `op`'s cost depends on the sequence lengths of the pass ({@link LengthOp}). */
export function dependsOnLengths(op: Op): op is LengthOp {
  return op.kind === "attention" || op.kind === "mla" || op.kind === "linear_attention";
}

/** `op` is a {@link TokenOp}. */
export function dependsOnTokens(op: Op): op is TokenOp {
  return !dependsOnLengths(op);
}

/** The op lists of a context pass and of a generation pass. */
export interface OpLists {
  readonly context: readonly Op[];
  readonly generation: readonly Op[];
}

/** Family an op is reported under. */
export function opFamily(op: Op): OpFamily {
  switch (op.kind) {
    case "gemm":
      return op.family;
    case "attention":
    case "mla":
    case "linear_attention":
      return "attention";
    case "moe":
      return "moe";
    case "comm":
      return "comm";
    case "memory":
      return "elementwise";
  }
}

/**
 * HBM bytes per token of one layer's element-wise kernels (BF16 activations), as the op lists charge them.
 * `addNorm`: the residual add fused with RMSNorm reads the input and the residual and writes both. `actGate`:
 * SiLU-and-mul reads the gate and up halves and writes their product (`ffn` per GPU). `rope`: rotary embedding
 * reads and writes q and k (`qkWidth` = (heads + KV heads) × head dim per GPU), with AIC's 10 % allowance for
 * the fused extras of context attention (perf-model.md §3.3). `actUngated`: an ungated activation (Nemotron-H's
 * squared ReLU) reads and writes the up projection's output.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ELEMENTWISE_BYTES } from "./ops.ts";
 * assert(ELEMENTWISE_BYTES.addNorm(4096) === 32768);
 * assert(ELEMENTWISE_BYTES.actGate(14336) === 86016);
 * ```
 */
export const ELEMENTWISE_BYTES = {
  addNorm: (hidden: number): number => 8 * hidden,
  actGate: (ffn: number): number => 3 * ffn * 2,
  actUngated: (ffn: number): number => 2 * ffn * 2,
  rope: (qkWidth: number): number => qkWidth * 2 * 2 * 1.1,
} as const;

/**
 * Build the context and generation op lists of a model on one GPU.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolvePerfSetup } from "./setup.ts";
 * import { buildOps } from "./ops.ts";
 * const setup = resolvePerfSetup({ aic_model_path: "meta-llama/Llama-3.1-8B-Instruct" })!;
 * const qkv = buildOps(setup).context.find((o) => o.name === "qkv_gemm");
 * assert(qkv?.kind === "gemm" && qkv.n === 6144 && qkv.k === 4096 && qkv.count === 32);
 * ```
 */
export function buildOps(setup: PerfSetup): OpLists {
  const L = decoderLayers(setup.model.arch);
  const mtp = setup.nextn > 0 ? (setup.nextn + L) / L : 1;
  const context = passOps(setup, true, 1);
  const generation = passOps(setup, false, mtp);
  return { context, generation };
}

function sameShape(x: AttentionShape, y: AttentionShape): boolean {
  return x.kvHeads === y.kvHeads && x.headDim === y.headDim && x.vHeadDim === y.vHeadDim && x.kEqV === y.kEqV;
}

function passOps(setup: PerfSetup, isContext: boolean, scale: number): Op[] {
  const { model, par, dtypes } = setup;
  const a = model.arch;
  const h = a.hidden;
  const L = a.layers;
  const tp = par.tp;
  const ops: Op[] = [];
  const gemm = (name: string, n: number, k: number, dtype: WeightDType, count: number, perSeq = false) =>
    ops.push({
      kind: "gemm",
      name,
      family: perSeq ? "logits" : "gemm",
      n,
      k,
      dtype,
      perSeq,
      count: count * scale,
    });
  const mem = (name: string, bytesPerToken: number, count: number) =>
    ops.push({ kind: "memory", name, bytesPerToken, count: count * scale });
  const comm = (name: string, op: CommOp["op"], gpus: number, count: number, tokenScale = 1, width = h) => {
    if (gpus > 1) ops.push({ kind: "comm", name, op, hidden: width, gpus, tokenScale, count: count * scale });
  };
  // An FFN (or shared experts) of `inter` per GPU: gate and up fused, SiLU-and-mul, down; or up, squared ReLU,
  // down where it has no gate.
  const ffn = (prefix: string, inter: number, count: number) => {
    const ungated = a.ffnUngated === true;
    gemm(
      `${prefix}${ungated ? "up_gemm" : "gate_up_gemm"}`,
      (ungated ? 1 : 2) * inter,
      h,
      dtypes.linear,
      count,
    );
    mem(
      `${prefix}${ungated ? "act" : "act_gate"}`,
      ungated ? ELEMENTWISE_BYTES.actUngated(inter) : ELEMENTWISE_BYTES.actGate(inter),
      count,
    );
    gemm(`${prefix}down_gemm`, h, inter, dtypes.linear, count);
  };
  const F = ffnLayerCount(a);

  mem("embedding", 2 * h, 1);
  comm("embedding_allreduce", "all_reduce", tp, 1);
  mem("add_norm_1", ELEMENTWISE_BYTES.addNorm(h), L);
  const headsGpu = a.heads / tp;
  const softmax = softmaxAttentionLayers(a);
  if (a.mla) {
    ops.push({ kind: "mla", name: "mla_attention", heads: headsGpu, count: L * scale });
  } else {
    // Full and sliding-window layers: their projections and fused extras by shape (one group where the two
    // kinds share it), their attention by kind.
    const full = fullAttentionLayers(a);
    const sliding = a.slidingWindow?.layers ?? 0;
    const fullShape = fullAttentionShape(a), slidingShape = slidingAttentionShape(a);
    const groups: [AttentionShape, number][] = sliding === 0 || sameShape(fullShape, slidingShape)
      ? [[fullShape, softmax]]
      : ([[fullShape, full], [slidingShape, sliding]] as [AttentionShape, number][]).filter(([, n]) => n > 0);
    const qGpu = headsGpu * (a.attnOutputGate ? 2 : 1);
    for (const [shape, n] of groups) {
      const kvGpu = kvHeadsPerGpu(shape, tp);
      gemm(
        "qkv_gemm",
        (qGpu + kvGpu) * shape.headDim + (shape.kEqV ? 0 : kvGpu * shape.vHeadDim),
        h,
        dtypes.attention,
        n,
      );
    }
    // Priced at the query/key head dimension, as AIC's tables key attention (MiMo-V2's 192/128 heads at 192).
    const attn = (name: string, window: number, count: number, shape: AttentionShape) =>
      ops.push({
        kind: "attention",
        name,
        heads: headsGpu,
        kvHeads: kvHeadsPerGpu(shape, tp),
        headDim: shape.headDim,
        window,
        count: count * scale,
      });
    if (full > 0) attn("attention", 0, full, fullShape);
    if (sliding > 0) attn("attention_sliding", a.slidingWindow!.window, sliding, slidingShape);
    for (const [shape, n] of isContext ? groups : []) {
      // Fused extras of context attention (perf-model.md §3.3), ×1.1 as AIC does.
      const kvGpu = kvHeadsPerGpu(shape, tp);
      const qk = (headsGpu + kvGpu) * shape.headDim;
      mem("rope", ELEMENTWISE_BYTES.rope(qk), n);
      mem("kv_write", kvGpu * (shape.headDim + shape.vHeadDim) / 2 * kvBytes(dtypes.kv), 2 * n * 1.1);
      if (a.qkNorm) mem("qk_norm", qk * 2 * 2, n * 1.1);
    }
    for (const [shape, n] of groups) {
      if (a.attnOutputGate) mem("output_gate", ELEMENTWISE_BYTES.actGate(headsGpu * shape.vHeadDim), n);
      gemm("proj_gemm", h, headsGpu * shape.vHeadDim, dtypes.attention, n);
    }
  }
  const la = a.linearAttention;
  if (la) {
    const v = la.vHeads / tp * la.vHeadDim;
    gemm("linear_in_gemm", linearInProjDim(la, tp), h, dtypes.attention, la.layers);
    ops.push({
      kind: "linear_attention",
      name: la.kind === "mamba2" ? "mamba2_ssd" : "gated_delta_net",
      kHeads: la.kHeads / tp,
      vHeads: la.vHeads / tp,
      kHeadDim: la.kHeadDim,
      vHeadDim: la.vHeadDim,
      convKernel: la.convKernel,
      stateBytes: la.stateBytes,
      count: la.layers * scale,
    });
    // Gated RMSNorm: reads the recurrence's output and the gate z, writes the gated output.
    mem("linear_gated_norm", ELEMENTWISE_BYTES.actGate(v), la.layers);
    gemm("linear_out_gemm", h, v, dtypes.attention, la.layers);
  }
  comm("attention_allreduce", "all_reduce", tp, L);
  mem("add_norm_2", ELEMENTWISE_BYTES.addNorm(h), F);

  const moe = a.moe;
  for (const g of denseFfns(a)) {
    ffn("", g.ffn / tp, g.layers);
    if (moe) comm("dense_ffn_allreduce", "all_reduce", tp, g.layers);
  }
  if (moe) {
    const moeLayers = F - moe.denseLayers;
    gemm("router_gemm", moe.experts, h, "bfloat16", moeLayers);
    if (moe.sharedExperts > 0) ffn("shared_", moe.sharedExperts * moe.sharedFfn / tp, moeLayers);
    // LatentMoE: every rank projects its tokens down to the experts' width and back up (replicated weights).
    const width = moe.latent ?? h;
    if (moe.latent) gemm("moe_latent_down_gemm", moe.latent, h, dtypes.linear, moeLayers);
    const group = tp * par.attnDp;
    if (par.attnDp > 1) comm("moe_dispatch", "all_gather", group, moeLayers, par.attnDp, width);
    ops.push({
      kind: "moe",
      name: "moe_experts",
      hidden: width,
      inter: moe.expertFfn,
      ungated: a.ffnUngated,
      topK: moe.topK,
      experts: moe.experts,
      tp: par.moeTp,
      ep: par.moeEp,
      dtype: dtypes.moe,
      tokenScale: par.attnDp,
      count: moeLayers * scale,
    });
    if (par.attnDp > 1) comm("moe_combine", "reduce_scatter", group, moeLayers, par.attnDp, width);
    if (moe.latent) gemm("moe_latent_up_gemm", h, moe.latent, dtypes.linear, moeLayers);
    if (par.attnDp <= 1) comm("moe_allreduce", "all_reduce", tp, moeLayers);
  } else {
    comm("ffn_allreduce", "all_reduce", tp, F);
  }
  gemm("logits_gemm", a.vocab / tp, h, "bfloat16", 1, true);
  return ops;
}
