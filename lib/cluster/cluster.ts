/**
 * The cluster: a discrete-event loop over arrivals, pass completions and KV hand-offs, driving worker pools
 * (one aggregated pool, or a prefill and a decode pool) behind their routers.
 *
 * Same-time events are drained to a fixed point before any idle engine starts its next pass, so requests that
 * arrive together are scheduled together. Every unfinished request always has a future event: it is queued
 * at an engine that is busy (its pass end is scheduled) or about to start, in the front end, in flight on a
 * link, parked while its prefix is copied back from a host KV tier (the copy's landing is scheduled), waiting
 * for its arrival, or waiting for KV room at its decode rank, whose blocks are held by requests that have such
 * events. An engine never runs an effect-free pass.
 *
 * The first stage's router queue is rechecked once the events of each instant have settled, and with the AIC
 * prefill-load model (whose loads drain between events) also on the reference's 100 ms timer while requests
 * wait: a recheck that releases none leaves no trace (the clock does not move, no event counts).
 *
 * Disaggregated hand-offs (reservation at the decode rank, the KV transfer, its landing) are the cluster's
 * {@link Handoffs} (`handoff.ts`); the KV offload tiers' copy landings its {@link CopyChecks} (`copies.ts`); the
 * workers, their lifecycle and their worker-seconds live in its {@link Fleet} (`fleet.ts`).
 *
 * @module
 */
import { type Engine, type RejectReason, RequestTable } from "../engine/mod.ts";
import { frontendLatencyMs } from "../perf/mod.ts";
import type { Collector } from "../metrics/mod.ts";
import type { Router } from "../router/mod.ts";
import type { Workload } from "../workload/mod.ts";
import { SessionDriver } from "./driver.ts";
import { EventQueue } from "../common/event_queue.ts";
import { ARRIVE, COPIES, HANDOFF, LINK, PASS_END, READY, ROUTE, STARTUP } from "./events.ts";
import { Fleet } from "./fleet.ts";
import { Handoffs } from "./handoff.ts";
import { CopyChecks } from "./copies.ts";
import type { ScalingController } from "./lifecycle.ts";
import type { ClusterResult, ClusterSetup, PoolState, Worker } from "./types.ts";

/**
 * One simulation's mutable state and event loop. Create, {@link Cluster.run} once, read the result.
 */
export class Cluster {
  readonly #s: ClusterSetup;
  readonly #w: Workload;
  readonly #req: RequestTable;
  readonly #col: Collector;
  readonly #queue = new EventQueue();
  readonly #driver: SessionDriver;
  readonly #fleet: Fleet;
  /** The fleet's pools, ranks, and pool and worker of each rank (arrays it only appends to). */
  readonly #pools: PoolState[];
  readonly #engines: Engine[];
  readonly #poolOf: number[];
  readonly #workerOf: Worker[];
  /** Engines to start a pass on once same-time events have settled (flagged in the fleet's `isDirty`). */
  readonly #dirty: Engine[] = [];
  readonly #handoffs: Handoffs;
  readonly #ctl: ScalingController | undefined;
  #nextTick = Infinity;
  /** When the first stage's router queue is next rechecked though no event comes (Infinity: none due). */
  #recheckAt = Infinity;
  readonly #copies: CopyChecks;
  /** Requests past the front end and not yet ended: the streams it serves (its load). */
  #inFlight = 0;
  #now = 0;
  #events = 0;
  /**
   * A request became ready or a closed-loop slot was freed: dispatch once the instant's events have settled, so
   * that every next turn due now is ready before new sessions take the slots.
   */
  #dispatchDue = false;
  /** Warm-up: whether the profiling phase has begun; the delay it put on the open-loop schedule; ready times. */
  #profiling: boolean;
  #shiftMs = 0;
  readonly #readyMs: Float64Array | undefined;

