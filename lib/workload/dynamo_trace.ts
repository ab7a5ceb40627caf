/**
 * Dynamo request traces (the reference's `--trace-format dynamo`): the `dynamo.request.trace.v1` records a
 * Dynamo frontend writes, one or more JSONL or JSONL.GZ shards, replayed without an intermediate file.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { type AgenticRow, buildAgenticWorkload } from "./agentic_graph.ts";
import type { TokenBlocks } from "./block_ids.ts";
import { WorkloadBuilder } from "./builder.ts";
import { DYNAMO_SCHEMA, type DynamoRequest, readDynamoRecords, type SequenceHash } from "./dynamo_records.ts";
import { readLines } from "./lines.ts";
import { agentDependencies } from "./dynamo_agents.ts";
import { within } from "./row_fields.ts";
import type { Workload } from "./types.ts";

/** Options for {@link loadDynamoTrace}. */
export interface DynamoTraceOptions {
  /** Engine block size to intern prompt blocks at. */
  readonly blockSize: number;
  /**
   * `--trace-block-size`: when given, it must equal the block size the records embed (the trace's own is
   * used either way).
   */
  readonly traceBlockSize?: number;
  /** Divides arrivals and dependency delays (`--arrival-speedup-ratio`). Default 1. */
  readonly speedup?: number;
  /**
   * Read arrivals and lengths only, as the reference reads the planner's warm-up trace: hashes and block sizes
   * are not checked, prompts share nothing, and `agent_context` is ignored, so every request arrives at its
   * `request_received_ms`. Default false.
   */
  readonly lengthsOnly?: boolean;
}

/**
 * Load Dynamo request-trace shards into a {@link Workload}, as the reference does.
 *
 * - Each `request_end` record is one request: `replay.input_length` prompt tokens whose KV blocks are
 *   `replay.input_sequence_hashes` (Dynamo's prefix-chained hashes, one per `trace_block_size` tokens, so
 *   equal hashes mean a shared prefix across all shards) and `output_tokens` output tokens (0 replays as 1).
 *   Every record must embed the same `trace_block_size`.
 * - **Without `agent_context`** on any request, each request arrives on its own at `request_received_ms`,
 *   shifted so the first is at 0.
 * - **With `agent_context` on every request**, requests form a graph (a trace that mixes both is refused):
 *   a session's requests run in their recorded start order, each waiting for the previous one; a sub-agent
 *   session (`parent_session_id`) starts after the parent request that launched it and the parent request
 *   that consumed its result waits for its last request. Tool events with `tool.claude` evidence name those
 *   requests; otherwise they are inferred from the timestamps. A request that waits is ready once its
 *   dependencies end plus its recorded gap (its start minus their latest end: think and tool time); a
 *   session's first request that waits on nothing arrives at its recorded time. A trajectory is a group of
 *   connected sessions.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadDynamoTrace } from "./dynamo_trace.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const record = (id: string, start: number, end: number, hashes: number[]) => JSON.stringify({
 *   schema: "dynamo.request.trace.v1", event_type: "request_end", event_time_unix_ms: end,
 *   agent_context: { session_id: "s" },
 *   request: { request_id: id, request_received_ms: start, output_tokens: 8,
 *     replay: { trace_block_size: 64, input_length: 64 * hashes.length, input_sequence_hashes: hashes } },
 * });
 * await Deno.writeTextFile(path, [record("r2", 1300, 1400, [7, 9]), record("r1", 1000, 1100, [7])].join("\n"));
 * const w = await loadDynamoTrace([path], { blockSize: 64 });
 * assert.deepEqual(w.requestIds, ["r1", "r2"]);
 * assert.deepEqual([...w.succ], [1]);
 * assert.deepEqual([...w.succDelayMs], [200]); // r2 started 200 ms after r1 ended
 * assert.equal(w.blocks[0], w.blocks[1]); // both prompts open with hash 7
 * await Deno.remove(path);
 * ```
 */
