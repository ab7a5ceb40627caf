/**
 * One pass priced on its own as an engine charges it ({@link passPrefillMs}, {@link passDecodeMs},
 * {@link passOverheadMs}), with its time by operator family where the perf model splits it: what a report's
 * typical passes and `pricePasses` show.
 *
 * @module
 */
import type { OpBreakdown, PerfModel } from "../perf/mod.ts";
import type { EngineConfig } from "./config.ts";
import { passDecodeMs, passOverheadMs, passPrefillMs } from "./timing.ts";

/** A pass's price: its prefill or decode part, the framework overhead on top, and the part by operator family. */
export interface PassPrice {
  /** The prefill or decode part as the engine charges it (ms; a decode part has the 1 ms floor). */
  readonly ms: number;
  /** The pass's framework overhead (ms), 0 for perf models without one. */
  readonly overheadMs: number;
  /** The part by operator family (ms, a decode part's before the floor), when the perf model splits it. */
  readonly ops?: OpBreakdown;
}

/** The speed-up ratios an engine divides its perf model's times by. */
export type SpeedupRatios = Pick<EngineConfig, "speedupRatio" | "decodeSpeedupRatio">;

/**
 * A prefill-only pass of `requests` prompts of `meanIsl` tokens of KV each after the pass, `meanPrefix` of them
 * cached or computed before it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pricePrefillPass } from "./pass_price.ts";
 * import { fixedModel } from "../perf/mod.ts";
 * const perf = fixedModel({ prefillMs: 2, prefillMsPerToken: 0.01, decodeMs: 5 });
 * const price = pricePrefillPass(perf, { speedupRatio: 2, decodeSpeedupRatio: 1 }, 1, 1000, 0);
 * assert.deepEqual(price, { ms: 6, overheadMs: 0, ops: undefined });
 * ```
 */
export function pricePrefillPass(
  perf: PerfModel,
  cfg: SpeedupRatios,
  requests: number,
  meanIsl: number,
  meanPrefix: number,
): PassPrice {
  const ms = passPrefillMs(perf, cfg, requests, meanIsl, meanPrefix);
  return {
    ms,
    overheadMs: passOverheadMs(perf, cfg, requests, 0, ms),
    ops: scaled(perf.prefillBreakdown?.(requests, meanIsl, meanPrefix), cfg.speedupRatio),
  };
}

/**
 * A decode-only pass of `requests` sequences at `meanContext` tokens each, with `activeKvTokens` of KV held on
 * the engine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { priceDecodePass } from "./pass_price.ts";
 * import { fixedModel } from "../perf/mod.ts";
 * const perf = fixedModel({ prefillMs: 2, prefillMsPerToken: 0.01, decodeMs: 5 });
 * const price = priceDecodePass(perf, { speedupRatio: 1, decodeSpeedupRatio: 2 }, 8, 1000, 8192);
 * assert.equal(price.ms, 2.5);
 * ```
 */
export function priceDecodePass(
  perf: PerfModel,
  cfg: SpeedupRatios,
  requests: number,
  meanContext: number,
  activeKvTokens: number,
): PassPrice {
  const ms = passDecodeMs(perf, cfg, requests, meanContext, activeKvTokens);
  return {
    ms,
    overheadMs: passOverheadMs(perf, cfg, 0, requests, ms),
    ops: scaled(
      perf.decodeBreakdown?.(requests, meanContext, activeKvTokens),
      cfg.speedupRatio * cfg.decodeSpeedupRatio,
    ),
  };
}

function scaled(ops: OpBreakdown | undefined, ratio: number): OpBreakdown | undefined {
  return ops && Object.fromEntries(Object.entries(ops).map(([op, ms]) => [op, ms / ratio]));
}
