/**
 * Per-request timing records, filled by the cluster as requests arrive, are admitted and emit tokens.
 *
 * Token gaps (the pooled inter-token-latency distribution) are recorded per pass, not per token: every
 * request that also emitted at the end of the engine's previous pass sees the same gap, the pass duration, so
 * one weighted sample stands for all of them; only the others are recorded one by one. A run that may stop
 * before every request completes (a simulated-time limit) records each gap with its request instead, so that
 * {@link Collector.completedGaps} can leave out the gaps of requests that never completed, as the reference does.
 *
 * @module
 */

import { grown } from "../common/grown.ts";

/** Terminal status of a request, as stored in {@link Collector.status}. */
export const Status = { Pending: 0, Completed: 1, Rejected: 2 } as const;

/**
 * Why a request was refused, in the order of {@link Collector.rejectReason}'s codes (1-based): an engine can
 * never run it (the first three), or the router shed it (its policy class's queue was at a limit).
 */
export const REJECT_REASONS = [
  "max_model_len",
  "kv_capacity",
  "batched_tokens",
  "router_queue_limit",
] as const;

/** Why a request was rejected at admission. */
export type RejectReason = typeof REJECT_REASONS[number];

/**
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Collector } from "./collector.ts";
 * const c = new Collector(1);
 * c.arrive(0, 0);
 * c.tokens(Int32Array.of(0), Int32Array.of(1), 1, 0, 30); // first token at 30
 * c.tokens(Int32Array.of(0), Int32Array.of(1), 1, 30, 40); // second, gap 10
 * c.complete(0, 40);
 * assert(c.firstTokenMs[0] === 30 && c.gapCount === 1 && c.gapValues[0] === 10);
 * ```
 */
export class Collector {
  readonly arrivalMs: Float64Array;
  readonly firstAdmitMs: Float64Array;
  readonly firstTokenMs: Float64Array;
  readonly secondTokenMs: Float64Array;
  readonly lastTokenMs: Float64Array;
  readonly terminalMs: Float64Array;
  readonly outputTokens: Int32Array;
  readonly status: Uint8Array;
  /** A rejected request's reason: 1 + its index in {@link REJECT_REASONS}; 0 for any other request. */
  readonly rejectReason: Uint8Array;
  /** Prompt tokens served from the prefix cache, summed over (re-)admissions on compute engines. */
  readonly reusedTokens: Float64Array;
  /** Same, at the first admission only. */
  readonly firstReusedTokens: Float64Array;
  /** Prompt tokens found resident at the decode worker (disaggregated serving). */
  readonly decodeReusedTokens: Float64Array;
  /** Admissions by a compute engine (agg or prefill), re-admissions after preemption included. */
  readonly admissions: Int32Array;
  /** Admissions to a decode engine's running batch (disagg), re-admissions after preemption included. */
  readonly decodeAdmissions: Int32Array;
  /** Engine that computed the prompt (agg or prefill) and, in disagg, the decode engine; −1 if none. */
  readonly computeEngine: Int32Array;
  readonly decodeEngine: Int32Array;
  /** Disaggregated hand-off: when the prefill finished (its KV held at the source; NaN until then). */
  readonly handoffMs: Float64Array;
  /** When the decode worker reserved the prompt's KV blocks, which started the transfer. */
  readonly reservedMs: Float64Array;
  /** When the KV reached the decode worker (the source freed its copy), which queued the request then. */
  readonly kvArrivedMs: Float64Array;
  /** When a decode worker first admitted the request to its running batch. */
  readonly decodeAdmitMs: Float64Array;
  /** When the KV router's queue took the request in (NaN: routed at once) and released it. */
  readonly routerHeldMs: Float64Array;
  readonly routerReleasedMs: Float64Array;
  /** The router queue class of each request, when the router classifies (a queue, or policy classes; else −1). */
  readonly routerClass: Int32Array;
  /** Pooled token gaps as (value, weight) pairs. */
  gapValues: Float64Array = new Float64Array(1024);
  gapWeights: Float64Array = new Float64Array(1024);
  gapCount = 0;
  /** The request of each gap, when gaps are recorded one request at a time (`attributeGaps`); else null. */
  gapOwners: Int32Array | null;
  /**
   * 1 for a warm-up request (AIPerf's `--warmup-request-count`): served like any other, but left out of every
   * statistic; its tokens and gaps are not recorded as samples.
   */
  readonly warmup: Uint8Array;

