/**
 * Reports' messages in the DSL's names: a report names settings as the CLI does (its flags, snake_case keys),
 * whoever ran it.
 *
 * @module
 */
import { camel } from "./names.ts";
import { SCHEMA_KEYS } from "./params.ts";

/** The flags a report's warnings name engine args and configs by, and the DSL's scopes for them. */
const FLAG_SCOPES: Readonly<Record<string, string>> = {
  "--extra-engine-args": "engine",
  "--prefill-engine-args": "prefill",
  "--decode-engine-args": "decode",
  "--planner-config": "planner",
  "--router-config": "router",
};

/**
 * A report's message in the DSL's names: the CLI's flags as the DSL's scopes, and parameter keys camelCased
 * (keys nested in an engine arg's object, such as `sglang.page_size`, are written as given, snake_case).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dslWording } from "./wording.ts";
 * assert.equal(
 *   dslWording("--extra-engine-args.max_num_batched_tokens has no effect on the SGLang scheduler"),
 *   "engine.maxNumBatchedTokens has no effect on the SGLang scheduler",
 * );
 * assert.equal(dslWording("--decode-engine-args.sglang.page_size, round_robin"), "decode.sglang.page_size, round_robin");
 * assert.equal(dslWording("decode_engine_num_gpu unset"), "decodeEngineNumGpu unset");
 * ```
 */
export function dslWording(message: string): string {
  return message
    .replace(
      /--(?:extra|prefill|decode)-engine-args|--planner-config|--router-config/g,
      (flag) => FLAG_SCOPES[flag],
    )
    .replace(
      /(^|[^.\w]|\b(?:engine|prefill|decode|planner|router)\.)([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b/g,
      (whole, before: string, key: string) => SCHEMA_KEYS.has(key) ? before + camel(key) : whole,
    );
}
