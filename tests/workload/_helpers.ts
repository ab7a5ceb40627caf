/**
 * Helpers for workload tests: temporary trace files and assertions on located input errors.
 *
 * @module
 */
import assert from "node:assert/strict";
import { InputError, type InputLocation } from "../../lib/common/errors.ts";
import type { Workload } from "../../lib/workload/types.ts";
import { tempDir } from "../_temp.ts";

/** Gzip `text` in memory. */
export async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Run `fn` with `content` written to `name` in a fresh temporary directory (removed afterwards).
 * Text content is written as is; `name` ending in `.gz` with text content is gzipped first.
 */
export async function withFile<T>(
  name: string,
  content: string | Uint8Array,
  fn: (path: string) => Promise<T>,
): Promise<T> {
  await using dir = await tempDir();
  const path = `${dir.path}/${name}`;
  const bytes = typeof content === "string"
    ? (name.endsWith(".gz") ? await gzip(content) : new TextEncoder().encode(content))
    : content;
  await Deno.writeFile(path, bytes);
  return await fn(path);
}

/** JSON Lines text of `rows`. */
export function jsonl(rows: readonly unknown[]): string {
  return rows.map((r) => typeof r === "string" ? r : JSON.stringify(r)).join("\n") + "\n";
}

/** What a located error must say. `file: true` means "the file the test wrote". */
export interface Expected {
  readonly line?: number;
  readonly field?: string;
  /** Substrings the message must contain. */
  readonly includes?: readonly string[];
}

/**
 * Assert that `run` rejects with an {@link InputError} located at `file` (when given) and `expected`, whose
 * message names the file, line and field.
 */
export async function rejectsAt(
  run: () => Promise<unknown>,
  file: string | undefined,
  expected: Expected,
): Promise<InputError> {
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof InputError, `expected an InputError, got ${error}`);
  const at: InputLocation = error.location;
  if (file !== undefined) {
    assert.equal(at.file, file);
    assert.ok(error.message.startsWith(file), error.message);
  }
  if (expected.line !== undefined) {
    assert.equal(at.line, expected.line, error.message);
    assert.ok(error.message.includes(`:${expected.line}: `), error.message);
  }
  if (expected.field !== undefined) {
    assert.equal(at.field, expected.field, error.message);
    assert.ok(error.message.includes(`${expected.field}: `), error.message);
  }
  for (const part of expected.includes ?? []) assert.ok(error.message.includes(part), error.message);
  return error;
}

/** Synchronous variant of {@link rejectsAt}. */
export function throwsAt(run: () => unknown, expected: Expected): InputError {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof InputError, `expected an InputError, got ${error}`);
  if (expected.field !== undefined) assert.equal(error.location.field, expected.field, error.message);
  for (const part of expected.includes ?? []) assert.ok(error.message.includes(part), error.message);
  return error;
}

/** Request r's full prompt block ids. */
export function blocksOf(w: Workload, r: number): number[] {
  return Array.from(w.blocks.subarray(w.blockOffset[r], w.blockOffset[r + 1]));
}

/** Length of the common leading run of two requests' blocks. */
export function commonPrefix(w: Workload, a: number, b: number): number {
  const x = blocksOf(w, a), y = blocksOf(w, b);
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return n;
}

/** Every typed array of a workload, for determinism checks. */
export function arraysOf(w: Workload): Record<string, ArrayLike<number>> {
  return {
    inputLength: w.inputLength,
    outputLength: w.outputLength,
    arrivalMs: w.arrivalMs,
    sessionOf: w.sessionOf,
    waitCount: w.waitCount,
    succOffset: w.succOffset,
    succ: w.succ,
    succDelayMs: w.succDelayMs,
    succOnDispatch: w.succOnDispatch,
    roots: w.roots,
    turnIndex: w.turnIndex,
    blockOffset: w.blockOffset,
    blocks: w.blocks,
  };
}

/** Requests of session s in turn order. */
export function turnsOf(w: Workload, s: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < w.requestCount; r++) if (w.sessionOf[r] === s) out.push(r);
  return out;
}

