/**
 * Assembles a {@link Workload} from request rows, one at a time, so loaders can stream large traces.
 *
 * @module
 */
import { InputError, type InputLocation, shown } from "../common/errors.ts";
import { formatCount } from "../common/format.ts";
import { BlockInterner } from "./block_ids.ts";
import type { Dependency, RequestRow } from "./request_row.ts";
import {
  MAX_PROMPT_BLOCKS,
  MAX_REQUESTS,
  MAX_TIME_MS,
  MAX_TOKENS,
  maxTimeText,
  type RoutingHints,
  type Workload,
} from "./types.ts";

/** Largest block chunk the builder allocates (ids), unless one prompt needs more. */
const CHUNK_MAX = 1 << 22;

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
  /** Prompt tokens the source gave beyond what its block ids cover and dropped (see {@link Workload}). */
  readonly clampedInputTokens?: number;
}

/**
 * Collects rows and produces a {@link Workload}: first arrival normalised to t = 0, speed-up applied, the
 * dependency graph linked, prompt blocks interned.
 *
 * A session's later turn waits for its previous one to end. Its delay is its explicit `delayMs`, else the
 * difference between its arrival and the previous turn's arrival when both are known, else 0 (the reference's
 * rule). A row with `after` waits on those edges instead. Times are normalised so that the earliest root
 * arrival or `after` row's start floor is 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkloadBuilder } from "./builder.ts";
 * const b = new WorkloadBuilder({ name: "demo", blockSize: 64 });
 * b.add({ session: "s", arrivalMs: 1000, inputLength: 512, outputLength: 10, tokenBlocks: { ids: [1], size: 512 } });
 * b.add({ session: "s", delayMs: 500, inputLength: 1024, outputLength: 5, tokenBlocks: { ids: [1, 2], size: 512 } });
 * const w = b.build({ speedup: 2 });
 * assert(w.arrivalMs[0] === 0 && w.succ[0] === 1 && w.succDelayMs[0] === 250);
 * assert(w.blocks[0] === w.blocks[8]); // the second turn reuses the first turn's prefix
 * ```
 */
