/**
 * Worker selection: round robin, seeded random, and the reference KV router's cost function.
 *
 * @module
 */
import { grown } from "../common/grown.ts";
import { Rng } from "../common/rng.ts";
import { RunCounts } from "../common/run_counts.ts";
import type { Engine } from "../engine/mod.ts";
import type { RoutingHints } from "../workload/mod.ts";
import {
  type CostWeights,
  costWeights,
  type RouterConfig,
  type RouterMode,
  type RouterStage,
} from "./config.ts";
import { classify, type PolicyClass, type PolicyProfile, queues, resolveProfile } from "./policy_config.ts";
import { PolicyQueue, policyScore } from "./policy_queue.ts";
import { PrefillLoad } from "./prefill_load.ts";

/** What routing needs to know about the requests (from the workload). */
export interface RoutedRequests {
  readonly inputLength: Int32Array;
  readonly blockOffset: Int32Array;
  readonly blocks: Int32Array;
  /** The trace's priorities and policy classes for the router queue, if it has any. */
  readonly routing?: RoutingHints;
}

/** Optional parts of a {@link Router}. */
export interface RouterOptions {
  /** Predicted prefill ms of one request (`isl`, `prefix` cached): the AIC prefill-load model. */
  readonly prefillMs?: (isl: number, prefix: number) => number;
  /** The queue's policy classes; default: the one class of `router_queue_threshold` and `router_queue_policy`. */
  readonly profile?: PolicyProfile;
  /**
   * The pool's stage. A decode router sees no cached prefix: decode workers publish no KV events, so the
   * reference's radix trees there are empty. Its overlaps are 0 and its ties a plain seeded draw (elsewhere
   * ties go to the smaller cache first).
   */
  readonly stage?: RouterStage;
}

/**
 * Period of the reference's recheck timer on its router queue while the AIC prefill-load model and queueing
 * are both on, ms.
 */
const RECHECK_MS = 100;

/** What {@link Router.hold} decided for an arriving request. */
export type Admission = "route" | "hold" | "shed";

/**
 * Chooses an engine for each request and tracks the load it has routed.
 *
 * The KV router scores each candidate `w` with the reference's cost (lower is better):
 * `logit_w = prefill_load_scale × max(raw_w − (credit × overlap_w + host_credit × host_w + disk_credit ×
 * lower_w) / d_w, 0) + decode_blocks_w`, where `raw_w` is the request's prompt blocks plus those routed to `w`
 * and not yet prefilled (0 without `router_track_prefill_tokens`), `overlap_w` its leading blocks cached on `w`,
 * `host_w` the blocks after them in `w`'s host tier (`host_cache_hit_weight` each), `lower_w` the blocks after
 * those in the lower tiers `w` reads from (`disk_cache_hit_weight` each), `credit` the `overlap_score_credit`,
 * `d_w` is `1 + overlap_score_credit_decay × excess_w` (`excess_w`: `w`'s routed prefill blocks above the
 * least-loaded candidate's, in requests of this size), and `decode_blocks_w` the blocks of requests active on
 * `w` plus the request's new blocks. With the defaults (credit 1, scale 1) it is
 * the classic `overlap_score_weight × prefill_tokens_w / block_size + decode_blocks_w` at weight 1. With
 * temperature 0 it takes the argmin, breaking ties by the smallest cache, then by a seeded draw (the
 * reference's draw is unseeded, its §9 item 12); with temperature T it samples a softmax of −logit/(range·T).
 *
 * With a queue (KV router only: `router_queue_threshold` set, or policy classes that queue), a request that
 * arrives while every candidate is busy for its class (its router-tracked prefill tokens above the class's
 * threshold: `router_queue_threshold` × its `max_num_batched_tokens` for the one class of the router config),
 * or while others of its class wait, waits in the router's queue ({@link Router.hold}), unless its class's
 * queue is at a limit: then it is shed. {@link Router.release} hands them out, best first within a class and by
 * deficit round robin across classes, while some candidate is not busy for the class.
 *
 * With a prefill estimator (`router_prefill_load_model: "aic"`), a candidate's prefill tokens drain as its
 * prefills run instead of at their end ({@link PrefillLoad}), and a queue is rechecked between events too
 * ({@link Router.nextRecheck}).
 */
