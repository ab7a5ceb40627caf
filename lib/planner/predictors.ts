/**
 * Load predictors (`core/load/predictors.py`): each takes one value per throughput window and forecasts the
 * next. Common rules: non-finite values count as 0; leading zeros (the idle time before traffic) are skipped;
 * an optional log1p transform suits spiky series.
 *
 * | name       | forecast                                                                                    |
 * | ---------- | ------------------------------------------------------------------------------------------- |
 * | `constant` | the last value                                                                              |
 * | `kalman`   | local-linear-trend Kalman filter, state `[level, trend]`, `P0 = 1000 I`, `Q = diag(qL, qT)`, `R` |
 * | `arima`    | automatic ARIMA (see `arima.ts`), fitted once at ≥ 5 points, refitted as points arrive; ≥ 0  |
 *
 * Prophet is rejected: it needs Meta's Stan backend, which has no JavaScript port.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { type ArimaModel, autoArima, forecast, refit } from "./arima.ts";
import type { PlannerConfig } from "./config.ts";

/** A load predictor. */
export interface Predictor {
  /** Add one observation. */
  add(value: number): void;
  /** Forecast the next value (repeated calls without a new observation return the same forecast). */
  predict(): number;
}

/** Observations kept after the shared rules (non-finite → 0, leading zeros skipped). */
abstract class Base implements Predictor {
  protected readonly values: number[] = [];
  #seenNonZero = false;

  add(value: number): void {
    const v = Number.isFinite(value) ? value : 0;
    if (v === 0 && !this.#seenNonZero) return;
    if (v !== 0) this.#seenNonZero = true;
    this.values.push(v);
    this.added(v);
  }

  /** Skip leading zeros again (after a warm-up on historical data, before live traffic). */
  resetIdleSkip(): void {
    this.#seenNonZero = false;
  }

  protected added(_v: number): void {}

  protected last(): number {
    return this.values.length ? this.values[this.values.length - 1] : 0;
  }

  abstract predict(): number;
}

/**
 * The last value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConstantPredictor } from "./predictors.ts";
 * const p = new ConstantPredictor();
 * p.add(0); p.add(3); p.add(5);
 * assert(p.predict() === 5);
 * ```
 */
export class ConstantPredictor extends Base {
  predict(): number {
    return this.last();
  }
}

/**
 * Local-linear-trend Kalman filter (filterpy's update with the Joseph form). It is initialised at the first
 * value, predicts before each later update, and caches a forecast so repeated calls do not advance the state.
 * dynolab returns the last value until `minPoints` observations are in (the reference accepts
 * `kalman_min_points` but never reads it).
 */
export class KalmanPredictor extends Base {
  readonly #q: [number, number];
  readonly #r: number;
  readonly #log: boolean;
  readonly #minPoints: number;
  /** State `[level, trend]` and covariance `[[a, b], [b, c]]`. */
  #x: [number, number] = [0, 0];
  #p: [number, number, number] = [1000, 0, 1000];
  #initialised = false;
  #cached: number | null = null;

  constructor(o: { qLevel: number; qTrend: number; r: number; minPoints: number; log1p: boolean }) {
    super();
    this.#q = [Math.max(1e-12, o.qLevel), Math.max(1e-12, o.qTrend)];
    this.#r = Math.max(1e-9, o.r);
    this.#log = o.log1p;
    this.#minPoints = o.minPoints;
  }

  /** Current state `[level, trend]` (for tests). */
  get state(): readonly number[] {
    return this.#x;
  }

