/**
 * A planner profiler's results directory as a profile, converted as the reference mocker converts it
 * (`planner_profiler_perf_data_converter.py`, `convert_profile_results_to_npz`): the raw sweep points become
 * forward-pass samples, the planner's regressions are fitted on them (prefill: `a + b · tokens`; decode:
 * `a + b · batch + c · KV tokens`, a negative batch coefficient clipped to 0), and the fits are evaluated on a
 * regular grid of 100 points per axis: the profile's `prefill_isl`, `prefill_ttft_ms`,
 * `decode_active_kv_tokens`, `decode_context_length` and `decode_itl`.
 *
 * The directory holds `selected_prefill_interpolation/raw_data.npz` (`prefill_isl`, `prefill_ttft` in ms) or
 * the legacy `prefill_raw_data.json`, and `selected_decode_interpolation/raw_data.npz` (`x_kv_usage` as a share
 * of `max_kv_tokens`, `y_context_length`, `z_itl` in ms) or `decode_raw_data.json`. The regressions are the
 * planner's own (`lib/common/regression.ts`), as the reference's converter uses its planner's.
 *
 * @module
 */
import { pathExists } from "../common/files.ts";
import { InputError, type InputLocation } from "../common/errors.ts";
import { BucketedRegression } from "../common/regression.ts";
import { readJson } from "./json_file.ts";
import { readNpzFile } from "./npz.ts";

/** Grid points per axis, the converter's default `resolution`. */
const RESOLUTION = 100;

/** Whether `dir` holds a profiler's prefill and decode results (the reference's `is_profile_results_dir`). */
export async function isProfilerResults(dir: string): Promise<boolean> {
  const any = async (...paths: string[]) => {
    for (const p of paths) if (await pathExists(`${dir}/${p}`)) return true;
    return false;
  };
  return await any("selected_prefill_interpolation/raw_data.npz", "prefill_raw_data.json") &&
    await any("selected_decode_interpolation/raw_data.npz", "decode_raw_data.json");
}

/** One profiler point: its wall time (s) and the regression's features. */
interface Point {
  readonly x: readonly number[];
  readonly y: number;
}

/**
 * The profile a profiler results directory stands for, as the JSON object `parseProfile` reads (see the module
 * doc). Throws an {@link InputError} naming the file and array when a result is missing or malformed, or the
 * regressions cannot be fitted.
 */
export async function readProfilerResults(
  dir: string,
  at: InputLocation = {},
): Promise<Record<string, unknown>> {
  const prefill = await results(dir, "prefill", ["prefill_isl", "prefill_ttft"], at);
  const decode = await results(
    dir,
    "decode",
    ["x_kv_usage", "y_context_length", "z_itl", "max_kv_tokens"],
    at,
  );
  return profileFromPoints(prefillPoints(prefill), decodePoints(decode), at);
}

/**
 * The grid profile of prefill points `[tokens] → s` and decode points `[batch, KV tokens] → s`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { profileFromPoints } from "./profiler_results.ts";
 * const prefill = [1000, 2000, 4000].map((t) => ({ x: [t], y: 0.01 + t * 1e-5 }));
 * const decode = [[1, 1000], [8, 8000], [16, 32000]].map(([b, kv]) => ({ x: [b, kv], y: 0.005 + kv * 1e-7 }));
 * const p = profileFromPoints(prefill, decode) as Record<string, number[]>;
 * assert.equal(p.prefill_isl.length, 100);
 * assert(Math.abs(p.prefill_ttft_ms[99] - 50) < 1e-9); // 0.01 + 4000 × 1e-5 s
 * ```
 */
