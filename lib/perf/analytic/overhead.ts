/**
 * Per-pass framework overhead of each serving framework: what a real engine step costs beyond the model's kernel
 * sum (scheduling, input preparation, kernel-launch gaps, sampling). Charged once per forward pass:
 * `base + layers × (perLayer, or perLayerDecode for a decode-only pass, + qkNormPerLayer if the model
 * normalizes q and k) + sequences × (perSeq + perSeqSync unless scheduling is asynchronous + samplingPasses ×
 * vocab × 4 B / memory bandwidth)`.
 *
 * vLLM: BLIS's fitted step terms for vLLM V1 on H100 (perf-model.md §12): 126 µs per step, 32 µs per layer,
 * 4 µs per request — 1.18 ms for Llama-3.1-8B at batch 8, inside the 1–1.5 ms the vLLM nightly (6.5 ms steps
 * against a 5.0 ms kernel sum) and NIM (4.63 ms against 4.39 ms) imply. Four terms are fitted to the TPOT of
 * measured vLLM runs (AIC's silicon corpora, lib/perf/FIDELITY.md), each for an effect the kernel
 * sums leave out:
 * - decode-only passes replay as one full CUDA graph (vLLM's default `FULL_AND_PIECEWISE`) while passes with a
 *   prefill run attention eagerly between graph pieces: 12 µs per layer for the former (Llama-3.1-70B and
 *   gpt-oss-120b at TP 4–8 were 15–45% slow at 32 µs);
 * - models that RMS-normalize q and k per layer (Qwen3, MiniMax-M2.5; across TP ranks for MiniMax) run
 *   extra small kernels in every layer: 20 µs per layer;
 * - without async scheduling (`perSeqSync`, vLLM's default before 0.14) the engine core's per-request CPU work
 *   between passes (scheduling, input preparation, output processing) runs while the GPU waits: 20 µs per
 *   sequence. Async scheduling plans the next pass during this one and hides it. Only the corpus's vLLM 0.12 rows
 *   ran synchronously: with the term, Llama-3.1-8B-FP8 on H200 (16–128 concurrent) goes from −16% to −4% TPOT
 *   and Qwen3-32B on H100 from 7.5% to 6.1% TPOT MAPE; anything in 15–25 µs fits as well;
 * - sampling (`samplingPasses`, logit-sized FP32 memory passes per sequence, by the requests' {@link Sampling}):
 *   top-k/top-p, which vLLM applies to requests that send no temperature when the checkpoint's generation config
 *   sets them (AIPerf against Llama, Qwen3, DeepSeek, MiniMax), draws every next token from sorted logits, a
 *   per-sequence cost that grows with the vocabulary and shrinks with memory bandwidth: at 64–128 concurrent the
 *   measured TPOT of Qwen3-32B on H100 exceeds the kernel sums by the same ~5 ms at TP 2, 4 and 8; 100 passes,
 *   18 µs per sequence for a 152k vocabulary on H100, 10 µs for 200k on B200. Plain random sampling (a
 *   checkpoint without top-k/top-p, gpt-oss) is counted, not fitted: temperature scaling (2 passes), softmax (3),
 *   the exponential draw (1), the division (3) and the argmax (1), 10 passes. Greedy requests (temperature 0, as
 *   vLLM's `benchmark_serving.py` sends) take an argmax inside the kernel sum's LM head: none.
 *
 * A pass that runs without CUDA graphs ({@link graphless}: every pass under `cudagraph_mode: NONE`, the passes
 * with a prefill under `FULL_DECODE_ONLY`) launches each kernel from the host, and the GPU waits whenever the
 * launches fall behind: it takes at least `eagerPerLayer × layers`, whatever its kernels need. 0.65 ms per
 * layer on vLLM, fitted to InferenceX's Llama-3.1-70B runs on B200, whose recipe sets `FULL_DECODE_ONLY`: their
 * 1k-prompt TTFT stays at 80–125 ms from TP 1 to TP 8 while the prefill kernels fall from 64 to 26 ms
 * (lib/perf/FIDELITY.md, "Passes without CUDA graphs"). SGLang and TensorRT-LLM take vLLM's value.
 *
 * SGLang and TensorRT-LLM overlap CPU scheduling with the GPU and the references publish no step-overhead
 * figures for them: their values are estimates (smaller per-step and per-layer terms, none of the fitted ones)
 * and are flagged as such in the README.
 *
 * @module
 */
import { decoderLayers } from "../catalog/arch.ts";
import type { Backend, PerfSetup } from "../setup.ts";
import type { Sampling } from "../sampling.ts";

