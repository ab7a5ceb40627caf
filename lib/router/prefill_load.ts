/**
 * The KV router's count of the prompt tokens it routed to each engine and that are not yet prefilled: whole
 * until each prompt ends, or drained by the AIC prefill-load model's clock.
 *
 * @module
 */
import { grown } from "../common/grown.ts";

/**
 * Prompt tokens routed to each engine and not yet prefilled, as the KV router's cost and queue see them.
 *
 * Without an estimator a request's tokens count whole until its prompt ends. With one (the AIC prefill-load
 * model, `router_prefill_load_model: "aic"`), as upstream Dynamo's newest `PrefillLoadTracker` does, the oldest
 * unfinished prefill routed to an engine anchors a clock (from when it became the oldest), and the tokens done
 * by then at the pace its predicted duration gives come off the engine's total, spilling past it into the next
 * when it overruns. When a later prefill ends first, the anchor moves on by that one's predicted duration (at
 * most to now), so the load stays continuous. While a prefill without a prediction (not a finite, non-negative
 * number) is unfinished on the engine, only the anchor drains, down to 0, and no further (and without a
 * prediction of its own, the anchor counts whole). Upstream's earlier trackers, which the behaviour reference
 * (§5.6) describes, always drained the anchor alone and kept the anchor's clock when a later prefill ended.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PrefillLoad } from "./prefill_load.ts";
 * const load = new PrefillLoad(2, (isl) => isl / 10); // 10 tokens per ms
 * load.add(0, 0, 100, 100, 0, 0);
 * load.add(1, 0, 50, 50, 0, 0);
 * assert.equal(load.tokens(0, 5), 100); // 50 of the first prompt's 100 done
 * assert.equal(load.tokens(0, 12), 30); // the first overran into the second
 * load.done(0, 0, 12);
 * assert.equal(load.tokens(0, 12), 50);
 * ```
 */
export class PrefillLoad {
  /** Per engine id: its routed prompt tokens not yet prefilled. */
  #total = new Float64Array(8);
  /** Per request: the tokens it added to its engine's total. */
  readonly #routed: Float64Array;
  /** Predicted prefill ms of one request (`isl`, `prefix` cached), if the clock is on. */
  readonly #estimate?: (isl: number, prefix: number) => number;
  // With an estimator: per request, its predicted ms (NaN: none) and its neighbours in its engine's list of
  // unfinished prefills, oldest first; per engine, that list, its anchor clock and its unpredicted prefills.
  readonly #expected: Float64Array;
  readonly #newer: Int32Array;
  readonly #older: Int32Array;
  readonly #tracked: Uint8Array;
  #head = new Int32Array(8).fill(-1);
  #tail = new Int32Array(8).fill(-1);
  #since = new Float64Array(8);
  #unmodeled = new Int32Array(8);

  /** A count for `requests` requests; `estimate` turns the AIC prefill-load clock on. */
  constructor(requests: number, estimate?: (isl: number, prefix: number) => number) {
    this.#routed = new Float64Array(requests);
    this.#estimate = estimate;
    const n = estimate ? requests : 0;
    this.#expected = new Float64Array(n);
    this.#newer = new Int32Array(n);
    this.#older = new Int32Array(n);
    this.#tracked = new Uint8Array(n);
  }

  /** Count `tokens` uncached prompt tokens of `r` (prompt `isl`, `prefix` cached) on engine `id` from `nowMs`. */
  add(r: number, id: number, tokens: number, isl: number, prefix: number, nowMs: number): void {
    this.#ensure(id);
    this.#routed[r] = tokens;
    this.#total[id] += tokens;
    if (this.#estimate && tokens > 0) this.#track(r, id, isl, prefix, nowMs);
  }

  /** `r`'s prompt on engine `id` ended (or it left) at `nowMs`: its tokens no longer count. */
  done(r: number, id: number, nowMs: number): void {
    if (this.#estimate && this.#tracked[r]) this.#untrack(r, id, nowMs);
    this.#total[id] -= this.#routed[r];
    this.#routed[r] = 0;
  }

  /** Engine `id`'s routed prompt tokens not yet prefilled at `nowMs`. */
  tokens(id: number, nowMs: number): number {
    this.#ensure(id);
    const total = this.#total[id], head = this.#head[id];
    if (!this.#estimate || head < 0) return total;
    const tokens = this.#routed[head], expected = this.#expected[head];
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
    if (id < this.#total.length) return;
    const n = Math.max(id + 1, this.#total.length * 2);
    this.#total = grown(this.#total, n);
    this.#since = grown(this.#since, n);
    this.#head = grown(this.#head, n, -1);
    this.#tail = grown(this.#tail, n, -1);
    this.#unmodeled = grown(this.#unmodeled, n);
  }
}
