/**
 * Per-request engine state as struct-of-arrays, shared by every engine of one simulation (a request is on at
 * most one engine at a time; disaggregated serving resets its state at the prefill → decode hand-off).
 *
 * @module
 */
import type { Workload } from "../workload/mod.ts";

/** Engine-side state of every request of a workload, indexed by request id. */
export class RequestTable {
  /** Prompt tokens (the workload's `inputLength`). */
  readonly promptLen: Int32Array;
  /** Full prompt blocks: `blocks[blockOffset[r] … blockOffset[r + 1])` (from the workload). */
  readonly blockOffset: Int32Array;
  readonly blocks: Int32Array;
  /** Tokens to generate on the current engine (the output length, or 1 on a prefill worker). */
  readonly target: Int32Array;
  /** Tokens generated on the current engine so far. */
  readonly generated: Int32Array;
  /** Tokens whose KV is computed (or restored) on the current engine. */
  readonly computed: Int32Array;
  /** Tokens scheduled in the current pass. */
  readonly scheduled: Int32Array;
  /**
   * Tokens of the current pass's budget the request took (to give back when preempted within the pass): its
   * scheduled tokens, 1 for a restored or landed one, and 1 + its drafts for an MTP verification round.
   */
  readonly charged: Int32Array;
  /** Tokens emitted at the end of the current pass (1, or an MTP burst). */
  readonly burst: Int32Array;
  /** Blocks held on the current engine; the slots are in `slots[r][0 … held[r])`. */
  readonly held: Int32Array;
  readonly slots: (Int32Array | null)[];
  /**
   * Private blocks held beside the token blocks: the recurrent state (linear-attention models) and the
   * sliding-window layers' share (see `sideBlocks`); 0 when none are held.
   */
  readonly sideBlocks: Int32Array;
  /** 1 while the request still has prompt (or recompute) tokens to process. */
  readonly prefilling: Uint8Array;
  /** 1 once admitted on the current engine (first-admission checks apply before). */
  readonly admitted: Uint8Array;
  /** 1 when the request computes prompt tokens in the current pass (its engine's prefill batch). */
  readonly passPrefill: Uint8Array;
  /** Async scheduling: the first pass number (its engine's `passes` before the pass) `r` may be admitted to. */
  readonly firstPass: Float64Array;
  /** 1 once the request's prefix was copied back from its engine's host tier (it swaps in once per engine). */
  readonly swapped: Uint8Array;

  constructor(w: Workload) {
    const n = w.requestCount;
    this.promptLen = w.inputLength;
    this.blockOffset = w.blockOffset;
    this.blocks = w.blocks;
    this.target = new Int32Array(n);
    this.generated = new Int32Array(n);
    this.computed = new Int32Array(n);
    this.scheduled = new Int32Array(n);
    this.charged = new Int32Array(n);
    this.burst = new Int32Array(n);
    this.held = new Int32Array(n);
    this.slots = new Array(n).fill(null);
    this.sideBlocks = new Int32Array(n);
    this.prefilling = new Uint8Array(n);
    this.admitted = new Uint8Array(n);
    this.passPrefill = new Uint8Array(n);
    this.firstPass = new Float64Array(n);
    this.swapped = new Uint8Array(n);
  }

  /** Prepare request `r` to run on a fresh engine, generating `target` tokens. */
  reset(r: number, target: number): void {
    this.target[r] = target;
    this.generated[r] = 0;
    this.computed[r] = 0;
    this.held[r] = 0;
    this.slots[r] = null;
    this.sideBlocks[r] = 0;
    this.prefilling[r] = 1;
    this.admitted[r] = 0;
    this.swapped[r] = 0;
  }
}