export class Router {
  readonly mode: RouterMode;
  readonly config: RouterConfig;
  readonly #req: RoutedRequests;
  readonly #rng: Rng;
  readonly #blockSize: number;
  readonly #weights: CostWeights;
  /** Whether the workers' caches are visible (they publish KV events: not a decode pool's). */
  readonly #seesCaches: boolean;
  #next = 0;
  /** Per engine id: routed prompt tokens not yet prefilled. */
  readonly #load: PrefillLoad;
  /** Per engine id: blocks of the requests active there. */
  #activeBlocks = new Float64Array(8);
  /** Per engine id: holders of each block of the requests active there (router_assume_kv_reuse). */
  #activeRefs: (RunCounts | undefined)[] = [];
  /** Per request: the engine it was routed to (−1: none). */
  readonly #routedEngine: Int32Array;
  /** Overlap (cached leading blocks) on the chosen engine at routing time, per request. */
  readonly overlapBlocks: Int32Array;
  #costs = new Float64Array(8);
  readonly #scratch = new Int32Array(1);
  /** The queue's classes and how requests map onto them. */
  readonly profile: PolicyProfile;
  /** Requests waiting for a worker below their class's threshold. */
  readonly #waiting: PolicyQueue;
  /** Whether this router holds requests in a queue (KV router, a class with a busy threshold). */
  readonly queueing: boolean;
  /** Whether the queue is also rechecked on a timer: with the AIC prefill-load model. */
  readonly #periodic: boolean;
  /** Whether {@link Router.hold} classifies arrivals: with a queue, or with policy classes (KV router). */
  readonly classifying: boolean;
  /** The class {@link Router.hold} put its last request in (when classifying). */
  lastClass = -1;
  // The candidates a release weighs (set for the duration of a release).
  #releasing: readonly Engine[] = [];
  #releasingCount = 0;
  #releasingAt = 0;
  constructor(
    mode: RouterMode,
    config: RouterConfig,
    requests: RoutedRequests,
    blockSize: number,
    seed: number,
    options: RouterOptions = {},
  ) {
    this.mode = mode;
    this.config = config;
    this.#req = requests;
    this.#rng = new Rng(seed);
    this.#blockSize = blockSize;
    this.#weights = costWeights(config);
    this.#seesCaches = options.stage !== "decode";
    const n = requests.inputLength.length;
    this.#routedEngine = new Int32Array(n).fill(-1);
    this.overlapBlocks = new Int32Array(n);
    this.profile = options.profile ?? resolveProfile(null, null, config);
    this.#waiting = new PolicyQueue(this.profile.classes);
    this.queueing = mode === "kv_router" && this.profile.classes.some(queues);
    this.classifying = this.queueing || (mode === "kv_router" && options.profile !== undefined);
    const clocked = mode === "kv_router" && config.router_track_prefill_tokens;
    this.#load = new PrefillLoad(n, clocked ? options.prefillMs : undefined);
    this.#periodic = this.queueing && clocked && options.prefillMs !== undefined;
  }

