/**
 * Kernel timings measured on real GPUs by `tests/bench/device/measure_kernels.py` (our own measurements, not
 * AIC's): parsing, and the error of a predictor (the analytic curves, or AIC's tables) against them per op family,
 * kernel and size regime. Used by `deno task fidelity --device` and `tests/perf/measured_test.ts`.
 *
 * @module
 */
import { InputError } from "../../common/errors.ts";
import type { GpuSpec } from "../catalog/gpus.ts";
import { attentionSampleMs, gemmSampleMs, summarise } from "./evaluate.ts";
import type { BackendCoefficients } from "./types.ts";

/** The op kinds a measurement file holds. */
export const MEASURED_OPS = ["gemm", "logits", "context_attention", "generation_attention"] as const;

/** One of {@link MEASURED_OPS}. */
export type MeasuredOp = typeof MEASURED_OPS[number];

/** One measured kernel shape (GEMM fields are 0 for attention and the reverse). */
export interface MeasuredKernel {
  readonly op: MeasuredOp;
  readonly dtype: string;
  /** The implementation timed (`cublas`, `quant+cublaslt`, `flash`, `cudnn`, …). */
  readonly kernel: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly batch: number;
  /** Context: new tokens per sequence; generation: cached tokens before the new one. */
  readonly seq: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly latencyMs: number;
  /** 1-based line in the file. */
  readonly line: number;
}

/** A parsed measurement file. */
export interface Measured {
  /** The `# …` lines at its top (GPU, software versions, date). */
  readonly header: readonly string[];
  readonly kernels: readonly MeasuredKernel[];
  /** Device-to-device copy rate, bytes read plus written per second (0 when not measured). */
  readonly copyBytesPerS: number;
  /** Rate of an 8192³ BF16 matrix product, FLOP/s (0 when not measured). */
  readonly bf16Flops: number;
}

const COLUMNS = [
  "op",
  "dtype",
  "kernel",
  "model",
  "tp",
  "m",
  "n",
  "k",
  "batch",
  "seq",
  "heads",
  "kv_heads",
  "head_dim",
  "latency_ms",
  "repeat",
] as const;

/**
 * Parse a `kernels.csv` written by `measure_kernels.py`. Bad input fails with the file, line and field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMeasured } from "./measured.ts";
 * const text = "# gpu: test\nop,dtype,kernel,model,tp,m,n,k,batch,seq,heads,kv_heads,head_dim,latency_ms,repeat\n" +
 *   "gemm,bfloat16,cublas,Llama-3.1-8B,1,64,6144,4096,,,,,,0.03,6\n";
 * const { header, kernels } = parseMeasured(text, "h200_sxm.csv");
 * assert.deepEqual(header, ["# gpu: test"]);
 * assert(kernels[0].op === "gemm" && kernels[0].m === 64 && kernels[0].latencyMs === 0.03 && kernels[0].line === 3);
 * ```
 */
export function parseMeasured(text: string, file: string): Measured {
  const lines = text.split(/\r?\n/);
  const header: string[] = [];
  let at = 0;
  while (at < lines.length && lines[at].startsWith("#")) header.push(lines[at++]);
  if (lines[at] !== COLUMNS.join(",")) {
    throw new InputError(`expected the header line "${COLUMNS.join(",")}"`, { file, line: at + 1 });
  }
  const kernels: MeasuredKernel[] = [];
  let copyBytesPerS = 0;
  let bf16Flops = 0;
  for (let i = at + 1; i < lines.length; i++) {
    if (lines[i] === "") continue;
    const cells = lines[i].split(",");
    const where = { file, line: i + 1 };
    if (cells.length !== COLUMNS.length) {
      throw new InputError(`${cells.length} fields, expected ${COLUMNS.length}`, where);
    }
    const num = (name: typeof COLUMNS[number], required: boolean) => {
      const raw = cells[COLUMNS.indexOf(name)];
      if (raw === "" && !required) return 0;
      const v = Number(raw);
      if (raw === "" || !Number.isFinite(v) || v < 0) {
        throw new InputError(`expected a non-negative number, got "${raw}"`, { ...where, field: name });
      }
      return v;
    };
    const op = cells[0];
    const latencyMs = num("latency_ms", true);
    if (latencyMs <= 0) throw new InputError("latency must be positive", { ...where, field: "latency_ms" });
    if (op === "copy") {
      copyBytesPerS = 2 * num("n", true) * 2 / (latencyMs * 1e-3);
      continue;
    }
    if (op === "peak") {
      bf16Flops = 2 * num("m", true) * num("n", true) * num("k", true) / (latencyMs * 1e-3);
      continue;
    }
    if (!(MEASURED_OPS as readonly string[]).includes(op)) {
      throw new InputError(`unknown op "${op}" (valid: ${MEASURED_OPS.join(", ")}, copy, peak)`, {
        ...where,
        field: "op",
      });
    }
    const gemm = op === "gemm" || op === "logits";
    kernels.push({
      op: op as MeasuredOp,
      dtype: cells[1],
      kernel: cells[2],
      m: num("m", gemm),
      n: num("n", gemm),
      k: num("k", gemm),
      batch: num("batch", !gemm),
      seq: num("seq", !gemm),
      heads: num("heads", !gemm),
      kvHeads: num("kv_heads", !gemm),
      headDim: num("head_dim", !gemm),
      latencyMs,
      line: i + 1,
    });
  }
  return { header, kernels, copyBytesPerS, bf16Flops };
}

