/**
 * Writers of NumPy `.npy` members and ZIP archives for the `.npz` tests: stored and deflated members, with the
 * ZIP64 extra field numpy writes (`force_zip64=True`: local header sizes saturated at 0xFFFFFFFF, the real ones
 * in the extra field).
 *
 * @module
 */
import { crc32 } from "../../lib/perf/npz.ts";

const enc = new TextEncoder();

/** An `.npy` file: `values` written as `descr` (little- or big-endian as it says), in the order given. */
export function npy(
  descr: string,
  shape: number[],
  values: number[],
  opts: { fortran?: boolean; version?: 1 | 2 } = {},
): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '${descr}', 'fortran_order': ${
    opts.fortran ? "True" : "False"
  }, 'shape': ${shapeText}, }`;
  const version = opts.version ?? 1;
  const prefix = version === 1 ? 10 : 12;
  // Pad with spaces and a newline so the data starts 64-byte aligned, as numpy does.
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const header = enc.encode(dict + " ".repeat(total - prefix - dict.length - 1) + "\n");
  const m = descr.match(/^([<>|])([fiub])(\d+)$/)!;
  const size = Number(m[3]);
  const le = m[1] !== ">";
  const data = new DataView(new ArrayBuffer(values.length * size));
  values.forEach((v, i) => {
    const o = i * size;
    const set: Record<string, () => void> = {
      f8: () => data.setFloat64(o, v, le),
      f4: () => data.setFloat32(o, v, le),
      i8: () => data.setBigInt64(o, BigInt(v), le),
      u8: () => data.setBigUint64(o, BigInt(v), le),
      i4: () => data.setInt32(o, v, le),
      u4: () => data.setUint32(o, v, le),
      i2: () => data.setInt16(o, v, le),
      u2: () => data.setUint16(o, v, le),
      i1: () => data.setInt8(o, v),
      u1: () => data.setUint8(o, v),
      b1: () => data.setUint8(o, v),
    };
    set[`${m[2]}${size}`]();
  });
  const out = new Uint8Array(prefix + header.length + data.byteLength);
  out.set([0x93, ...enc.encode("NUMPY"), version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(header, prefix);
  out.set(new Uint8Array(data.buffer), prefix + header.length);
  return out;
}

/** A 0-d unicode array, as `np.savez(..., afd_metadata_json=np.array(json.dumps(...)))` writes it. */
export function npyUnicode(text: string): Uint8Array {
  const dict = `{'descr': '<U${text.length}', 'fortran_order': False, 'shape': (), }`;
  const header = enc.encode(dict.padEnd(117, " ") + "\n");
  const data = new DataView(new ArrayBuffer(4 * text.length));
  [...text].forEach((c, i) => data.setUint32(4 * i, c.codePointAt(0)!, true));
  return Uint8Array.of(
    0x93,
    ...enc.encode("NUMPY"),
    1,
    0,
    header.length,
    0,
    ...header,
    ...new Uint8Array(data.buffer),
  );
}

export interface Member {
  name: string;
  data: Uint8Array;
  /** Deflate (method 8) instead of storing. */
  deflate?: boolean;
  /** As numpy writes: local sizes saturated, real sizes in a ZIP64 extra field. */
  zip64Local?: boolean;
  /** Central directory sizes and offset saturated too, with their ZIP64 extra field. */
  zip64Central?: boolean;
}

async function deflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data.slice()]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A ZIP archive of the members. */
export async function zip(members: Member[]): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const le = (size: number, values: number[]) => {
    const b = new DataView(new ArrayBuffer(size * values.length));
    values.forEach((v, i) => {
      if (size === 2) b.setUint16(2 * i, v, true);
      else if (size === 4) b.setUint32(4 * i, v, true);
      else b.setBigUint64(8 * i, BigInt(v), true);
    });
    return new Uint8Array(b.buffer);
  };
  const cat = (...parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let p = 0;
    for (const part of parts) {
      out.set(part, p);
      p += part.length;
    }
    return out;
  };
  for (const m of members) {
    const name = enc.encode(m.name);
    const body = m.deflate ? await deflateRaw(m.data) : m.data;
    const method = m.deflate ? 8 : 0;
    const crc = crc32(m.data);
    const localExtra = m.zip64Local
      ? cat(le(2, [1, 16]), le(8, [m.data.length, body.length]))
      : new Uint8Array();
    const localSizes = m.zip64Local ? [0xffffffff, 0xffffffff] : [body.length, m.data.length];
    const local = cat(
      le(4, [0x04034b50]),
      le(2, [45, 0, method, 0, 0x21]),
      le(4, [crc, ...localSizes]),
      le(2, [name.length, localExtra.length]),
      name,
      localExtra,
    );
    const centralExtra = m.zip64Central
      ? cat(le(2, [1, 24]), le(8, [m.data.length, body.length, offset]))
      : new Uint8Array();
    const centralFields = m.zip64Central
      ? [0xffffffff, 0xffffffff, 0xffffffff]
      : [body.length, m.data.length, offset];
    central.push(cat(
      le(4, [0x02014b50]),
      le(2, [45, 45, 0, method, 0, 0x21]),
      le(4, [crc, centralFields[0], centralFields[1]]),
      le(2, [name.length, centralExtra.length, 0, 0, 0]),
      le(4, [0, centralFields[2]]),
      name,
      centralExtra,
    ));
    chunks.push(local, body);
    offset += local.length + body.length;
  }
  const cd = cat(...central);
  const end = cat(
    le(4, [0x06054b50]),
    le(2, [0, 0, members.length, members.length]),
    le(4, [cd.length, offset]),
    le(2, [0]),
  );
  return cat(...chunks, cd, end);
}
