/**
 * Efficiency curves: the analytic model's time for each op kind, as a roofline whose compute and memory terms are
 * divided by fitted efficiencies, blended smoothly (`(tc^q + tb^q)^(1/q)`), plus fitted launch and per-item
 * costs. The forms are fitted per GPU × backend × format to AIC's measured tables by `calibration/fit.ts`; the
 * same functions serve the fit and the run, so what is fitted is what runs.
 *
 * - GEMM: wave-quantised compute (128×128 tiles over the SMs, blended with the unquantised count), HBM bytes, an
 *   activation-quantisation cost per input element, and a correction factor per `m` (interpolated over AIC's
 *   `m` grid, one curve per `n` size class) that captures kernel dispatch by `m` bucket.
 * - Context attention: causal FLOPs at an occupancy-scaled efficiency (128-key tiles of the whole sequence: a
 *   chunk after a cached prefix splits its keys, and costs its FLOP share of the full pass), K/V and Q/O bytes.
 * - Generation attention: KV bytes at an occupancy-scaled bandwidth, query-group padding of the compute, a cost
 *   per (sequence × KV head) CTA.
 * - Both attention kinds: correction factors over batch size and sequence length (kernel split heuristics),
 *   context attention also over the GQA group size.
 * - MoE: weights of the experts that receive tokens (a saturating count), padded grouped-GEMM compute with an
 *   expert-parallel imbalance term, a cost per routed pair, and a per-token-count correction for each split
 *   class (unsplit, expert tensor parallel, each expert-parallel degree).
 * - Collectives: a latency plus bytes over an effective bandwidth, with a correction over message size
 *   (protocol switches).
 *
 * @module
 */
import type { GpuSpec } from "../catalog/gpus.ts";
import {
  contextAttentionBytes,
  contextAttentionFlops,
  gemmBytes,
  generationAttentionBytes,
  generationAttentionFlops,
  type MoeBlock,
  moeMatrices,
} from "../roofline.ts";

/** GEMM curve of one format. Times in ms. */
export interface GemmCoef {
  readonly t0: number;
  readonly ec: number;
  readonly em: number;
  readonly q: number;
  /** ms per 1e9 input elements (`m·k`) of activation quantisation. */
  readonly beta: number;
  /** Weight of the wave-quantised compute count (0–1). */
  readonly wave: number;
  /** `m` values of the correction curves, ascending. */
  readonly mGrid: readonly number[];
  /** Correction factor per `m` for each {@link gemmClass} shape class. */
  readonly corr: readonly (readonly number[])[];
}

/** A multiplicative correction over one axis, interpolated linearly and clamped at the ends. */
export interface Correction {
  /** Axis values, ascending. */
  readonly grid: readonly number[];
  /** Factor at each axis value. */
  readonly values: readonly number[];
}

/** Context-attention curve of one KV format and head dimension. */
export interface ContextAttentionCoef {
  readonly t0: number;
  readonly ec: number;
  readonly em: number;
  readonly q: number;
  /** Correction over the batch size. */
  readonly byBatch: Correction;
  /** Correction over the sequence length. */
  readonly bySeq: Correction;
  /** Correction over the query heads per KV head (GQA group). */
  readonly byGroup: Correction;
}

/** Generation-attention curve of one KV format and head dimension. */
export interface GenerationAttentionCoef {
  readonly t0: number;
  readonly em: number;
  readonly ec: number;
  readonly q: number;
  /** KV tokens per split-KV CTA. */
  readonly x0: number;
  /** µs per (sequence × KV head). */
  readonly gamma: number;
  /** Query rows a CTA computes at least (group padding). */
  readonly tq: number;
  /** Correction over the batch size. */
  readonly byBatch: Correction;
  /** Correction over the KV length. */
  readonly bySeq: Correction;
}

/** MoE curve of one expert format. */
export interface MoeCoef {
  readonly t0: number;
  readonly ec: number;
  readonly em: number;
  readonly q: number;
  /** µs per 1000 routed (token, expert) pairs on the GPU. */
  readonly gamma: number;
  /** Spread of routed pairs over experts (1: Poisson-like). */
  readonly kappa: number;
  /** Rows each active expert's grouped GEMM pads to. */
  readonly tm: number;
  /** Expert-parallel load imbalance per doubling of EP. */
  readonly lambda: number;
  /** Token counts of the correction curves, ascending. */
  readonly tGrid: readonly number[];
  /** Correction per token count for each {@link moeClass} class. */
  readonly corr: readonly (readonly number[])[];
}

