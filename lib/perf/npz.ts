/**
 * A small, dependency-free reader for NumPy `.npz` archives (what `np.savez` and `np.savez_compressed` write),
 * enough to read a planner profile (`planner_profile_data`) the way the reference mocker does.
 *
 * An `.npz` is a ZIP archive with one `.npy` file per array (`<name>.npy`). The ZIP side reads the
 * end-of-central-directory record (and its ZIP64 form), the central directory and the local headers; members
 * are stored (method 0) or deflated (method 8, inflated with `DecompressionStream("deflate-raw")`), and their
 * CRC-32 is checked. Sizes come from the central directory, with the ZIP64 extra field (header id `0x0001`)
 * read where a size or offset is saturated at `0xFFFFFFFF` — numpy opens every member with `force_zip64=True`,
 * so its local headers always hold saturated sizes.
 *
 * The `.npy` side reads format versions 1.0, 2.0 and 3.0 and numeric arrays of the dtypes `f8 f4 i8 i4 i2 i1
 * u8 u4 u2 u1 b1`, either byte order, C or Fortran order, any rank; values come back as a `Float64Array` in C
 * order (64-bit integers beyond 2^53 lose precision). Other dtypes (strings, objects, structured arrays) are
 * skipped unless asked for by name.
 *
 * Everything here is pure: it takes bytes and throws {@link InputError} for what it cannot read (a file that is
 * not a ZIP archive, a damaged member, an unsupported dtype of an array asked for), at the location given.
 *
 * @module
 */
import { InputError, type InputLocation } from "../common/errors.ts";

/** One array of an `.npz` (or one `.npy` file). */
export interface NpyArray {
  /** The numpy dtype descriptor as written, e.g. `<f8`. */
  readonly dtype: string;
  /** The shape; `[]` for a 0-d array. */
  readonly shape: readonly number[];
  /** The values in C (row-major) order, whatever order the file stored them in. */
  readonly data: Float64Array;
}

