/**
 * Applied Compute agentic traces: JSON Lines, one agent session per line, given as lengths only:
 * `{num_turns, input_prompt_length, assistant_response_length[], tool_call_output_length[],
 * tool_call_latency[] (s), final_assistant_response_length}`. Read as the reference's
 * `Trace::from_applied_compute_agentic`.
 *
 * @module
 */
import { InputError, type InputLocation, shown } from "../common/errors.ts";
import { WorkloadBuilder } from "./builder.ts";
import { parseObjectLine, readLines } from "./lines.ts";
import { requiredInteger } from "./row_fields.ts";
import { MAX_CONTEXT_BLOCKS, sharedBlockId, sharedPrefixBlocks, UniqueIds } from "./prompt_context.ts";
import { MAX_TIME_MS, MAX_TOKENS, type Workload } from "./types.ts";

/** Options for {@link loadAppliedComputeAgentic}. */
export interface AppliedComputeAgenticOptions {
  /** Engine block size to intern prompt blocks at. */
  readonly blockSize: number;
  /** Tokens per hash-id block (`--trace-block-size`). Default 512. */
  readonly traceBlockSize?: number;
  /** Divides the tool latencies (`--arrival-speedup-ratio`). Default 1. */
  readonly speedup?: number;
  /** Share of each first prompt's blocks common to its prefix group (`--trace-shared-prefix-ratio`). Default 0. */
  readonly sharedPrefixRatio?: number;
  /** Prefix groups (`--trace-num-prefix-groups`); line n joins group `(n − 1) mod groups`. Default 0: none. */
  readonly numPrefixGroups?: number;
}

const LENGTH_ARRAYS = ["assistant_response_length", "tool_call_output_length", "tool_call_latency"] as const;

/**
 * Load an Applied Compute agentic trace into a {@link Workload}. Line n becomes the closed-loop session
 * `applied_compute_agentic_session_n` of `num_turns + 1` requests:
 *
 * - request 0 sends the `input_prompt_length`-token prompt and generates `assistant_response_length[0]`
 *   tokens; request i + 1 resends the previous prompt grown by `assistant_response_length[i] +
 *   tool_call_output_length[i]` tokens, `tool_call_latency[i]` seconds after request i completes; the last
 *   one generates `final_assistant_response_length` tokens;
 * - the prompt is described in hash-id blocks of `traceBlockSize` tokens, extended as it grows, so each
 *   request reuses its predecessor's whole prompt. The first `round(ceil(input_prompt_length / traceBlockSize)
 *   × sharedPrefixRatio)` blocks are common to the line's prefix group; all other blocks are the session's own.
 *   (The reference folds its block ids to 32 bits, which makes the blocks of different prefix groups equal;
 *   here groups stay distinct, as the option intends.)
 * - the lines carry no arrival times, so the trace replays in closed loop (`--replay-concurrency`).
 * - an output length of 0 is replayed as 1 token (every request generates at least one).
 *
 * A bad line throws an {@link InputError} naming the file, line and field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadAppliedComputeAgentic } from "./applied_compute_agentic.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await Deno.writeTextFile(path, JSON.stringify({
 *   num_turns: 1, input_prompt_length: 1000, assistant_response_length: [50], tool_call_output_length: [200],
 *   tool_call_latency: [1.5], final_assistant_response_length: 80,
 * }) + "\n");
 * const w = await loadAppliedComputeAgentic(path, { blockSize: 64 });
 * assert.deepEqual([...w.inputLength], [1000, 1250]);
 * assert.deepEqual([...w.succDelayMs], [1500]);
 * assert.equal(w.blocks[14], w.blocks[15 + 14]); // the second request reuses the first prompt's blocks
 * await Deno.remove(path);
 * ```
 */
