/**
 * AIC's table resolution (perf-model.md §4): an exact hit returns the measured value verbatim; inside the grid,
 * values are blended linearly per axis (the sequence axis of context attention in `sqrt` space); a corner that was
 * not measured (large batch × long sequence) is filled by util-hold from the nearest measured batch below it, or,
 * when there is none, dropped with the weights renormalised; beyond the grid, or where no corner was measured, the
 * boundary's efficiency is held ("util-hold": `latency = SOL(query) / util`, util = SOL / measured at the anchor,
 * the median over the anchor and up to two grid points before it along the axis left).
 *
 * @module
 */

/** Speed-of-light time of a query point, for util transfer. */
export type Sol1 = (x: number) => number;
/** Speed-of-light time of a 2-D query point. */
export type Sol2 = (a: number, b: number) => number;

/** Largest `i` with `xs[i] <= x` (0 when below the first). */
function floorIndex(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  if (x < xs[0]) return 0;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  return xs[hi] <= x ? hi : lo;
}

function medianOf(values: number[]): number {
  const s = values.filter((v) => Number.isFinite(v) && v > 0).sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : NaN;
}

/**
 * A measured 1-D curve (e.g. a GEMM site's latency over `m`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Curve } from "./interp.ts";
 * const c = new Curve([1, 2, 4], [10, 12, 20], (x) => x); // SOL ∝ x
 * // exact hit, linear blend, util-hold (median util of the top three points, 2/12, at SOL 8)
 * assert(c.at(2) === 12 && c.at(3) === 16 && c.at(8) === 48);
 * ```
 */
export class Curve {
  readonly #xs: readonly number[];
  readonly #ys: readonly number[];
  readonly #sol: Sol1;
  readonly #lowUtil: number;
  readonly #highUtil: number;

  /** @param xs ascending, distinct; `ys` the measured latencies. */
  constructor(xs: readonly number[], ys: readonly number[], sol: Sol1) {
    if (xs.length === 0 || xs.length !== ys.length) {
      throw new Error("a curve needs matching, non-empty points");
    }
    this.#xs = xs;
    this.#ys = ys;
    this.#sol = sol;
    const n = xs.length;
    const util = (i: number) => sol(xs[i]) / ys[i];
    this.#lowUtil = medianOf([0, 1, 2].filter((i) => i < n).map(util));
    this.#highUtil = medianOf([n - 1, n - 2, n - 3].filter((i) => i >= 0).map(util));
  }

  /** Latency at `x`. */
  at(x: number): number {
    const xs = this.#xs;
    const n = xs.length;
    if (x < xs[0]) return this.#sol(x) / this.#lowUtil;
    if (x > xs[n - 1]) return this.#sol(x) / this.#highUtil;
    const i = floorIndex(xs, x);
    if (xs[i] === x) return this.#ys[i];
    const w = (x - xs[i]) / (xs[i + 1] - xs[i]);
    return this.#ys[i] + w * (this.#ys[i + 1] - this.#ys[i]);
  }
}

/**
 * A measured 2-D grid `z[i][j]` over axes `as[i]` (batch) and `bs[j]` (sequence), NaN where not measured.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Grid2 } from "./interp.ts";
 * const g = new Grid2([1, 2], [1, 4], [[1, 4], [2, NaN]], (a, b) => a * b, "sqrt");
 * assert(g.at(1, 4) === 4);        // exact hit, verbatim
 * assert(g.at(1, 2.25) === 2.5);    // halfway in sqrt space between 1 and 4
 * assert(g.at(2, 4) === 8);         // unmeasured corner: util of (1, 4) held
 * ```
 */
export class Grid2 {
  readonly #as: readonly number[];
  readonly #bs: readonly number[];
  readonly #z: readonly (readonly number[])[];
  readonly #sol: Sol2;
  readonly #sqrtB: boolean;

  constructor(
    as: readonly number[],
    bs: readonly number[],
    z: readonly (readonly number[])[],
    sol: Sol2,
    bTransform: "raw" | "sqrt" = "raw",
  ) {
    this.#as = as;
    this.#bs = bs;
    this.#z = z;
    this.#sol = sol;
    this.#sqrtB = bTransform === "sqrt";
  }