/** Overhead terms: times in ms, `samplingPasses` in logit-sized memory passes per sequence by sampling. */
export interface Overhead {
  readonly base: number;
  /** Per layer, passes with a prefill (piecewise CUDA graphs). */
  readonly perLayer: number;
  /** Per layer, decode-only passes (one full CUDA graph). */
  readonly perLayerDecode: number;
  /** Extra per layer for models with q/k RMSNorm. */
  readonly qkNormPerLayer: number;
  readonly perSeq: number;
  /** Per sequence, CPU work a synchronous scheduler runs between passes (hidden with async scheduling). */
  readonly perSeqSync: number;
  readonly samplingPasses: Readonly<Record<Sampling, number>>;
  /** Per layer, the host's launch time of a pass run without CUDA graphs: the least such a pass takes. */
  readonly eagerPerLayer: number;
}

/**
 * vLLM's `compilation_config.cudagraph_mode` (the values dynolab models): `FULL_AND_PIECEWISE` (vLLM's default)
 * replays decode-only passes as one full CUDA graph and passes with a prefill as piecewise graphs;
 * `FULL_DECODE_ONLY` graphs decode-only passes and runs passes with a prefill without graphs; `NONE`
 * (`--enforce-eager`) graphs nothing.
 */
export const CUDAGRAPH_MODES = ["FULL_AND_PIECEWISE", "FULL_DECODE_ONLY", "NONE"] as const;

/** One of {@link CUDAGRAPH_MODES}. */
export type CudagraphMode = typeof CUDAGRAPH_MODES[number];

/**
 * Whether a pass with `prefills` prompt-computing requests runs without CUDA graphs under `mode`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { graphless } from "./overhead.ts";
 * assert.equal(graphless("FULL_DECODE_ONLY", 1), true);
 * assert.equal(graphless("FULL_DECODE_ONLY", 0), false);
 * assert.equal(graphless("FULL_AND_PIECEWISE", 1), false);
 * assert.equal(graphless("NONE", 0), true);
 * ```
 */
export function graphless(mode: CudagraphMode, prefills: number): boolean {
  return mode === "NONE" || (mode === "FULL_DECODE_ONLY" && prefills > 0);
}

/** Host launch time per layer of a pass without CUDA graphs, fitted on vLLM; SGLang and TensorRT-LLM take it too. */
const EAGER_PER_LAYER = 0.65;

/** SGLang and TensorRT-LLM sample with fused FlashInfer kernels; no per-sequence sampler term is charged. */
const NO_SAMPLER_TERM = { greedy: 0, random: 0, top_k_top_p: 0 };

/** Overhead per backend. */
export const FRAMEWORK_OVERHEAD: Readonly<Record<Backend, Overhead>> = {
  vllm: {
    base: 0.126,
    perLayer: 0.032,
    perLayerDecode: 0.012,
    qkNormPerLayer: 0.02,
    perSeq: 0.004,
    perSeqSync: 0.02,
    samplingPasses: { greedy: 0, random: 10, top_k_top_p: 100 },
    eagerPerLayer: EAGER_PER_LAYER,
  },
  sglang: {
    base: 0.1,
    perLayer: 0.02,
    perLayerDecode: 0.02,
    qkNormPerLayer: 0,
    perSeq: 0.003,
    perSeqSync: 0,
    samplingPasses: NO_SAMPLER_TERM,
    eagerPerLayer: EAGER_PER_LAYER,
  },
  trtllm: {
    base: 0.1,
    perLayer: 0.015,
    perLayerDecode: 0.015,
    qkNormPerLayer: 0,
    perSeq: 0.002,
    perSeqSync: 0,
    samplingPasses: NO_SAMPLER_TERM,
    eagerPerLayer: EAGER_PER_LAYER,
  },
};

/** What the overhead depends on besides the batch: the model's depth, q/k norm and vocabulary, the GPU's bandwidth. */
export interface OverheadShape {
  readonly layers: number;
  readonly qkNorm: boolean;
  readonly vocab: number;
  /** Memory bandwidth, bytes/s. */
  readonly memBw: number;
}

/**
 * Overhead of one pass (ms) over `sequences` sequences, `prefills` of them prefilling, sampled as `sampling`, by
 * an engine that schedules asynchronously or not.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FRAMEWORK_OVERHEAD, passOverhead } from "./overhead.ts";
 * const llama8b = { layers: 32, qkNorm: false, vocab: 128256, memBw: 4.8e12 }; // on H200
 * const vllm = FRAMEWORK_OVERHEAD.vllm;
 * const mixed = passOverhead(vllm, llama8b, 8, 1, "top_k_top_p", true);
 * assert(mixed > 1 && mixed < 1.5); // Llama-3.1-8B at batch 8: ~1.1–1.5 ms (perf-model.md §12)
 * assert(passOverhead(vllm, llama8b, 8, 0, "top_k_top_p", true) < mixed); // a full CUDA graph
 * const random = passOverhead(vllm, llama8b, 8, 1, "random", true); // no sort
 * assert(passOverhead(vllm, llama8b, 8, 1, "greedy", true) < random && random < mixed);
 * // A synchronous scheduler adds its per-request CPU work: 20 µs a sequence.
 * const sync = passOverhead(vllm, llama8b, 8, 1, "top_k_top_p", false);
 * assert(Math.abs(sync - mixed - 8 * 0.02) < 1e-12);
 * ```
 */
