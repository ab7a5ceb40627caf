/**
 * One engine rank, one forward pass per step (the reference mocker's engine core). A pass (see
 * {@link Engine.startPass}):
 * 1. is planned by the rank's scheduler: vLLM's (`vllm.ts`: running requests first within the token budget,
 *    preemption by recompute, then admissions) or SGLang's (`sglang.ts`: a prefill batch or a decode batch),
 *    through the engine's scheduling methods ({@link Engine.schedule}, {@link Engine.run}, …);
 * 2. every request whose KV now covers its sequence emits a token (or an MTP burst) at the pass end.
 *
 * The pass lasts `prefill(batch, mean ISL, mean prefix) + decode(batch, mean context, active KV)`. State is
 * mutated at the pass start; the cluster delivers the pass's tokens and completions at its end.
 *
 * Disaggregated serving hands a request from a prefill rank to a decode rank the way vLLM's KV connectors do:
 * the prefill rank keeps the finished prompt's KV blocks ({@link Engine.holds}) until the cluster releases
 * them once the transfer has landed; the decode rank queues the hand-off ({@link Engine.receive}), reserves
 * the prompt's blocks when they are free and no preempted request waits for blocks
 * ({@link Engine.reservePending}), which starts the transfer, and once the KV has landed
 * ({@link Engine.land}) admits the request after any preempted ones without allocating again. A landed
 * request needs only a running slot, so a preempted request still short of blocks does not hold it back (that
 * would deadlock a pool full of landed KV).
 *
 * @module
 */
import type { PerfModel } from "../perf/mod.ts";
import type { EngineConfig } from "./config.ts";
import { rejectReason, reuseIfFits } from "./admission.ts";
import { claimBlocks, registerPromptBlocks } from "./blocks.ts";
import { IntDeque } from "../common/deque.ts";
import { applyEmissions } from "./emission.ts";
import { KvHolds } from "./kv_holds.ts";
import { KvPool } from "./kv_pool.ts";
import type { LowerTiers } from "./lower_tiers.ts";
import { Offload } from "./offload.ts";
import { SglangScheduler } from "./sglang.ts";
import { VllmScheduler } from "./vllm.ts";
import { chargePass } from "./timing.ts";
import type { RequestTable } from "./requests.ts";
import type { PassStats, PassTotals, RejectReason, Speculative } from "./types.ts";
import { addPass, emptyPassTotals } from "./pass_totals.ts";
import type { OpTotals } from "./op_totals.ts";

/**
 * What plans an engine's passes: vLLM's scheduler ({@link VllmScheduler}) or SGLang's ({@link SglangScheduler}).
 */
export interface PassScheduler {
  /**
   * Plan engine `e`'s next pass, starting at `nowMs`, on the request table `req` (MTP: `spec`), through the
   * engine's scheduling methods ({@link Engine.schedule}, {@link Engine.run}, …). Returns whether it preempted.
   */
  plan(e: Engine, req: RequestTable, spec: Speculative | undefined, nowMs: number): boolean;
}

/**
 * A simulated engine rank. Created by the cluster; all request state lives in the shared {@link RequestTable}.
 */
export class Engine {
  /** Index of this rank in the cluster. */
  readonly id: number;
  readonly config: EngineConfig;
  readonly perf: PerfModel;
  readonly pool: KvPool;
  /** The host-memory KV tier and the requests parked for its copies (`num_g2_blocks`); null without one. */
  readonly offload: Offload | null;
  /**
   * What plans its passes: SGLang's scheduler on an SGLang engine's aggregated or prefill rank, vLLM's otherwise
   * (an SGLang decode rank's passes are planned as vLLM's, see {@link SglangScheduler}).
   */
  readonly scheduler: PassScheduler;
  /** Prefill rank: the KV of finished prompts, held until the cluster releases it once transferred. */
  readonly holds: KvHolds;
  readonly waiting: IntDeque = new IntDeque(64);
  /** Running requests in scheduling order: `running[0 … runningCount)`. */
  readonly running: Int32Array;
  runningCount = 0;
  /** Known tokens (prompt + generated) of the waiting requests. */
  waitingTokens = 0;
  /**
   * Of the waiting requests (and those parked for their host-tier copies), the preempted ones, which the FPM
   * reports as queued decode work ({@link Engine.queuesAsDecode}), and their known tokens (part of
   * `waitingTokens`).
   */
  preemptedWaiting = 0;
  preemptedTokens = 0;
  /** Decode rank: hand-offs waiting for KV room to start their transfer (FIFO). */
  readonly pending: IntDeque = new IntDeque(16);
  /** Decode rank: hand-offs whose KV is reserved here and still in transfer. */
  inTransfer = 0;
  /** Decode rank: prompt tokens of the hand-offs not yet landed (pending or in transfer). */
  inboundTokens = 0;
  /** Decode rank: hand-offs whose KV has landed, waiting for a running slot (their tokens in `waitingTokens`). */
  readonly landed: IntDeque = new IntDeque(16);
  /** Outputs of the last {@link Engine.reservePending}: the requests that reserved KV, with the prompt tokens
   * reused from this rank's cache (as an admission counts them) and those resident before the cut (what a
   * `destination_missing` transfer need not move). */
  readonly reservedIds: number[] = [];
  readonly reservedCached: number[] = [];
  readonly reservedResident: number[] = [];
  /** Whether a pass is in flight: its own, or its attention-DP group's that it sits out. */
  busy = false;

