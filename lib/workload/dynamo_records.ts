/**
 * Reading Dynamo request-trace shards (`dynamo.request.trace.v1` JSONL, plain or gzip): the records the
 * frontend's request tracing writes, one `request_end` per served request plus the harness's tool events.
 * This module checks each record and keeps what replay needs; `dynamo_trace.ts` turns them into a workload.
 *
 * @module
 */
import { InputError, type InputLocation, shown } from "../common/errors.ts";
import { isObject } from "../common/json.ts";
import { parseObjectLine, readLines } from "./lines.ts";
import {
  objectField,
  optionalInteger,
  optionalTime,
  requiredInteger,
  textField,
  within,
} from "./row_fields.ts";
import { MAX_TIME_MS, MAX_TOKENS } from "./types.ts";

/** The `schema` every record carries. */
export const DYNAMO_SCHEMA = "dynamo.request.trace.v1";

/** A prefix hash as recorded: a u64, a bigint where it exceeds 2^53. */
export type SequenceHash = number | bigint;

/** One `request_end` record, checked. */
export interface DynamoRequest {
  readonly id: string;
  readonly at: InputLocation;
  /** `request_received_ms`. */
  readonly startMs: number;
  /** `request_received_ms + total_time_ms`, else the record's `event_time_unix_ms` (never before the start). */
  readonly endMs: number;
  /** `replay.input_length`. */
  readonly input: number;
  /** `output_tokens` (0 allowed; replayed as 1). */
  readonly output: number;
  /** `replay.trace_block_size`: tokens per hash. */
  readonly blockSize: number;
  /** `replay.input_sequence_hashes`: exactly `ceil(input / blockSize)` of them. */
  readonly hashes: readonly SequenceHash[];
  /** `agent_context`, when the record has one. */
  readonly agent?: { readonly session: string; readonly parent?: string };
}

/** The launch and join evidence of a `tool_end` / `tool_error` record's `tool.claude`. */
export interface DynamoToolLink {
  readonly callId: string;
  readonly at: InputLocation;
  /** The tool's session (its record's `agent_context.session_id`). */
  readonly session: string;
  /** `source_request_id`: the request that made the call. */
  readonly source: string;
  /** `consumer_request_id`: the request that consumed the result. */
  readonly consumer?: string;
  /** `child_session_id`: the sub-agent session the call ran. */
  readonly child?: string;
  /** `execution_mode`: `blocking` or `background`. */
  readonly mode: string;
}

/** What a set of shards holds. */
export interface DynamoRecords {
  /** In load order: shards as given, lines in file order. */
  readonly requests: DynamoRequest[];
  /** Tool events that carry launch and join evidence, in load order. */
  readonly links: DynamoToolLink[];
}

const EVENT_TYPES = ["request_end", "tool_start", "tool_end", "tool_error", "request_payload"];
const EXECUTION_MODES = ["blocking", "background"];
/** The hash list's JSON text in a line (a key inside a string would have its quotes escaped). */
const HASHES_TEXT = /"input_sequence_hashes"\s*:\s*\[([^\]]*)\]/;

/**
 * Read the records of `paths` (`.gz` shards are decompressed). Blank lines, `request_payload` records and
 * `tool_start` events are skipped; a line may wrap its record as `{"event": {…}}`. Every other record must
 * carry the schema, a known event type and `event_time_unix_ms`. Request ids are unique across all shards.
 * Bad input throws an {@link InputError} naming the file, line and field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readDynamoRecords } from "./dynamo_records.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await Deno.writeTextFile(path, JSON.stringify({
 *   schema: "dynamo.request.trace.v1", event_type: "request_end", event_time_unix_ms: 1100,
 *   request: { request_id: "r1", request_received_ms: 1000, output_tokens: 4,
 *     replay: { trace_block_size: 2, input_length: 3, input_sequence_hashes: [11, 22] } },
 * }));
 * const { requests } = await readDynamoRecords([path]);
 * assert.deepEqual([requests[0].startMs, requests[0].endMs, requests[0].input], [1000, 1100, 3]);
 * await Deno.remove(path);
 * ```
 */
