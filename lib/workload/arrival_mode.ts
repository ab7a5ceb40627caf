/**
 * The one rule on how a synthetic workload's requests arrive: exactly one of a Poisson rate, a fixed gap or
 * closed-loop replay. The spec schema enforces it; the CLI and the DSL check it first to word it in their own
 * names (flags, options).
 *
 * @module
 */

/** The spec fields that choose how synthetic requests arrive, each with what it gives. */
export const ARRIVAL_MODES = {
  request_rate: "Poisson",
  arrival_interval_ms: "fixed gap",
  replay_concurrency: "closed loop",
} as const;

/** A spec field that chooses an arrival mode. */
export type ArrivalMode = keyof typeof ARRIVAL_MODES;

/** The arrival-mode fields of a synthetic workload, as a spec (or a surface building one) holds them. */
export interface ArrivalFields {
  readonly request_rate?: number | null;
  readonly arrival_interval_ms?: number | null;
}

/**
 * The arrival modes given, in {@link ARRIVAL_MODES} order: the workload's rate and interval, and closed loop
 * when the replay is closed-loop (`replay_concurrency` set).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { arrivalModes } from "./arrival_mode.ts";
 * assert.deepEqual(arrivalModes({ request_rate: 2 }, true), ["request_rate", "replay_concurrency"]);
 * ```
 */
export function arrivalModes(w: ArrivalFields, closedLoop: boolean): ArrivalMode[] {
  const modes: ArrivalMode[] = [];
  if (w.request_rate != null) modes.push("request_rate");
  if (w.arrival_interval_ms != null) modes.push("arrival_interval_ms");
  if (closedLoop) modes.push("replay_concurrency");
  return modes;
}

/**
 * What is wrong with the arrival modes a synthetic workload was given, or undefined when it has exactly one.
 * `name` words a spec field as the surface the user wrote (default: the field itself).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { arrivalModeProblem } from "./arrival_mode.ts";
 * assert.equal(arrivalModeProblem(["request_rate"]), undefined);
 * assert.equal(
 *   arrivalModeProblem(["request_rate", "replay_concurrency"], (m) => `--${m.replaceAll("_", "-")}`),
 *   "--request-rate and --replay-concurrency are both given; a synthetic workload takes exactly one arrival mode: " +
 *     "--request-rate (Poisson), --arrival-interval-ms (fixed gap) or --replay-concurrency (closed loop)",
 * );
 * ```
 */
export function arrivalModeProblem(
  given: readonly ArrivalMode[],
  name: (mode: ArrivalMode) => string = (m) => m,
): string | undefined {
  if (given.length === 1) return undefined;
  const [a, b, c] = (Object.keys(ARRIVAL_MODES) as ArrivalMode[]).map((m) =>
    `${name(m)} (${ARRIVAL_MODES[m]})`
  );
  const choice = `exactly one arrival mode: ${a}, ${b} or ${c}`;
  return given.length === 0
    ? `a synthetic workload needs ${choice}`
    : `${given.map(name).join(" and ")} are ${
      given.length === 2 ? "both" : "all"
    } given; a synthetic workload ` +
      `takes ${choice}`;
}
