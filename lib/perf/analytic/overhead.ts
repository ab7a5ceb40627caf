/**
 * Per-pass framework overhead of each serving framework: what a real engine step costs beyond the GPU kernel sum
 * (scheduling, input preparation, kernel-launch gaps, sampling). Charged once per forward pass:
 * `base + perLayer × layers + perSeq × sequences`.
 *
 * Sources (perf-model.md §12): vLLM V1 with CUDA graphs runs an 8B model's step about 1–1.5 ms above its kernel
 * sum (BLIS's fitted terms: 126 µs per step + 32 µs per layer + 4 µs per request; the vLLM nightly's 6.5 ms
 * steps against a 5.0 ms kernel sum at batch 8). The vLLM figures below were then adjusted so that the
 * end-to-end points of §10.2 (`deno task fidelity`) are matched. SGLang and TensorRT-LLM overlap scheduling with
 * the GPU and have no published step-overhead figures in the references; their values are estimates scaled from
 * vLLM's and are flagged as such in the README.
 *
 * @module
 */
import type { Backend } from "../setup.ts";

/** Overhead terms in ms. */
export interface Overhead {
  readonly base: number;
  readonly perLayer: number;
  readonly perSeq: number;
}

/** Overhead per backend. */
export const FRAMEWORK_OVERHEAD: Readonly<Record<Backend, Overhead>> = {
  vllm: { base: 0.3, perLayer: 0.025, perSeq: 0.004 },
  sglang: { base: 0.2, perLayer: 0.02, perSeq: 0.003 },
  trtllm: { base: 0.15, perLayer: 0.015, perSeq: 0.002 },
};

/**
 * Overhead of one pass (ms).
 *
 * @example
 * ```ts
 * import { FRAMEWORK_OVERHEAD, passOverhead } from "./overhead.ts";
 * const ms = passOverhead(FRAMEWORK_OVERHEAD.vllm, 32, 8);
 * console.assert(ms > 1 && ms < 1.5); // Llama-3.1-8B at batch 8: ~1.1–1.5 ms (perf-model.md §12)
 * ```
 */
export function passOverhead(o: Overhead, layers: number, sequences: number): number {
  return o.base + o.perLayer * layers + o.perSeq * sequences;
}
