/**
 * KV-cache capacity from the serving framework's memory budget (perf-model.md §6), so that a simulated engine
 * admits as many tokens as the real one would.
 *
 * Per GPU: `kv = budget − weights − activations − nccl − other`, where
 * - vLLM: `budget = gpu_memory_utilization × device memory` (default 0.92 from vLLM 0.22, 0.9 before);
 * - TensorRT-LLM: `kv = free_gpu_memory_fraction × (memory − weights − activations − nccl − other)` (default 0.9);
 * - SGLang: `kv = mem_fraction_static × memory − weights` (default 0.88; SGLang's static pool holds weights and
 *   KV, activations live outside it);
 * - weights from the architecture and the run's weight formats (the checkpoint's unless `aic_gemm_dtype` /
 *   `aic_moe_dtype` requantize it; `catalog/footprint.ts`), and with MTP drafts (`aic_nextn` > 0) the draft
 *   layer vLLM loads beside the model, once whatever the number of drafts (`mtpWeightBytesPerGpu`);
 * - activations: the profiling forward pass over `max_num_batched_tokens` tokens (residual, QKV, FFN or routed
 *   expert intermediates in BF16) plus FP32 logits for `max_num_seqs` sequences;
 * - NCCL buffers (0 at TP 1, 342 MB at TP 2, 392 MB at TP 4–8) and 3.5 GiB of CUDA context, cuBLAS workspaces and
 *   CUDA graphs: AIC's system-file constants.
 *
 * Blocks = `floor(kv / (KV bytes per token per GPU × block size))`, one rank's pool (each attention-DP rank
 * holds its own). A linear-attention model's recurrent state lives in the same pool, as vLLM's hybrid allocator
 * keeps it: each running sequence takes {@link stateBlocksPerSeq} blocks for it, in blocks that vLLM first
 * enlarges until one holds a layer's state ({@link hybridBlockSize}). So do the sliding-window layers of a model that
 * also has full-attention ones: the pool is sized by the full-attention layers, and each sequence's sliding
 * layers take blocks of it for the tokens in their window ({@link windowBlocks}).
 *
 * @module
 */
import { InputError, type InputLocation } from "../common/errors.ts";
import {
  type AttentionShape,
  ffnMatrices,
  fullAttentionShape,
  kvHeadsPerGpu,
  slidingAttentionShape,
} from "./catalog/arch.ts";
import {
  kvBytesPerTokenPerGpu,
  kvBytesPerTokenPerLayerPerGpu,
  linearStateBytesPerSeqPerGpu,
  mtpWeightBytesPerGpu,
  slidingKvBytesPerTokenPerGpu,
  weightBytesPerGpu,
} from "./catalog/footprint.ts";
import { compareVersions } from "./aic/versions.ts";
import type { PerfSetup } from "./setup.ts";

/** AIC's NCCL buffer estimate per TP size (bytes). */
export function ncclBytes(tp: number): number {
  return tp <= 1 ? 0 : tp === 2 ? 358_612_992 : 411_041_792;
}

/** AIC's framework memory (CUDA context, cuBLAS, graphs), bytes. */
export const OTHER_MEM_BYTES = 3_758_096_384;

/** vLLM's `gpu_memory_utilization` default for a version (0.92 from 0.22, 0.9 before). */
export function defaultGpuMemoryUtilization(version: string): number {
  return compareVersions(version, "0.22.0") >= 0 ? 0.92 : 0.9;
}

/** Memory settings from engine args. */
export interface MemoryArgs {
  readonly maxNumBatchedTokens: number;
  readonly maxNumSeqs: number;
  readonly blockSize: number;
  readonly gpuMemoryUtilization?: number | null;
  readonly memFractionStatic?: number | null;
  readonly freeGpuMemoryFraction?: number | null;
}

/** The derived capacity and how it was reached (bytes per GPU unless stated). */
export interface KvCapacity {
  /** Blocks of one engine rank (one attention-DP rank's pool). */
  readonly numGpuBlocks: number;
  /** Tokens of one engine rank. */
  readonly tokens: number;
  readonly kvBytes: number;
  readonly weightBytes: number;
  readonly activationBytes: number;
  /** Runtime memory besides activations: the communicator's buffers ({@link KvCapacity.commBytes}) and the rest. */
  readonly reservedBytes: number;
  /** The TP communicator's buffers (NCCL), part of `reservedBytes`. */
  readonly commBytes: number;
  /** The GPU's memory. */
  readonly gpuBytes: number;
  readonly kvBytesPerToken: number;
  /** Recurrent-state bytes per running sequence (linear-attention layers; 0 for other models). */
  readonly stateBytesPerSeq: number;
  /** The fraction applied and its engine-arg name. */
  readonly fraction: number;
  readonly fractionArg: "gpu_memory_utilization" | "free_gpu_memory_fraction" | "mem_fraction_static";
}

