/**
 * Speed of light (SOL) of a forward pass: each operator at its roofline, its FLOPs at the GPU's peak for its
 * data type (`math`) and its bytes at HBM bandwidth (`memory`; a collective's at the link's), the larger of the
 * two its time. Built from the same op lists and pass shapes as the analytic and AIC-table models, so a
 * model's time over the SOL is how far its kernels run from the hardware's limit. For diagnostics (AISimulate's
 * `--detail time`), not for the hot path: each call allocates its result.
 *
 * @module
 */
import { activationBytes, kvBytes, peakFlops, weightBytes } from "./dtypes.ts";
import { linearAttentionWork } from "./analytic/linear_attention.ts";
import { mlaWork } from "./analytic/mla.ts";
import {
  buildOps,
  dependsOnLengths,
  dependsOnTokens,
  type LengthOp,
  type Op,
  OP_FAMILIES,
  opFamily,
  type TokenOp,
} from "./ops.ts";
import {
  allGatherBytes,
  allReduceBytes,
  contextAttentionBytes,
  contextAttentionFlops,
  gemmBytes,
  gemmFlops,
  generationAttentionBytes,
  generationAttentionFlops,
  moeActivationBytes,
  moeFlops,
  moeMatrices,
} from "./roofline.ts";
import type { PerfSetup } from "./setup.ts";

/**
 * SOL time of some operators (ms): `mathMs` and `memoryMs` their compute and data movement at the hardware's
 * limits, `latencyMs` the sum of each operator's larger one.
 */
export interface SolTime {
  readonly latencyMs: number;
  readonly mathMs: number;
  readonly memoryMs: number;
}

/**
 * The SOL of several parts together: their times added.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sumSol } from "./sol.ts";
 * const t = sumSol([{ latencyMs: 2, mathMs: 2, memoryMs: 1 }, { latencyMs: 3, mathMs: 1, memoryMs: 3 }]);
 * assert.deepEqual(t, { latencyMs: 5, mathMs: 3, memoryMs: 4 });
 * ```
 */
export function sumSol(parts: Iterable<SolTime>): SolTime {
  let latencyMs = 0, mathMs = 0, memoryMs = 0;
  for (const p of parts) {
    latencyMs += p.latencyMs;
    mathMs += p.mathMs;
    memoryMs += p.memoryMs;
  }
  return { latencyMs, mathMs, memoryMs };
}

/** SOL time of a pass by operator family (the keys of the models' breakdowns). */
export type SolBreakdown = Readonly<Record<string, SolTime>>;

/** The SOL of a model's passes, with the arguments of the {@link PerfModel} calls they shadow. */
export interface SolModel {
  /** A prefill pass (as `prefillMs`). */
  prefill(batch: number, meanIsl: number, meanPrefix: number): SolBreakdown;
  /** A decode pass (as `decodeMs`). */
  decode(batch: number, meanContext: number): SolBreakdown;
  /**
   * What `batch` decoding requests add to a prefill pass (as `mixedDecodeMs`): their attention, and the
   * difference their rows make to every other operator (the weights are read once for the whole pass).
   */
  mixedDecode(
    prefillBatch: number,
    prefillMeanIsl: number,
    prefillMeanPrefix: number,
    batch: number,
    meanContext: number,
  ): SolTime;
}

/** An op's `[math, memory]` seconds for all its runs. */
type Roof = readonly [math: number, memory: number];

/**
 * The SOL of `setup`'s passes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolvePerfSetup } from "./setup.ts";
 * import { solModel } from "./sol.ts";
 * const sol = solModel(resolvePerfSetup({ aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8" })!);
 * // Decoding 8 requests on H200 streams the 8 GB of FP8 weights: ~1.7 ms at 4.8 TB/s, memory-bound.
 * const gemm = sol.decode(8, 1000).gemm;
 * assert(gemm.memoryMs > 1.4 && gemm.memoryMs < 1.8 && gemm.mathMs < gemm.memoryMs / 10);
 * assert.equal(gemm.latencyMs, gemm.memoryMs);
 * ```
 */