/**
 * MoE correction class of a split: 0 unsplit, 1 expert tensor parallel, then one class per expert-parallel degree
 * (2, 4, 8, 16, 32 or more; other degrees by the nearest power of two). The grouped GEMMs' efficiency moves with
 * the experts per GPU: one class for every EP degree left EP 2–8 up to 25 % slow and EP 16–32 up to 25 % fast.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { moeClass } from "./efficiency.ts";
 * assert(moeClass(1, 1) === 0 && moeClass(4, 1) === 1 && moeClass(1, 2) === 2 && moeClass(1, 8) === 4);
 * assert(moeClass(1, 64) === moeClass(1, 32));
 * ```
 */
export function moeClass(tp: number, ep: number): number {
  if (ep > 1) return 1 + Math.min(MOE_CLASSES - 2, Math.max(1, Math.round(Math.log2(ep))));
  return tp > 1 ? 1 : 0;
}

/** Number of {@link moeClass} classes. */
export const MOE_CLASSES = 7;

/** A collective on a fixed number of GPUs: `(t0 + bytes / bw) × correction(bytes)`. */
export interface CommCoef {
  readonly t0: number;
  /** Effective bytes/s of the message. */
  readonly bw: number;
  /** Correction over the message bytes. */
  readonly bySize: Correction;
}

/** Smooth maximum of a compute and a memory time: `(tc^q + tb^q)^(1/q)`. */
export const blend = (tc: number, tb: number, q: number): number =>
  Math.pow(Math.pow(tc, q) + Math.pow(tb, q), 1 / q);

/** Piecewise-linear lookup of `ys` over ascending `xs`, clamped at both ends. */
export function lerpClamped(xs: readonly number[], ys: readonly number[], x: number): number {
  const n = xs.length;
  if (n === 0) return 1;
  if (x <= xs[0]) return ys[0];
  if (x >= xs[n - 1]) return ys[n - 1];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  const w = (x - xs[lo]) / (xs[hi] - xs[lo]);
  return ys[lo] + w * (ys[hi] - ys[lo]);
}

/** The factor of a correction at `x`. */
export function correction(c: Correction, x: number): number {
  return lerpClamped(c.grid, c.values, x);
}

/**
 * Shape class of a GEMM's correction curve: three `n` bands (`< 4096`, `< 16384`, larger) × three `k` bands
 * (`< 2048`, `< 6144`, larger), `3 · nBand + kBand`. Kernel selection and the activation-quantization share
 * both move with `k` as much as with `n`, so one curve per `n` band alone leaves deep-`k` prefill GEMMs 10–40 %
 * off.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gemmClass } from "./efficiency.ts";
 * assert(gemmClass(1280, 8192) === 2 && gemmClass(8192, 1024) === 3 && gemmClass(28672, 8192) === 8);
 * ```
 */
export function gemmClass(n: number, k: number): number {
  return 3 * (n < 4096 ? 0 : n < 16384 ? 1 : 2) + (k < 2048 ? 0 : k < 6144 ? 1 : 2);
}

/** Number of {@link gemmClass} shape classes. */
export const GEMM_CLASSES = 9;

/** GEMM time before the `m` correction (ms). */
export function gemmBaseMs(
  c: GemmCoef,
  gpu: GpuSpec,
  peak: number,
  wBytes: number,
  aBytes: number,
  m: number,
  n: number,
  k: number,
): number {
  const sm = gpu.smCount;
  const waves = Math.ceil(Math.ceil(m / 128) * Math.ceil(n / 128) / sm);
  const tcWave = waves * 32768 * k * sm / (peak * c.ec);
  const tcFlat = 2 * m * n * k / (peak * c.ec);
  const tc = (c.wave * tcWave + (1 - c.wave) * tcFlat) * 1e3;
  const tb = gemmBytes(m, n, k, wBytes, aBytes) / (gpu.memBw * c.em) * 1e3;
  return c.t0 + blend(tc, tb, c.q) + c.beta * m * k * 1e-9;
}

