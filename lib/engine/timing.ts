/**
 * How an engine turns perf-model predictions into pass times (speed-up ratios, the 1 ms decode floor). Shared
 * by the engine and by anything that must predict passes exactly as engines run them (the planner bootstrap).
 *
 * @module
 */
import type { PerfModel } from "../perf/mod.ts";
import type { EngineConfig } from "./config.ts";
import type { PassStats } from "./types.ts";

/**
 * The prefill part of a pass as an engine charges it: the perf model's time divided by `speedup_ratio`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { passPrefillMs } from "./timing.ts";
 * import { fixedModel } from "../perf/mod.ts";
 * const perf = fixedModel({ prefillMs: 10, prefillMsPerToken: 0, decodeMs: 0 });
 * assert(passPrefillMs(perf, { speedupRatio: 2 }, 1, 100, 0) === 5);
 * ```
 */
export function passPrefillMs(
  perf: PerfModel,
  cfg: Pick<EngineConfig, "speedupRatio">,
  batch: number,
  meanIsl: number,
  meanPrefix: number,
): number {
  return perf.prefillMs(batch, meanIsl, meanPrefix) / cfg.speedupRatio;
}

/**
 * The framework overhead of a pass as an engine charges it: the perf model's `passOverheadMs` (0 for models
 * without it, like the reference ones), once per pass, divided by `speedup_ratio`. `kernelMs` is the pass's
 * prefill and decode time as the engine charges them (what a pass without CUDA graphs hides its launches behind).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { passOverheadMs } from "./timing.ts";
 * import { fixedModel } from "../perf/mod.ts";
 * const perf = { ...fixedModel({ prefillMs: 1, prefillMsPerToken: 0, decodeMs: 1 }), passOverheadMs: () => 1.2 };
 * assert(passOverheadMs(perf, { speedupRatio: 2 }, 1, 8) === 0.6);
 * ```
 */
export function passOverheadMs(
  perf: PerfModel,
  cfg: Pick<EngineConfig, "speedupRatio">,
  prefillBatch: number,
  decodeBatch: number,
  kernelMs = 0,
): number {
  return perf.passOverheadMs
    ? perf.passOverheadMs(prefillBatch, decodeBatch, kernelMs * cfg.speedupRatio) / cfg.speedupRatio
    : 0;
}

/**
 * The decode part of a pass as an engine charges it: the perf model's time, floored at 1 ms when positive (as
 * the reference does), divided by `speedup_ratio × decode_speedup_ratio`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { passDecodeMs } from "./timing.ts";
 * import { fixedModel } from "../perf/mod.ts";
 * const perf = fixedModel({ prefillMs: 0, prefillMsPerToken: 0, decodeMs: 0.25 });
 * assert(passDecodeMs(perf, { speedupRatio: 1, decodeSpeedupRatio: 1 }, 8, 100, 800) === 1);
 * ```
 */
export function passDecodeMs(
  perf: PerfModel,
  cfg: Pick<EngineConfig, "speedupRatio" | "decodeSpeedupRatio">,
  batch: number,
  meanContext: number,
  activeKvTokens: number,
): number {
  const raw = perf.decodeMs(batch, meanContext, activeKvTokens);
  return (raw > 0 && raw < 1 ? 1 : raw) / (cfg.speedupRatio * cfg.decodeSpeedupRatio);
}

/**
 * The decode part of a mixed pass (one that also computes prompt tokens) as an engine charges it, for perf
 * models with a `mixedDecodeMs` (others charge {@link passDecodeMs}, the reference's "prefill + decode" pass):
 * no 1 ms floor, as it is a share of a longer pass.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { passMixedDecodeMs } from "./timing.ts";
 * const cfg = { speedupRatio: 2, decodeSpeedupRatio: 1 };
 * assert(passMixedDecodeMs(() => 0.5, cfg, [1, 1000, 0], 8, 100) === 0.25);
 * ```
 */
export function passMixedDecodeMs(
  mixedDecodeMs: NonNullable<PerfModel["mixedDecodeMs"]>,
  cfg: Pick<EngineConfig, "speedupRatio" | "decodeSpeedupRatio">,
  prefill: readonly [batch: number, meanIsl: number, meanPrefix: number],
  batch: number,
  meanContext: number,
): number {
  return mixedDecodeMs(prefill[0], prefill[1], prefill[2], batch, meanContext) /
    (cfg.speedupRatio * cfg.decodeSpeedupRatio);
}

