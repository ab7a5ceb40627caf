/**
 * Measured samples for fitting and checking the analytic model: the rows of AIC tables per op kind and format,
 * each flagged "relevant" when a catalog model's pass runs that kernel shape (at TP 1, 2, 4 or 8 and, for MoE
 * and MLA models, the usual expert-parallel splits). Used by `fit.ts` and by `tests/bench/fidelity.ts`.
 *
 * @module
 */
import { type LinearAttentionSample, linearAttentionSamples } from "../aic/linear_attention.ts";
import { MODEL_IDS, MODELS } from "../catalog/models.ts";
import type { ModelSpec } from "../catalog/arch.ts";
import { buildOps } from "../ops.ts";
import type { SetupArgs } from "../args.ts";
import { resolvePerfSetup } from "../setup.ts";
import type { AicTables } from "../aic/tables.ts";
import { collectiveRows, mainKernelRows, type MoeBackend, moeKernelRows, rowsWhere } from "../aic/kernels.ts";
import type { Table } from "../aic/table.ts";
import type { TableKeys } from "./regressions.ts";
import type { MoeBlock } from "../roofline.ts";

/** One measured GEMM. */
export interface GemmSample {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly latency: number;
  readonly relevant: boolean;
}

/** One measured attention call (context: `s` new tokens; generation: `s` = KV length incl. the new token). */
export interface AttentionSample {
  readonly b: number;
  readonly s: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly window: number;
  readonly latency: number;
  readonly relevant: boolean;
}

/** A routed-expert block's shape: `tokens` before dispatch, `inter` before the MoE TP split. */
export interface MoeShape extends MoeBlock {
  readonly tokens: number;
}

/** One measured MoE call. */
export interface MoeSample extends MoeShape {
  readonly latency: number;
  readonly relevant: boolean;
}

/** One measured collective (`bytes` of BF16 payload). */
export interface CommSample {
  readonly bytes: number;
  readonly latency: number;
  readonly relevant: boolean;
}

/** One measured MLA module call (generation: `s` = KV length). */
export interface MlaSample {
  readonly b: number;
  readonly s: number;
  readonly heads: number;
  readonly latency: number;
  readonly relevant: boolean;
}

/** All samples of one system × backend × version, keyed as in `BackendCoefficients`. */
export interface Samples {
  readonly gemm: Map<string, GemmSample[]>;
  readonly contextAttention: Map<string, AttentionSample[]>;
  readonly generationAttention: Map<string, AttentionSample[]>;
  readonly moe: Map<string, MoeSample[]>;
  /** MoE timed on vLLM's Triton kernel, for the formats whose `moe` samples time another kernel. */
  readonly moeTriton: Map<string, MoeSample[]>;
  readonly allReduce: Map<string, CommSample[]>;
  readonly nccl: Map<string, CommSample[]>;
  readonly mlaContext: Map<string, MlaSample[]>;
  readonly mlaGeneration: Map<string, MlaSample[]>;
  /** Gated-DeltaNet kernels by phase. */
  readonly linearAttention: Map<string, LinearAttentionSample[]>;
}

/** Kernel shapes catalog models use on a system × backend. */
export interface Usage {
  readonly gemm: Map<string, Array<[number, number]>>;
  readonly attention: Set<string>;
  readonly moe: Set<string>;
  readonly allReduce: Set<number>;
  readonly nccl: Set<string>;
  readonly mlaHeads: Set<number>;
  /** Largest hidden size among the catalog, for the relevant range of message sizes. */
  readonly maxHidden: number;
}

/** The parallel layouts checked for every catalog model. */
function layouts(moe: boolean, mla: boolean): SetupArgs[] {
  const out: SetupArgs[] = [];
  for (const tp of [1, 2, 4, 8]) {
    out.push({ aic_tp_size: tp });
    if (moe) out.push({ aic_tp_size: tp, aic_moe_ep_size: tp, aic_moe_tp_size: 1 });
  }
  if (mla) {
    for (const dp of [8, 16, 32]) {
      out.push({ aic_tp_size: 1, aic_attention_dp_size: dp, aic_moe_ep_size: dp });
    }
  }
  return out;
}

