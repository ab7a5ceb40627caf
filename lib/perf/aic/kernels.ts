/**
 * Which measured rows of an AIC table stand for a framework's kernel. Tables can hold several kernels for the same
 * format (e.g. vLLM's DeepGEMM and CUTLASS block-FP8 GEMMs, or an eager and a CUDA-graph all-reduce); dynolab
 * takes, per slice, the kernel with the most rows (the one the collector ran the full grid for) and the CUDA-graph
 * variant of collectives. Table mode completes the main kernel's GEMM, attention and MLA grids with the other
 * kernels' points where it measured nothing ({@link kernelRows}); the fit, the kernel-level fidelity benchmark
 * and MoE curves (AIC times one kernel per expert shape) read the main kernel alone ({@link mainKernelRows}), as
 * the committed curves were fitted.
 *
 * @module
 */
import { distinctByCount, type Table } from "./table.ts";

/** Rows of `table` for which `keep(i)` holds. */
export function rowsWhere(table: Table, keep: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < table.length; i++) if (keep(i)) out.push(i);
  return out;
}

/** The rows of the most common `kernel_source` among `rows` (all of them when the column is absent). */
export function mainKernelRows(table: Table, rows: readonly number[]): number[] {
  const ks = table.str("kernel_source");
  if (!ks || rows.length === 0) return rows.slice();
  const [main] = distinctByCount(table, "kernel_source", rows);
  return rows.filter((i) => ks[i] === main);
}

/**
 * The rows among `rows` that stand for the framework's kernel: all of those of the most common `kernel_source`,
 * and, at the grid points it did not measure (a point: the values of the `point` columns), those of the other
 * kernels, the more common first (all rows when the column is absent). Frameworks switch kernels along an
 * axis, and AIC labels each part of the grid by the kernel that ran it: vLLM's MLA prefill on Hopper with a
 * BF16 KV cache is FLASH_ATTN_MLA up to 512 tokens and FLASH_ATTN from 1,024, its block-FP8 GEMMs FlashInfer's
 * below m = 32 and DeepGEMM's from there.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kernelRows } from "./kernels.ts";
 * import { tableFromRows } from "./table.ts";
 * const t = tableFromRows([
 *   { kernel_source: "short", isl: 128, latency: 1 },
 *   { kernel_source: "short", isl: 256, latency: 2 },
 *   { kernel_source: "short", isl: 512, latency: 3 },
 *   { kernel_source: "long", isl: 512, latency: 9 },
 *   { kernel_source: "long", isl: 1024, latency: 5 },
 * ], "mla");
 * // "short" has the most rows; "long" adds the point it did not measure.
 * assert.deepEqual(kernelRows(t, [0, 1, 2, 3, 4], ["isl"]), [0, 1, 2, 4]);
 * ```
 */
export function kernelRows(table: Table, rows: readonly number[], point: readonly string[]): number[] {
  const ks = table.str("kernel_source");
  if (!ks || rows.length === 0) return rows.slice();
  const kernels = distinctByCount(table, "kernel_source", rows);
  if (kernels.length === 1) return rows.slice();
  const cols = point.map((c) => table.num(c) ?? table.str(c));
  const at = (i: number) => cols.map((c) => c?.[i]).join("/");
  const measured = new Set<string>();
  const keep = new Set<number>();
  for (const kernel of kernels) {
    const fresh = rows.filter((i) => ks[i] === kernel && !measured.has(at(i)));
    for (const i of fresh) {
      keep.add(i);
      measured.add(at(i));
    }
  }
  return rows.filter((i) => keep.has(i));
}

/**
 * Which routed-expert kernel a vLLM engine runs (vLLM's `--moe-backend`): `auto`, the framework's own choice for
 * the GPU and format (what AIC's collector ran for the table: the most common kernel, see
 * {@link mainKernelRows}); `triton`, vLLM's Triton fused-MoE kernel, as `--moe-backend triton` or the
 * environment `VLLM_USE_FLASHINFER_MOE_FP8=0 VLLM_MOE_USE_DEEP_GEMM=0` force it; or `deep_gemm`, DeepGEMM's
 * grouped GEMM for block-FP8 experts on Hopper, vLLM's default there below MoE TP 8 in its late-2025 releases
 * (no AIC table times it; the analytic model prices it, `analytic/deepgemm.ts`).
 */
export const MOE_BACKENDS = ["auto", "triton", "deep_gemm"] as const;

/** One of {@link MOE_BACKENDS}. */
export type MoeBackend = typeof MOE_BACKENDS[number];

/**
 * Whether an AIC MoE `kernel_source` names vLLM's Triton fused-MoE kernel (`vllm_fused_moe` in the 0.14–0.22
 * tables, `…_triton_tritonexperts` and the like from 0.24 on).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isTritonMoe } from "./kernels.ts";
 * assert(isTritonMoe("vllm_fused_moe") && isTritonMoe("vllm_fp8moe_triton_tritonexperts"));
 * assert(!isTritonMoe("vllm_fp8moe_flashinfer_trtllm_trtllmfp8expertsmonolithic"));
 * assert(!isTritonMoe("vllm_marlin_int4_moe"));
 * ```
 */
export function isTritonMoe(kernelSource: string): boolean {
  return kernelSource === "vllm_fused_moe" || /_triton_/.test(kernelSource);
}

/**
 * The rows among `rows` that time `backend`'s kernel: the main kernel's for `auto`, the Triton kernel's for
 * `triton` (none when the table holds no Triton rows there), none for `deep_gemm` (no table times it).
 */
export function moeKernelRows(table: Table, rows: readonly number[], backend: MoeBackend): number[] {
  if (backend === "auto") return mainKernelRows(table, rows);
  if (backend === "deep_gemm") return [];
  const ks = table.str("kernel_source");
  return ks ? rows.filter((i) => isTritonMoe(ks[i])) : [];
}

/**
 * Rows of a collective table to use: the op and GPU count asked for, CUDA-graph variant when the table has both
 * (`backend`/`kernel_source` naming "graph"), BF16/half payloads.
 */
export function collectiveRows(table: Table, op: string, gpus: number): number[] {
  const name = table.str("op_name");
  const g = table.num("num_gpus")!;
  const mode = table.str("backend") ?? table.str("kernel_source");
  const dtype = table.str("allreduce_dtype") ?? table.str("nccl_dtype");
  const rows = rowsWhere(
    table,
    (i) =>
      (!name || name[i] === op) && g[i] === gpus &&
      (!dtype || dtype[i] === "bfloat16" || dtype[i] === "half"),
  );
  const graph = mode ? rows.filter((i) => /graph/i.test(mode[i])) : [];
  const chosen = graph.length ? graph : rows;
  // Keep one row per message size (the first), so curves are functions.
  const size = table.num("message_size")!;
  const seen = new Set<number>();
  return chosen.filter((i) => (seen.has(size[i]) ? false : (seen.add(size[i]), true)));
}
