/**
 * Agentic Mooncake traces (the reference's `agentic_mooncake`): Mooncake rows that form a request graph, where
 * a request may wait for others (a tool call's result, a sub-agent's join) instead of arriving at a timestamp.
 *
 * Version 1 has no header. Each row is a Mooncake row (`input_length`, `output_length`, `hash_ids`,
 * `timestamp`, `session_id`, with the Mooncake aliases) plus a stable `request_id` and optionally
 * `wait_for` (request ids), `delay` / `delay_ms` and `tool_wait_ms`. Version 2 opens with a header line
 * `{"schema": "dynamo.agentic_mooncake", "version": 2, "block_size": …}` and gives each row a `not_before_ms`
 * and typed `dependencies`.
 *
 * @module
 */
import { InputError, type InputLocation, shown } from "../common/errors.ts";
import { parseObjectLine, readLines } from "./lines.ts";
import { mooncakeHashIds, mooncakeRouting, mooncakeSessionId } from "./mooncake.ts";
import { aliased, optionalInteger, optionalTime, requiredInteger } from "./row_fields.ts";
import { type AgenticRow, buildAgenticWorkload } from "./agentic_graph.ts";
import { MAX_TOKENS, type Workload } from "./types.ts";
import { own } from "../common/own.ts";

/** Options for {@link loadAgenticMooncake}. */
export interface AgenticMooncakeOptions {
  /** Engine block size to intern prompt blocks at. */
  readonly blockSize: number;
  /**
   * Tokens per hash id (`--trace-block-size`). Default 512 for version 1; a version 2 header carries its own,
   * which this must match when given.
   */
  readonly traceBlockSize?: number;
  /** Divides start times and dependency delays (`--arrival-speedup-ratio`). Default 1. */
  readonly speedup?: number;
  /** Require a timestamp on every version 1 row without `wait_for` (open-loop replay). Default true. */
  readonly requireTimestamps?: boolean;
}

/** The header line's `schema`. */
const SCHEMA = "dynamo.agentic_mooncake";
const TRIGGERS = ["completion", "dispatch"];
/** Relations and the triggers each allows (the reference's table); relations do not change timing. */
const RELATIONS: Readonly<Record<string, readonly string[]>> = {
  sequence: ["completion"],
  spawn: ["completion", "dispatch"],
  join: ["completion"],
  replay_barrier: ["completion"],
};

/**
 * Load an agentic Mooncake trace (version 1 or 2) into a {@link Workload} whose requests wait on each other.
 *
 * - **Version 1.** A row without `wait_for` arrives at its `timestamp` (required unless `requireTimestamps` is
 *   false). A row with `wait_for` is ready `delay + tool_wait_ms` ms after the last request it names ends; its
 *   timestamp is not used.
 *   `branches`, `prefix_reset` and `tool_events` describe the trajectory and do not change the replay, as in
 *   the reference. `input_length` may not exceed `len(hash_ids) × traceBlockSize` (an absent one means that).
 * - **Version 2.** The header's `block_size` is the tokens per hash id, and each row holds exactly
 *   `ceil(input_length / block_size)` hash ids. A row is ready when each of its `dependencies` has fired (a
 *   `completion` edge when its request ends, a `dispatch` edge when its request is sent) and that edge's
 *   `delay_ms` has passed, and not before its `not_before_ms`. An edge's `relation` (`sequence`, `spawn`,
 *   `join`, `replay_barrier`) is checked against its trigger, as the reference does, and does not change
 *   the timing. Edges between different `play_id`s are refused.
 * - Both: `request_id` is a non-empty string, unique in the file. A dependency may name a later row; unknown
 *   ids, self-dependencies and cycles are errors naming the line. Equal hash ids share KV blocks across the
 *   whole file. `session_id` groups requests in reports. A trajectory (the reference's play) is a version 2
 *   row's `play_id`, else the requests its dependencies connect it to; reports give trajectory latencies.
 *   An output length of 0 is replayed as 1 token. Start times are normalised so the first is 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadAgenticMooncake } from "./agentic_mooncake.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const row = (o: object) => JSON.stringify({ input_length: 1024, output_length: 20, hash_ids: [1, 2], ...o });
 * await Deno.writeTextFile(path, [
 *   row({ request_id: "plan", timestamp: 1000 }),
 *   row({ request_id: "tool-a", wait_for: ["plan"], tool_wait_ms: 300 }),
 *   row({ request_id: "tool-b", wait_for: ["plan"], tool_wait_ms: 500 }),
 *   row({ request_id: "answer", wait_for: ["tool-a", "tool-b"], delay: 20 }),
 * ].join("\n"));
 * const w = await loadAgenticMooncake(path, { blockSize: 64 });
 * assert.deepEqual([...w.waitCount], [0, 1, 1, 2]);
 * assert.deepEqual([...w.succ], [1, 2, 3, 3]);
 * assert.deepEqual([...w.succDelayMs], [300, 500, 20, 20]);
 * await Deno.remove(path);
 * ```
 */
