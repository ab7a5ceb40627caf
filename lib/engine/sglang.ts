/**
 * SGLang's scheduler on one engine rank (`engine_type: "sglang"`): the reference mocker's
 * `scheduler/sglang`, after SGLang's own `Scheduler.get_next_batch_to_run` and `PrefillAdder`.
 *
 * A pass is either a prefill ("extend") batch or a decode batch, never both (SGLang's `enable_mixed_chunk` is
 * off by default):
 * - **Prefill first.** The prompt being chunked continues, then waiting requests are admitted in policy order
 *   (FIFO, or `lpm`: most cached tokens first) while the budgets last: `chunked_prefill_size` tokens per pass
 *   (one prompt is cut to what is left of it, in whole pages, and continues next pass), `max_prefill_tokens`
 *   (the first request may exceed it), and the KV: free and evictable tokens, less `new_token_ratio` × the
 *   remaining output tokens (each at most `clip_max_new_tokens`) of the decoding requests; a request needs its
 *   uncached tokens and its own remaining output below that, and below it again once the cached blocks it
 *   reuses no longer count as evictable. A request admitted alone on an idle rank is let in whatever its
 *   output (it fits: requests that cannot are rejected before their first admission). Requests whose prompt
 *   completes emit their first token at the pass end; the decoding requests wait. With
 *   `prefill_decode_interval` N, the N passes after a prefill batch decode, while any request is decoding.
 * - **Decode** when no prefill batch forms: every decoding request takes a step. If their KV growth does not
 *   fit, requests are retracted (by recompute, to the back of the queue; their prompt blocks stay cached) until
 *   it does, fewest output tokens first (then longest prompt), keeping at least one. A retraction sets
 *   `new_token_ratio` to the remaining requests' output so far plus 20 steps each over their whole output (at
 *   most 1), as SGLang's `retract_decode`; a decode pass without one lowers it by its decay step, to its floor;
 *   an idle rank starts again from its initial value.
 *
 * Decode ranks plan their passes as vLLM's do (they admit no prompt: only hand-offs whose KV has landed).
 *
 * @module
 */
import { reusedBlocks, sideBlocks } from "./admission.ts";
import { allocateBlocks, claimBlocks } from "./blocks.ts";
import type { Engine } from "./engine.ts";
import { preempt } from "./preemption.ts";
import type { RequestTable } from "./requests.ts";
import type { Speculative } from "./types.ts";

/** The SGLang scheduler's settings (`sglang` in the engine args, over SGLang's defaults). */
export interface SglangSchedule {
  /** Order the waiting queue by longest cached prefix (`schedule_policy: "lpm"`); FIFO otherwise. */
  readonly lpm: boolean;
  /** Prompt tokens a prefill batch takes (`max_prefill_tokens`; its first request may exceed it). */
  readonly maxPrefillTokens: number;
  /** Prompt tokens a pass computes at most, a longer prompt being chunked (`chunked_prefill_size`). */
  readonly chunkedPrefillSize: number;
  /** The remaining output tokens a request is expected to need at most (`clip_max_new_tokens`). */
  readonly clipMaxNewTokens: number;
  /** Decode batches run after a prefill batch before the next one, while requests decode (0: none). */
  readonly prefillDecodeInterval: number;
  /** `new_token_ratio`'s initial value (0.7 × `schedule_conservativeness`), its floor, and its decay per pass. */
  readonly initNewTokenRatio: number;
  readonly minNewTokenRatio: number;
  readonly newTokenRatioDecay: number;
}

/** LPM orders the waiting queue only up to this many requests (SGLang's fallback to FIFO). */
const LPM_MAX_WAITING = 128;
/**
 * In-batch prefix caching: under LPM, a request with at most this many cached tokens whose first tokens (this
 * many, in whole pages) equal an earlier waiting request's goes after the others, so the earlier one caches them.
 */
const IN_BATCH_PREFIX_TOKENS = 32;
/** Decode steps SGLang's retraction expects each remaining request to still take (`RETRACT_DECODE_STEPS`). */
const RETRACT_DECODE_STEPS = 20;

/**
 * One rank's SGLang scheduler state: its `new_token_ratio` and scratch space. It plans passes on the engine's
 * queues and KV pool ({@link SglangScheduler.plan}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveEngineArgs } from "./config.ts";
 * import { SglangScheduler } from "./sglang.ts";
 * const { config } = resolveEngineArgs({ engine_type: "sglang" }, "aggregated");
 * assert(config.blockSize === 1 && config.sglang !== null);
 * assert.equal(new SglangScheduler(config.sglang).newTokenRatio, 0.7);
 * ```
 */
export class SglangScheduler {
  readonly config: SglangSchedule;
  /** The share of decoding requests' remaining output tokens a prefill batch keeps KV free for. */
  newTokenRatio: number;
  /** Decode batches still due before the next prefill batch (`prefill_decode_interval`). */
  #decodesDue = 0;
  readonly #scratch = new Int32Array(2);