export async function loadDynamoTrace(
  paths: readonly string[],
  options: DynamoTraceOptions,
): Promise<Workload> {
  if (paths.length === 0) throw new InputError("give at least one trace file", { field: "trace_files" });
  const lengthsOnly = options.lengthsOnly ?? false;
  const { requests, links } = await readDynamoRecords(paths, { lengthsOnly });
  const name = paths.length === 1 ? paths[0].split("/").pop() ?? paths[0] : `${paths.length} dynamo shards`;
  if (lengthsOnly) return standalone(requests.slice().sort(byStart), name, options, () => "unique");
  const traceBlockSize = embeddedBlockSize(requests, options.traceBlockSize);
  const withContext = requests.filter((r) => r.agent !== undefined).length;
  if (withContext > 0 && withContext < requests.length) {
    const first = requests[0];
    const other = requests.find((r) => (r.agent === undefined) !== (first.agent === undefined))!;
    throw new InputError(
      `${other.agent ? "has" : "has no"} agent_context, unlike ${first.at.file}:${first.at.line}: a trace ` +
        `carries agent_context on every request or on none (${withContext} of ${requests.length} have it)`,
      within(other.at, "agent_context"),
    );
  }
  const sorted = requests.slice().sort(byStart);
  const hashIds = denseHashIds(sorted);
  if (withContext === 0) {
    return standalone(sorted, name, options, (i) => ({ ids: hashIds[i], size: traceBlockSize }));
  }
  const deps = agentDependencies(sorted, links);
  const rows: AgenticRow[] = sorted.map((r, i) => {
    const on = deps[i];
    const gap = Math.max(0, r.startMs - Math.max(...on.map((d) => sorted[d].endMs)));
    return {
      id: r.id,
      at: r.at,
      session: r.agent!.session,
      play: undefined,
      input: r.input,
      output: Math.max(1, r.output),
      hashIds: hashIds[i],
      startMs: on.length === 0 ? r.startMs : undefined,
      deps: on.map((d) => ({ id: sorted[d].id, delayMs: gap, onDispatch: false })),
      depsField: "agent_context",
    };
  });
  return buildAgenticWorkload(rows, {
    name,
    blockSize: options.blockSize,
    traceBlockSize,
    speedup: options.speedup,
  });
}

/**
 * Whether the file at `path` is a Dynamo request trace: its first non-blank line is a
 * `dynamo.request.trace.v1` record (or wraps one as `{"event": …}`). For inputs that take either this or a
 * Mooncake trace, as the planner's warm-up trace does in the reference.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isDynamoTrace } from "./dynamo_trace.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await Deno.writeTextFile(path, '\n{"event": {"schema": "dynamo.request.trace.v1"}}\n');
 * assert(await isDynamoTrace(path));
 * await Deno.writeTextFile(path, '{"timestamp": 0, "input_length": 8, "output_length": 1, "hash_ids": [1]}\n');
 * assert(!(await isDynamoTrace(path)));
 * await Deno.remove(path);
 * ```
 */
export async function isDynamoTrace(path: string): Promise<boolean> {
  for await (const { text } of readLines(path)) {
    if (text.trim() === "") continue;
    try {
      const row = JSON.parse(text);
      return row?.schema === DYNAMO_SCHEMA || row?.event?.schema === DYNAMO_SCHEMA;
    } catch {
      return false;
    }
  }
  return false;
}

/** A workload of `requests` (in start order), each arriving on its own at its receive time. */
function standalone(
  requests: readonly DynamoRequest[],
  name: string,
  options: DynamoTraceOptions,
  blocks: (i: number) => TokenBlocks | "unique",
): Workload {
  const builder = new WorkloadBuilder({ name, blockSize: options.blockSize });
  requests.forEach((r, i) => {
    builder.add({
      id: r.id,
      arrivalMs: r.startMs,
      inputLength: r.input,
      outputLength: Math.max(1, r.output),
      tokenBlocks: blocks(i),
      at: r.at,
    });
  });
  return builder.build({ speedup: options.speedup });
}

/** Recorded start order: by start, then end, then request id (the reference's order). */
function byStart(a: DynamoRequest, b: DynamoRequest): number {
  return a.startMs - b.startMs || a.endMs - b.endMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The one `trace_block_size` every record embeds, checked against `--trace-block-size` when given. */
function embeddedBlockSize(requests: readonly DynamoRequest[], given: number | undefined): number {
  const first = requests[0];
  const other = requests.find((r) => r.blockSize !== first.blockSize);
  if (other) {
    throw new InputError(
      `is ${other.blockSize}, but ${first.at.file}:${first.at.line} has ${first.blockSize}: a trace must use one ` +
        "block size",
      within(other.at, "request.replay.trace_block_size"),
    );
  }
  if (given !== undefined && given !== first.blockSize) {
    throw new InputError(
      `is ${given}, but the trace's records embed trace_block_size ${first.blockSize} (omit the flag to use it)`,
      { field: "trace_block_size" },
    );
  }
  return first.blockSize;
}

/** Each request's hashes as dense ids, numbered in first-seen order over the requests as given. */
function denseHashIds(requests: readonly DynamoRequest[]): number[][] {
  const ids = new Map<SequenceHash, number>();
  return requests.map((r) =>
    r.hashes.map((h) => {
      let id = ids.get(h);
      if (id === undefined) ids.set(h, id = ids.size);
      return id;
    })
  );
}
