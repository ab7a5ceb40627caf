/**
 * The workload driver: when each request becomes ready, open loop (trace timestamps) or closed loop
 * (`--replay-concurrency`), with multi-turn sessions that issue their next turn after the previous one ends.
 *
 * @module
 */
import { IntDeque } from "../engine/deque.ts";
import type { Workload } from "../workload/mod.ts";

/**
 * Decides dispatch times. The cluster calls {@link SessionDriver.ready} when a request's arrival time comes,
 * {@link SessionDriver.ended} when it completes or is rejected, and dispatches what `take` returns.
 *
 * Closed loop keeps at most `concurrency` requests in flight. Ready turns of sessions already under way go
 * before new sessions (each slot behaves like a user working through a conversation); within each class the
 * order is first ready, first served.
 */
export class SessionDriver {
  readonly #w: Workload;
  readonly #concurrency: number;
  readonly #continuing = new IntDeque(64);
  readonly #fresh = new IntDeque(64);
  /** Requests dispatched and not yet ended. */
  inFlight = 0;

  /** @param concurrency In-flight cap; `Infinity` for open loop. */
  constructor(workload: Workload, concurrency: number) {
    this.#w = workload;
    this.#concurrency = concurrency;
  }

  /** Whether arrivals follow trace timestamps (open loop). */
  get openLoop(): boolean {
    return this.#concurrency === Infinity;
  }

  /** First turns with their arrival times (open loop) or all at 0 (closed loop), in session order. */
  *initialArrivals(): Generator<[request: number, timeMs: number]> {
    const w = this.#w;
    for (let s = 0; s < w.sessionCount; s++) {
      const r = w.sessionFirst[s];
      yield [r, this.openLoop ? w.arrivalMs[r] : 0];
    }
  }

  /** Request `r` became ready. */
  ready(r: number): void {
    if (this.#w.turnIndex[r] > 0) this.#continuing.pushBack(r);
    else this.#fresh.pushBack(r);
  }

  /** The next request to dispatch now, or −1. */
  take(): number {
    if (this.inFlight >= this.#concurrency) return -1;
    const q = this.#continuing.size > 0 ? this.#continuing : this.#fresh;
    if (q.size === 0) return -1;
    this.inFlight++;
    return q.popFront();
  }

  /** `r` ended (completed or rejected). Returns its session's next turn and that turn's delay, or −1. */
  ended(r: number): number {
    this.inFlight--;
    return this.#w.nextTurn[r];
  }

  /** Requests ready but held back by the concurrency cap. */
  get pending(): number {
    return this.#continuing.size + this.#fresh.size;
  }
}
