/**
 * Profile mode (`planner_profile_data`): step times interpolated from a measured profile, as the reference's
 * interpolated model does (dynamo-behaviour.md §3.7).
 *
 * The profile is the reference mocker's NumPy `.npz` (`perf_data.npz`, as `np.savez` or `np.savez_compressed`
 * write it; other arrays in it, such as `afd_metadata_json`, are ignored), or a JSON object with the same arrays:
 *
 * | key | shape | meaning |
 * |---|---|---|
 * | `prefill_isl` | `[P]`, ascending | new prompt tokens in a prefill pass |
 * | `prefill_ttft_ms` | `[P]` | prefill time (ms) at each of them |
 * | `decode_active_kv_tokens` | `[A]`, ascending | tokens in active KV blocks |
 * | `decode_context_length` | `[C]`, ascending | mean context length of the decoding requests |
 * | `decode_itl` | `[A][C]` (rows: active KV) | decode step time (ms) |
 *
 * Prefill is a 1-D linear interpolation, extrapolated linearly from the end segments, on
 * `T = batch × (meanIsl − meanPrefix)`; decode a 2-D bilinear interpolation, extrapolated linearly, on
 * `(activeKvTokens, meanContext)`. Prefill results below 0 are clamped to 0; decode results are floored at 1 ms,
 * as the reference floors them (an interpolation at or below 0 too). `loadPerfInputs` (inputs.ts) reads the file — an `.npz` through `readNpz` (npz.ts) — and hands
 * `parseProfile` the same JSON-shaped object either way, so both formats are checked alike; a planner profiler's
 * results directory is converted to that object first (profiler_results.ts).
 *
 * @module
 */
import { InputError, type InputLocation } from "../common/errors.ts";
import type { PerfModel } from "./types.ts";

/** The keys of a profile, in the order of the table above. */
export const PROFILE_KEYS: readonly string[] = [
  "prefill_isl",
  "prefill_ttft_ms",
  "decode_active_kv_tokens",
  "decode_context_length",
  "decode_itl",
];

/** A parsed planner profile. */
export interface ProfileData {
  readonly prefillIsl: readonly number[];
  readonly prefillTtftMs: readonly number[];
  readonly decodeActiveKvTokens: readonly number[];
  readonly decodeContextLength: readonly number[];
  /** `decodeItl[i][j]`: active KV `i`, context `j`. */
  readonly decodeItl: readonly (readonly number[])[];
}

/** The largest token count (prompt, KV, context) a profile may give: what a request can hold. */
const MAX_TOKENS = 2 ** 31 - 1;
/** The longest time (ms) a profile may give: about 11.6 days for one pass. */
const MAX_MS = 1e9;

/** A profile's array `key`: present, at least `minLength` long, every value a number in [0, `max`]. */
function numbers(v: unknown, key: string, at: InputLocation, minLength: number, max: number): number[] {
  if (v === undefined) throw missing(key, at);
  if (
    !Array.isArray(v) || v.length < minLength ||
    !v.every((x) => typeof x === "number" && x >= 0 && x <= max)
  ) {
    throw new InputError(`must be an array of at least ${minLength} numbers from 0 to ${max}`, {
      ...at,
      field: key,
    });
  }
  return v as number[];
}

function missing(key: string, at: InputLocation): InputError {
  return new InputError(`is missing; a profile needs ${PROFILE_KEYS.join(", ")}`, { ...at, field: key });
}

function ascending(xs: readonly number[], key: string, at: InputLocation) {
  for (let i = 1; i < xs.length; i++) {
    if (!(xs[i] > xs[i - 1])) {
      throw new InputError(`must be strictly ascending (index ${i}: ${xs[i]} after ${xs[i - 1]})`, {
        ...at,
        field: key,
      });
    }
  }
}

/**
 * Validate a parsed profile JSON object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseProfile } from "./profile.ts";
 * const p = parseProfile({
 *   prefill_isl: [100, 1000], prefill_ttft_ms: [10, 50],
 *   decode_active_kv_tokens: [0, 1000], decode_context_length: [100, 1000], decode_itl: [[5, 6], [7, 9]],
 * });
 * assert(p.decodeItl[1][1] === 9);
 * ```
 */
