/**
 * KV transfer between a prefill worker and a decode worker in disaggregated serving.
 *
 * The reference charges each transfer a pure latency, `bytes / bandwidth`, however many run at once (its §9
 * item 11). With link sharing on, each prefill rank's outgoing link (a worker's, or each DP rank's) is a
 * processor-sharing queue: the `n`
 * transfers in flight on it progress at `bandwidth / n` each, so a burst of hand-offs takes as long as the
 * link really needs.
 *
 * @module
 */

/**
 * Transfer time of `bytes` at `gbps` GB/s, in ms (the reference's pure-latency model).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { transferMs } from "./transfer.ts";
 * // 10,000 tokens × 131,072 B at 400 GB/s ≈ 3.28 ms (the AISimulate docs' example).
 * assert(Math.abs(transferMs(10_000 * 131_072, 400) - 3.2768) < 1e-9);
 * ```
 */
export function transferMs(bytes: number, gbps: number): number {
  return bytes / (gbps * 1e9) * 1000;
}

/** The engine args that time a KV transfer (those of its source, the prefill engine). */
export interface TransferArgs {
  readonly kv_transfer_bandwidth?: number | null;
  readonly kv_transfer_timing_mode: string;
}

/** The transfer args' defaults: a decode engine left at them has set nothing to warn of. */
const TRANSFER_DEFAULTS = { kv_transfer_bandwidth: null, kv_transfer_timing_mode: "full_prompt" } as const;

/**
 * The warning for KV-transfer args the decode engines set differently from the prefill engines: a transfer is
 * timed by its source's args, as in the reference, so the decode engines' have no effect. Decode args left at
 * their defaults say nothing, whatever the prefill engines give.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { transferArgWarnings } from "./transfer.ts";
 * const rr = { kv_transfer_timing_mode: "full_prompt" };
 * assert.deepEqual(transferArgWarnings(rr, rr), []);
 * assert.match(transferArgWarnings(rr, { ...rr, kv_transfer_bandwidth: 50 })[0], /kv_transfer_bandwidth 50/);
 * assert.deepEqual(transferArgWarnings({ ...rr, kv_transfer_bandwidth: 50 }, rr), []);
 * ```
 */
export function transferArgWarnings(prefill: TransferArgs, decode: TransferArgs): string[] {
  const keys = (["kv_transfer_bandwidth", "kv_transfer_timing_mode"] as const).filter((k) =>
    (decode[k] ?? null) !== (prefill[k] ?? null) && (decode[k] ?? null) !== TRANSFER_DEFAULTS[k]
  );
  if (keys.length === 0) return [];
  const given = (a: TransferArgs) => keys.map((k) => `${k} ${a[k] ?? "unset"}`).join(", ");
  return [
    `the decode engine args' ${
      given(decode)
    } have no effect: a KV transfer is timed by the prefill (source) ` +
    `engine's args, as in the reference (${given(prefill)}); give them in the prefill engine args`,
  ];
}
