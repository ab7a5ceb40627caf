/**
 * Kernel timings measured on real GPUs by `tests/bench/device/measure_kernels.py` (our own measurements, not
 * AIC's): parsing, and the error of a predictor (the analytic curves, or AIC's tables) against them per op family,
 * kernel and size regime. Used by `deno task fidelity --device` and `tests/perf/measured_test.ts`.
 *
 * @module
 */
import { InputError } from "../../common/errors.ts";
import type { GpuSpec } from "../catalog/gpus.ts";
import { ELEMENTWISE_BYTES } from "../ops.ts";
import { memoryOpMs } from "../roofline.ts";
import { attentionSampleMs, gemmSampleMs, summarise } from "./evaluate.ts";
import type { BackendCoefficients } from "./types.ts";

/** The op kinds a measurement file holds. */
export const MEASURED_OPS = [
  "gemm",
  "logits",
  "context_attention",
  "prefix_attention",
  "generation_attention",
  "elementwise",
] as const;

/** The element-wise kernels a measurement file times (`n`: hidden size, or FFN width per GPU; rope: heads). */
export const ELEMENTWISE_KERNELS = ["add_rms_norm", "silu_mul", "rope"] as const;

/** One of {@link MEASURED_OPS}. */
export type MeasuredOp = typeof MEASURED_OPS[number];

/**
 * One measured kernel shape (GEMM fields are 0 for attention and the reverse; element-wise kernels use `m` for
 * tokens, `n` for the width, rope the head fields).
 */
export interface MeasuredKernel {
  readonly op: MeasuredOp;
  readonly dtype: string;
  /** The implementation timed (`cublas`, `quant+cublaslt`, `flash`, `cudnn`, …). */
  readonly kernel: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly batch: number;
  /** Context and prefix: new tokens per sequence; generation: cached tokens before the new one. */
  readonly seq: number;
  /** Prefix attention: cached tokens before the new ones (0 elsewhere). */
  readonly prefix: number;
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
  "prefix",
] as const;

/**
 * Parse a `kernels.csv` written by `measure_kernels.py`. Bad input fails with the file, line and field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMeasured } from "./measured.ts";
 * const text = "# gpu: test\nop,dtype,kernel,model,tp,m,n,k,batch,seq,heads,kv_heads,head_dim,latency_ms,repeat,prefix\n" +
 *   "gemm,bfloat16,cublas,Llama-3.1-8B,1,64,6144,4096,,,,,,0.03,6,\n";
 * const { header, kernels } = parseMeasured(text, "h200_sxm.csv");
 * assert.deepEqual(header, ["# gpu: test"]);
 * assert(kernels[0].op === "gemm" && kernels[0].m === 64 && kernels[0].latencyMs === 0.03 && kernels[0].line === 3);
 * ```
 */
export function parseMeasured(text: string, file: string): Measured {
  const { header, rows } = measurementRows(text, file, COLUMNS);
  const kernels: MeasuredKernel[] = [];
  let copyBytesPerS = 0;
  let bf16Flops = 0;
  for (const { cells, where } of rows) {
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
    const elementwise = op === "elementwise";
    if (elementwise && !(ELEMENTWISE_KERNELS as readonly string[]).includes(cells[2])) {
      throw new InputError(
        `unknown element-wise kernel "${cells[2]}" (valid: ${ELEMENTWISE_KERNELS.join(", ")})`,
        {
          ...where,
          field: "kernel",
        },
      );
    }
    const attention = !gemm && !elementwise;
    const rope = cells[2] === "rope";
    kernels.push({
      op: op as MeasuredOp,
      dtype: cells[1],
      kernel: cells[2],
      m: num("m", gemm || elementwise),
      n: num("n", gemm || (elementwise && !rope)),
      k: num("k", gemm),
      batch: num("batch", attention),
      seq: num("seq", attention),
      prefix: num("prefix", op === "prefix_attention"),
      heads: num("heads", attention || rope),
      kvHeads: num("kv_heads", attention || rope),
      headDim: num("head_dim", attention || rope),
      latencyMs,
      line: where.line,
    });
  }
  return { header, kernels, copyBytesPerS, bf16Flops };
}

