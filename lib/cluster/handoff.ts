/**
 * Disaggregated hand-offs, in vLLM's order: the prefill rank holds the prompt's KV; the decode rank its router
 * picks reserves blocks for it when they are free, which starts the transfer; when the KV lands, the source frees
 * its copy and the decode rank queues the request. A decode pool short of KV thus backs up into the prefill
 * pool's KV.
 *
 * @module
 */
import type { Engine, RejectReason, RequestTable } from "../engine/mod.ts";
import type { Collector } from "../metrics/mod.ts";
import type { Router } from "../router/mod.ts";
import type { Workload } from "../workload/mod.ts";
import type { EventQueue } from "../common/event_queue.ts";
import { HANDOFF, LINK } from "./events.ts";
import type { Fleet } from "./fleet.ts";
import { SharedLinks } from "../common/shared_links.ts";
import { transferMs } from "./transfer.ts";

/** What the hand-offs need from the cluster's loop. */
export interface HandoffHost {
  /** Current simulated time, ms. */
  now(): number;
  /** The rank of pool `p` its router picks for `r` (the router records the choice). */
  choose(p: number, r: number): Engine;
  /** `r` can never run where `router` sent it: free its routing slot, record why, and end it. */
  reject(r: number, router: Router, reason: RejectReason): void;
  /** `e` may start a pass once same-time events have settled. */
  markDirty(e: Engine): void;
  /** Remove `e`'s worker if it is draining and now idle. */
  removeIfDrained(e: Engine): void;
}

/** The cluster's state the hand-offs read and write. */
export interface HandoffParts {
  readonly workload: Workload;
  readonly requests: RequestTable;
  readonly collector: Collector;
  readonly queue: EventQueue;
  readonly fleet: Fleet;
  /** Whether concurrent transfers from one prefill rank share its link's bandwidth. */
  readonly linkSharing: boolean;
}

/**
 * The hand-offs in flight: for each request, the prefill rank holding its KV and the decode rank it was routed
 * to, and the links their transfers share. The cluster calls {@link Handoffs.start} when a prefill ends,
 * {@link Handoffs.reserve} whenever a decode rank may have freed KV, and delivers the `HANDOFF` and `LINK`
 * events it schedules.
 */
export class Handoffs {
  readonly #host: HandoffHost;
  readonly #p: HandoffParts;
  readonly #source: Int32Array;
  readonly #target: Int32Array;
  readonly #links = new SharedLinks();

  constructor(host: HandoffHost, parts: HandoffParts) {
    this.#host = host;
    this.#p = parts;
    this.#source = new Int32Array(parts.workload.requestCount).fill(-1);
    this.#target = new Int32Array(parts.workload.requestCount).fill(-1);
  }

  /**
   * Prefill finished on `source`, which holds the KV: pick the decode rank now and queue the hand-off there for
   * a KV reservation (or reject it where that rank can never run it).
   */
  start(r: number, source: Engine): void {
    const { collector, fleet, requests, workload } = this.#p, host = this.#host;
    collector.handOff(r, host.now());
    const target = host.choose(1, r);
    this.#source[r] = source.id;
    this.#target[r] = target.id;
    fleet.inbound[target.id]++;
    requests.reset(r, workload.outputLength[r]);
    const reason = target.receive(r);
    if (reason === undefined) {
      this.reserve(target);
      return;
    }
    // The target was routable just now, so it is not draining: nothing to remove.
    fleet.inbound[target.id]--;
    this.#releaseSource(r);
    host.reject(r, fleet.pools[1].router, reason);
  }

  /** Reserve KV at decode rank `e` for its pending hand-offs that now fit, and start their transfers. */
  reserve(e: Engine): void {
    if (e.pending.size === 0) return;
    const n = e.reservePending();
    for (let j = 0; j < n; j++) {
      const r = e.reservedIds[j];
      this.#p.collector.reserve(r, this.#host.now(), e.reservedCached[j], e.id);
      this.#transfer(r, e.reservedResident[j]);
    }
  }

  /** A check of link `key` is due (a `LINK` event): land the transfers done by now, schedule its next check. */
  linkCheck(key: number): void {
    const links = this.#links, now = this.#host.now();
    if (links.due(key) !== now) return; // superseded by an earlier check
    for (const r of links.complete(key, now)) this.arrive(r);
    const next = links.due(key);
    if (next < Infinity) this.#p.queue.push(next, LINK, key);
  }

  /** `r`'s KV landed on its decode rank (a `HANDOFF` event): the source frees its copy, the rank queues `r`. */
  arrive(r: number): void {
    const engine = this.#p.fleet.engines[this.#target[r]];
    this.#p.collector.kvArrived(r, this.#host.now());
    this.#p.fleet.inbound[engine.id]--;
    this.#releaseSource(r);
    engine.land(r);
    this.#host.markDirty(engine);
  }

  /** Move `r`'s prompt KV to its decode rank, where `resident` prompt tokens already are. */
  #transfer(r: number, resident: number): void {
    const source = this.#p.fleet.engines[this.#source[r]];
    const cfg = source.config, now = this.#host.now(), queue = this.#p.queue;
    if (!(cfg.kvBytesPerToken > 0 && cfg.kvTransferBandwidthGBs > 0)) {
      this.arrive(r);
      return;
    }
    const prompt = this.#p.workload.inputLength[r];
    const tokens = cfg.kvTransferTimingMode === "destination_missing" ? prompt - resident : prompt;
    // A linear-attention model's recurrent state goes whole, and the sliding-window layers' last window: the
    // decode rank holds none of them.
    const bytes = tokens * cfg.kvBytesPerToken + cfg.stateBytesPerSeq +
      Math.min(prompt, cfg.window) * cfg.windowKvBytesPerToken;
    if (!this.#p.linkSharing) {
      queue.push(now + transferMs(bytes, cfg.kvTransferBandwidthGBs), HANDOFF, r);
      return;
    }
    const key = source.id;
    const check = this.#links.add(key, now, r, bytes, cfg.kvTransferBandwidthGBs);
    if (check < Infinity) queue.push(check, LINK, key);
  }

  /** Free the KV `r`'s prefill rank held for the hand-off; that rank may admit again, or leave if draining. */
  #releaseSource(r: number): void {
    const source = this.#p.fleet.engines[this.#source[r]];
    source.holds.release(r);
    this.#host.markDirty(source);
    this.#host.removeIfDrained(source);
  }
}
