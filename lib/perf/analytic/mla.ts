/**
 * The MLA attention module (DeepSeek-V3, Kimi-K2.5) as one fitted block: its projection GEMMs and latent
 * attention on one GPU, timed by the same roofline-with-efficiencies form as the other op kinds
 * (see `efficiency.ts`).
 *
 * @module
 */
import type { GpuSpec } from "../catalog/gpus.ts";
import { blend } from "./efficiency.ts";

/** MLA attention module (whole block) of one KV format and GEMM format. */
export interface MlaCoef {
  readonly t0: number;
  readonly ecGemm: number;
  readonly ecAttn: number;
  readonly em: number;
  readonly q: number;
  /** µs per sequence. */
  readonly gamma: number;
}

/** Shapes of an MLA block (DeepSeek-V3: 7168, 1536, 512, 128, 64, 128). */
export interface MlaShape {
  readonly hidden: number;
  readonly qLoraRank: number;
  readonly kvLoraRank: number;
  readonly qkNopeDim: number;
  readonly qkRopeDim: number;
  readonly vHeadDim: number;
}

/** Work of an MLA block on one GPU: projection FLOPs, attention FLOPs and bytes. */
export interface MlaWork {
  readonly gemmFlops: number;
  readonly attnFlops: number;
  readonly bytes: number;
}

/** The {@link MlaWork} of an MLA block over `b` sequences of `newTokens` new tokens reading `kvLen` each. */
export function mlaWork(
  shape: MlaShape,
  heads: number,
  b: number,
  newTokens: number,
  kvLen: number,
  context: boolean,
  wBytes: number,
  kvB: number,
): MlaWork {
  const s = shape;
  const qk = s.qkNopeDim + s.qkRopeDim;
  const latent = s.kvLoraRank + s.qkRopeDim;
  const tokens = b * newTokens;
  const down = s.hidden * (s.qLoraRank + latent);
  const qUp = s.qLoraRank * heads * qk;
  const out = heads * s.vHeadDim * s.hidden;
  // Context: K/V up-projection of the new tokens; generation: absorbed per-head W_UK and W_UV.
  const kvUp = s.kvLoraRank * heads * (s.qkNopeDim + s.vHeadDim);
  const params = down + qUp + kvUp + out;
  const gemmFlops = 2 * tokens * params;
  let attnFlops: number;
  let kvBytesRead: number;
  if (context) {
    const p = kvLen - newTokens;
    attnFlops = b * (kvLen * kvLen - p * p) * heads * (qk + s.vHeadDim);
    kvBytesRead = b * kvLen * heads * (qk + s.vHeadDim) * 2;
  } else {
    attnFlops = 2 * b * heads * (latent + s.kvLoraRank) * kvLen;
    kvBytesRead = b * kvLen * latent * kvB;
  }
  const bytes = params * wBytes + kvBytesRead + tokens * (2 * s.hidden * 2 + heads * qk * 2 * 2);
  return { gemmFlops, attnFlops, bytes };
}

/** MLA block time (ms) of already computed work `w` over `b` sequences. */
export function mlaWorkMs(
  c: MlaCoef,
  gpu: GpuSpec,
  gemmPeak: number,
  attnPeak: number,
  b: number,
  w: MlaWork,
): number {
  const tc = (w.gemmFlops / (gemmPeak * c.ecGemm) + w.attnFlops / (attnPeak * c.ecAttn)) * 1e3;
  const tb = w.bytes / (gpu.memBw * c.em) * 1e3;
  return c.t0 + c.gamma * b * 1e-3 + blend(tc, tb, c.q);
}
