/**
 * Validation of one kv-cache-tester session line into calls and sub-agents (see `kv_cache_tester.ts`).
 *
 * @module
 */
import { InputError, type InputLocation, shown } from "../common/errors.ts";
import { optionalTime, requiredInteger, within } from "./row_fields.ts";
import { MAX_TIME_MS, MAX_TOKENS, maxTimeText } from "./types.ts";

/** One LLM call of a session, validated. */
export interface Call {
  /** Input (prompt) tokens. */
  readonly input: number;
  /** Output tokens as in the trace (may be 0). */
  readonly output: number;
  /** Hash ids of the full token blocks (the parsed array; the loader may append a tail id). */
  readonly hashIds: number[];
}

/** A call or a sub-agent in a session's list, with its timing resolved. */
export interface Step {
  /** The call (for a sub-agent, its first call). */
  readonly call: Call;
  /** Seconds from the session start at which the call was made in the trace (used for a chain's first call). */
  readonly offsetS: number;
  /** Client delay before the call after the previous call of its list completes, seconds. */
  readonly delayS: number;
  /** For a sub-agent: its steps (then `call` is its first call). */
  readonly subagent?: readonly Step[];
}

/** A validated session line. */
export interface Session {
  /** Tokens per hash id. */
  readonly blockSize: number;
  /** Hash ids are session-local (`hash_id_scope: "local"`, the default). */
  readonly localIds: boolean;
  /** The session's calls and sub-agents, in trace order. */
  readonly steps: readonly Step[];
}

const MAX_ID = 2 ** 52;

/**
 * Validate a parsed session line. `traceBlockSize` overrides the line's `block_size`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSession } from "./kv_cache_tester_rows.ts";
 * const s = parseSession({ block_size: 64, requests: [
 *   { t: 0, type: "n", in: 130, out: 5, hash_ids: [1, 2], think_time: 0 },
 *   { t: 9, type: "s", in: 200, out: 7, hash_ids: [1, 2, 3], think_time: 4, api_time: 5 },
 * ] }, undefined, { file: "t.jsonl", line: 1 });
 * assert(s.steps.length === 2 && s.steps[1].delayS === 4 && s.localIds);
 * ```
 */
export function parseSession(row: unknown, traceBlockSize: number | undefined, at: InputLocation): Session {
  if (row === null || typeof row !== "object" || Array.isArray(row)) {
    throw new InputError("each line must be a JSON object (one session)", at);
  }
  const o = row as Record<string, unknown>;
  let blockSize = traceBlockSize;
  if (blockSize === undefined) {
    const b = o.block_size;
    if (b === undefined) {
      throw new InputError("required (or set trace_block_size)", { ...at, field: "block_size" });
    }
    if (!Number.isInteger(b) || (b as number) < 1) {
      throw new InputError(`must be a positive integer, got ${shown(b)}`, {
        ...at,
        field: "block_size",
      });
    }
    blockSize = b as number;
  }
  const scope = o.hash_id_scope ?? "local";
  if (scope !== "local" && scope !== "global") {
    throw new InputError(`must be "local" or "global", got ${shown(scope)}`, {
      ...at,
      field: "hash_id_scope",
    });
  }
  const steps = parseSteps(o.requests, "requests", 0, blockSize, at);
  return { blockSize, localIds: scope === "local", steps };
}

function parseSteps(list: unknown, field: string, baseS: number, bs: number, at: InputLocation): Step[] {
  if (!Array.isArray(list)) throw new InputError("required, an array of calls", { ...at, field });
  const steps: Step[] = [];
  let prev: Record<string, unknown> | undefined;
  let prevIds: unknown[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const f = `${field}[${i}]`;
    const e = list[i];
    const inEntry = { ...at, field: f };
    if (e === null || typeof e !== "object" || Array.isArray(e)) {
      throw new InputError("must be an object (a call or a sub-agent)", inEntry);
    }
    const entry = e as Record<string, unknown>;
    const type = entry.type;
    const t = optionalTime(entry, "t", inEntry, "s") ?? 0;
    if ((baseS + t) * 1000 > MAX_TIME_MS) {
      throw new InputError(
        `puts the call ${baseS + t} s after its session's start (its sub-agents' offsets added), past the ` +
          `${maxTimeText("s")} a workload may span`,
        within(inEntry, "t"),
      );
    }
    if (type === "subagent") {
      const inner = parseSteps(entry.requests, `${f}.requests`, baseS + t, bs, at);
      if (inner.length > 0) steps.push({ ...inner[0], subagent: inner });
      continue;
    }
    if (type !== "n" && type !== "s") {
      throw new InputError(
        `must be "n", "s" or "subagent", got ${shown(type)}`,
        within(inEntry, "type"),
      );
    }
    const input = requiredInteger(entry, "in", 1, inEntry, MAX_TOKENS);
    const output = requiredInteger(entry, "out", 0, inEntry, MAX_TOKENS);
    const ids = entry.hash_ids;
    if (!Array.isArray(ids)) {
      throw new InputError("required, an array of block hash ids", within(inEntry, "hash_ids"));
    }
    // A call usually repeats the previous call's ids as a prefix; those were checked already.
    let from = 0;
    if (prevIds !== undefined) {
      while (from < ids.length && from < prevIds.length && ids[from] === prevIds[from]) {
        from++;
      }
    }
    for (let k = from; k < ids.length; k++) {
      const id = ids[k];
      if (!Number.isInteger(id) || id < 0 || id >= MAX_ID) {
        throw new InputError(
          `must hold integers in [0, 2^52), found ${JSON.stringify(id)}`,
          within(inEntry, "hash_ids"),
        );
      }
    }
    if (ids.length !== Math.floor(input / bs)) {
      throw new InputError(
        `has ${ids.length} ids but in = ${input} holds floor(${input} / ${bs}) = ${Math.floor(input / bs)} ` +
          `full ${bs}-token blocks`,
        within(inEntry, "hash_ids"),
      );
    }
    let delayS = optionalTime(entry, "think_time", inEntry, "s");
    if (delayS === undefined) {
      delayS = 0;
      if (prev !== undefined && typeof prev.t === "number" && typeof entry.t === "number") {
        const api = typeof prev.api_time === "number" ? prev.api_time : 0;
        delayS = Math.max(0, entry.t - prev.t - api);
      }
    }
    optionalTime(entry, "api_time", inEntry, "s");
    steps.push({ call: { input, output, hashIds: ids as number[] }, offsetS: baseS + t, delayS });
    prev = entry;
    prevIds = ids;
  }
  return steps;
}
