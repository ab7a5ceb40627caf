/**
 * Roofline ("speed of light", SOL) work counts of the operators in a forward pass, after AIC (perf-model.md §3):
 * FLOPs and bytes moved. A leaf op's SOL time is `max(flops / peak, bytes / bandwidth)`; the analytic model
 * divides each term by a fitted efficiency, table mode uses SOL to move measured efficiency ("util") between
 * shapes. All functions are allocation-free.
 *
 * Deviation from AIC: GEMM bytes count each operand with its own width (weights at the weight format, inputs at
 * the activation format, BF16 outputs) instead of one width for all three.
 *
 * @module
 */

/** GEMM `[m×k]·[k×n]` FLOPs. */
export function gemmFlops(m: number, n: number, k: number): number {
  return 2 * m * n * k;
}

/** GEMM bytes: weights `n·k·wBytes`, input `m·k·aBytes`, BF16 output `m·n·2`. */
export function gemmBytes(m: number, n: number, k: number, wBytes: number, aBytes: number): number {
  return n * k * wBytes + m * k * aBytes + 2 * m * n;
}

/**
 * Causal context-attention FLOPs for `b` sequences of `s` new tokens after `p` cached ones, `heads` query heads of
 * dimension `d` (QK and PV products); with a sliding window `w > 0` each new token attends to at most `w`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { contextAttentionFlops } from "./roofline.ts";
 * // one 1024-token sequence, 32 heads of 128: 2·(1024²)·32·128 = 8.6 GFLOP
 * assert(contextAttentionFlops(1, 1024, 0, 32, 128, 0) === 2 * 1024 * 1024 * 32 * 128);
 * ```
 */
export function contextAttentionFlops(b: number, s: number, p: number, heads: number, d: number, w: number) {
  const full = s + p;
  if (w > 0 && full > w) return 4 * b * s * w * heads * d;
  return 2 * b * (full * full - p * p) * heads * d;
}

/**
 * The share of a full-length context pass's attention work that a chunk of `s` new tokens after `p` cached ones
 * does: `(full² − p²) / full²` for causal attention, `s / full` once a sliding window `w > 0` is shorter than
 * the sequence. How AIC's table mode scales a prefix chunk, and what our H100/H200 FlashAttention timings show
 * (lib/perf/FIDELITY.md, "Prefix attention").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prefixShare } from "./roofline.ts";
 * assert(prefixShare(500, 500, 0) === 0.75);
 * assert(prefixShare(500, 500, 128) === 0.5); // each new token sees 128 keys, however long the prefix
 * assert(prefixShare(64, 32, 128) === prefixShare(64, 32, 0)); // shorter than the window: plain causal
 * ```
 */
export function prefixShare(s: number, p: number, w: number): number {
  return contextAttentionFlops(1, s, p, 1, 1, w) / contextAttentionFlops(1, s + p, 0, 1, 1, w);
}

/** Context-attention bytes: Q and O for the new tokens (BF16) plus K and V of the whole sequence. */
export function contextAttentionBytes(
  b: number,
  s: number,
  p: number,
  heads: number,
  kvHeads: number,
  d: number,
  kvBytes: number,
): number {
  return 2 * b * 2 * heads * s * d + kvBytes * b * 2 * kvHeads * (s + p) * d;
}

/** Decode-attention FLOPs: one query token per sequence over `kvLen` cached tokens (window-clamped). */
export function generationAttentionFlops(b: number, kvLen: number, heads: number, d: number, w: number) {
  const len = w > 0 && kvLen > w ? w : kvLen;
  return 4 * b * heads * d * len;
}

/** Decode-attention bytes: the K and V read for every sequence plus Q in and O out. */
export function generationAttentionBytes(
  b: number,
  kvLen: number,
  heads: number,
  kvHeads: number,
  d: number,
  w: number,
  kvBytes: number,
): number {
  const len = w > 0 && kvLen > w ? w : kvLen;
  return b * (4 * heads * d + 2 * kvHeads * len * d * kvBytes);
}

/**
 * A routed-expert block as one GPU of its group runs it: `experts` of `hidden × inter` (before the MoE TP split),
 * `topK` per token, each expert split over `tp` GPUs and the experts spread over `ep`.
 */
export interface MoeBlock {
  readonly hidden: number;
  readonly inter: number;
  readonly topK: number;
  readonly experts: number;
  readonly tp: number;
  readonly ep: number;
  /** Experts of an up projection and a squared ReLU, without a gate (Nemotron-H); absent: gated SwiGLU. */
  readonly ungated?: boolean;
}

/** GEMMs of `hidden × inter` per routed pair: 3 for gated SwiGLU experts (gate, up, down), 2 for ungated ones. */
export function moeMatrices(b: MoeBlock): number {
  return b.ungated ? 2 : 3;
}

/**
 * MoE expert-compute FLOPs on one GPU: `T = tokens × topK` routed token-expert pairs, `G` GEMMs of
 * `hidden × inter` per pair ({@link moeMatrices}), split over `ep × tp` GPUs.
 */
export function moeFlops(tokens: number, b: MoeBlock, g: number): number {
  return 2 * tokens * b.topK * b.hidden * b.inter * g / (b.tp * b.ep);
}

/**
 * MoE bytes on one GPU: the weights of the experts that receive tokens (at most `experts/ep`, at most one per
 * routed pair) plus routed activations in and out.
 */
export function moeBytes(tokens: number, b: MoeBlock, g: number, wBytes: number): number {
  const active = Math.min(b.experts / b.ep, tokens * b.topK / b.ep);
  return wBytes * b.hidden * b.inter * g / b.tp * active + moeActivationBytes(tokens, b, g);
}

/** MoE activation bytes on one GPU: each routed pair's input and output and its intermediate, in BF16. */
export function moeActivationBytes(tokens: number, b: MoeBlock, g: number): number {
  return 2 * (tokens * b.topK / b.ep) * (2 * b.hidden + b.inter * g / b.tp);
}

/** Ring all-reduce bytes each GPU sends for `bytes` of payload over `gpus` ranks: `2·bytes·(g−1)/g`. */
export function allReduceBytes(bytes: number, gpus: number): number {
  return gpus > 1 ? 2 * bytes * (gpus - 1) / gpus : 0;
}

/** All-gather (or reduce-scatter) bytes each GPU moves for a gathered `bytes` payload: `bytes·(g−1)/g`. */
export function allGatherBytes(bytes: number, gpus: number): number {
  return gpus > 1 ? bytes * (gpus - 1) / gpus : 0;
}

/** AIC's memory-bound op cost with the shipped system factors: `bytes / (0.8 · bw) + 3 µs`, in ms. */
export function memoryOpMs(bytes: number, memBw: number): number {
  return bytes / (0.8 * memBw) * 1e3 + 3e-3;
}