/**
 * Which kernel shapes the catalog models run on `system` with `backend` (over TP 1–8 and common EP splits): the
 * fit weights them 3× and the kernel-level target is held on them. The hybrid (linear-attention) entries, added
 * after the fit, are left out so that they move neither; their own kernels' errors are in FIDELITY.md ("Linear
 * attention").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { catalogUsage } from "./samples.ts";
 * const u = catalogUsage("h200_sxm", "vllm");
 * assert(u.gemm.get("bfloat16")!.some(([n, k]) => n === 6144 && k === 4096));
 * ```
 */
export function catalogUsage(system: string, backend: string): Usage {
  const gemm = new Map<string, Array<[number, number]>>();
  const attention = new Set<string>();
  const moe = new Set<string>();
  const allReduce = new Set<number>();
  const nccl = new Set<string>();
  const mlaHeads = new Set<number>();
  let maxHidden = 0;
  const seen = new Map<ModelSpec["arch"], Set<ModelSpec["quant"]>>(); // aliases share both objects
  for (const id of MODEL_IDS) {
    const spec = MODELS[id];
    if (spec.arch.linearAttention) continue;
    const quants = seen.get(spec.arch) ?? seen.set(spec.arch, new Set()).get(spec.arch)!;
    if (quants.has(spec.quant)) continue;
    quants.add(spec.quant);
    maxHidden = Math.max(maxHidden, spec.arch.hidden);
    for (const layout of layouts(spec.arch.moe !== undefined, spec.arch.mla !== undefined)) {
      let setup;
      try {
        setup = resolvePerfSetup({ ...layout, aic_model_path: id, aic_system: system, aic_backend: backend });
      } catch {
        continue; // layout invalid for this model or GPU (e.g. FP4 on Hopper)
      }
      if (!setup) continue;
      for (const op of buildOps(setup).context) {
        if (op.kind === "gemm") {
          const list = gemm.get(op.dtype) ?? [];
          list.push([op.n, op.k]);
          gemm.set(op.dtype, list);
        } else if (op.kind === "attention") {
          attention.add(`${op.heads}/${op.kvHeads}/${op.headDim}/${op.window}`);
        } else if (op.kind === "moe") {
          moe.add(`${op.dtype}/${op.hidden}/${op.inter}/${op.topK}/${op.experts}/${op.tp}/${op.ep}`);
        } else if (op.kind === "comm") {
          if (op.op === "all_reduce") allReduce.add(op.gpus);
          else nccl.add(`${op.op}/${op.gpus}`);
        } else if (op.kind === "mla") mlaHeads.add(op.heads);
      }
    }
  }
  return { gemm, attention, moe, allReduce, nccl, mlaHeads, maxHidden };
}

function col(t: Table, name: string): Float64Array {
  const c = t.num(name);
  if (!c) throw new Error(`${t.source}: no numeric column ${name}`);
  return c;
}

function push<T>(map: Map<string, T[]>, key: string, value: T) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Within half an octave on both axes of some used `(n, k)`. */
function nearUsed(used: ReadonlyArray<[number, number]> | undefined, n: number, k: number): boolean {
  if (!used) return false;
  return used.some(([un, uk]) => Math.abs(Math.log2(n / un)) <= 0.5 && Math.abs(Math.log2(k / uk)) <= 0.5);
}

/**
 * Extract the samples of every op kind from loaded tables, flagging those catalog models use.
 */
