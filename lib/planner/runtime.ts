/**
 * The planner as a simulation participant (the reference's replay adapter): it bootstraps the regressions,
 * collects traffic and forward-pass metrics from the running cluster, runs the {@link PlannerStateMachine} on
 * each tick and applies its decisions through {@link Cluster.scaleTo}. Pure and deterministic.
 *
 * Forward-pass metrics: each active rank reports the latest pass since the previous tick. A rank that ran no
 * pass since then and is idle now reports an idle FPM (the reference keeps its last, stale FPM and, for a
 * newly active worker without one, refuses to decide: `worker_count_mismatch`, its §9 item 14). The
 * regressions learn from the passes run since the previous tick.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Cluster, PoolState, ScalingController } from "../cluster/mod.ts";
import type { Engine } from "../engine/mod.ts";
import type { Collector } from "../metrics/mod.ts";
import type { Workload } from "../workload/mod.ts";
import { type BootstrapStatus, decodeBootstrap, prefillBootstrap } from "./bootstrap.ts";
import type { EffectivePlanner } from "./config.ts";
import { PlannerStateMachine, type ScheduledTick, type TickDiagnostics } from "./state_machine.ts";
import {
  arrivalSpanMs,
  checkTickBudget,
  MAX_PLANNER_TICKS,
  MAX_REPORT_INTERVALS,
  tooManyIntervals,
  tooManyTicks,
} from "./tick_budget.ts";
import { TrafficWindow } from "./traffic.ts";
import {
  type Component,
  type ComponentCounts,
  type EngineCapabilities,
  type Fpm,
  idleFpm,
  type TrafficObservation,
} from "./types.ts";

/** A change of a component's worker count, as the reference records and prints it. */
export interface ScalingEvent {
  readonly atS: number;
  readonly component: Component;
  readonly from: number;
  readonly to: number;
  readonly reason: "scale_up" | "scale_down";
}

/** Per-engine load at a load tick: engine id, queued prompt tokens, decode KV (scheduled + queued). */
export type EngineLoad = readonly [engine: number, queuedPrefillTokens: number, decodeKvTokens: number];

/** Everything recorded at one tick (what the HTML report draws). */
export interface TickRecord {
  readonly atS: number;
  readonly load: boolean;
  readonly throughput: boolean;
  /** Active, starting and draining workers per component (prefill absent in agg). */
  readonly prefill?: WorkerStates;
  readonly decode: WorkerStates;
  readonly diagnostics: TickDiagnostics;
  readonly traffic?: TrafficObservation;
  readonly prefillEngines?: readonly EngineLoad[];
  readonly decodeEngines?: readonly EngineLoad[];
  /** The decision's targets (null = unchanged). */
  readonly target?: { readonly prefill: number | null; readonly decode: number | null };
  /** Cumulative provisioned and active GPU-hours at the tick. */
  readonly gpuHours: number;
  readonly activeGpuHours: number;
}

/** Worker counts of one component by lifecycle state. */
export interface WorkerStates {
  readonly active: number;
  readonly starting: number;
  readonly draining: number;
}

/** Bootstrap outcome (§6.6). */
export interface BootstrapInfo {
  readonly status: BootstrapStatus;
  readonly granularity: number;
  readonly prefillFpms: number;
  readonly decodeFpms: number;
  /** sha256 of the bootstrap FPMs, to compare runs. */
  readonly sha256: string | null;
}

/** How the planner is set up for one run. */
export interface PlannerSetup {
  readonly planner: EffectivePlanner;
  readonly benchmarkGranularity: number;
  readonly workload: Workload;
  readonly collector: Collector;
  /**
   * GPUs per worker, per pool: `prefill/decode_engine_num_gpu`, else the engine's TP × DP. The planner's GPU
   * budget and GPU-hours both count them.
   */
  readonly gpusPerWorker: readonly number[];
  /** Historical traffic windows to warm the predictors with. */
  readonly warmup?: readonly TrafficObservation[];
  /**
   * Whether requests arrive at the workload's times (open loop) or as slots free (closed loop). With
   * `limitMs`, it lets the constructor refuse a run whose arrivals alone span more planner ticks or report
   * intervals than a run may take ({@link checkTickBudget}); unset, only the run itself stops at them.
   */
  readonly openLoop?: boolean;
  /** The run's time limit, ms (`max_sim_time_seconds`; `Infinity`: none). See {@link PlannerSetup.openLoop}. */
  readonly limitMs?: number;
}

/** The most tick records kept (the reference's diagnostics cap). */
export const MAX_TICK_RECORDS = 50_000;

/** One `report_interval_hours` window of a run, counted over every tick (records or not). */
export interface IntervalTotals {
  /** Ticks within the window. */
  ticks: number;
  /** Cumulative GPU-hours (provisioned, active-worker) at the window's last tick. */
  gpuHours: number;
  activeGpuHours: number;
}

