/**
 * The `--planner-config` flag: inline JSON, or a JSON or YAML file, validated as a planner config.
 *
 * @module
 */
import { readTextSync } from "../common/files.ts";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { parseConfig, parseJsonText, rejectDuplicateKeys, yamlProblem } from "../common/config.ts";
import { InputError } from "../common/errors.ts";
import { PlannerConfigSchema } from "../planner/mod.ts";
import { unreadableConfig } from "./flag_values.ts";

/**
 * `--planner-config`: inline JSON, or a path to a JSON or YAML file (read as JSON, then as YAML unless it is a
 * `.json`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plannerFlag } from "./planner_flag.ts";
 * assert(plannerFlag('{"mode": "agg", "ttft": 800}').ttft_ms === 800);
 * ```
 */
export function plannerFlag(raw: string): z.output<typeof PlannerConfigSchema> {
  const text = raw.trim();
  const field = "--planner-config";
  if (text.startsWith("{")) return parseConfig(PlannerConfigSchema, parseJsonText(text, { field }), field);
  let contents: string;
  try {
    contents = readTextSync(text);
  } catch {
    throw new InputError(unreadableConfig(text, "a JSON/YAML file"), { field });
  }
  let value: unknown;
  const at = { file: text, field };
  try {
    value = JSON.parse(contents);
    rejectDuplicateKeys(contents, at);
  } catch (e) {
    if (e instanceof InputError) throw e;
    if (/\.json$/i.test(text)) throw new InputError(`malformed JSON: ${(e as Error).message}`, at);
    try {
      value = parseYaml(contents);
    } catch (e) {
      throw new InputError(
        `malformed ${/\.ya?ml$/i.test(text) ? "YAML" : "JSON or YAML"}: ${yamlProblem(e)}`,
        at,
      );
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InputError("must be a JSON/YAML object", { file: text, field });
  }
  return parseConfig(PlannerConfigSchema, value, field, { file: text });
}
