/**
 * Table mode: the op decomposition of `ops.ts` priced from AIC's measured tables the way AIC resolves them
 * (perf-model.md §4): exact hits verbatim, linear blends inside the grid (`sqrt` on the sequence axis of context
 * attention), util-hold outside, GEMM efficiency borrowed from the nearest collected sites for uncollected shapes.
 * Context attention with a cached prefix is read at the full length and scaled by `(full² − prefix²)/full²`.
 * Element-wise ops use AIC's `bytes / (0.8·BW) + 3 µs`.
 *
 * Every curve is cut from the tables when the model is built; a pass costs a few binary searches per op, and
 * whole-pass results are memoised on integer means (the reference's integer means), so repeated passes cost a
 * map lookup.
 *
 * @module
 */
import { activationBytes, kvBytes, peakFlops, weightBytes } from "../dtypes.ts";
import { buildOps, type Op, OP_FAMILIES, opFamily } from "../ops.ts";
import {
  allGatherBytes,
  allReduceBytes,
  contextAttentionBytes,
  contextAttentionFlops,
  gemmBytes,
  gemmFlops,
  generationAttentionBytes,
  generationAttentionFlops,
  memoryOpMs,
  moeBytes,
  moeFlops,
  moeMatrices,
  prefixShare,
} from "../roofline.ts";
import type { PerfSetup } from "../setup.ts";
import { solModel } from "../sol.ts";
import type { OpBreakdown, PerfModel } from "../types.ts";
import { mlaWork } from "../analytic/mla.ts";
import { type OverheadOptions, passOverheadMs } from "../analytic/overhead.ts";
import {
  attentionGrid,
  type AttentionSlice,
  collectiveCurve,
  gemmCurve,
  mlaGrid,
  moeCurve,
  timesFmha,
} from "./curves.ts";
import type { AicTables } from "./tables.ts";
import { linearAttentionGrid } from "./linear_attention.ts";
import type { Table } from "./table.ts";
import { InputError } from "../../common/errors.ts";

const MEMO_LIMIT = 1 << 18;
// Memo keys are exact integers below 2^53: prefill `(b·2^21 + s)·2^21 + p` for b < 2^11 and s, p < 2^21, decode
// `b·2^22 + kvLen` for b < 2^31 and kvLen < 2^22. Passes outside those bounds are priced without the memo.
const PREFILL_BATCHES = 2048;
const PREFILL_TOKENS = 2097152;
const DECODE_BATCHES = 2147483648;
const DECODE_TOKENS = 4194304;

/** Options of {@link tableModel}: its framework overhead. */
export type TableModelOptions = OverheadOptions;

type ContextPrice = (b: number, s: number, p: number) => number;
type GenerationPrice = (b: number, kvLen: number) => number;

/**
 * Build the table-mode model of a setup from loaded tables.
 *
 * @example
 * ```ts ignore
 * import { loadPerfInputs, createPerfModel } from "../mod.ts";
 * const args = { aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8", aic_systems_path: "../shared/aic/systems" };
 * const model = createPerfModel(args, config, await loadPerfInputs(args)); // name "aic-tables"
 * ```
 */
