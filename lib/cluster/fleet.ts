/**
 * The cluster's workers: each pool's router, workers and routable ranks; every rank with its pool, its worker
 * and the per-rank arrays the event loop indexes; the worker lifecycle (start, activate, cancel, drain,
 * remove) with its log; and the provisioned and active worker counts and worker-seconds of each pool.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { formatCount, formatFixed } from "../common/format.ts";
import { Rng } from "../common/rng.ts";
import {
  Engine,
  type EngineConfig,
  LowerTiers,
  lowerTiersBytes,
  OpTotals,
  type RequestTable,
} from "../engine/mod.ts";
import { resolveProfile, Router, stageConfig } from "../router/mod.ts";
import type { EventQueue } from "../common/event_queue.ts";
import { STARTUP } from "./events.ts";
import type { LifecycleOp } from "./lifecycle.ts";
import type { ClusterSetup, PoolState, Worker } from "./types.ts";

/** The most memory the engines a simulation creates may allocate (its starting fleet and every scale-up). */
export const MAX_FLEET_BYTES = 8 * 2 ** 30;

/**
 * `bytes` over {@link MAX_FLEET_BYTES} against the limit, in GiB, rounded up (a size over the limit never
 * reads as the limit).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { overFleetLimit } from "./fleet.ts";
 * assert.equal(overFleetLimit(8.001 * 2 ** 30), "8.01 GiB, more than a simulation may (8 GiB)");
 * ```
 */
export function overFleetLimit(bytes: number, limit = MAX_FLEET_BYTES): string {
  const gib = (b: number) => Math.ceil(b / 2 ** 30 * 100) / 100;
  return `${formatFixed(gib(bytes), 2)} GiB, more than a simulation may (${formatCount(gib(limit), 2)} GiB)`;
}

/**
 * Bytes one worker with `config` allocates: each of its ranks' engine state ({@link Engine.stateBytes}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { workerBytes } from "./fleet.ts";
 * import { Engine, resolveEngineArgs } from "../engine/mod.ts";
 * const { config } = resolveEngineArgs({ dp_size: 4 }, "aggregated");
 * assert.equal(workerBytes(config), 4 * Engine.stateBytes(config));
 * ```
 */
export function workerBytes(config: EngineConfig): number {
  return config.dpSize * Engine.stateBytes(config);
}

/**
 * Every pool's workers and ranks, their lifecycle and their billing. The cluster owns one, moves its clock
 * and passes the time in; scaling schedules a starting worker's activation as a `STARTUP` event.
 */
export class Fleet {
  /** Live pool states (workers with their lifecycle state). */
  readonly pools: PoolState[] = [];
  /** Every rank created so far, by engine id, with its pool and its worker. */
  readonly engines: Engine[] = [];
  readonly poolOf: number[] = [];
  readonly workerOf: Worker[] = [];
  /**
   * Per engine id, grown as ranks are added: queued in the cluster's dirty list; start time of its pass in
   * flight; hand-offs on their way to it, waiting for KV room or in transfer (a draining target stays until
   * they land).
   */
  isDirty: Uint8Array = new Uint8Array(16);
  passStart: Float64Array = new Float64Array(16);
  inbound: Int32Array = new Int32Array(16);
  /** Per pool: provisioned and active worker counts. */
  readonly provisioned: number[];
  readonly active: number[];
  /** Per pool: provisioned (starting, active, draining) and active worker-seconds so far. */
  readonly workerSeconds: number[];
  readonly activeSeconds: number[];
  /** Lifecycle steps after the initial deployment. */
  readonly lifecycle: LifecycleOp[] = [];
  /** The disk tier and object store every rank's host tier writes through to, or null (`LowerTiers`). */
  readonly lower: LowerTiers | null;
  /** Start-up events still queued, the {@link staleStartups} included. */
  queuedStartups = 0;
  /** Start-up events still queued for workers cancelled while starting: no work, so they keep no run going. */
  staleStartups = 0;
  readonly #req: RequestTable;
  readonly #queue: EventQueue;
  /**
   * What the live engines allocated: those created so far, less what removed workers' ranks gave back (a rank
   * stays indexed, with its counters, after its worker leaves).
   */
  #bytes = 0;
  readonly #maxBytes: number;

