/**
 * The serving front end's latency: what a request spends between the client and the router (HTTP, prompt
 * processing and tokenization in the API server, and waiting behind the streaming work of the requests
 * already in flight). It costs no GPU time and adds to TTFT and end-to-end latency but not to TPOT.
 *
 * The vLLM presets are fitted on the silicon corpus's rows measured through vLLM's API server
 * (`tests/bench/fit_frontend.ts`): with GPU passes priced by the analytic model, measured TTFT exceeds the
 * simulated one by about 7.5 ms per request, 10 ms per 1k prompt tokens and 0.75 ms per request in flight on
 * the server, while TPOT already agrees (so the missing time is not GPU time). AI Configurator adds a
 * comparable TTFT-only term for vLLM (0.8 ms × layers). A model whose tokenizer is not a Hugging Face
 * `tokenizers` one (Kimi's tiktoken tokenizer) costs the server more per request and per stream: vLLM then
 * tokenizes and detokenizes every streamed token in Python (its slow incremental detokenizer), so it has its
 * own preset. Off unless asked for (`frontend_latency: true`): the reference does not model it, and Dynamo's
 * own front end is not vLLM's.
 *
 * @module
 */
import type { Backend } from "./setup.ts";

/**
 * How the serving front end tokenizes a model's prompts and detokenizes its output: `"fast"` with the Hugging
 * Face `tokenizers` library (the checkpoint ships a `tokenizer.json`; nearly every model), `"slow"` in Python
 * (a custom tokenizer class without one, such as Kimi-K2's tiktoken tokenizer).
 */
export type TokenizerKind = "fast" | "slow";

/** Front-end latency terms: `base + perInputToken × prompt tokens + perRequestInFlight × load`. */
export interface FrontendLatency {
  readonly baseMs: number;
  readonly perInputTokenMs: number;
  /** Per request in flight (past the front end, not finished) per first-stage worker, at its arrival. */
  readonly perRequestInFlightMs: number;
}

/** No front-end latency: the reference's semantics (a request reaches the router when it arrives). */
export const NO_FRONTEND_LATENCY: FrontendLatency = {
  baseMs: 0,
  perInputTokenMs: 0,
  perRequestInFlightMs: 0,
};

/**
 * Fitted front-end latency per backend and tokenizer kind (only vLLM has silicon measurements to fit; its
 * `slow` terms come from Kimi-K2.5's rows, the corpus's one model with a Python tokenizer).
 */
export const FRONTEND_LATENCY: Readonly<
  Partial<Record<Backend, Readonly<Record<TokenizerKind, FrontendLatency>>>>
> = {
  vllm: {
    fast: { baseMs: 7.5, perInputTokenMs: 0.01, perRequestInFlightMs: 0.75 },
    slow: { baseMs: 35, perInputTokenMs: 0.01, perRequestInFlightMs: 1.4 },
  },
};

/**
 * The front-end latency of one request, in ms.
 *
 * @param inputTokens The request's prompt length.
 * @param inFlight Requests in flight per first-stage worker when it arrives (not counting itself).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FRONTEND_LATENCY, frontendLatencyMs } from "./frontend.ts";
 * const ms = frontendLatencyMs(FRONTEND_LATENCY.vllm!.fast, 1000, 63);
 * assert(ms > 60 && ms < 70); // 7.5 + 10 + 47.25
 * ```
 */
export function frontendLatencyMs(f: FrontendLatency, inputTokens: number, inFlight: number): number {
  return f.baseMs + f.perInputTokenMs * inputTokens + f.perRequestInFlightMs * inFlight;
}