/**
 * Blocks of `blockSize` tokens each running sequence holds for its recurrent state on one GPU: the state of all
 * its linear-attention layers over the KV bytes of a block, rounded up; 0 for models without linear attention.
 * With MTP (`aic_nextn` = k) each sequence keeps k + 1 states, one per position a verification round may stop
 * at, as vLLM's `num_speculative_blocks` reserves them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolvePerfSetup } from "./setup.ts";
 * import { stateBlocksPerSeq } from "./capacity.ts";
 * assert.equal(stateBlocksPerSeq(resolvePerfSetup({ aic_model_path: "Qwen/Qwen3-8B" })!, 16), 0);
 * ```
 */
export function stateBlocksPerSeq(setup: PerfSetup, blockSize: number): number {
  const state = linearStateBytesPerSeqPerGpu(setup.model.arch, setup.par.tp) * (1 + setup.nextn);
  if (state === 0) return 0;
  const perBlock = kvBytesPerTokenPerGpu(setup.model.arch, setup.dtypes.kv, setup.par.tp) * blockSize;
  return Math.ceil(state / perBlock);
}

/**
 * How a model's sliding-window layers hold KV in a pool sized by its full-attention layers, as vLLM's hybrid
 * allocator keeps both kinds of layer in one pool of same-size pages: a sequence's sliding layers take `share`
 * pool blocks for each block of tokens in their `window` (the last `window − 1` tokens and those of the pass
 * being computed; older blocks are freed). `share` is 0 for models without both kinds of layer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolvePerfSetup } from "./setup.ts";
 * import { windowBlocks } from "./capacity.ts";
 * // gpt-oss-120b: 18 sliding layers of 128-token windows beside 18 full-attention layers of the same shape.
 * const setup = resolvePerfSetup({ aic_model_path: "openai/gpt-oss-120b" })!;
 * assert.deepEqual(windowBlocks(setup), { share: 1, window: 128 });
 * assert.deepEqual(windowBlocks(resolvePerfSetup({ aic_model_path: "Qwen/Qwen3-8B" })!), { share: 0, window: 0 });
 * ```
 */
export function windowBlocks(setup: PerfSetup): { readonly share: number; readonly window: number } {
  const { arch } = setup.model, kv = setup.dtypes.kv, tp = setup.par.tp;
  const sliding = slidingKvBytesPerTokenPerGpu(arch, kv, tp);
  if (sliding === 0) return { share: 0, window: 0 };
  return { share: sliding / kvBytesPerTokenPerGpu(arch, kv, tp), window: arch.slidingWindow!.window };
}

/**
 * The attention block size vLLM gives a hybrid (linear-attention) model: the smallest multiple of 16 tokens
 * whose KV page, one layer's on one GPU, holds one layer's recurrent state, so that both kinds of page share one
 * pool (vLLM's `HybridAttentionMambaModelConfig`: 528 tokens for Qwen3.5-4B, 784 for Qwen3.5-27B at TP 1 with a
 * BF16 KV cache). vLLM raises a smaller `block_size` to it; `requested` is kept when larger. For a model with
 * sliding-window layers of larger pages (Gemma 4), the full-attention layers' blocks grow by the pages' ratio;
 * for other models `requested` is kept.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolvePerfSetup } from "./setup.ts";
 * import { hybridBlockSize } from "./capacity.ts";
 * assert.equal(hybridBlockSize(resolvePerfSetup({ aic_model_path: "Qwen/Qwen3-8B" })!, 64), 64);
 * assert.equal(hybridBlockSize(resolvePerfSetup({ aic_model_path: "openai/gpt-oss-120b" })!, 64), 64);
 * ```
 */
export function hybridBlockSize(setup: PerfSetup, requested: number): number {
  const a = setup.model.arch, la = a.linearAttention;
  if (!la) return slidingBlockSize(setup, requested);
  const statePerLayer = linearStateBytesPerSeqPerGpu(a, setup.par.tp) / la.layers;
  const kvPerTokenPerLayer = kvBytesPerTokenPerLayerPerGpu(a, setup.dtypes.kv, setup.par.tp);
  const aligned = 16 * Math.ceil(statePerLayer / (16 * kvPerTokenPerLayer));
  return Math.max(requested, aligned);
}

/**
 * The full-attention block size vLLM gives a model whose sliding-window layers have larger KV pages per token
 * than its full-attention layers (Gemma 4, MiMo-V2): `requested` times the ratio, so that both kinds of page are
 * the same size (vLLM's `unify_kv_cache_spec_page_size`); `requested` where the pages already match, where the
 * full layers' are the larger, or where the ratio is not whole (vLLM refuses those).
 */
function slidingBlockSize(setup: PerfSetup, requested: number): number {
  const a = setup.model.arch, kv = setup.dtypes.kv, tp = setup.par.tp;
  const sliding = slidingKvBytesPerTokenPerGpu(a, kv, tp);
  if (sliding === 0) return requested;
  const ratio = sliding / a.slidingWindow!.layers / kvBytesPerTokenPerLayerPerGpu(a, kv, tp);
  return ratio > 1 && Number.isInteger(ratio) ? requested * ratio : requested;
}