export function extractSamples(tables: AicTables & { readonly moeTriton?: Table }, usage: Usage): Samples {
  const s: Samples = {
    gemm: new Map(),
    contextAttention: new Map(),
    generationAttention: new Map(),
    moe: new Map(),
    moeTriton: new Map(),
    allReduce: new Map(),
    nccl: new Map(),
    mlaContext: new Map(),
    mlaGeneration: new Map(),
    linearAttention: tables.linearAttention ? linearAttentionSamples(tables.linearAttention) : new Map(),
  };
  const g = tables.gemm;
  const gd = g.str("gemm_dtype")!;
  const [gm, gn, gk, gl] = [col(g, "m"), col(g, "n"), col(g, "k"), col(g, "latency")];
  for (const dtype of new Set(gd)) {
    for (const i of mainKernelRows(g, rowsWhere(g, (i) => gd[i] === dtype))) {
      const rel = nearUsed(usage.gemm.get(dtype), gn[i], gk[i]) && gm[i] <= 16384;
      push(s.gemm, dtype, { m: gm[i], n: gn[i], k: gk[i], latency: gl[i], relevant: rel });
    }
  }
  for (
    const [t, map, gen] of [
      [tables.contextAttention, s.contextAttention, false],
      [tables.generationAttention, s.generationAttention, true],
    ] as const
  ) {
    if (!t) continue;
    const kd = t.str("kv_cache_dtype")!;
    const [b, isl, step, h, kv, hd, w, l] = [
      col(t, "batch_size"),
      col(t, "isl"),
      col(t, "step"),
      col(t, "num_heads"),
      col(t, "num_key_value_heads"),
      col(t, "head_dim"),
      col(t, "window_size"),
      col(t, "latency"),
    ];
    const attnDtype = t.str("attn_dtype");
    const keys = new Set(
      rowsWhere(t, (i) => !attnDtype || attnDtype[i] === "bfloat16").map((i) => `${kd[i]}/${hd[i]}`),
    );
    for (const key of keys) {
      const rows = rowsWhere(
        t,
        (i) => `${kd[i]}/${hd[i]}` === key && (!attnDtype || attnDtype[i] === "bfloat16"),
      );
      for (const i of mainKernelRows(t, rows)) {
        const rel = usage.attention.has(`${h[i]}/${kv[i]}/${hd[i]}/${w[i]}`);
        push(map, key, {
          b: b[i],
          s: gen ? step[i] + 1 : isl[i],
          heads: h[i],
          kvHeads: kv[i],
          headDim: hd[i],
          window: w[i],
          latency: l[i],
          relevant: rel,
        });
      }
    }
  }
  if (tables.moe) extractMoe(tables.moe, usage, s.moe, "auto");
  if (tables.moeTriton) extractMoe(tables.moeTriton, usage, s.moeTriton, "triton");
  if (tables.allReduce) {
    const size = col(tables.allReduce, "message_size");
    const lat = col(tables.allReduce, "latency");
    for (const gpus of new Set(col(tables.allReduce, "num_gpus"))) {
      for (const i of collectiveRows(tables.allReduce, "all_reduce", gpus)) {
        const rel = usage.allReduce.has(gpus) && size[i] <= 16384 * usage.maxHidden;
        push(s.allReduce, String(gpus), { bytes: 2 * size[i], latency: lat[i], relevant: rel });
      }
    }
  }
  if (tables.nccl) {
    const size = col(tables.nccl, "message_size");
    const lat = col(tables.nccl, "latency");
    for (const op of ["all_gather", "reduce_scatter", "all_reduce"]) {
      for (const gpus of new Set(col(tables.nccl, "num_gpus"))) {
        for (const i of collectiveRows(tables.nccl, op, gpus)) {
          const rel = usage.nccl.has(`${op}/${gpus}`) && size[i] <= 16384 * 32 * usage.maxHidden;
          push(s.nccl, `${op}/${gpus}`, { bytes: 2 * size[i], latency: lat[i], relevant: rel });
        }
      }
    }
  }
  for (
    const [t, map, gen] of [
      [tables.mlaContext, s.mlaContext, false],
      [tables.mlaGeneration, s.mlaGeneration, true],
    ] as const
  ) {
    if (!t) continue;
    const kd = t.str("kv_cache_dtype")!;
    const gt = t.str("gemm_type")!;
    const [b, isl, step, h, l] = [
      col(t, "batch_size"),
      col(t, "isl"),
      col(t, "step"),
      col(t, "num_heads"),
      col(t, "latency"),
    ];
    for (const key of new Set(rowsWhere(t, () => true).map((i) => `${kd[i]}/${gt[i]}`))) {
      for (const i of mainKernelRows(t, rowsWhere(t, (i) => `${kd[i]}/${gt[i]}` === key))) {
        push(map, key, {
          b: b[i],
          s: gen ? step[i] + 1 : isl[i],
          heads: h[i],
          latency: l[i],
          relevant: usage.mlaHeads.has(h[i]),
        });
      }
    }
  }
  return s;
}

