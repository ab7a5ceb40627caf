/**
 * The synthetic workload generator (`--input-tokens/--output-tokens/--request-count`), after the reference's
 * `Trace::synthetic` with the replay CLI's semantics.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { formatCount } from "../common/format.ts";
import { Rng } from "../common/rng.ts";
import { arrivalModeProblem, arrivalModes } from "./arrival_mode.ts";
import { WorkloadBuilder } from "./builder.ts";
import { MAX_CONTEXT_BLOCKS, PromptContext, sharedPrefixBlocks, UniqueIds } from "./prompt_context.ts";
import type { SyntheticWorkloadSpec } from "./spec.ts";
import {
  MAX_PROMPT_BLOCKS,
  MAX_REQUESTS,
  MAX_TIME_MS,
  MAX_TOKENS,
  maxTimeText,
  type Workload,
} from "./types.ts";

/** How the generated workload will be replayed. */
export interface SyntheticOptions {
  /** Engine block size: the token-block size of generated prompts. */
  readonly blockSize: number;
  /** `--arrival-speedup-ratio`: divides arrivals and inter-turn delays. Default 1. */
  readonly speedup?: number;
  /** Closed-loop replay (`--replay-concurrency` set): then neither rate nor interval may be given. */
  readonly closedLoop: boolean;
}

/**
 * Generate `request_count` sessions of `turns_per_session` turns.
 *
 * - **Arrivals.** Session 0 starts at t = 0; each later session adds a gap: exponential with mean
 *   `1000 / request_rate` ms (drawn as −mean·ln(u)), or exactly `arrival_interval_ms`, or 0 in closed-loop
 *   replay, where arrivals do not matter. Exactly one of the three must be chosen, else an
 *   {@link InputError} says so (`arrivalModeProblem`).
 * - **Prompts.** A session's first prompt has `input_tokens` tokens in `num_blocks = ceil(isl / blockSize)`
 *   blocks, the first `round(num_blocks × shared_prefix_ratio)` of them shared with every session of the
 *   same prefix group (one uniform group in `[0, num_prefix_groups)` per session; 0 groups disables
 *   sharing), all others unique. With `turn_prompts: "cumulative"` (default) turn k + 1's prompt is turn k's
 *   prompt + its `output_tokens` + `input_tokens` new tokens, so it extends the previous prompt as a prefix
 *   (as a chat or agent client resends its context). With `"independent"` every turn is a fresh first
 *   prompt, as the reference generates.
 * - **Lengths.** Each turn draws its `input_tokens` and `output_tokens` anew when a spread is given: normal
 *   with `input_tokens_stddev` / `output_tokens_stddev` (rounded, floored at 1), or uniform in
 *   `[floor(len × length_range_ratio), len]`; the shared prefix is then `round(ceil(isl / blockSize) ×
 *   shared_prefix_ratio)` blocks of the drawn prompt.
 * - **Dataset.** With `dataset_entries` = N > 0 the sessions' first prompts come from N distinct prompts, a
 *   fresh random permutation of them per N sessions (AIPerf's `shuffle` sampling): an entry's first use draws
 *   its prompt and output length as above, and every later use repeats both.
 * - **Turns** after the first wait `inter_turn_delay_ms` after the previous turn completes.
 *
 * Arrivals, prefix groups, input and output lengths and the dataset order draw from separate streams of `Rng(arrival_seed)`, so the
 * same spec gives identical arrays, and a spread on one never shifts the others.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSynthetic } from "./synthetic.ts";
 * import { SyntheticWorkloadSchema } from "./spec.ts";
 * const spec = SyntheticWorkloadSchema.parse({
 *   source: "synthetic", input_tokens: 256, output_tokens: 16, request_count: 10, request_rate: 2,
 *   turns_per_session: 3, inter_turn_delay_ms: 500,
 * });
 * const w = generateSynthetic(spec, { blockSize: 64, closedLoop: false });
 * assert(w.requestCount === 30 && w.sessionCount === 10);
 * assert(w.inputLength[1] === 256 + 16 + 256); // the second turn extends the first
 * ```
 */
