/**
 * AIC's Gated-DeltaNet table (`linear_attention/gdn_perf`) as the perf models use it: samples per phase (the
 * kernels of a phase summed per shape: the causal convolution and the chunked delta rule of a context pass, the
 * convolution update and the recurrent step of a generation pass) for the fit, and the measured grid of one
 * layer shape for table mode.
 *
 * @module
 */
import { InputError } from "../../common/errors.ts";
import type { GpuSpec } from "../catalog/gpus.ts";
import type { LinearAttentionShape } from "../catalog/arch.ts";
import { linearAttentionWork } from "../analytic/linear_attention.ts";
import { Curve, Grid2 } from "./interp.ts";
import type { Table } from "./table.ts";

/** One measured shape of a phase: its kernels' summed latency (ms). */
export interface LinearAttentionSample {
  readonly shape: LinearAttentionShape;
  readonly b: number;
  /** New tokens per sequence (1 in a generation pass). */
  readonly s: number;
  readonly latency: number;
  /**
   * Whether a pass runs it: every shape AIC collects is a real model's (Qwen3.5) at some TP, but a context pass
   * holds at most `max_num_batched_tokens` tokens, so context samples count up to 16,384 (as GEMMs do).
   */
  readonly relevant: boolean;
}

/**
 * Samples of a `gdn_perf` table by phase: rows grouped by shape, latencies summed over the phase's kernels, and
 * shapes missing one of them dropped. The recurrent state is taken as float32 (the collected Qwen3.5 models'
 * `mamba_ssm_dtype`).
 */
export function linearAttentionSamples(t: Table): Map<string, LinearAttentionSample[]> {
  const out = new Map<string, LinearAttentionSample[]>();
  const phase = t.str("phase"), kernel = t.str("kernel_source");
  const cols = ["batch_size", "seq_len", "num_k_heads", "head_k_dim", "num_v_heads", "head_v_dim", "d_conv"]
    .map((c) => t.num(c));
  const latency = t.num("latency");
  if (!phase || !kernel || !latency || cols.some((c) => !c)) return out;
  const [b, s, kh, kd, vh, vd, conv] = cols as Float64Array[];
  const kernels = new Map<string, Set<string>>();
  for (let i = 0; i < t.length; i++) {
    if (!kernels.has(phase[i])) kernels.set(phase[i], new Set());
    kernels.get(phase[i])!.add(kernel[i]);
  }
  const groups = new Map<string, { row: number; total: number; seen: Set<string> }>();
  for (let i = 0; i < t.length; i++) {
    const key = [phase[i], b[i], s[i], kh[i], kd[i], vh[i], vd[i], conv[i], t.str("d_model")?.[i]].join("/");
    let g = groups.get(key);
    if (!g) groups.set(key, g = { row: i, total: 0, seen: new Set() });
    if (g.seen.has(kernel[i])) continue;
    g.seen.add(kernel[i]);
    g.total += latency[i];
  }
  for (const { row: i, total, seen } of groups.values()) {
    if (seen.size < kernels.get(phase[i])!.size || !(total > 0)) continue;
    const shape = {
      kHeads: kh[i],
      vHeads: vh[i],
      kHeadDim: kd[i],
      vHeadDim: vd[i],
      convKernel: conv[i],
      stateBytes: 4,
    };
    const context = phase[i] === "context";
    const relevant = !context || b[i] * s[i] <= 16384;
    const sample = { shape, b: b[i], s: context ? s[i] : 1, latency: total, relevant };
    if (!out.has(phase[i])) out.set(phase[i], []);
    out.get(phase[i])!.push(sample);
  }
  return out;
}

/**
 * Table-mode latency (ms) of one GDN layer of `shape` as a function `(b, s)` (`s` ignored in a generation
 * pass): the grid measured for that shape (duplicate rows averaged), linear inside, util-hold outside; a shape
 * AIC did not measure takes the nearest measured one's latency scaled by the ratio of their roofline times.
 */
export function linearAttentionGrid(
  table: Table,
  shape: LinearAttentionShape,
  context: boolean,
  gpu: GpuSpec,
): (b: number, s: number) => number {
  const phase = context ? "context" : "generation";
  const list = linearAttentionSamples(table).get(phase) ?? [];
  if (list.length === 0) {
    throw new InputError(`no ${phase} Gated-DeltaNet kernels measured`, { file: table.source });
  }
  const distance = (x: LinearAttentionShape) =>
    Math.abs(Math.log2(x.vHeads / shape.vHeads)) + Math.abs(Math.log2(x.kHeads / shape.kHeads)) +
    (x.kHeadDim === shape.kHeadDim && x.vHeadDim === shape.vHeadDim ? 0 : 8);
  const near = list.reduce((a, x) => distance(x.shape) < distance(a.shape) ? x : a).shape;
  const same = (x: LinearAttentionShape) =>
    x.kHeads === near.kHeads && x.vHeads === near.vHeads && x.kHeadDim === near.kHeadDim &&
    x.vHeadDim === near.vHeadDim;
  const rows = list.filter((x) => same(x.shape));
  const sol = (sh: LinearAttentionShape) => (b: number, s: number) => {
    const w = linearAttentionWork(sh, b, s, context);
    return (w.stateBytes / gpu.memBw + w.flops / gpu.bf16Flops + w.convBytes / gpu.memBw) * 1e3;
  };
  const [solNear, solOwn] = [sol(near), sol({ ...shape, stateBytes: near.stateBytes })];
  const measured = same(shape);
  const scale = (b: number, s: number) => (measured ? 1 : solOwn(b, s) / solNear(b, s));
  const bs = [...new Set(rows.map((x) => x.b))].sort((a, b) => a - b);
  if (!context) {
    const ys = bs.map((b) => mean(rows.filter((x) => x.b === b).map((x) => x.latency)));
    const curve = new Curve(bs, ys, (b) => solNear(b, 1));
    return (b) => curve.at(b) * scale(b, 1);
  }
  const ss = [...new Set(rows.map((x) => x.s))].sort((a, b) => a - b);
  const z = bs.map((b) =>
    ss.map((s) => {
      const hits = rows.filter((x) => x.b === b && x.s === s).map((x) => x.latency);
      return hits.length ? mean(hits) : NaN;
    })
  );
  const grid = new Grid2(bs, ss, z, solNear);
  return (b, s) => grid.at(b, s) * scale(b, s);
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
