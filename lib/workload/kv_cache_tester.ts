/**
 * kv-cache-tester agentic session traces (callanjfox/kv-cache-tester, e.g. anonymised Claude Code sessions):
 * JSON Lines (usually gzip), one closed-loop session per line, 64-token block hash ids local to the session.
 *
 * @module
 */
import { InputError, type InputLocation } from "../common/errors.ts";
import { Rng } from "../common/rng.ts";
import { WorkloadBuilder } from "./builder.ts";
import { type Call, parseSession, type Step } from "./kv_cache_tester_rows.ts";
import { parseJsonLine, readLines } from "./lines.ts";
import { MAX_TIME_MS, maxTimeText, type Workload } from "./types.ts";

/** Options for {@link loadKvCacheTester}. */
export interface KvCacheTesterOptions {
  /** Engine block size to intern prompt blocks at. */
  readonly blockSize: number;
  /** Tokens per hash id; default each session's own `block_size` (64 in the public traces). */
  readonly traceBlockSize?: number;
  /** Divides session starts and think times. Default 1. */
  readonly speedup?: number;
  /** Read only the first N sessions (lines). Default: all. */
  readonly maxSessions?: number;
  /** Fixed gap between consecutive session starts, ms. Default 0 (all sessions start at t = 0). */
  readonly sessionIntervalMs?: number;
  /** Poisson session starts at this many sessions per second (instead of the fixed gap). */
  readonly sessionRate?: number;
  /** Seed of the Poisson session starts. Default 42. */
  readonly sessionSeed?: number;
  /** Sub-agents as their own sessions (default) or spliced into the parent's chain. */
  readonly subagents?: "sessions" | "inline";
}

/**
 * Load a kv-cache-tester trace into a {@link Workload}, streaming it one session (line) at a time.
 *
 * - **Sessions.** Each line is a closed loop: a call is issued `think_time` seconds after the previous one
 *   completes (a missing `think_time` falls back to `t − t_prev − api_time_prev`, the gap the trace implies,
 *   floored at 0). `api_time` is the original service time and is not replayed. Session k (0-based) starts at
 *   `k × sessionIntervalMs` (default 0: all at t = 0, so `--replay-concurrency` governs the load), or at the
 *   k-th arrival of a Poisson process of `sessionRate` per second.
 * - **Hash ids** are local to a session (`hash_id_scope: "local"`): each session gets its own hash namespace,
 *   so equal ids in two sessions share nothing (`"global"` puts all in one namespace). Ids cover full
 *   64-token blocks only (`len(hash_ids) == floor(in / 64)`, checked); the partial tail block gets an id of
 *   its own, shared with nothing.
 * - **Sub-agents** (`type: "subagent"`) share their parent's namespace. By default each one is its own
 *   closed-loop session whose first call arrives `t` (the sub-agent's offset) seconds after its parent
 *   started: in the traces sub-agents mostly overlap their parent's later calls. With `subagents: "inline"`
 *   their calls are spliced into the parent's chain where the sub-agent appears (each with its own think time).
 *   A sub-agent session is added right after its parent's, in file order.
 * - `out: 0` (aborted calls) is replayed as 1 output token.
 *
 * A bad line throws an {@link InputError} naming the file, line and field (e.g. `requests[3].hash_ids`).
 *
 * @example
 * ```ts ignore
 * import { loadKvCacheTester } from "./kv_cache_tester.ts";
 * const w = await loadKvCacheTester("claude_code_traces.jsonl.gz", { blockSize: 64, maxSessions: 50 });
 * ```
 */
export async function loadKvCacheTester(path: string, options: KvCacheTesterOptions): Promise<Workload> {
  const builder = new WorkloadBuilder({ name: path.split("/").pop() ?? path, blockSize: options.blockSize });
  const interval = options.sessionIntervalMs ?? 0;
  const poisson = options.sessionRate === undefined ? undefined : new Rng(options.sessionSeed ?? 42);
  const meanGapMs = options.sessionRate === undefined ? 0 : 1000 / options.sessionRate;
  const inline = options.subagents === "inline";
  const max = options.maxSessions ?? Infinity;
  let sessions = 0, chains = 0, startMs = 0, sawGlobal = false;
  for await (const { text, number } of readLines(path)) {
    if (text.trim() === "") continue;
    if (sessions >= max) break;
    const at: InputLocation = { file: path, line: number };
    const session = parseSession(parseJsonLine(text, at), options.traceBlockSize, at);
    if (sessions > 0) startMs += poisson ? poisson.exponential(meanGapMs) : interval;
    if (startMs > MAX_TIME_MS) {
      throw new InputError(
        `starts session ${sessions + 1} (line ${number}) at ${startMs} ms, past the ${maxTimeText()} a ` +
          `workload may span; ${poisson ? "raise it" : "lower it"}`,
        { field: poisson ? "session_rate" : "session_interval_ms" },
      );
    }
    sessions++;
    const namespace = session.localIds ? sessions : 0;
    // Local ids: no later session can share this one's blocks (unless an earlier session used global ids).
    if (session.localIds && !sawGlobal) builder.forgetBlocks();
    sawGlobal ||= !session.localIds;
    // A chain's calls, the first at its offset after the session's start; a sub-agent's first call waits on the
    // session's first call being sent (`anchor`), so that it keeps its place in closed loop too.
    const add = (chain: readonly Step[], anchor?: { request: number; offsetS: number }) => {
      const key = chains++, head = { request: builder.count, offsetS: chain[0].offsetS };
      let first = true;
      for (const { call, offsetS, delayS } of chain) {
        const after = first && anchor
          ? [{
            request: anchor.request,
            delayMs: Math.max(0, offsetS - anchor.offsetS) * 1000,
            onDispatch: true,
          }]
          : undefined;
        builder.add({
          session: key,
          after,
          // An anchored first call has no start floor of its own: its edge from the session's first call holds
          // the offset, and jitter moves it with that call.
          arrivalMs: first && !anchor ? startMs + offsetS * 1000 : undefined,
          delayMs: first || after ? undefined : delayS * 1000,
          inputLength: call.input,
          outputLength: Math.max(1, call.output),
          tokenBlocks: tokenBlocksOf(call, session.blockSize, options.blockSize, builder.count),
          namespace,
          at,
        });
        first = false;
      }
      return head;
    };
    if (inline) {
      const flat = session.steps.flatMap(function splice(s): Step[] {
        return s.subagent ? s.subagent.flatMap(splice) : [s];
      });
      if (flat.length > 0) add(flat);
    } else {
      const queue: (readonly Step[])[] = [session.steps];
      let anchor: { request: number; offsetS: number } | undefined;
      for (let q = 0; q < queue.length; q++) {
        const chain = queue[q].filter((s) => s.subagent === undefined);
        if (chain.length > 0) {
          const head = add(chain, anchor);
          anchor ??= head;
        }
        for (const s of queue[q]) if (s.subagent) queue.push(s.subagent);
      }
    }
  }
  if (builder.count === 0) throw new InputError("the trace has no requests", { file: path });
  return builder.build({ speedup: options.speedup });
}

const TAIL_ID_BASE = 2 ** 52;

/**
 * The call's token blocks: its hash ids, plus one id of its own for the partial tail block when the engine
 * blocks reach into it (engine block size not a multiple of the trace's).
 */
function tokenBlocksOf(call: Call, traceBlockSize: number, blockSize: number, request: number) {
  const ids = call.hashIds;
  const needed = Math.floor(call.input / blockSize) * blockSize;
  if (needed > ids.length * traceBlockSize) ids.push(TAIL_ID_BASE + request);
  return { ids, size: traceBlockSize };
}
