/**
 * Choosing the fitted curve for each op of a setup, with documented fallbacks:
 *
 * - **GPU**: its own fit when AIC has tables for it (h100_sxm, h200_sxm, b200_sxm); otherwise the fit of the
 *   nearest measured GPU of its generation — B300 and GB200 use B200's, A100 and L40S use H100's — applied to
 *   the GPU's own peaks and bandwidth (efficiencies transfer; absolute times do not).
 * - **Backend**: its own fit, else vLLM's.
 * - **Format / shape**: the exact key, else the same key on another backend of the GPU, else the nearest head
 *   dimension (attention) or GPU count (collectives), else BF16.
 *
 * @module
 */
import type { GpuSpec } from "../catalog/gpus.ts";
import { COEFFICIENTS } from "../calibration/coefficients.ts";
import type { BackendCoefficients, CoefficientTable, SystemCoefficients } from "../calibration/types.ts";

/** The fitted system a GPU borrows curves from. */
export function coefficientSystem(gpu: GpuSpec, table: CoefficientTable = COEFFICIENTS): string {
  if (table[gpu.id]) return gpu.id;
  const byArch = gpu.arch === "blackwell" ? "b200_sxm" : "h100_sxm";
  if (table[byArch]) return byArch;
  const any = Object.keys(table).sort()[0];
  if (!any) throw new Error("no fitted coefficients: run `deno task fit`");
  return any;
}

/** Curves for one GPU and backend, with the fallbacks of this module. */
export interface CurveSource {
  readonly system: string;
  readonly primary: BackendCoefficients;
  /** Other backends of the same system, tried in order when the primary lacks a key. */
  readonly others: readonly BackendCoefficients[];
  readonly nccl: SystemCoefficients["nccl"];
}

/**
 * The curve source for a GPU and backend.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GPUS } from "../catalog/gpus.ts";
 * import { curveSource } from "./lookup.ts";
 * assert(curveSource(GPUS.gb200, "vllm").system === "b200_sxm");
 * ```
 */
export function curveSource(
  gpu: GpuSpec,
  backend: string,
  table: CoefficientTable = COEFFICIENTS,
): CurveSource {
  const system = coefficientSystem(gpu, table);
  const sys = table[system];
  const primary = sys.backends[backend] ?? sys.backends.vllm ?? Object.values(sys.backends)[0];
  const others = Object.keys(sys.backends).sort().map((b) => sys.backends[b]).filter((b) => b !== primary);
  return { system, primary, others, nccl: sys.nccl };
}

type Section = Exclude<keyof BackendCoefficients, "source">;

/** The curve under `key` in `section`, trying the primary backend, then the others; undefined if none has it. */
export function findCurve<S extends Section>(
  src: CurveSource,
  section: S,
  key: string,
): BackendCoefficients[S][string] | undefined {
  for (const b of [src.primary, ...src.others]) {
    const c = b[section][key];
    if (c) return c as BackendCoefficients[S][string];
  }
  return undefined;
}

/**
 * The attention curve for a KV format and head dimension: exact, else the nearest fitted head dimension (same KV
 * format first), else any.
 */
export function attentionCurve<S extends "contextAttention" | "generationAttention">(
  src: CurveSource,
  section: S,
  kv: string,
  headDim: number,
): BackendCoefficients[S][string] {
  const exact = findCurve(src, section, `${kv}/${headDim}`);
  if (exact) return exact;
  const keys = [src.primary, ...src.others].flatMap((b) => Object.keys(b[section]));
  const scored = keys.map((k) => {
    const [kd, hd] = k.split("/");
    return { k, score: (kd === kv ? 0 : 100) + Math.abs(Math.log2(Number(hd) / headDim)) };
  }).sort((a, b) => a.score - b.score || (a.k < b.k ? -1 : 1));
  if (!scored.length) throw new Error(`no fitted ${section} curves for ${src.system}`);
  return findCurve(src, section, scored[0].k)!;
}

/** The nearest fitted GPU count in a collective section (`allReduce`, or NCCL `op/gpus` keys). */
export function nearestCount(keys: readonly string[], gpus: number): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of keys) {
    const n = Number(k.split("/").at(-1));
    const d = Math.abs(Math.log2(n / gpus));
    if (d < bestD || (d === bestD && best !== undefined && k < best)) {
      best = k;
      bestD = d;
    }
  }
  return best;
}
