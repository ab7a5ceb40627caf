/**
 * The in-memory workload every loader produces and the simulator consumes: requests as struct-of-arrays,
 * grouped into sessions, with each prompt's full KV blocks interned to dense integer ids.
 *
 * @module
 */

/**
 * A workload materialised for one engine block size.
 *
 * Requests are numbered `0 … requestCount − 1` in load order. A session is a chain of turns: its first request
 * arrives at `arrivalMs` (open loop), each later turn becomes ready `delayMs` after the previous turn completes
 * (closed loop). A request's prompt shares KV with another's exactly as far as their `blocks` agree from the
 * start: block ids are interned positional-chain hashes, so equal ids mean equal prefixes.
 *
 * All arrays are typed arrays so a workload can be sent to a Web Worker without copying its structure.
 */
export interface Workload {
  /** Where it came from, for reports (file name, `synthetic`, `default`). */
  readonly name: string;
  /** Engine block size (tokens) the block ids were interned at. */
  readonly blockSize: number;
  readonly requestCount: number;
  readonly sessionCount: number;
  /** Prompt tokens per request. */
  readonly inputLength: Int32Array;
  /** Output tokens to generate per request (≥ 1). */
  readonly outputLength: Int32Array;
  /** First turns: arrival time in ms (first arrival normalised to 0, speed-up applied). Later turns: 0. */
  readonly arrivalMs: Float64Array;
  /** Later turns: ms to wait after the previous turn completes (speed-up applied). First turns: 0. */
  readonly delayMs: Float64Array;
  /** Session index of each request. */
  readonly sessionOf: Int32Array;
  /** Next turn of the same session, or −1. */
  readonly nextTurn: Int32Array;
  /** Turn index within its session (0 for the first turn). */
  readonly turnIndex: Int32Array;
  /** First request of each session, sessions ordered by first arrival (stable in load order). */
  readonly sessionFirst: Int32Array;
  /**
   * Each session's key as the source gave it (a trace's `session_id`), indexed by session; a session without
   * one has its index. For reports only: the simulator reads `sessionOf`.
   */
  readonly sessionIds: readonly (string | number)[];
  /** `blocks[blockOffset[r] … blockOffset[r + 1])` are request r's full prompt blocks. Length requestCount + 1. */
  readonly blockOffset: Int32Array;
  /** Interned ids of full prompt blocks, `0 … distinctBlocks − 1`. */
  readonly blocks: Int32Array;
  /** Number of distinct block ids. */
  readonly distinctBlocks: number;
}

/** Summary figures of a workload, for reports and sanity checks. */
export interface WorkloadStats {
  readonly requests: number;
  readonly sessions: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Last first-turn arrival, ms. */
  readonly spanMs: number;
}

/**
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkloadBuilder } from "./builder.ts";
 * import { workloadStats } from "./types.ts";
 * const b = new WorkloadBuilder({ name: "t", blockSize: 4 });
 * b.add({ inputLength: 8, outputLength: 2, arrivalMs: 5, tokenBlocks: { ids: [1, 2], size: 4 } });
 * assert(workloadStats(b.build()).inputTokens === 8);
 * ```
 */
export function workloadStats(w: Workload): WorkloadStats {
  let inputTokens = 0, outputTokens = 0, spanMs = 0;
  for (let r = 0; r < w.requestCount; r++) {
    inputTokens += w.inputLength[r];
    outputTokens += w.outputLength[r];
    if (w.turnIndex[r] === 0 && w.arrivalMs[r] > spanMs) spanMs = w.arrivalMs[r];
  }
  return { requests: w.requestCount, sessions: w.sessionCount, inputTokens, outputTokens, spanMs };
}