export function generateSynthetic(spec: SyntheticWorkloadSpec, options: SyntheticOptions): Workload {
  checkSize(spec, options.blockSize);
  const gap = arrivalGap(spec, options.closedLoop);
  const rng = new Rng(spec.arrival_seed);
  const arrivals = rng.fork(1), groups = rng.fork(2);
  const bs = options.blockSize;
  const builder = new WorkloadBuilder({ name: "synthetic", blockSize: bs });
  const unique = new UniqueIds();
  const sharing = spec.num_prefix_groups > 0 && spec.shared_prefix_ratio > 0;
  const inputLength = lengthSampler(spec.input_tokens, spec.input_tokens_stddev, spec.length_range_ratio);
  const outputLength = lengthSampler(spec.output_tokens, spec.output_tokens_stddev, spec.length_range_ratio);
  const inputs = rng.fork(3), outputs = rng.fork(4);
  const dataset = spec.dataset_entries > 0 ? new Dataset(spec.dataset_entries, rng.fork(5)) : undefined;
  // Without prefix groups or a dataset every prompt is new content (a later turn: its session's previous prompt,
  // then new content), so the builder hands out fresh ids instead of interning every block's chain hash.
  const plain = !sharing && dataset === undefined;
  let t = 0;
  for (let s = 0; s < spec.request_count; s++) {
    if (s > 0) t += gap(arrivals);
    if (t > MAX_TIME_MS) throw spanError(spec, s);
    const group = sharing ? groups.int(spec.num_prefix_groups) : -1;
    const entry = dataset?.next() ?? -1;
    let context: PromptContext | undefined;
    let osl = 0;
    for (let turn = 0; turn < spec.turns_per_session; turn++) {
      const isl = inputLength(inputs);
      const drawnOsl = outputLength(outputs);
      const grown = spec.turn_prompts === "cumulative" && context !== undefined ? context.length + osl : 0;
      if (grown + isl > MAX_TOKENS || drawnOsl > MAX_TOKENS) tooLong(spec, grown + isl, drawnOsl);
      const stored = turn === 0 && entry >= 0 ? dataset!.prompts[entry] : undefined;
      if (stored) {
        context = stored.context.clone();
        osl = stored.osl;
      } else if (context === undefined || spec.turn_prompts === "independent") {
        context = new PromptContext(bs, unique);
        const prefix = group >= 0 ? sharedPrefixTokens(isl, bs, spec.shared_prefix_ratio) : 0;
        if (prefix > MAX_CONTEXT_BLOCKS * bs) tooLongPrefix(spec, prefix, bs);
        if (prefix > 0) context.appendShared(prefix, group);
        context.appendUnique(isl - prefix);
        osl = drawnOsl;
        if (turn === 0 && entry >= 0) dataset!.prompts[entry] = { context: context.clone(), osl };
      } else {
        context.appendUnique(osl + isl);
        osl = drawnOsl;
      }
      builder.add({
        session: `session_${s}`,
        arrivalMs: turn === 0 ? t : undefined,
        delayMs: turn === 0 ? undefined : spec.inter_turn_delay_ms,
        inputLength: context.length,
        outputLength: osl,
        tokenBlocks: !plain
          ? context.blocks
          : turn > 0 && spec.turn_prompts === "cumulative"
          ? "extend"
          : "unique",
      });
    }
  }
  return builder.build({ speedup: options.speedup });
}

/**
 * A client's fixed dataset of first-turn prompts, sampled as AIPerf's `shuffle`: every pass over the entries
 * is a fresh random permutation. Each entry keeps the prompt (and output length) its first use drew.
 */
class Dataset {
  readonly prompts: ({ readonly context: PromptContext; readonly osl: number } | undefined)[];
  readonly #order: Int32Array;
  readonly #rng: Rng;
  #at: number;

  constructor(entries: number, rng: Rng) {
    this.prompts = new Array(entries);
    this.#order = Int32Array.from({ length: entries }, (_, i) => i);
    this.#rng = rng;
    this.#at = entries;
  }

  /** The entry the next session takes. */
  next(): number {
    const order = this.#order;
    if (this.#at === order.length) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = this.#rng.int(i + 1);
        [order[i], order[j]] = [order[j], order[i]];
      }
      this.#at = 0;
    }
    return order[this.#at++];
  }
}

/** Shared-prefix tokens of a prompt of `isl` tokens: {@link sharedPrefixBlocks} whole blocks, at most `isl`. */
function sharedPrefixTokens(isl: number, bs: number, ratio: number): number {
  return Math.min(isl, sharedPrefixBlocks(isl, bs, ratio) * bs);
}

/**
 * A length sampler: exactly `mean` when there is no spread; a normal draw (rounded, floored at 1) with
 * `stddev`; or a uniform integer in `[max(1, floor(mean × ratio)), mean]` with a range ratio below 1.
 */
function lengthSampler(mean: number, stddev: number, ratio: number): (rng: Rng) => number {
  if (stddev > 0) return (rng) => Math.max(1, Math.round(mean + stddev * rng.normal()));
  if (ratio < 1) {
    const low = Math.max(1, Math.floor(mean * ratio));
    return (rng) => low + rng.int(mean - low + 1);
  }
  return () => mean;
}

