/**
 * The SGLang scheduler's settings as an engine resolves them from its args (`engine_type: "sglang"`): SGLang's
 * defaults under the `sglang` section, and what has no effect on an SGLang rank.
 *
 * @module
 */
import { type EngineArgs, parseEngineArgs } from "./args.ts";
import type { WorkerRole } from "./config.ts";
import type { SglangSchedule } from "./sglang.ts";

/** SGLang's scheduler defaults, as the reference's mocker has them (`scheduler/sglang/config.rs`). */
const SGLANG_DEFAULTS = {
  maxPrefillTokens: 16384,
  chunkedPrefillSize: 8192,
  clipMaxNewTokens: 4096,
  /** `init_new_token_ratio` per unit of `schedule_conservativeness`. */
  initNewTokenRatio: 0.7,
  /** `min_new_token_ratio` as a share of the initial ratio, and the passes the ratio decays over to it. */
  minNewTokenRatioFactor: 0.14,
  decaySteps: 600,
} as const;

/** vLLM's scheduling keys, which SGLang's scheduler (on agg and prefill ranks) does not read. */
const VLLM_SCHEDULING_KEYS = [
  "max_num_batched_tokens",
  "enable_chunked_prefill",
  "preemption_mode",
  "async_scheduling",
] as const;
/** Their defaults: a value other than these is reported as having no effect on an SGLang rank. */
const VLLM_SCHEDULING_DEFAULTS = parseEngineArgs({});

/**
 * The SGLang scheduler `args` ask for a `role` rank, null unless `engine_type` is "sglang": its `sglang`
 * settings over SGLang's defaults (the new-token ratios capped at 1, as SGLang caps them). Settings without
 * effect are reported: a `sglang` section on another engine, its scheduling keys on a decode rank (planned as
 * vLLM's; its `page_size` still sizes the blocks), vLLM's scheduling keys set to other than their defaults on
 * an SGLang rank, and `lpm` without prefix caching (SGLang then schedules FIFO).
 */
export function sglangSchedule(
  args: EngineArgs,
  role: WorkerRole,
  blockSize: number,
  fail: (field: string, detail: string) => never,
  warnings: string[],
  what: string,
): SglangSchedule | null {
  const s = args.sglang;
  if (args.engine_type !== "sglang") {
    if (s != null) warnings.push(`${what}.sglang has no effect unless engine_type is "sglang"`);
    return null;
  }
  if (role === "decode") {
    // Its page size still sizes the decode rank's blocks; its scheduling keys do nothing there.
    const unused = Object.keys(s ?? {}).filter((k) => k !== "page_size");
    if (unused.length) {
      warnings.push(
        `${what}.sglang.${unused.join(", .")} ha${
          unused.length > 1 ? "ve" : "s"
        } no effect on decode workers, ` +
          "which plan their passes as vLLM's",
      );
    }
    return null;
  }
  for (const k of VLLM_SCHEDULING_KEYS) {
    if (args[k] !== VLLM_SCHEDULING_DEFAULTS[k]) {
      warnings.push(`${what}.${k} has no effect on the SGLang scheduler`);
    }
  }
  const d = SGLANG_DEFAULTS;
  const chunk = s?.chunked_prefill_size ?? d.chunkedPrefillSize;
  if (chunk % blockSize !== 0) {
    fail("sglang.chunked_prefill_size", `${chunk} is not a multiple of the page size (${blockSize} tokens)`);
  }
  if (s?.schedule_policy === "lpm" && !args.enable_prefix_caching) {
    warnings.push(
      `${what}.sglang.schedule_policy "lpm" has no effect without prefix caching (SGLang schedules FIFO)`,
    );
  }
  const init = Math.min(d.initNewTokenRatio * (s?.schedule_conservativeness ?? 1), 1);
  const min = Math.min(init * d.minNewTokenRatioFactor, 1);
  return {
    lpm: s?.schedule_policy === "lpm" && args.enable_prefix_caching,
    maxPrefillTokens: s?.max_prefill_tokens ?? d.maxPrefillTokens,
    chunkedPrefillSize: chunk,
    clipMaxNewTokens: s?.clip_max_new_tokens ?? d.clipMaxNewTokens,
    prefillDecodeInterval: s?.prefill_decode_interval ?? 0,
    initNewTokenRatio: init,
    minNewTokenRatio: min,
    newTokenRatioDecay: (init - min) / d.decaySteps,
  };
}