  /**
   * @param requestCount Requests of the workload.
   * @param attributeGaps Record each token gap with its request (a run that may stop before every request
   * completes), so that {@link Collector.completedGaps} can leave out those of unfinished requests.
   */
  constructor(requestCount: number, attributeGaps = false) {
    this.gapOwners = attributeGaps ? new Int32Array(1024) : null;
    this.warmup = new Uint8Array(requestCount);
    const nan = () => new Float64Array(requestCount).fill(NaN);
    this.arrivalMs = nan();
    this.firstAdmitMs = nan();
    this.firstTokenMs = nan();
    this.secondTokenMs = nan();
    this.lastTokenMs = nan();
    this.terminalMs = nan();
    this.outputTokens = new Int32Array(requestCount);
    this.status = new Uint8Array(requestCount);
    this.rejectReason = new Uint8Array(requestCount);
    this.reusedTokens = new Float64Array(requestCount);
    this.firstReusedTokens = new Float64Array(requestCount);
    this.decodeReusedTokens = new Float64Array(requestCount);
    this.admissions = new Int32Array(requestCount);
    this.decodeAdmissions = new Int32Array(requestCount);
    this.computeEngine = new Int32Array(requestCount).fill(-1);
    this.decodeEngine = new Int32Array(requestCount).fill(-1);
    this.handoffMs = nan();
    this.reservedMs = nan();
    this.kvArrivedMs = nan();
    this.decodeAdmitMs = nan();
    this.routerHeldMs = nan();
    this.routerReleasedMs = nan();
    this.routerClass = new Int32Array(requestCount).fill(-1);
  }

  /** The router's queue put `r` in class `cls`, whether it then routed, held or shed it. */
  routerClassed(r: number, cls: number): void {
    this.routerClass[r] = cls;
  }

  /** The router's queue held `r` from `t`: every worker was busy for its class, or others of it waited. */
  routerHeld(r: number, t: number): void {
    this.routerHeldMs[r] = t;
  }

  /** The router's queue released `r` at `t`, to be routed now. */
  routerReleased(r: number, t: number): void {
    this.routerReleasedMs[r] = t;
  }

  /** `r` arrived (open loop) or was dispatched (closed loop) at `t`, in the warm-up phase when `warmup`. */
  arrive(r: number, t: number, warmup = false): void {
    this.arrivalMs[r] = t;
    if (warmup) this.warmup[r] = 1;
  }

  /** `r` was admitted at `t` by a compute engine (agg or prefill) with `cached` prompt tokens reused. */
  admit(r: number, t: number, cached: number, engine: number): void {
    if (this.admissions[r]++ === 0) {
      this.firstAdmitMs[r] = t;
      this.firstReusedTokens[r] = cached;
    }
    this.reusedTokens[r] += cached;
    this.computeEngine[r] = engine;
  }

  /** `r` finished its prefill at `t` (disagg): the source holds its KV for the decode worker. */
  handOff(r: number, t: number): void {
    this.handoffMs[r] = t;
  }

  /**
   * Decode engine `engine` reserved `r`'s prompt KV at `t` (disagg), reusing `resident` prompt tokens it
   * already had; the transfer starts.
   */
  reserve(r: number, t: number, resident: number, engine: number): void {
    this.reservedMs[r] = t;
    this.decodeReusedTokens[r] = resident;
    this.decodeEngine[r] = engine;
  }