  /** Requests waiting in the router's queue. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * Whether `r`, arriving at `nowMs`, is routed now, waits in the queue, or is shed. It waits when others of
   * its class wait already, or every candidate is busy for its class; it is shed instead when its class's
   * queue is at a limit. Its class (in {@link Router.lastClass} when classifying) is the one its trace row's
   * `policy_class` selects, else its family's (the default family's) bucket for the prompt tokens the
   * best-cached candidate lacks. In its class it is ordered by strict tier, then score (fcfs: earlier first;
   * lcfs: later first; wspt: fewer uncached prompt tokens first; the row's `priority` is seconds of credit),
   * then arrival. Its class's per-worker limits scale with the workers serving (a worker's DP ranks count
   * once, as the reference counts its registered workers), while the busy test weighs each rank.
   */
  hold(r: number, nowMs: number, candidates: readonly Engine[], count: number): Admission {
    if (!this.classifying) return "route";
    const req = this.#req, routing = req.routing, profile = this.profile;
    const isl = req.inputLength[r];
    const named = routing === undefined || routing.policyClass[r] < 0
      ? undefined
      : routing.policyClassNames[routing.policyClass[r]];
    let cached = profile.bucketMins.length > 1 ? this.#bestCached(r, candidates, count) : -1;
    const c = classify(profile, named, isl - Math.max(cached, 0));
    const cls = profile.classes[c];
    this.lastClass = c;
    if (!queues(cls) || (this.#waiting.queued(c) === 0 && !this.#allBusy(cls, candidates, count, nowMs))) {
      return "route";
    }
    if (this.#waiting.refusal(c, workerCount(candidates, count)) !== undefined) return "shed";
    if (cached < 0) cached = this.#bestCached(r, candidates, count);
    this.#waiting.push(c, {
      request: r,
      strict: routing?.strictPriority[r] ?? 0,
      score: policyScore(cls.queuePolicy, routing?.priority[r] ?? 0, nowMs, isl - cached),
      isl,
      cached,
    });
    return "hold";
  }