  protected override added(v: number): void {
    const z = this.#log ? Math.log1p(Math.max(0, v)) : v;
    if (!this.#initialised) {
      this.#x = [z, 0];
      this.#initialised = true;
    } else {
      if (this.#cached === null) this.#step();
      this.#update(z);
    }
    this.#cached = null;
  }

  predict(): number {
    if (!this.#initialised || this.values.length < this.#minPoints) return this.last();
    if (this.#cached === null) {
      this.#step();
      this.#cached = this.#x[0];
    }
    return this.#log ? Math.max(0, Math.expm1(this.#cached)) : this.#cached;
  }

  /** x = F x; P = F P Fᵀ + Q with F = [[1, 1], [0, 1]]. */
  #step(): void {
    const [l, t] = this.#x, [a, b, c] = this.#p;
    this.#x = [l + t, t];
    this.#p = [a + 2 * b + c + this.#q[0], b + c, c + this.#q[1]];
  }

  /** Update with z, H = [1, 0]: K = P Hᵀ / S; P = (I − K H) P (I − K H)ᵀ + K R Kᵀ. */
  #update(z: number): void {
    const [a, b, c] = this.#p, r = this.#r;
    const s = a + r, k0 = a / s, k1 = b / s, y = z - this.#x[0];
    this.#x = [this.#x[0] + k0 * y, this.#x[1] + k1 * y];
    const m0 = 1 - k0;
    this.#p = [
      m0 * m0 * a + k0 * k0 * r,
      m0 * (b - k1 * a) + k0 * k1 * r,
      c - 2 * k1 * b + k1 * k1 * a + k1 * k1 * r,
    ];
  }
}

/**
 * The most recent observations the ARIMA predictor fits on: its cost per tick stays bounded, so a long trace's
 * planner costs time linear in its ticks (pmdarima refits on the whole history).
 */
export const ARIMA_WINDOW = 1024;

/**
 * Automatic ARIMA: with fewer than 5 points (or all equal) the last (or common) value; otherwise the order is
 * selected once and its parameters refitted as points arrive, on the last {@link ARIMA_WINDOW} of them. A
 * raw-space order that collapses to (0, d, 0) is refitted on log1p values; forecasts are clamped at 0; any
 * numerical failure gives the last value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ArimaPredictor } from "./predictors.ts";
 * const p = new ArimaPredictor(false);
 * for (let i = 1; i <= 12; i++) p.add(10 * i);
 * assert(Math.abs(p.predict() - 130) < 2);
 * ```
 */
export class ArimaPredictor extends Base {
  readonly #requestedLog: boolean;
  #log: boolean;
  #model: ArimaModel | null = null;
  #fittedOn = 0;

  constructor(log1p: boolean) {
    super();
    this.#requestedLog = this.#log = log1p;
  }

  /** The selected model, once fitted (for reports and tests). */
  get model(): ArimaModel | null {
    return this.#model;
  }

  predict(): number {
    const seen = this.values.length;
    const raw = this.values.slice(-ARIMA_WINDOW).map((v) => Math.max(0, v));
    if (raw.length < 5) return this.last();
    if (raw.every((v) => v === raw[0])) return raw[0];
    const space = (log: boolean) => (log ? raw.map(Math.log1p) : raw);
    try {
      if (this.#model === null) {
        this.#log = this.#requestedLog;
        let model = autoArima(space(this.#log));
        if (!this.#log && model.p === 0 && model.q === 0) {
          this.#log = true;
          model = autoArima(space(true));
        }
        this.#model = model;
      } else if (this.#fittedOn !== seen) {
        this.#model = refit(this.#model, space(this.#log));
      }
      this.#fittedOn = seen;
      const next = forecast(this.#model, space(this.#log));
      const value = this.#log ? Math.expm1(next) : next;
      return Number.isFinite(value) ? Math.max(0, value) : this.last();
    } catch {
      return this.last();
    }
  }
}

/** Build the predictor a config names. */
export function createPredictor(config: PlannerConfig): Predictor {
  switch (config.load_predictor) {
    case "constant":
      return new ConstantPredictor();
    case "kalman":
      return new KalmanPredictor({
        qLevel: config.kalman_q_level,
        qTrend: config.kalman_q_trend,
        r: config.kalman_r,
        minPoints: config.kalman_min_points,
        log1p: config.load_predictor_log1p,
      });
    case "arima":
      return new ArimaPredictor(config.load_predictor_log1p);
    case "prophet":
      throw new InputError(
        'the "prophet" predictor needs Meta\'s Stan backend, which has no JavaScript port; ' +
          'use "arima", "kalman" or "constant"',
        { field: "--planner-config.load_predictor" },
      );
  }
}
