/**
 * The planner proper (`core/state_machine.py`): a pure state machine that receives one tick's inputs
 * (worker counts, FPMs, traffic) and returns a scaling decision, diagnostics and the next tick time.
 *
 * Tick schedule: the first load tick is one load interval after the start, the first throughput tick one
 * throughput interval after it (load ticks run without load scaling too, to feed live FPMs to the regressions). A tick runs at the earlier of the two and also performs the other when it is
 * due within 0.5 s. Within a tick the throughput step runs first (so a new lower bound applies at once) and the
 * load decision wins; the throughput decision applies only when load scaling produced none.
 *
 * @module
 */
import { type EffectivePlanner, minEndpoint } from "./config.ts";
import { budgetClamp, globalBudget } from "./budget.ts";
import {
  aggSla,
  decodeSla,
  type Desire,
  kvEasy,
  type LoadContext,
  type LoadReason,
  prefillEasy,
  prefillSla,
  reconcile,
} from "./load_scaling.ts";
import { AggModel, DecodeModel, type PlannerModels, PrefillModel } from "./perf_models.ts";
import { createPredictor, type Predictor } from "./predictors.ts";
import { type ThroughputReason, throughputReplicas } from "./throughput_scaling.ts";
import type {
  ComponentCounts,
  Fpm,
  PlannerCapabilities,
  ScalingDecision,
  TrafficObservation,
} from "./types.ts";

/** Two cadences within this many seconds run in one tick. */
export const MERGE_TOLERANCE_S = 0.5;

/** The next tick: when, and which steps it runs. */
export interface ScheduledTick {
  readonly atS: number;
  readonly load: boolean;
  readonly throughput: boolean;
  /** Whether the tick consumes a traffic window (throughput ticks; load ticks in load-only mode). */
  readonly traffic: boolean;
}

/** One tick's inputs. */
export interface TickInput {
  readonly nowS: number;
  readonly prefill?: ComponentCounts;
  readonly decode: ComponentCounts;
  /** Latest FPM of every active rank (load ticks). */
  readonly fpms?: { readonly prefill: readonly Fpm[]; readonly decode: readonly Fpm[] };
  readonly traffic?: TrafficObservation;
}

/** What one tick decided and why (the per-tick record of reports). */
export interface TickDiagnostics {
  loadReason?: LoadReason;
  loadReasonPrefill?: LoadReason;
  loadReasonDecode?: LoadReason;
  throughputReason?: ThroughputReason;
  estTtftMs?: number;
  estItlMs?: number;
  predictedNumReq?: number;
  predictedIsl?: number;
  predictedOsl?: number;
  predictedKvHitRate?: number;
  engineRpsPrefill?: number;
  engineRpsDecode?: number;
  lowerBoundPrefill: number;
  lowerBoundDecode: number;
}

/** A tick's outcome. */
export interface TickEffects {
  readonly decision: ScalingDecision | null;
  readonly diagnostics: TickDiagnostics;
  readonly next: ScheduledTick;
}

/**
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { effectivePlanner, parsePlannerConfig } from "./config.ts";
 * import { PlannerStateMachine } from "./state_machine.ts";
 * const planner = effectivePlanner(parsePlannerConfig({
 *   mode: "agg", optimization_target: "sla", enable_load_scaling: true,
 *   throughput_adjustment_interval: 60, load_adjustment_interval: 10,
 * }));
 * const caps = { decode: { numGpu: 1, maxNumBatchedTokens: 8192, maxNumSeqs: 256, contextLength: null, maxKvTokens: 1 << 20, ranks: 1 } };
 * const sm = new PlannerStateMachine(planner, caps);
 * const first = sm.initialTick(0);
 * assert(first.atS === 10 && first.load && !first.throughput);
 * ```
 */
export class PlannerStateMachine {
  readonly planner: EffectivePlanner;
  readonly caps: PlannerCapabilities;
  readonly models: PlannerModels;
  readonly #predictors?: { numReq: Predictor; isl: Predictor; osl: Predictor; hit: Predictor };
  #nextLoadS = Infinity;
  #nextThroughputS = Infinity;
  #lowerP = 1;
  #lowerD = 1;
  /** Sticky KV hit rate and accept length between throughput ticks. */
  #hitRate: number | null = null;
  #accept = 1;

