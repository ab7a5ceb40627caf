/**
 * Accumulated operator time: what every pass of a rank spent in each operator family of its perf model, by
 * part (prefill, decode), as the engine charged the pass, and the same passes' speed of light. Recorded only
 * when asked (AISimulate's `--detail time`), as it prices each pass's split a second time.
 *
 * @module
 */
import {
  type OpBreakdown,
  type PerfModel,
  type SolBreakdown,
  type SolModel,
  type SolTime,
  sumSol,
} from "../perf/mod.ts";
import { type PassPrefill, prefillShape } from "./timing.ts";
import type { PassStats } from "./types.ts";

/** The decoding requests' share of a mixed pass, which perf models price as one marginal cost, not by operator. */
export const MIXED_DECODE_OP = "mixed_pass_decode";

/** A part's figures by operator. */
export interface PartTotals {
  /** Time as charged (ms). */
  readonly time: Map<string, number>;
  /** Speed of light (ms; not divided by speed-up ratios); empty when the perf model has no roofline. */
  readonly sol: Map<string, SolTime>;
}

/**
 * A rank's operator time by part, in ms as charged (speed-up ratios and the decode floor applied): each
 * pass's part split in the proportions of its perf model's breakdown, so the operators of a part sum to its
 * busy time; and their speed of light, from the model's roofline. A model without breakdowns records nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OpTotals } from "./op_totals.ts";
 * import { fixedModel } from "../perf/mod.ts";
 * const t = new OpTotals({
 *   ...fixedModel({ prefillMs: 4, prefillMsPerToken: 0, decodeMs: 2 }),
 *   prefillBreakdown: () => ({ gemm: 3, attention: 1 }),
 *   decodeBreakdown: () => ({ gemm: 1, attention: 1 }),
 * });
 * // A prefill pass charged 2 ms, then a decode pass of 4 requests (400 tokens of context) charged 1 ms.
 * const prefill = { prefillMs: 2, decodeMs: 0, decodeRequests: 0, decodeKvTokens: 0 };
 * const decode = { prefillMs: 0, decodeMs: 1, decodeRequests: 4, decodeKvTokens: 400 };
 * t.add({ prefillBatch: 1, prefillIsl: 100, prefillPrefix: 0 }, prefill, 0, 0, 0);
 * t.add({ prefillBatch: 0, prefillIsl: 0, prefillPrefix: 0 }, decode, 4, 400, 512);
 * assert.deepEqual(Object.fromEntries(t.prefill.time), { gemm: 1.5, attention: 0.5 });
 * assert.deepEqual(Object.fromEntries(t.decode.time), { gemm: 0.5, attention: 0.5 });
 * assert.equal(t.decode.sol.size, 0); // no roofline
 * ```
 */
export class OpTotals {
  /** Prefill figures by operator. */
  readonly prefill: PartTotals = { time: new Map(), sol: new Map() };
  /** Decode figures by operator ({@link MIXED_DECODE_OP}: the decoding share of mixed passes). */
  readonly decode: PartTotals = { time: new Map(), sol: new Map() };
  readonly #perf: PerfModel;
  readonly #sol: SolModel | undefined;

  /** Totals of the passes of a rank priced by `perf`. */
  constructor(perf: PerfModel) {
    this.#perf = perf;
    this.#sol = perf.roofline?.();
  }

  /**
   * Add a pass: its prompt chunks `pass`; its charged parts and emitting requests `stats` (`prefillMs`,
   * `decodeMs`, `decodeRequests` and their summed context `decodeKvTokens`); those of them that were already
   * decoding (what a mixed pass's decode part prices) and their context; the active KV tokens.
   */
  add(
    pass: PassPrefill,
    stats: Readonly<Pick<PassStats, "prefillMs" | "decodeMs" | "decodeRequests" | "decodeKvTokens">>,
    decoding: number,
    decodingContext: number,
    activeKvTokens: number,
  ): void {
    const perf = this.#perf, sol = this.#sol;
    const { prefillMs, decodeMs, decodeRequests: emitting, decodeKvTokens: emittingContext } = stats;
    const [b, isl, prefix] = prefillShape(pass) ?? [0, 0, 0];
    if (prefillMs > 0 && perf.prefillBreakdown) {
      addShares(this.prefill.time, perf.prefillBreakdown(b, isl, prefix), prefillMs);
      if (sol) addSol(this.prefill.sol, sol.prefill(b, isl, prefix));
    }
    if (decodeMs <= 0 || !perf.decodeBreakdown) return;
    if (b > 0 && perf.mixedDecodeMs) {
      this.decode.time.set(MIXED_DECODE_OP, (this.decode.time.get(MIXED_DECODE_OP) ?? 0) + decodeMs);
      if (sol) {
        const mixed = sol.mixedDecode(b, isl, prefix, decoding, decodingContext / decoding);
        addSol(this.decode.sol, { [MIXED_DECODE_OP]: mixed });
      }
      return;
    }
    const meanContext = emittingContext / emitting;
    addShares(this.decode.time, perf.decodeBreakdown(emitting, meanContext, activeKvTokens), decodeMs);
    if (sol) addSol(this.decode.sol, sol.decode(emitting, meanContext));
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

/** Add each operator's SOL of `ops` to `into`. */
function addSol(into: Map<string, SolTime>, ops: SolBreakdown): void {
  for (const op in ops) {
    const a = into.get(op);
    into.set(op, a === undefined ? ops[op] : sumSol([a, ops[op]]));
  }
}