export function tableModel(setup: PerfSetup, tables: AicTables, options: TableModelOptions = {}): PerfModel {
  const ops = buildOps(setup);
  const ctx = ops.context.map((op) => ({
    family: OP_FAMILIES.indexOf(opFamily(op)),
    price: contextPrice(op, setup, tables),
  }));
  const gen = ops.generation.map((op) => ({
    family: OP_FAMILIES.indexOf(opFamily(op)),
    price: generationPrice(op, setup, tables),
  }));
  const prefillMemo = new Map<number, number>();
  const decodeMemo = new Map<number, number>();

  const prefillParts = (b: number, s: number, p: number, parts?: number[]) => {
    let total = 0;
    for (const op of ctx) {
      const v = op.price(b, s, p);
      total += v;
      if (parts) parts[op.family] += v;
    }
    return total;
  };
  const decodeParts = (b: number, kvLen: number, parts?: number[]) => {
    let total = 0;
    for (const op of gen) {
      const v = op.price(b, kvLen);
      total += v;
      if (parts) parts[op.family] += v;
    }
    return total;
  };
  const split = (parts: number[]): OpBreakdown =>
    Object.fromEntries(OP_FAMILIES.map((f, i) => [f, parts[i]]).filter(([, v]) => (v as number) > 0));
  return {
    name: "aic-tables",
    prefillMs(b, meanIsl, meanPrefix) {
      const p = Math.round(meanPrefix);
      const s = Math.round(meanIsl) - p;
      if (b <= 0 || s <= 0) return 0;
      if (
        !(b < PREFILL_BATCHES && s < PREFILL_TOKENS && p < PREFILL_TOKENS && p >= 0 && Number.isInteger(b))
      ) {
        return prefillParts(b, s, p);
      }
      const key = (b * PREFILL_TOKENS + s) * PREFILL_TOKENS + p;
      let v = prefillMemo.get(key);
      if (v === undefined) {
        if (prefillMemo.size >= MEMO_LIMIT) prefillMemo.clear();
        v = prefillParts(b, s, p);
        prefillMemo.set(key, v);
      }
      return v;
    },
    decodeMs(b, meanContext) {
      if (b <= 0) return 0;
      const kvLen = Math.round(meanContext) + 1;
      if (!(b < DECODE_BATCHES && kvLen < DECODE_TOKENS && kvLen >= 0 && Number.isInteger(b))) {
        return decodeParts(b, kvLen);
      }
      const key = b * DECODE_TOKENS + kvLen;
      let v = decodeMemo.get(key);
      if (v === undefined) {
        if (decodeMemo.size >= MEMO_LIMIT) decodeMemo.clear();
        v = decodeParts(b, kvLen);
        decodeMemo.set(key, v);
      }
      return v;
    },
    prefillBreakdown(batch, meanIsl, meanPrefix) {
      const parts = OP_FAMILIES.map(() => 0);
      const p = Math.round(meanPrefix);
      const s = Math.round(meanIsl) - p;
      if (batch > 0 && s > 0) prefillParts(batch, s, p, parts);
      return split(parts);
    },
    decodeBreakdown(batch, meanContext) {
      const parts = OP_FAMILIES.map(() => 0);
      if (batch > 0) decodeParts(batch, Math.round(meanContext) + 1, parts);
      return split(parts);
    },
    passOverheadMs: passOverheadMs(setup, options),
    // At the tables' own GPU figures, as the util interpolation above.
    roofline: () => solModel({ ...setup, gpu: tables.gpu }),
  };
}

function need(table: Table | undefined, what: string, tables: AicTables): Table {
  if (table) return table;
  throw new InputError(`${tables.system}/${tables.backend} ${tables.version} has no ${what} table loaded`, {
    field: "aic_systems_path",
  });
}

/** The table slice of an attention op: its shape, the KV and FMHA formats, the phase. */
function attentionSlice(
  op: Extract<Op, { kind: "attention" }>,
  setup: PerfSetup,
  context: boolean,
): AttentionSlice {
  const { kvHeads, headDim, window } = op;
  return { kvHeads, headDim, window, kvDtype: setup.dtypes.kv, fmhaDtype: setup.dtypes.fmha, context };
}

/**
 * What table mode prices otherwise than `setup` asks, one warning each: context attention whose FMHA format
 * (`aic_fmha_dtype`) the tables do not time for a layer shape, priced from their BF16 rows.
 */
export function tableWarnings(setup: PerfSetup, tables: AicTables): string[] {
  const t = tables.contextAttention;
  const fmha = setup.dtypes.fmha;
  if (!t || fmha === "bfloat16") return [];
  const shapes = buildOps(setup).context.flatMap((op) =>
    op.kind === "attention" && !timesFmha(t, attentionSlice(op, setup, true))
      ? [`${op.kvHeads} KV heads of dimension ${op.headDim}${op.window ? `, window ${op.window}` : ""}`]
      : []
  );
  if (shapes.length === 0) return [];
  return [
    `aic_fmha_dtype ${fmha}: ${tables.system}/${tables.backend} ${tables.version} times no ${fmha} context ` +
    `attention over a ${setup.dtypes.kv} KV cache for ${[...new Set(shapes)].join("; ")}; priced from its ` +
    "bfloat16 rows",
  ];
}

