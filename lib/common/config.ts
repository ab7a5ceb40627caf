/**
 * Parsing configs with zod schemas into clear, located errors.
 *
 * Every config in dynolab (engine args, router config, planner config, the simulation spec) is a zod schema with
 * strict keys and its defaults in the schema. `parseConfig` turns zod's issues into one {@link InputError} that
 * names the field, lists the valid keys or values, and suggests the closest key for a typo.
 *
 * @module
 */
import type { z } from "zod";
import { parseDocument } from "yaml";
import { InputError, type InputLocation, shown, suggest } from "./errors.ts";

/**
 * Parse `value` with `schema`; on failure throw an {@link InputError} naming the first bad field.
 *
 * @param what Human name of the config, used as the field prefix (e.g. `engine args`; empty: none).
 * @param at Where the value came from (file or flag), for the message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "zod";
 * import { parseConfig } from "./config.ts";
 * const schema = z.strictObject({ block_size: z.number().default(64) });
 * assert(parseConfig(schema, {}, "engine args").block_size === 64);
 * try {
 *   parseConfig(schema, { blok_size: 1 }, "engine args");
 * } catch (e) {
 *   assert(String(e).includes("did you mean block_size"));
 * }
 * ```
 */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  at: InputLocation = {},
): z.output<S> {
  const reserved = reservedKeyPath(value);
  if (reserved) {
    throw new InputError('cannot be a key: JavaScript objects reserve "__proto__"; rename it', {
      ...at,
      field: at.field ?? [what, ...reserved].filter(Boolean).join("."),
    });
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.path.map(String);
  const field = [what, ...path].filter(Boolean).join(".");
  throw new InputError(describeIssue(issue, schema, path, value), {
    ...at,
    field: at.field ?? (field || undefined),
  });
}

/** The value at `path` in `root` (undefined where the path leaves it). */
function valueAt(root: unknown, path: readonly string[]): unknown {
  let v = root;
  for (const key of path) {
    v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
  }
  return v;
}

/** A value as an error message shows it ({@link shown}), cut to 40 characters. */
function shownShort(v: unknown): string {
  const text = shown(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * The path to the first own `__proto__` key in `value` (JSON and YAML parsers keep it as a key; zod's records
 * would drop it without a word), or undefined.
 */
function reservedKeyPath(value: unknown): string[] | undefined {
  const stack: [unknown, string[]][] = [[value, []]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (Object.hasOwn(v, "__proto__")) return [...path, "__proto__"];
    for (const [k, child] of Object.entries(v)) {
      if (typeof child === "object") stack.push([child, [...path, k]]);
    }
  }
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue, schema: z.ZodType, path: string[], value: unknown): string {
  switch (issue.code) {
    case "unrecognized_keys": {
      const valid = objectKeys(schema, path);
      const [key] = issue.keys;
      const hint = valid ? suggest(key, valid) : undefined;
      return `unknown key "${key}"` + (hint ? ` (did you mean ${hint}?)` : "") +
        (valid ? `; valid keys: ${valid.join(", ")}` : "");
    }
    case "invalid_value":
      // A schema's own message (why a value is refused) says more than the list of the allowed ones.
      return issue.message.startsWith("Invalid")
        ? `invalid value; expected one of: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`
        : issue.message;
    case "invalid_type":
      if (/ received undefined$/.test(issue.message)) return `required (${issue.expected})`;
      return issue.message.startsWith("Invalid input")
        ? `expected ${/^[aeiou]/.test(issue.expected) ? "an" : "a"} ${issue.expected}, got ${
          shownShort(valueAt(value, path))
        }`
        : issue.message;
    case "invalid_union": {
      const options = unionOptions(schema, path);
      return options ? `invalid value; expected one of: ${options.join(", ")}` : issue.message;
    }
    case "too_small":
    case "too_big":
      return issue.message.startsWith("Too ") ? boundMessage(issue) : issue.message;
    default:
      return issue.message;
  }
}

/** A bound in words, for zod's default `Too small`/`Too big` messages: `must be ≥ 1`, `needs at most 8 items`. */
function boundMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === "too_small";
  const bound = Number(small ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case "string":
      return small
        ? (bound <= 1 ? "must not be empty" : `needs at least ${bound} characters`)
        : `needs at most ${bound} characters`;
    case "array":
    case "set":
      return `needs ${small ? "at least" : "at most"} ${bound} item${bound === 1 ? "" : "s"}`;
    default:
      return `must be ${small ? (inclusive ? "≥" : ">") : (inclusive ? "≤" : "<")} ${bound}`;
  }
}

/** Keys of the object schema found at `path` inside `schema` (through wrappers), if any. */
function objectKeys(schema: z.ZodType, path: string[]): string[] | undefined {
  const node = schemaAt(schema, path) as Shaped | undefined;
  const shapes = node?.shape
    ? [node.shape]
    : (node?.options ?? []).map((o) => (unwrap(o) as Shaped).shape ?? {});
  const keys = new Set(shapes.flatMap((shape) => Object.keys(shape)));
  return keys.size ? [...keys].sort() : undefined;
}

function unionOptions(schema: z.ZodType, path: string[]): string[] | undefined {
  const node = schemaAt(schema, path) as { options?: unknown[] } | undefined;
  if (!node?.options) return undefined;
  const literals = node.options.flatMap((o) => {
    const values = (unwrap(o as z.ZodType) as { values?: Set<unknown> }).values;
    return values ? [...values].map((v) => JSON.stringify(v)) : [];
  });
  return literals.length ? literals : undefined;
}

/**
 * Whether `schema` holds an integer at `path` (a `z.number().int()` leaf, through wrappers and unions).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "zod";
 * import { isIntegerAt } from "./config.ts";
 * const schema = z.object({ a: z.object({ n: z.number().int().optional(), x: z.number() }) });
 * assert.deepEqual([isIntegerAt(schema, ["a", "n"]), isIntegerAt(schema, ["a", "x"])], [true, false]);
 * ```
 */
export function isIntegerAt(schema: z.ZodType, path: readonly string[]): boolean {
  return (schemaAt(schema, [...path]) as { isInt?: boolean } | undefined)?.isInt === true;
}

/**
 * The sub-schema at `path`, looking through wrappers, into the union member that has each key, and into the
 * elements of arrays and the values of records.
 */
function schemaAt(schema: z.ZodType, path: string[]): z.ZodType | undefined {
  let node: z.ZodType | undefined = unwrap(schema);
  for (const key of path) {
    const def: Container | undefined = (node as { def?: Container }).def;
    const shape = shapeWith(node, key);
    const inner: z.ZodType | undefined = def?.type === "array"
      ? def.element
      : def?.type === "record"
      ? def.valueType
      : shape?.[key];
    node = inner && unwrap(inner);
    if (!node) return undefined;
  }
  return node;
}

/** The parts of an array's or a record's definition that hold its items' schema. */
type Container = { type?: string; element?: z.ZodType; valueType?: z.ZodType };

type Shaped = { shape?: Record<string, z.ZodType>; options?: z.ZodType[] };

function shapeWith(node: z.ZodType | undefined, key: string): Record<string, z.ZodType> | undefined {
  const n = node as Shaped | undefined;
  if (n?.shape?.[key]) return n.shape;
  for (const option of n?.options ?? []) {
    const found = shapeWith(unwrap(option), key);
    if (found) return found;
  }
  return undefined;
}

function unwrap(schema: z.ZodType): z.ZodType {
  type Node = { def?: { type?: string; innerType?: Node; in?: Node; out?: Node } };
  let node = schema as unknown as Node;
  for (let i = 0; i < 8; i++) {
    // A preprocess step (a pipe from a transform) validates with its output schema.
    const pipeOut = node.def?.type === "pipe" && node.def.in?.def?.type === "transform"
      ? node.def.out
      : undefined;
    const inner = node.def?.innerType ?? pipeOut ?? node.def?.in;
    if (!inner) break;
    node = inner as unknown as typeof node;
  }
  return node as unknown as z.ZodType;
}

/**
 * A YAML parser's error message in one line: its first, which says what is wrong and at which line and column
 * (the rest is an excerpt of the text).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parse } from "yaml";
 * import { yamlProblem } from "./config.ts";
 * assert.throws(() => parse("a: [1"), (e) => /^[^\n]* at line 1, column 6$/.test(yamlProblem(e)));
 * ```
 */
export function yamlProblem(e: unknown): string {
  return String((e as Error).message).split("\n")[0].replace(/:\s*$/, "");
}

/**
 * The first key a JSON object `text` gives twice (JSON.parse would keep the last silently; the reference's
 * serde refuses it), with its line; undefined when every key is given once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { duplicateKey } from "./config.ts";
 * assert.deepEqual(duplicateKey('{\n"a": 1,\n"b": {"c": 2},\n"a": 3\n}'), { key: "a", line: 4 });
 * assert.equal(duplicateKey('{"a": {"a": 1}}'), undefined);
 * ```
 */
export function duplicateKey(text: string): { key: string; line: number } | undefined {
  const error = parseDocument(text, { uniqueKeys: true }).errors.find((e) => e.code === "DUPLICATE_KEY");
  if (error === undefined) return undefined;
  const key = /^"((?:[^"\\]|\\.)*)"/.exec(text.slice(error.pos[0]))?.[1] ??
    text.slice(error.pos[0], error.pos[1]);
  return { key, line: error.linePos?.[0].line ?? 1 };
}

/**
 * JSON `text` parsed, as a config is: malformed JSON, or a key given twice ({@link rejectDuplicateKeys}), is an
 * {@link InputError} at `at`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonText } from "./config.ts";
 * assert.deepEqual(parseJsonText('{"a": 1}', {}), { a: 1 });
 * assert.throws(() => parseJsonText('{"a": 1,}', { field: "--x" }), /--x: malformed JSON/);
 * assert.throws(() => parseJsonText('{"a": 1, "a": 2}', { field: "--x" }), /"a" is given twice/);
 * ```
 */
export function parseJsonText(text: string, at: InputLocation): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(`malformed JSON: ${(e as Error).message}`, at);
  }
  rejectDuplicateKeys(text, at);
  return value;
}

/**
 * Throw an {@link InputError} at `at` (with the line when `at` names a file) if JSON object `text` gives a key
 * twice ({@link duplicateKey}).
 */
export function rejectDuplicateKeys(text: string, at: InputLocation): void {
  const dup = duplicateKey(text);
  if (dup === undefined) return;
  const where = at.file !== undefined ? { ...at, line: dup.line } : at;
  throw new InputError(`key "${dup.key}" is given twice; give it once`, where);
}
