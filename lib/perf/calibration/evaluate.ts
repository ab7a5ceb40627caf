/**
 * Kernel-level fidelity of the analytic model: its prediction for every measured sample of a system × backend,
 * summarised per op family as median and 90th-percentile relative error. Used by `fit.ts` (to report) and
 * `tests/bench/fidelity.ts`.
 *
 * @module
 */
import { linearAttentionSampleMs } from "./linear_attention.ts";
import type { GpuSpec } from "../catalog/gpus.ts";
import {
  activationBytes,
  kvBytes,
  type KvDType,
  peakFlops,
  weightBytes,
  type WeightDType,
} from "../dtypes.ts";
import {
  allReduceMs,
  contextAttentionMs,
  gemmMs,
  generationAttentionMs,
  moeMs,
} from "../analytic/efficiency.ts";
import { mlaWork, mlaWorkMs } from "../analytic/mla.ts";
import type { BackendCoefficients } from "./types.ts";
import type { AttentionSample, GemmSample, MoeShape, Samples } from "./samples.ts";
import { DEEPSEEK_MLA_SHAPE } from "./mla_shape.ts";

/** Error summary of one op family. */
export interface FamilyError {
  readonly family: string;
  /** Samples compared. */
  readonly count: number;
  /** Median |predicted/measured − 1|. */
  readonly median: number;
  /** 90th percentile of the same. */
  readonly p90: number;
}

/** Median and p90 of absolute relative errors. */
export function summarise(family: string, errors: number[]): FamilyError {
  const s = errors.slice().sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN);
  return { family, count: s.length, median: at(0.5), p90: at(0.9) };
}

/**
 * The analytic curve's time (ms) for one GEMM shape, or undefined when `coef` has no curve for `dtype`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { COEFFICIENTS } from "./coefficients.ts";
 * import { GPUS } from "../catalog/gpus.ts";
 * import { gemmSampleMs } from "./evaluate.ts";
 * const coef = COEFFICIENTS.h200_sxm.backends.vllm;
 * const ms = gemmSampleMs(coef, GPUS.h200_sxm, "bfloat16", { m: 8192, n: 8192, k: 8192 })!;
 * assert(ms > 1.2 && ms < 2); // 1.1 TFLOP at roughly 600–900 TFLOP/s
 * assert(gemmSampleMs(coef, GPUS.h200_sxm, "no_such_format", { m: 1, n: 1, k: 1 }) === undefined);
 * ```
 */
export function gemmSampleMs(
  coef: BackendCoefficients,
  gpu: GpuSpec,
  dtype: string,
  s: Pick<GemmSample, "m" | "n" | "k">,
): number | undefined {
  const c = coef.gemm[dtype];
  if (!c) return undefined;
  const d = dtype as WeightDType;
  return gemmMs(c, gpu, peakFlops(gpu, d), weightBytes(d), activationBytes(d), s.m, s.n, s.k);
}

/**
 * The analytic curve's time (ms) for one routed-expert block, or undefined when `coef` has no MoE curve for
 * `dtype` (in `section`: `moe`, or `moeTriton` for vLLM's Triton kernel).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { COEFFICIENTS } from "./coefficients.ts";
 * import { GPUS } from "../catalog/gpus.ts";
 * import { moeSampleMs } from "./evaluate.ts";
 * const coef = COEFFICIENTS.h200_sxm.backends.vllm;
 * const shape = { tokens: 8192, hidden: 4096, inter: 1536, topK: 8, experts: 128, tp: 1, ep: 1 };
 * const ms = moeSampleMs(coef, GPUS.h200_sxm, "bfloat16", shape)!;
 * assert(ms > 2 && ms < 8); // 0.9 TFLOP of expert GEMMs
 * assert(moeSampleMs(coef, GPUS.h200_sxm, "no_such_format", shape) === undefined);
 * ```
 */
export function moeSampleMs(
  coef: BackendCoefficients,
  gpu: GpuSpec,
  dtype: string,
  s: MoeShape,
  section: "moe" | "moeTriton" = "moe",
): number | undefined {
  const c = coef[section][dtype];
  if (!c) return undefined;
  const d = dtype as WeightDType;
  const peak = peakFlops(gpu, d) || gpu.bf16Flops;
  return moeMs(c, gpu, peak, weightBytes(d), s.tokens, s);
}