/** `m → ms` of one GEMM op. */
function gemmPrice(op: Extract<Op, { kind: "gemm" }>, tables: AicTables): (m: number) => number {
  const gpu = tables.gpu;
  const peak = peakFlops(gpu, op.dtype);
  const [wb, ab] = [weightBytes(op.dtype), activationBytes(op.dtype)];
  const sol = (m: number, n: number, k: number) =>
    Math.max(gemmFlops(m, n, k) / peak, gemmBytes(m, n, k, wb, ab) / gpu.memBw) * 1e3;
  const curve = gemmCurve(tables.gemm, op.dtype, op.n, op.k, sol);
  return (m) => curve.at(m);
}

function attentionSol(
  setup: PerfSetup,
  tables: AicTables,
  context: boolean,
  kvHeads: number,
  d: number,
  w: number,
) {
  const gpu = tables.gpu;
  const peak = setup.dtypes.fmha === "fp8" ? gpu.fp8Flops : gpu.bf16Flops;
  const kvB = kvBytes(setup.dtypes.kv);
  return (heads: number) => (b: number, s: number) =>
    context
      ? Math.max(
        contextAttentionFlops(b, s, 0, heads, d, w) / peak,
        contextAttentionBytes(b, s, 0, heads, kvHeads, d, kvB) / gpu.memBw,
      ) * 1e3
      : Math.max(
        generationAttentionFlops(b, s + 1, heads, d, w) / peak,
        generationAttentionBytes(b, s + 1, heads, kvHeads, d, w, kvB) / gpu.memBw,
      ) * 1e3;
}

function mlaSol(setup: PerfSetup, tables: AicTables, context: boolean) {
  const gpu = tables.gpu;
  const a = setup.model.arch;
  const shape = { hidden: a.hidden, ...a.mla! };
  const d = setup.dtypes.attention;
  const [gp, wb, kvB] = [peakFlops(gpu, d), weightBytes(d), kvBytes(setup.dtypes.kv)];
  return (heads: number) => (b: number, s: number) => {
    const w = context
      ? mlaWork(shape, heads, b, s, s, true, wb, kvB)
      : mlaWork(shape, heads, b, 1, s + 1, false, wb, kvB);
    return Math.max(w.gemmFlops / gp + w.attnFlops / gpu.bf16Flops, w.bytes / gpu.memBw) * 1e3;
  };
}

function moePrice(
  op: Extract<Op, { kind: "moe" }>,
  setup: PerfSetup,
  tables: AicTables,
): (tokens: number) => number {
  const gpu = tables.gpu;
  const peak = peakFlops(gpu, op.dtype) || gpu.bf16Flops;
  const wb = weightBytes(op.dtype);
  const g = moeMatrices(op);
  const sol = (t: number) => Math.max(moeFlops(t, op, g) / peak, moeBytes(t, op, g, wb) / gpu.memBw) * 1e3;
  const curve = moeCurve(need(tables.moe, "MoE", tables), op, "power_law_1.2", sol, setup.moeBackend);
  return (t) => curve.at(t);
}

/** `tokens → ms` of one collective. */
function commPrice(op: Extract<Op, { kind: "comm" }>, tables: AicTables): (tokens: number) => number {
  const gpu = tables.gpu;
  const perToken = op.hidden * op.tokenScale;
  const link = (g: number) => (g > gpu.scaleUpSize && gpu.networkBw > 0 ? gpu.networkBw : gpu.scaleUpBw);
  const table = op.op === "all_reduce" ? tables.allReduce ?? tables.nccl : tables.nccl;
  const ring = op.op === "all_reduce" ? allReduceBytes : allGatherBytes;
  const solAt = (g: number) => (elements: number) => ring(2 * elements, g) / link(g) * 1e3;
  const t = need(table, op.op === "all_reduce" ? "all-reduce" : "NCCL", tables);
  const exact = collectiveCurve(t, op.op, op.gpus, solAt(op.gpus));
  if (exact) return (tokens) => exact.at(tokens * perToken);
  // Not measured at this size: scale the largest measured group (AIC's node-boundary rule).
  const counts = [...new Set(t.num("num_gpus") ?? [])].filter((g) => g < op.gpus).sort((a, b) => a - b);
  const g = counts.at(-1);
  const base = g !== undefined ? collectiveCurve(t, op.op, g, solAt(g)) : undefined;
  if (!base || g === undefined) {
    throw new InputError(`no ${op.op} measured for ${op.gpus} GPUs or fewer`, { file: t.source });
  }
  const scale = (op.gpus - 1) / op.gpus * g / (g - 1) * link(g) / link(op.gpus);
  return (tokens) => base.at(tokens * perToken) * scale;
}

