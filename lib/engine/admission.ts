/**
 * Admission rules of an engine rank: why a request can never run there, how long its sequence can grow, the
 * KV an MTP burst may need on top, the cached blocks an admission reuses, whether the KV it needs is free, and
 * the blocks running requests still claim under TRT-LLM's GUARANTEED_NO_EVICT policy.
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
  // A request whose whole sequence needs more blocks than the pool has can never complete; admitting it would
  // preempt itself forever (a liveness trap the reference leaves open).
  const blocks = Math.ceil((maxSeqLen(req, cfg, r) + burstReserve(spec)) / cfg.blockSize);
  if (blocks + cfg.stateBlocksPerSeq > cfg.numGpuBlocks) {
    return "kv_capacity";
  }
  if (!cfg.enableChunkedPrefill && cfg.role !== "decode" && prompt > cfg.maxNumBatchedTokens) {
    return "batched_tokens";
  }
  return undefined;
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
 * its recurrent-state blocks).
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
  let needed: number, available: number;
  if (cfg.policy === "trtllm") {
    needed = Math.ceil((maxSeqLen(req, cfg, r) + reserve) / bs) - activeHits;
    available = pool.available - reservedBlocks(req, cfg, spec, e.running, e.runningCount);
  } else {
    needed = Math.ceil((known + reserve) / bs) - activeHits;
    available = pool.available;
  }
  needed += cfg.stateBlocksPerSeq;
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
    const r = running[j];
    total += Math.max(0, Math.ceil((maxSeqLen(req, cfg, r) + reserve) / bs) - req.held[r]);
  }
  return total;
}