  /**
   * When to recheck the queue next after `nowMs` though no event comes: Infinity but while requests wait
   * with the AIC prefill-load model on, whose loads drain between events. The reference then rechecks on a
   * 100 ms interval timer, started with its router, so its ticks are anchored at the run's start: a request
   * queued at 250 ms is rechecked at 300 ms. Its 60 s timer otherwise is moot: dynolab rechecks after every
   * event, and without the model a worker's load changes only at events.
   */
  nextRecheck(nowMs: number): number {
    if (!this.#periodic || this.#waiting.size === 0) return Infinity;
    return (Math.floor(nowMs / RECHECK_MS) + 1) * RECHECK_MS;
  }

  /**
   * The next queued request to route at `nowMs`, or −1 when none waits or no class has a free candidate.
   * A call that returns −1 right after another did changes nothing.
   */
  release(candidates: readonly Engine[], count: number, nowMs: number): number {
    if (this.#waiting.size === 0) return -1;
    this.#releasing = candidates;
    this.#releasingCount = count;
    this.#releasingAt = nowMs;
    return this.#waiting.pop(this.#dispatchable);
  }

  /** Whether class `c`'s head may leave the queue now: some candidate of the release is not busy for it. */
  readonly #dispatchable = (c: number): boolean =>
    !this.#allBusy(this.profile.classes[c], this.#releasing, this.#releasingCount, this.#releasingAt);

  /** Prompt tokens of `r` cached on the best-cached candidate (at most its prompt). */
  #bestCached(r: number, candidates: readonly Engine[], count: number): number {
    const req = this.#req, from = req.blockOffset[r], to = req.blockOffset[r + 1];
    let best = 0;
    for (let c = 0; c < count; c++) {
      best = Math.max(best, candidates[c].pool.matchPrefix(req.blocks, from, to, this.#scratch));
    }
    return Math.min(best * this.#blockSize, req.inputLength[r]);
  }

  /** Pick one of `candidates[0 … count)` for request `r` at `nowMs`; returns the index into `candidates`. */
  select(r: number, candidates: readonly Engine[], count: number, nowMs: number): number {
    if (count === 1) return 0;
    switch (this.mode) {
      case "round_robin":
        return this.#next++ % count;
      case "random":
        return this.#rng.int(count);
      default:
        return this.#selectKv(r, candidates, count, nowMs);
    }
  }

  /** Record that `r` was routed to `engine` at `nowMs` (call right after {@link Router.select}). */
  added(r: number, engine: Engine, nowMs: number): void {
    const req = this.#req, id = engine.id;
    this.#ensure(id);
    const from = req.blockOffset[r], to = req.blockOffset[r + 1];
    const overlap = engine.pool.matchPrefix(req.blocks, from, to, this.#scratch);
    this.overlapBlocks[r] = overlap;
    this.#routedEngine[r] = id;
    if (this.mode !== "kv_router") return;
    if (this.config.router_track_prefill_tokens) {
      const isl = req.inputLength[r], prefix = overlap * this.#blockSize;
      this.#load.add(r, id, Math.max(0, isl - prefix), isl, prefix, nowMs);
    }
    if (this.config.router_track_active_blocks) this.#trackBlocks(r, id, +1);
  }

  /** `r` finished its prompt at `nowMs` on the engine it was routed to. */
  prefillDone(r: number, nowMs: number): void {
    const id = this.#routedEngine[r];
    if (id < 0) return;
    this.#load.done(r, id, nowMs);
  }

  /** `r` left the engine it was routed to at `nowMs` (completed, rejected or handed off). */
  freed(r: number, nowMs: number): void {
    const id = this.#routedEngine[r];
    if (id < 0) return;
    this.prefillDone(r, nowMs);
    if (this.mode === "kv_router" && this.config.router_track_active_blocks) this.#trackBlocks(r, id, -1);
    this.#routedEngine[r] = -1;
  }

  #selectKv(r: number, candidates: readonly Engine[], count: number, nowMs: number): number {
    const req = this.#req, cfg = this.config, bs = this.#blockSize;
    const { credit, hostCredit, diskCredit, decay, scale } = this.#weights;
    if (this.#costs.length < count) this.#costs = new Float64Array(count * 2);
    const costs = this.#costs;
    const from = req.blockOffset[r], to = req.blockOffset[r + 1];
    const isl = req.inputLength[r];
    const islBlocks = Math.ceil(isl / bs);
    const track = cfg.router_track_prefill_tokens;
    let minActive = 0;
    if (track && decay > 0) {
      minActive = Infinity;
      for (let c = 0; c < count; c++) {
        minActive = Math.min(minActive, this.prefillTokens(candidates[c].id, nowMs));
      }
    }
    for (let c = 0; c < count; c++) {
      const e = candidates[c];
      this.#ensure(e.id);
      // The overlap earns credit, and without active-block tracking also shortens the decode fallback; a host
      // tier's blocks count from its end, and the lower tiers' from theirs.
      const lowered = e.offload !== null && e.offload.lower !== null && diskCredit > 0;
      const tiered = e.offload !== null && (hostCredit > 0 || lowered);
      const overlap = this.#seesCaches && (credit > 0 || tiered || !cfg.router_track_active_blocks)
        ? e.pool.matchPrefix(req.blocks, from, to, this.#scratch)
        : 0;
      const active = track ? this.prefillTokens(e.id, nowMs) : 0;
      let prefillCost = 0;
      if (track) {
        const excess = decay > 0 ? (active - minActive) / bs / Math.max(1, islBlocks) : 0;
        // Blocks past the device prefix in the worker's host tier earn `host_cache_hit_weight` each, and past
        // those in the lower tiers `disk_cache_hit_weight`.
        const host = tiered ? e.offload!.tier.match(req.blocks, from + overlap, to) : 0;
        const lower = lowered ? e.offload!.lower!.run(req.blocks, from + overlap + host, to) : 0;
        const credited = (credit * overlap + hostCredit * host + diskCredit * lower) / (1 + decay * excess) *
          bs;
        prefillCost = scale * Math.max(0, active + isl - credited) / bs;
      }
      const decodeBlocks = cfg.router_track_active_blocks
        ? this.#activeBlocks[e.id] + islBlocks - this.#activeOverlap(r, e.id)
        : Math.floor((Math.max(0, isl - overlap * bs) + active) / bs);
      costs[c] = prefillCost + decodeBlocks;
    }
    return cfg.router_temperature > 0
      ? this.#softmax(candidates, count, cfg.router_temperature)
      : this.#argmin(candidates, count);
  }

  #argmin(candidates: readonly Engine[], count: number): number {
    const costs = this.#costs;
    let best = 0, ties = 1;
    for (let c = 1; c < count; c++) {
      const d = costs[c] - costs[best];
      const tree = this.#seesCaches
        ? candidates[c].pool.cachedBlocks - candidates[best].pool.cachedBlocks
        : 0;
      if (d < 0 || (d === 0 && tree < 0)) {
        best = c;
        ties = 1;
      } else if (d === 0 && tree === 0) {
        ties++;
        if (this.#rng.int(ties) === 0) best = c; // reservoir draw: uniform over the tied set
      }
    }
    return best;
  }

  #softmax(candidates: readonly Engine[], count: number, temperature: number): number {
    const costs = this.#costs;
    let min = Infinity, max = -Infinity;
    for (let c = 0; c < count; c++) {
      if (costs[c] < min) min = costs[c];
      if (costs[c] > max) max = costs[c];
    }
    if (min === max) return this.#rng.int(count);
    const scale = -1 / ((max - min) * temperature);
    // A spread times the temperature that underflows to 0 makes the softmax as cold as it gets: its argmin.
    if (!Number.isFinite(scale)) return this.#argmin(candidates, count);
    let sum = 0;
    for (let c = 0; c < count; c++) sum += Math.exp((costs[c] - min) * scale);
    let u = this.#rng.next() * sum;
    for (let c = 0; c < count; c++) {
      u -= Math.exp((costs[c] - min) * scale);
      if (u <= 0) return c;
    }
    return count - 1;
  }

  /** Leading prompt blocks of `r` already active on engine `id` (shared with running requests). */
  #activeOverlap(r: number, id: number): number {
    const refs = this.#activeRefs[id];
    if (!refs || !this.config.router_assume_kv_reuse) return 0;
    const req = this.#req;
    return refs.leading(req.blocks, req.blockOffset[r], req.blockOffset[r + 1]);
  }

  /** Add (+1) or remove (−1) `r`'s blocks from engine `id`'s active set. */
  #trackBlocks(r: number, id: number, sign: 1 | -1): void {
    const req = this.#req, bs = this.#blockSize;
    const from = req.blockOffset[r], to = req.blockOffset[r + 1];
    const partial = Math.ceil(req.inputLength[r] / bs) - (to - from);
    if (!this.config.router_assume_kv_reuse) {
      this.#activeBlocks[id] += sign * (to - from + partial);
      return;
    }
    let refs = this.#activeRefs[id];
    if (!refs) refs = this.#activeRefs[id] = new RunCounts();
    // Holders per run of consecutive block ids (a prompt's blocks come in long runs).
    const blocks = req.blocks;
    let unique = partial;
    for (let i = from; i < to;) {
      const start = blocks[i];
      let j = i + 1;
      while (j < to && blocks[j] === start + (j - i)) j++;
      unique += refs.add(start, j - i, sign);
      i = j;
    }
    this.#activeBlocks[id] += sign * unique;
  }

  /**
   * Whether every candidate is busy for class `cls` at `nowMs` (true with none): its routed prefill tokens
   * above the class's token threshold or its fraction of the candidate's `max_num_batched_tokens`.
   */
  #allBusy(cls: PolicyClass, candidates: readonly Engine[], count: number, nowMs: number): boolean {
    for (let c = 0; c < count; c++) {
      const e = candidates[c], tokens = this.prefillTokens(e.id, nowMs);
      const busy = (cls.busyTokens !== null && tokens > cls.busyTokens) ||
        (cls.busyFraction !== null && tokens > cls.busyFraction * e.config.maxNumBatchedTokens);
      if (!busy) return false;
    }
    return true;
  }

  /**
   * Engine `id`'s routed prefill tokens not yet done at `nowMs`, as the KV router's cost and queue see them:
   * all of them until each prompt ends, or, with an estimator, less what the anchor's clock says is done.
   */
  prefillTokens(id: number, nowMs: number): number {
    return this.#load.tokens(id, nowMs);
  }

  #ensure(id: number): void {
    if (id >= this.#activeBlocks.length) {
      this.#activeBlocks = grown(this.#activeBlocks, Math.max(id + 1, this.#activeBlocks.length * 2));
    }
  }
}

/**
 * The workers behind `candidates[0 … count)`: ranks of whole workers, `dpSize` of them each (the engines of one
 * pool share one config, and a worker joins and leaves the candidates with all its ranks).
 */
function workerCount(candidates: readonly Engine[], count: number): number {
  return count === 0 ? 0 : Math.ceil(count / Math.max(1, candidates[0].config.dpSize));
}