export function parseProfile(json: unknown, at: InputLocation = {}): ProfileData {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new InputError("a profile must be a JSON object with prefill_* and decode_* arrays", at);
  }
  const o = json as Record<string, unknown>;
  const known = PROFILE_KEYS;
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw new InputError(`unknown key "${k}"; valid keys: ${known.join(", ")}`, at);
  }
  const prefillIsl = numbers(o.prefill_isl, "prefill_isl", at, 2, MAX_TOKENS);
  const prefillTtftMs = numbers(o.prefill_ttft_ms, "prefill_ttft_ms", at, 2, MAX_MS);
  if (prefillTtftMs.length !== prefillIsl.length) {
    throw new InputError(`has ${prefillTtftMs.length} values for ${prefillIsl.length} prefill_isl`, {
      ...at,
      field: "prefill_ttft_ms",
    });
  }
  ascending(prefillIsl, "prefill_isl", at);
  const active = numbers(o.decode_active_kv_tokens, "decode_active_kv_tokens", at, 2, MAX_TOKENS);
  const context = numbers(o.decode_context_length, "decode_context_length", at, 2, MAX_TOKENS);
  ascending(active, "decode_active_kv_tokens", at);
  ascending(context, "decode_context_length", at);
  const itl = o.decode_itl;
  if (itl === undefined) throw missing("decode_itl", at);
  if (!Array.isArray(itl) || itl.length !== active.length) {
    throw new InputError(`must have ${active.length} rows (one per decode_active_kv_tokens)`, {
      ...at,
      field: "decode_itl",
    });
  }
  const rows = itl.map((row, i) => {
    const r = numbers(row, `decode_itl[${i}]`, at, context.length, MAX_MS);
    if (r.length !== context.length) {
      throw new InputError(`must have ${context.length} values (one per decode_context_length)`, {
        ...at,
        field: `decode_itl[${i}]`,
      });
    }
    return r;
  });
  return {
    prefillIsl,
    prefillTtftMs,
    decodeActiveKvTokens: active,
    decodeContextLength: context,
    decodeItl: rows,
  };
}

/** Index `i` of the segment `[xs[i], xs[i+1]]` to interpolate (or extrapolate) `x` on. */
function segment(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  if (x <= xs[0]) return 0;
  if (x >= xs[hi]) return hi - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Linear interpolation with linear extrapolation beyond both ends. */
export function interp1(xs: readonly number[], ys: readonly number[], x: number): number {
  const i = segment(xs, x);
  const t = (x - xs[i]) / (xs[i + 1] - xs[i]);
  return ys[i] + t * (ys[i + 1] - ys[i]);
}

/** Bilinear interpolation with linear extrapolation on a rectilinear grid `z[i][j]` over `(xs[i], ys[j])`. */
export function interp2(
  xs: readonly number[],
  ys: readonly number[],
  z: readonly (readonly number[])[],
  x: number,
  y: number,
): number {
  const i = segment(xs, x);
  const j = segment(ys, y);
  const tx = (x - xs[i]) / (xs[i + 1] - xs[i]);
  const ty = (y - ys[j]) / (ys[j + 1] - ys[j]);
  const a = z[i][j] + ty * (z[i][j + 1] - z[i][j]);
  const b = z[i + 1][j] + ty * (z[i + 1][j + 1] - z[i + 1][j]);
  return a + tx * (b - a);
}

/**
 * A perf model interpolating a planner profile.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseProfile, profileModel } from "./profile.ts";
 * const m = profileModel(parseProfile({
 *   prefill_isl: [100, 1000], prefill_ttft_ms: [10, 50],
 *   decode_active_kv_tokens: [0, 1000], decode_context_length: [100, 1000], decode_itl: [[5, 6], [7, 9]],
 * }));
 * assert(m.prefillMs(2, 275, 0) === 30); // T = 550: 10 + 40 · 450/900
 * assert(m.decodeMs(4, 1000, 500) === 7.5);
 * ```
 */
export function profileModel(p: ProfileData): PerfModel {
  return {
    name: "profile",
    prefillMs(batch, meanIsl, meanPrefix) {
      const t = batch * (meanIsl - meanPrefix);
      if (t <= 0) return 0;
      return Math.max(0, interp1(p.prefillIsl, p.prefillTtftMs, t));
    },
    decodeMs(_batch, meanContext, activeKvTokens) {
      // The reference's 1 ms decode floor, also where the interpolation gives 0 or less.
      return Math.max(
        1,
        interp2(p.decodeActiveKvTokens, p.decodeContextLength, p.decodeItl, activeKvTokens, meanContext),
      );
    },
  };
}
