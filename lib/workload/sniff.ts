/**
 * Telling a trace's format from its first line, to hint at the right format when a file fails to load as the
 * one it was given as.
 *
 * @module
 */
import { readLines } from "./lines.ts";
import type { TraceFormat } from "./spec.ts";

/**
 * The trace format a file's first non-blank line looks like, or undefined when it looks like none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sniffFormat } from "./sniff.ts";
 * assert.equal(sniffFormat('{"timestamp": 0, "input_length": 9, "output_length": 2, "hash_ids": [1]}'), "mooncake");
 * assert.equal(sniffFormat('{"schema": "dynamo.request.trace.v1", "request_id": "a"}'), "dynamo");
 * assert.equal(sniffFormat("TIMESTAMP,ContextTokens,GeneratedTokens"), "azure");
 * assert.equal(sniffFormat("hello"), undefined);
 * ```
 */
export function sniffFormat(line: string): TraceFormat | undefined {
  if (/^\uFEFF?"?timestamp"?\s*,/i.test(line)) return "azure";
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (row === null || typeof row !== "object" || Array.isArray(row)) return undefined;
  const has = (key: string) => Object.hasOwn(row, key);
  const schema = (row as { schema?: unknown }).schema;
  if (schema === "dynamo.request.trace.v1") return "dynamo";
  if (schema === "dynamo.agentic_mooncake") return "agentic_mooncake";
  if (has("requests") && has("block_size")) return "kv_cache_tester";
  if (has("num_turns") && has("input_prompt_length")) return "applied_compute_agentic";
  if (has("hash_ids") && has("request_id")) return "agentic_mooncake";
  if (has("hash_ids")) return "mooncake";
  return undefined;
}

/** The format of the first non-blank line of `path` ({@link sniffFormat}), or undefined if unreadable. */
export async function sniffFile(path: string): Promise<TraceFormat | undefined> {
  try {
    for await (const { text } of readLines(path)) if (text.trim() !== "") return sniffFormat(text);
  } catch {
    // Unreadable: the loader's own error says why.
  }
  return undefined;
}
