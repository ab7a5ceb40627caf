/**
 * The synthetic workload generator (`--input-tokens/--output-tokens/--request-count`), after the reference's
 * `Trace::synthetic` with the replay CLI's semantics.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { Rng } from "../common/rng.ts";
import { WorkloadBuilder } from "./builder.ts";
import { PromptContext, UniqueIds } from "./prompt_context.ts";
import type { SyntheticWorkloadSpec } from "./spec.ts";
import type { Workload } from "./types.ts";

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
 *   {@link InputError} names the flags.
 * - **Prompts.** A session's first prompt has `input_tokens` tokens in `num_blocks = ceil(isl / blockSize)`
 *   blocks, the first `round(num_blocks × shared_prefix_ratio)` of them shared with every session of the
 *   same prefix group (one uniform group in `[0, num_prefix_groups)` per session; 0 groups disables
 *   sharing), all others unique. With `turn_prompts: "cumulative"` (default) turn k + 1's prompt is turn k's
 *   prompt + its `output_tokens` + `input_tokens` new tokens, so it extends the previous prompt as a prefix
 *   (as a chat or agent client resends its context). With `"independent"` every turn is a fresh first
 *   prompt, as the reference generates.
 * - **Turns** after the first wait `inter_turn_delay_ms` after the previous turn completes.
 *
 * Arrivals and prefix groups draw from separate streams of `Rng(arrival_seed)`, so the same spec gives
 * identical arrays.
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
  const gap = arrivalGap(spec, options.closedLoop);
  const rng = new Rng(spec.arrival_seed);
  const arrivals = rng.fork(1), groups = rng.fork(2);
  const bs = options.blockSize;
  const builder = new WorkloadBuilder({ name: "synthetic", blockSize: bs });
  const unique = new UniqueIds();
  const sharing = spec.num_prefix_groups > 0 && spec.shared_prefix_ratio > 0;
  const isl = spec.input_tokens, osl = spec.output_tokens;
  const prefixTokens = Math.min(isl, Math.round(Math.ceil(isl / bs) * spec.shared_prefix_ratio) * bs);
  let t = 0;
  for (let s = 0; s < spec.request_count; s++) {
    if (s > 0) t += gap(arrivals);
    const group = sharing ? groups.int(spec.num_prefix_groups) : -1;
    let context: PromptContext | undefined;
    for (let turn = 0; turn < spec.turns_per_session; turn++) {
      if (context === undefined || spec.turn_prompts === "independent") {
        context = new PromptContext(bs, unique);
        if (group >= 0 && prefixTokens > 0) context.appendShared(prefixTokens, group);
        context.appendUnique(isl - (group >= 0 ? prefixTokens : 0));
      } else {
        context.appendUnique(osl + isl);
      }
      builder.add({
        session: s,
        arrivalMs: turn === 0 ? t : undefined,
        delayMs: turn === 0 ? undefined : spec.inter_turn_delay_ms,
        inputLength: context.length,
        outputLength: osl,
        tokenBlocks: context.blocks,
      });
    }
  }
  return builder.build({ speedup: options.speedup });
}

/** The inter-session gap sampler for the chosen arrival mode, after checking exactly one was chosen. */
function arrivalGap(spec: SyntheticWorkloadSpec, closedLoop: boolean): (rng: Rng) => number {
  const rate = spec.request_rate ?? undefined, interval = spec.arrival_interval_ms ?? undefined;
  const given = [
    rate !== undefined ? "--request-rate" : undefined,
    interval !== undefined ? "--arrival-interval-ms" : undefined,
    closedLoop ? "--replay-concurrency" : undefined,
  ].filter((f): f is string => f !== undefined);
  if (given.length > 1) {
    throw new InputError(
      `conflicts with ${given.slice(1).join(" and ")}: a synthetic workload takes exactly one of ` +
        "--request-rate, --arrival-interval-ms or --replay-concurrency",
      { field: given[0] },
    );
  }
  if (given.length === 0) {
    throw new InputError(
      "a synthetic workload needs exactly one of --request-rate (Poisson), --arrival-interval-ms (fixed gap) " +
        "or --replay-concurrency (closed loop)",
    );
  }
  if (rate !== undefined) {
    const mean = 1000 / rate;
    return (rng) => rng.exponential(mean);
  }
  if (interval !== undefined) return () => interval;
  return () => 0;
}