/** A predictor of a measured kernel's time (ms); undefined where it has nothing to say. */
export type KernelPredictor = (k: MeasuredKernel) => number | undefined;

/**
 * The analytic curves of one GPU × backend as a {@link KernelPredictor} (attention with a BF16 KV cache, full
 * attention, no cached prefix, as measured).
 */
export function analyticPredictor(coef: BackendCoefficients, gpu: GpuSpec): KernelPredictor {
  return (k) => {
    if (k.op === "gemm" || k.op === "logits") return gemmSampleMs(coef, gpu, k.dtype, k);
    const context = k.op === "context_attention";
    return attentionSampleMs(coef, gpu, context, `${k.dtype}/${k.headDim}`, {
      b: k.batch,
      s: context ? k.seq : k.seq + 1,
      heads: k.heads,
      kvHeads: k.kvHeads,
      headDim: k.headDim,
      window: 0,
    });
  };
}

/** Error of a predictor on one group of measured kernels. */
export interface MeasuredError {
  /** `gemm bfloat16`, `context_attention bfloat16`, … */
  readonly family: string;
  /** The kernel, or `best` for attention: per shape the fastest of the kernels timed. */
  readonly kernel: string;
  /** Size regime (`m ≤ 64`, `s ≥ 4k`, …) or `all`. */
  readonly regime: string;
  readonly count: number;
  /** Median of |predicted / measured − 1|. */
  readonly median: number;
  /** 90th percentile of the same. */
  readonly p90: number;
  /** Median of predicted / measured − 1 (negative: the predictor is faster than the GPU). */
  readonly bias: number;
}

const REGIMES = ["all", "m ≤ 64", "64 < m ≤ 1k", "m > 1k", "s < 4k", "s ≥ 4k", "b < 16", "b ≥ 16"];

function regime(k: MeasuredKernel): string {
  if (k.op === "gemm" || k.op === "logits") {
    return k.m <= 64 ? "m ≤ 64" : k.m <= 1024 ? "64 < m ≤ 1k" : "m > 1k";
  }
  if (k.op === "context_attention") return k.seq < 4096 ? "s < 4k" : "s ≥ 4k";
  return k.batch < 16 ? "b < 16" : "b ≥ 16";
}

/**
 * Per attention shape, the fastest kernel's timing, renamed `best` (vLLM's FlashAttention-3 is at least as
 * fast as either kernel PyTorch offers).
 */
export function bestAttention(kernels: readonly MeasuredKernel[]): MeasuredKernel[] {
  const best = new Map<string, MeasuredKernel>();
  for (const k of kernels) {
    if (k.op !== "context_attention" && k.op !== "generation_attention") continue;
    const key = `${k.op}/${k.dtype}/${k.batch}/${k.seq}/${k.heads}/${k.kvHeads}/${k.headDim}`;
    const seen = best.get(key);
    if (!seen || k.latencyMs < seen.latencyMs) best.set(key, { ...k, kernel: "best" });
  }
  return [...best.values()];
}

/**
 * Errors of `predict` on `kernels`, per family × kernel, over all sizes and per size regime. For attention a
 * `best` kernel (per shape the fastest measured) is added: vLLM's FlashAttention-3 is at least as fast.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { measuredErrors, parseMeasured } from "./measured.ts";
 * const text = "op,dtype,kernel,model,tp,m,n,k,batch,seq,heads,kv_heads,head_dim,latency_ms,repeat\n" +
 *   "gemm,bfloat16,cublas,x,1,8,4096,4096,,,,,,0.02,6\ngemm,bfloat16,cublas,x,1,4096,4096,4096,,,,,,0.2,6\n";
 * const errors = measuredErrors(parseMeasured(text, "t.csv").kernels, (k) => k.m === 8 ? 0.022 : 0.18);
 * const all = errors.find((e) => e.regime === "all")!;
 * assert(all.count === 2 && Math.abs(all.median - 0.1) < 1e-9);
 * assert(errors.some((e) => e.regime === "m ≤ 64" && Math.abs(e.bias - 0.1) < 1e-9));
 * ```
 */
export function measuredErrors(
  kernels: readonly MeasuredKernel[],
  predict: KernelPredictor,
): MeasuredError[] {
  const groups = new Map<string, { family: string; kernel: string; regime: string; errors: number[] }>();
  for (const k of [...kernels, ...bestAttention(kernels)]) {
    const p = predict(k);
    if (p === undefined) continue;
    const family = `${k.op} ${k.dtype}`;
    for (const r of ["all", regime(k)]) {
      const key = `${family}|${k.kernel}|${r}`;
      const g = groups.get(key) ?? { family, kernel: k.kernel, regime: r, errors: [] };
      g.errors.push(p / k.latencyMs - 1);
      groups.set(key, g);
    }
  }
  const opRank = (g: { family: string }) => MEASURED_OPS.indexOf(g.family.split(" ")[0] as MeasuredOp);
  const sorted = [...groups.values()].sort((a, b) =>
    opRank(a) - opRank(b) || a.family.localeCompare(b.family) ||
    Number(a.kernel === "best") - Number(b.kernel === "best") || a.kernel.localeCompare(b.kernel) ||
    REGIMES.indexOf(a.regime) - REGIMES.indexOf(b.regime)
  );
  return sorted.map(({ family, kernel, regime, errors }) => {
    const { count, median, p90 } = summarise(family, errors.map(Math.abs));
    return { family, kernel, regime, count, median, p90, bias: summarise(family, errors).median };
  });
}