export async function readDynamoRecords(
  paths: readonly string[],
  options: { readonly lengthsOnly?: boolean } = {},
): Promise<DynamoRecords> {
  const requests: DynamoRequest[] = [];
  const links: DynamoToolLink[] = [];
  const seen = new Map<string, InputLocation>();
  for (const path of paths) {
    for await (const { text, number } of readLines(path)) {
      if (text.trim() === "") continue;
      const read = recordOf(text, { file: path, line: number });
      if (read === undefined) continue;
      const { record, at } = read;
      if (record.event_type === "request_end") {
        const request = parseRequest(record, at, text, options.lengthsOnly ?? false);
        const first = seen.get(request.id);
        if (first) {
          throw new InputError(
            `duplicates request_id ${JSON.stringify(request.id)} of ${first.file}:${first.line}`,
            within(at, "request.request_id"),
          );
        }
        seen.set(request.id, request.at);
        requests.push(request);
      } else {
        const link = parseToolLink(record, at);
        if (link) links.push(link);
      }
    }
  }
  if (requests.length === 0) {
    throw new InputError(`no request_end records in ${paths.join(", ")}`, { file: paths[0] });
  }
  return { requests, links };
}

/**
 * The record a line holds, checked for schema, type and time, with its location (`event` when wrapped);
 * undefined for a record replay skips.
 */
function recordOf(
  text: string,
  line: InputLocation,
): { record: Record<string, unknown>; at: InputLocation } | undefined {
  const parsed = parseObjectLine(text, line);
  const wrapped = parsed.event !== undefined && parsed.event !== null;
  const at = wrapped ? within(line, "event") : line;
  if (wrapped && !isObject(parsed.event)) throw new InputError("must be an object (a wrapped record)", at);
  const record = (wrapped ? parsed.event : parsed) as Record<string, unknown>;
  if (record.event_type === "request_payload") return undefined;
  if (record.schema !== DYNAMO_SCHEMA) {
    throw new InputError(
      `must be "${DYNAMO_SCHEMA}", got ${shown(record.schema)}`,
      within(at, "schema"),
    );
  }
  if (typeof record.event_type !== "string" || !EVENT_TYPES.includes(record.event_type)) {
    throw new InputError(
      `must be one of ${EVENT_TYPES.join(", ")}, got ${shown(record.event_type)}`,
      within(at, "event_type"),
    );
  }
  requiredInteger(record, "event_time_unix_ms", 0, at, MAX_TIME_MS);
  if (record.event_type === "tool_start") return undefined;
  return { record, at };
}

/**
 * A `request_end` record; `line` is its text, to re-read hashes beyond 2^53 exactly. With `lengthsOnly`, its
 * block size and hashes are neither read nor checked (0 and none).
 */
function parseRequest(
  record: Record<string, unknown>,
  at: InputLocation,
  line: string,
  lengthsOnly: boolean,
): DynamoRequest {
  const request = objectField(record, "request", at, "required on a request_end record");
  const inRequest = within(at, "request");
  const id = textField(request, "request_id", inRequest, true)!;
  const replay = objectField(
    request,
    "replay",
    inRequest,
    "required: replay needs each request's input_length and prefix hashes (the trace's replay metadata)",
  );
  const inReplay = within(inRequest, "replay");
  const input = requiredInteger(replay, "input_length", 1, inReplay, MAX_TOKENS);
  const blockSize = lengthsOnly ? 0 : requiredInteger(replay, "trace_block_size", 1, inReplay);
  const hashesAt = within(inReplay, "input_sequence_hashes");
  const hashes = lengthsOnly ? [] : sequenceHashes(replay.input_sequence_hashes, hashesAt, line);
  const blocks = Math.ceil(input / blockSize);
  if (!lengthsOnly && hashes.length !== blocks) {
    throw new InputError(
      `holds ${hashes.length} hashes; input_length ${input} at trace_block_size ${blockSize} needs exactly ` +
        `${blocks}`,
      hashesAt,
    );
  }
  const startMs = requiredInteger(request, "request_received_ms", 0, inRequest, MAX_TIME_MS);
  const output = requiredInteger(request, "output_tokens", 0, inRequest, MAX_TOKENS);
  const totalMs = optionalTime(request, "total_time_ms", inRequest);
  const eventMs = record.event_time_unix_ms as number;
  const endMs = totalMs === undefined ? Math.max(eventMs, startMs) : startMs + Math.round(totalMs);
  return { id, at, startMs, endMs, input, output, blockSize, hashes, agent: agentOf(record, at) };
}