/** Peak activation bytes of the memory-profiling forward pass on one GPU. */
export function activationBytesPerGpu(setup: PerfSetup, maxTokens: number, maxSeqs: number): number {
  const a = setup.model.arch;
  const tp = setup.par.tp;
  // The widest kind of attention layer's q, k and v.
  const width = (s: AttentionShape) => {
    const kv = kvHeadsPerGpu(s, tp);
    return (a.heads / tp + kv) * s.headDim + kv * s.vHeadDim;
  };
  const qkv = a.mla
    ? a.heads / tp * (a.mla.qkNopeDim + a.mla.qkRopeDim) * 2
    : Math.max(width(fullAttentionShape(a)), a.slidingWindow ? width(slidingAttentionShape(a)) : 0);
  const mats = ffnMatrices(a);
  const ffn = a.moe
    ? Math.max(
      a.moe.denseLayers > 0 ? mats * a.ffn / tp : 0,
      a.moe.topK * mats * a.moe.expertFfn / setup.par.moeTp,
    )
    : mats * a.ffn / tp;
  return maxTokens * 2 * (4 * a.hidden + qkv + ffn) + maxSeqs * a.vocab / tp * 4;
}

/**
 * Derive the KV capacity of one engine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolvePerfSetup } from "./setup.ts";
 * import { deriveKvCapacity } from "./capacity.ts";
 * const setup = resolvePerfSetup({
 *   aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8",
 *   aic_kv_cache_dtype: "bfloat16", // the checkpoint's default is FP8, §10.5 counts BF16
 * })!;
 * const cap = deriveKvCapacity(setup, { maxNumBatchedTokens: 8192, maxNumSeqs: 256, blockSize: 64,
 *   gpuMemoryUtilization: 0.9 });
 * assert(cap.tokens > 800_000 && cap.tokens < 960_000); // perf-model.md §10.5: ≈ 870k
 * ```
 */
export function deriveKvCapacity(setup: PerfSetup, mem: MemoryArgs, at: InputLocation = {}): KvCapacity {
  const gpu = setup.gpu;
  // Weights in the formats the run uses (aic_gemm_dtype / aic_moe_dtype may requantize the checkpoint).
  const d = setup.dtypes;
  // MXFP4 experts priced on FP4 tensor cores (`nvfp4`, see setup.ts) keep their checkpoint's bytes.
  const moe = d.moe === "nvfp4" && setup.model.quant.moe === "w4a16_mxfp4" ? "w4a16_mxfp4" : d.moe;
  const quant = { ...setup.model.quant, linear: d.linear, attention: d.attention, moe };
  const model = { ...setup.model, quant };
  const weights = weightBytesPerGpu(model, setup.par) +
    (setup.nextn > 0 ? mtpWeightBytesPerGpu(model, setup.par) : 0);
  const act = activationBytesPerGpu(setup, mem.maxNumBatchedTokens, mem.maxNumSeqs);
  const comm = ncclBytes(setup.par.tp), reserved = comm + OTHER_MEM_BYTES;
  let kv: number;
  let fraction: number;
  let fractionArg: KvCapacity["fractionArg"];
  if (setup.backend === "trtllm") {
    fraction = mem.freeGpuMemoryFraction ?? 0.9;
    fractionArg = "free_gpu_memory_fraction";
    kv = fraction * (gpu.memBytes - weights - act - reserved);
  } else if (setup.backend === "sglang") {
    fraction = mem.memFractionStatic ?? 0.88;
    fractionArg = "mem_fraction_static";
    kv = fraction * gpu.memBytes - weights;
  } else {
    fraction = mem.gpuMemoryUtilization ?? defaultGpuMemoryUtilization(setup.version);
    fractionArg = "gpu_memory_utilization";
    kv = fraction * gpu.memBytes - weights - act - reserved;
  }
  const perToken = kvBytesPerTokenPerGpu(setup.model.arch, setup.dtypes.kv, setup.par.tp);
  const blocksPerRank = Math.floor(kv / (perToken * mem.blockSize));
  if (!(blocksPerRank >= 1)) {
    const gb = (x: number) => (x / 1e9).toFixed(1);
    throw new InputError(
      `${setup.model.id} does not fit on ${gpu.name} at tp ${setup.par.tp}: ${
        gb(weights)
      } GB of weights and ` +
        `${
          gb(act + reserved)
        } GB of activations and runtime per GPU leave no room for KV at ${fractionArg} ` +
        `${fraction}; raise aic_tp_size (or aic_moe_ep_size), or set num_gpu_blocks`,
      { ...at, field: at.field ?? "aic_tp_size" },
    );
  }
  return {
    numGpuBlocks: blocksPerRank,
    tokens: blocksPerRank * mem.blockSize,
    kvBytes: kv,
    weightBytes: weights,
    activationBytes: act,
    reservedBytes: reserved,
    commBytes: comm,
    gpuBytes: gpu.memBytes,
    kvBytesPerToken: perToken,
    stateBytesPerSeq: linearStateBytesPerSeqPerGpu(setup.model.arch, setup.par.tp),
    fraction,
    fractionArg,
  };
}