/**
 * The analytic curve's time (ms) for one attention call, or undefined when `coef` has no curve for `key`
 * (`"<kv dtype>/<head dim>"`). For generation, `s.s` is the KV length including the new token; for context, the
 * new tokens, after `prefix` cached ones.
 */
export function attentionSampleMs(
  coef: BackendCoefficients,
  gpu: GpuSpec,
  context: boolean,
  key: string,
  s: Omit<AttentionSample, "latency" | "relevant">,
  prefix = 0,
): number | undefined {
  const kvB = kvBytes(key.split("/")[0] as KvDType);
  if (context) {
    const c = coef.contextAttention[key];
    return c
      ? contextAttentionMs(
        c,
        gpu,
        gpu.bf16Flops,
        s.b,
        s.s,
        prefix,
        s.heads,
        s.kvHeads,
        s.headDim,
        s.window,
        kvB,
      )
      : undefined;
  }
  const c = coef.generationAttention[key];
  return c
    ? generationAttentionMs(c, gpu, gpu.bf16Flops, s.b, s.s, s.heads, s.kvHeads, s.headDim, s.window, kvB)
    : undefined;
}

/**
 * Relative errors of the analytic curves on the samples, per family (`gemm`, `context_attention`,
 * `generation_attention`, `moe`, `moe_triton`, `allreduce`, `mla_context`, `mla_generation`,
 * `linear_attention_context`, `linear_attention_generation`).
 *
 * @param relevantOnly Compare only samples a catalog model's pass uses.
 */
export function evaluate(
  coef: BackendCoefficients,
  gpu: GpuSpec,
  samples: Samples,
  relevantOnly = true,
): FamilyError[] {
  const out: FamilyError[] = [];
  /** Summarise one family: each sample's error against the curve's time (samples without a curve skipped). */
  const family = <S extends { relevant: boolean; latency: number }>(
    name: string,
    map: ReadonlyMap<string, readonly S[]>,
    price: (key: string, s: S) => number | undefined,
  ) => {
    const errors: number[] = [];
    for (const [key, list] of map) {
      for (const s of list) {
        if (relevantOnly && !s.relevant) continue;
        const p = price(key, s);
        if (p !== undefined) errors.push(Math.abs(p / s.latency - 1));
      }
    }
    out.push(summarise(name, errors));
  };
  family("gemm", samples.gemm, (dtype, s) => gemmSampleMs(coef, gpu, dtype, s));
  family(
    "context_attention",
    samples.contextAttention,
    (key, s) => attentionSampleMs(coef, gpu, true, key, s),
  );
  family(
    "generation_attention",
    samples.generationAttention,
    (key, s) => attentionSampleMs(coef, gpu, false, key, s),
  );
  family("moe", samples.moe, (dtype, s) => moeSampleMs(coef, gpu, dtype, s, "moe"));
  family("moe_triton", samples.moeTriton, (dtype, s) => moeSampleMs(coef, gpu, dtype, s, "moeTriton"));
  family("allreduce", samples.allReduce, (gpus, s) => {
    const c = coef.allReduce[gpus];
    return c ? allReduceMs(c, s.bytes) : undefined;
  });
  for (
    const [name, map, table, context] of [
      ["mla_context", samples.mlaContext, coef.mlaContext, true],
      ["mla_generation", samples.mlaGeneration, coef.mlaGeneration, false],
    ] as const
  ) {
    family(name, map, (key, s) => {
      const c = table[key];
      if (!c) return undefined;
      const [kv, gemmDtype] = key.split("/") as [KvDType, WeightDType];
      const work = mlaWork(
        DEEPSEEK_MLA_SHAPE,
        s.heads,
        s.b,
        context ? s.s : 1,
        s.s,
        context,
        weightBytes(gemmDtype),
        kvBytes(kv),
      );
      return mlaWorkMs(c, gpu, peakFlops(gpu, gemmDtype), gpu.bf16Flops, s.b, work);
    });
  }
  for (const [phase, list] of samples.linearAttention) {
    const c = coef.linearAttention[phase];
    family(
      `linear_attention_${phase}`,
      new Map([[phase, list]]),
      (_, s) => c ? linearAttentionSampleMs(c, gpu, phase, s) : undefined,
    );
  }
  return out;
}
