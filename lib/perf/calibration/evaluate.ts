/**
 * Kernel-level fidelity of the analytic model: its prediction for every measured sample of a system × backend,
 * summarised per op family as median and 90th-percentile relative error. Used by `fit.ts` (to report) and
 * `tests/bench/fidelity.ts`.
 *
 * @module
 */
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
import type { AttentionSample, Samples } from "./samples.ts";
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
 * Relative errors of the analytic curves on the samples, per family (`gemm`, `context_attention`,
 * `generation_attention`, `moe`, `allreduce`, `mla_context`, `mla_generation`).
 *
 * @param relevantOnly Compare only samples a catalog model's pass uses.
 */
export function evaluate(
  coef: BackendCoefficients,
  gpu: GpuSpec,
  samples: Samples,
  relevantOnly = true,
): FamilyError[] {
  const rel = <T extends { relevant: boolean }>(list: readonly T[]) =>
    relevantOnly ? list.filter((s) => s.relevant) : list;
  const err = (p: number, m: number) => Math.abs(p / m - 1);
  const out: FamilyError[] = [];
  const gemm: number[] = [];
  for (const [dtype, list] of samples.gemm) {
    const c = coef.gemm[dtype];
    if (!c) continue;
    const d = dtype as WeightDType;
    const peak = peakFlops(gpu, d);
    for (const s of rel(list)) {
      gemm.push(err(gemmMs(c, gpu, peak, weightBytes(d), activationBytes(d), s.m, s.n, s.k), s.latency));
    }
  }
  out.push(summarise("gemm", gemm));
  const context = (key: string, s: AttentionSample) =>
    contextAttentionMs(
      coef.contextAttention[key],
      gpu,
      gpu.bf16Flops,
      s.b,
      s.s,
      0,
      s.heads,
      s.kvHeads,
      s.headDim,
      s.window,
      kvBytes(key.split("/")[0] as KvDType),
    );
  const generation = (key: string, s: AttentionSample) =>
    generationAttentionMs(
      coef.generationAttention[key],
      gpu,
      gpu.bf16Flops,
      s.b,
      s.s,
      s.heads,
      s.kvHeads,
      s.headDim,
      s.window,
      kvBytes(key.split("/")[0] as KvDType),
    );
  for (
    const [name, map, table, price] of [
      ["context_attention", samples.contextAttention, coef.contextAttention, context],
      ["generation_attention", samples.generationAttention, coef.generationAttention, generation],
    ] as const
  ) {
    const errors: number[] = [];
    for (const [key, list] of map) {
      if (!table[key]) continue;
      for (const s of rel(list)) errors.push(err(price(key, s), s.latency));
    }
    out.push(summarise(name, errors));
  }
  const moe: number[] = [];
  for (const [dtype, list] of samples.moe) {
    const c = coef.moe[dtype];
    if (!c) continue;
    const d = dtype as WeightDType;
    const peak = peakFlops(gpu, d) || gpu.bf16Flops;
    for (const s of rel(list)) {
      moe.push(err(
        moeMs(c, gpu, peak, weightBytes(d), s.tokens, s.hidden, s.inter, s.topK, s.experts, s.tp, s.ep),
        s.latency,
      ));
    }
  }
  out.push(summarise("moe", moe));
  const ar: number[] = [];
  for (const [gpus, list] of samples.allReduce) {
    const c = coef.allReduce[gpus];
    if (c) { for (const s of rel(list)) ar.push(err(allReduceMs(c, s.bytes), s.latency)); }
  }
  out.push(summarise("allreduce", ar));
  for (
    const [name, map, table, context] of [
      ["mla_context", samples.mlaContext, coef.mlaContext, true],
      ["mla_generation", samples.mlaGeneration, coef.mlaGeneration, false],
    ] as const
  ) {
    const errors: number[] = [];
    for (const [key, list] of map) {
      const c = table[key];
      if (!c) continue;
      const [kv, gemmDtype] = key.split("/") as [KvDType, WeightDType];
      const gp = peakFlops(gpu, gemmDtype);
      for (const s of rel(list)) {
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
        const p = mlaWorkMs(c, gpu, gp, gpu.bf16Flops, s.b, work);
        errors.push(err(p, s.latency));
      }
    }
    out.push(summarise(name, errors));
  }
  return out;
}
