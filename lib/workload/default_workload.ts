/**
 * The embedded default workload (`{source: "default"}`, `deno task demo`): agentic coding/tool sessions shaped
 * after public agent traces, generated from a seed with no data files.
 *
 * @module
 */
import { Rng } from "../common/rng.ts";
import { WorkloadBuilder } from "./builder.ts";
import { PromptContext, UniqueIds } from "./prompt_context.ts";
import type { DefaultWorkloadSpec } from "./spec.ts";
import type { Workload } from "./types.ts";

/** A log-normal distribution by its median and log-space σ, clamped to `[min, max]` and rounded. */
export interface LogNormal {
  /** Median (the scale, e^μ). */
  readonly median: number;
  /** Standard deviation of the logarithm. */
  readonly sigma: number;
  /** Smallest value returned. */
  readonly min: number;
  /** Largest value returned. */
  readonly max: number;
}

/** One kind of agent: its tool/system prompt (shared by all its sessions) and how often it is picked. */
export interface AgentKind {
  /** Label, for docs. */
  readonly name: string;
  /** Relative frequency among sessions. */
  readonly weight: number;
  /** Agent-specific system prompt and tool definitions, tokens (after the common preamble). */
  readonly toolTokens: number;
}

/** Every parameter of the default workload's shape. */
export interface DefaultWorkloadShape {
  /** Preamble every session starts with (model/system instructions), tokens. */
  readonly preambleTokens: number;
  /** Agent kinds, each with its own shared tool prompt. */
  readonly agents: readonly AgentKind[];
  /** Model calls per session. */
  readonly turns: LogNormal;
  /** The user's opening request, tokens. */
  readonly firstMessageTokens: LogNormal;
  /** Output per call, tokens. */
  readonly outputTokens: LogNormal;
  /** Probability that the next call follows a tool result (else a new user message). */
  readonly toolTurnShare: number;
  /** Tool result appended before the next call, tokens. */
  readonly toolResultTokens: LogNormal;
  /** New user message appended before the next call, tokens. */
  readonly userMessageTokens: LogNormal;
  /** Client delay after a call completes before a tool-result call, ms. */
  readonly toolThinkMs: LogNormal;
  /** Client delay before a new-user-message call, ms. */
  readonly userThinkMs: LogNormal;
  /** A session ends before its prompt would exceed this many tokens (the client stops or compacts). */
  readonly maxContextTokens: number;
}

/**
 * The default workload's shape. Figures it is modelled on (`shared/traces/README.md`, reference §2.1):
 * kv-cache-tester Claude Code sessions (system + tool prompt of ~17 k tokens, 69.5 calls per session with a
 * heavy tail, OSL p50 216 / mean 440, think time p50 10 s with most calls following a tool result, 85.6 %
 * `tool_use` stops, per-session token reuse ~96 %) and the Mooncake tool-agent trace (mean ISL 8.6 k, mean
 * OSL 182). Session lengths and contexts are scaled down so the demo stays small: ~7.5 calls per session,
 * contexts capped at 64 k tokens.
 */
export const DEFAULT_WORKLOAD_SHAPE: DefaultWorkloadShape = {
  preambleTokens: 1_536,
  agents: [
    { name: "coding", weight: 0.5, toolTokens: 14_000 },
    { name: "research", weight: 0.25, toolTokens: 6_000 },
    { name: "data", weight: 0.15, toolTokens: 3_500 },
    { name: "support", weight: 0.1, toolTokens: 1_500 },
  ],
  turns: { median: 5, sigma: 0.9, min: 1, max: 40 },
  firstMessageTokens: { median: 500, sigma: 1.0, min: 16, max: 16_384 },
  outputTokens: { median: 150, sigma: 1.1, min: 1, max: 8_192 },
  toolTurnShare: 0.85,
  toolResultTokens: { median: 600, sigma: 1.3, min: 1, max: 32_768 },
  userMessageTokens: { median: 200, sigma: 1.0, min: 4, max: 8_192 },
  toolThinkMs: { median: 2_000, sigma: 0.8, min: 50, max: 120_000 },
  userThinkMs: { median: 20_000, sigma: 0.9, min: 1_000, max: 600_000 },
  maxContextTokens: 65_536,
};

