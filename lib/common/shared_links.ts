/**
 * Processor-sharing links: the transfers in flight on one link share its bandwidth equally, so `n` of them
 * progress at `bandwidth / n` each (KV hand-offs between workers, KV offload between memory tiers).
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
  /** Time of the link's one live check (Infinity when none); a check at any other time is stale. */
  due: number;
}

/**
 * Processor-sharing links keyed by the caller's integer (a source worker, a copy's direction). Each busy link has
 * one live check time,
 * its next completion as last computed; the caller schedules a check whenever {@link SharedLinks.add} or
 * {@link SharedLinks.complete} gives one, and checks that a later change superseded do nothing. So a link
 * with `n` transfers in flight costs one pending event, not `n`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SharedLinks } from "./shared_links.ts";
 * const links = new SharedLinks();
 * // 1 GB/s link = 1e6 bytes/ms. A 1 MB transfer alone would land after 1 ms; a second one starting with it
 * // halves its rate, so both land together after 2 ms, and the check due at 1 ms only moves the due time.
 * assert(links.add(0, 0, 1, 1e6, 1) === 1);
 * assert(links.add(0, 0, 2, 1e6, 1) === Infinity); // the check at 1 ms comes first
 * assert(links.complete(0, 1).length === 0 && links.due(0) === 2);
 * assert(links.complete(0, 2).join() === "1,2" && links.due(0) === Infinity);
 * ```
 */
export class SharedLinks {
  readonly #links = new Map<number, Link>();

  /**
   * Start transfer `r` (the caller's id: a request, a copy) of `bytes` on link `key` (bandwidth `gbps` GB/s) at
   * time `now`. Returns the time to schedule a check of the link at, or Infinity when its live check comes no
   * later.
   */
  add(key: number, now: number, r: number, bytes: number, gbps: number): number {
    let link = this.#links.get(key);
    if (!link) {
      link = { rate: gbps * 1e6, ids: [], remaining: [], at: now, due: Infinity };
      this.#links.set(key, link);
    }
    this.#advance(link, now);
    link.ids.push(r);
    link.remaining.push(bytes);
    const next = this.#nextCompletion(link);
    if (next >= link.due) return Infinity;
    link.due = next;
    return next;
  }

  /**
   * Check link `key` at `now`: when this is its live check, finish the transfers done by now and return their
   * request ids (oldest first); a stale check returns none. Then schedule a check at {@link SharedLinks.due}
   * when it is finite.
   */
  complete(key: number, now: number): number[] {
    const link = this.#links.get(key);
    if (!link || now !== link.due) return [];
    this.#advance(link, now);
    const done: number[] = [];
    // Completions within a nanosecond of each other are simultaneous (floating-point residue), and so is one
    // whose completion time rounds to `now` (late in a long run, where a nanosecond is below a time's ulp):
    // otherwise its check would come back at `now` forever.
    const eps = link.rate * 1e-6, perByte = link.ids.length / link.rate;
    for (let i = 0; i < link.ids.length;) {
      if (link.remaining[i] <= eps || now + link.remaining[i] * perByte <= now) {
        done.push(link.ids[i]);
        link.ids.splice(i, 1);
        link.remaining.splice(i, 1);
      } else {
        i++;
      }
    }
    link.due = this.#nextCompletion(link);
    return done;
  }

  /** Time of link `key`'s live check, or Infinity when it has none (idle). */
  due(key: number): number {
    return this.#links.get(key)?.due ?? Infinity;
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
