/**
 * The simulator's event queue: a binary min-heap on (time, insertion sequence) over typed arrays, so events
 * at the same time pop in the order they were pushed. The KV router's waiting queue is one too, keyed by
 * negated score.
 *
 * @module
 */

/**
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventQueue } from "./event_queue.ts";
 * const q = new EventQueue();
 * q.push(5, 1, 10); q.push(1, 2, 20); q.push(5, 3, 30);
 * assert(q.peekTime() === 1 && q.pop() === 2 && q.arg === 20); // pop returns the kind
 * q.pop();
 * assert.equal(q.arg, 10); // same time: first pushed first
 * ```
 */
export class EventQueue {
  #time = new Float64Array(256);
  #seq = new Float64Array(256);
  #kind = new Uint8Array(256);
  #arg = new Int32Array(256);
  #size = 0;
  #counter = 0;
  /** Argument of the event last popped. */
  arg = 0;

  /** Number of pending events. */
  get size(): number {
    return this.#size;
  }

  /** Time of the earliest event (Infinity when empty). */
  peekTime(): number {
    return this.#size > 0 ? this.#time[0] : Infinity;
  }

  /** Schedule an event of `kind` with integer `arg` at `time`. */
  push(time: number, kind: number, arg: number): void {
    if (this.#size === this.#time.length) this.#grow();
    let i = this.#size++;
    const seq = this.#counter++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.#time[p] < time || (this.#time[p] === time && this.#seq[p] < seq)) break;
      this.#move(p, i);
      i = p;
    }
    this.#set(i, time, seq, kind, arg);
  }

  /** Remove the earliest event; returns its kind and sets {@link EventQueue.arg}. */
  pop(): number {
    const kind = this.#kind[0];
    this.arg = this.#arg[0];
    const n = --this.#size;
    if (n > 0) {
      const t = this.#time[n], s = this.#seq[n], k = this.#kind[n], a = this.#arg[n];
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && this.#less(c + 1, c)) c++;
        if (this.#time[c] > t || (this.#time[c] === t && this.#seq[c] > s)) break;
        this.#move(c, i);
        i = c;
      }
      this.#set(i, t, s, k, a);
    }
    return kind;
  }

  #less(a: number, b: number): boolean {
    return this.#time[a] < this.#time[b] || (this.#time[a] === this.#time[b] && this.#seq[a] < this.#seq[b]);
  }

  #move(from: number, to: number): void {
    this.#time[to] = this.#time[from];
    this.#seq[to] = this.#seq[from];
    this.#kind[to] = this.#kind[from];
    this.#arg[to] = this.#arg[from];
  }

  #set(i: number, time: number, seq: number, kind: number, arg: number): void {
    this.#time[i] = time;
    this.#seq[i] = seq;
    this.#kind[i] = kind;
    this.#arg[i] = arg;
  }

  #grow(): void {
    const cap = this.#time.length * 2;
    const t = new Float64Array(cap),
      s = new Float64Array(cap),
      k = new Uint8Array(cap),
      a = new Int32Array(cap);
    t.set(this.#time);
    s.set(this.#seq);
    k.set(this.#kind);
    a.set(this.#arg);
    this.#time = t;
    this.#seq = s;
    this.#kind = k;
    this.#arg = a;
  }
}
