/**
 * Narrowing parsed JSON.
 *
 * @module
 */

/** A parsed JSON object. */
export type Json = Record<string, unknown>;

/**
 * Whether `v` is a JSON object (not null, not an array).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isObject } from "./json.ts";
 * assert(isObject({ a: 1 }) && !isObject([1]) && !isObject(null));
 * ```
 */
export function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Set `value` at `path` in `node`, creating the mappings missing on the way. Returns the key whose value is in
 * the way (present but not a mapping), or undefined once the value is set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { setPath } from "./json.ts";
 * const doc = { a: { b: 1 } };
 * assert.equal(setPath(doc, ["a", "c", "d"], 2), undefined);
 * assert.deepEqual(doc, { a: { b: 1, c: { d: 2 } } });
 * assert.equal(setPath(doc, ["a", "b", "x"], 3), "b");
 * ```
 */
export function setPath(node: Json, path: readonly string[], value: unknown): string | undefined {
  let at = node;
  for (const key of path.slice(0, -1)) {
    const next = at[key] ?? (at[key] = {});
    if (!isObject(next)) return key;
    at = next;
  }
  at[path[path.length - 1]] = value;
  return undefined;
}

/** The most characters one chunk of a chunked text holds (far below V8's string limit of about 2^29). */
const CHUNK_CHARS = 1 << 24;

/**
 * Text pieces gathered into chunks of about `size` characters (a piece is never split): a file can be larger
 * than one string may be (the JSON Lines of some 600,000 requests).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Chunks } from "./json.ts";
 * const c = new Chunks(4);
 * for (const piece of ["ab", "c", "de", "f", "g"]) c.push(piece);
 * assert.deepEqual(c.done(), ["abcde", "fg"]);
 * ```
 */
export class Chunks {
  readonly #size: number;
  readonly #chunks: string[] = [];
  #parts: string[] = [];
  #length = 0;

  /** @param size Characters after which a chunk is closed (default 2^24). */
  constructor(size = CHUNK_CHARS) {
    this.#size = size;
  }

  /** Append `text`. */
  push(text: string): void {
    this.#parts.push(text);
    this.#length += text.length;
    if (this.#length >= this.#size) this.#flush();
  }

  /** The chunks, all appended text in order. */
  done(): string[] {
    this.#flush();
    return this.#chunks;
  }

  #flush(): void {
    if (this.#parts.length) this.#chunks.push(this.#parts.join(""));
    this.#parts = [];
    this.#length = 0;
  }
}

/**
 * `rows` as JSON Lines, each row's JSON and a newline, in chunks ({@link Chunks}; none at all for no rows).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jsonLines } from "./json.ts";
 * assert.equal(jsonLines([{ a: 1 }, { a: 2 }]).join(""), '{"a":1}\n{"a":2}\n');
 * assert.deepEqual(jsonLines([]), []);
 * ```
 */
export function jsonLines(rows: readonly unknown[]): string[] {
  const out = new Chunks();
  for (const r of rows) out.push(JSON.stringify(r) + "\n");
  return out.done();
}
