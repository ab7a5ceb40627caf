/**
 * Kernel-time ceilings: the slowest a GEMM, a routed-expert block or an MLA block can plausibly run inside a
 * serving engine.
 *
 * AIC's tables time each kernel call on its own, host launch and input quantization included. Where that host
 * side dominates, a table holds a flat floor far above the kernel: B200 vLLM 0.22/0.24 block-FP8 GEMMs take
 * 0.16 ms at m = 16 whatever `k` (0.012–0.017 ms in the 0.19 tables of the same GPU; the weights take 2 µs to
 * stream), H100/H200 FlashInfer block-FP8 GEMMs 0.059 ms. An engine replays its decode steps as CUDA graphs,
 * where no such per-call host cost exists, so a curve fitted to those floors makes a MoE model's decode step
 * several times too slow (MiniMax-M2.5 TP 4 on B200 at batch 4: 27 ms of kernels, ~8 ms measured end to end).
 *
 * The analytic model therefore prices each GEMM, MoE and MLA block at no more than a pessimistic roofline: a fixed
 * launch cost plus the larger of its FLOPs at {@link CEILING.compute} of peak and its bytes at
 * {@link CEILING.memory} of HBM bandwidth. Real kernels run well inside it (AIC's own decode GEMMs reach
 * 42–90 % of bandwidth, perf-model.md §11.2), so it only cuts table floors; the kernel-level fidelity report
 * compares the uncut curves with the tables.
 *
 * @module
 */
import type { GpuSpec } from "../catalog/gpus.ts";
import { gemmBytes, type MoeBlock, moeBytes, moeFlops, moeMatrices } from "../roofline.ts";
import type { MlaWork } from "./mla.ts";

/**
 * The ceiling's terms: the cost of one kernel inside a CUDA graph beyond its work (launch gap and ramp, ms; a few
 * µs on Hopper and Blackwell) and the pessimistic compute and memory efficiencies.
 */
export const CEILING = { launchMs: 0.004, compute: 0.3, memory: 0.3 } as const;

/**
 * Ceiling of a GEMM `m × n × k` (ms).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GPUS } from "../catalog/gpus.ts";
 * import { gemmCeilingMs } from "./ceiling.ts";
 * // m = 16 over a 4096 × 4096 FP8 weight on B200: 17 MB at 30 % of 8 TB/s, plus launch: ~11 µs, not 160.
 * const ms = gemmCeilingMs(GPUS.b200_sxm, 4.5e15, 1, 1, 16, 4096, 4096);
 * assert(ms > 0.01 && ms < 0.02);
 * ```
 */
export function gemmCeilingMs(
  gpu: GpuSpec,
  peak: number,
  wBytes: number,
  aBytes: number,
  m: number,
  n: number,
  k: number,
): number {
  const tc = 2 * m * n * k / (peak * CEILING.compute);
  const tb = gemmBytes(m, n, k, wBytes, aBytes) / (gpu.memBw * CEILING.memory);
  return CEILING.launchMs + Math.max(tc, tb) * 1e3;
}

/**
 * Ceiling of a routed-expert block (gate+up and down grouped GEMMs over `tokens` tokens) on one GPU (ms).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GPUS } from "../catalog/gpus.ts";
 * import { moeCeilingMs } from "./ceiling.ts";
 * // 4 tokens, top-8 of 256 experts (hidden 3072, expert FFN 1536), TP 4, FP8: 32 experts' quarters, 113 MB.
 * const block = { hidden: 3072, inter: 1536, topK: 8, experts: 256, tp: 4, ep: 1 };
 * const ms = moeCeilingMs(GPUS.b200_sxm, 4.5e15, 1, 4, block);
 * assert(ms > 0.05 && ms < 0.08);
 * ```
 */
export function moeCeilingMs(
  gpu: GpuSpec,
  peak: number,
  wBytes: number,
  tokens: number,
  b: MoeBlock,
): number {
  const g = moeMatrices(b);
  const tc = moeFlops(tokens, b, g) / (peak * CEILING.compute);
  const tb = moeBytes(tokens, b, g, wBytes) / (gpu.memBw * CEILING.memory);
  return 2 * CEILING.launchMs + Math.max(tc, tb) * 1e3;
}

/**
 * Ceiling of an MLA block (its five projections and the latent attention) on one GPU, from its work (ms).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GPUS } from "../catalog/gpus.ts";
 * import { mlaWork } from "./mla.ts";
 * import { mlaCeilingMs } from "./ceiling.ts";
 * const shape = { hidden: 7168, qLoraRank: 1536, kvLoraRank: 512, qkNopeDim: 128, qkRopeDim: 64, vHeadDim: 128 };
 * // DeepSeek-style block, 16 heads per GPU, one decode token over 1500 cached: 38 MB of FP8 weights and KV.
 * const w = mlaWork(shape, 16, 1, 1, 1500, false, 1, 2);
 * const ms = mlaCeilingMs(GPUS.b200_sxm, 4.5e15, 2.25e15, w);
 * assert(ms > 0.03 && ms < 0.04);
 * ```
 */
export function mlaCeilingMs(gpu: GpuSpec, gemmPeak: number, attnPeak: number, w: MlaWork): number {
  const tc = w.gemmFlops / (gemmPeak * CEILING.compute) + w.attnFlops / (attnPeak * CEILING.compute);
  const tb = w.bytes / (gpu.memBw * CEILING.memory);
  return 5 * CEILING.launchMs + Math.max(tc, tb) * 1e3;
}
