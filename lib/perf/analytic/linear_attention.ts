/**
 * Gated-DeltaNet linear attention (Qwen3-Next, Qwen3.5/3.6) as one fitted block per phase: the kernels of one
 * layer on one GPU, timed as a floor and a work time that partly overlap (their fitted p-norm); the work is
 * three roofline terms, each over the GPU's peak and multiplied by a fitted factor (the inverse of its
 * efficiency), and a scan term:
 *
 * - **state**: the recurrent state each sequence loads and stores (`vHeads × kHeadDim × vHeadDim`);
 * - **compute**: the delta rule's matmuls, in chunks of {@link GDN_CHUNK} tokens per sequence in a context pass
 *   (a short prompt still costs a whole chunk), one step per sequence in a generation pass;
 * - **conv**: the causal depthwise convolution over q, k and v (context), or its state update (generation);
 * - **scan** (context only): the state's pass from chunk to chunk, sequential within a sequence and parallel
 *   over sequences × value heads: `ceil(s / GDN_CHUNK)` steps of `scan` ms (for 128 × 128 heads), in
 *   `max(1, b·vHeads / width)` waves. This is what makes one long prompt slower than many short ones of the same
 *   total length;
 * - **ramp** (context only): the first chunk's cost in proportion to the tokens in it, `ramp` ms per wave for a
 *   full chunk, added after the overlap. FLA's kernel (SGLang) rises about linearly from 1 to 64 tokens and is
 *   then nearly flat to 128; FlashInfer's (vLLM) is flat over the first chunk, and its fitted `ramp` is small.
 *
 * Fitted to AIC's `gdn_perf` tables by `fit.ts` (the kernels of a phase summed, as a pass runs them).
 *
 * @module
 */
import type { GpuSpec } from "../catalog/gpus.ts";
import type { LinearAttentionShape } from "../catalog/arch.ts";

/** Fitted GDN kernels of one phase: `t0` (ms) plus each work term's SOL time × its factor. */
export interface LinearAttentionCoef {
  readonly t0: number;
  readonly state: number;
  readonly compute: number;
  readonly conv: number;
  /** ms per sequential chunk step (context). */
  readonly scan: number;
  /** Sequences × value heads one scan step runs at once (context). */
  readonly width: number;
  /** ms per scan wave for a full first chunk, scaled by its fill (context; 0 in a generation pass). */
  readonly ramp: number;
  /**
   * How the floor and the work overlap: the time is their `overlap`-norm, `(t0^p + work^p)^(1/p)` (1: they add;
   * large: the larger one alone).
   */
  readonly overlap: number;
}

/** Tokens per chunk of the chunked delta rule (FLA's and FlashInfer's kernels). */
export const GDN_CHUNK = 64;

/** Work of one GDN layer: state bytes moved, matmul FLOPs, convolution bytes moved, and the scan's shape. */
export interface LinearAttentionWork {
  readonly stateBytes: number;
  readonly flops: number;
  readonly convBytes: number;
  /** Sequential chunk steps, scaled by the head size relative to 128 × 128 (0 in a generation pass). */
  readonly steps: number;
  /** Independent scans: sequences × value heads. */
  readonly scans: number;
  /** How full the first chunk is, `min(s, GDN_CHUNK) / GDN_CHUNK` (0 in a generation pass). */
  readonly fill: number;
}

/**
 * The {@link LinearAttentionWork} of one layer over `b` sequences of `s` new tokens each (a context pass) or
 * of one token each (a generation pass, `s` ignored).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linearAttentionWork } from "./linear_attention.ts";
 * const shape = { kHeads: 16, vHeads: 48, kHeadDim: 128, vHeadDim: 128, convKernel: 4, stateBytes: 4 };
 * const one = linearAttentionWork(shape, 1, 1, true), chunk = linearAttentionWork(shape, 1, 64, true);
 * assert.equal(one.flops, chunk.flops); // a 1-token prompt still runs a whole chunk
 * assert.equal(one.stateBytes, 2 * 48 * 128 * 128 * 4); // loaded and stored once per sequence
 * assert.equal(one.fill, 1 / 64); // but its first chunk holds one token
 * ```
 */
export function linearAttentionWork(
  shape: LinearAttentionShape,
  b: number,
  s: number,
  context: boolean,
): LinearAttentionWork {
  const { vHeads, kHeadDim: dk, vHeadDim: dv, convKernel: k } = shape;
  const convDim = 2 * shape.kHeads * dk + vHeads * dv;
  const stateBytes = 2 * b * vHeads * dk * dv * shape.stateBytes;
  const scans = b * vHeads;
  if (!context) {
    // One recurrent step (q·S, k·S and the rank-1 update) and the convolution window read and rolled.
    return {
      stateBytes,
      flops: 6 * scans * dk * dv,
      convBytes: 2 * b * convDim * (k + 1),
      steps: 0,
      scans,
      fill: 0,
    };
  }
  const c = GDN_CHUNK;
  const perSeq = Math.ceil(s / c);
  // Per chunk and head: the inter-chunk products with the state and the intra-chunk causal products.
  const flops = 2 * b * perSeq * vHeads * c * (3 * dk * dv + c * (dk + dv));
  const steps = perSeq * dk * dv / 16384;
  return { stateBytes, flops, convBytes: 4 * b * s * convDim, steps, scans, fill: Math.min(s, c) / c };
}

/**
 * Time (ms) of one GDN layer's kernels for a work count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GPUS } from "../catalog/gpus.ts";
 * import { linearAttentionMs } from "./linear_attention.ts";
 * const coef = { t0: 0.01, state: 1, compute: 1, conv: 1, scan: 0.003, width: 100, overlap: 1, ramp: 0.02 };
 * const work = { stateBytes: 4.8e9, flops: 0, convBytes: 0, steps: 0, scans: 1, fill: 0.5 };
 * const ms = linearAttentionMs(coef, GPUS.h200_sxm, work);
 * assert(Math.abs(ms - 1.02) < 1e-9); // 4.8 GB at 4.8 TB/s, then half a chunk's ramp
 * ```
 */
export function linearAttentionMs(coef: LinearAttentionCoef, gpu: GpuSpec, w: LinearAttentionWork): number {
  const waves = w.scans > coef.width ? w.scans / coef.width : 1;
  const work = coef.scan * w.steps * waves +
    (coef.state * w.stateBytes / gpu.memBw + coef.compute * w.flops / gpu.bf16Flops +
        coef.conv * w.convBytes / gpu.memBw) * 1e3;
  const p = coef.overlap;
  return (coef.t0 ** p + work ** p) ** (1 / p) + coef.ramp * w.fill * waves;
}
