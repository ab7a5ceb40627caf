/**
 * Calibration of the Gated-DeltaNet block (`analytic/linear_attention.ts`) on AIC's `gdn_perf` tables (samples:
 * `aic/linear_attention.ts`): the fit minimises the absolute log error of the block's time over them.
 *
 * @module
 */
import type { GpuSpec } from "../catalog/gpus.ts";
import {
  type LinearAttentionCoef,
  linearAttentionMs,
  linearAttentionWork,
} from "../analytic/linear_attention.ts";
import type { LinearAttentionSample } from "../aic/linear_attention.ts";
import { nelderMead } from "./nelder_mead.ts";

/** Time (ms) the fitted block gives a sample of a phase. */
export function linearAttentionSampleMs(
  coef: LinearAttentionCoef,
  gpu: GpuSpec,
  phase: string,
  s: LinearAttentionSample,
): number {
  return linearAttentionMs(coef, gpu, linearAttentionWork(s.shape, s.b, s.s, phase === "context"));
}

/**
 * Fit one phase's block: the floor, the work factors, the overlap and (context) the scan's step and width and
 * the first chunk's ramp, each kept in range, minimising the absolute log error with the samples a pass runs
 * weighted 3× (deterministic Nelder–Mead from the smallest latency and unit factors, restarted from its best
 * point). Absolute, not squared: the tables hold cliffs (a shape whose time jumps 4× from one length to the
 * next) that a squared loss would chase at the cost of every other cell.
 */
export function fitLinearAttention(
  list: readonly LinearAttentionSample[],
  gpu: GpuSpec,
  phase: string,
): LinearAttentionCoef {
  const works = list.map((s) => linearAttentionWork(s.shape, s.b, s.s, phase === "context"));
  const context = phase === "context";
  // A generation pass has no scan: its three parameters are not fitted.
  const coefOf = (x: readonly number[]): LinearAttentionCoef => ({
    t0: Math.exp(x[0]),
    state: Math.exp(x[1]),
    compute: Math.exp(x[2]),
    conv: Math.exp(x[3]),
    overlap: 1 + Math.exp(x[4]),
    scan: context ? Math.exp(x[5]) : 0,
    width: context ? Math.exp(x[6]) : 1,
    ramp: context ? Math.exp(x[7]) : 0,
  });
  const loss = (x: number[]) => {
    const c = coefOf(x);
    let sum = 0;
    for (let i = 0; i < list.length; i++) {
      sum += (list[i].relevant ? 3 : 1) *
        Math.abs(Math.log(linearAttentionMs(c, gpu, works[i]) / list[i].latency));
    }
    return sum;
  };
  const floor = Math.min(...list.map((s) => s.latency));
  let x = [
    Math.log(floor),
    0,
    0,
    0,
    -2,
    ...(context ? [Math.log(floor / 4), Math.log(128), Math.log(floor / 10)] : []),
  ];
  // Restarts from the best point escape the simplex's early collapse.
  for (let round = 0; round < 6; round++) x = nelderMead(loss, x, 0.5, 3000).x;
  return coefOf(x);
}
