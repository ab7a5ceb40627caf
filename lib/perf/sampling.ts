/**
 * How requests pick their next token, which sets the sampler's cost in the framework overhead
 * (`analytic/overhead.ts`), and the default a checkpoint's `generation_config.json` implies.
 *
 * vLLM fills the sampling parameters a request leaves out from the checkpoint's generation config
 * (`--generation-config auto`), else from its own defaults (temperature 1, no top-k, top-p 1). So a client that
 * sends no temperature (AIPerf) samples as the checkpoint says, and one that sends `temperature: 0` (vLLM's and
 * InferenceX's `benchmark_serving.py`) samples greedily whatever the checkpoint says.
 *
 * @module
 */

/**
 * The sampler a request runs: `greedy` (temperature 0: an argmax), `random` (temperature > 0 without top-k or
 * top-p: softmax and one exponential draw per logit) or `top_k_top_p` (a top-k or top-p cut, which vLLM's
 * PyTorch sampler applies by sorting the logits).
 */
export type Sampling = typeof SAMPLINGS[number];

/** The valid {@link Sampling} values, cheapest first. */
export const SAMPLINGS = ["greedy", "random", "top_k_top_p"] as const;

/**
 * The sampling of a request that sets no sampling parameters, served from a checkpoint whose
 * `generation_config.json` holds `config` (`undefined` when the checkpoint has none): `greedy` for temperature
 * 0, `top_k_top_p` for a top-k above 0 or a top-p below 1, else `random`. Non-numeric fields count as absent,
 * and so does `top_k: 50`: vLLM reads the file's difference from transformers' default generation config, whose
 * top-k is 50.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generationSampling } from "./sampling.ts";
 * assert.equal(generationSampling({ temperature: 0.6, top_k: 20, top_p: 0.95 }), "top_k_top_p"); // Qwen3
 * assert.equal(generationSampling({ bos_token_id: 199998, do_sample: true }), "random"); // gpt-oss
 * assert.equal(generationSampling({ temperature: 0 }), "greedy");
 * assert.equal(generationSampling({ top_k: 50 }), "random"); // transformers' default: vLLM drops it
 * assert.equal(generationSampling(undefined), "random"); // vLLM's own defaults
 * ```
 */
export function generationSampling(config: unknown): Sampling {
  const c = typeof config === "object" && config !== null ? config as Record<string, unknown> : {};
  const num = (k: string) => typeof c[k] === "number" ? c[k] as number : undefined;
  if (num("temperature") === 0) return "greedy";
  const topK = num("top_k"), topP = num("top_p");
  if ((topK !== undefined && topK > 0 && topK !== 50) || (topP !== undefined && topP < 1)) {
    return "top_k_top_p";
  }
  return "random";
}