  /** Build every pool's router and its initial, active workers. */
  constructor(setup: ClusterSetup, requests: RequestTable, queue: EventQueue) {
    this.#req = requests;
    this.#queue = queue;
    this.#maxBytes = setup.maxFleetBytes ?? MAX_FLEET_BYTES;
    this.workerSeconds = setup.pools.map(() => 0);
    this.activeSeconds = setup.pools.map(() => 0);
    this.provisioned = setup.pools.map(() => 0);
    this.active = setup.pools.map(() => 0);
    const lower = setup.pools.find((p) => p.config.lowerTiers !== null)?.config.lowerTiers ?? null;
    this.lower = lower && new LowerTiers(lower);
    if (lower) this.#bytes += lowerTiersBytes(lower);
    const routerRng = new Rng(setup.seed);
    setup.pools.forEach((pool, p) => {
      const policy = pool.config.routerQueuePolicy;
      const estimator = p === 0 ? setup.routerPrefillModel : undefined;
      const config = stageConfig(
        policy ? { ...setup.routerConfig, router_queue_policy: policy } : setup.routerConfig,
        pool.stage,
      );
      const classes = p === 0 ? setup.routerPolicy : undefined;
      const router = new Router(
        setup.routerMode,
        config,
        setup.workload,
        pool.config.blockSize,
        routerRng.nextU32(),
        {
          prefillMs: estimator && ((isl, prefix) => estimator.prefillMs(1, isl, prefix)),
          profile: classes && resolveProfile(classes.doc, classes.modelName, config),
          stage: pool.stage,
        },
      );
      this.pools.push({ setup: pool, router, workers: [], candidates: [] });
      for (let i = 0; i < pool.workers; i++) this.activate(this.#addWorker(p), 0, true);
    });
  }

  /** Non-draining workers (starting + active) of pool `p`. */
  nonDraining(p: number): number {
    let n = 0;
    for (const w of this.pools[p].workers) if (w.state === "starting" || w.state === "active") n++;
    return n;
  }

  /** Scale pool `p` to `target` non-draining workers at `nowMs` (see `Cluster.scaleTo`). */
  scaleTo(p: number, target: number, nowMs: number): void {
    if (target < 1) throw new Error(`cluster: scale target ${target} below one worker (bug)`);
    const workers = this.pools[p].workers;
    let current = this.nonDraining(p);
    const config = this.pools[p].setup.config, delayMs = config.startupTimeS * 1000;
    const bytes = this.#bytes + Math.max(0, target - current) * workerBytes(config);
    if (bytes > this.#maxBytes) {
      const over = overFleetLimit(bytes, this.#maxBytes);
      throw new InputError(
        `scaling the ${this.pools[p].setup.stage} pool to ${formatCount(target)} workers would take the ` +
          `engines of this run to ${over}; bound the planner with max_gpu_budget or a smaller min_endpoint`,
        { field: "planner.max_gpu_budget" },
      );
    }
    for (; current < target; current++) {
      const w = this.#addWorker(p);
      this.#log(w, "start", nowMs);
      if (delayMs > 0) {
        this.#queue.push(nowMs + delayMs, STARTUP, w.ranks[0].id);
        this.queuedStartups++;
      } else this.activate(w, nowMs);
    }
    for (let i = workers.length - 1; i >= 0 && current > target; i--) {
      if (workers[i].state !== "starting") continue;
      workers[i].state = "removed";
      this.provisioned[p]--;
      this.staleStartups++;
      this.#log(workers[i], "cancel", nowMs);
      this.#retire(workers[i]);
      current--;
    }
    for (let i = workers.length - 1; i >= 0 && current > target; i--) {
      if (workers[i].state === "active") {
        this.#drain(workers[i], nowMs);
        current--;
      }
    }
  }

  /** Make `w` routable at `nowMs` (the initial deployment is not logged). */
  activate(w: Worker, nowMs: number, initial = false): void {
    w.state = "active";
    this.active[w.pool]++;
    this.pools[w.pool].candidates.push(...w.ranks);
    if (!initial) this.#log(w, "activate", nowMs);
  }

  /**
   * Remove draining `w` at `nowMs` if its ranks are idle, hold no KV for a hand-off, and no hand-off is on its
   * way to them.
   */
  removeIfIdle(w: Worker, nowMs: number): void {
    for (const e of w.ranks) if (e.busy || e.hasWork || e.holds.size > 0 || this.inbound[e.id] > 0) return;
    w.state = "removed";
    this.provisioned[w.pool]--;
    this.#log(w, "remove", nowMs);
    this.#retire(w);
  }

  /** Give back the KV memory of removed `w`'s ranks (one whose host tier still copies, once they land). */
  #retire(w: Worker): void {
    for (const e of w.ranks) this.#bytes -= e.retire();
  }

  /** `e`'s host tier landed copies: if its worker was removed, give its memory back now that none are left. */
  copiesLanded(e: Engine): void {
    if (this.workerOf[e.id].state === "removed") this.#bytes -= e.retire();
  }

  /** Add `dt` seconds of the current provisioned and active workers to each pool's worker-seconds. */
  accrue(dt: number): void {
    for (let p = 0; p < this.pools.length; p++) {
      this.workerSeconds[p] += this.provisioned[p] * dt;
      this.activeSeconds[p] += this.active[p] * dt;
    }
  }

  /** Stop routing to `w`; remove it once its ranks are idle and no hand-off is on its way. */
  #drain(w: Worker, nowMs: number): void {
    w.state = "draining";
    this.active[w.pool]--;
    const candidates = this.pools[w.pool].candidates;
    for (const e of w.ranks) candidates.splice(candidates.indexOf(e), 1);
    this.#log(w, "drain", nowMs);
    this.removeIfIdle(w, nowMs);
  }

