/**
 * A small deterministic Nelder–Mead minimiser for the calibration fits (no dependencies, no randomness).
 *
 * @module
 */

/** Result of {@link nelderMead}: the best point and its value. */
export interface Minimum {
  readonly x: number[];
  readonly fx: number;
}

/**
 * Minimise `f` from `x0` with the Nelder–Mead simplex method (standard coefficients: reflection 1, expansion 2,
 * contraction ½, shrink ½).
 *
 * @param step Initial simplex edge along every axis.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nelderMead } from "./nelder_mead.ts";
 * const r = nelderMead((x) => (x[0] - 3) ** 2 + (x[1] + 1) ** 2, [0, 0], 1, 500);
 * assert(Math.abs(r.x[0] - 3) < 1e-3 && Math.abs(r.x[1] + 1) < 1e-3);
 * ```
 */
export function nelderMead(
  f: (x: number[]) => number,
  x0: readonly number[],
  step = 0.3,
  iterations = 2000,
): Minimum {
  const n = x0.length;
  let simplex: number[][] = [x0.slice()];
  for (let i = 0; i < n; i++) {
    const x = x0.slice();
    x[i] += step;
    simplex.push(x);
  }
  let values = simplex.map(f);
  for (let it = 0; it < iterations; it++) {
    const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
    simplex = order.map((i) => simplex[i]);
    values = order.map((i) => values[i]);
    if (Math.abs(values[n] - values[0]) < 1e-12) break;
    const centroid = new Array(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] += simplex[i][j] / n;
    const worst = simplex[n];
    const along = (t: number) => centroid.map((c, j) => c + t * (c - worst[j]));
    const reflected = along(1);
    const fr = f(reflected);
    if (fr < values[0]) {
      const expanded = along(2);
      const fe = f(expanded);
      [simplex[n], values[n]] = fe < fr ? [expanded, fe] : [reflected, fr];
    } else if (fr < values[n - 1]) {
      [simplex[n], values[n]] = [reflected, fr];
    } else {
      const contracted = along(-0.5);
      const fc = f(contracted);
      if (fc < values[n]) {
        [simplex[n], values[n]] = [contracted, fc];
      } else {
        for (let i = 1; i <= n; i++) {
          simplex[i] = simplex[i].map((v, j) => simplex[0][j] + 0.5 * (v - simplex[0][j]));
          values[i] = f(simplex[i]);
        }
      }
    }
  }
  const best = values.indexOf(Math.min(...values));
  return { x: simplex[best], fx: values[best] };
}
