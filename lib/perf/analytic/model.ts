/**
 * The analytic perf model: the op decomposition of `ops.ts` priced with the fitted efficiency curves, plus the
 * framework's per-pass overhead. Needs no data at run time; any GPU of the catalog, any model (catalog or
 * `config.json`), any TP / attention-DP / EP layout.
 *
 * Context pass (one rank's `b` prompts): GEMMs at `m = b·(isl − prefix)` (LM head at `m = b`), causal attention
 * over the new tokens after the cached prefix, MoE over the tokens of all attention-DP ranks (each padded to
 * this rank's).
 * Decode pass: every op at `m = b`, attention reading `meanContext + 1` KV tokens per sequence (AIC's step-0
 * query), op counts scaled by `(L + nextn)/L` under MTP (one verification round).
 *
 * @module
 */
import { gpuSpec } from "../catalog/gpus.ts";
import { activationBytes, kvBytes, peakFlops, weightBytes } from "../dtypes.ts";
import type { LengthOp, Op, TokenOp } from "../ops.ts";
import { buildOps, dependsOnLengths, dependsOnTokens, OP_FAMILIES, opFamily } from "../ops.ts";
import { allGatherBytes, memoryOpMs } from "../roofline.ts";
import type { PerfSetup } from "../setup.ts";
import { solModel } from "../sol.ts";
import type { MoeBackend } from "../aic/kernels.ts";
import type { OpBreakdown, PerfModel } from "../types.ts";
import {
  allReduceMs,
  commMs,
  contextAttentionMs,
  gemmMs,
  generationAttentionMs,
  moeMs,
} from "./efficiency.ts";
import { type MlaShape, mlaWork, mlaWorkMs } from "./mla.ts";
import { attentionCurve, type CurveSource, curveSource, findCurve, nearestCount } from "./lookup.ts";
import { type OverheadOptions, passOverheadMs } from "./overhead.ts";
import { gemmCeilingMs, mlaCeilingMs, moeCeilingMs } from "./ceiling.ts";
import { deepGemmMoeMs } from "./deepgemm.ts";
import { linearAttentionMs, linearAttentionWork } from "./linear_attention.ts";

/** Prices one op for a context pass: `(b, s, p) → ms` for all its `count` runs. */
type ContextPrice = (b: number, s: number, p: number) => number;
/** Prices one op for a generation pass: `(b, kvLen) → ms` for all its `count` runs. */
type GenerationPrice = (b: number, kvLen: number) => number;

/** Options of {@link analyticModel}: its framework overhead. */
export type AnalyticOptions = OverheadOptions;

/**
 * Build the analytic model for a resolved setup.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolvePerfSetup } from "../setup.ts";
 * import { analyticModel } from "./model.ts";
 * const m = analyticModel(resolvePerfSetup({ aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8" })!);
 * const decode = m.decodeMs(128, 4000, 0);
 * assert(decode > 15 && decode < 25); // H200 kernel sum ≈ 20 ms (perf-model.md §10.1)
 * ```
 */
