/**
 * A small automatic ARIMA for the planner's load predictor, in place of the reference's `pmdarima.auto_arima`
 * (the `arima` npm package runs under Deno but loads its WebAssembly with a file read at import, which the
 * pure simulator core must not do).
 *
 * - Differencing order `d ∈ {0, 1, 2}` by repeated KPSS level-stationarity tests at 5 % (pmdarima's default
 *   test), lag `⌊4 (n/100)^{1/4}⌋` (Schwert's short rule).
 * - Orders `p, q ∈ {0, 1, 2}`, with a constant when `d < 2`, each fitted by conditional sum of squares
 *   (Nelder–Mead; stationarity and invertibility enforced with a margin, every root at least 1/0.98 from the
 *   origin, so no fit sits on the unit circle); the lowest AIC = `n log(σ²) + 2k` wins. Every order is scored
 *   on the same `n` observations (those after the first two, the largest `p`), so the choice does not depend
 *   on the series' scale. Models with as many parameters as observations are skipped.
 * - One-step forecast on the differenced series, integrated back.
 *
 * @module
 */

/** A fitted ARIMA(p, d, q) model with a constant. */
export interface ArimaModel {
  readonly p: number;
  readonly d: number;
  readonly q: number;
  /** `[c, φ1 … φp, θ1 … θq]`. */
  readonly params: readonly number[];
  readonly aic: number;
}

/**
 * KPSS statistic for level stationarity: `Σ S_t² / (n² σ²_lr)` with a Bartlett-weighted long-run variance.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kpss } from "./arima.ts";
 * const trend = Array.from({ length: 30 }, (_, i) => i);
 * assert(kpss(trend) > 0.463); // a trend is not level-stationary
 * ```
 */
export function kpss(y: readonly number[]): number {
  const n = y.length;
  const mean = y.reduce((a, b) => a + b, 0) / n;
  const e = y.map((v) => v - mean);
  const lags = Math.trunc(4 * Math.pow(n / 100, 0.25));
  let s2 = e.reduce((a, v) => a + v * v, 0) / n;
  for (let l = 1; l <= lags; l++) {
    let c = 0;
    for (let t = l; t < n; t++) c += e[t] * e[t - l];
    s2 += 2 * (1 - l / (lags + 1)) * c / n;
  }
  let partial = 0, eta = 0;
  for (const v of e) {
    partial += v;
    eta += partial * partial;
  }
  return s2 > 0 ? eta / (n * n * s2) : 0;
}

/** KPSS 5 % critical value for level stationarity. */
const KPSS_CRITICAL = 0.463;

function difference(y: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < y.length; i++) out.push(y[i] - y[i - 1]);
  return out;
}

/** Differencing order chosen by repeated KPSS tests (at most 2). */
export function chooseD(y: readonly number[]): number {
  let d = 0, w = [...y];
  while (d < 2 && w.length > 3 && !isConstant(w) && kpss(w) > KPSS_CRITICAL) {
    w = difference(w);
    d++;
  }
  return d;
}

function isConstant(y: readonly number[]): boolean {
  return y.every((v) => v === y[0]);
}

/** How far inside the unit circle the lag polynomials' inverse roots must stay. */
const ROOT_RADIUS = 0.98;

/**
 * Whether the lag polynomial `1 − a1 B − a2 B²` has all inverse roots within {@link ROOT_RADIUS} (p ≤ 2): the
 * stationarity triangle of the coefficients scaled by the radius.
 */
function stable(a: readonly number[]): boolean {
  if (a.length === 0) return true;
  if (a.length === 1) return Math.abs(a[0]) < ROOT_RADIUS;
  const b1 = a[0] / ROOT_RADIUS, b2 = a[1] / (ROOT_RADIUS * ROOT_RADIUS);
  return Math.abs(b2) < 1 && b1 + b2 < 1 && b2 - b1 < 1;
}

/** The observations every order's fit conditions on (the largest `p`): all are scored on the rest alike. */
const CONDITIONING = 2;

/** Conditional residuals of ARMA(p, q) with constant on `w`; the first `p` observations are conditioning. */
function residuals(w: readonly number[], p: number, q: number, params: readonly number[]): number[] {
  const c = params[0], phi = params.slice(1, 1 + p), theta = params.slice(1 + p, 1 + p + q);
  const e = new Array(w.length).fill(0);
  for (let t = p; t < w.length; t++) {
    let pred = c;
    for (let i = 0; i < p; i++) pred += phi[i] * w[t - 1 - i];
    for (let j = 0; j < q; j++) if (t - 1 - j >= p) pred += theta[j] * e[t - 1 - j];
    e[t] = w[t] - pred;
  }
  return e.slice(p);
}

/** Sum of squared residuals after the first {@link CONDITIONING} observations; Infinity outside the margin. */
function sse(w: readonly number[], p: number, q: number, params: readonly number[]): number {
  const phi = params.slice(1, 1 + p), theta = params.slice(1 + p);
  if (!stable(phi) || !stable(theta.map((t) => -t))) return Infinity;
  const e = residuals(w, p, q, params);
  let s = 0;
  for (let i = CONDITIONING - p; i < e.length; i++) s += e[i] * e[i];
  return s;
}