  constructor(setup: ClusterSetup) {
    this.#s = setup;
    this.#w = setup.workload;
    this.#col = setup.collector;
    this.#req = new RequestTable(setup.workload);
    const warmup = setup.warmupRequests ?? 0;
    this.#driver = new SessionDriver(setup.workload, setup.concurrency, warmup);
    this.#profiling = warmup === 0;
    if (warmup > 0 && this.#driver.openLoop) this.#readyMs = new Float64Array(setup.workload.requestCount);
    this.#ctl = setup.controller;
    const fleet = this.#fleet = new Fleet(setup, this.#req, this.#queue);
    this.#pools = fleet.pools;
    this.#engines = fleet.engines;
    this.#poolOf = fleet.poolOf;
    this.#workerOf = fleet.workerOf;
    this.#copies = new CopyChecks(this.#queue, fleet, (e) => this.#markDirty(e));
    const host = {
      now: () => this.#now,
      choose: (p: number, r: number) => this.#choose(p, r),
      reject: (r: number, router: Router, reason: RejectReason) => this.#reject(r, router, reason),
      markDirty: (e: Engine) => this.#markDirty(e),
      removeIfDrained: (e: Engine) => this.#removeIfDrained(e),
    };
    this.#handoffs = new Handoffs(host, {
      workload: setup.workload,
      requests: this.#req,
      collector: this.#col,
      queue: this.#queue,
      fleet,
      linkSharing: setup.linkSharing,
    });
  }

  /** Current simulated time, ms. */
  get nowMs(): number {
    return this.#now;
  }

  /** Live pool states (workers with their lifecycle state). */
  get pools(): readonly PoolState[] {
    return this.#pools;
  }

  /** Provisioned (starting, active, draining) worker-seconds so far, per pool. */
  get workerSeconds(): readonly number[] {
    return this.#fleet.workerSeconds;
  }

  /** Active (routable) worker-seconds so far, per pool. */
  get activeWorkerSeconds(): readonly number[] {
    return this.#fleet.activeSeconds;
  }

  /** Non-draining workers (starting + active) of pool `p`. */
  nonDraining(p: number): number {
    return this.#fleet.nonDraining(p);
  }

  /**
   * Scale pool `p` to `target` non-draining workers. Up: new workers start and become active (routable, cold
   * cache) after the pool's `startup_time`. Down: starting workers are cancelled first (newest first), then
   * active ones drain (newest first): they take no new requests and are removed once idle. Starting and
   * draining workers are billed as provisioned.
   */
  scaleTo(p: number, target: number): void {
    this.#fleet.scaleTo(p, target, this.#now);
  }

  /** Run to completion (or the time limit). */
  run(): ClusterResult {
    const q = this.#queue, limit = this.#s.limitMs;
    for (const [r, t] of this.#driver.initialArrivals()) q.push(t, ARRIVE, r);
    if (this.#ctl) this.#nextTick = this.#ctl.start(this);
    let truncated = false;
    for (;;) {
      // No work left, and ticking stops too: no request in the system and nothing queued but start-ups (a
      // worker still starting then serves nobody), or nothing but cancelled workers' start-ups.
      const f = this.#fleet;
      const idle = q.size === f.staleStartups ||
        (this.#inFlight === 0 && q.size === f.queuedStartups + this.#copies.queued);
      const t = idle ? Infinity : q.peekTime();
      if (t === Infinity) break;
      const next = Math.min(t, this.#nextTick);
      if (this.#recheckAt < next && this.#recheckAt <= limit) {
        this.#recheck();
        continue;
      }
      if (next > limit) {
        truncated = true;
        this.#advance(limit);
        for (const e of this.#engines) e.clipPass(this.#fleet.passStart[e.id], limit);
        break;
      }
      this.#advance(next);
      if (this.#nextTick < t) {
        // A tick strictly before the next event: work at the tick's own time has settled.
        this.#nextTick = this.#ctl!.tick(this.#now);
        if (this.#releaseHeld()) this.#startDirty(); // a worker the tick added may take queued requests
        if (this.#dispatchDue) this.#settle();
        continue;
      }
      while (q.size > 0 && q.peekTime() === t) {
        const kind = q.pop();
        this.#events++;
        this.#handle(kind, q.arg);
      }
      this.#settle();
    }
    return {
      pools: this.#pools,
      engines: this.#engines,
      endMs: this.#now,
      truncated,
      workerSeconds: this.#fleet.workerSeconds,
      activeWorkerSeconds: this.#fleet.activeSeconds,
      lifecycle: this.#fleet.lifecycle,
      events: this.#events,
      lowerTiers: this.#fleet.lower,
    };
  }

  /**
   * Let the work of this instant settle: dispatch what is due, release held requests, start idle engines; again
   * while a pass start's rejections freed closed-loop slots (their requests end now, not at the pass end).
   */
  #settle(): void {
    do {
      while (this.#dispatchDue) {
        this.#dispatchDue = false;
        if (!this.#profiling && this.#driver.profiling) this.#openProfiling();
        this.#dispatchReady(); // a request the router sheds frees its slot again
      }
      this.#releaseHeld();
      this.#startDirty();
    } while (this.#dispatchDue);
  }

  #handle(kind: number, arg: number): void {
    switch (kind) {
      case ARRIVE:
        if (this.#shiftMs > 0) this.#queue.push(this.#now + this.#shiftMs, READY, arg);
        else this.#ready(arg);
        break;
      case READY:
        this.#ready(arg);
        break;
      case ROUTE:
        this.#admitted(arg);
        break;
      case PASS_END:
        this.#endPass(this.#engines[arg]);
        break;
      case HANDOFF:
        this.#handoffs.arrive(arg);
        break;
      case LINK:
        this.#handoffs.linkCheck(arg);
        break;
      case COPIES:
        this.#copies.handle(arg, this.#now);
        break;
      case STARTUP: {
        const w = this.#workerOf[arg];
        this.#fleet.queuedStartups--;
        if (w.state === "starting") this.#fleet.activate(w, this.#now);
        else this.#fleet.staleStartups--; // cancelled while starting
        break;
      }
    }
  }

  /** `r` is ready to go: hand it to the driver, which releases it once the instant has settled. */
  #ready(r: number): void {
    if (this.#readyMs) this.#readyMs[r] = this.#now;
    this.#driver.ready(r);
    this.#dispatchDue = true;
  }

  /**
   * The last warm-up request ended: the profiling phase starts now. Closed loop: the held requests go out at
   * once (up to the concurrency). Open loop: the workload's remaining schedule is delayed by how late its
   * first held session start now is, so the profiling phase keeps the trace's spacing, starting now; a held
   * next turn, due after a request that has ended, goes now.
   */
  #openProfiling(): void {
    this.#profiling = true;
    const ready = this.#readyMs;
    if (!ready) return;
    const held = this.#driver.takeHeld(), waits = this.#w.waitCount;
    if (held.length === 0) return;
    let first = Infinity;
    for (const r of held) if (waits[r] === 0) first = Math.min(first, ready[r]);
    if (first < Infinity) this.#shiftMs = this.#now - first;
    for (const r of held) {
      const at = waits[r] === 0 ? ready[r] + this.#shiftMs : this.#now;
      this.#queue.push(Math.max(this.#now, at), READY, r);
    }
  }

  /** Dispatch every request the driver releases now. */
  #dispatchReady(): void {
    const driver = this.#driver;
    for (let r = driver.take(); r >= 0; r = driver.take()) {
      this.#col.arrive(r, this.#now, driver.warmup[r] === 1);
      this.#req.reset(r, this.#pools.length > 1 ? 1 : this.#w.outputLength[r]);
      const delayMs = this.#frontendMs(r);
      if (delayMs > 0) this.#queue.push(this.#now + delayMs, ROUTE, r);
      else this.#admitted(r);
      this.#fire(r, 1);
    }
  }

  /**
   * `r` leaves the front end: it joins the streams in flight and goes to the first stage's router, which
   * routes it, holds it in its queue, or sheds it (its policy class's queue is full).
   */
  #admitted(r: number): void {
    this.#inFlight++;
    this.#ctl?.arrived(r);
    const pool = this.#pools[0], router = pool.router;
    const admission = router.hold(r, this.#now, pool.candidates, pool.candidates.length);
    if (router.classifying) this.#col.routerClassed(r, router.lastClass);
    switch (admission) {
      case "route":
        return this.#routeFirst(r);
      case "hold":
        return this.#col.routerHeld(r, this.#now);
      case "shed":
        this.#col.reject(r, this.#now, "router_queue_limit");
        this.#ended(r);
    }
  }

  /** Route `r` in the first pool and tell the controller, which reads the prefix overlap it was routed with. */
  #routeFirst(r: number): void {
    this.#route(0, r);
    this.#ctl?.routed(r);
  }

  /**
   * Route the requests the first stage's router queue releases now; whether any went. Called once events at
   * a time have settled, the reference's lifecycle edges (a worker's load falls at a prefill's end or a
   * request's, and a worker joins at an event or a tick), and at {@link Cluster.#recheck}. Sets when the
   * queue is next rechecked between events.
   */
  #releaseHeld(): boolean {
    const { router, candidates } = this.#pools[0];
    let any = false;
    for (
      let r = router.release(candidates, candidates.length, this.#now);
      r >= 0;
      r = router.release(candidates, candidates.length, this.#now)
    ) {
      this.#col.routerReleased(r, this.#now);
      this.#routeFirst(r);
      any = true;
    }
    this.#recheckAt = router.nextRecheck(this.#now);
    return any;
  }

  /**
   * The router queue's timed recheck, due before the next event or tick ({@link Router.nextRecheck}): when a
   * queued request may go then, the clock moves there and the instant settles as at an event; otherwise
   * nothing changes and the next recheck is due a period later.
   */
  #recheck(): void {
    const at = this.#recheckAt, { router, candidates } = this.#pools[0];
    const r = router.release(candidates, candidates.length, at);
    if (r < 0) {
      this.#recheckAt = router.nextRecheck(at);
      return;
    }
    this.#advance(at);
    this.#events++;
    this.#col.routerReleased(r, at);
    this.#routeFirst(r);
    this.#settle();
  }

  /** The front-end latency of `r` dispatched now: its prompt, and the streams in flight per first-stage worker. */
  #frontendMs(r: number): number {
    const f = this.#s.pools[0].config.frontend;
    if (f.baseMs === 0 && f.perInputTokenMs === 0 && f.perRequestInFlightMs === 0) return 0;
    const load = this.#inFlight / Math.max(1, this.#fleet.active[0]);
    return frontendLatencyMs(f, this.#w.inputLength[r], load);
  }

  /** Route `r` within pool `p` and queue it at the chosen rank. */
  #route(p: number, r: number): Engine {
    const engine = this.#choose(p, r);
    engine.enqueue(r);
    this.#markDirty(engine);
    return engine;
  }

  /** The rank of pool `p` its router picks for `r` (the router records the choice). */
  #choose(p: number, r: number): Engine {
    const pool = this.#pools[p];
    const engine = pool.candidates[pool.router.select(r, pool.candidates, pool.candidates.length, this.#now)];
    pool.router.added(r, engine, this.#now);
    return engine;
  }

  #startDirty(): void {
    const dirty = this.#dirty, fleet = this.#fleet;
    for (let i = 0; i < dirty.length; i++) {
      const e = dirty[i];
      fleet.isDirty[e.id] = 0;
      if (e.busy || !e.hasWork) continue;
      if (e.config.attentionDp > 1) {
        this.#startGroup(this.#workerOf[e.id].ranks);
        continue;
      }
      const duration = e.startPass(this.#now);
      this.#copies.check(e, this.#now);
      if (duration >= 0) this.#started(e, duration);
    }
    dirty.length = 0;
  }

  /**
   * Start a pass of an idle attention-DP group: every rank schedules its own pass, and all of them end when
   * the slowest does (a rank with nothing to run sits the pass out, as vLLM's idle DP ranks run dummy batches).
   * A rank that ran records the group's duration as its pass's wall time.
   */
  #startGroup(ranks: readonly Engine[]): void {
    let duration = -1;
    for (const e of ranks) {
      duration = Math.max(duration, e.startPass(this.#now));
      this.#copies.check(e, this.#now);
    }
    if (duration < 0) return;
    for (const e of ranks) {
      if (e.busy) e.last.wallMs = duration; // set by its startPass: it ran
      this.#started(e, duration);
    }
  }

  /** `e` started a pass lasting `duration` ms (a group's) now: deliver its start and schedule its end. */
  #started(e: Engine, duration: number): void {
    e.busy = true;
    this.#fleet.passStart[e.id] = this.#now;
    this.#afterStart(e);
    this.#queue.push(this.#now + duration, PASS_END, e.id);
    // The pass freed the KV and slots of the requests it finished: hand-offs may reserve them.
    this.#handoffs.reserve(e);
  }

  /** Deliver what happens at a pass start: admissions and rejections. */
  #afterStart(e: Engine): void {
    const col = this.#col, now = this.#now, decode = e.config.role === "decode";
    for (let j = 0; j < e.admittedCount; j++) {
      const r = e.admittedIds[j];
      if (decode) col.admitDecode(r, now);
      else col.admit(r, now, e.admittedCached[j], e.id);
    }
    if (e.rejectedIds.length === 0) return;
    const router = this.#pools[this.#poolOf[e.id]].router;
    for (let j = 0; j < e.rejectedIds.length; j++) {
      this.#reject(e.rejectedIds[j], router, e.rejectedReasons[j]);
    }
  }

  /** `r` can never run where `router` sent it: free its routing slot, record why, and end it. */
  #reject(r: number, router: Router, reason: RejectReason): void {
    router.freed(r, this.#now);
    this.#col.reject(r, this.#now, reason);
    this.#ended(r);
  }

  #endPass(e: Engine): void {
    e.endPass(this.#now);
    this.#copies.check(e, this.#now);
    const now = this.#now, req = this.#req;
    const router = this.#pools[this.#poolOf[e.id]].router;
    for (let j = 0; j < e.prefillDoneCount; j++) router.prefillDone(e.prefillDone[j], now);
    if (e.config.role === "prefill") {
      for (let j = 0; j < e.finishedCount; j++) {
        const r = e.finished[j];
        router.freed(r, now);
        this.#handoffs.start(r, e);
      }
    } else {
      this.#col.tokens(e.emitted, req.burst, e.emittedCount, this.#fleet.passStart[e.id], now);
      for (let j = 0; j < e.finishedCount; j++) {
        const r = e.finished[j];
        router.freed(r, now);
        this.#col.complete(r, now);
        this.#ctl?.completed(r);
        this.#ended(r);
      }
    }
    this.#markDirty(e);
    this.#removeIfDrained(e);
  }

  /** Remove `e`'s worker if it is draining and now idle. */
  #removeIfDrained(e: Engine): void {
    const w = this.#workerOf[e.id];
    if (w.state === "draining") this.#fleet.removeIfIdle(w, this.#now);
  }

  /**
   * A request left the system: fire its edges (its session's next turn waits for this). Its closed-loop slot is
   * refilled once same-time events have settled ({@link Cluster.#dispatchDue}).
   */
  #ended(r: number): void {
    this.#inFlight--;
    this.#driver.ended(r);
    this.#fire(r, 0);
    this.#dispatchDue = true;
  }

  /**
   * Fire `r`'s edges of one kind (`onDispatch` 1: at its dispatch; 0: at its end). A request whose last edge
   * fired is ready when the edges' delays have passed, and in open loop not before its start floor (shifted
   * with the trace after a warm-up).
   */
  #fire(r: number, onDispatch: number): void {
    const w = this.#w, driver = this.#driver;
    for (let i = w.succOffset[r]; i < w.succOffset[r + 1]; i++) {
      if (w.succOnDispatch[i] !== onDispatch) continue;
      const s = w.succ[i], due = driver.release(s, this.#now + w.succDelayMs[i]);
      if (due < 0) continue;
      const floor = driver.openLoop ? w.arrivalMs[s] + this.#shiftMs : 0;
      this.#queue.push(Math.max(due, floor), READY, s);
    }
  }

  #markDirty(e: Engine): void {
    const isDirty = this.#fleet.isDirty;
    if (isDirty[e.id]) return;
    isDirty[e.id] = 1;
    this.#dirty.push(e);
  }

  /** Move the clock to `t`, integrating provisioned and active worker-seconds. */
  #advance(t: number): void {
    const dt = (t - this.#now) / 1000;
    if (dt > 0) this.#fleet.accrue(dt);
    this.#now = t;
  }
}
