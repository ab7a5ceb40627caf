/**
 * Readers of single `replay` flag values: numbers, integers, enums (trace format, router mode) and JSON
 * objects (inline or from a file), each throwing an {@link InputError} that names the flag.
 *
 * @module
 */
import { readTextSync } from "../common/files.ts";
import type { z } from "zod";
import { parseConfig, parseJsonText } from "../common/config.ts";
import { InputError, suggest } from "../common/errors.ts";
import type { TraceFormat } from "../workload/mod.ts";
import type { Values } from "./flag_defs.ts";
import { own } from "../common/own.ts";

const TRACE_FORMAT_NAMES: Record<string, TraceFormat> = {
  "mooncake": "mooncake",
  "mooncake-delta": "mooncake_delta",
  "mooncake_delta": "mooncake_delta",
  "agentic_mooncake": "agentic_mooncake",
  "agentic-mooncake": "agentic_mooncake",
  "applied_compute_agentic": "applied_compute_agentic",
  "azure": "azure",
  "kv_cache_tester": "kv_cache_tester",
  "kv-cache-tester": "kv_cache_tester",
  "dynamo": "dynamo",
};
const REFERENCE_ONLY_FORMATS = ["weka"];
const SUPPORTED =
  "mooncake, mooncake-delta, agentic_mooncake, applied_compute_agentic, dynamo, azure, kv_cache_tester";

/** `--trace-format`: a supported format name (aliases folded), or undefined when not given. */
export function traceFormat(value: string | undefined): TraceFormat | undefined {
  if (value === undefined) return undefined;
  const format = own(TRACE_FORMAT_NAMES, value);
  if (format) return format;
  if (REFERENCE_ONLY_FORMATS.includes(value)) {
    throw new InputError(`trace format "${value}" is not supported yet; supported: ${SUPPORTED}`, {
      field: "--trace-format",
    });
  }
  const hint = suggest(value, Object.keys(TRACE_FORMAT_NAMES));
  throw new InputError(
    `unknown trace format "${value}"` + (hint ? ` (did you mean ${hint}?)` : "") +
      `; expected one of: ${SUPPORTED}`,
    { field: "--trace-format" },
  );
}

/** `--router-mode`: one of the supported modes, or undefined when not given. */
export function routerMode(value: string | undefined): "round_robin" | "random" | "kv_router" | undefined {
  if (value === undefined) return undefined;
  if (value === "round_robin" || value === "random" || value === "kv_router") return value;
  throw new InputError(`invalid value "${value}"; expected one of: round_robin, kv_router, random`, {
    field: "--router-mode",
  });
}

/**
 * Why a config flag's value that is not inline JSON and cannot be read as a file was refused: inline JSON that
 * is not an object (`[1, 2]`, `5`) says so; anything else is an unreadable path.
 */
export function unreadableConfig(raw: string, files: string): string {
  try {
    JSON.parse(raw);
    return `must be a JSON object ({...}) or a path to ${files}, got ${raw}`;
  } catch {
    return `expected inline JSON or a path to ${files}; cannot read "${raw}"`;
  }
}

/** A JSON flag's value (inline JSON, or a path to a JSON file), validated by `schema`. */
export function jsonFlag<S extends z.ZodType>(v: Values, flag: keyof Values, schema: S): z.output<S> {
  const { value, file } = jsonObjectFlag(v, flag);
  return parseConfig(schema, value, `--${flag}`, { file });
}

/** A JSON flag's object (inline JSON, or a path to a JSON file) and the file it came from, unvalidated. */
export function jsonObjectFlag(
  v: Values,
  flag: keyof Values,
): { value: Record<string, unknown>; file: string | undefined } {
  const raw = String(v[flag]).trim();
  let text = raw;
  let file: string | undefined;
  if (!raw.startsWith("{")) {
    file = raw;
    try {
      text = readTextSync(raw);
    } catch {
      throw new InputError(unreadableConfig(raw, "a JSON file"), { field: `--${flag}` });
    }
  }
  const value = parseJsonText(text, { file, field: `--${flag}` });
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InputError("must be a JSON object", { file, field: `--${flag}` });
  }
  return { value: value as Record<string, unknown>, file };
}

/** A numeric flag's value, or undefined when not given. */
export function optionalNumber(v: Values, flag: keyof Values): number | undefined {
  const raw = v[flag];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  // Decimal notation only, as Python's float() reads it: no hexadecimal, binary or octal literals.
  if (!DECIMAL.test(String(raw).trim()) || !Number.isFinite(n)) {
    throw new InputError(`expected a number, got "${raw}"`, { field: `--${flag}` });
  }
  return n;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** An integer flag's value of at least `min`, or undefined when not given. */
export function optionalInt(v: Values, flag: keyof Values, min: number): number | undefined {
  const n = optionalNumber(v, flag);
  if (n === undefined) return undefined;
  // Digits only, as Python's int() reads them: "1e3" and "2.0" are not integers there.
  if (!/^[+-]?\d+$/.test(String(v[flag]).trim()) || !Number.isInteger(n) || n < min) {
    throw new InputError(`expected an integer ≥ ${min}, got "${v[flag]}"`, { field: `--${flag}` });
  }
  return n;
}