/** How the default workload will be replayed. */
export interface DefaultWorkloadOptions {
  /** Engine block size: the token-block size of generated prompts. */
  readonly blockSize: number;
  /** `--arrival-speedup-ratio`: divides session starts and think times. Default 1. */
  readonly speedup?: number;
}

/**
 * Generate the default workload: `sessions` agent sessions (default 300) with Poisson starts at
 * `session_rate` per second (default 0.25, so ~20 min of starts), all drawn from `Rng(seed)`.
 *
 * Each session picks an agent kind by weight; its prompt starts with the common preamble (shared by every
 * session) and the agent's tool prompt (shared by the sessions of that kind), then the user's first message.
 * Each call's output, then a tool result (85 %) or a new user message (15 %), is appended to form the next
 * call's prompt, which therefore extends the previous one; the next call waits the matching think time after
 * the previous completes. Lengths and times are log-normal (see {@link DEFAULT_WORKLOAD_SHAPE}). Every
 * session draws from its own stream, so sessions do not shift one another.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultWorkload } from "./default_workload.ts";
 * import { DefaultWorkloadSchema } from "./spec.ts";
 * const w = defaultWorkload(DefaultWorkloadSchema.parse({ source: "default", sessions: 20 }), { blockSize: 64 });
 * assert(w.sessionCount === 20 && w.requestCount > 20);
 * assert(w.blocks[0] === w.blocks[w.blockOffset[w.roots[1]]]); // the preamble is shared
 * ```
 */
export function defaultWorkload(
  spec: DefaultWorkloadSpec,
  options: DefaultWorkloadOptions,
  shape: DefaultWorkloadShape = DEFAULT_WORKLOAD_SHAPE,
): Workload {
  const rng = new Rng(spec.seed);
  const starts = rng.fork(1), sessions = rng.fork(2);
  const bs = options.blockSize;
  const builder = new WorkloadBuilder({ name: "default", blockSize: bs });
  const unique = new UniqueIds();
  const totalWeight = shape.agents.reduce((sum, a) => sum + a.weight, 0);
  const meanGapMs = 1000 / spec.session_rate;
  let t = 0;
  for (let s = 0; s < spec.sessions; s++) {
    if (s > 0) t += starts.exponential(meanGapMs);
    const r = sessions.fork(s);
    const agent = pickAgent(shape.agents, r.next() * totalWeight);
    const context = new PromptContext(bs, unique);
    context.appendShared(shape.preambleTokens, 0);
    context.appendShared(shape.agents[agent].toolTokens, agent + 1);
    context.appendUnique(draw(r, shape.firstMessageTokens));
    const turns = draw(r, shape.turns);
    let delayMs = 0;
    for (let turn = 0; turn < turns; turn++) {
      const output = draw(r, shape.outputTokens);
      builder.add({
        session: `session_${s}`,
        arrivalMs: turn === 0 ? t : undefined,
        delayMs: turn === 0 ? undefined : delayMs,
        inputLength: context.length,
        outputLength: output,
        tokenBlocks: context.blocks,
      });
      const toolTurn = r.next() < shape.toolTurnShare;
      const added = output + draw(r, toolTurn ? shape.toolResultTokens : shape.userMessageTokens);
      delayMs = draw(r, toolTurn ? shape.toolThinkMs : shape.userThinkMs);
      if (context.length + added > shape.maxContextTokens) break;
      context.appendUnique(added);
    }
  }
  return builder.build({ speedup: options.speedup });
}

function pickAgent(agents: readonly AgentKind[], x: number): number {
  for (let i = 0; i < agents.length - 1; i++) {
    x -= agents[i].weight;
    if (x < 0) return i;
  }
  return agents.length - 1;
}

function draw(rng: Rng, d: LogNormal): number {
  const v = Math.round(d.median * Math.exp(d.sigma * rng.normal()));
  return Math.min(d.max, Math.max(d.min, v));
}