/** A record's `agent_context`, undefined when it has none. */
function agentOf(record: Record<string, unknown>, at: InputLocation): DynamoRequest["agent"] {
  if (record.agent_context === undefined || record.agent_context === null) return undefined;
  const context = objectField(record, "agent_context", at);
  const inContext = within(at, "agent_context");
  const session = textField(context, "session_id", inContext, true)!;
  const parent = textField(context, "parent_session_id", inContext, false);
  return parent === undefined ? { session } : { session, parent };
}

/**
 * `input_sequence_hashes`: an array of u64 integers. JSON numbers are doubles, exact only up to 2^53, and
 * Dynamo's hashes span 64 bits: when a parsed hash is beyond 2^53, the list is re-read from the line's text
 * and such hashes kept as bigints, so two hashes never merge.
 */
function sequenceHashes(v: unknown, at: InputLocation, line: string): SequenceHash[] {
  if (!Array.isArray(v)) {
    throw new InputError(`required, an array of u64 hashes, got ${shown(v)}`, at);
  }
  for (const h of v) {
    // The upper bound is checked on the digits below: a double rounds the largest u64 values up to 2^64.
    if (!Number.isInteger(h) || h < 0 || h > 2 ** 64) {
      throw new InputError(`must hold integers in [0, 2^64), found ${shown(h)}`, at);
    }
  }
  if (v.every(Number.isSafeInteger)) return v;
  const digits = HASHES_TEXT.exec(line)?.[1].split(",").map((d) => d.trim()) ?? [];
  if (digits.length !== v.length || digits.some((d, i) => !/^\d+$/.test(d) || Number(d) !== v[i])) {
    throw new InputError("hashes beyond 2^53 must be written as plain integers, in one list per line", at);
  }
  const over = digits.find((d) => BigInt(d) >= 2n ** 64n);
  if (over !== undefined) throw new InputError(`must hold integers in [0, 2^64), found ${over}`, at);
  return digits.map((d, i) => Number.isSafeInteger(v[i]) ? v[i] : BigInt(d));
}

/**
 * The launch and join evidence of a `tool_end` / `tool_error` event, or undefined when it has none (no
 * `tool.claude`), has no `agent_context`, or ends before it starts (the reference drops those). A tool's span
 * does not change the replay's timing: a request waits the whole gap between its dependencies' ends and its
 * recorded start, tool time included.
 */
function parseToolLink(record: Record<string, unknown>, at: InputLocation): DynamoToolLink | undefined {
  if (record.tool === undefined || record.tool === null) return undefined;
  const agent = agentOf(record, at);
  const tool = objectField(record, "tool", at);
  const inTool = within(at, "tool");
  const callId = textField(tool, "tool_call_id", inTool, true)!;
  textField(tool, "tool_class", inTool, true);
  if (agent === undefined || tool.claude === undefined || tool.claude === null) return undefined;
  const endMs = optionalInteger(tool, "ended_at_unix_ms", 0, inTool, MAX_TIME_MS) ??
    (record.event_time_unix_ms as number);
  const durationMs = optionalTime(tool, "duration_ms", inTool);
  const startMs = optionalInteger(tool, "started_at_unix_ms", 0, inTool, MAX_TIME_MS) ??
    (durationMs === undefined ? endMs : endMs - Math.round(durationMs));
  if (endMs < startMs) return undefined;
  const claude = objectField(tool, "claude", inTool);
  const inClaude = within(inTool, "claude");
  const mode = textField(claude, "execution_mode", inClaude, true)!;
  if (!EXECUTION_MODES.includes(mode)) {
    throw new InputError(
      `must be one of ${EXECUTION_MODES.join(", ")}, got ${shown(mode)}`,
      within(inClaude, "execution_mode"),
    );
  }
  return {
    callId,
    at,
    session: agent.session,
    source: textField(claude, "source_request_id", inClaude, true)!,
    consumer: textField(claude, "consumer_request_id", inClaude, false),
    child: textField(claude, "child_session_id", inClaude, false),
    mode,
  };
}