/**
 * GEMM time (ms) from its curve.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GPUS } from "../catalog/gpus.ts";
 * import { GEMM_CLASSES, gemmMs } from "./efficiency.ts";
 * const corr = Array.from({ length: GEMM_CLASSES }, () => [1]);
 * const c = { t0: 0.004, ec: 0.8, em: 0.8, q: 3, beta: 0, wave: 0, mGrid: [1], corr };
 * const ms = gemmMs(c, GPUS.h200_sxm, 989e12, 2, 2, 4096, 4096, 4096);
 * assert(ms > 0.17 && ms < 0.2); // 137 GFLOP at 0.8 × 989 TF plus launch
 * ```
 */
export function gemmMs(
  c: GemmCoef,
  gpu: GpuSpec,
  peak: number,
  wBytes: number,
  aBytes: number,
  m: number,
  n: number,
  k: number,
): number {
  return gemmBaseMs(c, gpu, peak, wBytes, aBytes, m, n, k) * lerpClamped(c.mGrid, c.corr[gemmClass(n, k)], m);
}

/** Context-attention time (ms) before the batch and sequence corrections. */
export function contextAttentionBaseMs(
  c: ContextAttentionCoef,
  gpu: GpuSpec,
  peak: number,
  b: number,
  s: number,
  p: number,
  heads: number,
  kvHeads: number,
  d: number,
  window: number,
  kvB: number,
): number {
  const occ = Math.min(1, b * heads * Math.ceil((s + p) / 128) / gpu.smCount);
  const tc = contextAttentionFlops(b, s, p, heads, d, window) / (peak * c.ec * occ) * 1e3;
  const tb = contextAttentionBytes(b, s, p, heads, kvHeads, d, kvB) / (gpu.memBw * c.em) * 1e3;
  return c.t0 + blend(tc, tb, c.q);
}

/**
 * Context-attention time (ms) for `b` sequences of `s` new tokens after `p` cached ones: the base time times the
 * fitted corrections over batch, sequence length and GQA group, all three as the fit applied them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GPUS } from "../catalog/gpus.ts";
 * import { contextAttentionBaseMs, contextAttentionMs } from "./efficiency.ts";
 * const flat = { grid: [1], values: [1] };
 * const c = { t0: 0.01, ec: 0.6, em: 0.5, q: 2, byBatch: flat, bySeq: flat, byGroup: { grid: [1, 8], values: [1, 0.8] } };
 * const gpu = GPUS.h200_sxm;
 * const base = contextAttentionBaseMs(c, gpu, gpu.bf16Flops, 1, 4096, 0, 32, 4, 128, 0, 2);
 * const ms = contextAttentionMs(c, gpu, gpu.bf16Flops, 1, 4096, 0, 32, 4, 128, 0, 2); // group 8
 * assert(Math.abs(ms / base - 0.8) < 1e-12);
 * ```
 */
export function contextAttentionMs(
  c: ContextAttentionCoef,
  gpu: GpuSpec,
  peak: number,
  b: number,
  s: number,
  p: number,
  heads: number,
  kvHeads: number,
  d: number,
  window: number,
  kvB: number,
): number {
  return contextAttentionBaseMs(c, gpu, peak, b, s, p, heads, kvHeads, d, window, kvB) *
    correction(c.byBatch, b) *
    correction(c.bySeq, s + p) *
    correction(c.byGroup, heads / kvHeads);
}

/** Generation-attention time (ms) before the batch and length corrections. */
export function generationAttentionBaseMs(
  c: GenerationAttentionCoef,
  gpu: GpuSpec,
  peak: number,
  b: number,
  kvLen: number,
  heads: number,
  kvHeads: number,
  d: number,
  window: number,
  kvB: number,
): number {
  const len = window > 0 && kvLen > window ? window : kvLen;
  const occ = Math.min(1, b * kvHeads * Math.ceil(len / c.x0) / gpu.smCount);
  const tb = generationAttentionBytes(b, len, heads, kvHeads, d, 0, kvB) / (gpu.memBw * c.em * occ) * 1e3;
  const group = Math.max(heads / kvHeads, c.tq);
  const tc = generationAttentionFlops(b, len, kvHeads * group, d, 0) / (peak * c.ec * occ) * 1e3;
  return c.t0 + c.gamma * b * kvHeads * 1e-3 + blend(tc, tb, c.q);
}

