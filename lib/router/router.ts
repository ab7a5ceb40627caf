/**
 * Worker selection: round robin, seeded random, and the reference KV router's cost function.
 *
 * @module
 */
import { EventQueue } from "../common/event_queue.ts";
import { IntMap } from "../common/int_map.ts";
import { Rng } from "../common/rng.ts";
import type { Engine } from "../engine/mod.ts";
import type { RouterConfig, RouterMode } from "./config.ts";

/** What routing needs to know about the requests (from the workload). */
export interface RoutedRequests {
  readonly inputLength: Int32Array;
  readonly blockOffset: Int32Array;
  readonly blocks: Int32Array;
}

/**
 * Chooses an engine for each request and tracks the load it has routed.
 *
 * The KV router scores each candidate `w` with the reference's classic cost (lower is better):
 * `logit_w = overlap_score_weight × prefill_tokens_w / block_size + decode_blocks_w`, where
 * `prefill_tokens_w` is the request's uncached tokens on `w` plus the prompt tokens routed to `w` and not yet
 * prefilled, and `decode_blocks_w` the blocks of requests active on `w` plus the request's new blocks. With
 * temperature 0 it takes the argmin, breaking ties by the smallest cache, then by a seeded draw (the
 * reference's draw is unseeded, its §9 item 12); with temperature T it samples a softmax of −logit/(range·T).
 *
 * With `router_queue_threshold` set (KV router only), a request that arrives while every candidate is busy
 * (its router-tracked prefill tokens above threshold × its `max_num_batched_tokens`), or while others wait,
 * waits in the router's queue ({@link Router.hold}); {@link Router.release} hands them out, best first, while
 * some candidate is not busy.
 *
 * With a prefill estimator (`router_prefill_load_model: "aic"`), a candidate's prefill tokens are not counted
 * whole until each prompt ends: as the reference's newest tracker does, the oldest unfinished prefill routed
 * to it anchors a clock (from when it became the oldest), and the tokens done by then at the pace its
 * predicted duration gives come off the candidate's total, spilling past it into the next when it overruns.
 * When a later prefill ends first, the anchor moves on by that one's predicted duration (at most to now), so
 * the load stays continuous.
 */
export class Router {
  readonly mode: RouterMode;
  readonly config: RouterConfig;
  readonly #req: RoutedRequests;
  readonly #rng: Rng;
  readonly #blockSize: number;
  #next = 0;
  // Per engine id: routed load.
  #activePrefill = new Float64Array(8);
  #activeBlocks = new Float64Array(8);
  /** Per engine id: holders of each block of the requests active there (router_assume_kv_reuse). */
  #activeRefs: (IntMap | undefined)[] = [];
  // Per request: what was added, to remove it exactly.
  readonly #routedPrefill: Float64Array;
  readonly #routedEngine: Int32Array;
  /** Overlap (cached leading blocks) on the chosen engine at routing time, per request. */
  readonly overlapBlocks: Int32Array;
  #costs = new Float64Array(8);
  #overlaps = new Int32Array(8);
  readonly #scratch = new Int32Array(1);
  /** Requests waiting for a worker below the queue threshold, keyed by negated policy score. */
  readonly #waiting = new EventQueue();
  /** Whether this router holds requests in a queue (`router_queue_threshold` set, KV router). */
  readonly queueing: boolean;
  /** Predicted prefill ms of one request (`isl`, `prefix` cached): the AIC prefill-load model, if on. */
  readonly #estimate?: (isl: number, prefix: number) => number;
  // The prefill-load tracker (with an estimator): per request, its predicted ms (NaN: none) and its neighbours
  // in its engine's list of unfinished prefills, oldest first; per engine, that list and its anchor clock.
  #expected = new Float64Array(0);
  #newer = new Int32Array(0);
  #older = new Int32Array(0);
  #tracked = new Uint8Array(0);
  #head = new Int32Array(8).fill(-1);
  #tail = new Int32Array(8).fill(-1);
  #since = new Float64Array(8);
  #unmodeled = new Int32Array(8);

  constructor(
    mode: RouterMode,
    config: RouterConfig,
    requests: RoutedRequests,
    blockSize: number,
    seed: number,
    prefillMs?: (isl: number, prefix: number) => number,
  ) {
    this.mode = mode;
    this.config = config;
    this.#req = requests;
    this.#rng = new Rng(seed);
    this.#blockSize = blockSize;
    const n = requests.inputLength.length;
    this.#routedPrefill = new Float64Array(n);
    this.#routedEngine = new Int32Array(n).fill(-1);
    this.overlapBlocks = new Int32Array(n);
    this.queueing = mode === "kv_router" && config.router_queue_threshold !== null;
    if (prefillMs && mode === "kv_router" && config.router_track_prefill_tokens) {
      this.#estimate = prefillMs;
      this.#expected = new Float64Array(n);
      this.#newer = new Int32Array(n);
      this.#older = new Int32Array(n);
      this.#tracked = new Uint8Array(n);
    }
  }