/**
 * Minimise `f` with Nelder–Mead from `x0` (deterministic: fixed initial simplex and iteration budget).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nelderMead } from "./arima.ts";
 * const x = nelderMead((v) => (v[0] - 3) ** 2 + (v[1] + 1) ** 2, [0, 0]);
 * assert(Math.abs(x[0] - 3) < 1e-4 && Math.abs(x[1] + 1) < 1e-4);
 * ```
 */
export function nelderMead(f: (x: number[]) => number, x0: readonly number[], iterations = 400): number[] {
  const n = x0.length;
  let simplex = [x0.slice()];
  for (let i = 0; i < n; i++) {
    const x = x0.slice();
    x[i] = x[i] !== 0 ? x[i] * 1.25 : 0.1;
    simplex.push(x);
  }
  let values = simplex.map(f);
  for (let it = 0; it < iterations; it++) {
    const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
    simplex = order.map((i) => simplex[i]);
    values = order.map((i) => values[i]);
    if (Math.abs(values[n] - values[0]) <= 1e-12 * (Math.abs(values[0]) + 1e-12)) break;
    const centroid = new Array(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] += simplex[i][j] / n;
    const at = (t: number) => centroid.map((c, j) => c + t * (simplex[n][j] - c));
    const reflected = at(-1), fr = f(reflected);
    if (fr < values[0]) {
      const expanded = at(-2), fe = f(expanded);
      [simplex[n], values[n]] = fe < fr ? [expanded, fe] : [reflected, fr];
    } else if (fr < values[n - 1]) {
      [simplex[n], values[n]] = [reflected, fr];
    } else {
      const contracted = at(fr < values[n] ? -0.5 : 0.5), fc = f(contracted);
      if (fc < Math.min(fr, values[n])) {
        [simplex[n], values[n]] = [contracted, fc];
      } else {
        for (let i = 1; i <= n; i++) {
          simplex[i] = simplex[i].map((v, j) => simplex[0][j] + 0.5 * (v - simplex[0][j]));
          values[i] = f(simplex[i]);
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i <= n; i++) if (values[i] < values[best]) best = i;
  return simplex[best];
}

/** Fit ARMA(p, q) with constant on the (already differenced) series `w`; null when over-parameterised. */
function fitArma(w: readonly number[], p: number, q: number, start?: readonly number[]): ArimaModel | null {
  const k = 1 + p + q, nEff = w.length - CONDITIONING;
  if (nEff <= k + 1) return null;
  const mean = w.reduce((a, b) => a + b, 0) / w.length;
  const x0 = start ?? [mean, ...new Array(p + q).fill(0)];
  const params = nelderMead((x) => sse(w, p, q, x), x0);
  const s = sse(w, p, q, params);
  if (!Number.isFinite(s)) return null;
  const sigma2 = Math.max(s / nEff, 1e-300);
  return { p, d: 0, q, params, aic: nEff * Math.log(sigma2) + 2 * (k + 1) };
}

/**
 * Select and fit an ARIMA model on `y` (at least 3 points).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { autoArima, forecast } from "./arima.ts";
 * const y = Array.from({ length: 20 }, (_, i) => 100 + 5 * i);
 * const m = autoArima(y);
 * assert(m.d >= 1 && Math.abs(forecast(m, y) - 200) < 1);
 * ```
 */
export function autoArima(y: readonly number[]): ArimaModel {
  const d = chooseD(y);
  let w = [...y];
  for (let i = 0; i < d; i++) w = difference(w);
  let best: ArimaModel | null = null;
  for (let p = 0; p <= 2; p++) {
    for (let q = 0; q <= 2; q++) {
      const m = fitArma(w, p, q);
      if (m && (best === null || m.aic < best.aic - 1e-9)) best = m;
    }
  }
  best ??= { p: 0, d: 0, q: 0, params: [w.reduce((a, b) => a + b, 0) / w.length], aic: 0 };
  return { ...best, d };
}

/** Refit the parameters of `model`'s order on `y` (the reference's incremental `update`), from its estimates. */
export function refit(model: ArimaModel, y: readonly number[]): ArimaModel {
  let w = [...y];
  for (let i = 0; i < model.d; i++) w = difference(w);
  const m = fitArma(w, model.p, model.q, model.params);
  return m ? { ...m, d: model.d } : model;
}

/** One-step-ahead forecast of `y` with `model`. */
export function forecast(model: ArimaModel, y: readonly number[]): number {
  const levels: number[][] = [[...y]];
  for (let i = 0; i < model.d; i++) levels.push(difference(levels[i]));
  const w = levels[model.d];
  const { p, q, params } = model;
  const e = w.length > p ? residuals(w, p, q, params) : [];
  let next = params[0];
  for (let i = 0; i < p; i++) next += params[1 + i] * (w[w.length - 1 - i] ?? 0);
  for (let j = 0; j < q; j++) next += params[1 + p + j] * (e[e.length - 1 - j] ?? 0);
  for (let i = model.d - 1; i >= 0; i--) next += levels[i][levels[i].length - 1];
  return next;
}