  // Outputs of the last startPass, valid until the next one.
  /** Requests admitted in the pass, with the cached (reused) prompt tokens of each. */
  readonly admittedIds: Int32Array;
  readonly admittedCached: Int32Array;
  admittedCount = 0;
  /** Requests rejected in the pass and why. */
  rejectedIds: number[] = [];
  rejectedReasons: RejectReason[] = [];
  /** Requests that emit tokens at the pass end (`burst[r]` each). */
  readonly emitted: Int32Array;
  emittedCount = 0;
  /** Requests that finished with the pass (subset of emitted). */
  readonly finished: Int32Array;
  finishedCount = 0;
  /** Requests whose prompt processing completed in the pass. */
  readonly prefillDone: Int32Array;
  prefillDoneCount = 0;
  /** `preemptedWaiting` and `preemptedTokens` at the last pass start: their part of `last`'s queued figures. */
  readonly lastPreempted = { requests: 0, tokens: 0 };
  /** Aggregates of the last pass. */
  readonly last: PassStats = {
    prefillRequests: 0,
    prefillTokens: 0,
    prefillKvTokens: 0,
    decodeRequests: 0,
    decodeKvTokens: 0,
    queuedRequests: 0,
    queuedTokens: 0,
    prefillMs: 0,
    decodeMs: 0,
    overheadMs: 0,
    wallMs: 0,
  };

  // Lifetime counters.
  passes = 0;
  preemptions = 0;
  busyMs = 0;
  /** The charged duration of this rank's own pass in flight (0 when it sits out its group's pass). */
  passMs = 0;
  /** Decode request-forwards and the tokens they emitted (mean accept length = tokens / forwards). */
  decodeForwards = 0;
  decodeTokens = 0;
  /** Sums over every pass: busy time by part, and what a typical prefill and decode pass are drawn from. */
  readonly totals: PassTotals = emptyPassTotals();
  /** Operator time over every pass, when recorded (set before the first pass); null otherwise. */
  opTotals: OpTotals | null = null;

  readonly #req: RequestTable;
  readonly #spec: Speculative | undefined;
  readonly #scratch = new Int32Array(2);
  /** With a host tier: the requests the pass computes prompt tokens of. */
  readonly #prefilled: number[] = [];
  /** What the pass being scheduled computes: its prompt chunks (count, KV after them, cached prefix, tokens). */
  readonly #pass = { prefillBatch: 0, prefillIsl: 0, prefillPrefix: 0, prefillTokens: 0, computedTokens: 0 };
  /** Whether {@link Engine.retire} gave its KV memory back. */
  #retired = false;
  /** Whether SGLang's scheduler plans the passes. */
  readonly #sglang: boolean;

  /**
   * Bytes a rank with `config` allocates when it is made: its KV pool (and its host tier's), six Int32 arrays of
   * `max_num_seqs` slots, and about 4 KiB of objects.
   */
  static stateBytes(config: EngineConfig): number {
    const host = config.hostTier ? KvPool.bytes(config.hostTier.blocks, true) : 0;
    return KvPool.bytes(config.numGpuBlocks, config.enablePrefixCaching) + host + 24 * config.maxNumSeqs +
      4096;
  }

