/**
 * Seeded pseudo-random numbers for the simulator core (which must never touch `Math.random`).
 *
 * @module
 */

/**
 * xoshiro128** generator seeded through splitmix32. Fast, 2^128 − 1 period, good enough for arrivals,
 * tie-breaks and speculative-decoding draws. Each consumer gets its own stream (`new Rng(seed)` or
 * `rng.fork(tag)`) so that adding a draw in one place never shifts the numbers seen by another.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "./rng.ts";
 * const a = new Rng(42), b = new Rng(42);
 * assert(a.next() === b.next());
 * ```
 */
/** A counter-based 32-bit mixer's constants: counter step, the two multipliers, the middle shift. */
type MixerConstants = readonly [step: number, m1: number, m2: number, shift: number];

/** splitmix32's: the low word of a seed. */
const SPLITMIX32: MixerConstants = [0x9e3779b9, 0x85ebca6b, 0xc2b2ae35, 13];
/** lowbias32's multipliers on another step: the high word of a seed. */
const LOWBIAS32: MixerConstants = [0x632be5ab, 0x7feb352d, 0x846ca68b, 15];

/** Successive mixed words of a counter starting at `start`. */
function mixer(start: number, [step, m1, m2, shift]: MixerConstants): () => number {
  let x = start;
  return () => {
    x = (x + step) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), m1);
    z = Math.imul(z ^ (z >>> shift), m2);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /**
   * Seed from any finite number (integers are typical). The low 32 bits of an integer seed set the state, and
   * the bits above them (when any) are mixed in by a second mixer, so 2^32 + k and k give different streams.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Rng } from "./rng.ts";
   * assert.notEqual(new Rng(2 ** 32 + 1).next(), new Rng(0).next());
   * ```
   */
  constructor(seed: number) {
    const whole = Math.floor(seed), high = Math.floor(whole / 0x100000000) >>> 0;
    const split = mixer(whole >>> 0, SPLITMIX32);
    this.#s0 = split();
    this.#s1 = split();
    this.#s2 = split();
    this.#s3 = split();
    if (high !== 0) {
      // Another mixer (other constants), so the two runs cannot cancel out.
      const mix = mixer(high, LOWBIAS32);
      this.#s0 ^= mix();
      this.#s1 ^= mix();
      this.#s2 ^= mix();
      this.#s3 ^= mix();
    }
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** Next unsigned 32-bit integer. */
  nextU32(): number {
    const s0 = this.#s0, s1 = this.#s1, s2 = this.#s2, s3 = this.#s3;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 = s2 ^ s0;
    this.#s3 = s3 ^ s1;
    this.#s1 = s1 ^ this.#s2;
    this.#s0 = s0 ^ this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Exponential draw with the given mean, as `−mean · ln(u)` with u in (0, 1]. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Standard normal draw (Box–Muller). */
  normal(): number {
    const u1 = 1 - this.next();
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** An independent generator derived from this one's seed stream and a tag. */
  fork(tag: number): Rng {
    return new Rng((this.nextU32() ^ Math.imul(tag + 1, 0x9e3779b1)) >>> 0);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