function contextPrice(op: Op, setup: PerfSetup, tables: AicTables): ContextPrice {
  const n = op.count;
  switch (op.kind) {
    case "gemm": {
      const f = gemmPrice(op, tables);
      return op.perSeq ? (b) => n * f(b) : (b, s) => n * f(b * s);
    }
    case "attention": {
      const t = need(tables.contextAttention, "context attention", tables);
      const g = attentionGrid(
        t,
        attentionSlice(op, setup, true),
        op.heads,
        attentionSol(setup, tables, true, op.kvHeads, op.headDim, op.window),
      );
      return (b, s, p) => n * g(b, s + p) * prefixShare(s, p, op.window);
    }
    case "mla": {
      const t = need(tables.mlaContext, "MLA context module", tables);
      const gemmType = setup.dtypes.attention === "bfloat16" ? "bfloat16" : "fp8_block";
      const g = mlaGrid(
        t,
        { kvDtype: setup.dtypes.kv, gemmType, context: true },
        op.heads,
        mlaSol(setup, tables, true),
      );
      return (b, s, p) => n * g(b, s + p) * prefixShare(s, p, 0);
    }
    case "linear_attention": {
      // The cached prefix only seeds the recurrent state: the work is the new tokens'.
      const t = need(tables.linearAttention, "Gated-DeltaNet", tables);
      const g = linearAttentionGrid(t, op, true, tables.gpu);
      return (b, s) => n * g(b, s);
    }
    case "moe": {
      const f = moePrice(op, setup, tables);
      return (b, s) => n * f(b * s * op.tokenScale);
    }
    case "comm": {
      const f = commPrice(op, tables);
      return (b, s) => n * f(b * s);
    }
    case "memory":
      return (b, s) => n * memoryOpMs(b * s * op.bytesPerToken, tables.gpu.memBw);
  }
}

function generationPrice(op: Op, setup: PerfSetup, tables: AicTables): GenerationPrice {
  const n = op.count;
  switch (op.kind) {
    case "gemm": {
      const f = gemmPrice(op, tables);
      return (b) => n * f(b);
    }
    case "attention": {
      const t = need(tables.generationAttention, "generation attention", tables);
      const g = attentionGrid(
        t,
        attentionSlice(op, setup, false),
        op.heads,
        attentionSol(setup, tables, false, op.kvHeads, op.headDim, op.window),
      );
      return (b, kvLen) => n * g(b, kvLen - 1);
    }
    case "mla": {
      const t = need(tables.mlaGeneration, "MLA generation module", tables);
      const gemmType = setup.dtypes.attention === "bfloat16" ? "bfloat16" : "fp8_block";
      const g = mlaGrid(
        t,
        { kvDtype: setup.dtypes.kv, gemmType, context: false },
        op.heads,
        mlaSol(setup, tables, false),
      );
      return (b, kvLen) => n * g(b, kvLen - 1);
    }
    case "linear_attention": {
      const t = need(tables.linearAttention, "Gated-DeltaNet", tables);
      const g = linearAttentionGrid(t, op, false, tables.gpu);
      return (b) => n * g(b, 1);
    }
    case "moe": {
      const f = moePrice(op, setup, tables);
      return (b) => n * f(b * op.tokenScale);
    }
    case "comm": {
      const f = commPrice(op, tables);
      return (b) => n * f(b);
    }
    case "memory":
      return (b) => n * memoryOpMs(b * op.bytesPerToken, tables.gpu.memBw);
  }
}