  /** `r`'s KV reached its decode worker at `t` (disagg), which queues it; the source frees its copy. */
  kvArrived(r: number, t: number): void {
    this.kvArrivedMs[r] = t;
  }

  /** `r` was admitted at `t` to a decode engine's running batch (disagg; its first time is kept). */
  admitDecode(r: number, t: number): void {
    if (this.decodeAdmissions[r]++ === 0) this.decodeAdmitMs[r] = t;
  }

  /**
   * A pass from `start` to `end` emitted tokens: `bursts[r]` for each of `ids[0 … count)`.
   */
  tokens(ids: Int32Array, bursts: Int32Array, count: number, start: number, end: number): void {
    let shared = 0;
    const share = this.gapOwners === null;
    for (let j = 0; j < count; j++) {
      const r = ids[j];
      const n = bursts[r];
      const last = this.lastTokenMs[r];
      const sampled = this.warmup[r] === 0;
      if (this.outputTokens[r] === 0) {
        this.firstTokenMs[r] = end;
        if (n > 1) this.secondTokenMs[r] = end;
      } else {
        if (sampled) {
          if (share && last === start) shared++;
          else this.#gap(end - last, 1, r);
        }
        if (this.outputTokens[r] === 1) this.secondTokenMs[r] = end;
      }
      if (n > 1 && sampled) this.#gap(0, n - 1, r);
      this.lastTokenMs[r] = end;
      this.outputTokens[r] += n;
    }
    if (shared > 0) this.#gap(end - start, shared, -1);
  }

  /**
   * The pooled token gaps of the completed requests as (value, weight) pairs, `count` of them: every recorded
   * gap, or, when gaps are attributed, those of requests that completed.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Collector } from "./collector.ts";
   * const c = new Collector(2, true);
   * c.arrive(0, 0);
   * c.arrive(1, 0);
   * c.tokens(Int32Array.of(0, 1), Int32Array.of(1, 1), 2, 0, 30);
   * c.tokens(Int32Array.of(0, 1), Int32Array.of(1, 1), 2, 30, 40);
   * c.complete(0, 40); // request 1 is still running when the run stops
   * assert.equal(c.completedGaps().count, 1);
   * ```
   */
  completedGaps(): { values: Float64Array; weights: Float64Array; count: number } {
    const owners = this.gapOwners;
    if (owners === null) return { values: this.gapValues, weights: this.gapWeights, count: this.gapCount };
    const values = new Float64Array(this.gapCount), weights = new Float64Array(this.gapCount);
    let count = 0;
    for (let g = 0; g < this.gapCount; g++) {
      if (this.status[owners[g]] !== Status.Completed) continue;
      values[count] = this.gapValues[g];
      weights[count++] = this.gapWeights[g];
    }
    return { values, weights, count };
  }

  /** `r` completed at `t`. */
  complete(r: number, t: number): void {
    this.status[r] = Status.Completed;
    this.terminalMs[r] = t;
  }

  /** `r` was rejected at `t` (it never fits, for `reason`); it is excluded from every statistic. */
  reject(r: number, t: number, reason: RejectReason): void {
    this.status[r] = Status.Rejected;
    this.rejectReason[r] = REJECT_REASONS.indexOf(reason) + 1;
    this.terminalMs[r] = t;
  }

  /** Record a gap of `value` ms, `weight` tokens, of request `owner` (−1: several requests' shared gap). */
  #gap(value: number, weight: number, owner: number): void {
    if (this.gapCount === this.gapValues.length) {
      const n = this.gapCount * 2;
      this.gapValues = grown(this.gapValues, n);
      this.gapWeights = grown(this.gapWeights, n);
      if (this.gapOwners !== null) this.gapOwners = grown(this.gapOwners, n);
    }
    this.gapValues[this.gapCount] = value;
    this.gapWeights[this.gapCount] = weight;
    if (this.gapOwners !== null) this.gapOwners[this.gapCount] = owner;
    this.gapCount++;
  }
}