function extractMoe(t: Table, usage: Usage, out: Map<string, MoeSample[]>, backend: MoeBackend) {
  const dt = t.str("moe_dtype")!;
  const [tok, h, inter, topk, e, tp, ep, l] = [...MOE_GRID, "latency"].map((c) => col(t, c));
  const ungated = ungatedExpertShapes();
  for (const i of moeFitRows(t, backend)) {
    push(out, dt[i], {
      tokens: tok[i],
      hidden: h[i],
      inter: inter[i],
      topK: topk[i],
      experts: e[i],
      tp: tp[i],
      ep: ep[i],
      ...(ungated.has(`${h[i]}/${inter[i]}/${topk[i]}/${e[i]}`) ? { ungated: true } : {}),
      latency: l[i],
      relevant: usage.moe.has(`${dt[i]}/${h[i]}/${inter[i]}/${topk[i]}/${e[i]}/${tp[i]}/${ep[i]}`),
    });
  }
}

/**
 * The expert shapes (`hidden/inter/topK/experts`, at the latent width under LatentMoE) of the catalog's
 * models with ungated experts (Nemotron-3). AIC's newest collectors time them with the model's own
 * activation: vLLM 0.24's and TRT-LLM 1.3's BF16 rows of these shapes (and B200's FP8 ones) sit at the
 * ungated curve's price (median ratio 0.94–1.06) and a quarter under the gated one's, so the fit reads them
 * as ungated. (Older vLLM tables, 0.14–0.22, timed them gated; the fit reads only the newest.)
 */
function ungatedExpertShapes(): Set<string> {
  const shapes = new Set<string>();
  for (const id of MODEL_IDS) {
    const { moe, ffnUngated, hidden } = MODELS[id].arch;
    if (moe && ffnUngated) shapes.add(`${moe.latent ?? hidden}/${moe.expertFfn}/${moe.topK}/${moe.experts}`);
  }
  return shapes;
}

/**
 * The MoE rows the fit reads: those of AIC's expert-load distribution ({@link MOE_DISTRIBUTION}) and, per expert
 * shape (format, sizes, split), those of `backend`'s kernel (`moeKernelRows`).
 */
function moeFitRows(t: Table, backend: MoeBackend = "auto"): number[] {
  const dist = t.str("distribution")!;
  const cols = ["moe_dtype", ...MOE_GRID.slice(1)].map((c) => t.str(c)!);
  const groups = new Map<string, number[]>();
  for (let i = 0; i < t.length; i++) {
    if (dist[i] !== MOE_DISTRIBUTION) continue;
    const key = cols.map((c) => c[i]).join("/");
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  }
  return [...groups.values()].flatMap((rows) => moeKernelRows(t, rows, backend));
}

/** The expert-load distribution AIC assumes for MoE models (power law, α = 1.2; perf-model.md §2.3). */
export const MOE_DISTRIBUTION = "power_law_1.2";

const MOE_GRID = [
  "num_tokens",
  "hidden_size",
  "inter_size",
  "topk",
  "num_experts",
  "moe_tp_size",
  "moe_ep_size",
];

/** How the MoE table is keyed, for comparing its versions (`regressions.ts`): the rows and columns the fit reads. */
export const MOE_KEYS: TableKeys = {
  format: "moe_dtype",
  grid: MOE_GRID,
  columns: ["moe_dtype", "distribution", "kernel_source", ...MOE_GRID, "latency"],
  rows: moeFitRows,
};
