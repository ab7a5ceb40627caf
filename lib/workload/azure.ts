/**
 * Azure LLM inference traces (AzurePublicDataset 2023/2024): CSV rows `TIMESTAMP,ContextTokens,GeneratedTokens`.
 *
 * @module
 */
import { InputError, type InputLocation } from "../common/errors.ts";
import { WorkloadBuilder } from "./builder.ts";
import { readLines } from "./lines.ts";
import type { Workload } from "./types.ts";

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
  let columns: { count: number; time: number; input: number; output: number } | undefined;
  let first: WallClock | undefined;
  let firstText = "";
  for await (const { text, number } of readLines(path)) {
    if (text.trim() === "") continue;
    const at: InputLocation = { file: path, line: number };
    const cells = text.split(",");
    if (columns === undefined) {
      columns = parseHeader(cells, at);
      continue;
    }
    if (cells.length !== columns.count) {
      throw new InputError(`expected ${columns.count} comma-separated columns, got ${cells.length}`, at);
    }
    const stamp = cells[columns.time].trim();
    const time = parseWallClock(stamp, { ...at, field: "TIMESTAMP" });
    if (first === undefined) {
      first = time;
      firstText = stamp;
    }
    const arrivalMs = (time.seconds - first.seconds) * 1000 + (time.nanos - first.nanos) / 1e6;
    if (arrivalMs < 0) {
      throw new InputError(
        `${stamp} is earlier than the first row's ${firstText}; the rows must start with the earliest`,
        {
          ...at,
          field: "TIMESTAMP",
        },
      );
    }
    const input = parseCount(cells[columns.input], 1, { ...at, field: "ContextTokens" });
    const output = parseCount(cells[columns.output], 0, { ...at, field: "GeneratedTokens" });
    builder.add({
      arrivalMs,
      inputLength: input,
      outputLength: Math.max(1, output),
      tokenBlocks: "unique",
      at,
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

function parseCount(cell: string, min: number, at: InputLocation): number {
  const s = cell.trim();
  const v = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(v) || v < min) {
    throw new InputError(`must be an integer ≥ ${min}, got ${JSON.stringify(s)}`, at);
  }
  return v;
}

/** A wall-clock instant as whole seconds since the Unix epoch (UTC) and nanoseconds within the second. */
export interface WallClock {
  readonly seconds: number;
  readonly nanos: number;
}

const STAMP =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * Parse `YYYY-MM-DD hh:mm:ss[.fffffffff][Z|±hh:mm]` (no zone means UTC) exactly, keeping sub-ms digits.
 * Throws an {@link InputError} at `at` when the text is not such a time or names an impossible date.
 *
 * @example
 * ```ts
 * import { parseWallClock } from "./azure.ts";
 * const a = parseWallClock("2023-11-16 18:17:03.9799600"), b = parseWallClock("2023-11-16 18:17:04.0319600");
 * console.assert((b.seconds - a.seconds) * 1000 + (b.nanos - a.nanos) / 1e6 === 52);
 * console.assert(parseWallClock("2024-05-10 00:00:00+02:00").seconds === Date.UTC(2024, 4, 9, 22) / 1000);
 * ```
 */
export function parseWallClock(text: string, at: InputLocation = {}): WallClock {
  const m = STAMP.exec(text);
  const bad = () =>
    new InputError(`must be a time like 2023-11-16 18:17:03.9799600, got ${JSON.stringify(text)}`, at);
  if (m === null) throw bad();
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(ms);
  if (
    check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 ||
    mi > 59 || s > 59
  ) throw bad();
  let seconds = ms / 1000;
  if (m[9] !== undefined) {
    const hh = Number(m[10]), mm = Number(m[11]);
    if (hh > 23 || mm > 59) throw bad();
    seconds -= (m[9] === "-" ? -1 : 1) * (hh * 3600 + mm * 60);
  }
  const nanos = m[7] === undefined ? 0 : Number(m[7].padEnd(9, "0"));
  return { seconds, nanos };
}
