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

const STAMP =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * Parses `YYYY-MM-DD hh:mm:ss[.fffffffff][Z|±hh:mm]` (no zone means UTC) exactly, keeping sub-ms digits. It
 * remembers the last date it saw, so a trace's rows (mostly the same day) cost one regular-expression match.
 *
 * @example
 * ```ts
 * import { WallClockParser } from "./wall_clock.ts";
 * const p = new WallClockParser();
 * const a = p.parse("2023-11-16 18:17:03.9799600")!, b = p.parse("2023-11-16 18:17:04.0319600")!;
 * console.assert((b.seconds - a.seconds) * 1000 + (b.nanos - a.nanos) / 1e6 === 52);
 * console.assert(p.parse("2024-05-10 00:00:00+02:00")!.seconds === Date.UTC(2024, 4, 9, 22) / 1000);
 * console.assert(p.parse("2023-02-30 00:00:00") === undefined);
 * ```
 */
export class WallClockParser {
  #day = "";
  #daySeconds = 0;

  /** The instant `text` names, or undefined when it is not such a time or names an impossible one. */
  parse(text: string): WallClock | undefined {
    const m = STAMP.exec(text);
    if (m === null) return undefined;
    const day = text.slice(0, 10);
    if (day !== this.#day) {
      const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
      const ms = Date.UTC(y, mo - 1, d);
      const check = new Date(ms);
      if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
        return undefined;
      }
      this.#day = day;
      this.#daySeconds = ms / 1000;
    }
    const h = Number(m[4]), mi = Number(m[5]), s = Number(m[6]);
    if (h > 23 || mi > 59 || s > 59) return undefined;
    let seconds = this.#daySeconds + h * 3600 + mi * 60 + s;
    if (m[9] !== undefined) {
      const hh = Number(m[10]), mm = Number(m[11]);
      if (hh > 23 || mm > 59) return undefined;
      seconds -= (m[9] === "-" ? -1 : 1) * (hh * 3600 + mm * 60);
    }
    const nanos = m[7] === undefined ? 0 : Number(m[7].padEnd(9, "0"));
    return { seconds, nanos };
  }
}
