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
import { InputError } from "../common/errors.ts";
import { formatCount } from "../common/format.ts";
import { MAX_BLOCK_IDS } from "./types.ts";

const TABLE_MIN = 1 << 12;

/**
 * Interns chain hashes to dense id ranges. Open addressing; each slot is three adjacent words
 * (hi, lo, base id + 1) so a probe touches one cache line.
 *
 * It remembers the last prompt it interned (token ids, chain state and ids per step), so a prompt that
 * extends the previous one (the next turn of a session, loaded in order) only hashes its new blocks. The memo
 * changes no id: it skips only lookups of nodes that exist.
 */
export class BlockInterner {
  #table = new Int32Array(TABLE_MIN * 3);
  #mask = TABLE_MIN - 1;
  #nodes = 0;
  #ids = 0;
  // Memo of the last prompt: key, token ids consumed, and per step (token block or engine block) the chain
  // state after it and its base id.
  #memoNamespace = NaN;
  #memoSize = 0;
  #memoBlockSize = 0;
  #memoTokens = 0;
  #memoSteps = 0;
  #memoIds = new Float64Array(256);
  #memoHash = new Int32Array(512);
  #memoBase = new Int32Array(256);

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
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { BlockInterner } from "./block_ids.ts";
   * const interner = new BlockInterner(), a = new Int32Array(4), b = new Int32Array(4);
   * interner.internPrompt({ ids: [7, 8], size: 128 }, 256, 64, 0, a, 0);
   * interner.internPrompt({ ids: [7, 9], size: 128 }, 256, 64, 0, b, 0);
   * assert(a[1] === b[1] && a[2] !== b[2] && interner.size === 6);
   * ```
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
    if (full === 0) return 0;
    const { ids, size } = tokens;
    const multiple = size % blockSize === 0;
    const per = multiple ? size / blockSize : 0;
    // Token blocks this prompt reads, and steps it takes (token blocks, or engine blocks when not a multiple).
    const tokenCount = multiple ? Math.ceil(full / per) : Math.floor((full * blockSize - 1) / size) + 1;
    const steps = multiple ? tokenCount : full;
    this.#reserveMemo(tokenCount, steps);
    const memoIds = this.#memoIds, memoHash = this.#memoHash, memoBase = this.#memoBase;
    let common = 0;
    if (namespace === this.#memoNamespace && size === this.#memoSize && blockSize === this.#memoBlockSize) {
      const limit = Math.min(tokenCount, this.#memoTokens);
      while (common < limit && ids[common] === memoIds[common]) common++;
    }
    for (let i = common; i < tokenCount; i++) memoIds[i] = ids[i];
    const reuse = Math.min(
      this.#memoSteps,
      steps,
      multiple ? common : Math.floor((common * size) / blockSize),
    );
    this.#memoNamespace = namespace;
    this.#memoSize = size;
    this.#memoBlockSize = blockSize;
    this.#memoTokens = tokenCount;
    this.#memoSteps = steps;
    let ph = fmix(namespace ^ 0x2545f491), pl = fmix(Math.imul(namespace, 0x27d4eb2f) ^ 0x165667b1);
    // Multiple-size nodes own `per` ids, so the key includes the granularity: rows of different token-block
    // sizes never share nodes (their common prefixes are not detected, a documented limitation).
    if (multiple) ph ^= Math.imul(per, 0x2c1b3c6d);
    if (reuse > 0) {
      ph = memoHash[2 * reuse - 2];
      pl = memoHash[2 * reuse - 1];
    }
    if (multiple) {
      let j = 0;
      if (per === 1) {
        out.set(memoBase.subarray(0, reuse), at);
        j = reuse;
      } else {
        for (let i = 0; i < reuse; i++) {
          const base = memoBase[i];
          for (let k = 0; k < per && j < full; k++) out[at + j++] = base + k;
        }
      }
      for (let i = reuse; j < full; i++) {
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
        memoHash[2 * i] = ph;
        memoHash[2 * i + 1] = pl;
        memoBase[i] = base;
        for (let k = 0; k < per && j < full; k++) out[at + j++] = base + k;
      }
      return full;
    }
    out.set(memoBase.subarray(0, reuse), at);
    for (let j = reuse; j < full; j++) {
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
      const id = this.#intern(ph & 0x1fffff, pl, 1);
      memoHash[2 * j] = ph;
      memoHash[2 * j + 1] = pl;
      memoBase[j] = id;
      out[at + j] = id;
    }
    return full;
  }

  /**
   * Append `count` fresh ids (blocks no other prompt shares) to `out` at `at`, without hashing.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { BlockInterner } from "./block_ids.ts";
   * const interner = new BlockInterner(), out = new Int32Array(3);
   * interner.uniqueBlocks(3, out, 0);
   * assert(out.join() === "0,1,2" && interner.size === 3);
   * ```
   */
  uniqueBlocks(count: number, out: Int32Array, at: number): void {
    for (let j = 0; j < count; j++) out[at + j] = this.#ids++;
  }

  /**
   * Forget every interned prefix (ids handed out stay taken). Only correct when no later prompt can share a
   * block with an earlier one, e.g. when every later prompt uses a namespace not used before. Keeps the table
   * small, and so fast, for traces whose hash ids are local to a session.
   */
  forget(): void {
    if (this.#nodes > 0) {
      this.#table = new Int32Array(TABLE_MIN * 3);
      this.#mask = TABLE_MIN - 1;
      this.#nodes = 0;
    }
    this.#memoNamespace = NaN;
    this.#memoTokens = 0;
    this.#memoSteps = 0;
  }

  /** Grow the memo arrays to hold `tokens` token ids and `steps` steps, keeping their contents. */
  #reserveMemo(tokens: number, steps: number): void {
    if (tokens > this.#memoIds.length) {
      const grown = new Float64Array(Math.max(tokens, this.#memoIds.length * 2));
      grown.set(this.#memoIds);
      this.#memoIds = grown;
    }
    if (steps > this.#memoBase.length) {
      const n = Math.max(steps, this.#memoBase.length * 2);
      const base = new Int32Array(n), hash = new Int32Array(2 * n);
      base.set(this.#memoBase);
      hash.set(this.#memoHash);
      this.#memoBase = base;
      this.#memoHash = hash;
    }
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
        if (base + count > MAX_BLOCK_IDS) {
          throw new InputError(
            `the prompts' token blocks stand for more than ${
              formatCount(MAX_BLOCK_IDS)
            } distinct KV blocks ` +
              `(${formatCount(count)} per token block); lower the trace's token-block size`,
          );
        }
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