  #log(w: Worker, op: LifecycleOp["op"], nowMs: number): void {
    this.lifecycle.push({ atMs: nowMs, pool: w.pool, worker: w.id, op });
  }

  #addWorker(p: number): Worker {
    const pool = this.pools[p], setup = pool.setup;
    this.#bytes += workerBytes(setup.config);
    const ranks: Engine[] = [];
    for (let k = 0; k < setup.config.dpSize; k++) {
      const id = this.engines.length;
      const rank = pool.workers.length * setup.config.dpSize + k;
      const speculative = setup.acceptRates
        ? { acceptRates: setup.acceptRates, rng: new Rng((setup.mtpSeed ?? 42) + rank) }
        : undefined;
      const e = new Engine(id, setup.config, setup.perf, this.#req, speculative, this.lower);
      if (setup.recordOps) e.opTotals = new OpTotals(setup.perf);
      this.engines.push(e);
      this.poolOf.push(p);
      ranks.push(e);
    }
    if (this.isDirty.length < this.engines.length) {
      const n = this.engines.length * 2;
      const flags = new Uint8Array(n), starts = new Float64Array(n), inbound = new Int32Array(n);
      flags.set(this.isDirty);
      starts.set(this.passStart);
      inbound.set(this.inbound);
      this.isDirty = flags;
      this.passStart = starts;
      this.inbound = inbound;
    }
    const worker: Worker = { id: pool.workers.length, pool: p, ranks, state: "starting" };
    pool.workers.push(worker);
    for (const e of ranks) this.workerOf[e.id] = worker;
    this.provisioned[p]++;
    return worker;
  }
}
