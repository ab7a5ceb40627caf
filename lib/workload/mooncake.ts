/**
 * Mooncake JSONL traces (FAST'25 and compatible): one request per line with 512-token prefix-block hash ids,
 * and their session-delta variant (`mooncake-delta`).
 *
 * Fields and aliases follow the reference loader (`Trace::from_mooncake`): `timestamp` (alias `created_time`,
 * ms), `input_length` (alias `input_tokens`), `output_length` (alias `output_tokens`), `hash_ids`, and the
 * optional `session_id`, `delay` / `delay_ms`, and the router queue's `priority`, `strict_priority` and
 * `policy_class`. Unknown fields are ignored (traces carry extras).
 *
 * @module
 */
import { InputError, type InputLocation, shown } from "../common/errors.ts";
import { formatCount } from "../common/format.ts";
import { WorkloadBuilder } from "./builder.ts";
import type { RoutingFields } from "./request_row.ts";
import { parseObjectLine, readLines } from "./lines.ts";
import { aliased, optionalInteger, optionalTime } from "./row_fields.ts";
import { MAX_TOKENS, type Workload } from "./types.ts";

/** Options for {@link loadMooncake}. */
export interface MooncakeOptions {
  /** Engine block size to intern prompt blocks at. */
  readonly blockSize: number;
  /** Tokens per hash id (`--trace-block-size`, default 512). */
  readonly traceBlockSize?: number;
  /** Divides arrivals and delays. Default 1. */
  readonly speedup?: number;
  /** Require a timestamp on every session's first row (open-loop replay). Default true. */
  readonly requireTimestamps?: boolean;
  /**
   * `mooncake-delta`: a session's later rows carry only the new input. Each such turn's prompt is the previous
   * turn's prompt, its output, then the row's tokens. Default false: every row is a whole prompt.
   */
  readonly sessionDeltas?: boolean;
}

/**
 * Load a Mooncake JSONL trace into a {@link Workload}.
 *
 * `input_length` is clamped to `len(hash_ids) × traceBlockSize` (a missing one means that capacity). A bad
 * row throws an {@link InputError} naming the file, line and field.
 *
 * With `sessionDeltas`, a later turn's prompt is `previous prompt + previous output + this row's clamped
 * input_length` tokens, as the reference accumulates `mooncake-delta` sessions. Only the first turn's
 * hash ids can be shared with other sessions: everything a turn appends follows the session's own outputs,
 * so its blocks are the session's own (dynolab's engine does not cache generated tokens, difference 7).
 *
 * @example
 * ```ts ignore
 * import { loadMooncake } from "./mooncake.ts";
 * const w = await loadMooncake("conversation_trace.jsonl", { blockSize: 64 });
 * ```
 */
export async function loadMooncake(path: string, options: MooncakeOptions): Promise<Workload> {
  const traceBlockSize = options.traceBlockSize ?? 512;
  const requireTimestamps = options.requireTimestamps ?? true;
  const builder = new WorkloadBuilder({ name: path.split("/").pop() ?? path, blockSize: options.blockSize });
  const deltas = options.sessionDeltas ?? false;
  // Per session seen: its last turn's prompt and output lengths (what a delta row extends).
  const sessions = new Map<unknown, { prompt: number; output: number }>();
  // input_length tokens beyond what the row's hash ids cover, dropped as the reference clamps them.
  let clamped = 0;
  for await (const { text, number } of readLines(path)) {
    if (text.trim() === "") continue;
    const at: InputLocation = { file: path, line: number };
    const row = parseObjectLine(text, at);
    const hashIds = mooncakeHashIds(row, at);
    const capacity = hashIds.length * traceBlockSize;
    const inputField = aliased(row, "input_length", "input_tokens", at);
    const input = optionalInteger(row, inputField, 1, at, MAX_TOKENS);
    const outputField = aliased(row, "output_length", "output_tokens", at);
    const recorded = optionalInteger(row, outputField, 0, at, MAX_TOKENS);
    if (recorded === undefined) throw new InputError("required", { ...at, field: "output_length" });
    const output = Math.max(1, recorded); // as every format: a request generates at least its first token
    const tsField = aliased(row, "timestamp", "created_time", at);
    const timestamp = optionalTime(row, tsField, at);
    const delayField = aliased(row, "delay", "delay_ms", at);
    const delay = optionalTime(row, delayField, at);
    const session = mooncakeSessionId(row, at);
    const previous = session === undefined ? undefined : sessions.get(session);
    const firstTurn = previous === undefined;
    if (firstTurn && timestamp === undefined && requireTimestamps) {
      throw new InputError("required on the first turn of a session in trace replay", {
        ...at,
        field: "timestamp",
      });
    }
    const rowInput = Math.min(input ?? capacity, capacity);
    clamped += (input ?? capacity) - rowInput;
    const extend = deltas && previous !== undefined;
    const inputLength = extend ? previous.prompt + previous.output + rowInput : rowInput;
    if (inputLength > MAX_TOKENS) {
      // The row's own length is bounded: past the bound, its session grew it, or its hash ids imply it.
      const what = extend
        ? `extends its session's prompt to ${inputLength} tokens`
        : `${hashIds.length} ids × ${traceBlockSize} tokens (--trace-block-size) make a ${inputLength}-token prompt`;
      throw new InputError(`${what}, more than the ${MAX_TOKENS} a prompt may have`, {
        ...at,
        field: input === undefined ? "hash_ids" : inputField,
      });
    }
    builder.add({
      session,
      arrivalMs: timestamp,
      delayMs: delay,
      inputLength,
      outputLength: output,
      tokenBlocks: extend ? "extend" : { ids: hashIds, size: traceBlockSize },
      ...mooncakeRouting(row, at),
      ...(session === undefined ? { sessionName: `request_${number}` } : {}),
      at,
    });
    if (session !== undefined) sessions.set(session, { prompt: inputLength, output });
  }
  if (builder.count === 0) throw new InputError("the trace has no requests", { file: path });
  return builder.build({ speedup: options.speedup, clampedInputTokens: clamped });
}

