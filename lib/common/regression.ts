/**
 * Linear regressions of forward-pass wall time fitted on FPM samples, with the reference's bucketed sample
 * retention (`core/perf_model/base.py`): the planner's perf models, and the conversion of a profiler's results
 * into a planner profile (perf), fit with them.
 *
 * Each input axis is split into equal-width buckets between the running minimum and maximum (`bucketCount`
 * buckets in 1-D, √bucketCount per axis in 2-D). When more than `maxSamples` samples are held, the oldest
 * sample of the fullest bucket goes, so sustained traffic at one operating point cannot push out the others.
 * Buckets are rebuilt when the bounds move. A fit is ordinary least squares with an intercept; a negative
 * coefficient rejects the fit unless its feature is "clippable", in which case it is set to 0.
 *
 * @module
 */

/** One retained sample: features, wall time (s), and its insertion order (the oldest has the lowest). */
interface Sample {
  readonly x: readonly number[];
  readonly y: number;
  readonly seq: number;
}

/**
 * Bucketed samples and their least-squares fit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BucketedRegression } from "./regression.ts";
 * const r = new BucketedRegression(1, { maxSamples: 64, bucketCount: 16, minObservations: 2 });
 * for (const x of [0, 1, 2, 3]) r.add([x], 0.5 + 2 * x);
 * const c = r.fit()!;
 * assert(Math.abs(c.intercept - 0.5) < 1e-9 && Math.abs(c.coef[0] - 2) < 1e-9);
 * ```
 */
export class BucketedRegression {
  readonly ndim: number;
  readonly maxSamples: number;
  readonly minObservations: number;
  readonly #perAxis: number;
  readonly #clippable: ReadonlySet<number>;
  #buckets = new Map<string, Sample[]>();
  #count = 0;
  /** Samples added so far: the next sample's `seq`. */
  #added = 0;
  readonly #min: number[];
  readonly #max: number[];
  #fit: { intercept: number; coef: number[] } | null | undefined;

  constructor(
    ndim: 1 | 2,
    options: { maxSamples: number; bucketCount: number; minObservations: number; clippable?: number[] },
  ) {
    this.ndim = ndim;
    this.maxSamples = options.maxSamples;
    this.minObservations = options.minObservations;
    this.#perAxis = ndim === 1 ? options.bucketCount : Math.round(Math.sqrt(options.bucketCount));
    this.#clippable = new Set(options.clippable ?? []);
    this.#min = new Array(ndim).fill(Infinity);
    this.#max = new Array(ndim).fill(-Infinity);
  }

  /** Samples held. */
  get count(): number {
    return this.#count;
  }

  /** Whether enough samples are held for the model to be used (`load_min_observations`). */
  get hasSufficientData(): boolean {
    return this.#count >= this.minObservations;
  }

