/**
 * Assembles a {@link Workload} from request rows, one at a time, so loaders can stream large traces.
 *
 * @module
 */
import { InputError, type InputLocation } from "../common/errors.ts";
import { BlockInterner, type TokenBlocks } from "./block_ids.ts";
import type { Workload } from "./types.ts";

/** Largest block chunk the builder allocates (ids), unless one prompt needs more. */
const CHUNK_MAX = 1 << 22;

/** One request as a loader reads it, before normalisation. */
export interface RequestRow {
  /** Session key: rows with the same key form one closed-loop session, in the order added. Unset: own session. */
  readonly session?: string | number;
  /** Arrival time in ms (first turns; raw, before normalisation and speed-up). */
  readonly arrivalMs?: number;
  /** Explicit delay (ms) after the previous turn completes. Later turns only. */
  readonly delayMs?: number;
  readonly inputLength: number;
  readonly outputLength: number;
  /**
   * Prompt content; its token blocks are re-chunked into engine blocks. `"unique"`: a prompt that shares no
   * block with any other (traces without prefix information); its blocks get fresh ids without hashing.
   * `"extend"`: the previous turn's prompt of the same session, then content no other prompt has (its full
   * blocks keep their ids; every block past them, the one that completes its partial tail included, is new).
   */
  readonly tokenBlocks: TokenBlocks | "unique" | "extend";
  /** Hash namespace (kv-cache-tester ids are session-local). Default 0. */
  readonly namespace?: number;
  /** Where the row came from, for error messages. */
  readonly at?: InputLocation;
}

/** Options for {@link WorkloadBuilder}. */
export interface BuilderOptions {
  readonly name: string;
  /** Engine block size (tokens) to intern prompt blocks at. */
  readonly blockSize: number;
}

/** Options for {@link WorkloadBuilder.build}. */
export interface BuildOptions {
  /** Divides arrivals and inter-turn delays (`--arrival-speedup-ratio`). Default 1. */
  readonly speedup?: number;
}

/**
 * Collects rows and produces a {@link Workload}: first arrival normalised to t = 0, speed-up applied, sessions
 * linked, prompt blocks interned.
 *
 * A later turn's delay is its explicit `delayMs`, else the difference between its arrival and the previous
 * turn's arrival when both are known, else 0 (the reference's rule).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkloadBuilder } from "./builder.ts";
 * const b = new WorkloadBuilder({ name: "demo", blockSize: 64 });
 * b.add({ session: "s", arrivalMs: 1000, inputLength: 512, outputLength: 10, tokenBlocks: { ids: [1], size: 512 } });
 * b.add({ session: "s", delayMs: 500, inputLength: 1024, outputLength: 5, tokenBlocks: { ids: [1, 2], size: 512 } });
 * const w = b.build({ speedup: 2 });
 * assert(w.arrivalMs[0] === 0 && w.delayMs[1] === 250 && w.nextTurn[0] === 1);
 * assert(w.blocks[0] === w.blocks[8]); // the second turn reuses the first turn's prefix
 * ```
 */
export class WorkloadBuilder {
  readonly #name: string;
  readonly #blockSize: number;
  readonly #interner = new BlockInterner();
  #inputLength: number[] = [];
  #outputLength: number[] = [];
  #arrivalRaw: (number | undefined)[] = [];
  #delay: number[] = [];
  #sessionOf: number[] = [];
  #nextTurn: number[] = [];
  #turnIndex: number[] = [];
  #sessionFirst: number[] = [];
  #sessionLast: number[] = [];
  #sessionKeys = new Map<string | number, number>();
  #sessionIds: (string | number)[] = [];
  #blockOffset: number[] = [0];
  // Prompt blocks in chunks (full chunks never move; build concatenates once): a chunk holds whole prompts.
  #fullChunks: Int32Array[] = [];
  #chunk = new Int32Array(1 << 16);
  #chunkStart = 0;
  #blockCount = 0;
  constructor(options: BuilderOptions) {
    if (!Number.isInteger(options.blockSize) || options.blockSize < 1) {
      throw new InputError(`must be a positive integer, got ${options.blockSize}`, { field: "block_size" });
    }
    this.#name = options.name;
    this.#blockSize = options.blockSize;
  }

