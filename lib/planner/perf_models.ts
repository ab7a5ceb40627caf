/**
 * The planner's performance models, fitted on FPM samples (`core/perf_model/{prefill,decode,agg}.py`):
 *
 * | model   | regression (wall time, s)                          | used for                                    |
 * | ------- | -------------------------------------------------- | ------------------------------------------- |
 * | prefill | `a + b · sum_prefill_tokens`                        | TTFT estimates, prefill engine request rate |
 * | decode  | `a + b · num_decode + c · sum_decode_kv` (b ≥ 0 clipped) | ITL estimates, decode batch search     |
 * | agg     | `a + b · sum_prefill_tokens + c · sum_decode_kv`    | both, with piggybacked prefill and decode   |
 *
 * Samples with zero wall time only feed the moving averages. All estimates return seconds, or null while the
 * model is not fitted.
 *
 * @module
 */
import type { Fpm } from "./types.ts";
import { BucketedRegression, MovingAverage } from "../common/regression.ts";

/** Sample retention settings (`max_num_fpm_samples`, `fpm_sample_bucket_size`, `load_min_observations`). */
export interface RetentionOptions {
  readonly maxSamples: number;
  readonly bucketCount: number;
  readonly minObservations: number;
}

/** Clamp a KV hit rate to [0, 1]; null or NaN count as 0. */
export function clampHitRate(h: number | null | undefined): number {
  if (h == null || Number.isNaN(h)) return 0;
  return Math.min(1, Math.max(0, h));
}

/** Sum `f(chunk)` over `tokens` split into passes of at most `mbt` tokens (the reference's TTFT simulation). */
function chunked(tokens: number, mbt: number, f: (chunk: number) => number): number {
  let total = 0;
  for (let remaining = tokens, n = Math.ceil(tokens / mbt); n > 0; n--) {
    const chunk = Math.min(remaining, mbt);
    total += f(chunk);
    remaining -= chunk;
  }
  return total;
}

/**
 * Prefill engine: wall time from scheduled prefill tokens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PrefillModel } from "./perf_models.ts";
 * import { idleFpm } from "./types.ts";
 * const m = new PrefillModel({ maxSamples: 64, bucketCount: 16, minObservations: 2 });
 * for (const t of [1000, 2000]) m.add({ ...idleFpm(0, 0), numPrefill: 1, sumPrefillTokens: t, wallTimeS: 0.01 + t * 1e-5 });
 * // Queue 4000 + mean ISL 1500 in passes of 4096: f(4096) + f(1404).
 * assert(Math.abs(m.estimateNextTtft(4000, 4096, 0)! - (0.01 + 0.04096 + 0.01 + 0.01404)) < 1e-12);
 * ```
 */
export class PrefillModel {
  readonly regression: BucketedRegression;
  readonly #avgIsl: MovingAverage;

  constructor(o: RetentionOptions) {
    this.regression = new BucketedRegression(1, o);
    this.#avgIsl = new MovingAverage(o.maxSamples);
  }

  /** Mean prompt tokens per prefilling request, over recent FPMs. */
  get avgIsl(): number {
    return this.#avgIsl.value;
  }

  add(f: Fpm): void {
    if (f.numPrefill > 0) this.#avgIsl.add(f.sumPrefillTokens / f.numPrefill);
    if (f.wallTimeS !== 0) this.regression.add([f.sumPrefillTokens], f.wallTimeS);
  }

  /** TTFT of a new request behind `queued` prompt tokens: `(queued + avg ISL) · (1 − hit)` in MBT chunks. */
  estimateNextTtft(queued: number, mbt: number, hitRate: number | null): number | null {
    if (this.regression.fit() === null || mbt <= 0) return null;
    const tokens = (queued + this.avgIsl) * (1 - clampHitRate(hitRate));
    return tokens <= 0 ? 0 : chunked(tokens, mbt, (c) => this.regression.predict([c])!);
  }

