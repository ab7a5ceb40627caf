/**
 * A terminal progress bar for sweeps: runs done, cached, elapsed and ETA, redrawn in place on stderr.
 *
 * @module
 */

/** Where and whether to draw. */
export interface ProgressOptions {
  /** Draw at all. */
  readonly enabled: boolean;
  /** Redraw in place (a terminal) or print a line every 10 % (a log). */
  readonly inPlace: boolean;
  /** Output sink; default stderr. */
  readonly write?: (text: string) => void;
  /** The clock, in ms; default `performance.now`. */
  readonly now?: () => number;
}

/** Progress of a sweep of `total` runs. */
export class Progress {
  readonly #total: number;
  readonly #options: ProgressOptions;
  readonly #now: () => number;
  readonly #start: number;
  readonly #write: (text: string) => void;
  #done = 0;
  #cached = 0;
  #simulated = 0;
  #parallel = 1;
  #lastDecile = -1;

  constructor(total: number, options: ProgressOptions) {
    this.#total = total;
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#start = this.#now();
    const encoder = new TextEncoder();
    this.#write = options.write ?? ((text) => Deno.stderr.writeSync(encoder.encode(text)));
  }

  /** The simulations start, `parallel` at a time: draw the bar before the first of them ends. */
  start(parallel: number): void {
    this.#parallel = Math.max(1, parallel);
    this.#draw();
  }

  /** One run finished, from the cache or simulated. */
  tick(cached: boolean): void {
    this.#done++;
    if (cached) this.#cached++;
    else this.#simulated++;
    this.#draw();
  }

  /** The current line, e.g. `[██████░░░░] 12/31 runs (3 cached) 0:14 elapsed, ETA 0:20`. */
  line(): string {
    const width = 24, filled = Math.round((this.#done / Math.max(1, this.#total)) * width);
    const elapsed = (this.#now() - this.#start) / 1000;
    const left = this.#total - this.#done;
    // A run's wall time: until `parallel` runs have ended, the first ones took about all the time so far.
    const p = this.#parallel, sims = this.#simulated;
    const runWall = sims === 0 ? 0 : sims < p ? elapsed : (elapsed * p) / sims;
    const eta = left === 0 ? "done" : runWall > 0 ? `ETA ${clock((runWall * left) / p)}` : "ETA …";
    return `[${"█".repeat(filled)}${"░".repeat(width - filled)}] ${this.#done}/${this.#total} runs` +
      (this.#cached ? ` (${this.#cached} cached)` : "") + ` ${clock(elapsed)} elapsed, ${eta}`;
  }

  /** Finish the line. */
  end(): void {
    if (this.#options.enabled && this.#options.inPlace) this.#write("\n");
  }

  #draw(): void {
    if (!this.#options.enabled) return;
    if (this.#options.inPlace) {
      this.#write(`\r${this.line()}\x1b[K`);
      return;
    }
    const decile = Math.floor((this.#done / this.#total) * 10);
    if (decile !== this.#lastDecile) {
      this.#lastDecile = decile;
      this.#write(`${this.line()}\n`);
    }
  }
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
