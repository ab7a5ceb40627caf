/**
 * Per-pass framework overhead of each serving framework: what a real engine step costs beyond the model's kernel
 * sum (scheduling, input preparation, kernel-launch gaps, sampling). Charged once per forward pass:
 * `base + perLayer × layers + sequences × (perSeq + samplingPasses × vocab × 4 B / memory bandwidth)`.
 *
 * vLLM: BLIS's fitted step terms for vLLM V1 on H100 (perf-model.md §12): 126 µs per step, 32 µs per layer,
 * 4 µs per request — 1.18 ms for Llama-3.1-8B at batch 8, inside the 1–1.5 ms the vLLM nightly (6.5 ms steps
 * against a 5.0 ms kernel sum) and NIM (4.63 ms against 4.39 ms) imply. On top, sampling: every request's
 * next token is drawn from its FP32 logits with the checkpoints' default top-k/top-p, a per-sequence cost that
 * grows with the vocabulary and shrinks with memory bandwidth. It is fitted (`samplingPasses`, logit-sized
 * memory passes per sequence) to the TPOT of measured runs at 64–512 concurrent, where the kernel sums fall
 * short by a time proportional to the batch and independent of TP (Qwen3-32B on H100 at TP 2/4/8: ~5 ms at
 * 128 concurrent for all three; lib/perf/README.md, "Fidelity"): 100 passes, 18 µs per sequence for a 152k
 * vocabulary on H100, 10 µs for 200k on B200. SGLang and TensorRT-LLM overlap CPU scheduling with the GPU and
 * the references publish no step-overhead figures for them: their values are estimates (smaller per-step and
 * per-layer terms, no sampling term) and are flagged as such in the README.
 *
 * @module
 */
import type { Backend } from "../setup.ts";

/** Overhead terms: times in ms, `samplingPasses` in logit-sized memory passes per sequence. */
export interface Overhead {
  readonly base: number;
  readonly perLayer: number;
  readonly perSeq: number;
  readonly samplingPasses: number;
}

/** Overhead per backend. */
export const FRAMEWORK_OVERHEAD: Readonly<Record<Backend, Overhead>> = {
  vllm: { base: 0.126, perLayer: 0.032, perSeq: 0.004, samplingPasses: 100 },
  sglang: { base: 0.1, perLayer: 0.02, perSeq: 0.003, samplingPasses: 0 },
  trtllm: { base: 0.1, perLayer: 0.015, perSeq: 0.002, samplingPasses: 0 },
};

/** What the overhead depends on besides the batch: the model's depth and vocabulary, the GPU's bandwidth. */
export interface OverheadShape {
  readonly layers: number;
  readonly vocab: number;
  /** Memory bandwidth, bytes/s. */
  readonly memBw: number;
}

/**
 * Overhead of one pass (ms).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FRAMEWORK_OVERHEAD, passOverhead } from "./overhead.ts";
 * const llama8b = { layers: 32, vocab: 128256, memBw: 4.8e12 }; // on H200
 * const ms = passOverhead(FRAMEWORK_OVERHEAD.vllm, llama8b, 8);
 * assert(ms > 1 && ms < 1.5); // Llama-3.1-8B at batch 8: ~1.1–1.5 ms (perf-model.md §12)
 * ```
 */
export function passOverhead(o: Overhead, shape: OverheadShape, sequences: number): number {
  const perSeq = o.perSeq + o.samplingPasses * shape.vocab * 4 / shape.memBw * 1e3;
  return o.base + o.perLayer * shape.layers + perSeq * sequences;
}