export function analyticModel(setup: PerfSetup, options: AnalyticOptions = {}): PerfModel {
  const src = curveSource(setup.gpu, setup.backend);
  const ops = buildOps(setup);
  // Attention depends on the sequence lengths; every other op only on the tokens and sequences of the pass.
  const priced = <P>(list: readonly Op[], attention: (op: LengthOp) => P) => ({
    attn: list.filter(dependsOnLengths).map((op) => ({
      family: OP_FAMILIES.indexOf(opFamily(op)),
      price: attention(op),
    })),
    rest: list.filter(dependsOnTokens).map((op) => ({
      family: OP_FAMILIES.indexOf(opFamily(op)),
      perSeq: op.kind === "gemm" && op.perSeq,
      price: priceTokens(op, setup, src),
    })),
  });
  const ctx = priced(ops.context, (op) => priceContextAttention(op, setup, src));
  const gen = priced(ops.generation, (op) => priceGenerationAttention(op, setup, src));

  // The token-only part is cached per shape, so a pass costs its attention ops plus one lookup.
  const decodeRest = new Float64Array(4096).fill(-1);
  const prefillRest = new Map<number, number>();
  const prefillMs = (b: number, meanIsl: number, meanPrefix: number) => {
    const s = meanIsl - meanPrefix;
    if (b <= 0 || s <= 0) return 0;
    const key = b * 4294967296 + s;
    let total = prefillRest.get(key);
    if (total === undefined) {
      total = 0;
      for (const op of ctx.rest) total += op.price(b * s, b);
      if (prefillRest.size >= 1 << 16) prefillRest.clear();
      prefillRest.set(key, total);
    }
    for (const op of ctx.attn) total += op.price(b, s, meanPrefix);
    return total;
  };
  const decodeMs = (b: number, meanContext: number) => {
    if (b <= 0) return 0;
    const kvLen = meanContext + 1;
    let total = b < decodeRest.length ? decodeRest[b] : -1;
    if (total < 0) {
      total = 0;
      for (const op of gen.rest) total += op.price(b, b);
      if (b < decodeRest.length) decodeRest[b] = total;
    }
    for (const op of gen.attn) total += op.price(b, kvLen);
    return total;
  };
  // Mixed passes: each token-only op's cost at a prefill shape and alone at a decode batch, cached per shape.
  const mixedAtPrefill = new Map<number, Float64Array>();
  const mixedAlone = new Map<number, Float64Array>();
  const opCosts = (cache: Map<number, Float64Array>, key: number, m: number, q: number) => {
    let costs = cache.get(key);
    if (costs === undefined) {
      costs = Float64Array.from(gen.rest, (op) => op.price(m, q));
      if (cache.size >= 1 << 16) cache.clear();
      cache.set(key, costs);
    }
    return costs;
  };
  const mixedDecodeMs = (
    q: number,
    meanIsl: number,
    meanPrefix: number,
    b: number,
    meanContext: number,
  ) => {
    if (b <= 0) return 0;
    const s = meanIsl - meanPrefix;
    const m = q * s;
    if (m <= 0) return decodeMs(b, meanContext);
    const atPrefill = opCosts(mixedAtPrefill, q * 4294967296 + s, m, q);
    const alone = opCosts(mixedAlone, b, b, b);
    let total = 0;
    // Each token-only op grows by the decode rows at the prefill's cost per row (per sequence for the LM head),
    // never beyond its cost alone at the decode batch (the two could always run apart).
    for (let i = 0; i < gen.rest.length; i++) {
      const share = atPrefill[i] * b / (gen.rest[i].perSeq ? q : m);
      total += share < alone[i] ? share : alone[i];
    }
    for (const op of gen.attn) total += op.price(b, meanContext + 1);
    return total;
  };
  const split = (parts: number[]): OpBreakdown =>
    Object.fromEntries(OP_FAMILIES.map((f, i) => [f, parts[i]]).filter(([, v]) => (v as number) > 0));
  return {
    name: "analytic",
    prefillMs,
    decodeMs,
    mixedDecodeMs,
    prefillBreakdown(b, meanIsl, meanPrefix) {
      const parts = OP_FAMILIES.map(() => 0);
      const s = meanIsl - meanPrefix;
      if (b > 0 && s > 0) {
        for (const op of ctx.attn) parts[op.family] += op.price(b, s, meanPrefix);
        for (const op of ctx.rest) parts[op.family] += op.price(b * s, b);
      }
      return split(parts);
    },
    decodeBreakdown(b, meanContext) {
      const parts = OP_FAMILIES.map(() => 0);
      if (b > 0) {
        for (const op of gen.attn) parts[op.family] += op.price(b, meanContext + 1);
        for (const op of gen.rest) parts[op.family] += op.price(b, b);
      }
      return split(parts);
    },
    passOverheadMs: passOverheadMs(setup, options),
    roofline: () => solModel(setup),
  };
}

function mlaShape(setup: PerfSetup): MlaShape {
  const m = setup.model.arch.mla!;
  return { hidden: setup.model.arch.hidden, ...m };
}

/**
 * `(m, q) → ms` of a token-only op for all its `count` runs, in a pass that computes `m` tokens of `q` sequences:
 * GEMMs at `m` (the LM head at `q`: one logit row per sequence), MoE over `m` tokens of every DP rank,
 * collectives and element-wise ops over `m` tokens. The same price serves context, generation and mixed passes.
 */
function priceTokens(op: TokenOp, setup: PerfSetup, src: CurveSource): (m: number, q: number) => number {
  const n = op.count;
  switch (op.kind) {
    case "gemm": {
      const price = gemmPrice(op, setup, src);
      return op.perSeq ? (_m, q) => n * price(q) : (m) => n * price(m);
    }
    case "moe": {
      const price = moePrice(op, setup, src);
      return (m) => n * price(m * op.tokenScale);
    }
    case "comm": {
      const price = commPrice(op, setup, src);
      return (m) => n * price(m);
    }
    case "memory":
      return (m) => n * memoryOpMs(m * op.bytesPerToken, setup.gpu.memBw);
  }
}