/**
 * The decode part of any pass as an engine charges it: 0 without emitting requests; for a pass with a prefill
 * and a perf model with `mixedDecodeMs`, the decoding requests' share ({@link passMixedDecodeMs}; 0 when the
 * only emitters are prompts completing); otherwise {@link passDecodeMs} over every emitting request.
 *
 * @param prefill The pass's prefill part (`batch, meanIsl, meanPrefix`), if it has one.
 * @param emitting Requests emitting a token at the pass end, and `emittingContext` their summed lengths.
 * @param decoding Those of them that were already decoding, and `decodingContext` their summed lengths.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { passDecodePartMs } from "./timing.ts";
 * import { fixedModel } from "../perf/mod.ts";
 * const cfg = { speedupRatio: 1, decodeSpeedupRatio: 1 };
 * const perf = { ...fixedModel({ prefillMs: 1, prefillMsPerToken: 0, decodeMs: 4 }), mixedDecodeMs: () => 0.5 };
 * assert.equal(passDecodePartMs(perf, cfg, undefined, 8, 8000, 8, 8000, 8000), 4);
 * assert.equal(passDecodePartMs(perf, cfg, [1, 100, 0], 9, 8100, 8, 8000, 8100), 0.5);
 * assert.equal(passDecodePartMs(perf, cfg, [1, 100, 0], 1, 100, 0, 0, 100), 0); // only the prompt emits
 * assert.equal(passDecodePartMs(perf, cfg, undefined, 0, 0, 0, 0, 0), 0);
 * ```
 */
export function passDecodePartMs(
  perf: PerfModel,
  cfg: Pick<EngineConfig, "speedupRatio" | "decodeSpeedupRatio">,
  prefill: readonly [batch: number, meanIsl: number, meanPrefix: number] | undefined,
  emitting: number,
  emittingContext: number,
  decoding: number,
  decodingContext: number,
  activeKvTokens: number,
): number {
  if (emitting === 0) return 0;
  const mixed = prefill ? perf.mixedDecodeMs : undefined;
  if (!mixed) return passDecodeMs(perf, cfg, emitting, emittingContext / emitting, activeKvTokens);
  return decoding > 0 ? passMixedDecodeMs(mixed, cfg, prefill!, decoding, decodingContext / decoding) : 0;
}

/** A pass's prompt chunks: how many, their summed KV after them and cached prefixes. */
export interface PassPrefill {
  readonly prefillBatch: number;
  readonly prefillIsl: number;
  readonly prefillPrefix: number;
}

/**
 * A pass's prefill part as perf models price it: `[chunks, mean KV length after the pass, mean prefix]` (means
 * floored), or undefined when no prompt chunk runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prefillShape } from "./timing.ts";
 * assert.deepEqual(prefillShape({ prefillBatch: 2, prefillIsl: 1001, prefillPrefix: 300 }), [2, 500, 150]);
 * assert.equal(prefillShape({ prefillBatch: 0, prefillIsl: 0, prefillPrefix: 0 }), undefined);
 * ```
 */
export function prefillShape(
  pass: PassPrefill,
): readonly [batch: number, meanIsl: number, meanPrefix: number] | undefined {
  const b = pass.prefillBatch;
  return b > 0 ? [b, Math.floor(pass.prefillIsl / b), Math.floor(pass.prefillPrefix / b)] : undefined;
}

/**
 * Price a pass as an engine charges it into `s` (its `prefillMs`, `decodeMs`, `overheadMs` and `wallMs`, from
 * its `decodeRequests` and `decodeKvTokens`, which emit at the pass end) and return its wall time: the prefill
 * part at the chunks' mean length and prefix, the decode part ({@link passDecodePartMs}; none on a prefill
 * rank), and the framework overhead on both ({@link passOverheadMs}).
 *
 * @param decoding The emitting requests that were already decoding, and `decodingContext` their summed lengths.
 */
export function chargePass(
  s: PassStats,
  perf: PerfModel,
  cfg: EngineConfig,
  pass: PassPrefill,
  decoding: number,
  decodingContext: number,
  activeKvTokens: number,
): number {
  const b = pass.prefillBatch;
  const pf = prefillShape(pass);
  const prefillMs = pf ? passPrefillMs(perf, cfg, ...pf) : 0;
  const ready = s.decodeRequests;
  const decodeMs = cfg.role === "prefill"
    ? 0
    : passDecodePartMs(perf, cfg, pf, ready, s.decodeKvTokens, decoding, decodingContext, activeKvTokens);
  const overheadMs = passOverheadMs(perf, cfg, b, cfg.role !== "prefill" ? ready : 0, prefillMs + decodeMs);
  s.prefillMs = prefillMs;
  s.decodeMs = decodeMs;
  s.overheadMs = overheadMs;
  return s.wallMs = prefillMs + decodeMs + overheadMs;
}
