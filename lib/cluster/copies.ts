/**
 * The KV offload tiers' copies in the cluster's loop: a `COPIES` event per rank for when its host tier's next
 * copy lands, and one (argument −1) for when the shared lower tiers' next copy does. A landed copy back lets
 * its rank run the request it parked; a landed staging starts its rank's copy back to the GPU.
 *
 * @module
 */
import type { EventQueue } from "../common/event_queue.ts";
import type { Engine } from "../engine/mod.ts";
import { COPIES } from "./events.ts";
import type { Fleet } from "./fleet.ts";

/** The checks of the fleet's host and lower tiers queued in the cluster's event queue. */
export class CopyChecks {
  readonly #queue: EventQueue;
  readonly #fleet: Fleet;
  readonly #markDirty: (e: Engine) => void;
  /** Per engine id: the time of its queued host-tier check, if any. */
  readonly #due: number[] = [];
  /** The time of the lower tiers' queued check, if any. */
  #lowerDue = Infinity;
  /** Checks queued: with no request left, copies still landing do not keep the run going. */
  queued = 0;

  /** @param markDirty Lets a rank start a pass once same-time events have settled. */
  constructor(queue: EventQueue, fleet: Fleet, markDirty: (e: Engine) => void) {
    this.#queue = queue;
    this.#fleet = fleet;
    this.#markDirty = markDirty;
  }

  /**
   * Queue a check of `e`'s host tier when its next copy lands, unless one is queued for then; and of the lower
   * tiers, which its copies may have started copies in.
   */
  check(e: Engine, now: number): void {
    this.#checkLower(now);
    const due = e.offload?.due() ?? Infinity;
    if (due === Infinity || this.#due[e.id] === due) return;
    this.#due[e.id] = due;
    this.queued++;
    this.#queue.push(due, COPIES, e.id);
  }

  /** A `COPIES` event at `now`: land the copies of rank `arg`'s host tier, or (−1) of the lower tiers. */
  handle(arg: number, now: number): void {
    this.queued--;
    if (arg < 0) {
      this.#landStagings(now);
      return;
    }
    const e = this.#fleet.engines[arg];
    if (this.#due[arg] === now) this.#due[arg] = Infinity;
    e.landCopies(now);
    this.#markDirty(e);
    this.check(e, now);
    this.#fleet.copiesLanded(e);
  }

  /** Queue a check of the lower tiers when their next copy lands, unless one is queued for then. */
  #checkLower(now: number): void {
    const due = this.#fleet.lower?.due(now) ?? Infinity;
    if (due === Infinity || this.#lowerDue === due) return;
    this.#lowerDue = due;
    this.queued++;
    this.#queue.push(due, COPIES, -1);
  }

  /**
   * Land the lower tiers' copies due now: each staging landed starts its rank's copy back to the GPU (a rank
   * whose request is back in its queue may start a pass).
   */
  #landStagings(now: number): void {
    if (this.#lowerDue === now) this.#lowerDue = Infinity;
    for (const { engine, id } of this.#fleet.lower!.tick(now)) {
      const e = this.#fleet.engines[engine];
      e.landStaging(id, now);
      this.#markDirty(e);
      this.check(e, now);
    }
    this.#checkLower(now);
  }
}
