/**
 * vLLM's scheduler on one engine rank (the reference mocker's `lib/mocker/src/scheduler/vllm/core.rs`; TRT-LLM's
 * GUARANTEED_NO_EVICT policy reuses it), which plans an engine's passes ({@link VllmScheduler.plan}):
 * 1. running requests first, in order, within the token budget (`max_num_batched_tokens`), chunking prompts (an
 *    MTP verification round takes 1 + its drafts); a request that cannot get a KV block preempts the newest
 *    (LIFO) or oldest (FIFO) running request by recompute;
 * 2. waiting requests, if nothing was preempted, up to `max_num_seqs` (with `async_scheduling`, only those
 *    queued before the previous pass was planned): prefix lookup on full blocks (the whole-context hit is cut so
 *    the last token is recomputed), a capacity check on the whole known sequence, then a first chunk; a first
 *    admission whose prefix continues in the host tier is parked while it is copied back; on a decode rank,
 *    then hand-offs whose KV has landed.
 *
 * @module
 */
import { reuseIfFits, sideBlocks } from "./admission.ts";
import { allocateBlocks, claimBlocks } from "./blocks.ts";
import type { Engine } from "./engine.ts";
import { preempt } from "./preemption.ts";
import type { RequestTable } from "./requests.ts";
import type { Speculative } from "./types.ts";

/** What {@link VllmScheduler.#admit} returns for a request parked while its prefix is copied back from the host tier. */
const PARKED = -2;

/**
 * vLLM's scheduling of an engine's passes; its state is scratch space only.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Engine, RequestTable, resolveEngineArgs } from "./mod.ts";
 * import { fixedModel } from "../perf/mod.ts";
 * const { config } = resolveEngineArgs({ num_gpu_blocks: 4, block_size: 16 }, "aggregated");
 * const req = new RequestTable({
 *   requestCount: 1, inputLength: Int32Array.of(20), outputLength: Int32Array.of(2),
 *   blockOffset: Int32Array.of(0, 1), blocks: Int32Array.of(5),
 * } as never);
 * const e = new Engine(0, config, fixedModel({ prefillMs: 1, prefillMsPerToken: 0, decodeMs: 1 }), req);
 * req.reset(0, 2); // two output tokens to generate
 * e.enqueue(0);
 * assert.equal(e.startPass(0) > 0, true); // the prompt runs whole in one pass
 * assert.equal(e.admittedCount, 1);
 * ```
 */
export class VllmScheduler {
  readonly #scratch = new Int32Array(2);

