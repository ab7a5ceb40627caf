/**
 * Exact parsing of absolute wall-clock timestamps as trace files write them (`2023-11-16 18:17:03.9799600`).
 *
 * @module
 */

/** A wall-clock instant as whole seconds since the Unix epoch (UTC) and nanoseconds within the second. */
export interface WallClock {
  /** Whole seconds since 1970-01-01T00:00:00Z. */
  readonly seconds: number;
  /** Nanoseconds within the second, 0 … 999,999,999. */
  readonly nanos: number;
}

/**
 * Parses `YYYY-MM-DD hh:mm:ss[.fffffffff][Z|±hh:mm]` (a `T` may separate date and time; no zone means UTC)
 * exactly, keeping sub-ms digits. It remembers the last date it saw, so a trace's rows (mostly the same day)
 * cost a few character reads each.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WallClockParser } from "./wall_clock.ts";
 * const p = new WallClockParser();
 * const a = p.parse("2023-11-16 18:17:03.9799600")!, b = p.parse("2023-11-16 18:17:04.0319600")!;
 * assert((b.seconds - a.seconds) * 1000 + (b.nanos - a.nanos) / 1e6 === 52);
 * assert(p.parse("2024-05-10 00:00:00+02:00")!.seconds === Date.UTC(2024, 4, 9, 22) / 1000);
 * assert(p.parse("2023-02-30 00:00:00") === undefined);
 * ```
 */
export class WallClockParser {
  #y = -1;
  #mo = -1;
  #d = -1;
  #daySeconds = 0;

  /** The instant `text` names, or undefined when it is not such a time or names an impossible one. */
  parse(text: string): WallClock | undefined {
    const n = text.length;
    if (n < 19) return undefined;
    const sep = text.charCodeAt(10);
    if (
      text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH || (sep !== SPACE && sep !== T) ||
      text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON
    ) return undefined;
    const y = digits(text, 0, 4), mo = digits(text, 5, 2), d = digits(text, 8, 2);
    const h = digits(text, 11, 2), mi = digits(text, 14, 2), s = digits(text, 17, 2);
    if ((y | mo | d | h | mi | s) < 0 || h > 23 || mi > 59 || s > 59) return undefined;
    if (y !== this.#y || mo !== this.#mo || d !== this.#d) {
      const ms = Date.UTC(y, mo - 1, d);
      const check = new Date(ms);
      if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
        return undefined;
      }
      this.#y = y;
      this.#mo = mo;
      this.#d = d;
      this.#daySeconds = ms / 1000;
    }
    let i = 19, nanos = 0;
    if (i < n && text.charCodeAt(i) === DOT) {
      const from = ++i;
      while (i < n && i - from < 9 && isDigit(text.charCodeAt(i))) {
        nanos = nanos * 10 + text.charCodeAt(i++) - ZERO;
      }
      if (i === from) return undefined;
      nanos *= 10 ** (9 - (i - from));
    }
    let seconds = this.#daySeconds + h * 3600 + mi * 60 + s;
    if (i < n) {
      const c = text.charCodeAt(i);
      if (c === Z && i + 1 === n) return { seconds, nanos };
      if (c !== PLUS && c !== DASH) return undefined;
      const hh = digits(text, i + 1, 2);
      const colon = text.charCodeAt(i + 3) === COLON ? 1 : 0;
      const mm = digits(text, i + 3 + colon, 2);
      if (hh < 0 || mm < 0 || hh > 23 || mm > 59 || i + 5 + colon !== n) return undefined;
      seconds -= (c === DASH ? -1 : 1) * (hh * 3600 + mm * 60);
    }
    return { seconds, nanos };
  }
}

const ZERO = 48, DASH = 45, PLUS = 43, COLON = 58, DOT = 46, SPACE = 32, T = 84, Z = 90;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= ZERO + 9;
}

/** The value of the `count` decimal digits at `from`, or −1 unless they are all digits. */
function digits(text: string, from: number, count: number): number {
  if (from + count > text.length) return -1;
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const c = text.charCodeAt(i);
    if (!isDigit(c)) return -1;
    v = v * 10 + c - ZERO;
  }
  return v;
}
