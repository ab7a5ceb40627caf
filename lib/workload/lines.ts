/**
 * Streaming line reader for trace files (plain or gzip), so multi-GB traces never sit in memory as text.
 *
 * @module
 */
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { InputError, type InputLocation } from "../common/errors.ts";

/** One line of a file with its 1-based number. */
export interface Line {
  readonly text: string;
  readonly number: number;
}

/**
 * Yield the lines of `path`, decompressing when it ends in `.gz`. A missing file is an {@link InputError}.
 *
 * @example
 * ```ts ignore
 * import { readLines } from "./lines.ts";
 * for await (const { text, number } of readLines("trace.jsonl")) console.log(number, text);
 * ```
 */
export async function* readLines(path: string): AsyncGenerator<Line> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new InputError("no such file", { file: path });
    if (e instanceof Deno.errors.IsADirectory) {
      throw new InputError("is a directory, not a trace file", { file: path });
    }
    throw new InputError(`cannot open: ${(e as Error).message}`, { file: path });
  }
  if ((await file.stat()).isDirectory) { // Linux opens a directory; reading it fails
    file.close();
    throw new InputError("is a directory, not a trace file", { file: path });
  }
  // node:zlib reads every member of a multi-member gzip (`cat a.gz b.gz`), which DecompressionStream refuses.
  const source = path.endsWith(".gz") ? Readable.fromWeb(file.readable) : undefined;
  const chunks: AsyncIterable<Uint8Array> = source ? source.pipe(createGunzip()) : file.readable;
  const decoder = new TextDecoder();
  let carry = "";
  let number = 0;
  try {
    for await (const bytes of chunks) {
      const chunk = decoder.decode(bytes, { stream: true });
      let start = 0;
      let nl = chunk.indexOf("\n");
      if (nl < 0) {
        carry += chunk;
        continue;
      }
      let head = carry + chunk.slice(0, nl);
      carry = "";
      for (;;) {
        number++;
        yield { text: head.endsWith("\r") ? head.slice(0, -1) : head, number };
        start = nl + 1;
        nl = chunk.indexOf("\n", start);
        if (nl < 0) break;
        head = chunk.slice(start, nl);
      }
      carry = chunk.slice(start);
    }
    carry += decoder.decode();
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read (corrupt or truncated?): ${(e as Error).message}`, {
      file: path,
      line: number + 1,
    });
  } finally {
    source?.destroy(); // a reader that stops early (a format sniff, an error) leaves no gunzip running
  }
  if (carry.length > 0) yield { text: carry.endsWith("\r") ? carry.slice(0, -1) : carry, number: number + 1 };
}

/**
 * Parse one JSON Lines line; malformed JSON throws an {@link InputError} at `at`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonLine } from "./lines.ts";
 * assert.deepEqual(parseJsonLine("[1]", { file: "t.jsonl", line: 3 }), [1]);
 * assert.throws(() => parseJsonLine("{", { file: "t.jsonl", line: 3 }), /t\.jsonl:3: malformed JSON/);
 * assert.throws(() => parseJsonLine('{"a" 1}', { file: "t.jsonl", line: 3 }), /at column 6$/);
 * ```
 */
export function parseJsonLine(text: string, at: InputLocation): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8 counts lines within the line it parsed: its "line 1" is the location's line, named already.
    const message = (e as Error).message.replace(
      / at position \d+ \(line 1 column (\d+)\)$/,
      " at column $1",
    );
    throw new InputError(`malformed JSON: ${message}`, at);
  }
}

/** {@link parseJsonLine} for a line that must hold one JSON object (one row). */
export function parseObjectLine(text: string, at: InputLocation): Record<string, unknown> {
  const row = parseJsonLine(text, at);
  if (row === null || typeof row !== "object" || Array.isArray(row)) {
    throw new InputError("each line must be a JSON object", at);
  }
  return row as Record<string, unknown>;
}
