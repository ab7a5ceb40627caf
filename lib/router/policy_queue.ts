/**
 * The router's waiting queue over policy classes: one ordered queue per class, served across classes by
 * deficit round robin in uncached prompt tokens, with per-class limits. The reference's `policy_queue.rs`.
 *
 * @module
 */
import { grown } from "../common/grown.ts";
import { LIMIT_KINDS, type PolicyClass } from "./policy_config.ts";

/** A queued request as the queue prices it. */
export interface QueuedRequest {
  readonly request: number;
  /** Strict tier: a higher one leaves its class first, whatever the score. */
  readonly strict: number;
  /** The class policy's score (higher first); ties leave in enqueue order. */
  readonly score: number;
  /** Prompt tokens, and those cached on the best-cached worker, when queued. */
  readonly isl: number;
  readonly cached: number;
}

/**
 * A request's score in its class's order, fixed when it is queued: `fcfs` `jump − queued s`, `lcfs`
 * `jump + queued s`, `wspt` `(1 + jump) / uncached tokens` (at least 1 token). `jump` is the trace row's
 * `priority` (seconds of FCFS credit; negative counts as 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { policyScore } from "./policy_queue.ts";
 * assert.equal(policyScore("fcfs", 50, 5000, 64), 45); // 50 s of credit beats an arrival 45 s earlier
 * assert.equal(policyScore("wspt", 0, 0, 0), 1); // a fully cached prompt costs 1 token
 * ```
 */
export function policyScore(
  policy: PolicyClass["queuePolicy"],
  jump: number,
  nowMs: number,
  uncached: number,
): number {
  const j = Math.max(jump, 0), s = Math.max(nowMs, 0) / 1000;
  switch (policy) {
    case "fcfs":
      return j - s;
    case "lcfs":
      return j + s;
    case "wspt":
      return (1 + j) / Math.max(uncached, 1);
  }
}

/**
 * Queued requests by class. Each class is a heap ordered by strict tier, then score, then enqueue order. A
 * pop serves classes by deficit round robin: each class gains its quantum of credit per round while its head
 * can be dispatched, and a head leaves when the credit covers its uncached tokens; a class that cannot
 * dispatch gains nothing and blocks no other.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PolicyQueue } from "./policy_queue.ts";
 * const cls = (name: string, quantum: number) => ({
 *   name, quantum, queuePolicy: "fcfs" as const, busyTokens: 0, busyFraction: null,
 *   limits: [null, null, null] as const,
 * });
 * const q = new PolicyQueue([cls("one", 1), cls("three", 3)]);
 * for (let i = 0; i < 4; i++) {
 *   q.push(0, { request: i, strict: 0, score: -i, isl: 1, cached: 0 });
 *   q.push(1, { request: 10 + i, strict: 0, score: -i, isl: 1, cached: 0 });
 * }
 * const order = Array.from({ length: 4 }, () => q.pop(() => true));
 * assert.deepEqual(order, [0, 10, 11, 12]); // one token of credit a round against three
 * ```
 */
export class PolicyQueue {
  readonly classes: readonly PolicyClass[];
  readonly #heaps: ClassHeap[];
  readonly #deficit: number[];
  /** Per class, during a pop: its head's cost when it may dispatch, −1 when not (reused across pops). */
  readonly #candidate: Float64Array;
  #cursor = 0;
  #carry = -1;
  #seq = 0;
  #size = 0;

  constructor(classes: readonly PolicyClass[]) {
    this.classes = classes;
    this.#heaps = classes.map(() => new ClassHeap());
    this.#deficit = classes.map(() => 0);
    this.#candidate = new Float64Array(classes.length);
  }

  /** Requests queued in every class. */
  get size(): number {
    return this.#size;
  }

  /** Requests queued in class `c`. */
  queued(c: number): number {
    return this.#heaps[c].size;
  }

  /**
   * Why class `c` refuses one more request with `workers` workers serving it (a worker with several DP ranks
   * counts once, as the reference counts its workers), or undefined: each per-worker limit × `workers` against
   * the class's queued requests, prompt tokens and cached tokens before adding, so the request that crosses a
   * limit is accepted. The reference's message.
   */
  refusal(c: number, workers: number): string | undefined {
    const heap = this.#heaps[c], current = [heap.size, heap.rawTokens, heap.cachedTokens];
    const limits = this.classes[c].limits;
    for (let k = 0; k < LIMIT_KINDS.length; k++) {
      const perWorker = limits[k];
      if (perWorker === null) continue;
      const limit = perWorker * workers;
      if (current[k] >= limit) {
        return `router policy class ${JSON.stringify(this.classes[c].name)} queue ${
          LIMIT_KINDS[k]
        } limit reached ` +
          `(current=${current[k]}, limit=${limit})`;
      }
    }
    return undefined;
  }

  /** Queue `q` in class `c`. */
  push(c: number, q: QueuedRequest): void {
    this.#heaps[c].push(q, this.#seq++);
    this.#size++;
  }

