/**
 * A growable ring buffer of int32 values with O(1) push/pop at both ends: the engines' waiting queues and the
 * session driver's ready turns.
 *
 * @module
 */

/**
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IntDeque } from "./deque.ts";
 * const q = new IntDeque(2);
 * q.pushBack(1); q.pushBack(2); q.pushFront(0);
 * assert(q.popFront() === 0 && q.size === 2 && q.at(1) === 2);
 * ```
 */
export class IntDeque {
  #buf: Int32Array;
  #head = 0;
  #size = 0;

  constructor(initialCapacity = 16) {
    this.#buf = new Int32Array(Math.max(2, initialCapacity));
  }

  /** Number of values held. */
  get size(): number {
    return this.#size;
  }

  /** The i-th value from the front (0 = front). */
  at(i: number): number {
    return this.#buf[(this.#head + i) % this.#buf.length];
  }

  /** The front value (undefined behaviour when empty). */
  front(): number {
    return this.#buf[this.#head];
  }

  pushBack(v: number): void {
    if (this.#size === this.#buf.length) this.#grow();
    this.#buf[(this.#head + this.#size) % this.#buf.length] = v;
    this.#size++;
  }

  pushFront(v: number): void {
    if (this.#size === this.#buf.length) this.#grow();
    this.#head = (this.#head - 1 + this.#buf.length) % this.#buf.length;
    this.#buf[this.#head] = v;
    this.#size++;
  }

  popFront(): number {
    const v = this.#buf[this.#head];
    this.#head = (this.#head + 1) % this.#buf.length;
    this.#size--;
    return v;
  }

  #grow(): void {
    const next = new Int32Array(this.#buf.length * 2);
    for (let i = 0; i < this.#size; i++) next[i] = this.#buf[(this.#head + i) % this.#buf.length];
    this.#buf = next;
    this.#head = 0;
  }
}
