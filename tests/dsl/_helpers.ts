/**
 * Helpers for the DSL tests.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { RunOptions } from "../../lib/dsl/mod.ts";

/** The mini Mooncake trace (240 requests over two minutes, shared prefixes). */
export const MINI_TRACE: string = fileURLToPath(new URL("./fixtures/mini_trace.jsonl", import.meta.url));

/** Run options for tests: no cache, no progress, in this thread unless overridden. */
export const QUIET: RunOptions = { cache: false, quiet: true, parallelism: 1 };

/** A report without the CLI's wall-clock figures. */
export function withoutWallClock(report: Record<string, unknown>): Record<string, unknown> {
  const out = { ...report };
  for (const key of Object.keys(out)) {
    if (key === "wall_time_ms" || key.startsWith("processed_")) delete out[key];
  }
  return out;
}