  /**
   * Plan engine `e`'s next pass, starting at `nowMs`, on the request table `req` (MTP: `spec`): 1. running
   * requests first, in order, within the token budget, preempting by recompute when a block cannot be had;
   * 2. admissions, only when nothing was preempted. Returns whether it preempted.
   */
  plan(e: Engine, req: RequestTable, spec: Speculative | undefined, nowMs: number): boolean {
    const cfg = e.config, bs = cfg.blockSize, pool = e.pool, running = e.running;
    let budget = cfg.maxNumBatchedTokens;
    let preempted = false;

    // 1. Running requests first.
    let i = 0;
    while (i < e.runningCount && budget > 0) {
      const r = running[i];
      const remaining = req.promptLen[r] + req.generated[r] - req.computed[r];
      req.passPrefill[r] = 0;
      if (remaining <= 0) {
        throw new Error(`engine ${e.id}: running request ${r} has nothing to compute (bug)`);
      }
      const inPrefill = req.prefilling[r] === 1;
      // Without chunked prefill the rest of the prompt runs whole, as the reference's `prompt_remaining` test
      // (a recompute after preemption may chunk the generated tokens after it).
      if (inPrefill && !cfg.enableChunkedPrefill && req.promptLen[r] - req.computed[r] > budget) break;
      const take = remaining < budget ? remaining : budget;
      let selfPreempted = false;
      // Fast path: a decoding request whose next token still fits its last block needs no allocation (unless its
      // sliding-window layers' blocks change, as after a prompt chunk they kept whole).
      const fits = !inPrefill && req.computed[r] + take <= req.held[r] * bs &&
        (cfg.windowShare === 0 || sideBlocks(cfg, req.computed[r] + take, take) === req.sideBlocks[r]);
      while (!fits && !allocateBlocks(req, cfg, pool, r, req.computed[r] + take, take)) {
        const victimIdx = cfg.preemption === "lifo" ? e.runningCount - 1 : 0;
        const victim = running[victimIdx];
        if (victimIdx < i) {
          // Already scheduled in this pass: give its tokens back.
          budget += req.charged[victim];
          e.unschedule(victim);
          i--;
        }
        preempt(e, req, victimIdx);
        preempted = true;
        if (victim === r) {
          selfPreempted = true;
          break;
        }
      }
      if (selfPreempted) continue;
      budget -= e.schedule(r, take, inPrefill, inPrefill ? take : verifyCharge(spec, take, budget));
      i++;
    }

    // 2. Admissions, only when nothing was preempted.
    if (!preempted) {
      // Async scheduling: requests queued after the previous pass was planned are not visible yet, unless the
      // pass would otherwise be empty (then all of them are, as an idle scheduler sees its whole queue).
      const idle = e.runningCount === 0;
      while (e.runningCount < cfg.maxNumSeqs && e.waiting.size > 0) {
        const r = e.waiting.front();
        if (req.firstPass[r] > e.passes && !idle) break;
        // A request that cannot run is rejected whatever budget is left, as the reference's admission loop does.
        if (e.rejectHead(r)) continue;
        if (budget <= 0) break;
        const take = this.#admit(e, req, spec, r, budget, nowMs);
        if (take === PARKED) continue;
        if (take < 0) break;
        budget -= e.schedule(
          r,
          take,
          take > 0 && cfg.role !== "decode",
          cfg.role === "decode" ? 1 : take,
        );
      }
      while (e.runningCount < cfg.maxNumSeqs && e.landed.size > 0 && budget > 0) {
        const r = e.landed.front();
        if (req.firstPass[r] > e.passes && !idle) break;
        e.landed.popFront();
        e.waitingTokens -= req.promptLen[r];
        req.prefilling[r] = 0;
        e.run(r, 0);
        budget -= e.schedule(r, 0, false, 1);
      }
    }
    return preempted;
  }

  /**
   * Try to admit the head of `e`'s waiting queue, `r`, with `budget` tokens left. Returns the prompt tokens to compute
   * in this pass (0 on decode workers, which restore the prompt's KV without compute), −1 if it must wait, or
   * {@link PARKED} when it left the queue while its prefix is copied back from the host tier (from `nowMs`).
   */
  #admit(
    e: Engine,
    req: RequestTable,
    spec: Speculative | undefined,
    r: number,
    budget: number,
    nowMs: number,
  ): number {
    const cfg = e.config, bs = cfg.blockSize, off = e.offload;
    const known = req.promptLen[r] + req.generated[r];
    let matched = reuseIfFits(e, req, spec, r, this.#scratch);
    if (matched < 0) return -1;
    const resident = this.#scratch[1];
    const hits = off === null ? 0 : off.hostHits(req, r, resident, known, bs);
    if (hits > 0) {
      if (off!.swapIn(req, r, resident, hits, nowMs)) {
        e.waiting.popFront(); // its tokens stay queued while it is parked
        return PARKED;
      }
      matched = reuseIfFits(e, req, spec, r, this.#scratch);
      if (matched < 0) return -1;
    }
    const cached = matched * bs;
    let take: number;
    if (cfg.role === "decode") {
      take = 0;
    } else {
      take = known - cached < budget ? known - cached : budget;
      if (!cfg.enableChunkedPrefill && req.promptLen[r] - cached > budget) return -1;
    }
    e.popWaiting();
    const upTo = cfg.role === "decode" ? known : cached + take;
    claimBlocks(req, cfg, e.pool, spec, r, matched, upTo, cfg.role === "decode" ? 1 : take);
    req.prefilling[r] = cfg.role === "decode" ? 0 : 1;
    if (cfg.role === "decode") req.computed[r] = known;
    e.run(r, cached);
    return take;
  }
}

/**
 * What a decoding request's `take` tokens cost of the pass's `budget`: with MTP (`spec`), as vLLM schedules a
 * verification round, the token it emitted last and a full set of drafts (`1 + nextn`, at least `take`), cut to
 * the budget left (fewer drafts then); without, `take`.
 */
function verifyCharge(spec: Speculative | undefined, take: number, budget: number): number {
  if (spec === undefined) return take;
  const full = Math.max(take, 1 + spec.acceptRates.length);
  return full < budget ? full : Math.max(budget, take);
}
