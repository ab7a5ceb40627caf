/**
 * A small RFC 4180 CSV reader for benchmark inputs (quoted fields, doubled quotes, CRLF or LF).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCsv } from "./csv.ts";
 * const rows = parseCsv('a,b\n1,"x, ""y"""\r\n');
 * assert.deepEqual(rows, [{ a: "1", b: 'x, "y"' }]);
 * ```
 *
 * @module
 */

/** Rows of a CSV text with a header line, as objects keyed by the header's names. */
export function parseCsv(text: string): Record<string, string>[] {
  const records: string[][] = [];
  let record: string[] = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') field += text[++i];
      else quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      record.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || record.length > 0) records.push([...record, field]);
  const [header = [], ...rows] = records;
  return rows.filter((r) => r.length > 1 || r[0] !== "").map((r) =>
    Object.fromEntries(header.map((name, j) => [name, r[j] ?? ""]))
  );
}