  /** Number of requests added so far. */
  get count(): number {
    return this.#inputLength.length;
  }

  /** Add one request. Throws {@link InputError} (with `row.at`) on invalid values. */
  add(row: RequestRow): void {
    const at = row.at ?? {};
    checkInt(row.inputLength, 1, "input_length", at);
    checkInt(row.outputLength, 1, "output_length", at);
    if (row.arrivalMs !== undefined) checkTime(row.arrivalMs, "timestamp", at);
    if (row.delayMs !== undefined) checkTime(row.delayMs, "delay", at);
    const r = this.count;
    const key = row.session;
    const known = key === undefined ? undefined : this.#sessionKeys.get(key);
    const extended = row.tokenBlocks === "extend" ? this.#extended(known, row, at) : undefined;
    if (known === undefined) {
      if (row.delayMs !== undefined && row.delayMs !== 0) {
        throw new InputError("not allowed on the first turn of a session", { ...at, field: "delay" });
      }
      const s = this.#sessionFirst.length;
      if (key !== undefined) this.#sessionKeys.set(key, s);
      this.#sessionIds.push(key ?? s);
      this.#sessionFirst.push(r);
      this.#sessionLast.push(r);
      this.#sessionOf.push(s);
      this.#turnIndex.push(0);
      this.#delay.push(0);
    } else {
      const prev = this.#sessionLast[known];
      this.#nextTurn[prev] = r;
      this.#sessionLast[known] = r;
      this.#sessionOf.push(known);
      this.#turnIndex.push(this.#turnIndex[prev] + 1);
      const prevArrival = this.#arrivalRaw[prev];
      let delay = row.delayMs;
      if (delay === undefined) {
        delay = row.arrivalMs !== undefined && prevArrival !== undefined ? row.arrivalMs - prevArrival : 0;
        if (delay < 0) {
          throw new InputError(
            `is ${row.arrivalMs}, earlier than the previous turn of session ${JSON.stringify(key)}` +
              ` (${prevArrival}); give an explicit non-negative delay`,
            { ...at, field: "timestamp" },
          );
        }
      }
      this.#delay.push(delay);
    }
    this.#arrivalRaw.push(row.arrivalMs);
    this.#nextTurn.push(-1);
    this.#inputLength.push(row.inputLength);
    this.#outputLength.push(row.outputLength);
    const count = Math.floor(row.inputLength / this.#blockSize);
    let offset = this.#blockCount - this.#chunkStart;
    if (offset + count > this.#chunk.length) {
      this.#fullChunks.push(this.#chunk.subarray(0, offset));
      this.#chunk = new Int32Array(Math.max(count, Math.min(this.#chunk.length * 2, CHUNK_MAX)));
      this.#chunkStart = this.#blockCount;
      offset = 0;
    }
    if (extended !== undefined) {
      this.#chunk.set(extended, offset);
      this.#interner.uniqueBlocks(count - extended.length, this.#chunk, offset + extended.length);
    } else if (row.tokenBlocks === "unique") {
      this.#interner.uniqueBlocks(count, this.#chunk, offset);
    } else if (row.tokenBlocks !== "extend") {
      this.#interner.internPrompt(
        row.tokenBlocks,
        row.inputLength,
        this.#blockSize,
        row.namespace ?? 0,
        this.#chunk,
        offset,
      );
    }
    this.#blockCount += count;
    this.#blockOffset.push(this.#blockCount);
  }

