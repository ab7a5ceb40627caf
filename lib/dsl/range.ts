/**
 * Sweep values: `range(start, stop, step)`, inclusive of `stop` like the shell's `seq`, and
 * `around(center, spread, count)`, a band of values either side of one point.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";

/**
 * The values `start, start + step, …` up to and **including** `stop` (like `seq start step stop`, unlike
 * Python's `range`). `step` defaults to 1 (or −1 when `stop < start`); its sign must lead from `start` towards
 * `stop`. Values are computed as `start + i × step` and rounded to the decimals `start` and `step` are written
 * with, so `range(0, 1, 0.1)` ends at exactly 1 rather than drifting, and `range(1e12, 1e12 + 3)` keeps its
 * four distinct values. A step of 0, a step of the wrong sign and non-finite bounds are
 * errors (an {@link InputError}); `range(5, 5)` is `[5]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { range } from "./range.ts";
 * const startup = range(0, 300, 10);
 * assert(startup.length === 31 && startup[0] === 0 && startup[30] === 300);
 * assert(range(1, 4).join() === "1,2,3,4");
 * assert(range(10, 0, -5).join() === "10,5,0");
 * assert(range(0, 1, 0.25).join() === "0,0.25,0.5,0.75,1");
 * assert(range(0, 10, 3).join() === "0,3,6,9"); // stops at the last value ≤ stop
 * assert(range(1e12, 1e12 + 2).join() === "1000000000000,1000000000001,1000000000002");
 * assert(range(0, 2.9999999999, 1).join() === "0,1,2"); // never past stop
 * ```
 */
export function range(start: number, stop: number, step?: number): number[] {
  const s = step ?? (stop >= start ? 1 : -1);
  for (const [name, v] of [["start", start], ["stop", stop], ["step", s]] as const) {
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new InputError(`must be a finite number, got ${v}`, { field: `range ${name}` });
    }
  }
  if (s === 0) throw new InputError("must not be 0", { field: "range step" });
  if (stop !== start && Math.sign(stop - start) !== Math.sign(s)) {
    throw new InputError(
      `${s} goes away from stop (range(${start}, ${stop}, ${s}) would be empty); ` +
        `use a ${s > 0 ? "negative" : "positive"} step`,
      { field: "range step" },
    );
  }
  const count = Math.floor((stop - start) / s + 1e-9) + 1;
  if (count > 1_000_000) {
    throw new InputError(`${count} values is too many for a sweep`, { field: "range" });
  }
  const digits = Math.min(100, Math.max(decimals(start), decimals(s)));
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(Number((start + i * s).toFixed(digits)));
  // The tolerance that keeps `stop` despite float drift may admit one value just past it, which rounding to
  // `start`'s and `step`'s decimals did not bring back.
  if ((out[count - 1] - stop) * Math.sign(s) > 0) out.pop();
  return out;
}

/** Digits after the decimal point in `x`'s shortest form (`0.25` → 2, `1e-7` → 7, `300` → 0). */
function decimals(x: number): number {
  const [mantissa, exponent = "0"] = String(x).split("e");
  return Math.max(0, (mantissa.split(".")[1]?.length ?? 0) - Number(exponent));
}

/**
 * `count` values evenly spaced within `±spread` (relative) of `center`, `center` among them when `count` is
 * odd: a band to sweep around one point and see whether what it shows holds nearby. A planner study that
 * reports one run per pace can sit on a knife edge (a GPU budget reached or not); the same study a per cent
 * either side says so. Values are rounded to 12 significant digits. `spread` must lie in [0, 1), `count` be
 * an integer from 1 (just `center`) to 1,000; a center of 0 has no band relative to it (a `spread` above 0 is
 * an error there).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { around } from "./range.ts";
 * assert.deepEqual(around(4, 0.01), [3.96, 3.98, 4, 4.02, 4.04]);
 * assert.deepEqual(around(100, 0.1, 3), [90, 100, 110]);
 * assert.deepEqual(around(7, 0.2, 1), [7]);
 * assert.throws(() => around(4, 1), /spread/);
 * ```
 */
export function around(center: number, spread: number, count = 5): number[] {
  if (!Number.isFinite(center)) {
    throw new InputError(`must be a finite number, got ${center}`, { field: "around center" });
  }
  if (!(spread >= 0 && spread < 1)) {
    throw new InputError(`must be in [0, 1) (a fraction of center), got ${spread}`, {
      field: "around spread",
    });
  }
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw new InputError(`must be an integer from 1 to 1,000, got ${count}`, { field: "around count" });
  }
  if (count === 1) return [center];
  if (center === 0 && spread > 0) {
    throw new InputError("0 has no band relative to it: sweep explicit values instead", {
      field: "around center",
    });
  }
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Number((center * (1 + spread * (2 * i / (count - 1) - 1))).toPrecision(12)));
  }
  return out;
}
