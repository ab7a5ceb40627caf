/**
 * Fitting the efficiency curves of `analytic/efficiency.ts` to measured samples: Nelder–Mead on the mean absolute
 * log error (relevant samples weighted 3×), alternated with median-ratio correction curves where the form has
 * them. Deterministic.
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
  commBaseMs,
  type CommCoef,
  contextAttentionBaseMs,
  type ContextAttentionCoef,
  type Correction,
  correction,
  GEMM_CLASSES,
  gemmBaseMs,
  gemmClass,
  type GemmCoef,
  generationAttentionBaseMs,
  type GenerationAttentionCoef,
  lerpClamped,
  MOE_CLASSES,
  moeBaseMs,
  moeClass,
  type MoeCoef,
} from "../analytic/efficiency.ts";
import { type MlaCoef, type MlaShape, mlaWork, mlaWorkMs } from "../analytic/mla.ts";
import { nelderMead } from "./nelder_mead.ts";
import type { AttentionSample, CommSample, GemmSample, MlaSample, MoeSample } from "./samples.ts";

const RELEVANT_WEIGHT = 3;
const MAX_SAMPLES = 6000;

/** Every relevant sample plus an even thinning of the rest, at most {@link MAX_SAMPLES} in all. */
export function thin<T extends { relevant: boolean }>(samples: readonly T[], max = MAX_SAMPLES): T[] {
  const rel = samples.filter((s) => s.relevant);
  const rest = samples.filter((s) => !s.relevant);
  const room = Math.max(max - rel.length, Math.min(rest.length, 1000));
  const step = Math.max(1, Math.ceil(rest.length / room));
  return [...rel, ...rest.filter((_, i) => i % step === 0)];
}

function logLoss<T extends { relevant: boolean; latency: number }>(
  samples: readonly T[],
  predict: (s: T) => number,
) {
  let sum = 0;
  let weight = 0;
  for (const s of samples) {
    const w = s.relevant ? RELEVANT_WEIGHT : 1;
    const p = predict(s);
    sum += w * (p > 0 && Number.isFinite(p) ? Math.abs(Math.log(p / s.latency)) : 10);
    weight += w;
  }
  return sum / weight;
}

