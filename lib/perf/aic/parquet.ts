/**
 * Reading AIC Parquet tables (ZSTD, one row group) with `hyparquet`. I/O edge: called from `loadPerfInputs`, the
 * fit script and benchmarks, never from the simulation core. Tables are cached per process by path and checked
 * against the file on every read (a `stat`, `fileIdentity` as the DSL's file digests use it), so an edited
 * table is read afresh.
 *
 * @module
 */
import { parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { InputError } from "../../common/errors.ts";
import { fileIdentity, settledFile } from "../../common/files.ts";
import { type Table, tableFromRows } from "./table.ts";

/** A table read, with the identity of the file it was read from and whether that identity can be trusted. */
interface Entry {
  readonly identity: string;
  /** False when the file changed too recently for its timestamps to show a further change (or while read). */
  trusted: boolean;
  readonly table: Promise<Table>;
}

const cache = new Map<string, Entry>();

/**
 * Read a Parquet table, cached per process by path while the file keeps its identity (size, mtime, ctime,
 * inode): a file rewritten since, even to the same size with its mtime restored, is read again.
 *
 * @example
 * ```ts ignore
 * import { readParquetTable } from "./parquet.ts";
 * const t = await readParquetTable("systems/data/h200_sxm/gemm/vllm/0.24.0/gemm_perf.parquet");
 * ```
 */
export async function readParquetTable(path: string): Promise<Table> {
  const now = Date.now();
  let info: Deno.FileInfo | undefined;
  try {
    info = await Deno.stat(path);
  } catch { /* load() says why it cannot be read */ }
  const known = cache.get(path);
  const identity = info ? fileIdentity(info) : "";
  if (known && known.trusted && info && known.identity === identity) return await known.table;
  const entry: Entry = {
    identity,
    trusted: info !== undefined && settledFile(info, now),
    table: load(path, async () => {
      // Changed while it was read: the next read checks the content again.
      if (!info || fileIdentity(await Deno.stat(path)) !== identity) entry.trusted = false;
    }),
  };
  cache.set(path, entry);
  entry.table.catch(() => {
    if (cache.get(path) === entry) cache.delete(path);
  });
  return await entry.table;
}

async function load(path: string, afterRead: () => Promise<void>): Promise<Table> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
    await afterRead();
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
