/**
 * Routed-expert (MoE) block timings measured on real GPUs by `tests/bench/device/measure_moe.py` (our own
 * measurements): parsing, and the error of a predictor (the analytic MoE curves, or AIC's tables) against them
 * per format, kernel and token regime. Used by `deno task fidelity --device` and `tests/perf/measured_test.ts`.
 *
 * @module
 */
import { InputError } from "../../common/errors.ts";
import type { GpuSpec } from "../catalog/gpus.ts";
import { moeSampleMs } from "./evaluate.ts";
import { groupErrors, type MeasuredError, measurementRows } from "./measured.ts";
import type { MoeShape } from "./samples.ts";
import type { BackendCoefficients } from "./types.ts";

/** One measured MoE block; `pairs`: the mean token-expert pairs the measured GPU ran. */
export interface MeasuredMoe extends MoeShape {
  readonly dtype: string;
  /** The implementation timed (`triton`: our fused-MoE kernel in vLLM's design; `grouped_mm`, …). */
  readonly kernel: string;
  readonly model: string;
  readonly distribution: string;
  readonly pairs: number;
  readonly latencyMs: number;
  /** 1-based line in the file. */
  readonly line: number;
}

const COLUMNS = [
  "op",
  "dtype",
  "kernel",
  "model",
  "tokens",
  "hidden",
  "inter",
  "topk",
  "experts",
  "tp",
  "ep",
  "distribution",
  "pairs",
  "latency_ms",
  "repeat",
] as const;

/**
 * Parse a `moe.csv` written by `measure_moe.py` (`#` lines at its top are its header). Bad input fails with the
 * file, line and field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMeasuredMoe } from "./measured_moe.ts";
 * const text = "# gpu: test\nop,dtype,kernel,model,tokens,hidden,inter,topk,experts,tp,ep,distribution,pairs," +
 *   "latency_ms,repeat\nmoe,bfloat16,triton,Qwen3-30B-A3B,16,2048,768,8,128,1,1,power_law_1.2,128.0,0.2,6\n";
 * const [m] = parseMeasuredMoe(text, "h100_sxm_moe.csv");
 * assert(m.tokens === 16 && m.experts === 128 && m.latencyMs === 0.2 && m.line === 3);
 * ```
 */
export function parseMeasuredMoe(text: string, file: string): MeasuredMoe[] {
  const out: MeasuredMoe[] = [];
  for (const { cells, where } of measurementRows(text, file, COLUMNS).rows) {
    if (cells[0] !== "moe") {
      throw new InputError(`unknown op "${cells[0]}" (valid: moe)`, { ...where, field: "op" });
    }
    const num = (name: typeof COLUMNS[number]) => {
      const raw = cells[COLUMNS.indexOf(name)];
      const v = Number(raw);
      if (raw === "" || !Number.isFinite(v) || v <= 0) {
        throw new InputError(`expected a positive number, got "${raw}"`, { ...where, field: name });
      }
      return v;
    };
    out.push({
      dtype: cells[1],
      kernel: cells[2],
      model: cells[3],
      tokens: num("tokens"),
      hidden: num("hidden"),
      inter: num("inter"),
      topK: num("topk"),
      experts: num("experts"),
      tp: num("tp"),
      ep: num("ep"),
      distribution: cells[11],
      pairs: num("pairs"),
      latencyMs: num("latency_ms"),
      line: where.line,
    });
  }
  return out;
}

/** A predictor of a measured MoE block's time (ms); undefined where it has nothing to say. */
export type MoePredictor = (m: MeasuredMoe) => number | undefined;

/** The analytic MoE curves of one GPU × backend as a {@link MoePredictor}. */
export function analyticMoePredictor(coef: BackendCoefficients, gpu: GpuSpec): MoePredictor {
  return (m) => moeSampleMs(coef, gpu, m.dtype, m);
}

/**
 * Per shape, the fastest kernel's timing, renamed `best` (vLLM's tuned fused-MoE kernel is at least as fast as
 * what we could time).
 */
export function bestMoe(list: readonly MeasuredMoe[]): MeasuredMoe[] {
  const best = new Map<string, MeasuredMoe>();
  for (const m of list) {
    const key = `${m.dtype}/${m.tokens}/${m.hidden}/${m.inter}/${m.topK}/${m.experts}/${m.tp}/${m.ep}`;
    const seen = best.get(key);
    if (!seen || m.latencyMs < seen.latencyMs) best.set(key, { ...m, kernel: "best" });
  }
  return [...best.values()];
}

/**
 * Errors of `predict` on the measured blocks, per format × kernel (and `best`), over all token counts and per
 * regime (`t ≤ 64` decode-sized, `64 < t ≤ 1k`, `t > 1k` prefill-sized).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { moeErrors, parseMeasuredMoe } from "./measured_moe.ts";
 * const text = "op,dtype,kernel,model,tokens,hidden,inter,topk,experts,tp,ep,distribution,pairs,latency_ms,repeat\n" +
 *   "moe,fp8,triton,x,16,2048,768,8,128,1,1,power_law_1.2,128,0.2,6\n";
 * const errors = moeErrors(parseMeasuredMoe(text, "t.csv"), () => 0.3);
 * const best = errors.find((e) => e.kernel === "best" && e.regime === "t ≤ 64")!;
 * assert(best.count === 1 && Math.abs(best.bias - 0.5) < 1e-9);
 * ```
 */
export function moeErrors(list: readonly MeasuredMoe[], predict: MoePredictor): MeasuredError[] {
  const items: Array<[string, string, string, number]> = [];
  for (const m of [...list, ...bestMoe(list)]) {
    const p = predict(m);
    if (p === undefined) continue;
    const regime = m.tokens <= 64 ? "t ≤ 64" : m.tokens <= 1024 ? "64 < t ≤ 1k" : "t > 1k";
    items.push([`moe ${m.dtype}`, m.kernel, regime, p / m.latencyMs - 1]);
  }
  return groupErrors(items);
}
