/**
 * Reading AIC Parquet tables (ZSTD, one row group) with `hyparquet`. I/O edge: called from `loadPerfInputs`, the
 * fit script and benchmarks, never from the simulation core. Tables are cached per process by path.
 *
 * @module
 */
import { parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { InputError } from "../../common/errors.ts";
import { type Table, tableFromRows } from "./table.ts";

const cache = new Map<string, Promise<Table>>();

/**
 * Read a Parquet table (cached per process by path).
 *
 * @example
 * ```ts ignore
 * import { readParquetTable } from "./parquet.ts";
 * const t = await readParquetTable("systems/data/h200_sxm/gemm/vllm/0.24.0/gemm_perf.parquet");
 * ```
 */
export function readParquetTable(path: string): Promise<Table> {
  let p = cache.get(path);
  if (!p) {
    p = load(path);
    cache.set(path, p);
    p.catch(() => cache.delete(path));
  }
  return p;
}

async function load(path: string): Promise<Table> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new InputError(`cannot read table: ${(e as Error).message}`, { file: path });
  }
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    const rows = await parquetReadObjects({ file, compressors });
    return tableFromRows(rows as Record<string, unknown>[], path);
  } catch (e) {
    throw new InputError(`not a readable Parquet table: ${(e as Error).message}`, { file: path });
  }
}