  /**
   * @param speculative MTP's draft acceptance, if any.
   * @param lower The run's lower KV tiers, shared by every rank (with a host tier only), or null.
   */
  constructor(
    id: number,
    config: EngineConfig,
    perf: PerfModel,
    requests: RequestTable,
    speculative?: Speculative,
    lower: LowerTiers | null = null,
  ) {
    this.id = id;
    this.config = config;
    this.perf = perf;
    this.#req = requests;
    this.#spec = speculative;
    this.pool = new KvPool(config.numGpuBlocks, config.enablePrefixCaching);
    this.offload = config.hostTier ? new Offload(config.hostTier, this.pool, lower, id) : null;
    this.scheduler = config.sglang ? new SglangScheduler(config.sglang) : new VllmScheduler();
    this.#sglang = this.scheduler instanceof SglangScheduler;
    this.holds = new KvHolds(this.pool);
    const cap = config.maxNumSeqs;
    this.running = new Int32Array(cap);
    this.admittedIds = new Int32Array(cap);
    this.admittedCached = new Int32Array(cap);
    this.emitted = new Int32Array(cap);
    this.finished = new Int32Array(cap);
    this.prefillDone = new Int32Array(cap);
  }

  /**
   * Give back the KV memory of a rank whose worker has left the fleet (idle, holding no KV), unless its host tier
   * still has copies on their way (call again once they have landed) or it was given back already; its counters
   * stay for the report. Returns the bytes given back (0: none).
   */
  retire(): number {
    if (this.busy || this.hasWork) throw new Error(`engine ${this.id}: retired with work left (bug)`);
    if (this.#retired || (this.offload !== null && this.offload.due() < Infinity)) return 0;
    this.#retired = true;
    return this.pool.retire() + (this.offload?.tier.pool.retire() ?? 0);
  }

  /** Whether the engine holds any request. */
  get hasWork(): boolean {
    return this.runningCount > 0 || this.waiting.size > 0 || this.landed.size > 0 ||
      (this.offload !== null && this.offload.parked > 0);
  }

  /**
   * Land the host tier's copies due at `nowMs` ({@link Offload.due}): the requests parked for a copy back return
   * to the front of the waiting queue, in landing order.
   */
  landCopies(nowMs: number): void {
    const back = this.offload?.tick(this.#req, nowMs) ?? [];
    for (let j = back.length - 1; j >= 0; j--) {
      this.#markPlanned(back[j]);
      this.waiting.pushFront(back[j]);
    }
  }

  /**
   * The lower tiers' staging `id` for this rank landed at `nowMs` ({@link Offload.landStaging}): its request's
   * copy back to the GPU starts, and if that was instant the request returns to the front of the waiting queue.
   */
  landStaging(id: number, nowMs: number): void {
    const r = this.offload!.landStaging(this.#req, id, nowMs);
    if (r < 0) return;
    this.#markPlanned(r);
    this.waiting.pushFront(r);
  }

  /**
   * Decode rank: queue hand-off `r` (already `reset` on the request table) for a KV reservation, or return
   * why this rank can never run it (then nothing is queued).
   */
  receive(r: number): RejectReason | undefined {
    const reason = rejectReason(this.#req, this.config, this.#spec, r);
    if (reason !== undefined) return reason;
    this.pending.pushBack(r);
    this.inboundTokens += this.#req.promptLen[r];
    return undefined;
  }

  /**
   * Decode rank: reserve the prompt's KV blocks for the pending hand-offs, in order, while the blocks are free,
   * a running slot is open and no preempted request waits ahead of them (vLLM allocates a remote prefill's
   * blocks when its scheduler reaches it in the waiting queue, where preempted requests go first). Fills
   * `reservedIds`, `reservedCached` and `reservedResident`; returns how many.
   */
  reservePending(): number {
    const req = this.#req, cfg = this.config, bs = cfg.blockSize;
    this.reservedIds.length = this.reservedCached.length = this.reservedResident.length = 0;
    while (this.pending.size > 0 && this.waiting.size === 0 && this.runningCount < cfg.maxNumSeqs) {
      const r = this.pending.front();
      const matched = reuseIfFits(this, req, this.#spec, r, this.#scratch);
      if (matched < 0) break;
      this.reservedResident.push(this.#scratch[1] * bs);
      this.pending.popFront();
      // The blocks the transfer fills stay private until it lands: no other hand-off may count them as here.
      claimBlocks(req, cfg, this.pool, this.#spec, r, matched, req.promptLen[r], 1, false);
      this.inTransfer++;
      this.reservedIds.push(r);
      this.reservedCached.push(matched * bs);
    }
    return this.reservedIds.length;
  }

  /** Queue request `r` (already `reset` on the request table) behind the waiting ones. */
  enqueue(r: number): void {
    this.#markPlanned(r);
    this.waiting.pushBack(r);
    this.waitingTokens += this.#req.promptLen[r] + this.#req.generated[r];
  }

  /** Decode rank: the KV reserved for hand-off `r` has landed; queue it for a running slot. */
  land(r: number): void {
    registerPromptBlocks(this.#req, this.pool, r);
    this.inTransfer--;
    this.inboundTokens -= this.#req.promptLen[r];
    this.#markPlanned(r);
    this.#req.computed[r] = this.#req.promptLen[r];
    this.landed.pushBack(r);
    this.waitingTokens += this.#req.promptLen[r];
  }

  /**
   * Run the scheduling of one pass starting at `nowMs` and return its duration in ms, or −1 when there is
   * nothing the engine can do. Fills the output lists (admitted, rejected, emitted, finished, prefillDone).
   */
  startPass(nowMs: number): number {
    const cfg = this.config, req = this.#req, bs = cfg.blockSize, pool = this.pool;
    const running = this.running, off = this.offload;
    this.passMs = 0;
    this.admittedCount =
      this.emittedCount =
      this.finishedCount =
      this.prefillDoneCount =
        0;
    if (this.rejectedIds.length) {
      this.rejectedIds = [];
      this.rejectedReasons = [];
    }
    // As vLLM's waiting queue, which keeps a hand-off from its arrival until its KV has landed.
    this.last.queuedRequests = this.waiting.size + this.landed.size + this.pending.size + this.inTransfer +
      (off === null ? 0 : off.parked);
    this.last.queuedTokens = this.waitingTokens + this.inboundTokens;
    this.lastPreempted.requests = this.preemptedWaiting;
    this.lastPreempted.tokens = this.preemptedTokens;
    const pass = this.#pass;
    this.#prefilled.length = 0;
    pass.prefillBatch =
      pass.prefillIsl =
      pass.prefillPrefix =
      pass.prefillTokens =
      pass.computedTokens =
        0;
    const preempted = this.scheduler.plan(this, req, this.#spec, nowMs);

    // Every request whose KV covers its sequence emits at the pass end.
    let ready = 0, sumContext = 0, decoding = 0, decodingContext = 0;
    for (let j = 0; j < this.runningCount; j++) {
      const r = running[j];
      const seqLen = req.promptLen[r] + req.generated[r];
      if (req.computed[r] < seqLen) continue;
      if (req.prefilling[r] === 1) {
        req.prefilling[r] = 0;
        this.prefillDone[this.prefillDoneCount++] = r;
      } else {
        decoding++;
        decodingContext += seqLen;
      }
      this.emitted[ready++] = r;
      sumContext += seqLen;
    }
    this.emittedCount = ready;

    const progress = pass.computedTokens + this.admittedCount + this.rejectedIds.length + ready;
    if (progress === 0 && !preempted) {
      // A rank whose KV is held for hand-offs (as their source, or reserved for them in transfer here) waits
      // for the transfers to land; one whose requests are parked, for their copies back from the host tier.
      if (
        this.hasWork && this.holds.size === 0 && this.inTransfer === 0 && (off === null || off.parked === 0)
      ) {
        throw new Error(`engine ${this.id}: no progress possible with work queued (bug)`);
      }
      return -1;
    }
    // Rejections alone run nothing: the cluster delivers them now, and the last pass's stats stay this rank's.
    if (progress === this.rejectedIds.length && !preempted) return 0;

    const activeKvTokens = pool.activeBlocks * bs;
    const s = this.last;
    s.prefillRequests = pass.prefillBatch;
    s.prefillTokens = pass.prefillTokens;
    s.prefillKvTokens = pass.prefillIsl;
    s.decodeRequests = ready;
    s.decodeKvTokens = sumContext;
    const duration = chargePass(s, this.perf, cfg, pass, decoding, decodingContext, activeKvTokens);
    this.opTotals?.add(pass, s, decoding, decodingContext, activeKvTokens);
    if (off !== null) {
      // Those preempted later in the pass have nothing computed.
      for (const r of this.#prefilled) off.computes(req, r, req.computed[r], bs);
    }
    applyEmissions(this, req, this.#spec, ready);
    this.passes++;
    addPass(this.totals, s, decoding, decodingContext, activeKvTokens);
    this.busyMs += duration;
    this.passMs = duration;
    this.busy = true;
    return duration;
  }

  /**
   * The run stopped at `limitMs` in the middle of this rank's pass, started at `startMs`: take the part past the
   * limit out of the busy time and its parts (the pass still counts as one).
   */
  clipPass(startMs: number, limitMs: number): void {
    const over = startMs + this.passMs - limitMs;
    if (!this.busy || this.passMs <= 0 || over <= 0) return;
    const f = over / this.passMs, s = this.last, t = this.totals;
    this.busyMs -= over;
    t.prefillMs -= f * s.prefillMs;
    t.decodeMs -= f * s.decodeMs;
    t.overheadMs -= f * s.overheadMs;
  }

  /**
   * Mark the pass as delivered (the cluster calls this at the pass end, `nowMs`): the prompt blocks it computed
   * start their copies to the host tier.
   */
  endPass(nowMs: number): void {
    this.busy = false;
    this.offload?.store(nowMs);
  }

  /**
   * Reject `r`, the head of the waiting queue, if this is its first admission and it can never run here
   * ({@link rejectReason}): take it off the queue, record why, and return true.
   */
  rejectHead(r: number): boolean {
    if (this.#req.admitted[r] !== 0) return false;
    const reason = rejectReason(this.#req, this.config, this.#spec, r);
    if (reason === undefined) return false;
    this.popWaiting();
    this.rejectedIds.push(r);
    this.rejectedReasons.push(reason);
    return true;
  }

  /** Add admitted `r` to the running requests, with `cached` prompt tokens reused. */
  run(r: number, cached: number): void {
    this.#req.admitted[r] = 1;
    this.running[this.runningCount++] = r;
    this.admittedIds[this.admittedCount] = r;
    this.admittedCached[this.admittedCount++] = cached;
  }

  /**
   * Schedule `take` tokens of request `r` in this pass, counting them as a prompt chunk when `prefill`, at a
   * cost of `charge` tokens of the pass's budget (returned; with MTP, the verification round's tokens, which
   * bound the drafts it verifies).
   */
  schedule(r: number, take: number, prefill: boolean, charge: number): number {
    const req = this.#req, pass = this.#pass;
    req.charged[r] = charge;
    req.passPrefill[r] = prefill ? 1 : 0;
    if (prefill) {
      if (this.offload !== null) this.#prefilled.push(r);
      pass.prefillBatch++;
      pass.prefillPrefix += req.computed[r];
      pass.prefillIsl += req.computed[r] + take;
      pass.prefillTokens += take;
    }
    req.scheduled[r] = take;
    req.computed[r] += take;
    pass.computedTokens += take;
    return charge;
  }

  /** Undo {@link Engine.schedule} for request `r`, preempted later in the same pass. */
  unschedule(r: number): void {
    const req = this.#req, pass = this.#pass, take = req.scheduled[r];
    pass.computedTokens -= take;
    if (req.passPrefill[r] === 1) {
      pass.prefillBatch--;
      pass.prefillIsl -= req.computed[r];
      pass.prefillPrefix -= req.computed[r] - take;
      pass.prefillTokens -= take;
    }
  }

  /** With async scheduling the next pass is already planned while one runs (or is about to start). */
  #markPlanned(r: number): void {
    const planned = this.config.asyncScheduling && (this.busy || this.runningCount > 0);
    this.#req.firstPass[r] = planned ? this.passes + 1 : 0;
  }

  /** Take the head of the waiting queue off it. */
  popWaiting(): void {
    const r = this.waiting.popFront(), known = this.#req.promptLen[r] + this.#req.generated[r];
    this.waitingTokens -= known;
    if (this.queuesAsDecode(r)) {
      this.preemptedWaiting--;
      this.preemptedTokens -= known;
    }
  }

  /**
   * Whether waiting request `r` counts as queued decode work (`num_queued_decode`) rather than queued prefill:
   * a preempted request (one admitted here before), as vLLM's FPM counts it; under SGLang's scheduler, one that
   * has emitted tokens, as SGLang's FPM counts it.
   */
  queuesAsDecode(r: number): boolean {
    const req = this.#req;
    return req.admitted[r] !== 0 && (!this.#sglang || req.generated[r] > 0);
  }
}