export function profileFromPoints(
  prefill: readonly Point[],
  decode: readonly Point[],
  at: InputLocation = {},
): Record<string, unknown> {
  const fit = (ndim: 1 | 2, points: readonly Point[], what: string) => {
    const r = new BucketedRegression(ndim, {
      maxSamples: points.length + 10,
      bucketCount: 16,
      minObservations: 1,
      clippable: ndim === 2 ? [0] : [],
    });
    for (const p of points) if (p.y !== 0) r.add(p.x, p.y);
    if (r.fit() === null) {
      throw new InputError(`cannot fit the planner's ${what} regression to the profiler's results`, at);
    }
    return r;
  };
  const pre = fit(1, prefill, "prefill"), dec = fit(2, decode, "decode");
  const isl = prefill.map((p) => p.x[0]);
  const prefillIsl = linspace(Math.min(...isl), Math.max(...isl));
  const maxKv = Math.max(...decode.map((p) => p.x[1]));
  const contexts = decode.filter((p) => p.x[0] > 0).map((p) => p.x[1] / Math.max(1, p.x[0]));
  const kvGrid = linspace(0, maxKv), ctxGrid = linspace(1, contexts.length ? Math.max(...contexts) : 8192);
  return {
    prefill_isl: prefillIsl,
    prefill_ttft_ms: prefillIsl.map((t) => pre.predict([t])! * 1000),
    decode_active_kv_tokens: kvGrid,
    decode_context_length: ctxGrid,
    decode_itl: kvGrid.map((kv) => ctxGrid.map((ctx) => dec.predict([Math.max(1, kv / ctx), kv])! * 1000)),
  };
}

/** Prefill points: one request of `prefill_isl` tokens in `prefill_ttft` ms. */
function prefillPoints(r: Record<string, number[]>): Point[] {
  return r.prefill_isl.map((isl, i) => ({ x: [Math.trunc(isl)], y: r.prefill_ttft[i] / 1000 }));
}

/** Decode points: `x_kv_usage × max_kv_tokens` KV tokens over batches of `KV / y_context_length` requests. */
function decodePoints(r: Record<string, number[]>): Point[] {
  const maxKv = Math.trunc(r.max_kv_tokens[0]);
  return r.x_kv_usage.map((usage, i) => {
    const kv = roundHalfEven(usage * maxKv), ctx = r.y_context_length[i];
    const batch = ctx > 0 ? Math.max(1, roundHalfEven(kv / ctx)) : 1;
    return { x: [batch, kv], y: r.z_itl[i] / 1000 };
  });
}

/** Python's `round`: halves to the even neighbour. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `RESOLUTION` evenly spaced values from `lo` to `hi`, as `numpy.linspace`. */
function linspace(lo: number, hi: number): number[] {
  return Array.from(
    { length: RESOLUTION },
    (_, i) => i === RESOLUTION - 1 ? hi : lo + (hi - lo) * i / (RESOLUTION - 1),
  );
}

/** One phase's arrays, from its `raw_data.npz` or its legacy JSON file, flattened and checked. */
async function results(
  dir: string,
  phase: "prefill" | "decode",
  keys: readonly string[],
  at: InputLocation,
): Promise<Record<string, number[]>> {
  const npzPath = `${dir}/selected_${phase}_interpolation/raw_data.npz`;
  const jsonPath = `${dir}/${phase}_raw_data.json`;
  let raw: unknown, file: string;
  if (await pathExists(npzPath)) {
    file = npzPath;
    raw = await readNpzFile(npzPath, keys, at);
  } else if (await pathExists(jsonPath)) {
    file = jsonPath;
    raw = await readJson(jsonPath, at);
  } else {
    throw new InputError(`no ${phase} results: neither ${npzPath} nor ${jsonPath} exists`, at);
  }
  const out: Record<string, number[]> = {};
  for (const key of keys) {
    const v = (raw as Record<string, unknown> | null)?.[key];
    const flat = (Array.isArray(v) ? v.flat() : [v]) as unknown[];
    if (!flat.length || !flat.every((x) => typeof x === "number" && Number.isFinite(x))) {
      throw new InputError("must be finite numbers", { ...at, file, field: key });
    }
    out[key] = flat as number[];
  }
  const n = out[keys[0]].length;
  for (const key of keys.slice(1, phase === "decode" ? 3 : 2)) {
    if (out[key].length !== n) {
      throw new InputError(`has ${out[key].length} values, ${keys[0]} ${n}`, { ...at, file, field: key });
    }
  }
  // The grid spans the points' range: it needs two prompt lengths, and some KV in use.
  if (phase === "prefill" && new Set(out.prefill_isl.map(Math.trunc)).size < 2) {
    throw new InputError("needs at least two distinct prompt lengths to fit the prefill regression on", {
      ...at,
      file,
      field: "prefill_isl",
    });
  }
  if (
    phase === "decode" && !out.x_kv_usage.some((u) => roundHalfEven(u * Math.trunc(out.max_kv_tokens[0])) > 0)
  ) {
    throw new InputError("no point holds any KV (x_kv_usage × max_kv_tokens rounds to 0 everywhere)", {
      ...at,
      file,
      field: "x_kv_usage",
    });
  }
  return out;
}
