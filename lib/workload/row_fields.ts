/**
 * Readers of a trace row's fields (a JSON object), each throwing an {@link InputError} that names the file,
 * line and field. For an object nested in a row, give its path as `at.field` (`request.replay`): errors then
 * name `request.replay.input_length`.
 *
 * @module
 */
import { InputError, type InputLocation, shown } from "../common/errors.ts";
import { isObject } from "../common/json.ts";
import { MAX_TIME_MS, maxTimeText } from "./types.ts";

/**
 * Which of a field's two names the row uses: `name`, unless only `alias` is there; both is an error (the
 * reference's serde aliases refuse a duplicate field).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { aliased } from "./row_fields.ts";
 * assert.equal(aliased({ input_tokens: 5 }, "input_length", "input_tokens", {}), "input_tokens");
 * assert.equal(aliased({}, "input_length", "input_tokens", {}), "input_length");
 * assert.throws(
 *   () => aliased({ input_length: 5, input_tokens: 6 }, "input_length", "input_tokens", { file: "t.jsonl", line: 3 }),
 *   /t\.jsonl:3: input_tokens: duplicate of input_length \(its alias\); give one of them/,
 * );
 * ```
 */
export function aliased(
  row: Record<string, unknown>,
  name: string,
  alias: string,
  at: InputLocation,
): string {
  if (!(alias in row)) return name;
  if (name in row) {
    throw new InputError(`duplicate of ${name} (its alias); give one of them`, within(at, alias));
  }
  return alias;
}

/**
 * `row[field]`, an integer from `min` to `max` (default: any safe integer); absent (or null) is an error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requiredInteger } from "./row_fields.ts";
 * assert.equal(requiredInteger({ n: 3 }, "n", 1, {}), 3);
 * assert.throws(() => requiredInteger({}, "n", 1, { file: "t.jsonl", line: 2 }), /t\.jsonl:2: n: required/);
 * assert.throws(() => requiredInteger({ n: 0 }, "n", 1, {}), /n: must be an integer ≥ 1, got 0/);
 * assert.throws(() => requiredInteger({ n: 9 }, "n", 1, {}, 8), /n: must be an integer from 1 to 8, got 9/);
 * assert.throws(() => requiredInteger({}, "n", 1, { field: "outer" }), /outer\.n: required/);
 * ```
 */
export function requiredInteger(
  row: Record<string, unknown>,
  field: string,
  min: number,
  at: InputLocation,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  const v = optionalInteger(row, field, min, at, max);
  if (v === undefined) throw new InputError("required", within(at, field));
  return v;
}

/** `row[field]`, an integer from `min` to `max` (default: any safe integer), or undefined when absent (or null). */
export function optionalInteger(
  row: Record<string, unknown>,
  field: string,
  min: number,
  at: InputLocation,
  max: number = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const v = row[field];
  if (v === undefined || v === null) return undefined;
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new InputError(`must be an integer ${range}, got ${shown(v)}`, within(at, field));
  }
  return v as number;
}

/**
 * `row[field]`, a time in `unit` (ms by default): a number from 0 to {@link MAX_TIME_MS} ms, or undefined when
 * absent (or null).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optionalTime } from "./row_fields.ts";
 * assert.equal(optionalTime({ t: 2.5 }, "t", {}), 2.5);
 * assert.equal(optionalTime({}, "t", {}), undefined);
 * assert.throws(() => optionalTime({ t: -1 }, "t", {}), /t: must be a finite number of ms ≥ 0, got -1/);
 * assert.throws(() => optionalTime({ t: 1e10 }, "t", {}, "s"), /t: must be at most 8796093022\.208 s /);
 * ```
 */
export function optionalTime(
  row: Record<string, unknown>,
  field: string,
  at: InputLocation,
  unit: "ms" | "s" = "ms",
): number | undefined {
  const v = row[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    const what = unit === "s" ? "seconds" : "ms";
    throw new InputError(
      `must be a finite number of ${what} ≥ 0, got ${shown(v)}`,
      within(at, field),
    );
  }
  if (v > (unit === "s" ? MAX_TIME_MS / 1000 : MAX_TIME_MS)) {
    throw new InputError(`must be at most ${maxTimeText(unit)}, got ${v}`, within(at, field));
  }
  return v;
}

/**
 * `at` naming `field`, inside the object `at.field` names when it names one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { within } from "./row_fields.ts";
 * assert.equal(within({ line: 2 }, "request").field, "request");
 * assert.equal(within({ line: 2, field: "request" }, "replay").field, "request.replay");
 * ```
 */
export function within(at: InputLocation, field: string): InputLocation {
  return { ...at, field: at.field === undefined ? field : `${at.field}.${field}` };
}

/**
 * `row[key]`, an object; absent (or null) is an error saying `missing`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { objectField } from "./row_fields.ts";
 * assert.deepEqual(objectField({ o: { a: 1 } }, "o", {}), { a: 1 });
 * assert.throws(() => objectField({ o: [1] }, "o", { field: "request" }), /request\.o: must be an object/);
 * ```
 */
export function objectField(
  row: Record<string, unknown>,
  key: string,
  at: InputLocation,
  missing = "required, an object",
): Record<string, unknown> {
  const v = row[key];
  if (v === undefined || v === null) throw new InputError(missing, within(at, key));
  if (!isObject(v)) throw new InputError(`must be an object, got ${shown(v)}`, within(at, key));
  return v;
}

/**
 * `row[key]`, a non-empty string; absent (or null) is undefined, or an error when `required`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { textField } from "./row_fields.ts";
 * assert.equal(textField({ id: "a" }, "id", {}, true), "a");
 * assert.equal(textField({}, "id", {}, false), undefined);
 * assert.throws(() => textField({ id: "" }, "id", {}, false), /id: must be a non-empty string/);
 * ```
 */
export function textField(
  row: Record<string, unknown>,
  key: string,
  at: InputLocation,
  required: boolean,
): string | undefined {
  const v = row[key];
  if (v === undefined || v === null) {
    if (required) throw new InputError("required, a non-empty string", within(at, key));
    return undefined;
  }
  if (typeof v !== "string" || v === "") {
    throw new InputError(`must be a non-empty string, got ${shown(v)}`, within(at, key));
  }
  return v;
}