/** Price of an attention op in a context pass. */
function priceContextAttention(op: LengthOp, setup: PerfSetup, src: CurveSource): ContextPrice {
  const gpu = setup.gpu;
  const n = op.count;
  if (op.kind === "mla") {
    const price = mlaPrice(op, setup, src, true);
    return (b, s, p) => n * price(b, s, s + p);
  }
  if (op.kind === "linear_attention") {
    // The cached prefix only seeds the recurrent state: the work is the new tokens'.
    const c = linearAttentionCurve(src, "context");
    return (b, s) => n * linearAttentionMs(c, gpu, linearAttentionWork(op, b, s, true));
  }
  const c = attentionCurve(src, "contextAttention", setup.dtypes.kv, op.headDim);
  // The BF16 peak whatever `aic_fmha_dtype` says: the curves are fitted to BF16-math rows, and where AIC times
  // FP8 math on the same kernel (TRT-LLM's context attention on H100, H200, B200) it is no faster (0.96–1.00×
  // the BF16 time in the median), not the 0.5× the FP8 peak would give.
  const peak = gpu.bf16Flops;
  const kvB = kvBytes(setup.dtypes.kv);
  return (b, s, p) =>
    n * contextAttentionMs(c, gpu, peak, b, s, p, op.heads, op.kvHeads, op.headDim, op.window, kvB);
}

/** Price of an attention op in a generation pass. */
function priceGenerationAttention(op: LengthOp, setup: PerfSetup, src: CurveSource): GenerationPrice {
  const gpu = setup.gpu;
  const n = op.count;
  if (op.kind === "mla") {
    const price = mlaPrice(op, setup, src, false);
    return (b, kvLen) => n * price(b, 1, kvLen);
  }
  if (op.kind === "linear_attention") {
    const c = linearAttentionCurve(src, "generation");
    return (b) => n * linearAttentionMs(c, gpu, linearAttentionWork(op, b, 1, false));
  }
  const c = attentionCurve(src, "generationAttention", setup.dtypes.kv, op.headDim);
  const peak = gpu.bf16Flops; // as in context attention
  const kvB = kvBytes(setup.dtypes.kv);
  return (b, kvLen) =>
    n * generationAttentionMs(c, gpu, peak, b, kvLen, op.heads, op.kvHeads, op.headDim, op.window, kvB);
}

/** `m → ms` of one run of a GEMM: its fitted curve, cut at the kernel-time ceiling (`ceiling.ts`). */
function gemmPrice(
  op: Extract<Op, { kind: "gemm" }>,
  setup: PerfSetup,
  src: CurveSource,
): (m: number) => number {
  const gpu = setup.gpu;
  const c = gemmCurve(src, op.dtype);
  const [peak, wb, ab] = [peakFlops(gpu, op.dtype), weightBytes(op.dtype), activationBytes(op.dtype)];
  return (m) =>
    Math.min(gemmMs(c, gpu, peak, wb, ab, m, op.n, op.k), gemmCeilingMs(gpu, peak, wb, ab, m, op.n, op.k));
}

/**
 * `tokens → ms` of one routed-expert block: its fitted curve, cut at the kernel-time ceiling; DeepGEMM's grouped
 * GEMM priced by its layout (`deepgemm.ts`) under `moe_backend: deep_gemm`.
 */
function moePrice(
  op: Extract<Op, { kind: "moe" }>,
  setup: PerfSetup,
  src: CurveSource,
): (t: number) => number {
  const gpu = setup.gpu;
  if (setup.moeBackend === "deep_gemm") return (t) => deepGemmMoeMs(gpu, t, op);
  const c = moeCurve(src, op.dtype, setup.moeBackend);
  const [peak, wb] = [peakFlops(gpu, op.dtype) || gpu.bf16Flops, weightBytes(op.dtype)];
  return (t) => Math.min(moeMs(c, gpu, peak, wb, t, op), moeCeilingMs(gpu, peak, wb, t, op));
}

/**
 * `(b, newTokens, kvLen) → ms` of one MLA block in a context (`context`) or generation pass: its fitted curve,
 * cut at the kernel-time ceiling.
 */