export function passOverhead(
  o: Overhead,
  shape: OverheadShape,
  sequences: number,
  prefills: number,
  sampling: Sampling,
  asyncScheduling: boolean,
): number {
  const perLayer = (prefills > 0 ? o.perLayer : o.perLayerDecode) + (shape.qkNorm ? o.qkNormPerLayer : 0);
  const sampler = o.samplingPasses[sampling] * shape.vocab * 4 / shape.memBw * 1e3;
  const perSeq = o.perSeq + (asyncScheduling ? 0 : o.perSeqSync) + sampler;
  return o.base + perLayer * shape.layers + perSeq * sequences;
}

/** Overhead options of the model-based perf models. */
export interface OverheadOptions {
  /** Add the framework's per-pass overhead (`passOverheadMs`); default true. */
  readonly frameworkOverhead?: boolean;
  /** Override the overhead terms (default: {@link FRAMEWORK_OVERHEAD} of the setup's backend). */
  readonly overhead?: Overhead;
  /** How requests sample (default: as the model's generation config implies, `ModelSpec.sampling`). */
  readonly sampling?: Sampling;
  /** Whether the engine schedules asynchronously (`async_scheduling`), hiding `perSeqSync`; default false. */
  readonly asyncScheduling?: boolean;
  /** Which passes replay as CUDA graphs (`cudagraph_mode`); default `FULL_AND_PIECEWISE`. */
  readonly cudagraphMode?: CudagraphMode;
}

/**
 * The `passOverheadMs` of a perf model on `setup`: `(prefillBatch, decodeBatch, kernelMs) → ms` for one rank's
 * pass (its own requests); 0 for an empty pass or with `frameworkOverhead: false`. A pass that runs without
 * CUDA graphs ({@link graphless}) also waits for its launches: what its kernels (`kernelMs`) leave of
 * `eagerPerLayer × layers`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { passOverheadMs } from "./overhead.ts";
 * import { resolvePerfSetup } from "../setup.ts";
 * const setup = resolvePerfSetup({ aic_model_path: "meta-llama/Llama-3.1-70B", aic_system: "b200_sxm" })!;
 * const piecewise = passOverheadMs(setup);
 * const decodeOnly = passOverheadMs(setup, { cudagraphMode: "FULL_DECODE_ONLY" });
 * assert.equal(decodeOnly(0, 8, 5), piecewise(0, 8, 5)); // decode-only passes replay a full graph either way
 * // A 1k-token prefill of 26 ms waits for 80 layers of launches, 52 ms; an 8k one of 180 ms does not.
 * assert(Math.abs(decodeOnly(1, 4, 26) - piecewise(1, 4, 26) - (80 * 0.65 - 26)) < 1e-9);
 * assert.equal(decodeOnly(1, 4, 180), piecewise(1, 4, 180));
 * ```
 */
export function passOverheadMs(
  setup: PerfSetup,
  options: OverheadOptions = {},
): (prefillBatch: number, decodeBatch: number, kernelMs?: number) => number {
  if (options.frameworkOverhead === false) return () => 0;
  const o = options.overhead ?? FRAMEWORK_OVERHEAD[setup.backend];
  const arch = setup.model.arch;
  const layers = decoderLayers(arch);
  const shape = { layers, qkNorm: arch.qkNorm, vocab: arch.vocab, memBw: setup.gpu.memBw };
  const sampling = options.sampling ?? setup.model.sampling;
  const asyncScheduling = options.asyncScheduling ?? false;
  const mode = options.cudagraphMode ?? "FULL_AND_PIECEWISE";
  const launchMs = o.eagerPerLayer * layers;
  return (prefillBatch, decodeBatch, kernelMs = 0) => {
    if (prefillBatch + decodeBatch <= 0) return 0;
    const framework = passOverhead(
      o,
      shape,
      prefillBatch + decodeBatch,
      prefillBatch,
      sampling,
      asyncScheduling,
    );
    return graphless(mode, prefillBatch) ? framework + Math.max(0, launchMs - kernelMs) : framework;
  };
}