export async function loadAgenticMooncake(path: string, options: AgenticMooncakeOptions): Promise<Workload> {
  const rows: AgenticRow[] = [];
  let blockSize = options.traceBlockSize ?? 512;
  let version = 0;
  for await (const { text, number } of readLines(path)) {
    if (text.trim() === "") continue;
    const at: InputLocation = { file: path, line: number };
    const row = parseObjectLine(text, at);
    if (version === 0) {
      version = "schema" in row ? 2 : 1;
      if (version === 2) {
        blockSize = parseHeader(row, at, options.traceBlockSize);
        continue;
      }
    } else if ("schema" in row) {
      throw new InputError("a header may only be the first line", { ...at, field: "schema" });
    }
    rows.push(
      version === 2
        ? parseRowV2(row, at, blockSize)
        : parseRowV1(row, at, blockSize, options.requireTimestamps ?? true),
    );
  }
  if (rows.length === 0) throw new InputError("the trace has no requests", { file: path });
  return buildAgenticWorkload(rows, {
    name: path.split("/").pop() ?? path,
    blockSize: options.blockSize,
    traceBlockSize: blockSize,
    speedup: options.speedup,
  });
}

/** Check a version 2 header; returns its `block_size`. */
/** A version 2 header's block size, checked against `--trace-block-size` when given. */
function parseHeader(row: Record<string, unknown>, at: InputLocation, given: number | undefined): number {
  if (row.schema !== SCHEMA) {
    throw new InputError(`must be "${SCHEMA}", got ${shown(row.schema)}`, {
      ...at,
      field: "schema",
    });
  }
  if (row.version !== 2) {
    throw new InputError(
      `must be 2 (a file without a header is version 1), got ${shown(row.version)}`,
      {
        ...at,
        field: "version",
      },
    );
  }
  if (row.hash_id_scope !== undefined && row.hash_id_scope !== "local") {
    throw new InputError(`must be "local", got ${shown(row.hash_id_scope)}`, {
      ...at,
      field: "hash_id_scope",
    });
  }
  const blockSize = requiredInteger(row, "block_size", 1, at);
  if (given !== undefined && given !== blockSize) {
    throw new InputError(
      `is ${blockSize}, but --trace-block-size is ${given} (omit the flag to use the header's)`,
      {
        ...at,
        field: "block_size",
      },
    );
  }
  return blockSize;
}

function parseRowV1(
  row: Record<string, unknown>,
  at: InputLocation,
  blockSize: number,
  requireTimestamps: boolean,
): AgenticRow {
  const hashIds = mooncakeHashIds(row, at);
  const capacity = hashIds.length * blockSize;
  const inputField = aliased(row, "input_length", "input_tokens", at);
  const input = optionalInteger(row, inputField, 1, at, MAX_TOKENS) ?? capacity;
  if (input > capacity) {
    throw new InputError(
      `is ${input}, more than the ${hashIds.length} hash ids × ${blockSize} tokens (--trace-block-size) hold`,
      { ...at, field: inputField },
    );
  }
  if (input > MAX_TOKENS) {
    throw new InputError(
      `${hashIds.length} ids × ${blockSize} tokens (--trace-block-size) make a ${input}-token prompt, more ` +
        `than the ${MAX_TOKENS} a prompt may have; give input_length`,
      { ...at, field: "hash_ids" },
    );
  }
  const waitFor = row.wait_for ?? [];
  if (!Array.isArray(waitFor) || waitFor.some((id) => typeof id !== "string" || id === "")) {
    throw new InputError("must be an array of request_id strings", { ...at, field: "wait_for" });
  }
  if ("delay" in row && "delay_ms" in row) {
    throw new InputError("give delay or delay_ms, not both", { ...at, field: "delay_ms" });
  }
  const delay = optionalTime(row, aliased(row, "delay_ms", "delay", at), at) ?? 0;
  const delayMs = delay + (optionalTime(row, "tool_wait_ms", at) ?? 0);
  const startMs = optionalTime(row, aliased(row, "timestamp", "created_time", at), at);
  const id = requestId(row, at);
  if (startMs === undefined && waitFor.length === 0 && requireTimestamps) {
    throw new InputError(
      "required on a row without wait_for in trace replay (its arrival); or replay with --replay-concurrency",
      { ...at, field: "timestamp" },
    );
  }
  return {
    id,
    at,
    session: mooncakeSessionId(row, at),
    play: undefined,
    input,
    output: outputOf(row, at),
    hashIds,
    startMs: waitFor.length === 0 ? startMs ?? 0 : undefined,
    deps: (waitFor as string[]).map((id) => ({ id, delayMs, onDispatch: false })),
    depsField: "wait_for",
    routing: mooncakeRouting(row, at),
  };
}

