/**
 * Admission rules of an engine rank: why a request can never run there, how long its sequence can grow, the
 * KV an MTP burst may need on top, the blocks it holds beside its tokens' (recurrent state, sliding window), the
 * cached blocks an admission reuses, whether the KV it needs is free, and the blocks running requests still
 * claim under TRT-LLM's GUARANTEED_NO_EVICT policy.
 *
 * @module
 */
import type { EngineConfig } from "./config.ts";
import type { Engine } from "./engine.ts";
import type { KvPool } from "./kv_pool.ts";
import type { RequestTable } from "./requests.ts";
import type { RejectReason, Speculative } from "./types.ts";

/** Why `r` can never run on an engine with `cfg`, checked before its first admission. */
export function rejectReason(
  req: RequestTable,
  cfg: EngineConfig,
  spec: Speculative | undefined,
  r: number,
): RejectReason | undefined {
  const prompt = req.promptLen[r];
  if (prompt >= cfg.maxModelLen) return "max_model_len";
  // A request whose KV at its longest needs more blocks than the pool has can never complete; admitting it
  // would preempt itself forever (a liveness trap the reference leaves open). Its last token is never fed
  // back, so it holds KV for one token less than its sequence; TRT-LLM's policy reserves the whole sequence
  // at admission (`reuseIfFits`), so it is checked at that.
  // Its sliding-window layers keep a whole pass's tokens beside the window, as vLLM's check counts them.
  const sequence = maxSeqLen(req, cfg, r);
  const longest = (cfg.policy === "trtllm" ? sequence : sequence - 1) + burstReserve(spec);
  if (Math.ceil(longest / cfg.blockSize) + peakSideBlocks(cfg, spec, longest, true) > cfg.numGpuBlocks) {
    return "kv_capacity";
  }
  if (
    !cfg.enableChunkedPrefill && cfg.sglang === null && cfg.role !== "decode" &&
    prompt > cfg.maxNumBatchedTokens
  ) {
    return "batched_tokens";
  }
  return undefined;
}

/**
 * The most side blocks a sequence growing to `longest` holds on an engine with `cfg`, its prompt (`prompt`)
 * computed in chunks of up to a pass's budget, else in decode steps (a decode rank's, or a decoding request's),
 * each of an MTP burst's tokens with `spec`.
 */
function peakSideBlocks(
  cfg: EngineConfig,
  spec: Speculative | undefined,
  longest: number,
  prompt: boolean,
): number {
  const chunk = cfg.sglang?.chunkedPrefillSize ?? cfg.maxNumBatchedTokens, step = 1 + burstReserve(spec);
  const pass = cfg.role === "decode" || !prompt ? step : Math.max(step, Math.min(longest, chunk));
  return mostSideBlocks(cfg, longest, pass);
}

/**
 * The most side blocks ({@link sideBlocks}) a sequence growing to `tokens` holds, its passes computing up to
 * `pass` tokens each: a pass whose window starts inside a block keeps one block more than the whole sequence's
 * (the last chunk of a prompt, or a decode step past the window).
 */
function mostSideBlocks(cfg: EngineConfig, tokens: number, pass: number): number {
  const whole = sideBlocks(cfg, tokens, pass);
  if (cfg.windowShare === 0 || tokens <= cfg.window) return whole;
  // The largest pass that keeps fewer tokens than the sequence: its window starts inside the sequence.
  return Math.max(whole, sideBlocks(cfg, tokens, Math.min(pass, tokens - cfg.window)));
}

/** The longest `r`'s sequence can grow on an engine with `cfg`. */
export function maxSeqLen(req: RequestTable, cfg: EngineConfig, r: number): number {
  return Math.min(req.promptLen[r] + req.target[r], cfg.maxModelLen);
}

/** Extra tokens of KV an MTP burst may need beyond the sequence (0 without speculative decoding). */
export function burstReserve(spec: Speculative | undefined): number {
  return spec ? spec.acceptRates.length : 0;
}