function median(values: number[]): number {
  if (values.length === 0) return 1;
  const s = values.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

const exp = Math.exp;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Fit a GEMM curve for one weight format. */
export function fitGemm(samples: readonly GemmSample[], gpu: GpuSpec, dtype: WeightDType): GemmCoef {
  const set = thin(samples.filter((s) => s.m <= 32768));
  const peak = peakFlops(gpu, dtype);
  const wb = weightBytes(dtype);
  const ab = activationBytes(dtype);
  const mGrid = [...new Set(samples.map((s) => s.m))].sort((a, b) => a - b);
  let corr: number[][] = Array.from({ length: GEMM_CLASSES }, () => mGrid.map(() => 1));
  const decode = (x: number[], c: number[][]): GemmCoef => ({
    t0: exp(x[0]),
    ec: exp(x[1]),
    em: exp(x[2]),
    q: 0.3 + exp(x[3]),
    beta: exp(x[4]),
    wave: sigmoid(x[5]),
    mGrid,
    corr: c,
  });
  let x = [Math.log(0.005), Math.log(0.7), Math.log(0.8), Math.log(2), Math.log(0.5), 0];
  for (let round = 0; round < 5; round++) {
    const c = corr;
    const predict = (p: GemmCoef, s: GemmSample) =>
      gemmBaseMs(p, gpu, peak, wb, ab, s.m, s.n, s.k) * lerpClamped(mGrid, c[gemmClass(s.n, s.k)], s.m);
    x = nelderMead((v) => logLoss(set, (s) => predict(decode(v, c), s)), x, 0.4, 1500).x;
    const coef = decode(x, c);
    const ratios: number[][][] = Array.from({ length: GEMM_CLASSES }, () => mGrid.map(() => []));
    const index = new Map(mGrid.map((m, i) => [m, i]));
    for (const s of samples) {
      if (s.m > 32768) continue;
      const r = s.latency / gemmBaseMs(coef, gpu, peak, wb, ab, s.m, s.n, s.k);
      const list = ratios[gemmClass(s.n, s.k)][index.get(s.m)!];
      list.push(r);
      if (s.relevant) list.push(r, r);
    }
    corr = ratios.map((byM, cls) => byM.map((r, i) => (r.length ? median(r) : medianAcross(ratios, cls, i))));
  }
  return decode(x, corr.map((c) => c.map(round2)));
}

function medianAcross(ratios: number[][][], cls: number, i: number): number {
  const others = ratios.flatMap((byM, c) => (c === cls ? [] : byM[i]));
  return others.length ? median(others) : 1;
}

/** One axis of multiplicative corrections: the sample value it is read at. */
interface Axis<T> {
  readonly at: (s: T) => number;
}

/**
 * Fit parameters `x` of `base` together with one multiplicative correction per axis (median ratio per distinct
 * axis value, relevant samples counted 3×), alternating `rounds` times.
 */
function fitCorrected<T extends { relevant: boolean; latency: number }, P>(
  samples: readonly T[],
  x0: number[],
  decode: (x: number[]) => P,
  base: (p: P, s: T) => number,
  axes: readonly Axis<T>[],
  iterations: number,
  rounds = 3,
): { params: P; corrections: Correction[] } {
  const set = thin(samples);
  const grids = axes.map((a) => [...new Set(samples.map(a.at))].sort((p, q) => p - q));
  let corrections: Correction[] = grids.map((grid) => ({ grid, values: grid.map(() => 1) }));
  const factor = (s: T, skip = -1) => {
    let f = 1;
    for (let i = 0; i < axes.length; i++) if (i !== skip) f *= correction(corrections[i], axes[i].at(s));
    return f;
  };
  let x = x0;
  for (let round = 0; round < rounds; round++) {
    x = nelderMead(
      (v) => {
        const p = decode(v);
        return logLoss(set, (s) => base(p, s) * factor(s));
      },
      x,
      0.4,
      iterations,
    ).x;
    const p = decode(x);
    for (let i = 0; i < axes.length; i++) {
      const index = new Map(grids[i].map((g, j) => [g, j]));
      const ratios: number[][] = grids[i].map(() => []);
      for (const s of samples) {
        const r = s.latency / (base(p, s) * factor(s, i));
        const list = ratios[index.get(axes[i].at(s))!];
        list.push(r);
        if (s.relevant) list.push(r, r);
      }
      corrections = corrections.map((c, j) =>
        j === i ? { grid: c.grid, values: ratios.map((r) => round2(median(r))) } : c
      );
    }
  }
  return { params: decode(x), corrections };
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** Fit a context-attention curve for one KV format / head dimension. */
export function fitContextAttention(
  samples: readonly AttentionSample[],
  gpu: GpuSpec,
  fmha: KvDType,
  kv: KvDType,
): ContextAttentionCoef {
  const peak = fmha === "fp8" ? gpu.fp8Flops : gpu.bf16Flops;
  const kvB = kvBytes(kv);
  const none: Correction = { grid: [1], values: [1] };
  const decode = (x: number[]): ContextAttentionCoef => ({
    t0: exp(x[0]),
    ec: exp(x[1]),
    em: exp(x[2]),
    q: 0.3 + exp(x[3]),
    byBatch: none,
    bySeq: none,
    byGroup: none,
  });
  const { params, corrections } = fitCorrected(
    samples,
    [Math.log(0.01), Math.log(0.6), Math.log(0.5), Math.log(1)],
    decode,
    (c, s) => contextAttentionBaseMs(c, gpu, peak, s.b, s.s, 0, s.heads, s.kvHeads, s.headDim, s.window, kvB),
    [{ at: (s) => s.b }, { at: (s) => s.s }, { at: (s) => s.heads / s.kvHeads }],
    2000,
  );
  return { ...params, byBatch: corrections[0], bySeq: corrections[1], byGroup: corrections[2] };
}

/** Fit a generation-attention curve for one KV format / head dimension. */
export function fitGenerationAttention(
  samples: readonly AttentionSample[],
  gpu: GpuSpec,
  fmha: KvDType,
  kv: KvDType,
): GenerationAttentionCoef {
  const peak = fmha === "fp8" ? gpu.fp8Flops : gpu.bf16Flops;
  const kvB = kvBytes(kv);
  const none: Correction = { grid: [1], values: [1] };
  const decode = (x: number[]): GenerationAttentionCoef => ({
    t0: exp(x[0]),
    em: exp(x[1]),
    ec: exp(x[2]),
    q: 0.3 + exp(x[3]),
    x0: exp(x[4]),
    gamma: exp(x[5]),
    tq: exp(x[6]),
    byBatch: none,
    bySeq: none,
  });
  const { params, corrections } = fitCorrected(
    samples,
    [Math.log(0.01), Math.log(0.8), Math.log(0.5), Math.log(2), Math.log(512), Math.log(0.02), Math.log(16)],
    decode,
    (c, s) => generationAttentionBaseMs(c, gpu, peak, s.b, s.s, s.heads, s.kvHeads, s.headDim, s.window, kvB),
    [{ at: (s) => s.b }, { at: (s) => s.s }],
    2500,
  );
  return { ...params, byBatch: corrections[0], bySeq: corrections[1] };
}

/** Fit an MoE curve for one expert format. */
export function fitMoe(samples: readonly MoeSample[], gpu: GpuSpec, dtype: WeightDType): MoeCoef {
  const set = thin(samples);
  const peak = peakFlops(gpu, dtype) || gpu.bf16Flops;
  const wb = weightBytes(dtype);
  const tGrid = [...new Set(samples.map((s) => s.tokens))].sort((a, b) => a - b);
  let corr: number[][] = Array.from({ length: MOE_CLASSES }, () => tGrid.map(() => 1));
  const decode = (x: number[], c: number[][]): MoeCoef => ({
    t0: exp(x[0]),
    ec: exp(x[1]),
    em: exp(x[2]),
    q: 0.3 + exp(x[3]),
    gamma: exp(x[4]),
    kappa: exp(x[5]),
    tm: exp(x[6]),
    lambda: exp(x[7]),
    tGrid,
    corr: c,
  });
  const base = (c: MoeCoef, s: MoeSample) => moeBaseMs(c, gpu, peak, wb, s.tokens, s);
  let x = [
    Math.log(0.03),
    Math.log(0.5),
    Math.log(0.6),
    Math.log(1),
    Math.log(1),
    0,
    Math.log(16),
    Math.log(0.05),
  ];
  for (let round = 0; round < 4; round++) {
    const c = corr;
    x = nelderMead(
      (v) =>
        logLoss(set, (s) => base(decode(v, c), s) * lerpClamped(tGrid, c[moeClass(s.tp, s.ep)], s.tokens)),
      x,
      0.4,
      2500,
    ).x;
    const coef = decode(x, c);
    const ratios: number[][][] = Array.from({ length: MOE_CLASSES }, () => tGrid.map(() => []));
    const index = new Map(tGrid.map((t, i) => [t, i]));
    for (const s of samples) {
      const r = s.latency / base(coef, s);
      const list = ratios[moeClass(s.tp, s.ep)][index.get(s.tokens)!];
      list.push(r);
      if (s.relevant) list.push(r, r);
    }
    corr = ratios.map((byT, cls) => byT.map((r, i) => (r.length ? median(r) : medianAcross(ratios, cls, i))));
  }
  return decode(x, corr.map((c) => c.map(round2)));
}

/** Fit a collective (latency + bytes / bandwidth, corrected over message size). */
export function fitComm(samples: readonly CommSample[]): CommCoef {
  const none: Correction = { grid: [1], values: [1] };
  const decode = (x: number[]): CommCoef => ({ t0: exp(x[0]), bw: exp(x[1]), bySize: none });
  const { params, corrections } = fitCorrected(
    samples,
    [Math.log(0.005), Math.log(2e11)],
    decode,
    (c, s) => commBaseMs(c, s.bytes),
    [{ at: (s) => s.bytes }],
    1500,
  );
  return { ...params, bySize: corrections[0] };
}

/** Fit an MLA module curve (context or generation). */
export function fitMla(
  samples: readonly MlaSample[],
  gpu: GpuSpec,
  shape: MlaShape,
  gemmDtype: WeightDType,
  kv: KvDType,
  context: boolean,
): MlaCoef {
  const set = thin(samples);
  const gemmPeak = peakFlops(gpu, gemmDtype);
  const attnPeak = gpu.bf16Flops;
  const wb = weightBytes(gemmDtype);
  const kvB = kvBytes(kv);
  const decode = (x: number[]): MlaCoef => ({
    t0: exp(x[0]),
    ecGemm: exp(x[1]),
    ecAttn: exp(x[2]),
    em: exp(x[3]),
    q: 0.3 + exp(x[4]),
    gamma: exp(x[5]),
  });
  // The work of each sample does not depend on the coefficients: compute it once, outside the search.
  const work = new Map(
    set.map((s) => [s, mlaWork(shape, s.heads, s.b, context ? s.s : 1, s.s, context, wb, kvB)]),
  );
  const r = nelderMead(
    (v) => {
      const c = decode(v);
      return logLoss(set, (s) => mlaWorkMs(c, gpu, gemmPeak, attnPeak, s.b, work.get(s)!));
    },
    [Math.log(0.05), Math.log(0.5), Math.log(0.4), Math.log(0.5), Math.log(1), Math.log(0.5)],
    0.4,
    3000,
  );
  return decode(r.x);
}