/** The inter-session gap sampler for the chosen arrival mode, after checking exactly one was chosen. */
function arrivalGap(spec: SyntheticWorkloadSpec, closedLoop: boolean): (rng: Rng) => number {
  const problem = arrivalModeProblem(arrivalModes(spec, closedLoop));
  if (problem) throw new InputError(problem, { field: "workload" });
  const rate = spec.request_rate ?? undefined, interval = spec.arrival_interval_ms ?? undefined;
  if (rate !== undefined) {
    const mean = 1000 / rate;
    return (rng) => rng.exponential(mean);
  }
  if (interval !== undefined) return () => interval;
  return () => 0;
}

/** The error for arrivals whose span passed {@link MAX_TIME_MS} at session `s`, naming the setting that paces them. */
function spanError(spec: SyntheticWorkloadSpec, s: number): InputError {
  const field = spec.request_rate != null ? "request_rate" : "arrival_interval_ms";
  return new InputError(
    `${formatCount(s + 1)} sessions at this pace arrive over more than ${maxTimeText()}, the longest a ` +
      `workload may span; ${field === "request_rate" ? "raise" : "lower"} it or give fewer requests`,
    { field: `workload.${field}` },
  );
}

/**
 * Reject, before generating anything, a workload beyond what a simulation holds: more than {@link MAX_REQUESTS}
 * requests, or prompts spanning more than {@link MAX_PROMPT_BLOCKS} blocks at the mean lengths (cumulative
 * turns grow by a prompt and an answer each, so a session's blocks grow with the square of its turns).
 */
function checkSize(spec: SyntheticWorkloadSpec, blockSize: number): void {
  const turns = spec.turns_per_session, requests = spec.request_count * turns;
  if (requests > MAX_REQUESTS) {
    throw new InputError(
      `${formatCount(spec.request_count)} sessions × ${formatCount(turns)} turns = ${
        formatCount(requests)
      } requests, more than a ` +
        `workload holds (${formatCount(MAX_REQUESTS)})`,
      { field: "workload.request_count" },
    );
  }
  // A normal draw far wider than its mean averages about 0.4 σ once floored at 1 token.
  const isl = Math.max(spec.input_tokens, 0.4 * spec.input_tokens_stddev);
  const step = isl + Math.max(spec.output_tokens, 0.4 * spec.output_tokens_stddev);
  const perSession = spec.turn_prompts === "cumulative"
    ? turns * isl + step * turns * (turns - 1) / 2
    : turns * isl;
  const blocks = spec.request_count * perSession / blockSize;
  if (blocks > MAX_PROMPT_BLOCKS) {
    throw new InputError(
      `the prompts would span about ${
        formatCount(blocks)
      } blocks of ${blockSize} tokens, more than a workload holds ` +
        `(${formatCount(MAX_PROMPT_BLOCKS)}); fewer sessions, turns or tokens`,
      {
        field: turns > 1 && spec.turn_prompts === "cumulative"
          ? "workload.turns_per_session"
          : isl > spec.input_tokens
          ? "workload.input_tokens_stddev"
          : "workload.input_tokens",
      },
    );
  }
}

/** A shared prefix of `prefix` tokens, more blocks than a prefix group can name, as an error. */
function tooLongPrefix(spec: SyntheticWorkloadSpec, prefix: number, bs: number): never {
  throw new InputError(
    `a shared prefix of ${formatCount(prefix)} tokens is more than ${
      formatCount(MAX_CONTEXT_BLOCKS)
    } blocks of ` +
      `${bs} tokens, what a prefix group holds; lower shared_prefix_ratio or the prompt length`,
    { field: spec.input_tokens_stddev > 0 ? "workload.input_tokens_stddev" : "workload.input_tokens" },
  );
}

/** A drawn prompt (a turn's, with its session's earlier turns) or output past {@link MAX_TOKENS}, as an error. */
function tooLong(spec: SyntheticWorkloadSpec, prompt: number, output: number): never {
  const [what, tokens, stddev] = prompt > MAX_TOKENS
    ? ["prompt", prompt, spec.input_tokens_stddev]
    : ["output", output, spec.output_tokens_stddev];
  const field = stddev > 0
    ? `workload.${what === "prompt" ? "input" : "output"}_tokens_stddev`
    : "workload.turns_per_session";
  throw new InputError(
    `a drawn ${what} of ${formatCount(tokens)} tokens is longer than a request may be ` +
      `(${formatCount(MAX_TOKENS)})`,
    { field },
  );
}