function parseRowV2(row: Record<string, unknown>, at: InputLocation, blockSize: number): AgenticRow {
  const hashIds = mooncakeHashIds(row, at);
  const inputField = aliased(row, "input_length", "input_tokens", at);
  const input = requiredInteger(row, inputField, 1, at, MAX_TOKENS);
  const blocks = Math.ceil(input / blockSize);
  if (hashIds.length !== blocks) {
    throw new InputError(
      `holds ${hashIds.length} ids; ${inputField} ${input} at block_size ${blockSize} needs exactly ${blocks}`,
      { ...at, field: "hash_ids" },
    );
  }
  const startMs = optionalTime(row, "not_before_ms", at);
  if (startMs === undefined) {
    throw new InputError("required in a version 2 trace", { ...at, field: "not_before_ms" });
  }
  const play = row.play_id;
  if (play !== undefined && typeof play !== "string") {
    throw new InputError("must be a string", { ...at, field: "play_id" });
  }
  const deps = row.dependencies ?? [];
  if (!Array.isArray(deps)) {
    throw new InputError("must be an array of edges", { ...at, field: "dependencies" });
  }
  return {
    id: requestId(row, at),
    at,
    session: mooncakeSessionId(row, at),
    play,
    input,
    output: outputOf(row, at),
    hashIds,
    startMs,
    deps: deps.map((edge, k) => parseEdge(edge, { ...at, field: `dependencies[${k}]` })),
    depsField: "dependencies",
    routing: mooncakeRouting(row, at),
  };
}

function parseEdge(edge: unknown, at: InputLocation): AgenticRow["deps"][number] {
  if (edge === null || typeof edge !== "object" || Array.isArray(edge)) {
    throw new InputError("must be an object {request_id, trigger, delay_ms, relation}", at);
  }
  const e = edge as Record<string, unknown>;
  const field = (name: string) => ({ ...at, field: `${at.field}.${name}` });
  if (typeof e.request_id !== "string" || e.request_id === "") {
    throw new InputError("must be a non-empty string", field("request_id"));
  }
  if (typeof e.trigger !== "string" || !TRIGGERS.includes(e.trigger)) {
    throw new InputError(
      `must be one of ${TRIGGERS.join(", ")}, got ${shown(e.trigger)}`,
      field("trigger"),
    );
  }
  const allowed = typeof e.relation === "string" ? own(RELATIONS, e.relation) : undefined;
  if (allowed === undefined) {
    throw new InputError(
      `must be one of ${Object.keys(RELATIONS).join(", ")}, got ${shown(e.relation)}`,
      field("relation"),
    );
  }
  if (!allowed.includes(e.trigger)) {
    throw new InputError(
      `a ${e.relation} edge fires on ${allowed.join(" or ")}, not ${e.trigger}`,
      field("trigger"),
    );
  }
  const delayMs = optionalTime(e, "delay_ms", at) ?? 0;
  return { id: e.request_id, delayMs, onDispatch: e.trigger === "dispatch" };
}

function requestId(row: Record<string, unknown>, at: InputLocation): string {
  const id = row.request_id;
  if (typeof id !== "string" || id.trim() === "") {
    throw new InputError(`required, a non-empty string, got ${shown(id)}`, {
      ...at,
      field: "request_id",
    });
  }
  return id;
}

function outputOf(row: Record<string, unknown>, at: InputLocation): number {
  const field = aliased(row, "output_length", "output_tokens", at);
  const output = optionalInteger(row, field, 0, at, MAX_TOKENS);
  if (output === undefined) throw new InputError("required", { ...at, field: "output_length" });
  return Math.max(1, output);
}