/** Generation-attention time (ms) for `b` sequences reading `kvLen` cached tokens each. */
export function generationAttentionMs(
  c: GenerationAttentionCoef,
  gpu: GpuSpec,
  peak: number,
  b: number,
  kvLen: number,
  heads: number,
  kvHeads: number,
  d: number,
  window: number,
  kvB: number,
): number {
  return generationAttentionBaseMs(c, gpu, peak, b, kvLen, heads, kvHeads, d, window, kvB) *
    correction(c.byBatch, b) * correction(c.bySeq, kvLen);
}

/** MoE time before the token-count correction (ms); `tokens` are those the block sees on this GPU's group. */
export function moeBaseMs(
  c: MoeCoef,
  gpu: GpuSpec,
  peak: number,
  wBytes: number,
  tokens: number,
  b: MoeBlock,
): number {
  const { hidden, inter, topK, experts, tp, ep } = b;
  const g = moeMatrices(b);
  const pairs = tokens * topK / ep;
  const local = experts / ep;
  const active = local * (1 - Math.exp(-pairs / (local * c.kappa)));
  const bytes = wBytes * hidden * inter * g / tp * active + 2 * pairs * (2 * hidden + g * inter / tp);
  const rows = Math.max(pairs * (1 + c.lambda * Math.log2(ep)), active * c.tm);
  const tc = 2 * rows * hidden * inter * g / tp / (peak * c.ec) * 1e3;
  const tb = bytes / (gpu.memBw * c.em) * 1e3;
  return c.t0 + c.gamma * pairs * 1e-6 + blend(tc, tb, c.q);
}

/** MoE time (ms) from its curve. */
export function moeMs(
  c: MoeCoef,
  gpu: GpuSpec,
  peak: number,
  wBytes: number,
  tokens: number,
  b: MoeBlock,
): number {
  return moeBaseMs(c, gpu, peak, wBytes, tokens, b) *
    lerpClamped(c.tGrid, c.corr[moeClass(b.tp, b.ep)], tokens);
}

/** Collective time (ms) for a message of `bytes`, before the size correction. */
export function commBaseMs(c: CommCoef, bytes: number): number {
  return c.t0 + bytes / c.bw * 1e3;
}

/**
 * All-reduce time (ms) as the analytic model charges it: the fitted line `t0 + bytes · scale / bw`, lowered by
 * the table's per-size correction where that is below 1 (the tiniest messages, and prefill-sized ones of tens
 * of MB and more, where the collective's bandwidth keeps rising) and never raised by it. The tables' mid-size
 * hump (vLLM's custom all-reduce on 8 GPUs takes up to 1.6× the line at 256 kB–2 MB, the messages of a decode
 * at 16–128 sequences) does not show in measured decode steps: charged, Llama-3.1-70B's TPOT at TP 8 on B200
 * and 16–32 concurrent goes from within ±10% of the silicon corpus to 20–50% over it.
 *
 * @param scale Message-size factor for a GPU count other than the fitted one (ring traffic and link speed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { allReduceMs } from "./efficiency.ts";
 * const c = { t0: 0.005, bw: 2e11, bySize: { grid: [1e6, 1e8], values: [1.5, 0.8] } };
 * assert(Math.abs(allReduceMs(c, 1e6) - 0.01) < 1e-12); // hump ignored: 5 µs + 5 µs
 * assert(Math.abs(allReduceMs(c, 1e8) - 0.8 * 0.505) < 1e-12); // large message: the table's 0.8
 * ```
 */
export function allReduceMs(c: CommCoef, bytes: number, scale = 1): number {
  return commBaseMs(c, bytes * scale) * Math.min(1, correction(c.bySize, bytes));
}

/** Collective time (ms) for a message of `bytes`. */
export function commMs(c: CommCoef, bytes: number): number {
  return commBaseMs(c, bytes) * correction(c.bySize, bytes);
}