  /** Requests waiting in the router's queue. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * Whether `r`, arriving at `nowMs`, must wait in the queue: others wait already, or every candidate is busy.
   * If so it is queued, scored by `router_queue_policy` (fcfs: earlier first; lcfs: later first; wspt: fewer
   * prompt tokens left uncached by the best-cached candidate first; ties in arrival order).
   */
  hold(r: number, nowMs: number, candidates: readonly Engine[], count: number): boolean {
    if (!this.queueing || (this.#waiting.size === 0 && !this.#allBusy(candidates, count, nowMs))) {
      return false;
    }
    let score: number;
    switch (this.config.router_queue_policy) {
      case "fcfs":
        score = -nowMs / 1000;
        break;
      case "lcfs":
        score = nowMs / 1000;
        break;
      case "wspt": {
        const req = this.#req, from = req.blockOffset[r], to = req.blockOffset[r + 1];
        let best = 0;
        for (let c = 0; c < count; c++) {
          best = Math.max(best, candidates[c].pool.matchPrefix(req.blocks, from, to, this.#scratch));
        }
        score = 1 / Math.max(1, req.inputLength[r] - best * this.#blockSize);
      }
    }
    this.#waiting.push(-score, 0, r);
    return true;
  }

  /** The next queued request to route at `nowMs`, or −1 when none waits or every candidate is busy. */
  release(candidates: readonly Engine[], count: number, nowMs: number): number {
    if (this.#waiting.size === 0 || this.#allBusy(candidates, count, nowMs)) return -1;
    this.#waiting.pop();
    return this.#waiting.arg;
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
      const tokens = Math.max(0, req.inputLength[r] - overlap * this.#blockSize);
      this.#routedPrefill[r] = tokens;
      this.#activePrefill[id] += tokens;
      if (this.#estimate && tokens > 0) {
        this.#track(r, id, req.inputLength[r], overlap * this.#blockSize, nowMs);
      }
    }
    if (this.config.router_track_active_blocks) this.#trackBlocks(r, id, +1);
  }

  /** `r` finished its prompt at `nowMs` on the engine it was routed to. */
  prefillDone(r: number, nowMs: number): void {
    const id = this.#routedEngine[r];
    if (id < 0) return;
    if (this.#estimate && this.#tracked[r]) this.#untrack(r, id, nowMs);
    this.#activePrefill[id] -= this.#routedPrefill[r];
    this.#routedPrefill[r] = 0;
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
    if (this.#costs.length < count) {
      this.#costs = new Float64Array(count * 2);
      this.#overlaps = new Int32Array(count * 2);
    }
    const costs = this.#costs;
    const from = req.blockOffset[r], to = req.blockOffset[r + 1];
    const isl = req.inputLength[r];
    const islBlocks = Math.ceil(isl / bs);
    for (let c = 0; c < count; c++) {
      const e = candidates[c];
      this.#ensure(e.id);
      const overlap = cfg.overlap_score_weight > 0
        ? e.pool.matchPrefix(req.blocks, from, to, this.#scratch)
        : 0;
      this.#overlaps[c] = overlap;
      let prefillTokens = Math.max(0, isl - overlap * bs);
      if (cfg.router_track_prefill_tokens) prefillTokens += this.prefillTokens(e.id, nowMs);
      let decodeBlocks: number;
      if (cfg.router_track_active_blocks) {
        decodeBlocks = this.#activeBlocks[e.id] + islBlocks - this.#activeOverlap(r, e.id);
      } else {
        decodeBlocks = Math.floor(prefillTokens / bs);
      }
      costs[c] = cfg.overlap_score_weight * prefillTokens / bs + decodeBlocks;
    }
    return cfg.router_temperature > 0
      ? this.#softmax(count, cfg.router_temperature)
      : this.#argmin(candidates, count);
  }

  #argmin(candidates: readonly Engine[], count: number): number {
    const costs = this.#costs;
    let best = 0, ties = 1;
    for (let c = 1; c < count; c++) {
      const d = costs[c] - costs[best];
      const tree = candidates[c].pool.cachedBlocks - candidates[best].pool.cachedBlocks;
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

  #softmax(count: number, temperature: number): number {
    const costs = this.#costs;
    let min = Infinity, max = -Infinity;
    for (let c = 0; c < count; c++) {
      if (costs[c] < min) min = costs[c];
      if (costs[c] > max) max = costs[c];
    }
    if (min === max) return this.#rng.int(count);
    const scale = -1 / ((max - min) * temperature);
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
    let n = 0;
    for (let i = req.blockOffset[r]; i < req.blockOffset[r + 1] && refs.get(req.blocks[i]) > 0; i++) n++;
    return n;
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
    if (!refs) refs = this.#activeRefs[id] = new IntMap(1024);
    let unique = partial;
    for (let i = from; i < to; i++) {
      const holders = refs.add(req.blocks[i], sign);
      if (sign > 0 ? holders === 1 : holders === 0) unique++;
    }
    this.#activeBlocks[id] += sign * unique;
  }

  /** Whether every candidate's routed prefill tokens exceed the queue threshold at `nowMs` (true with none). */
  #allBusy(candidates: readonly Engine[], count: number, nowMs: number): boolean {
    const threshold = this.config.router_queue_threshold!;
    for (let c = 0; c < count; c++) {
      const e = candidates[c];
      if (this.prefillTokens(e.id, nowMs) <= threshold * e.config.maxNumBatchedTokens) return false;
    }
    return true;
  }

  /**
   * Engine `id`'s routed prefill tokens not yet done at `nowMs`, as the KV router's cost and queue see them:
   * all of them until each prompt ends, or, with an estimator, less what the anchor's clock says is done.
   */
  prefillTokens(id: number, nowMs: number): number {
    this.#ensure(id);
    const total = this.#activePrefill[id], head = this.#head[id];
    if (!this.#estimate || head < 0) return total;
    const tokens = this.#routedPrefill[head], expected = this.#expected[head];
    const elapsed = Math.max(0, nowMs - this.#since[id]);
    if (this.#unmodeled[id] === 0) {
      const done = expected === 0 ? tokens : Math.floor(tokens * elapsed / expected);
      return Math.max(0, total - done);
    }
    const left = Number.isNaN(expected)
      ? tokens
      : expected === 0
      ? 0
      : Math.ceil(tokens * Math.min(1, Math.max(0, 1 - elapsed / expected)));
    return total - tokens + left;
  }

  /** Append `r` (its prompt `isl` tokens, `prefix` of them cached) to engine `id`'s unfinished prefills. */
  #track(r: number, id: number, isl: number, prefix: number, nowMs: number): void {
    const ms = this.#estimate!(isl, Math.min(prefix, isl));
    this.#expected[r] = Number.isFinite(ms) && ms >= 0 ? ms : NaN;
    if (Number.isNaN(this.#expected[r])) this.#unmodeled[id]++;
    this.#tracked[r] = 1;
    this.#newer[r] = -1;
    this.#older[r] = this.#tail[id];
    if (this.#tail[id] >= 0) this.#newer[this.#tail[id]] = r;
    else {
      this.#head[id] = r;
      this.#since[id] = nowMs;
    }
    this.#tail[id] = r;
  }

  /** Take `r` out of engine `id`'s unfinished prefills at `nowMs`, moving the anchor clock as it must. */
  #untrack(r: number, id: number, nowMs: number): void {
    this.#tracked[r] = 0;
    const prev = this.#older[r], next = this.#newer[r], expected = this.#expected[r];
    if (Number.isNaN(expected)) this.#unmodeled[id]--;
    if (prev >= 0) this.#newer[prev] = next;
    else this.#head[id] = next;
    if (next >= 0) this.#older[next] = prev;
    else this.#tail[id] = prev;
    if (prev < 0) this.#since[id] = nowMs; // the next oldest anchors from now
    else if (!Number.isNaN(expected)) this.#since[id] = Math.min(this.#since[id] + expected, nowMs);
  }

  #ensure(id: number): void {
    if (id < this.#activePrefill.length) return;
    const n = Math.max(id + 1, this.#activePrefill.length * 2);
    this.#activePrefill = grown(this.#activePrefill, n);
    this.#activeBlocks = grown(this.#activeBlocks, n);
    this.#since = grown(this.#since, n);
    this.#head = grown(this.#head, n, -1);
    this.#tail = grown(this.#tail, n, -1);
    this.#unmodeled = grown(this.#unmodeled, n);
  }
}

/** A copy of `a` with room for `n` entries, the new ones `fill`. */
function grown<A extends Float64Array | Int32Array>(a: A, n: number, fill = 0): A {
  const b = new (a.constructor as new (length: number) => A)(n);
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}