/** The planner in the loop. Create per run, pass as the cluster's controller, read the results after. */
export class PlannerRuntime implements ScalingController {
  readonly setup: PlannerSetup;
  readonly ticks: TickRecord[] = [];
  readonly events: ScalingEvent[] = [];
  totalTicks = 0;
  /** Ticks, recorded or not, at which the GPU budget held back a load decision ({@link budgetCappedTicks}). */
  #cappedTicks = 0;
  /** The time of the last tick (s), recorded or not. */
  lastTickS = 0;
  /**
   * Per `report_interval_hours` window `(k·h, (k+1)·h]`, over every tick: the per-interval reports' totals,
   * beyond the {@link MAX_TICK_RECORDS} records too. Empty without intervals.
   */
  readonly intervals: IntervalTotals[] = [];
  bootstrap: BootstrapInfo;
  #sm!: PlannerStateMachine;
  #cluster!: Cluster;
  #pending!: ScheduledTick;
  readonly #window: TrafficWindow;
  /** Per engine id: passes seen at the last tick, and the last FPM. */
  readonly #seenPasses: number[] = [];
  readonly #cache: (Fpm | undefined)[] = [];
  #forwards = 0;
  #tokens = 0;

  /** @throws InputError where the workload's arrivals span more ticks or report intervals than a run may take. */
  constructor(setup: PlannerSetup) {
    if (setup.openLoop !== undefined && setup.limitMs !== undefined) {
      checkTickBudget(setup.planner, arrivalSpanMs(setup.workload, setup.openLoop), setup.limitMs);
    }
    this.setup = setup;
    this.#window = new TrafficWindow(setup.planner.config.demand_counting, 0);
    this.bootstrap = {
      status: "not_required",
      granularity: setup.benchmarkGranularity,
      prefillFpms: 0,
      decodeFpms: 0,
      sha256: null,
    };
  }

  /** The state machine (for tests and reports). */
  get stateMachine(): PlannerStateMachine {
    return this.#sm;
  }

