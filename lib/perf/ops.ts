/**
 * The operator decomposition of one forward pass on one GPU, after AIC's model files (perf-model.md §2): the
 * ops of a context (prefill) pass and of a generation (decode) pass, each with the shape it runs at and how many
 * times it runs per pass. Both the analytic model and table mode price these same lists.
 *
 * Per layer: add-norm, QKV projection, attention, O projection, add-norm, then either the dense FFN (gate+up,
 * activation, down) or the MoE block (router, shared experts, routed experts), with a TP all-reduce after the
 * attention and after the FFN/MoE; per pass: embedding, embedding all-reduce, LM head (one row per sequence).
 * MLA models (DeepSeek-V3, Kimi-K2) replace the projections and attention by one MLA-module op. With attention
 * data parallelism the MoE block sees the tokens of every DP rank, gathered before and scattered after it.
 * Generation ops run `(L + nextn)/L` times as often under MTP (one verification round per pass).
 *
 * @module
 */
import {
  fullAttentionLayers,
  kvHeadsPerGpu,
  type LinearAttentionShape,
  linearConvDim,
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
 * The Gated-DeltaNet kernels of one linear-attention layer over this GPU's heads: the causal convolution and the
 * chunked delta rule in a context pass, the convolution update and the recurrent step in a generation pass.
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
 * the fused extras of context attention (perf-model.md §3.3).
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
  const L = setup.model.arch.layers;
  const mtp = setup.nextn > 0 ? (setup.nextn + L) / L : 1;
  const context = passOps(setup, true, 1);
  const generation = passOps(setup, false, mtp);
  return { context, generation };
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
  const comm = (name: string, op: CommOp["op"], gpus: number, count: number, tokenScale = 1) => {
    if (gpus > 1) ops.push({ kind: "comm", name, op, hidden: h, gpus, tokenScale, count: count * scale });
  };

  mem("embedding", 2 * h, 1);
  comm("embedding_allreduce", "all_reduce", tp, 1);
  mem("add_norm_1", ELEMENTWISE_BYTES.addNorm(h), L);
  const headsGpu = a.heads / tp;
  const softmax = softmaxAttentionLayers(a);
  if (a.mla) {
    ops.push({ kind: "mla", name: "mla_attention", heads: headsGpu, count: L * scale });
  } else {
    const d = a.headDim;
    const kvGpu = kvHeadsPerGpu(a, tp);
    const qGpu = headsGpu * (a.attnOutputGate ? 2 : 1);
    gemm("qkv_gemm", (qGpu + 2 * kvGpu) * d, h, dtypes.attention, softmax);
    const full = fullAttentionLayers(a);
    const attn = (name: string, window: number, count: number) =>
      ops.push({
        kind: "attention",
        name,
        heads: headsGpu,
        kvHeads: kvGpu,
        headDim: d,
        window,
        count: count * scale,
      });
    if (full > 0) attn("attention", 0, full);
    if (a.slidingWindow) attn("attention_sliding", a.slidingWindow.window, a.slidingWindow.layers);
    if (isContext) {
      // Fused extras of context attention (perf-model.md §3.3), ×1.1 as AIC does.
      const qk = (headsGpu + kvGpu) * d;
      mem("rope", ELEMENTWISE_BYTES.rope(qk), softmax);
      mem("kv_write", kvGpu * d * kvBytes(dtypes.kv), 2 * softmax * 1.1);
      if (a.qkNorm) mem("qk_norm", qk * 2 * 2, softmax * 1.1);
    }
    if (a.attnOutputGate) mem("output_gate", ELEMENTWISE_BYTES.actGate(headsGpu * d), softmax);
    gemm("proj_gemm", h, headsGpu * d, dtypes.attention, softmax);
  }
  const la = a.linearAttention;
  if (la) {
    const v = la.vHeads / tp * la.vHeadDim;
    gemm("linear_in_gemm", linearConvDim(la, tp) + v + 2 * la.vHeads / tp, h, dtypes.attention, la.layers);
    ops.push({
      kind: "linear_attention",
      name: "gated_delta_net",
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
  mem("add_norm_2", ELEMENTWISE_BYTES.addNorm(h), L);

  const moe = a.moe;
  const denseLayers = moe ? moe.denseLayers : L;
  if (denseLayers > 0) {
    gemm("gate_up_gemm", 2 * a.ffn / tp, h, dtypes.linear, denseLayers);
    mem("act_gate", ELEMENTWISE_BYTES.actGate(a.ffn / tp), denseLayers);
    gemm("down_gemm", h, a.ffn / tp, dtypes.linear, denseLayers);
    if (moe) comm("dense_ffn_allreduce", "all_reduce", tp, denseLayers);
  }
  if (moe) {
    const moeLayers = L - denseLayers;
    gemm("router_gemm", moe.experts, h, "bfloat16", moeLayers);
    if (moe.sharedExperts > 0) {
      const si = moe.sharedExperts * moe.sharedFfn / tp;
      gemm("shared_gate_up_gemm", 2 * si, h, dtypes.linear, moeLayers);
      mem("shared_act_gate", ELEMENTWISE_BYTES.actGate(si), moeLayers);
      gemm("shared_down_gemm", h, si, dtypes.linear, moeLayers);
    }
    const group = tp * par.attnDp;
    if (par.attnDp > 1) comm("moe_dispatch", "all_gather", group, moeLayers, par.attnDp);
    ops.push({
      kind: "moe",
      name: "moe_experts",
      hidden: h,
      inter: moe.expertFfn,
      topK: moe.topK,
      experts: moe.experts,
      tp: par.moeTp,
      ep: par.moeEp,
      dtype: dtypes.moe,
      tokenScale: par.attnDp,
      count: moeLayers * scale,
    });
    if (par.attnDp > 1) comm("moe_combine", "reduce_scatter", group, moeLayers, par.attnDp);
    else comm("moe_allreduce", "all_reduce", tp, moeLayers);
  } else {
    comm("ffn_allreduce", "all_reduce", tp, L);
  }
  gemm("logits_gemm", a.vocab / tp, h, "bfloat16", 1, true);
  return ops;
}
