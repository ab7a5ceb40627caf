/**
 * Azure LLM inference traces (AzurePublicDataset 2023/2024): CSV rows `TIMESTAMP,ContextTokens,GeneratedTokens`.
 *
 * @module
 */
import { InputError, type InputLocation, shown } from "../common/errors.ts";
import { WorkloadBuilder } from "./builder.ts";
import { readLines } from "./lines.ts";
import { MAX_TOKENS, type Workload } from "./types.ts";
import { type WallClock, WallClockParser } from "./wall_clock.ts";

/** The columns an Azure trace must have (others, such as `NumImages`, are ignored). */
export const AZURE_COLUMNS = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"] as const;

/** Options for {@link loadAzure}. */
export interface AzureOptions {
  /** Engine block size to intern prompt blocks at. */
  readonly blockSize: number;
  /** Divides arrivals. Default 1. */
  readonly speedup?: number;
}

/**
 * Load an Azure LLM inference CSV trace into a {@link Workload}, streaming it.
 *
 * The header must name the three {@link AZURE_COLUMNS} (any order, extra columns ignored). `TIMESTAMP` is an
 * absolute wall-clock time, `YYYY-MM-DD hh:mm:ss[.fraction]` with up to 9 fractional digits and an optional
 * zone (`Z`, `+00:00`); arrivals are ms after the first row, which must be the earliest. The traces carry no
 * prefix information, so every request gets its own token blocks (no two requests share a block), and each
 * row is its own one-turn session. `GeneratedTokens` = 0 is replayed as 1 (a request always yields its first
 * token). A bad header or row throws an {@link InputError} naming the file, line and column.
 *
 * @example
 * ```ts ignore
 * import { loadAzure } from "./azure.ts";
 * const w = await loadAzure("AzureLLMInferenceTrace_code.csv", { blockSize: 64 });
 * ```
 */
export async function loadAzure(path: string, options: AzureOptions): Promise<Workload> {
  const builder = new WorkloadBuilder({ name: path.split("/").pop() ?? path, blockSize: options.blockSize });
  const clock = new WallClockParser();
  let columns: { count: number; time: number; input: number; output: number } | undefined;
  let first: WallClock | undefined;
  let firstText = "";
  let line = 0;
  const fail = (detail: string, field?: string) => new InputError(detail, { file: path, line, field });
  for await (const { text, number } of readLines(path)) {
    line = number;
    if (text.trim() === "") continue;
    const cells = text.split(",");
    if (columns === undefined) {
      columns = parseHeader(cells, { file: path, line: number });
      continue;
    }
    if (cells.length !== columns.count) {
      throw fail(`expected ${columns.count} comma-separated columns, got ${cells.length}`);
    }
    const stamp = cells[columns.time].trim();
    const time = clock.parse(stamp);
    if (time === undefined) {
      throw fail(
        `must be a time like 2023-11-16 18:17:03.9799600, got ${shown(stamp)}`,
        "TIMESTAMP",
      );
    }
    if (first === undefined) {
      first = time;
      firstText = stamp;
    }
    const arrivalMs = (time.seconds - first.seconds) * 1000 + (time.nanos - first.nanos) / 1e6;
    if (arrivalMs < 0) {
      throw fail(
        `${stamp} is earlier than the first row's ${firstText}; the rows must start with the earliest`,
        "TIMESTAMP",
      );
    }
    const input = count(cells[columns.input]);
    if (input < 1) {
      const got = JSON.stringify(cells[columns.input]);
      throw fail(`must be an integer from 1 to ${MAX_TOKENS}, got ${got}`, "ContextTokens");
    }
    const output = count(cells[columns.output]);
    if (output < 0) {
      const got = JSON.stringify(cells[columns.output]);
      throw fail(`must be an integer from 0 to ${MAX_TOKENS}, got ${got}`, "GeneratedTokens");
    }
    builder.add({
      arrivalMs,
      inputLength: input,
      outputLength: Math.max(1, output),
      tokenBlocks: "unique",
      at: { file: path, line },
    });
  }
  if (columns === undefined) throw new InputError("empty file: expected a header row", { file: path });
  if (builder.count === 0) throw new InputError("the trace has no requests", { file: path });
  return builder.build({ speedup: options.speedup });
}

function parseHeader(cells: string[], at: InputLocation) {
  const names = cells.map((c) => c.trim().replace(/^\uFEFF/, ""));
  const index = (name: string) => {
    const i = names.indexOf(name);
    if (i < 0) {
      throw new InputError(
        `missing column "${name}"; expected a header with ${AZURE_COLUMNS.join(",")}, found ${
          names.join(",")
        }`,
        { ...at, field: "header" },
      );
    }
    if (names.indexOf(name, i + 1) >= 0) {
      throw new InputError(`column "${name}" appears twice`, { ...at, field: "header" });
    }
    return i;
  };
  return {
    count: cells.length,
    time: index("TIMESTAMP"),
    input: index("ContextTokens"),
    output: index("GeneratedTokens"),
  };
}

/** A cell's integer value from 0 to {@link MAX_TOKENS}, or −1 when it is not one. */
function count(cell: string): number {
  const s = cell.trim();
  if (s.length === 0 || s.length > 15) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
  }
  const n = Number(s);
  return n <= MAX_TOKENS ? n : -1;
}

/**
 * Parse one timestamp as {@link loadAzure} does (see {@link WallClockParser}); throws an {@link InputError} at
 * `at` when it is not a valid time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseWallClock } from "./azure.ts";
 * const a = parseWallClock("2023-11-16 18:17:03.9799600"), b = parseWallClock("2023-11-16 18:17:04.0319600");
 * assert((b.seconds - a.seconds) * 1000 + (b.nanos - a.nanos) / 1e6 === 52);
 * ```
 */
export function parseWallClock(text: string, at: InputLocation = {}): WallClock {
  const time = new WallClockParser().parse(text);
  if (time === undefined) {
    throw new InputError(`must be a time like 2023-11-16 18:17:03.9799600, got ${shown(text)}`, at);
  }
  return time;
}
