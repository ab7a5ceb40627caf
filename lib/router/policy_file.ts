/**
 * Reading a router policy file (`--router-policy-config`): YAML (so JSON too), as the reference reads it.
 *
 * @module
 */
import { readTextSync } from "../common/files.ts";
import { parse as parseYaml } from "yaml";
import { parseConfig, yamlProblem } from "../common/config.ts";
import { InputError } from "../common/errors.ts";
import { type RouterPolicyInput, RouterPolicySchema } from "./policy_config.ts";

/**
 * The policy document at `path`, read, parsed and checked; errors name the file and `field` (the flag or
 * DSL option that gave the path).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readRouterPolicy } from "./policy_file.ts";
 * const path = await Deno.makeTempFile({ suffix: ".yaml" });
 * await Deno.writeTextFile(path, "default_policy_family: standard\nuncached_isl_buckets: []\npolicy_classes: []\n");
 * assert.throws(() => readRouterPolicy(path, "--router-policy-config"), /root policy_classes must not be empty/);
 * await Deno.remove(path);
 * ```
 */
export function readRouterPolicy(path: string, field: string): RouterPolicyInput {
  let text: string;
  try {
    text = readTextSync(path);
  } catch (e) {
    throw new InputError(`failed to read router policy config ${path}: ${(e as Error).message}`, { field });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new InputError(`failed to parse router policy config ${path}: ${yamlProblem(e)}`, { field });
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new InputError(`failed to parse router policy config ${path}: expected a YAML mapping`, { field });
  }
  parseConfig(RouterPolicySchema, doc, field, { file: path });
  return doc as RouterPolicyInput;
}