  /**
   * The next request to dispatch, or −1: deficit round robin over the classes whose head `dispatchable`
   * accepts (only a class's head is tried).
   */
  pop(dispatchable: (c: number) => boolean): number {
    if (this.#size === 0) {
      this.#carry = -1;
      return -1;
    }
    const n = this.classes.length, heaps = this.#heaps, deficit = this.#deficit;
    const candidate = this.#candidate.fill(-1);
    const carried = this.#carry;
    this.#carry = -1;
    if (carried >= 0) {
      const x = this.#cost(carried, dispatchable);
      if (x >= 0 && x <= deficit[carried]) return this.#take(carried);
      candidate[carried] = x;
    }
    for (let off = 0; off < n; off++) {
      const c = (this.#cursor + off) % n;
      const x = c === carried ? candidate[c] : this.#cost(c, dispatchable);
      if (x < 0) {
        if (heaps[c].size === 0) deficit[c] = 0;
        continue;
      }
      candidate[c] = x;
      if (x <= deficit[c]) return this.#take(c);
      deficit[c] += this.classes[c].quantum;
      if (x <= deficit[c]) return this.#take(c);
    }
    let rounds = Infinity;
    for (let c = 0; c < n; c++) {
      if (candidate[c] >= 0) {
        rounds = Math.min(rounds, Math.ceil((candidate[c] - deficit[c]) / this.classes[c].quantum));
      }
    }
    if (rounds === Infinity) return -1;
    for (let c = 0; c < n; c++) if (candidate[c] >= 0) deficit[c] += this.classes[c].quantum * rounds;
    for (let off = 0; off < n; off++) {
      const c = (this.#cursor + off) % n;
      if (candidate[c] >= 0 && candidate[c] <= deficit[c]) return this.#take(c);
    }
    return -1;
  }

  /** Class `c`'s head's cost in credit when it has one that `dispatchable` accepts, else −1. */
  #cost(c: number, dispatchable: (c: number) => boolean): number {
    const heap = this.#heaps[c];
    return heap.size > 0 && dispatchable(c) ? heap.headCost : -1;
  }

  /** Dispatch class `c`'s head, spending its cost from the class's credit. */
  #take(c: number): number {
    const heap = this.#heaps[c];
    this.#cursor = (c + 1) % this.classes.length;
    const spent = heap.headCost;
    const r = heap.pop();
    this.#size--;
    this.#deficit[c] = Math.max(0, this.#deficit[c] - spent);
    if (heap.size === 0) this.#deficit[c] = 0;
    else this.#carry = this.#deficit[c] > 0 ? c : -1;
    return r;
  }
}

/** One class's queued requests: a binary heap on (strict tier desc, score desc, enqueue order asc). */
class ClassHeap {
  #strict = new Float64Array(16);
  #score = new Float64Array(16);
  #seq = new Float64Array(16);
  #isl = new Float64Array(16);
  #cached = new Float64Array(16);
  #request = new Int32Array(16);
  size = 0;
  rawTokens = 0;
  cachedTokens = 0;

  /** The head's cost in deficit credit: its uncached tokens, at least 1. */
  get headCost(): number {
    return Math.max(1, this.#isl[0] - this.#cached[0]);
  }

  push(q: QueuedRequest, seq: number): void {
    if (this.size === this.#seq.length) this.#grow();
    this.rawTokens += q.isl;
    this.cachedTokens += q.cached;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!precedes(q.strict, q.score, seq, this.#strict[p], this.#score[p], this.#seq[p])) break;
      this.#move(p, i);
      i = p;
    }
    this.#set(i, q.strict, q.score, seq, q.isl, q.cached, q.request);
  }

  pop(): number {
    const r = this.#request[0];
    this.rawTokens -= this.#isl[0];
    this.cachedTokens -= this.#cached[0];
    const n = --this.size;
    if (n > 0) {
      const st = this.#strict[n], sc = this.#score[n], sq = this.#seq[n];
      const isl = this.#isl[n], cached = this.#cached[n], req = this.#request[n];
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && this.#precedes(c + 1, c)) c++;
        if (!precedes(this.#strict[c], this.#score[c], this.#seq[c], st, sc, sq)) break;
        this.#move(c, i);
        i = c;
      }
      this.#set(i, st, sc, sq, isl, cached, req);
    }
    return r;
  }

  #precedes(i: number, j: number): boolean {
    return precedes(
      this.#strict[i],
      this.#score[i],
      this.#seq[i],
      this.#strict[j],
      this.#score[j],
      this.#seq[j],
    );
  }

  #set(
    i: number,
    strict: number,
    score: number,
    seq: number,
    isl: number,
    cached: number,
    req: number,
  ): void {
    this.#strict[i] = strict;
    this.#score[i] = score;
    this.#seq[i] = seq;
    this.#isl[i] = isl;
    this.#cached[i] = cached;
    this.#request[i] = req;
  }

  #move(from: number, to: number): void {
    this.#set(
      to,
      this.#strict[from],
      this.#score[from],
      this.#seq[from],
      this.#isl[from],
      this.#cached[from],
      this.#request[from],
    );
  }

  #grow(): void {
    const n = this.#seq.length * 2;
    this.#strict = grown(this.#strict, n);
    this.#score = grown(this.#score, n);
    this.#seq = grown(this.#seq, n);
    this.#isl = grown(this.#isl, n);
    this.#cached = grown(this.#cached, n);
    this.#request = grown(this.#request, n);
  }
}

/** Whether key (strict, score, seq) leaves before key (st, sc, sq): higher tier, then higher score, then earlier. */
function precedes(strict: number, score: number, seq: number, st: number, sc: number, sq: number): boolean {
  return strict !== st ? strict > st : score !== sc ? score > sc : seq < sq;
}