/**
 * The `#` lines at the top of a measurement CSV and its data rows, split into cells, each with its file and
 * 1-based line. Fails naming the file and line when the column header is not `columns` or a row has another
 * number of fields.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { measurementRows } from "./measured.ts";
 * const { header, rows } = measurementRows("# gpu\na,b\n1,2\n\n3,4\n", "t.csv", ["a", "b"]);
 * assert.deepEqual(header, ["# gpu"]);
 * assert.deepEqual(rows.map((r) => [r.cells, r.where.line]), [[["1", "2"], 3], [["3", "4"], 5]]);
 * assert.throws(() => measurementRows("a,b\n1\n", "t.csv", ["a", "b"]), /t\.csv:2: 1 fields, expected 2/);
 * ```
 */
export function measurementRows(
  text: string,
  file: string,
  columns: readonly string[],
): { header: string[]; rows: Array<{ cells: string[]; where: { file: string; line: number } }> } {
  const lines = text.split(/\r?\n/);
  const header: string[] = [];
  let at = 0;
  while (at < lines.length && lines[at].startsWith("#")) header.push(lines[at++]);
  if (lines[at] !== columns.join(",")) {
    throw new InputError(`expected the header line "${columns.join(",")}"`, { file, line: at + 1 });
  }
  const rows: Array<{ cells: string[]; where: { file: string; line: number } }> = [];
  for (let i = at + 1; i < lines.length; i++) {
    if (lines[i] === "") continue;
    const cells = lines[i].split(",");
    const where = { file, line: i + 1 };
    if (cells.length !== columns.length) {
      throw new InputError(`${cells.length} fields, expected ${columns.length}`, where);
    }
    rows.push({ cells, where });
  }
  return { header, rows };
}

/** A predictor of a measured kernel's time (ms); undefined where it has nothing to say. */
export type KernelPredictor = (k: MeasuredKernel) => number | undefined;

/**
 * The analytic model of one GPU × backend as a {@link KernelPredictor}: the fitted curves (attention with a BF16
 * KV cache and no sliding window, as measured) and the element-wise ops' memory roofline.
 */
export function analyticPredictor(coef: BackendCoefficients, gpu: GpuSpec): KernelPredictor {
  return (k) => {
    if (k.op === "gemm" || k.op === "logits") return gemmSampleMs(coef, gpu, k.dtype, k);
    if (k.op === "elementwise") return memoryOpMs(k.m * elementwiseBytesPerToken(k), gpu.memBw);
    const generation = k.op === "generation_attention";
    return attentionSampleMs(coef, gpu, !generation, `${k.dtype}/${k.headDim}`, {
      b: k.batch,
      s: generation ? k.seq + 1 : k.seq,
      heads: k.heads,
      kvHeads: k.kvHeads,
      headDim: k.headDim,
      window: 0,
    }, k.prefix);
  };
}