/** Each request's delay after the edge it waits on (a session turn's think time), 0 for roots. */
export function delaysOf(w: Workload): number[] {
  const out = new Array<number>(w.requestCount).fill(0);
  for (let e = 0; e < w.succ.length; e++) out[w.succ[e]] = Math.max(out[w.succ[e]], w.succDelayMs[e]);
  return out;
}

/** Each request's one successor (its session's next turn), or −1; throws where a request releases several. */
export function nextTurns(w: Workload): number[] {
  return Array.from({ length: w.requestCount }, (_, r) => {
    const n = w.succOffset[r + 1] - w.succOffset[r];
    if (n > 1) throw new Error(`request ${r} releases ${n} requests`);
    return n === 0 ? -1 : w.succ[w.succOffset[r]];
  });
}

/** A kv-cache-tester LLM call at `t` s of `blocks` full 64-token blocks (+ `extra` tokens), hash ids 1..blocks. */
export function kvCall(t: number, blocks: number, extra = 10, fields: Record<string, unknown> = {}) {
  return {
    t,
    type: "n",
    model: "m",
    in: blocks * 64 + extra,
    out: 20,
    hash_ids: Array.from({ length: blocks }, (_, i) => i + 1),
    input_types: ["text"],
    output_types: ["text"],
    stop: "tool_use",
    think_time: t === 0 ? 0 : 3,
    api_time: 2,
    ...fields,
  };
}

/** A kv-cache-tester session line of `requests`. */
export function kvSession(id: string, requests: unknown[], extra: Record<string, unknown> = {}) {
  return {
    id,
    models: ["m"],
    block_size: 64,
    hash_id_scope: "local",
    tool_tokens: 0,
    system_tokens: 0,
    requests,
    ...extra,
  };
}

/** An applied_compute_agentic line: a prompt of `input` tokens and `turns` tool-calling turns. */
export const appliedSession = (input: number, turns = 2) => ({
  num_turns: turns,
  input_prompt_length: input,
  assistant_response_length: Array.from({ length: turns }, (_, i) => 100 * (i + 1)),
  tool_call_output_length: Array.from({ length: turns }, () => 700),
  tool_call_latency: Array.from({ length: turns }, (_, i) => 0.5 * (i + 1)),
  final_assistant_response_length: 42,
});

/** An agentic_mooncake v1 row of two 512-token hash blocks. */
export const agenticRow = (id: string, extra: object = {}) => ({
  request_id: id,
  input_length: 1000,
  output_length: 10,
  hash_ids: [1, 2],
  ...extra,
});

/** An agentic_mooncake v2 row of `input` tokens at block size 64. */
export const agenticNode = (id: string, notBefore: number, dependencies: object[] = [], input = 100) => ({
  request_id: id,
  play_id: "p",
  session_id: "s",
  input_length: input,
  output_length: 5,
  hash_ids: Array.from({ length: Math.ceil(input / 64) }, (_, k) => k + 1),
  not_before_ms: notBefore,
  dependencies,
});

/** An agentic_mooncake version 2 header: 64-token blocks, session-local hash ids. */
export const AGENTIC_V2_HEADER = {
  schema: "dynamo.agentic_mooncake",
  version: 2,
  block_size: 64,
  hash_id_scope: "local",
};

/**
 * An agentic_mooncake v2 graph of every edge kind: a root (130 tokens, not before 1 s), a request it spawns
 * on dispatch (+5 ms), one that follows its completion (+1 ms, not before 9 s) and a join of both (+2 ms, +0).
 */
export const agenticV2Graph = () => [
  agenticNode("root", 1000, [], 130),
  agenticNode("spawned", 1000, [{ request_id: "root", trigger: "dispatch", delay_ms: 5, relation: "spawn" }]),
  agenticNode("next", 9000, [{
    request_id: "root",
    trigger: "completion",
    delay_ms: 1,
    relation: "sequence",
  }]),
  agenticNode("join", 0, [
    { request_id: "spawned", trigger: "completion", delay_ms: 2, relation: "join" },
    { request_id: "next", trigger: "completion", delay_ms: 0, relation: "join" },
  ]),
];
