/**
 * Accumulated operator time: what every pass of a rank spent in each operator family of its perf model, by
 * part (prefill, decode), as the engine charged the pass. Recorded only when asked (AISimulate's `--detail
 * time`), as it prices each pass's split a second time.
 *
 * @module
 */
import type { OpBreakdown, PerfModel } from "../perf/mod.ts";

/** The decoding requests' share of a mixed pass, which perf models price as one marginal cost, not by operator. */
export const MIXED_DECODE_OP = "mixed_pass_decode";

/**
 * A rank's operator time by part, in ms as charged (speed-up ratios and the decode floor applied): each
 * pass's part split in the proportions of its perf model's breakdown, so the operators of a part sum to its
 * busy time. A model without breakdowns records nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OpTotals } from "./op_totals.ts";
 * import { fixedModel } from "../perf/mod.ts";
 * const perf = {
 *   ...fixedModel({ prefillMs: 4, prefillMsPerToken: 0, decodeMs: 2 }),
 *   prefillBreakdown: () => ({ gemm: 3, attention: 1 }),
 *   decodeBreakdown: () => ({ gemm: 1, attention: 1 }),
 * };
 * const t = new OpTotals();
 * // A prefill pass charged 2 ms, then a decode pass of 4 requests (400 tokens of context) charged 1 ms.
 * t.add(perf, { prefillBatch: 1, prefillIsl: 100, prefillPrefix: 0 }, 2, 0, [0, 0, 0]);
 * t.add(perf, { prefillBatch: 0, prefillIsl: 0, prefillPrefix: 0 }, 0, 1, [4, 400, 512]);
 * assert.deepEqual(Object.fromEntries(t.prefill), { gemm: 1.5, attention: 0.5 });
 * assert.deepEqual(Object.fromEntries(t.decode), { gemm: 0.5, attention: 0.5 });
 * ```
 */
export class OpTotals {
  /** Prefill time by operator. */
  readonly prefill: Map<string, number> = new Map();
  /** Decode time by operator ({@link MIXED_DECODE_OP}: the decoding share of mixed passes). */
  readonly decode: Map<string, number> = new Map();

  /**
   * Add a pass: its prompt chunks `pass`, its charged `prefillMs` and `decodeMs`, and the shape of its
   * decode part `[emitting requests, their summed context, active KV tokens]` (not needed by a mixed pass,
   * whose decode part is recorded whole).
   */
  add(
    perf: PerfModel,
    pass: { readonly prefillBatch: number; readonly prefillIsl: number; readonly prefillPrefix: number },
    prefillMs: number,
    decodeMs: number,
    decode: readonly [requests: number, context: number, activeKvTokens: number],
  ): void {
    const b = pass.prefillBatch;
    if (prefillMs > 0 && perf.prefillBreakdown) {
      const ops = perf.prefillBreakdown(
        b,
        Math.floor(pass.prefillIsl / b),
        Math.floor(pass.prefillPrefix / b),
      );
      addShares(this.prefill, ops, prefillMs);
    }
    if (decodeMs <= 0 || !perf.decodeBreakdown) return;
    if (b > 0 && perf.mixedDecodeMs) {
      this.decode.set(MIXED_DECODE_OP, (this.decode.get(MIXED_DECODE_OP) ?? 0) + decodeMs);
      return;
    }
    const [requests, context, activeKvTokens] = decode;
    addShares(this.decode, perf.decodeBreakdown(requests, context / requests, activeKvTokens), decodeMs);
  }
}

/** Add `ms` to `into`, split in the proportions of `ops` (nothing when they sum to no time). */
function addShares(into: Map<string, number>, ops: OpBreakdown, ms: number): void {
  let total = 0;
  for (const op in ops) total += ops[op];
  if (!(total > 0)) return;
  for (const op in ops) {
    if (ops[op] > 0) into.set(op, (into.get(op) ?? 0) + ms * ops[op] / total);
  }
}
