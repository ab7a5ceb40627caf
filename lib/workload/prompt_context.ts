/**
 * Growing prompt contexts for generated workloads, described at engine-block granularity.
 *
 * A generated prompt is a run of *shared* content (system prompts, tool definitions: equal across the
 * sessions of a prefix group) followed by *unique* content (user messages, model outputs, tool results). A
 * {@link PromptContext} tracks one such prompt as it grows turn by turn and names each full engine block:
 * a block that lies wholly inside the shared run gets {@link sharedBlockId}(group, index) of the group whose
 * run contains its end; any block holding unique tokens gets a fresh id from {@link UniqueIds}. The ids are
 * used as token blocks of `blockSize` tokens, so the builder interns exactly these blocks.
 *
 * @module
 */
import type { TokenBlocks } from "./block_ids.ts";

const SHARED_BASE = 2 ** 51;
const GROUP_STRIDE = 2 ** 24;

/** The most token blocks a generated prompt may span: a prefix group's id range (16.8 M). */
export const MAX_CONTEXT_BLOCKS = GROUP_STRIDE;

/** Largest prefix-group number {@link sharedBlockId} accepts. */
export const MAX_PREFIX_GROUP = 2 ** 27 - 1;

/**
 * Token-block id of block `index` of prefix group `group`: disjoint from every {@link UniqueIds} id and from
 * every other (group, index).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sharedBlockId } from "./prompt_context.ts";
 * assert(sharedBlockId(1, 0) !== sharedBlockId(0, 1));
 * ```
 */
export function sharedBlockId(group: number, index: number): number {
  if (!Number.isInteger(group) || group < 0 || group > MAX_PREFIX_GROUP) {
    throw new RangeError(`prefix group ${group} out of range [0, ${MAX_PREFIX_GROUP}]`);
  }
  if (index >= GROUP_STRIDE) throw new RangeError(`shared prefix longer than ${GROUP_STRIDE} blocks`);
  return SHARED_BASE + group * GROUP_STRIDE + index;
}

/**
 * Blocks of a prompt of `length` tokens that its prefix group shares, by the reference's rule:
 * `round(ceil(length / blockSize) × ratio)` (the synthetic generator's and applied_compute_agentic's).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sharedPrefixBlocks } from "./prompt_context.ts";
 * assert.equal(sharedPrefixBlocks(600, 512, 0.5), 1);
 * assert.equal(sharedPrefixBlocks(1100, 512, 0.5), 2);
 * ```
 */
export function sharedPrefixBlocks(length: number, blockSize: number, ratio: number): number {
  return Math.round(Math.ceil(length / blockSize) * ratio);
}

/**
 * A counter of globally unique token-block ids (0, 1, 2, …), shared by all prompts of one workload.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UniqueIds } from "./prompt_context.ts";
 * const ids = new UniqueIds();
 * assert(ids.take() === 0 && ids.take() === 1);
 * ```
 */
export class UniqueIds {
  #next = 0;

  /** A fresh id. */
  take(): number {
    if (this.#next >= SHARED_BASE) throw new RangeError("unique block ids exhausted");
    return this.#next++;
  }
}

/**
 * One session's prompt, growing by appended tokens. Shared content may only be appended before any unique
 * content (it is a prefix).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PromptContext, UniqueIds } from "./prompt_context.ts";
 * const unique = new UniqueIds();
 * const a = new PromptContext(4, unique), b = new PromptContext(4, unique);
 * a.appendShared(10, 7);
 * b.appendShared(10, 7);
 * a.appendUnique(6);
 * b.appendUnique(6);
 * // blocks 0 and 1 (tokens 0..7) are shared; block 2 holds shared and unique tokens, so it is unique
 * assert(a.blocks.ids[1] === b.blocks.ids[1] && a.blocks.ids[2] !== b.blocks.ids[2]);
 * assert(a.length === 16 && a.blocks.ids.length === 4);
 * ```
 */
export class PromptContext {
  readonly #blockSize: number;
  readonly #unique: UniqueIds;
  readonly #ids: number[] = [];
  #length = 0;
  #sharedEnd = 0;

  /**
   * An empty prompt.
   *
   * @param blockSize Tokens per block (the engine block size).
   * @param unique The workload's id counter.
   */
  constructor(blockSize: number, unique: UniqueIds) {
    this.#blockSize = blockSize;
    this.#unique = unique;
  }

  /** A copy that later appends do not share: the same content, then its own continuation. */
  clone(): PromptContext {
    const copy = new PromptContext(this.#blockSize, this.#unique);
    copy.#ids.push(...this.#ids);
    copy.#length = this.#length;
    copy.#sharedEnd = this.#sharedEnd;
    return copy;
  }

  /** Tokens in the prompt so far. */
  get length(): number {
    return this.#length;
  }

  /**
   * The prompt's full blocks as token blocks of `blockSize` tokens. The array is live: read it before the next
   * append (the builder does, synchronously).
   */
  get blocks(): TokenBlocks {
    return { ids: this.#ids, size: this.#blockSize };
  }

  /** Append `tokens` tokens of prefix group `group`'s shared content. */
  appendShared(tokens: number, group: number): void {
    if (this.#length !== this.#sharedEnd) throw new Error("shared content must precede unique content");
    this.#length += tokens;
    this.#sharedEnd = this.#length;
    const full = Math.floor(this.#length / this.#blockSize);
    for (let j = this.#ids.length; j < full; j++) this.#ids.push(sharedBlockId(group, j));
  }

  /** Append `tokens` tokens of content no other prompt has. */
  appendUnique(tokens: number): void {
    this.#length += tokens;
    const full = Math.floor(this.#length / this.#blockSize);
    for (let j = this.#ids.length; j < full; j++) this.#ids.push(this.#unique.take());
  }
}