  start(cluster: Cluster): number {
    this.#cluster = cluster;
    const pools = cluster.pools, last = pools.length - 1, g = this.setup.gpusPerWorker;
    this.#sm = new PlannerStateMachine(this.setup.planner, {
      prefill: pools.length > 1 ? capabilities(pools[0], g[0]) : undefined,
      decode: capabilities(pools[last], g[last]),
    });
    this.#bootstrapRegressions(pools);
    if (this.setup.warmup) this.#sm.warmPredictors(this.setup.warmup);
    this.#pending = this.#sm.initialTick(0);
    return this.#pending.atS * 1000;
  }

  arrived(r: number): void {
    const w = this.setup.workload;
    this.#window.arrived(w.inputLength[r], w.outputLength[r]);
  }

  routed(r: number): void {
    const w = this.setup.workload, router = this.#cluster.pools[0].router;
    // Hits are reported by KV-router admissions only: behind another router the planner sees none, as in the
    // reference (its round robin dispatches without an admission record).
    const overlap = router.mode === "kv_router" ? router.overlapBlocks[r] : 0;
    this.#window.routed(overlap, Math.ceil(w.inputLength[r] / w.blockSize));
  }

  completed(r: number): void {
    const c = this.setup.collector, out = c.outputTokens[r];
    const ttft = c.firstTokenMs[r] - c.arrivalMs[r];
    const itl = out > 1 ? (c.lastTokenMs[r] - c.firstTokenMs[r]) / (out - 1) : NaN;
    this.#window.completed(this.setup.workload.inputLength[r], out, ttft, itl);
  }

  tick(nowMs: number): number {
    const tick = this.#pending, cluster = this.#cluster, pools = cluster.pools, disagg = pools.length > 1;
    const nowS = nowMs / 1000;
    // Passes slower than the arrivals stretched the run past what the constructor could check.
    if (this.totalTicks >= MAX_PLANNER_TICKS) throw tooManyTicks(this.setup.planner, nowS);
    const counts = pools.map((_, p) => componentCounts(cluster, p));
    const fpms = tick.load ? pools.map((pool) => this.#collectFpms(pool)) : undefined;
    const traffic = tick.traffic ? this.#window.drain(nowMs, this.#acceptLength()) : undefined;
    const effects = this.#sm.onTick(tick, {
      nowS,
      prefill: disagg ? counts[0] : undefined,
      decode: counts[pools.length - 1],
      fpms: fpms && { prefill: disagg ? fpms[0] : [], decode: fpms[pools.length - 1] },
      traffic,
    });
    this.totalTicks++;
    if (isCapped(effects.diagnostics)) this.#cappedTicks++;
    const d = effects.decision;
    if (d) {
      if (disagg && d.prefill !== null) this.#apply(0, d.prefill, "prefill", nowS);
      if (d.decode !== null) this.#apply(pools.length - 1, d.decode, disagg ? "decode" : "agg", nowS);
    }
    if (this.ticks.length < MAX_TICK_RECORDS) {
      this.ticks.push(this.#record(tick, nowS, effects.diagnostics, traffic, fpms, d));
    }
    this.lastTickS = nowS;
    this.#countInterval(nowS);
    this.#pending = effects.next;
    return effects.next.atS * 1000;
  }

  /** Add the tick at `nowS` to its report interval (windows without ticks carry the totals before them). */
  #countInterval(nowS: number): void {
    const hours = this.setup.planner.config.report_interval_hours;
    if (hours == null) return;
    const k = Math.max(0, Math.ceil(nowS / (hours * 3600)) - 1), list = this.intervals;
    if (k >= MAX_REPORT_INTERVALS) throw tooManyIntervals(this.setup.planner, nowS);
    const gpu = this.gpuHours();
    while (list.length <= k) {
      const before = list[list.length - 1];
      list.push({ ticks: 0, gpuHours: before?.gpuHours ?? 0, activeGpuHours: before?.activeGpuHours ?? 0 });
    }
    list[k].ticks++;
    list[k].gpuHours = gpu.provisioned;
    list[k].activeGpuHours = gpu.active;
  }

  /**
   * How many ticks had the GPU budget hold back a load decision that wanted more workers: every tick of the
   * run, beyond the {@link MAX_TICK_RECORDS} records too.
   */
  budgetCappedTicks(): number {
    return this.#cappedTicks;
  }

  /** The warning for a run whose GPU budget held back scaling up ({@link budgetCappedTicks}); none otherwise. */
  budgetWarnings(): string[] {
    if (this.budgetCappedTicks() === 0) return [];
    return [
      `the GPU budget (max_gpu_budget ${this.setup.planner.config.max_gpu_budget}) held back scaling up: ` +
      `the fleet would have grown further (raise it, or -1 for no budget; planner.budget_capped_ticks ` +
      `counts the ticks)`,
    ];
  }

  /** Cumulative GPU-hours so far: provisioned (starting + active + draining) and active only. */
  gpuHours(): { provisioned: number; active: number } {
    const c = this.#cluster, g = this.setup.gpusPerWorker;
    let provisioned = 0, active = 0;
    for (let p = 0; p < g.length; p++) {
      provisioned += c.workerSeconds[p] * g[p] / 3600;
      active += c.activeWorkerSeconds[p] * g[p] / 3600;
    }
    return { provisioned, active };
  }

  #apply(pool: number, target: number, component: Component, atS: number): void {
    const from = this.#cluster.nonDraining(pool);
    if (target === from) return;
    this.events.push({ atS, component, from, to: target, reason: target > from ? "scale_up" : "scale_down" });
    this.#cluster.scaleTo(pool, target);
  }

  #bootstrapRegressions(pools: readonly PoolState[]): void {
    const eff = this.setup.planner, g = this.setup.benchmarkGranularity;
    if (eff.easyMode) return;
    if ((eff.config.pre_deployment_sweeping_mode ?? "none") === "none") {
      this.bootstrap = { ...this.bootstrap, status: "not_configured_load_only" };
      return;
    }
    const p = pools[0].setup, d = pools[pools.length - 1].setup;
    const prefill = prefillBootstrap(p.perf, p.config, g), decode = decodeBootstrap(d.perf, d.config, g);
    const installed = eff.config.mode === "agg"
      ? prefill.length + decode.length > 0
      : prefill.length > 0 && decode.length > 0;
    if (installed) this.#sm.loadBenchmarkFpms(prefill, decode);
    this.bootstrap = {
      status: installed ? "installed" : "empty",
      granularity: g,
      prefillFpms: prefill.length,
      decodeFpms: decode.length,
      sha256: createHash("sha256").update(JSON.stringify({ prefill, decode })).digest("hex"),
    };
  }

  /**
   * Latest FPM of each rank of the pool's active workers, as the reference's FPM buffer holds them: a new pass's,
   * the same one again while its pass runs on, an idle FPM for a rank idle since its last pass.
   */
  #collectFpms(pool: PoolState): Fpm[] {
    const out: Fpm[] = [];
    for (const w of pool.workers) {
      if (w.state !== "active") continue;
      // A worker is known by its first rank's engine id; its ranks' ids follow it.
      const worker = w.ranks[0].id;
      w.ranks.forEach((e, rank) => {
        if (e.passes !== (this.#seenPasses[e.id] ?? 0)) {
          this.#seenPasses[e.id] = e.passes;
          this.#cache[e.id] = fpmOf(e, worker, rank);
        } else if (!e.hasWork) {
          // Idle, even while its attention-DP group runs a pass it sits out (the group marks it busy).
          this.#cache[e.id] = idleFpm(worker, rank);
        }
        out.push(this.#cache[e.id] ?? idleFpm(worker, rank));
      });
    }
    return out;
  }

  /** Visible tokens per decode request-forward since the last traffic window, or null. */
  #acceptLength(): number | null {
    let forwards = 0, tokens = 0;
    for (const pool of this.#cluster.pools) {
      for (const w of pool.workers) {
        for (const e of w.ranks) (forwards += e.decodeForwards), (tokens += e.decodeTokens);
      }
    }
    const df = forwards - this.#forwards, dt = tokens - this.#tokens;
    this.#forwards = forwards;
    this.#tokens = tokens;
    return df > 0 ? dt / df : null;
  }

  #record(
    tick: ScheduledTick,
    atS: number,
    diagnostics: TickDiagnostics,
    traffic: TrafficObservation | undefined,
    fpms: Fpm[][] | undefined,
    decision: { prefill: number | null; decode: number | null } | null,
  ): TickRecord {
    const pools = this.#cluster.pools, disagg = pools.length > 1, gpu = this.gpuHours();
    const loads = (f: Fpm[]) =>
      f.map((
        x,
      ): EngineLoad => [
        x.worker + x.rank, // the rank's engine id
        x.sumQueuedPrefillTokens,
        x.sumDecodeKvTokens + x.sumQueuedDecodeKvTokens,
      ]);
    return {
      atS,
      load: tick.load,
      throughput: tick.throughput,
      prefill: disagg ? workerStates(pools[0]) : undefined,
      decode: workerStates(pools[pools.length - 1]),
      diagnostics,
      traffic,
      prefillEngines: fpms && disagg ? loads(fpms[0]) : undefined,
      decodeEngines: fpms ? loads(fpms[pools.length - 1]) : undefined,
      target: decision ?? undefined,
      gpuHours: gpu.provisioned,
      activeGpuHours: gpu.active,
    };
  }
}