export class WorkloadBuilder {
  readonly #name: string;
  readonly #blockSize: number;
  readonly #interner = new BlockInterner();
  #inputLength: number[] = [];
  #outputLength: number[] = [];
  /** Per session: the timestamp of its last row that gave one (raw), from which a later turn's delay is inferred. */
  #sessionTimestamp: (number | undefined)[] = [];
  /**
   * A root's arrival (0 when not given) or an `after` row's start floor (raw); undefined where there is no
   * start time: a session's later turn, an `after` row without one.
   */
  #startRaw: (number | undefined)[] = [];
  #sessionOf: number[] = [];
  #turnIndex: number[] = [];
  /** Edges by target: `#waitsFor[#waitOffset[r] … #waitOffset[r + 1])` are the sources r waits for. */
  #waitsFor: number[] = [];
  #waitDelay: number[] = [];
  #waitOnDispatch: number[] = [];
  #waitOffset: number[] = [0];
  #sessionLast: number[] = [];
  #sessionKeys = new Map<string | number, number>();
  #sessionIds: (string | number)[] = [];
  #trajectoryKeys = new Map<string | number, number>();
  #trajectoryOf: number[] = [];
  #trajectoryCount = 0;
  #requestIds: string[] = [];
  // Router-queue hints, sparse by request (only rows that give one).
  #priority: number[] = [];
  #strictPriority: number[] = [];
  #policyClass: number[] = [];
  #policyClassNames = new Map<string, number>();
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
    checkTokens(row.inputLength, "input_length", at);
    checkTokens(row.outputLength, "output_length", at);
    const count = Math.floor(row.inputLength / this.#blockSize);
    if (this.count >= MAX_REQUESTS || this.#blockCount + count > MAX_PROMPT_BLOCKS) {
      throw new InputError(
        `the workload outgrows what a simulation holds (${formatCount(MAX_REQUESTS)} requests, ` +
          `${formatCount(MAX_PROMPT_BLOCKS)} prompt blocks in all) at its request ` +
          `${formatCount(this.count + 1)}, whose prompts so far span ` +
          `${formatCount(this.#blockCount + count)} blocks of ${this.#blockSize} tokens`,
        at,
      );
    }
    if (row.arrivalMs !== undefined) checkTime(row.arrivalMs, "timestamp", at);
    if (row.delayMs !== undefined) checkTime(row.delayMs, "delay", at);
    const r = this.count;
    const key = row.session;
    const known = key === undefined ? undefined : this.#sessionKeys.get(key);
    const extended = row.tokenBlocks === "extend" ? this.#extended(known, row, at) : undefined;
    let s = known;
    if (s === undefined) {
      s = this.#sessionLast.length;
      if (key !== undefined) this.#sessionKeys.set(key, s);
      this.#sessionIds.push(key ?? row.sessionName ?? `session_${s}`);
      this.#turnIndex.push(0);
    } else {
      this.#turnIndex.push(this.#turnIndex[this.#sessionLast[s]] + 1);
    }
    const prev = known === undefined ? -1 : this.#sessionLast[known];
    this.#sessionLast[s] = r;
    this.#sessionOf.push(s);
    this.#trajectoryOf.push(this.#trajectory(row.trajectory));
    if (row.id !== undefined) this.#requestIds[r] = row.id;
    this.#hint(r, row);
    if (row.after !== undefined) {
      if (row.delayMs !== undefined) throw new Error("builder: a row with `after` has per-edge delays (bug)");
      this.#waitFor(row.after, r, at);
      this.#startRaw.push(row.after.length === 0 ? row.arrivalMs ?? 0 : row.arrivalMs);
    } else if (prev < 0) {
      if (row.delayMs !== undefined && row.delayMs !== 0) {
        throw new InputError("not allowed on the first turn of a session", { ...at, field: "delay" });
      }
      this.#startRaw.push(row.arrivalMs ?? 0);
    } else {
      let delay = row.delayMs;
      if (delay === undefined) {
        // As the reference: the difference from the session's last timestamp, wherever that row is.
        const prevArrival = this.#sessionTimestamp[s];
        if (row.arrivalMs !== undefined && prevArrival === undefined) {
          throw new InputError(
            `cannot give the delay after the previous turn: no earlier row of session ${
              JSON.stringify(key)
            } ` +
              "has a timestamp; give delay",
            { ...at, field: "timestamp" },
          );
        }
        delay = row.arrivalMs !== undefined ? row.arrivalMs - prevArrival! : 0;
        if (delay < 0) {
          throw new InputError(
            `is ${row.arrivalMs}, earlier than the previous turn of session ${JSON.stringify(key)}` +
              ` (${prevArrival}); give an explicit non-negative delay`,
            { ...at, field: "timestamp" },
          );
        }
      }
      this.#addEdge(prev, delay, false);
      this.#startRaw.push(undefined);
    }
    this.#waitOffset.push(this.#waitsFor.length);
    if (row.arrivalMs !== undefined) this.#sessionTimestamp[s] = row.arrivalMs;
    this.#inputLength.push(row.inputLength);
    this.#outputLength.push(row.outputLength);
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
      try {
        this.#interner.internPrompt(
          row.tokenBlocks,
          row.inputLength,
          this.#blockSize,
          row.namespace ?? 0,
          this.#chunk,
          offset,
        );
      } catch (e) {
        throw e instanceof InputError ? new InputError(e.detail, at) : e; // at the row that overflowed
      }
    }
    this.#blockCount += count;
    this.#blockOffset.push(this.#blockCount);
  }

  /** Record row `r`'s router-queue hints, if it has any. */
  #hint(r: number, row: RequestRow): void {
    if (row.priority !== undefined) this.#priority[r] = Math.max(0, row.priority);
    if (row.strictPriority !== undefined) this.#strictPriority[r] = row.strictPriority;
    if (row.policyClass !== undefined) {
      let c = this.#policyClassNames.get(row.policyClass);
      if (c === undefined) this.#policyClassNames.set(row.policyClass, c = this.#policyClassNames.size);
      this.#policyClass[r] = c;
    }
  }

  /** The rows' router-queue hints, or undefined when no row gave one. */
  #routing(n: number): RoutingHints | undefined {
    if (this.#priority.length + this.#strictPriority.length + this.#policyClass.length === 0) {
      return undefined;
    }
    const of = (sparse: number[], none: number) => Array.from({ length: n }, (_, r) => sparse[r] ?? none);
    return {
      priority: Float64Array.from(of(this.#priority, 0)),
      strictPriority: Float64Array.from(of(this.#strictPriority, 0)),
      policyClass: Int32Array.from(of(this.#policyClass, -1)),
      policyClassNames: [...this.#policyClassNames.keys()],
    };
  }

  /** The index of trajectory `key` (a new one for a row without a key). */
  #trajectory(key: string | number | undefined): number {
    if (key === undefined) return this.#trajectoryCount++;
    let t = this.#trajectoryKeys.get(key);
    if (t === undefined) this.#trajectoryKeys.set(key, t = this.#trajectoryCount++);
    return t;
  }

  /** Record the edges request r waits on (from earlier requests, each once). */
  #waitFor(after: readonly Dependency[], r: number, at: InputLocation): void {
    const from = this.#waitsFor.length;
    for (const { request: p, delayMs = 0, onDispatch = false } of after) {
      if (!Number.isInteger(p) || p < 0 || p >= r) {
        throw new Error(`builder: request ${r} waits for ${p}, which is not an earlier request (bug)`);
      }
      for (let i = from; i < this.#waitsFor.length; i++) {
        if (this.#waitsFor[i] === p) throw new Error(`builder: request ${r} waits for ${p} twice (bug)`);
      }
      checkTime(delayMs, "delay", at);
      this.#addEdge(p, delayMs, onDispatch);
    }
  }

  #addEdge(source: number, delayMs: number, onDispatch: boolean): void {
    this.#waitsFor.push(source);
    this.#waitDelay.push(delayMs);
    this.#waitOnDispatch.push(onDispatch ? 1 : 0);
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
    const waitCount = new Int32Array(n);
    for (let r = 0; r < n; r++) waitCount[r] = this.#waitOffset[r + 1] - this.#waitOffset[r];
    let t0 = Infinity;
    for (const start of this.#startRaw) if (start !== undefined) t0 = Math.min(t0, start);
    const arrivalMs = new Float64Array(n);
    this.#startRaw.forEach((start, r) => {
      if (start !== undefined) arrivalMs[r] = checkStretch((start - t0) / speedup, speedup);
    });
    const roots: number[] = [];
    for (let r = 0; r < n; r++) if (waitCount[r] === 0) roots.push(r);
    roots.sort((a, b) => arrivalMs[a] - arrivalMs[b] || a - b);
    const edges = this.#successors(speedup), routing = this.#routing(n);
    return {
      name: this.#name,
      blockSize: this.#blockSize,
      requestCount: n,
      sessionCount: this.#sessionLast.length,
      inputLength: Int32Array.from(this.#inputLength),
      outputLength: Int32Array.from(this.#outputLength),
      arrivalMs,
      waitCount,
      ...edges,
      roots: Int32Array.from(roots),
      sessionOf: Int32Array.from(this.#sessionOf),
      turnIndex: Int32Array.from(this.#turnIndex),
      sessionIds: this.#sessionIds.slice(),
      ...(this.#trajectoryKeys.size > 0
        ? { trajectories: { of: Int32Array.from(this.#trajectoryOf), count: this.#trajectoryCount } }
        : {}),
      ...(routing ? { routing } : {}),
      ...(this.#requestIds.length > 0
        ? { requestIds: Array.from({ length: n }, (_, r) => this.#requestIds[r] ?? String(r)) }
        : {}),
      blockOffset: Int32Array.from(this.#blockOffset),
      blocks: this.#concatBlocks(),
      distinctBlocks: this.#interner.size,
      ...(options.clampedInputTokens ? { clampedInputTokens: options.clampedInputTokens } : {}),
    };
  }

  /** The edges by source: each request's waiters, in load order (a counting sort). */
  #successors(speedup: number): Pick<Workload, "succOffset" | "succ" | "succDelayMs" | "succOnDispatch"> {
    const n = this.count, waits = this.#waitsFor, offset = this.#waitOffset;
    const succOffset = new Int32Array(n + 1);
    for (const p of waits) succOffset[p + 1]++;
    for (let r = 0; r < n; r++) succOffset[r + 1] += succOffset[r];
    const fill = succOffset.slice(0, n), m = waits.length;
    const succ = new Int32Array(m), succDelayMs = new Float64Array(m), succOnDispatch = new Uint8Array(m);
    for (let r = 0; r < n; r++) {
      for (let i = offset[r]; i < offset[r + 1]; i++) {
        const e = fill[waits[i]]++;
        succ[e] = r;
        succDelayMs[e] = checkStretch(this.#waitDelay[i] / speedup, speedup);
        succOnDispatch[e] = this.#waitOnDispatch[i];
      }
    }
    return { succOffset, succ, succDelayMs, succOnDispatch };
  }
}

function checkTokens(v: number, field: string, at: InputLocation): void {
  if (!Number.isInteger(v) || v < 1 || v > MAX_TOKENS) {
    throw new InputError(`must be an integer from 1 to ${MAX_TOKENS}, got ${shown(v)}`, {
      ...at,
      field,
    });
  }
}

function checkTime(v: number, field: string, at: InputLocation): void {
  if (!(v >= 0 && v <= MAX_TIME_MS)) {
    throw new InputError(
      `must be a number from 0 to ${maxTimeText()}, got ${shown(v)}`,
      { ...at, field },
    );
  }
}

/** `ms`, a time after the speed-up, unless that stretched it past {@link MAX_TIME_MS}. */
function checkStretch(ms: number, speedup: number): number {
  if (ms <= MAX_TIME_MS) return ms;
  throw new InputError(
    `${speedup} stretches the workload's times past ${maxTimeText()}; raise it`,
    { field: "arrival_speedup_ratio" },
  );
}