/**
 * Blocks a sequence holds beside its token blocks once `tokens` of it have KV, `fresh` of them computed in the
 * current pass: its recurrent state (linear-attention models, `stateBlocksPerSeq`) and its sliding-window
 * layers' share of the pool (`windowShare` per block of the tokens they keep: the last `window − 1` before the
 * pass and the pass's own, one block more where the window starts inside one).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sideBlocks } from "./admission.ts";
 * import type { EngineConfig } from "./config.ts";
 * const cfg = { blockSize: 16, stateBlocksPerSeq: 0, windowShare: 10, window: 1024 } as EngineConfig;
 * assert.equal(sideBlocks(cfg, 100, 100), 70); // 7 blocks of tokens, all in the window
 * assert.equal(sideBlocks(cfg, 5000, 1), 650); // the window's 64 blocks, and the one it starts in
 * assert.equal(sideBlocks(cfg, 5000, 2000), 1900); // a pass's prompt chunk is kept whole while it runs
 * ```
 */
export function sideBlocks(cfg: EngineConfig, tokens: number, fresh: number): number {
  if (cfg.windowShare === 0) return cfg.stateBlocksPerSeq;
  const kept = Math.min(tokens, cfg.window - 1 + fresh);
  const blocks = Math.ceil(kept / cfg.blockSize) + (kept < tokens ? 1 : 0);
  return cfg.stateBlocksPerSeq + Math.ceil(cfg.windowShare * blocks);
}

/**
 * How many leading KV blocks of `r`'s `known` tokens an admission reuses from `pool`'s prefix cache, as vLLM
 * counts them: a fully cached context still recomputes its last token, and with MTP (`spec`) one more block.
 * `out[0]` receives how many of them are active (held by running requests), `out[1]` how many blocks were
 * resident before that cut.
 */
export function reusedBlocks(
  req: RequestTable,
  pool: KvPool,
  r: number,
  known: number,
  blockSize: number,
  spec: Speculative | undefined,
  out: Int32Array,
): number {
  const from = req.blockOffset[r];
  const matched = pool.matchPrefix(req.blocks, from, req.blockOffset[r + 1], out);
  out[1] = matched;
  let cut = matched;
  if (matched * blockSize >= known) cut = Math.floor((known - 1) / blockSize);
  if (spec !== undefined && cut > 0) cut--;
  return cut === matched ? matched : pool.matchPrefix(req.blocks, from, from + cut, out);
}

/**
 * The leading blocks of `r`'s known tokens an admission on engine `e` reuses from its prefix cache
 * ({@link reusedBlocks}), or −1 when the KV the request needs is not free (its whole known sequence under
 * vLLM's policy; its longest sequence, beside what the running requests may still claim, under TRT-LLM's; and
 * its side blocks, {@link sideBlocks}: on a decode rank, whose prompt arrives computed, its window's).
 * `out[1]` receives the blocks resident before the last-token cut.
 */
export function reuseIfFits(
  e: Engine,
  req: RequestTable,
  spec: Speculative | undefined,
  r: number,
  out: Int32Array,
): number {
  const cfg = e.config, pool = e.pool, bs = cfg.blockSize;
  const known = req.promptLen[r] + req.generated[r];
  const matched = reusedBlocks(req, pool, r, known, bs, spec, out);
  const activeHits = out[0];
  const reserve = burstReserve(spec);
  const fresh = cfg.role === "decode" ? 1 : Math.min(known - matched * bs, cfg.maxNumBatchedTokens);
  let needed: number, available: number;
  if (cfg.policy === "trtllm") {
    const longest = maxSeqLen(req, cfg, r) + reserve;
    // Its later prompt chunks may keep more side blocks than its first (a window starting inside a block).
    needed = Math.ceil(longest / bs) - activeHits + peakSideBlocks(cfg, spec, longest, true);
    available = pool.available - reservedBlocks(req, cfg, spec, e.running, e.runningCount);
  } else {
    needed = Math.ceil((known + reserve) / bs) - activeHits + sideBlocks(cfg, known + reserve, fresh);
    available = pool.available;
  }
  return needed > available ? -1 : matched;
}

/**
 * Blocks the running requests `running[0 … runningCount)` may still claim (TRT-LLM GUARANTEED_NO_EVICT
 * reservations).
 */
export function reservedBlocks(
  req: RequestTable,
  cfg: EngineConfig,
  spec: Speculative | undefined,
  running: Int32Array,
  runningCount: number,
): number {
  const bs = cfg.blockSize, reserve = burstReserve(spec);
  let total = 0;
  for (let j = 0; j < runningCount; j++) {
    const r = running[j], longest = maxSeqLen(req, cfg, r) + reserve;
    total += Math.max(0, Math.ceil(longest / bs) - req.held[r]);
    total += Math.max(0, peakSideBlocks(cfg, spec, longest, req.prefilling[r] === 1) - req.sideBlocks[r]);
  }
  return total;
}