  #bPos(b: number): number {
    return this.#sqrtB ? Math.sqrt(b) : b;
  }

  /** Latency at `(a, b)`. */
  at(a: number, b: number): number {
    const as = this.#as;
    const bs = this.#bs;
    const inside = a >= as[0] && a <= as[as.length - 1] && b >= bs[0] && b <= bs[bs.length - 1];
    if (inside) {
      const v = this.#blend(a, b);
      if (Number.isFinite(v)) return v;
    }
    return this.#utilHold(a, b);
  }

  #blend(a: number, b: number): number {
    const as = this.#as;
    const bs = this.#bs;
    const i = floorIndex(as, a);
    const j = floorIndex(bs, b);
    const ia = as[i] === a
      ? [[i, 1]]
      : [[i, (as[i + 1] - a) / (as[i + 1] - as[i])], [i + 1, (a - as[i]) / (as[i + 1] - as[i])]];
    let jb: number[][];
    if (bs[j] === b) jb = [[j, 1]];
    else {
      const lo = this.#bPos(bs[j]);
      const hi = this.#bPos(bs[j + 1]);
      const x = this.#bPos(b);
      jb = [[j, (hi - x) / (hi - lo)], [j + 1, (x - lo) / (hi - lo)]];
    }
    let sum = 0;
    let weight = 0;
    for (const [ii, wa] of ia) {
      for (const [jj, wb] of jb) {
        const w = wa * wb;
        if (w <= 0) continue;
        const v = this.#z[ii][jj];
        const filled = Number.isFinite(v) ? v : this.#fillCorner(ii, jj);
        if (Number.isFinite(filled)) {
          sum += w * filled;
          weight += w;
        }
      }
    }
    return weight > 0 ? sum / weight : NaN;
  }

  /**
   * A grid point that was not measured (corner truncation: large batch × long sequence), filled by holding the
   * efficiency of the nearest measured point below it on the batch axis; NaN when there is none (the corner is
   * then dropped and the other weights renormalised).
   */
  #fillCorner(i: number, j: number): number {
    for (let k = i - 1; k >= 0; k--) {
      const v = this.#z[k][j];
      if (Number.isFinite(v)) {
        const util = this.#sol(this.#as[k], this.#bs[j]) / v;
        return this.#sol(this.#as[i], this.#bs[j]) / util;
      }
    }
    return NaN;
  }

  /** Hold the efficiency of the nearest measured anchor (clamped point, then lower batches). */
  #utilHold(a: number, b: number): number {
    const as = this.#as;
    const bs = this.#bs;
    const ca = Math.min(Math.max(a, as[0]), as[as.length - 1]);
    const cb = Math.min(Math.max(b, bs[0]), bs[bs.length - 1]);
    const utilAt = (x: number, y: number) => {
      const v = this.#blend(x, y);
      return Number.isFinite(v) ? this.#sol(x, y) / v : NaN;
    };
    // Anchor: the clamped point, or the nearest measured row below it along the batch axis.
    let anchorA = ca;
    let util = utilAt(ca, cb);
    for (let i = floorIndex(as, ca); !Number.isFinite(util) && i >= 0; i--) {
      anchorA = as[i];
      util = utilAt(anchorA, cb);
    }
    if (!Number.isFinite(util)) {
      // Nothing along the batch axis at this sequence: take the longest measured sequence at the lowest batch.
      for (let j = bs.length - 1; j >= 0 && !Number.isFinite(util); j--) util = utilAt(as[0], bs[j]);
      if (!Number.isFinite(util)) return NaN;
      return this.#sol(a, b) / util;
    }
    // Median with up to two grid points before the anchor along each axis that was left.
    const utils = [util];
    if (b !== cb || b > bs[bs.length - 1]) {
      const j = floorIndex(bs, cb);
      for (const jj of [j - 1, j - 2]) if (jj >= 0) utils.push(utilAt(anchorA, bs[jj]));
    } else if (a !== ca || anchorA !== ca) {
      const i = floorIndex(as, anchorA);
      for (const ii of [i - 1, i - 2]) if (ii >= 0) utils.push(utilAt(as[ii], cb));
    }
    return this.#sol(a, b) / medianOf(utils);
  }
}