function mlaPrice(
  op: Extract<Op, { kind: "mla" }>,
  setup: PerfSetup,
  src: CurveSource,
  context: boolean,
): (b: number, newTokens: number, kvLen: number) => number {
  const gpu = setup.gpu;
  const c = mlaCurve(src, context ? "mlaContext" : "mlaGeneration", setup);
  const shape = mlaShape(setup);
  const d = setup.dtypes.attention;
  const [gp, wb, kvB] = [peakFlops(gpu, d), weightBytes(d), kvBytes(setup.dtypes.kv)];
  return (b, t, kvLen) => {
    const w = mlaWork(shape, op.heads, b, t, kvLen, context, wb, kvB);
    return Math.min(mlaWorkMs(c, gpu, gp, gpu.bf16Flops, b, w), mlaCeilingMs(gpu, gp, gpu.bf16Flops, w));
  };
}

function gemmCurve(src: CurveSource, dtype: string) {
  const c = findCurve(src, "gemm", dtype) ??
    findCurve(src, "gemm", dtype === "fp8_block" ? "fp8" : "fp8_block") ??
    findCurve(src, "gemm", "bfloat16");
  if (!c) throw new Error(`no fitted GEMM curve for ${src.system}`);
  return c;
}

/** The routed-expert curve of a format: the Triton kernel's where `moeTriton` has one and it is asked for. */
function moeCurve(src: CurveSource, dtype: string, backend: MoeBackend) {
  const c = (backend === "triton" ? findCurve(src, "moeTriton", dtype) : undefined) ??
    findCurve(src, "moe", dtype) ?? findCurve(src, "moe", "bfloat16");
  if (!c) throw new Error(`no fitted MoE curve for ${src.system}`);
  return c;
}

function linearAttentionCurve(src: CurveSource, phase: "context" | "generation") {
  const c = findCurve(src, "linearAttention", phase);
  if (!c) throw new Error(`no fitted linear-attention curve for ${src.system}`);
  return c;
}

function mlaCurve(src: CurveSource, section: "mlaContext" | "mlaGeneration", setup: PerfSetup) {
  const gemm = setup.dtypes.attention === "bfloat16" ? "bfloat16" : "fp8_block";
  const c = findCurve(src, section, `${setup.dtypes.kv}/${gemm}`) ??
    findCurve(src, section, `bfloat16/${gemm}`) ??
    findCurve(src, section, "bfloat16/bfloat16");
  if (!c) throw new Error(`no fitted MLA curve for ${src.system}`);
  return c;
}

/** `tokens → ms` of one collective run (the message is `tokens × tokenScale × hidden` BF16 values). */
function commPrice(
  op: Extract<Op, { kind: "comm" }>,
  setup: PerfSetup,
  src: CurveSource,
): (tokens: number) => number {
  const gpu = setup.gpu;
  const domain = gpu.scaleUpSize;
  // The curves were fitted inside the scale-up domain of the fitted system: scale their bandwidth by this GPU's
  // link over that system's (A100's NVLink, L40S's PCIe against H100's NVLink), and beyond the domain the ring
  // runs over the network.
  const link = op.gpus > domain && gpu.networkBw > 0 ? gpu.networkBw : gpu.scaleUpBw;
  const slow = gpuSpec(src.system).scaleUpBw / link;
  const bytesPerToken = 2 * op.hidden * op.tokenScale;
  if (op.op === "all_reduce") {
    const keys = [src.primary, ...src.others].flatMap((b) => Object.keys(b.allReduce));
    const key = nearestCount(keys, op.gpus);
    const c = key ? findCurve(src, "allReduce", key) : undefined;
    if (c) {
      const fitted = Number(key);
      const scale = (op.gpus - 1) / op.gpus * fitted / Math.max(1, fitted - 1) * slow;
      return (t) => allReduceMs(c, t * bytesPerToken, scale);
    }
  }
  const ncclKey = nearestCount(Object.keys(src.nccl).filter((k) => k.startsWith(op.op + "/")), op.gpus);
  const c = ncclKey ? src.nccl[ncclKey] : undefined;
  if (c) {
    const fitted = Number(ncclKey!.split("/")[1]);
    const scale = allGatherBytes(1, op.gpus) / allGatherBytes(1, Math.max(2, fitted)) * slow;
    return (t) => commMs(c, t * bytesPerToken * scale);
  }
  // No fitted collective at all: ring formula at 70 % of the link bandwidth plus 10 µs.
  const bw = (op.gpus > domain ? gpu.networkBw : gpu.scaleUpBw) * 0.7;
  return (t) =>
    0.01 + allGatherBytes(t * bytesPerToken, op.gpus) * (op.op === "all_reduce" ? 2 : 1) / bw * 1e3;
}