export async function loadAppliedComputeAgentic(
  path: string,
  options: AppliedComputeAgenticOptions,
): Promise<Workload> {
  const traceBlockSize = options.traceBlockSize ?? 512;
  const ratio = options.sharedPrefixRatio ?? 0;
  const groups = ratio > 0 ? options.numPrefixGroups ?? 0 : 0;
  const builder = new WorkloadBuilder({ name: path.split("/").pop() ?? path, blockSize: options.blockSize });
  const unique = new UniqueIds();
  for await (const { text, number } of readLines(path)) {
    if (text.trim() === "") continue;
    const at: InputLocation = { file: path, line: number };
    const row = parseRow(text, at);
    const session = `applied_compute_agentic_session_${number}`;
    const group = groups > 0 ? (number - 1) % groups : -1;
    const sharedBlocks = group < 0 ? 0 : sharedPrefixBlocks(row.input, traceBlockSize, ratio);
    const ids: number[] = [];
    /** Name the token blocks of a prompt grown to `tokens` by `field`'s value. */
    const grow = (tokens: number, field: string) => {
      const need = Math.ceil(tokens / traceBlockSize);
      if (tokens > MAX_TOKENS || need > MAX_CONTEXT_BLOCKS) {
        throw new InputError(
          `grows the prompt to ${tokens} tokens (${need} token blocks of ${traceBlockSize}), past what a ` +
            `request may hold (${MAX_TOKENS} tokens, ${MAX_CONTEXT_BLOCKS} token blocks)`,
          { ...at, field },
        );
      }
      for (let k = ids.length; k < need; k++) {
        ids.push(k < sharedBlocks ? sharedBlockId(group, k) : unique.take());
      }
    };
    let input = row.input;
    grow(input, "input_prompt_length");
    for (let turn = 0; turn <= row.turns; turn++) {
      const last = turn === row.turns;
      builder.add({
        session,
        delayMs: turn === 0 ? undefined : row.latencyS[turn - 1] * 1000,
        inputLength: input,
        outputLength: Math.max(1, last ? row.finalOutput : row.assistant[turn]),
        tokenBlocks: { ids, size: traceBlockSize },
        at,
      });
      if (last) break;
      input += row.assistant[turn] + row.tool[turn];
      grow(input, `tool_call_output_length[${turn}]`);
    }
  }
  if (builder.count === 0) throw new InputError("the trace has no sessions", { file: path });
  return builder.build({ speedup: options.speedup });
}

interface Row {
  readonly turns: number;
  readonly input: number;
  readonly assistant: readonly number[];
  readonly tool: readonly number[];
  readonly latencyS: readonly number[];
  readonly finalOutput: number;
}

function parseRow(text: string, at: InputLocation): Row {
  const row = parseObjectLine(text, at);
  const turns = requiredInteger(row, "num_turns", 0, at);
  const input = requiredInteger(row, "input_prompt_length", 1, at);
  const finalOutput = requiredInteger(row, "final_assistant_response_length", 0, at);
  if (finalOutput > MAX_TOKENS) {
    throw new InputError(`must be at most ${MAX_TOKENS} tokens, got ${finalOutput}`, {
      ...at,
      field: "final_assistant_response_length",
    });
  }
  const [assistant, tool, latencyS] = LENGTH_ARRAYS.map((field) => {
    const values = row[field];
    if (!Array.isArray(values)) throw new InputError("required, an array", { ...at, field });
    if (values.length !== turns) {
      throw new InputError(`has ${values.length} entries but num_turns is ${turns}`, { ...at, field });
    }
    values.forEach((v, i) => {
      const ok = field === "tool_call_latency"
        ? typeof v === "number" && v >= 0 && v * 1000 <= MAX_TIME_MS
        : Number.isInteger(v) && v >= 0 && v <= MAX_TOKENS;
      if (!ok) {
        const want = field === "tool_call_latency"
          ? `a number of seconds from 0 to ${MAX_TIME_MS / 1000}`
          : `an integer from 0 to ${MAX_TOKENS}`;
        throw new InputError(`must be ${want}, got ${shown(v)}`, { ...at, field: `${field}[${i}]` });
      }
    });
    return values as number[];
  });
  return { turns, input, assistant, tool, latencyS, finalOutput };
}