  /**
   * One engine's request rate for prompts of `isl` tokens: `1 / wt`, where `wt` chunks a prompt longer than
   * MBT into `(k − 1) · f(MBT) + f(rest)`. A prompt served whole from the cache (`isl` 0, a KV hit rate of 1)
   * costs `f(0)`, the pass's fixed time, as in the reference. Returns `[rps, ttft ms]`, or `[0, 0]` when not
   * fitted (a fitted `f` is floored at 1 µs, so `wt` is positive).
   */
  bestEngineRps(isl: number, mbt: number | null): [rps: number, ttftMs: number] {
    if (this.regression.fit() === null) return [0, 0];
    const tokens = Math.max(0, isl);
    let wt: number;
    if (mbt && mbt > 0 && tokens > mbt) {
      const k = Math.ceil(tokens / mbt);
      wt = (k - 1) * this.regression.predict([mbt])! + this.regression.predict([tokens - (k - 1) * mbt])!;
    } else {
      wt = this.regression.predict([tokens])!;
    }
    return [1 / wt, wt * 1000];
  }
}

/**
 * Decode engine: wall time from the batch size and its total context. A negative batch coefficient is clipped
 * to 0 (multicollinearity); a negative KV coefficient rejects the fit.
 */
export class DecodeModel {
  readonly regression: BucketedRegression;
  readonly #avgDecodeLen: MovingAverage;
  readonly #avgNumDecode: MovingAverage;
  #maxObservedKv = 0;

  constructor(o: RetentionOptions) {
    this.regression = new BucketedRegression(2, { ...o, clippable: [0] });
    this.#avgDecodeLen = new MovingAverage(o.maxSamples);
    this.#avgNumDecode = new MovingAverage(o.maxSamples);
  }

