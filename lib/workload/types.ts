/**
 * The in-memory workload every loader produces and the simulator consumes: requests as struct-of-arrays,
 * grouped into sessions, with each prompt's full KV blocks interned to dense integer ids.
 *
 * @module
 */

/** The longest prompt or output a request may have, in tokens: what the workload's `Int32Array`s hold. */
export const MAX_TOKENS = 2 ** 31 - 1;

/** The most requests a workload may hold (16.8 M). */
export const MAX_REQUESTS = 2 ** 24;

/** The most full prompt blocks a workload may hold over all its requests (268 M block ids: 1 GiB). */
export const MAX_PROMPT_BLOCKS = 2 ** 28;

/** The most distinct KV block ids a workload's prompts may stand for (what an `Int32Array` of ids holds). */
export const MAX_BLOCK_IDS = 2 ** 31 - 2;

/**
 * The latest time a workload may hold, ms (2^43 ms: about 278 years), trace times and delays as given and
 * after the arrival speed-up alike; a double still resolves 2 µs there.
 */
export const MAX_TIME_MS = 2 ** 43;

/**
 * {@link MAX_TIME_MS} as error messages quote it, in ms or in seconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { maxTimeText } from "./types.ts";
 * assert.equal(maxTimeText("s"), "8796093022.208 s (about 278 years)");
 * ```
 */
export function maxTimeText(unit: "ms" | "s" = "ms"): string {
  const years = Math.floor(MAX_TIME_MS / (365.25 * 86_400_000));
  return `${unit === "s" ? MAX_TIME_MS / 1000 : MAX_TIME_MS} ${unit} (about ${years} years)`;
}

/**
 * A workload materialised for one engine block size.
 *
 * Requests are numbered `0 … requestCount − 1` and form a dependency graph. A request that waits for none (a
 * root: a session's first turn) arrives at `arrivalMs`. Any other waits on edges from other requests: an edge
 * fires when its source ends (or, if marked, when it is dispatched), and the request is ready once every
 * edge's delay after its firing has passed, and not before its `arrivalMs`. A multi-turn session is a chain
 * (each turn waits for the previous one's end, for the user's think time); an agentic trace's request may
 * wait for several (a join) and release several (a fan-out). A request waits only for requests numbered
 * before it, so the graph has no cycle.
 * Sessions group requests for reports. A request's prompt shares KV with another's exactly as far as their
 * `blocks` agree from the start: block ids are interned positional-chain hashes, so equal ids mean equal
 * prefixes.
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
  /**
   * Roots: arrival time in ms. Others: the earliest time they may start (0 unless the trace sets one). First
   * arrival normalised to 0, speed-up applied.
   */
  readonly arrivalMs: Float64Array;
  /** How many edges each request waits on (0: a root). */
  readonly waitCount: Int32Array;
  /**
   * Edges by source: `succ[succOffset[r] … succOffset[r + 1])` are the requests waiting for r, in load order.
   * Length requestCount + 1.
   */
  readonly succOffset: Int32Array;
  /** Each edge's target. */
  readonly succ: Int32Array;
  /** Each edge's delay, ms after it fires (a session's think time; speed-up applied). */
  readonly succDelayMs: Float64Array;
  /** 1 where an edge fires when its source is dispatched, 0 where it fires when its source ends. */
  readonly succOnDispatch: Uint8Array;
  /** The roots, ordered by arrival (stable in load order). */
  readonly roots: Int32Array;
  /** Session index of each request. */
  readonly sessionOf: Int32Array;
  /** Position of each request among its session's, in load order (0 for the first). */
  readonly turnIndex: Int32Array;
  /**
   * Each session's key as the source gave it (a trace's `session_id`), indexed by session; a session without
   * one has the name its loader gives it (a Mooncake row's `request_<line>`, as the reference), else
   * `session_<index>` (the reference's name for a synthetic session).
   * For reports only: the simulator reads `sessionOf`.
   */
  readonly sessionIds: readonly (string | number)[];
  /** Agentic traces: their trajectories. Absent for workloads without them. */
  readonly trajectories?: Trajectories;
  /** The router-queue priorities and policy classes the trace gives (absent when no row has one). */
  readonly routing?: RoutingHints;
  /** Each request's id as the trace gives it (agentic traces' `request_id`), for reports; absent otherwise. */
  readonly requestIds?: readonly string[];
  /** `blocks[blockOffset[r] … blockOffset[r + 1])` are request r's full prompt blocks. Length requestCount + 1. */
  readonly blockOffset: Int32Array;
  /** Interned ids of full prompt blocks, `0 … distinctBlocks − 1`. */
  readonly blocks: Int32Array;
  /** Number of distinct block ids. */
  readonly distinctBlocks: number;
  /**
   * Prompt tokens a trace's rows gave beyond what their hash ids cover (`input_length` over ids × trace block
   * size), dropped as the reference clamps them; absent when none were.
   */
  readonly clampedInputTokens?: number;
}

/** The trajectories of a workload (the reference's plays: groups of requests working on one task). */
export interface Trajectories {
  /** Each request's trajectory, `0 … count − 1`. */
  readonly of: Int32Array;
  readonly count: number;
}

/**
 * What a trace says about each request's place in the KV router's queue: Mooncake rows' `priority`,
 * `strict_priority` and `policy_class`. They order the router's queue only, not the engines' scheduling.
 */
export interface RoutingHints {
  /** Seconds of first-come credit in the router queue (`priority`; a negative one counts as 0). */
  readonly priority: Float64Array;
  /** Strict tier (`strict_priority`): a higher one leaves its class's queue before any lower one. */
  readonly strictPriority: Float64Array;
  /** The policy class or family the request names: an index into `policyClassNames`, −1 for none. */
  readonly policyClass: Int32Array;
  readonly policyClassNames: readonly string[];
}

/** Summary figures of a workload, for reports and sanity checks. */
export interface WorkloadStats {
  readonly requests: number;
  readonly sessions: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Last root arrival, ms. */
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
    if (w.waitCount[r] === 0 && w.arrivalMs[r] > spanMs) spanMs = w.arrivalMs[r];
  }
  return { requests: w.requestCount, sessions: w.sessionCount, inputTokens, outputTokens, spanMs };
}

/**
 * When each request would arrive if every request took no time: a root at its arrival, any other when the
 * last of its edges' delays has passed (and not before its `arrivalMs`). For a trace whose turns carry
 * timestamps (and no explicit delays) these are the timestamps, normalised and sped up. What the planner's
 * warm-up trace is bucketed by.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkloadBuilder } from "./builder.ts";
 * import { nominalArrivals } from "./types.ts";
 * const b = new WorkloadBuilder({ name: "t", blockSize: 4 });
 * b.add({ session: "s", arrivalMs: 100, inputLength: 4, outputLength: 1, tokenBlocks: "unique" });
 * b.add({ session: "s", arrivalMs: 700, inputLength: 4, outputLength: 1, tokenBlocks: "unique" });
 * assert.deepEqual([...nominalArrivals(b.build())], [0, 600]);
 * ```
 */
export function nominalArrivals(w: Workload): Float64Array {
  const at = w.arrivalMs.slice();
  for (let r = 0; r < w.requestCount; r++) {
    for (let i = w.succOffset[r]; i < w.succOffset[r + 1]; i++) {
      at[w.succ[i]] = Math.max(at[w.succ[i]], at[r] + w.succDelayMs[i]);
    }
  }
  return at;
}