/** Options of {@link readNpz}. */
export interface ReadNpzOptions {
  /**
   * Arrays to read (names without `.npy`). Members not named are not decompressed; a named array of an
   * unsupported dtype is an error. Names missing from the archive are simply absent from the result.
   * Default: every member, arrays of unsupported dtypes left out.
   */
  readonly names?: readonly string[];
  /** Where the bytes came from, for error messages (a member's errors add its name as `field`). */
  readonly at?: InputLocation;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const SATURATED = 0xffffffff;

interface NpyHeader {
  readonly descr: string | undefined; // undefined: a structured dtype
  readonly fortranOrder: boolean;
  readonly shape: number[];
  readonly dataOffset: number;
}

type Reader = (view: DataView, offset: number) => number;

/** Element readers by dtype kind and size; `le` is the byte order. */
function elementReader(kind: string, size: number, le: boolean): Reader | undefined {
  switch (`${kind}${size}`) {
    case "f8":
      return (v, o) => v.getFloat64(o, le);
    case "f4":
      return (v, o) => v.getFloat32(o, le);
    case "i8":
      return (v, o) => Number(v.getBigInt64(o, le));
    case "i4":
      return (v, o) => v.getInt32(o, le);
    case "i2":
      return (v, o) => v.getInt16(o, le);
    case "i1":
      return (v, o) => v.getInt8(o);
    case "u8":
      return (v, o) => Number(v.getBigUint64(o, le));
    case "u4":
      return (v, o) => v.getUint32(o, le);
    case "u2":
      return (v, o) => v.getUint16(o, le);
    case "u1":
    case "b1":
      return (v, o) => v.getUint8(o);
  }
  return undefined;
}

/** The reader and item size of a dtype descriptor, or undefined when this module does not read it. */
function dtypeOf(descr: string | undefined): { read: Reader; size: number } | undefined {
  const m = descr?.match(/^([<>|=])([fiub])(\d+)$/);
  if (!m) return undefined;
  const size = Number(m[3]);
  if (size > 1 && m[1] === "|") return undefined; // a multi-byte type needs a byte order
  const read = elementReader(m[2], size, m[1] !== ">");
  return read && { read, size };
}

function npyHeader(bytes: Uint8Array, at: InputLocation): NpyHeader {
  const bad = (what: string) => new InputError(`not a readable .npy array: ${what}`, at);
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw bad("no \\x93NUMPY magic");
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let start: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw bad("truncated header");
    headerLength = view.getUint32(8, true);
    start = 12;
  } else {
    throw bad(`format version ${major}.${bytes[7]} (1.0, 2.0 and 3.0 are read)`);
  }
  if (start + headerLength > bytes.length) throw bad("truncated header");
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(
    bytes.subarray(start, start + headerLength),
  );
  const descr = text.match(/['"]descr['"]\s*:\s*(?:'([^']*)'|"([^"]*)"|(\[))/);
  const fortran = text.match(/['"]fortran_order['"]\s*:\s*(True|False)/);
  const shape = text.match(/['"]shape['"]\s*:\s*\(([^)]*)\)/);
  if (!descr || !fortran || !shape) {
    throw bad(`header without descr, fortran_order and shape: ${text.trim()}`);
  }
  const dims = shape[1].split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (!dims.every((d) => /^\d+L?$/.test(d))) throw bad(`bad shape (${shape[1]})`);
  return {
    descr: descr[3] ? undefined : descr[1] ?? descr[2],
    fortranOrder: fortran[1] === "True",
    shape: dims.map((d) => parseInt(d, 10)),
    dataOffset: start + headerLength,
  };
}

function npyData(bytes: Uint8Array, header: NpyHeader, at: InputLocation): NpyArray {
  const dtype = dtypeOf(header.descr);
  if (!dtype) {
    throw new InputError(
      `unsupported dtype ${header.descr === undefined ? "(a structured array)" : `'${header.descr}'`}; ` +
        "numeric arrays (float, int, uint, bool) are read",
      at,
    );
  }
  const { shape } = header;
  const count = shape.reduce((a, b) => a * b, 1);
  const need = header.dataOffset + count * dtype.size;
  if (need > bytes.length) {
    throw new InputError(
      `not a readable .npy array: ${bytes.length - header.dataOffset} data bytes for shape ` +
        `(${shape.join(", ")}) of '${header.descr}' (needs ${count * dtype.size})`,
      at,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + header.dataOffset, count * dtype.size);
  const data = new Float64Array(count);
  if (!header.fortranOrder || shape.length < 2) {
    for (let i = 0; i < count; i++) data[i] = dtype.read(view, i * dtype.size);
  } else {
    // Fortran order: the first index varies fastest. Walk the C-order index, tracking the Fortran offset.
    const strides = shape.map((_, k) => shape.slice(0, k).reduce((a, b) => a * b, 1));
    const index = shape.map(() => 0);
    for (let i = 0; i < count; i++) {
      let f = 0;
      for (let k = 0; k < shape.length; k++) f += index[k] * strides[k];
      data[i] = dtype.read(view, f * dtype.size);
      for (let k = shape.length - 1; k >= 0; k--) {
        if (++index[k] < shape[k]) break;
        index[k] = 0;
      }
    }
  }
  return { dtype: header.descr!, shape: [...shape], data };
}

/**
 * Decode one `.npy` file (format 1.0, 2.0 or 3.0) of a numeric dtype. Throws {@link InputError} at `at` for a
 * damaged file or an unsupported dtype.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseNpy } from "./npz.ts";
 * const header = new TextEncoder().encode("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }\n");
 * const values = new Uint8Array(new Float64Array([1, 3, 2, 4]).buffer); // column by column
 * const npy = Uint8Array.of(0x93, ...new TextEncoder().encode("NUMPY"), 1, 0, header.length, 0, ...header, ...values);
 * const a = parseNpy(npy);
 * assert.deepEqual(a.shape, [2, 2]);
 * assert.deepEqual([...a.data], [1, 2, 3, 4]); // C order
 * ```
 */
export function parseNpy(bytes: Uint8Array, at: InputLocation = {}): NpyArray {
  return npyData(bytes, npyHeader(bytes, at), at);
}

/**
 * An array as nested JavaScript arrays (rows first), as `ndarray.tolist()` gives; a 0-d array is its number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toNested } from "./npz.ts";
 * assert.deepEqual(toNested({ dtype: "<f8", shape: [2, 3], data: Float64Array.of(1, 2, 3, 4, 5, 6) }), [
 *   [1, 2, 3],
 *   [4, 5, 6],
 * ]);
 * assert.deepEqual(toNested({ dtype: "<i8", shape: [], data: Float64Array.of(7) }), 7);
 * ```
 */
export function toNested(array: NpyArray): unknown {
  const { shape, data } = array;
  if (shape.length === 0) return data[0];
  const build = (dim: number, offset: number): unknown[] => {
    const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    return Array.from(
      { length: shape[dim] },
      (_, i) => dim === shape.length - 1 ? data[offset + i] : build(dim + 1, offset + i * stride),
    );
  };
  return build(0, 0);
}

let crcTable: Uint32Array | undefined;

/**
 * The CRC-32 (ISO-HDLC, as ZIP and zlib compute it) of some bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc32 } from "./npz.ts";
 * assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
 * ```
 */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface ZipEntry {
  readonly name: string;
  readonly flags: number;
  readonly method: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localOffset: number;
}

function u64(view: DataView, offset: number, what: string, at: InputLocation): number {
  const v = view.getBigUint64(offset, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InputError(`not a readable .npz (ZIP) archive: ${what} ${v}`, at);
  }
  return Number(v);
}

/** The central directory's entries. */
function zipEntries(bytes: Uint8Array, at: InputLocation): ZipEntry[] {
  const bad = (what: string) => new InputError(`not a readable .npz (ZIP) archive: ${what}`, at);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sig = (offset: number, value: number) =>
    offset >= 0 && offset + 4 <= bytes.length && view.getUint32(offset, true) === value;
  // End of central directory: 22 bytes and a comment of up to 65,535 at the end of the file.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (sig(i, 0x06054b50) && i + 22 + view.getUint16(i + 20, true) <= bytes.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    const start = bytes.length >= 4 && sig(0, 0x04034b50) ? "a ZIP start but " : "";
    throw bad(`${start}no end-of-central-directory record (not a ZIP file, or a truncated one)`);
  }
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  // ZIP64: a locator just before the record points at the ZIP64 end-of-central-directory record.
  const locator = eocd - 20;
  if (sig(locator, 0x07064b50)) {
    const record = u64(view, locator + 8, "ZIP64 record offset", at);
    if (!sig(record, 0x06064b50) || record + 56 > bytes.length) {
      throw bad("bad ZIP64 end-of-central-directory");
    }
    count = u64(view, record + 32, "entry count", at);
    cdSize = u64(view, record + 40, "central directory size", at);
    cdOffset = u64(view, record + 48, "central directory offset", at);
  }
  if (cdOffset + cdSize > eocd) throw bad("central directory beyond its end record");
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (!sig(p, 0x02014b50) || p + 46 > bytes.length) throw bad(`central directory entry ${n} is damaged`);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    const end = p + 46 + nameLength + extraLength + commentLength;
    if (end > bytes.length) throw bad(`central directory entry ${n} is truncated`);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLength));
    let size = view.getUint32(p + 24, true);
    let compressedSize = view.getUint32(p + 20, true);
    let localOffset = view.getUint32(p + 42, true);
    // ZIP64 extra field (id 1): the saturated values, in this order, as 8-byte integers.
    const saturated = [size, compressedSize, localOffset].map((v) => v === SATURATED);
    if (saturated.some((s) => s)) {
      let found = false;
      for (let e = p + 46 + nameLength; e + 4 <= p + 46 + nameLength + extraLength;) {
        const id = view.getUint16(e, true);
        const length = view.getUint16(e + 2, true);
        if (id === 0x0001) {
          let q = e + 4;
          const next = (what: string) => {
            if (q + 8 > e + 4 + length) throw bad(`${name}: ZIP64 extra field without its ${what}`);
            const v = u64(view, q, what, at);
            q += 8;
            return v;
          };
          if (saturated[0]) size = next("size");
          if (saturated[1]) compressedSize = next("compressed size");
          if (saturated[2]) localOffset = next("local header offset");
          found = true;
          break;
        }
        e += 4 + length;
      }
      if (!found) throw bad(`${name}: sizes saturated at 0xFFFFFFFF without a ZIP64 extra field`);
    }
    entries.push({
      name,
      flags: view.getUint16(p + 8, true),
      method: view.getUint16(p + 10, true),
      crc: view.getUint32(p + 16, true),
      compressedSize,
      size,
      localOffset,
    });
    p = end;
  }
  return entries;
}

async function inflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data.slice()]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A member's uncompressed bytes, its CRC checked. */
async function memberBytes(bytes: Uint8Array, entry: ZipEntry, at: InputLocation): Promise<Uint8Array> {
  const bad = (what: string) => new InputError(`damaged .npz member ${entry.name}: ${what}`, at);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const p = entry.localOffset;
  if (p + 30 > bytes.length || view.getUint32(p, true) !== 0x04034b50) throw bad("no local file header");
  if (entry.flags & 1) throw bad("encrypted");
  // The local header's sizes may be saturated (ZIP64) or zero (a data descriptor follows): the central
  // directory's are used; only the name and extra lengths are read here.
  const start = p + 30 + view.getUint16(p + 26, true) + view.getUint16(p + 28, true);
  if (start + entry.compressedSize > bytes.length) throw bad("truncated");
  const raw = bytes.subarray(start, start + entry.compressedSize);
  let out: Uint8Array;
  if (entry.method === 0) {
    out = raw;
  } else if (entry.method === 8) {
    try {
      out = await inflateRaw(raw);
    } catch (e) {
      throw bad(`cannot inflate (${(e as Error).message})`);
    }
  } else {
    throw bad(`compression method ${entry.method} (stored and deflate are read)`);
  }
  if (out.length !== entry.size) throw bad(`${out.length} bytes where the directory says ${entry.size}`);
  if (crc32(out) !== entry.crc) throw bad("CRC-32 mismatch");
  return out;
}

/**
 * Read the arrays of an `.npz` archive, keyed by name (the member name without `.npy`). Members that are not
 * `.npy` files are ignored, as are (unless named in `options.names`) arrays of dtypes this reader does not
 * decode, such as the 0-d string `afd_metadata_json` some profiles carry. Throws {@link InputError} at
 * `options.at` for a file that is not a readable ZIP archive, and with the member's name as `field` for a
 * damaged or unsupported array that was asked for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InputError } from "../common/errors.ts";
 * import { readNpz } from "./npz.ts";
 * // An empty archive is just its 22-byte end-of-central-directory record.
 * const empty = Uint8Array.of(0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0));
 * assert.equal((await readNpz(empty)).size, 0);
 * await assert.rejects(
 *   readNpz(new TextEncoder().encode("{}"), { at: { file: "p.npz" } }),
 *   (e: unknown) => e instanceof InputError && e.message.startsWith("p.npz: not a readable .npz (ZIP) archive"),
 * );
 * ```
 *
 * @example Reading a profile's arrays
 * ```ts ignore
 * const arrays = await readNpz(await Deno.readFile("perf_data.npz"), { names: ["prefill_isl", "decode_itl"] });
 * const itl = arrays.get("decode_itl"); // { dtype: "<f8", shape: [A, C], data: Float64Array }
 * ```
 */
export async function readNpz(
  bytes: Uint8Array,
  options: ReadNpzOptions = {},
): Promise<Map<string, NpyArray>> {
  const at = options.at ?? {};
  const out = new Map<string, NpyArray>();
  for (const entry of zipEntries(bytes, at)) {
    if (!entry.name.endsWith(".npy")) continue;
    const name = entry.name.slice(0, -4);
    const wanted = options.names === undefined || options.names.includes(name);
    if (!wanted || out.has(name)) continue;
    const memberAt = { ...at, field: name };
    const npy = await memberBytes(bytes, entry, memberAt);
    const header = npyHeader(npy, memberAt);
    if (options.names === undefined && !dtypeOf(header.descr)) continue;
    out.set(name, npyData(npy, header, memberAt));
  }
  return out;
}

/**
 * The arrays `names` of the `.npz` file `path` as a plain object of nested number arrays ({@link toNested}),
 * the shape a JSON file of the same arrays parses to; an unreadable file is an {@link InputError} at `at`,
 * a bad archive one naming the file.
 */
export async function readNpzFile(
  path: string,
  names: readonly string[],
  at: InputLocation = {},
): Promise<Record<string, unknown>> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as Error).message}`, at);
  }
  const arrays = await readNpz(bytes, { names, at: { ...at, file: path } });
  return Object.fromEntries([...arrays].map(([k, a]) => [k, toNested(a)]));
}