export function solModel(setup: PerfSetup): SolModel {
  const ops = buildOps(setup);
  const split = (list: readonly Op[], context: boolean) => ({
    attn: list.filter(dependsOnLengths).map((op) => ({
      family: opFamily(op),
      roof: attentionRoof(op, setup, context),
    })),
    rest: list.filter(dependsOnTokens).map((op) => ({ family: opFamily(op), roof: tokenRoof(op, setup) })),
  });
  const ctx = split(ops.context, true), gen = split(ops.generation, false);
  const breakdown = (parts: readonly (readonly [string, Roof])[]): SolBreakdown => {
    const sums = new Map<string, [number, number, number]>();
    for (const [family, [math, memory]] of parts) {
      const s = sums.get(family) ?? [0, 0, 0];
      s[0] += Math.max(math, memory) * 1e3;
      s[1] += math * 1e3;
      s[2] += memory * 1e3;
      sums.set(family, s);
    }
    return Object.fromEntries(
      OP_FAMILIES.filter((f) => sums.has(f)).map((f) => {
        const [latencyMs, mathMs, memoryMs] = sums.get(f)!;
        return [f, { latencyMs, mathMs, memoryMs }];
      }),
    );
  };
  const decode = (b: number, meanContext: number): SolBreakdown => {
    if (b <= 0) return {};
    return breakdown([
      ...gen.attn.map((op) => [op.family, op.roof(b, 1, meanContext)] as const),
      ...gen.rest.map((op) => [op.family, op.roof(b, b)] as const),
    ]);
  };
  return {
    prefill(b, meanIsl, meanPrefix) {
      const s = meanIsl - meanPrefix;
      if (b <= 0 || s <= 0) return {};
      return breakdown([
        ...ctx.attn.map((op) => [op.family, op.roof(b, s, meanPrefix)] as const),
        ...ctx.rest.map((op) => [op.family, op.roof(b * s, b)] as const),
      ]);
    },
    decode,
    mixedDecode(q, meanIsl, meanPrefix, b, meanContext) {
      const m = q * (meanIsl - meanPrefix);
      if (m <= 0) {
        // No prompt tokens to share the pass with: a decode pass, as the models price it.
        return sumSol(Object.values(decode(b, meanContext)));
      }
      let latency = 0, math = 0, memory = 0;
      for (const op of gen.rest) {
        const [m0, b0] = op.roof(m, q), [m1, b1] = op.roof(m + b, q + b);
        latency += Math.max(m1, b1) - Math.max(m0, b0);
        math += m1 - m0;
        memory += b1 - b0;
      }
      for (const op of gen.attn) {
        const [m1, b1] = op.roof(b, 1, meanContext);
        latency += Math.max(m1, b1);
        math += m1;
        memory += b1;
      }
      return { latencyMs: latency * 1e3, mathMs: math * 1e3, memoryMs: memory * 1e3 };
    },
  };
}

/**
 * `(b, s, p) → roof` of an attention op over `b` sequences of `s` new tokens after `p` in KV (a generation
 * pass: `s = 1` and `p` the context; its query reads `p + 1` tokens, as the models price it).
 */
function attentionRoof(
  op: LengthOp,
  setup: PerfSetup,
  context: boolean,
): (b: number, s: number, p: number) => Roof {
  const { gpu, dtypes } = setup;
  const n = op.count, kvB = kvBytes(dtypes.kv);
  if (op.kind === "mla") {
    const shape = { hidden: setup.model.arch.hidden, ...setup.model.arch.mla! };
    const gemmPeak = peakFlops(gpu, dtypes.attention) || gpu.bf16Flops, wb = weightBytes(dtypes.attention);
    return (b, s, p) => {
      const w = mlaWork(shape, op.heads, b, s, context ? s + p : p + 1, context, wb, kvB);
      return [n * (w.gemmFlops / gemmPeak + w.attnFlops / gpu.bf16Flops), n * w.bytes / gpu.memBw];
    };
  }
  if (op.kind === "linear_attention") {
    return (b, s) => {
      const w = linearAttentionWork(op, b, s, context);
      return [n * w.flops / gpu.bf16Flops, n * (w.stateBytes + w.convBytes) / gpu.memBw];
    };
  }
  const peak = dtypes.fmha === "fp8" ? gpu.fp8Flops : gpu.bf16Flops;
  const { heads, kvHeads, headDim: d, window: w } = op;
  return context
    ? (b, s, p) => [
      n * contextAttentionFlops(b, s, p, heads, d, w) / peak,
      n * contextAttentionBytes(b, s, p, heads, kvHeads, d, kvB) / gpu.memBw,
    ]
    : (b, _s, p) => [
      n * generationAttentionFlops(b, p + 1, heads, d, w) / peak,
      n * generationAttentionBytes(b, p + 1, heads, kvHeads, d, w, kvB) / gpu.memBw,
    ];
}

/** `(m, q) → roof` of a token-only op in a pass computing `m` tokens of `q` sequences. */
function tokenRoof(op: TokenOp, setup: PerfSetup): (m: number, q: number) => Roof {
  const gpu = setup.gpu, n = op.count;
  switch (op.kind) {
    case "gemm": {
      const peak = peakFlops(gpu, op.dtype) || gpu.bf16Flops;
      const [wb, ab] = [weightBytes(op.dtype), activationBytes(op.dtype)];
      return (m, q) => {
        const rows = op.perSeq ? q : m;
        return [n * gemmFlops(rows, op.n, op.k) / peak, n * gemmBytes(rows, op.n, op.k, wb, ab) / gpu.memBw];
      };
    }
    case "moe": {
      const peak = peakFlops(gpu, op.dtype) || gpu.bf16Flops, wb = weightBytes(op.dtype), g = moeMatrices(op);
      const expertBytes = wb * op.hidden * op.inter * g / op.tp;
      return (m) => {
        const t = m * op.tokenScale;
        // The weights of the experts the tokens reach: `t` tokens routed uniformly, each to `topK` distinct
        // experts, leave an expert idle with probability (1 − topK/E)^t (`moeBytes` counts one per pair).
        const hit = op.experts / op.ep * (1 - (1 - op.topK / op.experts) ** t);
        const bytes = expertBytes * hit + moeActivationBytes(t, op, g);
        return [n * moeFlops(t, op, g) / peak, n * bytes / gpu.memBw];
      };
    }
    case "comm": {
      const bw = op.gpus > gpu.scaleUpSize && gpu.networkBw > 0 ? gpu.networkBw : gpu.scaleUpBw;
      const moved = op.op === "all_reduce" ? allReduceBytes : allGatherBytes;
      return (m) => [0, n * moved(m * op.tokenScale * 2 * op.hidden, op.gpus) / bw];
    }
    case "memory":
      return (m) => [0, n * m * op.bytesPerToken / gpu.memBw];
  }
}
