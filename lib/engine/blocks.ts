/**
 * A request's KV blocks on an engine rank: claiming them at admission, allocating them as its computed tokens
 * grow (registering prompt blocks for prefix reuse once full) and releasing them.
 *
 * @module
 */
import { burstReserve, maxSeqLen, sideBlocks } from "./admission.ts";
import type { EngineConfig } from "./config.ts";
import type { KvPool } from "./kv_pool.ts";
import type { RequestTable } from "./requests.ts";
import type { Speculative } from "./types.ts";

/**
 * Admit `r`'s KV: hold its first `matched` cached blocks, then allocate blocks up to `upTo` tokens, `fresh` of
 * them computed in this pass, with its side blocks (the caller has checked that they fit). Sizes `r`'s slot
 * array for its longest sequence. With `register` false the new prompt blocks stay private until
 * {@link registerPromptBlocks} (KV still to arrive: no other request may reuse it before it lands).
 */
export function claimBlocks(
  req: RequestTable,
  cfg: EngineConfig,
  pool: KvPool,
  spec: Speculative | undefined,
  r: number,
  matched: number,
  upTo: number,
  fresh: number,
  register = true,
): void {
  const bs = cfg.blockSize, from = req.blockOffset[r];
  let slots = req.slots[r];
  const maxBlocks = Math.ceil((maxSeqLen(req, cfg, r) + burstReserve(spec)) / bs) + 1;
  if (slots === null || slots.length < maxBlocks) slots = req.slots[r] = new Int32Array(maxBlocks);
  for (let k = 0; k < matched; k++) slots[k] = pool.acquire(req.blocks[from + k]);
  req.held[r] = matched;
  req.computed[r] = matched * bs;
  if (!allocateBlocks(req, cfg, pool, r, upTo, fresh, register)) {
    throw new Error("engine: admission allocation failed after check (bug)");
  }
}

/**
 * Register `r`'s private full prompt blocks for prefix reuse (folding each into an identical cached block), as
 * vLLM caches a remote prefill's blocks once its KV has landed.
 */
export function registerPromptBlocks(req: RequestTable, pool: KvPool, r: number): void {
  const slots = req.slots[r]!, from = req.blockOffset[r];
  const full = Math.min(req.blockOffset[r + 1] - from, req.held[r]);
  for (let k = 0; k < full; k++) {
    if (pool.isPrivate(slots[k])) slots[k] = pool.promote(slots[k], req.blocks[from + k]);
  }
}

/**
 * Make `r` hold the blocks covering its first `tokens` tokens, `fresh` of them computed in this pass, and its
 * side blocks (`sideBlocks`: taken as they grow, given back as the sliding window moves on). Prompt blocks
 * that become full are registered for prefix reuse (unless `register` is false), or folded into an identical
 * cached block. Returns false when a block cannot be allocated; the blocks obtained so far are kept (the caller
 * preempts and retries).
 */
export function allocateBlocks(
  req: RequestTable,
  cfg: EngineConfig,
  pool: KvPool,
  r: number,
  tokens: number,
  fresh: number,
  register = true,
): boolean {
  const side = sideBlocks(cfg, tokens, fresh), had = req.sideBlocks[r];
  if (side > had && !pool.reserve(side - had)) return false;
  if (side < had) pool.unreserve(had - side);
  req.sideBlocks[r] = side;
  const slots = req.slots[r]!, bs = cfg.blockSize;
  const from = req.blockOffset[r], fullPrompt = req.blockOffset[r + 1] - from;
  let held = req.held[r];
  // The last held block may be a prompt block that was partial and is now full: promote it.
  const last = held - 1;
  if (last >= 0 && last < fullPrompt && req.computed[r] < (last + 1) * bs && tokens >= (last + 1) * bs) {
    slots[last] = pool.promote(slots[last], req.blocks[from + last]);
  }
  const need = Math.ceil(tokens / bs), blocks = req.blocks;
  // Full prompt blocks end here; a run of consecutive uncached ids among them is allocated at once.
  const fullEnd = Math.min(fullPrompt, Math.floor(tokens / bs));
  const runs = register && pool.prefixCaching;
  while (held < need) {
    const k = held;
    let slot: number;
    if (k < fullEnd) {
      const id = blocks[from + k];
      if (pool.cachedSlot(id) >= 0) slot = pool.acquire(id);
      else if (runs) {
        let n = 1;
        while (k + n < fullEnd && blocks[from + k + n] === id + n) n++;
        n = pool.uncachedRun(id, n);
        const got = pool.allocateRun(id, n);
        for (let t = 0; t < got; t++) slots[held++] = id + t;
        if (got < n) {
          req.held[r] = held;
          return false;
        }
        continue;
      } else slot = pool.allocate(-1);
    } else {
      slot = pool.allocate(-1);
    }
    if (slot < 0) {
      req.held[r] = held;
      return false;
    }
    slots[held++] = slot;
  }
  req.held[r] = held;
  return true;
}

/**
 * Release all of `r`'s blocks, tail first, so that least-recently-released eviction takes leaves first, and its
 * side blocks.
 */
export function releaseBlocks(req: RequestTable, pool: KvPool, r: number): void {
  const slots = req.slots[r];
  if (slots !== null) {
    // Runs of consecutive cached ids are released together (still tail first).
    for (let k = req.held[r] - 1; k >= 0;) {
      const slot = slots[k];
      let j = k;
      if (!pool.isPrivate(slot)) { while (j > 0 && slots[j - 1] === slots[j] - 1) j--; }
      if (j === k) pool.release(slot);
      else pool.releaseRun(slots[j], k - j + 1);
      k = j - 1;
    }
  }
  req.held[r] = 0;
  pool.unreserve(req.sideBlocks[r]);
  req.sideBlocks[r] = 0;
}
