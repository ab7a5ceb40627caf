/**
 * The serving topology the `replay` flags give: aggregated (`--num-workers`, `--extra-engine-args`) or
 * disaggregated (`--prefill-engine-args` and `--decode-engine-args` with their worker counts), each flag
 * refused, by name, where the other mode's flags are given.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { EngineArgsSchema } from "../engine/mod.ts";
import type { SimSpecInput } from "../spec.ts";
import type { Values } from "./flag_defs.ts";
import { jsonFlag, optionalInt } from "./flag_values.ts";

/**
 * The spec's `topology` from parsed flag values: disaggregated when either staged engine-args flag is given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { Values } from "./flag_defs.ts";
 * import { topology } from "./topology_flags.ts";
 * assert.deepEqual(topology({ "num-workers": "3" } as Values), { mode: "agg", num_workers: 3, engine: undefined });
 * assert.throws(() => topology({ "num-prefill-workers": "2" } as Values), /needs disaggregated serving/);
 * ```
 */
export function topology(v: Values): SimSpecInput["topology"] {
  const staged = v["prefill-engine-args"] !== undefined || v["decode-engine-args"] !== undefined;
  if (!staged) {
    for (const f of ["num-prefill-workers", "num-decode-workers", "kv-transfer-link-sharing"] as const) {
      if (v[f] !== undefined) {
        throw new InputError("needs disaggregated serving (--prefill-engine-args and --decode-engine-args)", {
          field: `--${f}`,
        });
      }
    }
    return {
      mode: "agg",
      num_workers: optionalInt(v, "num-workers", 1),
      engine: v["extra-engine-args"] !== undefined
        ? jsonFlag(v, "extra-engine-args", EngineArgsSchema)
        : undefined,
    };
  }
  for (const f of ["prefill-engine-args", "decode-engine-args"] as const) {
    if (v[f] === undefined) {
      throw new InputError(
        "disaggregated serving needs both --prefill-engine-args and --decode-engine-args",
        {
          field: `--${f}`,
        },
      );
    }
  }
  for (const f of ["extra-engine-args", "num-workers"] as const) {
    if (v[f] !== undefined) {
      throw new InputError(
        "conflicts with --prefill-engine-args/--decode-engine-args (disaggregated serving)",
        {
          field: `--${f}`,
        },
      );
    }
  }
  return {
    mode: "disagg",
    num_prefill_workers: optionalInt(v, "num-prefill-workers", 1),
    num_decode_workers: optionalInt(v, "num-decode-workers", 1),
    prefill_engine: jsonFlag(v, "prefill-engine-args", EngineArgsSchema),
    decode_engine: jsonFlag(v, "decode-engine-args", EngineArgsSchema),
    kv_transfer_link_sharing: v["kv-transfer-link-sharing"],
  };
}