  /** The full-block ids of the previous turn of session `known`, which an `"extend"` row starts with. */
  #extended(known: number | undefined, row: RequestRow, at: InputLocation): Int32Array {
    if (known === undefined) {
      throw new InputError("extends the previous turn of its session, but it is the session's first", at);
    }
    const prev = this.#sessionLast[known];
    if (row.inputLength < this.#inputLength[prev]) {
      throw new InputError(
        `is ${row.inputLength}, shorter than the previous turn's prompt (${
          this.#inputLength[prev]
        }) it extends`,
        { ...at, field: "input_length" },
      );
    }
    const from = this.#blockOffset[prev], to = this.#blockOffset[prev + 1];
    if (from >= this.#chunkStart) return this.#chunk.slice(from - this.#chunkStart, to - this.#chunkStart);
    let start = this.#chunkStart;
    for (let c = this.#fullChunks.length - 1; c >= 0; c--) {
      start -= this.#fullChunks[c].length;
      if (from >= start) return this.#fullChunks[c].slice(from - start, to - start);
    }
    throw new Error("builder: previous turn's blocks not found (bug)");
  }

  /**
   * Declare that no later row shares a prompt block with any row added so far (every later row uses a
   * namespace not used before), so the interning table can be dropped: loading session-local traces then
   * stays fast however long they are. Sharing across this point would silently be lost, so call it only then.
   */
  forgetBlocks(): void {
    this.#interner.forget();
  }

  #concatBlocks(): Int32Array {
    const out = new Int32Array(this.#blockCount);
    let at = 0;
    for (const chunk of this.#fullChunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    out.set(this.#chunk.subarray(0, this.#blockCount - this.#chunkStart), at);
    return out;
  }

  /** Finish: normalise, apply the speed-up and freeze into typed arrays. */
  build(options: BuildOptions = {}): Workload {
    const speedup = options.speedup ?? 1;
    if (!(speedup > 0) || !Number.isFinite(speedup)) {
      throw new InputError(`must be finite and > 0, got ${speedup}`, { field: "arrival_speedup_ratio" });
    }
    const n = this.count;
    if (n === 0) throw new InputError("the workload has no requests");
    let t0 = Infinity;
    for (const first of this.#sessionFirst) t0 = Math.min(t0, this.#arrivalRaw[first] ?? 0);
    const arrivalMs = new Float64Array(n), delayMs = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      arrivalMs[r] = this.#turnIndex[r] === 0 ? ((this.#arrivalRaw[r] ?? 0) - t0) / speedup : 0;
      delayMs[r] = this.#delay[r] / speedup;
    }
    const order = this.#sessionFirst.map((_, s) => s);
    order.sort((a, b) => arrivalMs[this.#sessionFirst[a]] - arrivalMs[this.#sessionFirst[b]] || a - b);
    return {
      name: this.#name,
      blockSize: this.#blockSize,
      requestCount: n,
      sessionCount: this.#sessionFirst.length,
      inputLength: Int32Array.from(this.#inputLength),
      outputLength: Int32Array.from(this.#outputLength),
      arrivalMs,
      delayMs,
      sessionOf: Int32Array.from(this.#sessionOf),
      nextTurn: Int32Array.from(this.#nextTurn),
      turnIndex: Int32Array.from(this.#turnIndex),
      sessionFirst: Int32Array.from(order, (s) => this.#sessionFirst[s]),
      sessionIds: this.#sessionIds.slice(),
      blockOffset: Int32Array.from(this.#blockOffset),
      blocks: this.#concatBlocks(),
      distinctBlocks: this.#interner.size,
    };
  }
}

function checkInt(v: number, min: number, field: string, at: InputLocation): void {
  if (!Number.isInteger(v) || v < min) {
    throw new InputError(`must be an integer ≥ ${min}, got ${JSON.stringify(v)}`, { ...at, field });
  }
}

function checkTime(v: number, field: string, at: InputLocation): void {
  if (!Number.isFinite(v) || v < 0) {
    throw new InputError(`must be a finite number ≥ 0, got ${JSON.stringify(v)}`, { ...at, field });
  }
}