function elementwiseBytesPerToken(k: MeasuredKernel): number {
  if (k.kernel === "add_rms_norm") return ELEMENTWISE_BYTES.addNorm(k.n);
  if (k.kernel === "silu_mul") return ELEMENTWISE_BYTES.actGate(k.n);
  return ELEMENTWISE_BYTES.rope((k.heads + k.kvHeads) * k.headDim);
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

const REGIMES = [
  "all",
  "m ≤ 64",
  "64 < m ≤ 1k",
  "m > 1k",
  "s < 4k",
  "s ≥ 4k",
  "b < 16",
  "b ≥ 16",
  "t ≤ 64",
  "64 < t ≤ 1k",
  "t > 1k",
];

function regime(k: MeasuredKernel): string {
  if (k.op === "gemm" || k.op === "logits" || k.op === "elementwise") {
    return k.m <= 64 ? "m ≤ 64" : k.m <= 1024 ? "64 < m ≤ 1k" : "m > 1k";
  }
  if (k.op === "generation_attention") return k.batch < 16 ? "b < 16" : "b ≥ 16";
  return k.seq + k.prefix < 4096 ? "s < 4k" : "s ≥ 4k";
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
 * const text = "op,dtype,kernel,model,tp,m,n,k,batch,seq,heads,kv_heads,head_dim,latency_ms,repeat,prefix\n" +
 *   "gemm,bfloat16,cublas,x,1,8,4096,4096,,,,,,0.02,6,\ngemm,bfloat16,cublas,x,1,4096,4096,4096,,,,,,0.2,6,\n";
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
  const items: Array<[string, string, string, number]> = [];
  for (const k of [...kernels, ...bestAttention(kernels)]) {
    const p = predict(k);
    if (p !== undefined) items.push([`${k.op} ${k.dtype}`, k.kernel, regime(k), p / k.latencyMs - 1]);
  }
  return groupErrors(items);
}

/**
 * Errors of `predict` on each prefix-attention timing as a share of the same kernel's full-length pass: the
 * predicted `t(s, p) / t(s + p, 0)` over the measured one, minus 1. Kernel speed cancels out, so a model fitted
 * to another attention kernel (vLLM's FlashAttention-3) is judged on how it scales with a cached prefix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMeasured, prefixShareErrors } from "./measured.ts";
 * const text = "op,dtype,kernel,model,tp,m,n,k,batch,seq,heads,kv_heads,head_dim,latency_ms,repeat,prefix\n" +
 *   "context_attention,bfloat16,flash,x,1,,,,1,4096,32,8,128,1.0,6,\n" +
 *   "prefix_attention,bfloat16,flash,x,1,,,,1,1024,32,8,128,0.25,6,3072\n";
 * const share = (k: { seq: number; prefix: number }) => ((k.seq + k.prefix) ** 2 - k.prefix ** 2) / 4096 ** 2;
 * const [all] = prefixShareErrors(parseMeasured(text, "t.csv").kernels, share);
 * assert(all.count === 1 && Math.abs(all.bias - (0.4375 / 0.25 - 1)) < 1e-9);
 * ```
 */
export function prefixShareErrors(
  kernels: readonly MeasuredKernel[],
  predict: KernelPredictor,
): MeasuredError[] {
  const shape = (k: MeasuredKernel, seq: number) =>
    `${k.dtype}/${k.kernel}/${k.batch}/${seq}/${k.heads}/${k.kvHeads}/${k.headDim}`;
  const full = new Map<string, MeasuredKernel>();
  for (const k of kernels) if (k.op === "context_attention") full.set(shape(k, k.seq), k);
  const items: Array<[string, string, string, number]> = [];
  for (const k of kernels) {
    const f = k.op === "prefix_attention" ? full.get(shape(k, k.seq + k.prefix)) : undefined;
    const p = f && predict(k);
    const pf = f && predict(f);
    if (f && p !== undefined && pf !== undefined) {
      items.push([`${k.op} ${k.dtype}`, k.kernel, regime(k), (p / pf) / (k.latencyMs / f.latencyMs) - 1]);
    }
  }
  return groupErrors(items);
}

/**
 * Relative errors (`[family, kernel, regime, predicted / measured − 1]`) summarised per family × kernel, over
 * all sizes and per size regime, in report order (op family, then `best` after the kernels, then regime).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupErrors } from "./measured.ts";
 * const out = groupErrors([["gemm fp8", "cublas", "m ≤ 64", 0.1], ["gemm fp8", "cublas", "m > 1k", -0.3]]);
 * assert.deepEqual(out.map((e) => e.regime), ["all", "m ≤ 64", "m > 1k"]);
 * assert(out[0].count === 2);
 * ```
 */
export function groupErrors(
  items: ReadonlyArray<readonly [string, string, string, number]>,
): MeasuredError[] {
  const groups = new Map<string, { family: string; kernel: string; regime: string; errors: number[] }>();
  for (const [family, kernel, reg, e] of items) {
    for (const r of ["all", reg]) {
      const key = `${family}|${kernel}|${r}`;
      const g = groups.get(key) ?? { family, kernel, regime: r, errors: [] };
      g.errors.push(e);
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
