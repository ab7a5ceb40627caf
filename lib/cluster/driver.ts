/**
 * The workload driver: when each request becomes ready, open loop (trace timestamps) or closed loop
 * (`--replay-concurrency`), with requests that wait for others (a session's next turn, an agentic trace's
 * join) released once their edges have fired and their delays passed, and AIPerf's warm-up phase.
 *
 * @module
 */
import { IntDeque } from "../common/deque.ts";
import type { Workload } from "../workload/mod.ts";

/**
 * Decides dispatch times. The cluster calls {@link SessionDriver.ready} when a request's arrival time comes,
 * {@link SessionDriver.ended} when it completes or is rejected, {@link SessionDriver.release} when an edge
 * fires (at a request's dispatch or end), and dispatches what `take` returns.
 *
 * Closed loop keeps at most `concurrency` requests in flight. Ready requests that waited for others (turns of
 * sessions already under way) go before roots (new sessions): each slot behaves like a user working through a
 * conversation. Within each class the order is first ready, first served.
 *
 * Warm-up (AIPerf's `--warmup-request-count`): the first `warmupRequests` dispatched form a phase of their
 * own. Once they are all dispatched nothing more goes out until every one of them has ended; then the
 * profiling phase starts, in closed loop with `concurrency` requests at once, as AIPerf's does.
 */
export class SessionDriver {
  readonly #w: Workload;
  readonly #concurrency: number;
  readonly #warmupRequests: number;
  readonly #continuing = new IntDeque(64);
  readonly #fresh = new IntDeque(64);
  /** Per request: how many of its edges have not fired yet. */
  readonly #pending: Int32Array;
  /** Per request: the latest time its fired edges let it go. */
  readonly #due: Float64Array;
  /** 1 for a request dispatched in the warm-up phase. */
  readonly warmup: Uint8Array;
  #dispatched = 0;
  #warmInFlight = 0;
  /** Requests dispatched and not yet ended. */
  inFlight = 0;

  /**
   * @param concurrency In-flight cap; `Infinity` for open loop.
   * @param warmupRequests Requests in the warm-up phase (0: none).
   */
  constructor(workload: Workload, concurrency: number, warmupRequests = 0) {
    this.#w = workload;
    this.#concurrency = concurrency;
    this.#warmupRequests = warmupRequests;
    this.warmup = new Uint8Array(workload.requestCount);
    this.#pending = workload.waitCount.slice();
    this.#due = new Float64Array(workload.requestCount);
  }

  /** Whether arrivals follow trace timestamps (open loop). */
  get openLoop(): boolean {
    return this.#concurrency === Infinity;
  }

  /** Whether the profiling phase has begun (always, without a warm-up). */
  get profiling(): boolean {
    return this.#dispatched >= this.#warmupRequests && this.#warmInFlight === 0;
  }

  /**
   * Roots with their arrival times, in arrival order (open loop); or all at 0 in the trace's order (closed
   * loop, whose first-turn timestamps are ignored, as the reference admits sessions in the order the trace
   * lists them).
   */
  *initialArrivals(): Generator<[request: number, timeMs: number]> {
    const w = this.#w;
    if (this.openLoop) {
      for (const r of w.roots) yield [r, w.arrivalMs[r]];
    } else {
      for (const r of Int32Array.from(w.roots).sort()) yield [r, 0];
    }
  }

  /** Request `r` became ready. */
  ready(r: number): void {
    if (this.#w.waitCount[r] > 0) this.#continuing.pushBack(r);
    else this.#fresh.pushBack(r);
  }

  /** The next request to dispatch now, or −1. */
  take(): number {
    if (this.inFlight >= this.#concurrency) return -1;
    const warm = this.#dispatched < this.#warmupRequests;
    if (!warm && this.#warmInFlight > 0) return -1; // the warm-up phase is draining
    const q = this.#continuing.size > 0 ? this.#continuing : this.#fresh;
    if (q.size === 0) return -1;
    const r = q.popFront();
    this.inFlight++;
    this.#dispatched++;
    if (warm) {
      this.warmup[r] = 1;
      this.#warmInFlight++;
    }
    return r;
  }

  /**
   * Requests ready but held back, in the order they became ready (continuing turns first), removed from the
   * driver: the cluster re-times them when a drained warm-up opens an open-loop profiling phase.
   */
  takeHeld(): number[] {
    const out: number[] = [];
    for (const q of [this.#continuing, this.#fresh]) while (q.size > 0) out.push(q.popFront());
    return out;
  }

  /** `r` ended (completed or rejected). After the last warm-up request ends, {@link SessionDriver.profiling} turns true. */
  ended(r: number): void {
    this.inFlight--;
    if (this.warmup[r] === 1) this.#warmInFlight--;
  }

  /**
   * An edge into `r` fired and lets r go at `timeMs` (the firing time plus the edge's delay). Returns the time
   * its edges let r go once that was its last, else −1.
   */
  release(r: number, timeMs: number): number {
    if (timeMs > this.#due[r]) this.#due[r] = timeMs;
    return --this.#pending[r] === 0 ? this.#due[r] : -1;
  }
}
