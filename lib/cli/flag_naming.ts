/**
 * Naming the CLI flag behind a spec field in errors: `--shared-prefix-ratio`, not
 * `spec.workload.shared_prefix_ratio`.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { own } from "../common/own.ts";
import { CLI_FLAGS } from "./flag_defs.ts";

/**
 * `e` reported against the flag that filled its spec field (`--shared-prefix-ratio` rather than
 * `spec.workload.shared_prefix_ratio`), or `e` itself when no flag did.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InputError } from "../common/errors.ts";
 * import { namingFlag } from "./flag_naming.ts";
 * const e = new InputError("must be ≥ 1", { field: "router.aic.aic_tp_size" });
 * assert.equal(namingFlag(e).message, "--aic-tp-size: must be ≥ 1");
 * const budget = new InputError("too many GPUs", { field: "planner.max_gpu_budget" });
 * assert.equal(namingFlag(budget).message, "--planner-config.max_gpu_budget: too many GPUs");
 * ```
 */
export function namingFlag(e: InputError): InputError {
  const flag = e.location.field === undefined ? undefined : flagOfSpecField(e.location.field);
  return flag ? new InputError(e.detail, { ...e.location, field: flag }) : e;
}

/** Engine args keys of each topology pool, and the flag that gives them. */
const POOL_FLAGS: Readonly<Record<string, string>> = {
  engine: "--extra-engine-args",
  prefill_engine: "--prefill-engine-args",
  decode_engine: "--decode-engine-args",
};

/**
 * The flag that fills a spec field (given with or without its leading `spec.`), for the spec's own scalar
 * fields, the workload's, the topology's and its engine args', the router-side perf model's (`--aic-*`), the
 * router config's (`--router-config.key`) and the planner config's (`--planner-config.key`).
 */
function flagOfSpecField(field: string): string | undefined {
  const path = field.replace(/^spec\./, "").split(".");
  const [head, key] = path;
  if (head === "router" && key === "aic") return path[2] ? `--${path[2].replaceAll("_", "-")}` : "--aic-*";
  if (head === "router" && key === "config" && path[2]) return `--router-config.${path[2]}`;
  if (head === "planner" && key) return `--planner-config.${path.slice(1).join(".")}`;
  const pool = head === "topology" && path.length > 2 ? own(POOL_FLAGS, key) : undefined;
  if (pool) return `${pool}.${path.slice(2).join(".")}`;
  const named: Record<string, string> = { dataset_entries: "num-dataset-entries", format: "trace-format" };
  const flag = (k: string) => named[k] ?? k.replaceAll("_", "-");
  let name: string | undefined;
  if (path.length === 1) name = flag(head);
  else if (path.length === 2 && (head === "workload" || head === "topology")) name = flag(key);
  else if (path.length === 2 && head === "sla") name = `sla-${key.replaceAll("_", "-")}`;
  return name !== undefined && CLI_FLAGS.includes(name) ? `--${name}` : undefined;
}