  /** Add a sample (features `x`, wall time `y` seconds). */
  add(x: readonly number[], y: number): void {
    let changed = false;
    for (let i = 0; i < this.ndim; i++) {
      if (x[i] < this.#min[i]) (this.#min[i] = x[i]), (changed = true);
      if (x[i] > this.#max[i]) (this.#max[i] = x[i]), (changed = true);
    }
    if (changed && this.#count > 0) this.#rebuild();
    this.#bucket(this.#key(x)).push({ x: [...x], y, seq: this.#added++ });
    this.#count++;
    if (this.#count > this.maxSamples) {
      let fattest: string | undefined, size = -1;
      for (const [key, samples] of this.#buckets) {
        if (samples.length > size) (fattest = key), (size = samples.length);
      }
      // A rebuild re-buckets bucket by bucket, so a merged bucket is not in insertion order: find its oldest.
      const samples = this.#buckets.get(fattest!)!;
      let oldest = 0;
      for (let i = 1; i < samples.length; i++) if (samples[i].seq < samples[oldest].seq) oldest = i;
      samples.splice(oldest, 1);
      if (samples.length === 0) this.#buckets.delete(fattest!);
      this.#count--;
    }
    this.#fit = undefined;
  }

  /** Retained samples, bucket by bucket (for tests and reports). */
  samples(): Sample[] {
    return [...this.#buckets.values()].flat();
  }

  /**
   * The least-squares fit `y = intercept + Σ coef_i x_i`, or null when there are fewer than `minObservations`
   * samples or a non-clippable coefficient is negative. Cached until the next {@link BucketedRegression.add}.
   */
  fit(): { intercept: number; coef: number[] } | null {
    if (this.#fit !== undefined) return this.#fit;
    const samples = this.samples();
    if (samples.length < this.minObservations) return (this.#fit = null);
    const fitted = leastSquares(samples, this.ndim);
    for (let i = 0; i < this.ndim; i++) {
      if (fitted.coef[i] >= 0) continue;
      if (!this.#clippable.has(i)) return (this.#fit = null);
      fitted.coef[i] = 0;
    }
    return (this.#fit = fitted);
  }

  /** Predicted wall time (s) at `x`, floored at 1 µs as the reference does; null when not fitted. */
  predict(x: readonly number[]): number | null {
    const f = this.fit();
    if (f === null) return null;
    let y = f.intercept;
    for (let i = 0; i < this.ndim; i++) y += f.coef[i] * x[i];
    return Math.max(1e-6, y);
  }

  #key(x: readonly number[]): string {
    let key = "";
    for (let i = 0; i < this.ndim; i++) {
      const lo = this.#min[i], hi = this.#max[i];
      let idx = 0;
      if (hi > lo) {
        idx = Math.max(0, Math.min(Math.trunc((x[i] - lo) / (hi - lo) * this.#perAxis), this.#perAxis - 1));
      }
      key += i === 0 ? `${idx}` : `,${idx}`;
    }
    return key;
  }

  #bucket(key: string): Sample[] {
    let b = this.#buckets.get(key);
    if (!b) this.#buckets.set(key, b = []);
    return b;
  }

  #rebuild(): void {
    const all = this.samples();
    this.#buckets = new Map();
    for (const s of all) this.#bucket(this.#key(s.x)).push(s);
  }
}

/**
 * Ordinary least squares with an intercept for 1 or 2 features, on centred data. A singular design (a feature
 * without variance) gets the minimum-norm solution, as `numpy.linalg.lstsq` (behind scikit-learn) does.
 */
export function leastSquares(
  samples: readonly { x: readonly number[]; y: number }[],
  ndim: number,
): { intercept: number; coef: number[] } {
  const n = samples.length;
  const mx = new Array(ndim).fill(0);
  let my = 0;
  for (const s of samples) {
    for (let i = 0; i < ndim; i++) mx[i] += s.x[i] / n;
    my += s.y / n;
  }
  // Normal equations on centred data: A b = v.
  const a = [[0, 0], [0, 0]], v = [0, 0];
  for (const s of samples) {
    const dy = s.y - my;
    for (let i = 0; i < ndim; i++) {
      const di = s.x[i] - mx[i];
      v[i] += di * dy;
      for (let j = 0; j < ndim; j++) a[i][j] += di * (s.x[j] - mx[j]);
    }
  }
  const coef = ndim === 1 ? [pinv1(a[0][0], v[0])] : pinv2(a, v);
  let intercept = my;
  for (let i = 0; i < ndim; i++) intercept -= coef[i] * mx[i];
  return { intercept, coef };
}

function pinv1(a: number, v: number): number {
  return a > 1e-12 * Math.max(1, Math.abs(v)) ? v / a : 0;
}

/** Solve the symmetric 2×2 system with a pseudo-inverse (eigenvalues below tolerance dropped). */
function pinv2(a: number[][], v: number[]): number[] {
  const p = a[0][0], q = a[0][1], r = a[1][1];
  const mean = (p + r) / 2, diff = (p - r) / 2, radius = Math.hypot(diff, q);
  const l1 = mean + radius, l2 = mean - radius;
  // Eigenvectors of [[p, q], [q, r]].
  let e1: [number, number];
  if (radius === 0) e1 = [1, 0];
  else if (diff >= 0) e1 = normalise(diff + radius, q);
  else e1 = normalise(q, radius - diff);
  const e2: [number, number] = [-e1[1], e1[0]];
  const tol = 1e-12 * Math.max(Math.abs(l1), 1e-300);
  const out = [0, 0];
  for (const [l, e] of [[l1, e1], [l2, e2]] as [number, [number, number]][]) {
    if (Math.abs(l) <= tol) continue;
    const w = (e[0] * v[0] + e[1] * v[1]) / l;
    out[0] += w * e[0];
    out[1] += w * e[1];
  }
  return out;
}

function normalise(x: number, y: number): [number, number] {
  const h = Math.hypot(x, y);
  return [x / h, y / h];
}

/**
 * Moving average over a fixed window that ignores leading zeros (the idle time before traffic starts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MovingAverage } from "./regression.ts";
 * const m = new MovingAverage(2);
 * m.add(0); m.add(4); m.add(0); m.add(2);
 * assert(m.value === 1); // window [0, 2]; the leading 0 was skipped
 * ```
 */
export class MovingAverage {
  readonly #window: number[] = [];
  readonly #size: number;
  #sum = 0;
  #seenNonZero = false;

  constructor(size: number) {
    this.#size = size;
  }

  add(value: number): void {
    if (value === 0 && !this.#seenNonZero) return;
    if (value !== 0) this.#seenNonZero = true;
    if (this.#window.length === this.#size) this.#sum -= this.#window.shift()!;
    this.#window.push(value);
    this.#sum += value;
  }

  /** Mean of the window; 0 when empty. */
  get value(): number {
    return this.#window.length ? this.#sum / this.#window.length : 0;
  }
}