  constructor(config: SglangSchedule) {
    this.config = config;
    this.newTokenRatio = config.initNewTokenRatio;
  }

  /**
   * Plan engine `e`'s next pass on the request table `req` (MTP: `spec`): a prefill batch if one forms, else a
   * decode batch. Returns whether a request was retracted.
   */
  plan(e: Engine, req: RequestTable, spec: Speculative | undefined): boolean {
    // An idle rank starts over from the initial ratio, as SGLang's idle check resets it.
    if (e.runningCount === 0) this.newTokenRatio = this.config.initNewTokenRatio;
    if (this.#decodesDue > 0 && this.#decoding(e, req)) this.#decodesDue--;
    else if (this.#prefill(e, req, spec) > 0) {
      this.#decodesDue = this.config.prefillDecodeInterval;
      return false;
    }
    return this.#decode(e, req, spec);
  }

  /** Whether a running request of `e` is decoding. */
  #decoding(e: Engine, req: RequestTable): boolean {
    for (let j = 0; j < e.runningCount; j++) if (req.prefilling[e.running[j]] === 0) return true;
    return false;
  }

  /** Form a prefill batch (see the module doc); returns how many requests it computes prompt tokens of. */
  #prefill(e: Engine, req: RequestTable, spec: Speculative | undefined): number {
    const cfg = e.config, sg = this.config, bs = cfg.blockSize, pool = e.pool, running = e.running;
    const paged = (tokens: number) => Math.ceil(tokens / bs) * bs;
    let chunkLeft = sg.chunkedPrefillSize, inputLeft = sg.maxPrefillTokens;
    let totalLeft = pool.available * bs;
    for (let j = 0; j < e.runningCount; j++) {
      const r = running[j];
      if (req.prefilling[r] === 0) totalLeft -= this.#outputLeft(req, r) * this.newTokenRatio;
    }
    let batch = 0;
    // The prompt being chunked continues first.
    for (let j = 0; j < e.runningCount; j++) {
      const r = running[j];
      if (req.prefilling[r] === 0) continue;
      const rest = req.promptLen[r] + req.generated[r] - req.computed[r];
      const take = Math.min(rest, chunkLeft, Math.floor(totalLeft / bs) * bs);
      if (take <= 0) return batch;
      const upTo = req.computed[r] + take;
      if (Math.ceil(upTo / bs) - req.held[r] > pool.available) return batch;
      if (!allocateBlocks(req, cfg, pool, r, upTo, take)) return batch;
      e.schedule(r, take, true, take);
      batch++;
      totalLeft -= paged(take) + (take === rest ? this.#outputLeft(req, r) : 0);
      inputLeft -= paged(take);
      chunkLeft -= paged(take);
    }
    if (sg.lpm && e.waiting.size > 1 && e.waiting.size <= LPM_MAX_WAITING) this.#orderByPrefix(e, req);
    while (
      chunkLeft > 0 && inputLeft > 0 && totalLeft > 0 && e.runningCount < cfg.maxNumSeqs && e.waiting.size > 0
    ) {
      const r = e.waiting.front();
      if (e.rejectHead(r)) continue;
      const known = req.promptLen[r] + req.generated[r];
      const matched = reusedBlocks(req, pool, r, known, bs, spec, this.#scratch);
      const activeHits = this.#scratch[0], cached = matched * bs, extend = known - cached;
      const output = this.#outputLeft(req, r);
      // Cached blocks nobody holds are evictable until this request holds them.
      const locked = (matched - activeHits) * bs;
      const crowded = batch > 0 || e.runningCount > 0;
      // SGLang checks `total_tokens >= rem_total_tokens` before and after locking the prefix (which takes the
      // locked tokens out of what is left); the second check implies the first.
      if (crowded && extend + output >= totalLeft - locked) break;
      if (paged(extend) >= inputLeft && batch > 0) break;
      const take = paged(extend) <= chunkLeft ? extend : Math.floor(chunkLeft / bs) * bs;
      if (take <= 0) break;
      const upTo = cached + take;
      if (Math.ceil(upTo / bs) - activeHits + sideBlocks(cfg, upTo, take) > pool.available) break;
      e.popWaiting();
      claimBlocks(req, cfg, pool, spec, r, matched, upTo, take);
      req.prefilling[r] = 1;
      e.run(r, cached);
      e.schedule(r, take, true, take);
      batch++;
      totalLeft -= locked + paged(take) + (take === extend ? output : 0);
      inputLeft -= paged(take);
      chunkLeft -= paged(take);
    }
    return batch;
  }

  /**
   * Run a decode step of every decoding request, retracting requests first while their KV growth does not fit
   * (see the module doc). Returns whether one was retracted.
   */
  #decode(e: Engine, req: RequestTable, spec: Speculative | undefined): boolean {
    const cfg = e.config, sg = this.config, bs = cfg.blockSize, pool = e.pool, running = e.running;
    let retracted = false;
    for (;;) {
      let growth = 0, decoding = 0;
      for (let j = 0; j < e.runningCount; j++) {
        const r = running[j];
        if (req.prefilling[r] === 1) continue;
        decoding++;
        const known = req.promptLen[r] + req.generated[r];
        growth += Math.max(0, Math.ceil(known / bs) - req.held[r]) +
          Math.max(0, sideBlocks(cfg, known, known - req.computed[r]) - req.sideBlocks[r]);
      }
      if (growth <= pool.available || decoding <= 1) break;
      preempt(e, req, this.#retractee(e, req, -1), false);
      retracted = true;
    }
    this.newTokenRatio = retracted
      ? this.#ratioAfterRetraction(e, req)
      : Math.max(this.newTokenRatio - sg.newTokenRatioDecay, sg.minNewTokenRatio);
    const drafts = spec === undefined ? 0 : spec.acceptRates.length;
    for (let i = 0; i < e.runningCount;) {
      const r = running[i];
      if (req.prefilling[r] === 1) {
        i++;
        continue;
      }
      const take = req.promptLen[r] + req.generated[r] - req.computed[r];
      while (!allocateBlocks(req, cfg, pool, r, req.computed[r] + take, take)) {
        // A prompt being chunked holds the KV this request needs: it goes back to the front of the queue; else
        // another decoding request is retracted (a lone request always fits, see `rejectReason`).
        const chunked = this.#prefillingIndex(e, req);
        const idx = chunked >= 0 ? chunked : this.#retractee(e, req, i);
        if (idx < 0) throw new Error(`engine ${e.id}: a lone decoding request has no KV to grow into (bug)`);
        preempt(e, req, idx, chunked >= 0);
        retracted = true;
        if (idx < i) i--;
      }
      e.schedule(r, take, false, Math.max(take, 1 + drafts));
      i++;
    }
    return retracted;
  }

  /** Remaining output tokens of `r` a prefill batch keeps KV for: at most `clip_max_new_tokens`. */
  #outputLeft(req: RequestTable, r: number): number {
    return Math.min(req.target[r] - req.generated[r], this.config.clipMaxNewTokens);
  }

