/**
 * vLLM's DeepGEMM routed-expert block (`moe_backend: deep_gemm`): block-FP8 experts as DeepGEMM's grouped GEMM
 * over the "contiguous" layout, which vLLM picked by default on Hopper below MoE TP 8 from late 2025.
 *
 * The layout gives each local expert its own run of rows, padded to DeepGEMM's 128-row block. Without expert
 * counts on the host, vLLM sizes it for the worst case, `tokens × topK + experts × 127` rows rounded up to 128,
 * and the measured decode steps (flat in the batch) say both grouped GEMMs and the activation between them cost
 * as if they ran over every one of those rows. So the block costs about the same for one token as for a hundred:
 * every local expert's weights are read and 128 rows per expert are multiplied, whatever the batch. Each GEMM is
 * priced at its roofline, {@link DEEPGEMM.compute} of FP8 peak or {@link DEEPGEMM.memory} of HBM bandwidth for
 * its weights, input and output; the activation, the permute and the unpermute as memory passes.
 *
 * @module
 */
import type { GpuSpec } from "../catalog/gpus.ts";
import { memoryOpMs, type MoeBlock, moeMatrices } from "../roofline.ts";

/**
 * The block's terms: DeepGEMM's row block (its `m` alignment for the contiguous layout) and the compute and
 * memory efficiencies of its grouped GEMMs.
 */
export const DEEPGEMM = { blockM: 128, compute: 0.5, memory: 0.8 } as const;

/**
 * Rows the contiguous layout holds for `tokens` tokens: each pair once, each local expert padded to a full block.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deepGemmRows } from "./deepgemm.ts";
 * assert.equal(deepGemmRows(4, 8, 128), 16384); // 32 pairs + 128 × 127 padding rows, rounded to 128
 * ```
 */
export function deepGemmRows(tokens: number, topK: number, localExperts: number): number {
  const b = DEEPGEMM.blockM;
  return Math.ceil((tokens * topK + localExperts * (b - 1)) / b) * b;
}

/**
 * Time of one DeepGEMM routed-expert block (ms) on one GPU: `tokens` tokens through block `b`, FP8 weights and
 * activations, BF16 outputs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GPUS } from "../catalog/gpus.ts";
 * import { deepGemmMoeMs } from "./deepgemm.ts";
 * // Qwen3-235B-A22B's experts at TP 2 on H200: ~0.4 ms whether 4 or 64 tokens (1.2 GB of weights per layer).
 * const block = { hidden: 4096, inter: 1536, topK: 8, experts: 128, tp: 2, ep: 1 };
 * const at = (t: number) => deepGemmMoeMs(GPUS.h200_sxm, t, block);
 * assert(at(4) > 0.35 && at(4) < 0.45 && at(64) / at(4) < 1.05);
 * ```
 */
export function deepGemmMoeMs(gpu: GpuSpec, tokens: number, b: MoeBlock): number {
  const { hidden, topK } = b;
  const local = b.experts / b.ep;
  const n = b.inter / b.tp;
  const up = (moeMatrices(b) - 1) * n; // gate and up, or up alone
  const rows = deepGemmRows(tokens, topK, local);
  const pairs = tokens * topK;
  return groupedGemmMs(gpu, rows, local, up, hidden) + groupedGemmMs(gpu, rows, local, hidden, n) +
    // The activation with FP8 quantization over every row; the permute and the weighted unpermute over the pairs.
    memoryOpMs(rows * (up * 2 + n), gpu.memBw) +
    memoryOpMs(tokens * hidden + pairs * hidden, gpu.memBw) +
    memoryOpMs(pairs * hidden * 2 + tokens * hidden * 2, gpu.memBw);
}

/**
 * One grouped GEMM of `rows × cols × depth` over `local` experts at its roofline (ms): FP8 weights of every local
 * expert and FP8 input in, BF16 out.
 */
function groupedGemmMs(gpu: GpuSpec, rows: number, local: number, cols: number, depth: number): number {
  const flops = 2 * rows * cols * depth, bytes = local * cols * depth + rows * depth + 2 * rows * cols;
  return Math.max(flops / (gpu.fp8Flops * DEEPGEMM.compute), bytes / (gpu.memBw * DEEPGEMM.memory)) * 1e3;
}
