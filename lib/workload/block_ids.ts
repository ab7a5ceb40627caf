/**
 * Prefix-block identity: positional chain hashes of a prompt's full engine blocks, interned to dense ids.
 *
 * A prompt is described as a run of *token blocks* (a trace's hash ids, each standing for `size` identical
 * synthetic tokens, as the reference expands Mooncake rows). It is re-chunked into engine blocks of
 * `blockSize` tokens; engine block j is identified by all tokens up to its end. Two prompts therefore get the
 * same id for engine block j exactly when their first (j + 1) · blockSize tokens agree: vLLM's prefix-caching
 * rule.
 *
 * When `size` is a multiple of `blockSize` (Mooncake 512 / 64, kv-cache-tester 64 / 64), the chain is interned
 * per token block and each token-block node owns `size / blockSize` consecutive engine-block ids: the engine
 * blocks inside a token block are identified by the node and their offset. Otherwise each engine block is
 * hashed over its token runs. Rows described with different token-block sizes are hashed in different ways,
 * so prefixes shared between them are not detected (traces use one size throughout). Hashes are 53-bit (two
 * lanes); a collision needs ~10⁸ distinct nodes.
 *
 * @module
 */

const TABLE_MIN = 1 << 12;

/**
 * Interns chain hashes to dense id ranges. Open addressing; each slot is three adjacent words
 * (hi, lo, base id + 1) so a probe touches one cache line.
 */
export class BlockInterner {
  #table = new Int32Array(TABLE_MIN * 3);
  #mask = TABLE_MIN - 1;
  #nodes = 0;
  #ids = 0;

  /** Number of engine-block ids handed out so far. */
  get size(): number {
    return this.#ids;
  }

  /**
   * Append the interned ids of the full engine blocks of a prompt of `inputLength` tokens to `out` at `at`.
   * `out` must have room for `floor(inputLength / blockSize)` ids.
   *
   * @param namespace Hash space: equal token ids in different namespaces never share blocks.
   * @returns The number of ids written.
   */
  internPrompt(
    tokens: TokenBlocks,
    inputLength: number,
    blockSize: number,
    namespace: number,
    out: Int32Array,
    at: number,
  ): number {
    const full = Math.floor(inputLength / blockSize);
    const { ids, size } = tokens;
    let ph = fmix(namespace ^ 0x2545f491), pl = fmix(Math.imul(namespace, 0x27d4eb2f) ^ 0x165667b1);
    if (size % blockSize === 0) {
      // Nodes own `per` ids, so the key includes the granularity: rows of different token-block sizes never
      // share nodes (their common prefixes are not detected, a documented limitation).
      const per = size / blockSize;
      ph ^= Math.imul(per, 0x2c1b3c6d);
      let j = 0;
      for (let i = 0; j < full; i++) {
        const id = ids[i];
        const lo = id | 0, hi = (id / 4294967296) | 0;
        const h1 = Math.imul(rotl(Math.imul(ph ^ lo, 0xcc9e2d51), 15), 0x1b873593) ^ 0x3c6ef372;
        const h2 = Math.imul(
          rotl(Math.imul(pl ^ hi ^ Math.imul(lo, 0x9e3779b1), 0x85ebca6b), 13),
          0xc2b2ae35,
        );
        ph = fmix(h1 ^ Math.imul(h2 ^ (h1 >>> 15), 0x9e3779b1));
        pl = fmix(h2 ^ rotl(h1, 7));
        const base = this.#intern(ph & 0x1fffff, pl, per);
        for (let k = 0; k < per && j < full; k++) out[at + j++] = base + k;
      }
      return full;
    }
    for (let j = 0; j < full; j++) {
      let h1 = ph ^ 0x68e31da4, h2 = pl ^ 0xb5297a4d;
      let a = j * blockSize;
      const b = a + blockSize;
      let i = Math.floor(a / size);
      while (a < b) {
        const end = Math.min(b, (i + 1) * size);
        const id = ids[i];
        const lo = id | 0, hi = (id / 4294967296) | 0;
        h1 = Math.imul(rotl(Math.imul(h1 ^ lo, 0xcc9e2d51), 15), 0x1b873593) ^ (end - a);
        h2 = (Math.imul(rotl(Math.imul(h2 ^ hi ^ lo, 0x85ebca6b), 13), 0xc2b2ae35) + (end - a)) | 0;
        h1 ^= h2 >>> 16;
        h2 ^= h1 >>> 15;
        a = end;
        i++;
      }
      ph = fmix(h1 ^ Math.imul(h2, 0x9e3779b1));
      pl = fmix(h2 ^ rotl(h1, 7));
      out[at + j] = this.#intern(ph & 0x1fffff, pl, 1);
    }
    return full;
  }

  /** Base id of the node hashed (hi, lo); a new node reserves `count` consecutive ids. */
  #intern(hi: number, lo: number, count: number): number {
    if ((this.#nodes + 1) * 2 > this.#mask + 1) this.#grow();
    const t = this.#table, mask = this.#mask;
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    for (;;) {
      const k = slot * 3;
      const basePlus1 = t[k + 2];
      if (basePlus1 === 0) {
        t[k] = hi;
        t[k + 1] = lo;
        const base = this.#ids;
        t[k + 2] = base + 1;
        this.#ids += count;
        this.#nodes++;
        return base;
      }
      if (t[k + 1] === lo && t[k] === hi) return basePlus1 - 1;
      slot = (slot + 1) & mask;
    }
  }

  #grow(): void {
    const old = this.#table;
    const cap = (this.#mask + 1) * 2;
    const t = new Int32Array(cap * 3);
    const mask = cap - 1;
    for (let k = 0; k < old.length; k += 3) {
      if (old[k + 2] === 0) continue;
      let slot = (old[k + 1] ^ Math.imul(old[k], 0x9e3779b1)) & mask;
      while (t[slot * 3 + 2] !== 0) slot = (slot + 1) & mask;
      t[slot * 3] = old[k];
      t[slot * 3 + 1] = old[k + 1];
      t[slot * 3 + 2] = old[k + 2];
    }
    this.#table = t;
    this.#mask = mask;
  }
}

/** A prompt's content as token blocks: `ids[i]` fills tokens `[i · size, (i + 1) · size)`. */
export interface TokenBlocks {
  readonly ids: ArrayLike<number>;
  readonly size: number;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