  /**
   * `new_token_ratio` after a retraction, as SGLang's `retract_decode` sets it: the decoding requests' output
   * so far plus 20 steps each, over their whole output, at most 1.
   */
  #ratioAfterRetraction(e: Engine, req: RequestTable): number {
    let decoded = 0, total = 0;
    for (let j = 0; j < e.runningCount; j++) {
      const r = e.running[j];
      if (req.prefilling[r] === 1) continue;
      decoded += req.generated[r] + RETRACT_DECODE_STEPS;
      total += req.target[r];
    }
    return total > 0 ? Math.min(1, decoded / total) : this.config.initNewTokenRatio;
  }

  /**
   * Index in `e.running` of the decoding request SGLang retracts first, other than the one at `except`: the
   * fewest output tokens, then the longest prompt, then the latest in running order; −1 when there is none.
   */
  #retractee(e: Engine, req: RequestTable, except: number): number {
    let best = -1;
    for (let j = 0; j < e.runningCount; j++) {
      const r = e.running[j];
      if (req.prefilling[r] === 1 || j === except) continue;
      if (best < 0) {
        best = j;
        continue;
      }
      const b = e.running[best];
      const fewer = req.generated[r] - req.generated[b];
      if (fewer < 0 || (fewer === 0 && req.promptLen[r] >= req.promptLen[b])) best = j;
    }
    return best;
  }

  /** Index in `e.running` of a request whose prompt is still being computed, or −1. */
  #prefillingIndex(e: Engine, req: RequestTable): number {
    for (let j = 0; j < e.runningCount; j++) if (req.prefilling[e.running[j]] === 1) return j;
    return -1;
  }

  /**
   * Reorder `e`'s waiting queue by cached prefix, longest first (stable), with the requests in-batch prefix
   * caching defers last, in their order ({@link IN_BATCH_PREFIX_TOKENS}).
   */
  #orderByPrefix(e: Engine, req: RequestTable): void {
    const n = e.waiting.size, bs = e.config.blockSize, pool = e.pool;
    const firstBlocks = Math.ceil(IN_BATCH_PREFIX_TOKENS / bs);
    const seen = new Set<number>();
    const ids: number[] = [], score: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = e.waiting.at(i), from = req.blockOffset[r], to = req.blockOffset[r + 1];
      const cached = pool.matchPrefix(req.blocks, from, to, this.#scratch) * bs;
      let deferred = false;
      if (cached <= IN_BATCH_PREFIX_TOKENS && to - from >= firstBlocks) {
        const key = req.blocks[from + firstBlocks - 1];
        deferred = seen.has(key);
        seen.add(key);
      }
      ids.push(r);
      // More cached tokens first; deferred requests after all others, in their order.
      score.push(deferred ? -1 : cached);
    }
    const order = ids.map((_, i) => i).sort((a, b) => score[b] - score[a]);
    for (let i = 0; i < n; i++) e.waiting.popFront();
    for (const i of order) e.waiting.pushBack(ids[i]);
  }
}