  constructor(planner: EffectivePlanner, caps: PlannerCapabilities) {
    this.planner = planner;
    this.caps = caps;
    const c = planner.config;
    const o = {
      maxSamples: c.max_num_fpm_samples,
      bucketCount: c.fpm_sample_bucket_size,
      minObservations: c.load_min_observations,
    };
    // Easy mode reads no regression.
    this.models = planner.easyMode
      ? {}
      : c.mode === "agg"
      ? { agg: new AggModel(o) }
      : { prefill: new PrefillModel(o), decode: new DecodeModel(o) };
    if (!planner.easyMode) {
      this.#predictors = {
        numReq: createPredictor(c),
        isl: createPredictor(c),
        osl: createPredictor(c),
        hit: createPredictor(c),
      };
    }
  }

  /** Load benchmark FPMs into the regressions (the rapid bootstrap); agg gets both sets. */
  loadBenchmarkFpms(prefill: readonly Fpm[], decode: readonly Fpm[]): void {
    const m = this.models;
    if (m.agg) { for (const f of [...prefill, ...decode]) m.agg.add(f); }
    if (m.prefill) { for (const f of prefill) m.prefill.add(f); }
    if (m.decode) { for (const f of decode) m.decode.add(f); }
  }

  /** Warm the demand predictors on historical windows (`load_predictor_warmup_trace`). */
  warmPredictors(windows: readonly TrafficObservation[]): void {
    if (!this.#predictors) return;
    for (const w of windows) {
      this.#predictors.numReq.add(w.numReq);
      this.#predictors.isl.add(w.isl);
      this.#predictors.osl.add(w.osl);
    }
    for (const p of [this.#predictors.numReq, this.#predictors.isl, this.#predictors.osl]) {
      (p as { resetIdleSkip?: () => void }).resetIdleSkip?.();
    }
  }

  /** The first tick after `startS`. */
  initialTick(startS: number): ScheduledTick {
    // Load ticks run even without load scaling: their FPMs keep the throughput regressions current.
    this.#nextLoadS = startS + this.planner.config.load_adjustment_interval_seconds;
    this.#nextThroughputS = this.planner.throughputScaling
      ? startS + this.planner.config.throughput_adjustment_interval_seconds
      : Infinity;
    return this.#scheduled();
  }

  /** Run the scheduled tick `tick` with its inputs. */
  onTick(tick: ScheduledTick, input: TickInput): TickEffects {
    const cfg = this.planner.config;
    const diag: TickDiagnostics = { lowerBoundPrefill: this.#lowerP, lowerBoundDecode: this.#lowerD };
    let throughputDecision: ScalingDecision | null = null;
    if (tick.throughput) {
      if (input.traffic) throughputDecision = this.#throughput(input, diag);
      else diag.throughputReason = "no_traffic_data";
      this.#nextThroughputS = input.nowS + cfg.throughput_adjustment_interval_seconds;
    }
    let loadDecision: ScalingDecision | null = null;
    if (tick.load) {
      if (!tick.throughput && input.traffic && input.traffic.kvHitRate !== null) {
        this.#hitRate = input.traffic.kvHitRate; // load-only: the last observation
      }
      if (input.traffic?.acceptLength != null) this.#accept = this.#clampAccept(input.traffic.acceptLength);
      if (input.fpms && !this.planner.easyMode) this.#observe(input.fpms);
      if (!this.planner.loadScaling) diag.loadReason = "disabled";
      else if (input.fpms) loadDecision = this.#load(input, diag);
      else diag.loadReason = "no_fpm_data";
      this.#nextLoadS = input.nowS + cfg.load_adjustment_interval_seconds;
    }
    diag.lowerBoundPrefill = this.#lowerP;
    diag.lowerBoundDecode = this.#lowerD;
    return { decision: loadDecision ?? throughputDecision, diagnostics: diag, next: this.#scheduled() };
  }

  /**
   * Accept length clamped to `[1, 1 + nextn]` (1 without speculative decoding), where `nextn` is the decode (or
   * agg) engines' draft count (`aic_nextn`), else the planner's `speculative_nextn`, as the reference's
   * `_effective_speculative_nextn`.
   */
  #clampAccept(a: number): number {
    const engines = this.caps.decode.nextn ?? 0;
    return Math.min(Math.max(1, a), 1 + (engines > 0 ? engines : this.planner.config.speculative_nextn));
  }

  #scheduled(): ScheduledTick {
    const atS = Math.min(this.#nextLoadS, this.#nextThroughputS);
    const load = this.#nextLoadS <= atS + MERGE_TOLERANCE_S;
    const throughput = this.#nextThroughputS <= atS + MERGE_TOLERANCE_S;
    return { atS, load, throughput, traffic: throughput || (load && !this.planner.throughputScaling) };
  }

  #observe(fpms: NonNullable<TickInput["fpms"]>): void {
    const m = this.models;
    if (m.agg) { for (const f of fpms.decode) m.agg.add(f); }
    if (m.prefill) { for (const f of fpms.prefill) m.prefill.add(f); }
    if (m.decode) { for (const f of fpms.decode) m.decode.add(f); }
  }

  #throughput(input: TickInput, diag: TickDiagnostics): ScalingDecision | null {
    const t = input.traffic!, p = this.#predictors!, cfg = this.planner.config;
    p.numReq.add(t.numReq);
    p.isl.add(t.isl);
    p.osl.add(t.osl);
    if (t.kvHitRate !== null) p.hit.add(t.kvHitRate);
    if (t.acceptLength !== null) this.#accept = this.#clampAccept(t.acceptLength);
    const numReq = p.numReq.predict(), isl = p.isl.predict(), osl = p.osl.predict();
    if (![numReq, isl, osl].every(Number.isFinite)) {
      diag.throughputReason = "predict_failed";
      return null;
    }
    diag.predictedNumReq = numReq;
    diag.predictedIsl = isl;
    diag.predictedOsl = osl;
    // A window without requests has no ISL or OSL: the reference skips it ("no active requests"), keeping
    // the lower bound it had, after its predictors took the window's zeros.
    if (t.durationS <= 0 || t.numReq === 0) {
      diag.throughputReason = "no_traffic_data";
      return null;
    }
    const hit = p.hit.predict();
    if (Number.isFinite(hit)) {
      this.#hitRate = Math.min(1, Math.max(0, hit));
      diag.predictedKvHitRate = this.#hitRate;
    }
    const out = throughputReplicas({
      planner: this.planner,
      caps: this.caps,
      models: this.models,
      demandRps: numReq / t.durationS,
      isl,
      osl,
      hitRate: this.#hitRate,
      accept: this.#accept,
    });
    diag.engineRpsPrefill = out.engineRpsPrefill;
    diag.engineRpsDecode = out.engineRpsDecode;
    diag.throughputReason = out.reason;
    const agg = cfg.mode === "agg";
    if (out.decode === null) return this.planner.loadScaling ? null : this.#raiseToMin(input, agg);
    if (this.planner.loadScaling) {
      if (!agg) this.#lowerP = out.prefill!;
      this.#lowerD = out.decode;
      diag.throughputReason = "set_lower_bound";
      return null;
    }
    const cap = (target: number, current: number) =>
      Math.max(
        current - cfg.max_throughput_scaling_replicas,
        Math.min(current + cfg.max_throughput_scaling_replicas, target),
      );
    if (agg) {
      return { prefill: null, decode: this.#single(cap(out.decode, input.decode.expected), "decode") };
    }
    const [np, nd] = this.#global(
      cap(out.prefill!, input.prefill!.expected),
      cap(out.decode, input.decode.expected),
    );
    return { prefill: np, decode: nd };
  }

  /**
   * Without a fitted model (`model_not_ready`), a throughput step applied directly still scales a component
   * below its minimum up to it (the reference's newer fix), through the GPU budget; a component at or above
   * it is left alone (null). Null when no component is below its minimum.
   */
  #raiseToMin(input: TickInput, agg: boolean): ScalingDecision | null {
    const cfg = this.planner.config, minD = minEndpoint(cfg, "decode"), d = input.decode.expected;
    if (agg) return d < minD ? { prefill: null, decode: this.#single(minD, "decode") } : null;
    const minP = minEndpoint(cfg, "prefill"), p = input.prefill!.expected;
    if (p >= minP && d >= minD) return null;
    const [np, nd] = this.#global(Math.max(p, minP), Math.max(d, minD));
    return { prefill: p < minP ? np : null, decode: d < minD ? nd : null };
  }

  #single(desired: number, component: "prefill" | "decode"): number {
    const cfg = this.planner.config, min = minEndpoint(cfg, component);
    const gpu = (component === "prefill" ? this.caps.prefill! : this.caps.decode).numGpu;
    return budgetClamp(Math.max(desired, min), gpu, cfg.max_gpu_budget, min);
  }

  #global(p: number, d: number): [number, number] {
    const cfg = this.planner.config;
    return globalBudget(
      p,
      d,
      this.caps.prefill!.numGpu,
      this.caps.decode.numGpu,
      cfg.max_gpu_budget,
      minEndpoint(cfg, "prefill"),
      minEndpoint(cfg, "decode"),
    );
  }

  #context(): LoadContext {
    return {
      planner: this.planner,
      caps: this.caps,
      models: this.models,
      hitRate: this.#hitRate,
      accept: this.#accept,
    };
  }

  #load(input: TickInput, diag: TickDiagnostics): ScalingDecision | null {
    const fpms = input.fpms!;
    if (this.planner.config.mode === "agg") {
      const n = input.decode.ready;
      if (fpms.decode.length === 0) return skip(diag, "no_fpm_data");
      if (input.decode.expected !== n) return skip(diag, "scaling_in_progress");
      if (!reconcile(fpms.decode, n)) return skip(diag, "worker_count_mismatch");
      const ctx = this.#context();
      const d = this.planner.easyMode ? kvEasy(ctx, fpms.decode, n, true) : aggSla(ctx, fpms.decode, n);
      setEstimates(diag, d);
      if (d.desired === null) return skip(diag, d.reason);
      const target = this.#clampOne(d.desired, "decode");
      diag.loadReason = outcome(target, d, n);
      if (target === n && !this.planner.easyMode) return null;
      return { prefill: null, decode: target };
    }
    return this.#loadDisagg(input, diag);
  }

  /** Throughput lower bound, minimum endpoint, GPU budget. */
  #clampOne(desired: number, component: "prefill" | "decode"): number {
    let target = desired;
    if (this.planner.throughputScaling) {
      target = Math.max(target, component === "prefill" ? this.#lowerP : this.#lowerD);
    }
    return this.#single(target, component);
  }

  #loadDisagg(input: TickInput, diag: TickDiagnostics): ScalingDecision | null {
    const fpms = input.fpms!, cp = input.prefill!, cd = input.decode;
    if (fpms.prefill.length === 0 && fpms.decode.length === 0) return skip(diag, "no_fpm_data");
    if (cp.expected !== cp.ready || cd.expected !== cd.ready) {
      return skip(diag, "scaling_in_progress");
    }
    if (
      (fpms.prefill.length && !reconcile(fpms.prefill, cp.ready)) ||
      (fpms.decode.length && !reconcile(fpms.decode, cd.ready))
    ) {
      return skip(diag, "worker_count_mismatch");
    }
    const ctx = this.#context(), easy = this.planner.easyMode;
    const none: Desire = { desired: null, reason: "no_fpm_data" };
    const p = fpms.prefill.length ? (easy ? prefillEasy : prefillSla)(ctx, fpms.prefill, cp.ready) : none;
    const d = fpms.decode.length
      ? (easy ? (c: LoadContext, f: readonly Fpm[], n: number) => kvEasy(c, f, n, false) : decodeSla)(
        ctx,
        fpms.decode,
        cd.ready,
      )
      : none;
    setEstimates(diag, p);
    setEstimates(diag, d);
    let fp = p.desired ?? cp.ready, fd = d.desired ?? cd.ready;
    if (this.planner.throughputScaling) (fp = Math.max(fp, this.#lowerP)), (fd = Math.max(fd, this.#lowerD));
    const cfg = this.planner.config;
    [fp, fd] = this.#global(
      Math.max(fp, minEndpoint(cfg, "prefill")),
      Math.max(fd, minEndpoint(cfg, "decode")),
    );
    diag.loadReasonPrefill = outcome(fp, p, cp.ready);
    diag.loadReasonDecode = outcome(fd, d, cd.ready);
    const rank = (r: LoadReason) =>
      ["scale_up", "scale_up_kv", "capped", "scale_down_capped_by_throughput", "scale_down"].indexOf(r);
    const pick = [diag.loadReasonPrefill, diag.loadReasonDecode].filter((r) => rank(r) >= 0)
      .sort((a, b) => rank(a) - rank(b))[0];
    const [rp, rd] = [diag.loadReasonPrefill, diag.loadReasonDecode];
    diag.loadReason = pick ?? (rp !== "no_change" ? rp : rd);
    if (fp === cp.ready && fd === cd.ready) return null;
    return { prefill: fp, decode: fd };
  }
}

/** Record why a load step made no decision. */
function skip(diag: TickDiagnostics, reason: LoadReason): null {
  diag.loadReason = reason;
  return null;
}

function setEstimates(diag: TickDiagnostics, d: Desire): void {
  if (d.estTtftMs !== undefined) diag.estTtftMs = d.estTtftMs;
  if (d.estItlMs !== undefined) diag.estItlMs = d.estItlMs;
}

/** The reason a load step reports once its target has been clamped. */
function outcome(target: number, d: Desire, current: number): LoadReason {
  const wanted = d.desired ?? current;
  if (target > current) return d.reason === "scale_up_kv" ? "scale_up_kv" : "scale_up";
  if (wanted > current) return "capped";
  if (target < current) return target > wanted ? "scale_down_capped_by_throughput" : "scale_down";
  if (wanted < current) return "scale_down_capped_by_throughput";
  return d.reason === "scale_down_refused_consolidation" || d.desired === null ? d.reason : "no_change";
}
