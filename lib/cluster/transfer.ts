/**
 * KV transfer between a prefill worker and a decode worker in disaggregated serving.
 *
 * The reference charges each transfer a pure latency, `bytes / bandwidth`, however many run at once (its §9
 * item 11). With link sharing on, each prefill rank's outgoing link (a worker's, or each DP rank's) is a
 * processor-sharing queue: the `n`
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
  /** Time of the link's one live check (Infinity when none); a check at any other time is stale. */
  due: number;
}

/**
 * Processor-sharing links keyed by an integer (the source worker id). Each busy link has one live check time,
 * its next completion as last computed; the caller schedules a check whenever {@link SharedLinks.add} or
 * {@link SharedLinks.complete} gives one, and checks that a later change superseded do nothing. So a link
 * with `n` transfers in flight costs one pending event, not `n`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SharedLinks } from "./transfer.ts";
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
   * Start a transfer of `bytes` for request `r` on link `key` (bandwidth `gbps` GB/s) at time `now`. Returns
   * the time to schedule a check of the link at, or Infinity when its live check comes no later.
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

/** The engine args that time a KV transfer (those of its source, the prefill engine). */
export interface TransferArgs {
  readonly kv_transfer_bandwidth?: number | null;
  readonly kv_transfer_timing_mode: string;
}

/** The transfer args' defaults: a decode engine left at them has set nothing to warn of. */
const TRANSFER_DEFAULTS = { kv_transfer_bandwidth: null, kv_transfer_timing_mode: "full_prompt" } as const;

/**
 * The warning for KV-transfer args the decode engines set differently from the prefill engines: a transfer is
 * timed by its source's args, as in the reference, so the decode engines' have no effect. Decode args left at
 * their defaults say nothing, whatever the prefill engines give.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { transferArgWarnings } from "./transfer.ts";
 * const rr = { kv_transfer_timing_mode: "full_prompt" };
 * assert.deepEqual(transferArgWarnings(rr, rr), []);
 * assert.match(transferArgWarnings(rr, { ...rr, kv_transfer_bandwidth: 50 })[0], /kv_transfer_bandwidth 50/);
 * assert.deepEqual(transferArgWarnings({ ...rr, kv_transfer_bandwidth: 50 }, rr), []);
 * ```
 */
export function transferArgWarnings(prefill: TransferArgs, decode: TransferArgs): string[] {
  const keys = (["kv_transfer_bandwidth", "kv_transfer_timing_mode"] as const).filter((k) =>
    (decode[k] ?? null) !== (prefill[k] ?? null) && (decode[k] ?? null) !== TRANSFER_DEFAULTS[k]
  );
  if (keys.length === 0) return [];
  const given = (a: TransferArgs) => keys.map((k) => `${k} ${a[k] ?? "unset"}`).join(", ");
  return [
    `the decode engine args' ${
      given(decode)
    } have no effect: a KV transfer is timed by the prefill (source) ` +
    `engine's args, as in the reference (${given(prefill)}); give them in the prefill engine args`,
  ];
}