/** Whether the GPU budget held back a load decision that wanted more workers. */
function isCapped(d: TickDiagnostics): boolean {
  return d.loadReason === "capped" || d.loadReasonPrefill === "capped" || d.loadReasonDecode === "capped";
}

/**
 * The FPM of engine `e`'s last pass. Queued: on a decode rank everything waiting is decode work (hand-offs,
 * preempted requests); elsewhere preempted requests are queued decode and the rest queued prefill, as the
 * reference's FPM counts them.
 */
function fpmOf(e: Engine, worker: number, rank: number): Fpm {
  const s = e.last, decode = e.config.role === "decode", pre = e.lastPreempted;
  return {
    worker,
    rank,
    wallTimeS: s.wallMs / 1000,
    numPrefill: s.prefillRequests,
    sumPrefillTokens: s.prefillTokens,
    sumPrefillKvTokens: s.prefillKvTokens,
    numDecode: s.decodeRequests,
    sumDecodeKvTokens: s.decodeKvTokens,
    numQueuedPrefill: decode ? 0 : s.queuedRequests - pre.requests,
    sumQueuedPrefillTokens: decode ? 0 : s.queuedTokens - pre.tokens,
    numQueuedDecode: decode ? s.queuedRequests : pre.requests,
    sumQueuedDecodeKvTokens: decode ? s.queuedTokens : pre.tokens,
  };
}

/**
 * Engine capabilities of a pool, as the reference derives them from engine args; `numGpu`, what the GPU budget
 * counts per worker, is the planner's `*_engine_num_gpu` where set (the reference's budget reads those), else
 * the engine's TP × DP; `nextn`, the speculative draft count, is `aic_nextn` (one accept rate per draft).
 */
export function capabilities(
  pool: PoolState,
  numGpu: number = pool.setup.config.gpusPerWorker,
): EngineCapabilities {
  const c = pool.setup.config;
  return {
    numGpu,
    maxNumBatchedTokens: c.maxNumBatchedTokens,
    maxNumSeqs: c.maxNumSeqs,
    contextLength: Number.isFinite(c.maxModelLen) ? c.maxModelLen : null,
    maxKvTokens: c.numGpuBlocks * c.blockSize * c.dpSize,
    ranks: c.dpSize,
    nextn: pool.setup.acceptRates?.length ?? 0,
  };
}

function componentCounts(cluster: Cluster, p: number): ComponentCounts {
  let ready = 0;
  for (const w of cluster.pools[p].workers) if (w.state === "active") ready++;
  return { ready, expected: cluster.nonDraining(p) };
}

function workerStates(pool: PoolState): WorkerStates {
  let active = 0, starting = 0, draining = 0;
  for (const w of pool.workers) {
    if (w.state === "active") active++;
    else if (w.state === "starting") starting++;
    else if (w.state === "draining") draining++;
  }
  return { active, starting, draining };
}