/**
 * A Mooncake row's `hash_ids`: a non-empty array of non-negative integers, else an {@link InputError} at `at`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mooncakeHashIds } from "./mooncake.ts";
 * assert.deepEqual(mooncakeHashIds({ hash_ids: [3, 4] }, {}), [3, 4]);
 * assert.throws(() => mooncakeHashIds({ hash_ids: [] }, { line: 2 }), /hash_ids: required/);
 * ```
 */
export function mooncakeHashIds(row: Record<string, unknown>, at: InputLocation): number[] {
  const ids = row.hash_ids;
  if (!Array.isArray(ids) || ids.length === 0) {
    throw new InputError("required, a non-empty array of integer hash ids", { ...at, field: "hash_ids" });
  }
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0) {
      throw new InputError(`must hold non-negative integers, found ${shown(id)}`, {
        ...at,
        field: "hash_ids",
      });
    }
    // A JSON number above 2^53 is rounded as it is read: two such ids could merge into one block.
    if (!Number.isSafeInteger(id)) {
      throw new InputError(
        `holds ${id}, above 2^53 − 1, the largest id a JSON number holds exactly (ids past it can merge); ` +
          "renumber the trace's hash ids",
        { ...at, field: "hash_ids" },
      );
    }
  }
  return ids as number[];
}

/**
 * A Mooncake row's optional router-queue hints: `priority` (an i32: seconds of first-come credit in the KV
 * router's queue, negative counting as 0), `strict_priority` (a u32 tier) and `policy_class` (a class or
 * family of `--router-policy-config`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mooncakeRouting } from "./mooncake.ts";
 * assert.deepEqual(mooncakeRouting({ priority: -3, policy_class: "batch" }, {}), {
 *   priority: -3, strictPriority: undefined, policyClass: "batch",
 * });
 * const at = { file: "t.jsonl", line: 4 };
 * assert.throws(() => mooncakeRouting({ strict_priority: -1 }, at), /t\.jsonl:4: strict_priority: must be/);
 * ```
 */
export function mooncakeRouting(row: Record<string, unknown>, at: InputLocation): RoutingFields {
  const priority = optionalInteger(row, "priority", -(2 ** 31), at);
  if (priority !== undefined && priority >= 2 ** 31) {
    throw new InputError(`must fit a 32-bit signed integer, got ${priority}`, { ...at, field: "priority" });
  }
  const strictPriority = optionalInteger(row, "strict_priority", 0, at);
  if (strictPriority !== undefined && strictPriority >= 2 ** 32) {
    throw new InputError(`must fit a 32-bit unsigned integer, got ${strictPriority}`, {
      ...at,
      field: "strict_priority",
    });
  }
  const policyClass = row.policy_class ?? undefined;
  if (policyClass !== undefined && typeof policyClass !== "string") {
    throw new InputError(`must be a string, got ${shown(policyClass)}`, {
      ...at,
      field: "policy_class",
    });
  }
  return { priority, strictPriority, policyClass };
}

/** A Mooncake row's optional `session_id`: a string or a number, undefined when absent (or null). */
export function mooncakeSessionId(
  row: Record<string, unknown>,
  at: InputLocation,
): string | number | undefined {
  const s = row.session_id;
  if (s === undefined || s === null) return undefined;
  if (typeof s !== "string" && typeof s !== "number") {
    throw new InputError("must be a string or a number", { ...at, field: "session_id" });
  }
  return s;
}

/**
 * The warning for a trace whose rows' `input_length` exceed what their hash ids cover by more than 5 % of its
 * prompt tokens in all: they are dropped, as the reference clamps them, which usually means the trace block
 * size does not match the trace's (Mooncake traces: 512 tokens a hash id).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clampWarnings } from "./mooncake.ts";
 * assert.deepEqual(clampWarnings(10, 900), []);
 * assert.match(clampWarnings(900, 100)[0], /90\.0 %/);
 * ```
 *
 * @param clamped The workload's `clampedInputTokens`.
 * @param kept Its prompt tokens (`workloadStats(w).inputTokens`).
 */
export function clampWarnings(clamped: number, kept: number): string[] {
  if (clamped === 0) return [];
  const share = clamped / (clamped + kept);
  if (share <= 0.05) return [];
  return [
    `${formatCount(clamped)} of the trace's ${formatCount(clamped + kept)} prompt tokens (${
      (100 * share).toFixed(1)
    } %) lie beyond what their rows' hash ids cover and were dropped, as the reference clamps input_length; ` +
    "check the trace block size (--trace-block-size, 512 tokens a hash id by default)",
  ];
}
