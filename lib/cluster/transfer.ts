/**
 * KV transfer between a prefill worker and a decode worker in disaggregated serving.
 *
 * The reference charges each transfer a pure latency, `bytes / bandwidth`, however many run at once (its §9
 * item 11). With link sharing on, each prefill worker's outgoing link is a processor-sharing queue: the `n`
 * transfers in flight on it progress at `bandwidth / n` each, so a burst of hand-offs takes as long as the
 * link really needs.
 *
 * @module
 */

/** One link's processor-sharing state. */
interface Link {
  /** Bytes/ms of the link. */
  rate: number;
  /** Request ids and remaining bytes of the transfers in flight. */
  ids: number[];
  remaining: number[];
  /** Time the remaining bytes refer to. */
  at: number;
  /** Bumped on every change; a completion event carrying an older version is stale. */
  version: number;
}

/**
 * Processor-sharing links keyed by an integer (the source worker id).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SharedLinks } from "./transfer.ts";
 * const links = new SharedLinks();
 * // 1 GB/s link = 1e6 bytes/ms; two 1 MB transfers starting together finish together after 2 ms.
 * links.add(0, 0, 1, 1e6, 1);
 * const next = links.add(0, 0, 2, 1e6, 1);
 * assert(next === 2);
 * assert(links.complete(0, 2).join() === "1,2");
 * ```
 */
export class SharedLinks {
  readonly #links = new Map<number, Link>();

  /**
   * Start a transfer of `bytes` for request `r` on link `key` (bandwidth `gbps` GB/s) at time `now`.
   * Returns the link's next completion time; schedule a check then with {@link SharedLinks.version}.
   */
  add(key: number, now: number, r: number, bytes: number, gbps: number): number {
    let link = this.#links.get(key);
    if (!link) {
      link = { rate: gbps * 1e6, ids: [], remaining: [], at: now, version: 0 };
      this.#links.set(key, link);
    }
    this.#advance(link, now);
    link.ids.push(r);
    link.remaining.push(bytes);
    link.version++;
    return this.#nextCompletion(link);
  }

  /** Current version of link `key` (to tag its completion event). */
  version(key: number): number {
    return this.#links.get(key)?.version ?? -1;
  }

  /**
   * Finish the transfers of link `key` that are done at `now` and return their request ids (oldest first).
   * Call {@link SharedLinks.nextCompletion} afterwards to schedule the next check.
   */
  complete(key: number, now: number): number[] {
    const link = this.#links.get(key);
    if (!link) return [];
    this.#advance(link, now);
    const done: number[] = [];
    // Completions within a nanosecond of each other are simultaneous (floating-point residue).
    const eps = link.rate * 1e-6;
    for (let i = 0; i < link.ids.length;) {
      if (link.remaining[i] <= eps) {
        done.push(link.ids[i]);
        link.ids.splice(i, 1);
        link.remaining.splice(i, 1);
      } else {
        i++;
      }
    }
    if (done.length) link.version++;
    return done;
  }

  /** Next completion time of link `key`, or Infinity when idle. */
  nextCompletion(key: number): number {
    const link = this.#links.get(key);
    return link ? this.#nextCompletion(link) : Infinity;
  }

  #nextCompletion(link: Link): number {
    if (link.ids.length === 0) return Infinity;
    let min = Infinity;
    for (const b of link.remaining) if (b < min) min = b;
    return link.at + min * link.ids.length / link.rate;
  }

  #advance(link: Link, now: number): void {
    const n = link.ids.length;
    if (n > 0 && now > link.at) {
      const each = (now - link.at) * link.rate / n;
      for (let i = 0; i < n; i++) link.remaining[i] -= each;
    }
    link.at = now;
  }
}

/**
 * Transfer time of `bytes` at `gbps` GB/s, in ms (the reference's pure-latency model).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { transferMs } from "./transfer.ts";
 * // 10,000 tokens × 131,072 B at 400 GB/s ≈ 3.28 ms (the AISimulate docs' example).
 * assert(Math.abs(transferMs(10_000 * 131_072, 400) - 3.2768) < 1e-9);
 * ```
 */
export function transferMs(bytes: number, gbps: number): number {
  return bytes / (gbps * 1e9) * 1000;
}
