/**
 * Speculative decoding (MTP / Eagle) settings from engine args: the number of draft tokens and their conditional
 * acceptance rates. The engine samples each request's burst from these; the perf models time one verification
 * round per decode pass (perf-model.md §2.4, dynamo-behaviour.md §3.8).
 *
 * @module
 */
import { InputError, type InputLocation } from "../common/errors.ts";

/** Acceptance rates Dynamo's mocker uses when `aic_nextn_accept_rates` is unset (truncated to `nextn`). */
export const DEFAULT_ACCEPT_RATES: readonly number[] = [0.85, 0.3, 0, 0, 0];

/** Draft tokens per step and the conditional probability that draft `i` is accepted given drafts `< i` were. */
export interface SpeculativeConfig {
  readonly nextn: number;
  readonly acceptRates: readonly number[];
}

/**
 * Parse `aic_nextn_accept_rates`: numbers in [0, 1], comma-separated as Dynamo's mocker takes them or a list as
 * AI Configurator and the reference's docs write them; unset gives the default rates. The result has exactly
 * `nextn` rates: missing ones are 0, extra ones are an error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAcceptRates } from "./speculative.ts";
 * assert(parseAcceptRates(undefined, 2).join() === "0.85,0.3");
 * assert(parseAcceptRates("0.9, 0.5", 3).join() === "0.9,0.5,0");
 * assert(parseAcceptRates([0.9, 0.5], 2).join() === "0.9,0.5");
 * ```
 */
export function parseAcceptRates(
  given: string | readonly number[] | null | undefined,
  nextn: number,
  at: InputLocation = {},
): number[] {
  if (given == null) return DEFAULT_ACCEPT_RATES.slice(0, nextn);
  const parts = typeof given === "string"
    ? given.split(",").map((s) => s.trim()).filter((s) => s.length > 0)
    : given.map(String);
  if (parts.length === 0) {
    throw new InputError(`gives no rates; give 1 to ${nextn}, or leave it unset for the defaults`, at);
  }
  if (parts.length > nextn) {
    throw new InputError(`gives ${parts.length} rates but aic_nextn is ${nextn}; give at most ${nextn}`, at);
  }
  const rates = parts.map((s) => {
    const v = Number(s);
    if (!Number.isFinite(v) || v < 0 || v > 1) {
      throw new InputError(`"${s}" is not an acceptance rate; each rate must be a number in [0, 1]`, at);
    }
    return v;
  });
  while (rates.length < nextn) rates.push(0);
  return rates;
}

/**
 * Expected tokens a request emits per verification round: `1 + r1 + r1·r2 + …`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expectedBurst } from "./speculative.ts";
 * assert(Math.abs(expectedBurst([0.85, 0.3]) - 2.105) < 1e-12);
 * ```
 */
export function expectedBurst(rates: readonly number[]): number {
  let p = 1;
  let sum = 1;
  for (const r of rates) {
    p *= r;
    sum += p;
  }
  return sum;
}

/** The subset of engine args speculative decoding reads. */
export interface SpeculativeArgs {
  readonly aic_nextn?: number | null;
  readonly aic_nextn_accept_rates?: string | readonly number[] | null;
}

/**
 * Speculative-decoding settings of an engine, or undefined when `aic_nextn` is unset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { speculativeConfig } from "./speculative.ts";
 * const s = speculativeConfig({ aic_nextn: 1 });
 * assert(s?.nextn === 1 && s.acceptRates.join() === "0.85");
 * assert(speculativeConfig({}) === undefined);
 * ```
 */
export function speculativeConfig(
  args: SpeculativeArgs,
  what = "engine args",
  at: InputLocation = {},
): SpeculativeConfig | undefined {
  const nextn = args.aic_nextn;
  if (nextn == null) {
    if (args.aic_nextn_accept_rates != null) {
      throw new InputError("needs aic_nextn (the number of draft tokens)", {
        ...at,
        field: `${what}.aic_nextn_accept_rates`,
      });
    }
    return undefined;
  }
  const acceptRates = parseAcceptRates(args.aic_nextn_accept_rates, nextn, {
    ...at,
    field: `${what}.aic_nextn_accept_rates`,
  });
  return { nextn, acceptRates };
}