  add(f: Fpm): void {
    if (f.numDecode > 0) this.#avgDecodeLen.add(f.sumDecodeKvTokens / f.numDecode);
    this.#avgNumDecode.add(f.numDecode);
    if (f.sumDecodeKvTokens > this.#maxObservedKv) this.#maxObservedKv = f.sumDecodeKvTokens;
    if (f.wallTimeS !== 0) this.regression.add([f.numDecode, f.sumDecodeKvTokens], f.wallTimeS);
  }

  /** Next pass time with one more request: `f(avg batch + 1, scheduled + queued KV + avg context)`. */
  estimateNextItl(scheduledKv: number, queuedKv: number): number | null {
    return this.regression.predict([
      this.#avgNumDecode.value + 1,
      scheduledKv + queuedKv + this.#avgDecodeLen.value,
    ]);
  }

  /**
   * The largest batch (bisection over `[1, min(maxKv / ctx, maxNumSeqs)]`) whose pass time meets `itlMs`, and
   * the engine request rate it gives by Little's law, `bs · accept / (osl · wt)`. If even one request breaks
   * the target, batch 1 is used. `accept` (tokens per decode forward, ≥ 1) discounts the per-token ITL.
   * Returns `[rps, itl ms]`, `[0, 0]` when not fitted.
   */
  bestEngineRps(
    itlMs: number,
    ctx: number,
    osl: number,
    maxKvTokens: number | null,
    maxNumSeqs: number | null,
    accept = 1,
  ): [rps: number, itlMs: number] {
    if (this.regression.fit() === null || ctx <= 0 || osl <= 0 || itlMs <= 0) return [0, 0];
    let kvCap: number;
    if (maxKvTokens && maxKvTokens > 0) kvCap = Math.max(1, Math.trunc(maxKvTokens / ctx));
    else if (this.#maxObservedKv > 0) kvCap = Math.max(1, Math.trunc(this.#maxObservedKv / ctx));
    else kvCap = 256;
    const seqCap = maxNumSeqs && maxNumSeqs > 0 ? maxNumSeqs : kvCap;
    const per = (bs: number) => this.regression.predict([bs, bs * ctx])! / accept;
    let best = 1, bestWt = per(1);
    if (bestWt * 1000 <= itlMs) {
      let lo = 1, hi = Math.max(1, Math.min(kvCap, seqCap));
      while (lo <= hi) {
        const mid = (lo + hi) >> 1, wt = per(mid);
        if (wt * 1000 <= itlMs) (best = mid), (bestWt = wt), (lo = mid + 1);
        else hi = mid - 1;
      }
    }
    return [best / (osl * bestWt), bestWt * 1000];
  }
}

/** Aggregated engine: chunked prefill and decode share each pass. */
export class AggModel {
  readonly regression: BucketedRegression;
  readonly #avgIsl: MovingAverage;
  readonly #avgDecodeLen: MovingAverage;
  readonly #avgPrefillTokens: MovingAverage;

  constructor(o: RetentionOptions) {
    this.regression = new BucketedRegression(2, o);
    this.#avgIsl = new MovingAverage(o.maxSamples);
    this.#avgDecodeLen = new MovingAverage(o.maxSamples);
    this.#avgPrefillTokens = new MovingAverage(o.maxSamples);
  }

  get avgIsl(): number {
    return this.#avgIsl.value;
  }

  add(f: Fpm): void {
    if (f.numPrefill > 0) this.#avgIsl.add(f.sumPrefillTokens / f.numPrefill);
    if (f.numDecode > 0) this.#avgDecodeLen.add(f.sumDecodeKvTokens / f.numDecode);
    this.#avgPrefillTokens.add(f.sumPrefillTokens);
    if (f.wallTimeS !== 0) this.regression.add([f.sumPrefillTokens, f.sumDecodeKvTokens], f.wallTimeS);
  }

  /** TTFT behind `queued` prompt tokens with `decodeKv` tokens decoding alongside, hit rate discounting both. */
  estimateNextTtft(queued: number, mbt: number, decodeKv: number, hitRate: number | null): number | null {
    if (this.regression.fit() === null || mbt <= 0) return null;
    const tokens = (queued + this.avgIsl) * (1 - clampHitRate(hitRate));
    return tokens <= 0 ? 0 : chunked(tokens, mbt, (c) => this.regression.predict([c, decodeKv])!);
  }

  /** Next pass time with the usual piggybacked prefill: `f(avg prefill tokens, KV + avg context)`. */
  estimateNextItl(scheduledKv: number, queuedKv: number): number | null {
    return this.regression.predict([
      this.#avgPrefillTokens.value,
      scheduledKv + queuedKv + this.#avgDecodeLen.value,
    ]);
  }

  /**
   * The engine request rate under both SLAs: batch sizes `1 … max` where max is bounded by KV capacity
   * (`maxKv / (ISL + OSL/2)`, 1024 if unknown), `max_num_seqs` and the prefill/decode balance
   * (`ISL / (MBT − x) ≤ OSL`). Each batch runs `min(bs · ISL·(1 − hit) / OSL, MBT)` prefill tokens per pass
   * beside `bs · ctx` of decode KV; the last batch meeting both SLAs wins. Returns `[rps, ttft ms, itl ms]`.
   */
  bestEngineRps(
    isl: number,
    osl: number,
    mbt: number,
    ttftSlaMs: number,
    itlSlaMs: number,
    maxKvTokens: number | null,
    maxNumSeqs: number | null,
    hitRate: number | null,
    accept = 1,
  ): [rps: number, ttftMs: number, itlMs: number] {
    if (this.regression.fit() === null || isl <= 0 || osl <= 0 || mbt <= 0) return [0, 0, 0];
    const islEff = isl * (1 - clampHitRate(hitRate));
    const ctx = isl + osl / 2;
    const kvCap = maxKvTokens && maxKvTokens > 0
      ? Math.max(1, Math.trunc(maxKvTokens / Math.max(1, ctx)))
      : 1024;
    const seqCap = maxNumSeqs && maxNumSeqs > 0 ? maxNumSeqs : kvCap;
    const hardCap = Math.min(kvCap, seqCap, mbt - 1);
    const balanced = (x: number) => mbt - x > 0 && isl / (mbt - x) <= osl;
    let lo = 1, hi = Math.max(1, hardCap);
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (balanced(mid)) lo = mid;
      else hi = mid - 1;
    }
    let rps = 0, ttft = 0, itl = 0;
    for (let bs = 1; bs <= lo; bs++) {
      const decodeKv = bs * ctx;
      const prefill = Math.min(bs * islEff / Math.max(1, osl), mbt);
      const wt = this.regression.predict([prefill, decodeKv])!;
      const itlMs = wt * 1000 / accept;
      const ttftMs = this.estimateNextTtft(Math.trunc(prefill), mbt, Math.trunc(decodeKv), hitRate)! * 1000;
      if (itlMs > itlSlaMs || ttftMs > ttftSlaMs) {
        if (bs === 1) (rps = accept / (osl * wt)), (ttft = ttftMs), (itl = itlMs);
        break;
      }
      rps = bs * accept / (osl * wt);
      ttft = ttftMs;
      itl = itlMs;
    }
    return [rps, ttft, itl];
  }
}

/** The fitted perf models of the planned topology (prefill and decode in disagg, agg in agg). */
export interface PlannerModels {
  readonly prefill?: PrefillModel;
  readonly decode?: DecodeModel;
  readonly agg?: AggModel;
}
