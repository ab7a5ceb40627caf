/**
 * Where the time of disaggregated hand-offs went: waiting at the prefill worker for decode KV, the transfer,
 * and the decode worker's queue, over the completed measured requests.
 *
 * @module
 */
import { Status } from "./collector.ts";
import type { Collector } from "./collector.ts";
import { summarize } from "./stats.ts";

/** Mean, p90 and maximum of one hand-off step, in ms (a type, not an interface, so that it is a report value). */
export type StepSummary = {
  readonly mean: number;
  readonly p90: number;
  readonly max: number;
};

/** The hand-off steps of a disaggregated run's completed measured requests. */
export type HandoffSummary = {
  /** Requests summarised. */
  readonly requests: number;
  /** Share of them whose decode worker had no KV room when their prefill finished. */
  readonly waited_share: number;
  /**
   * From the prefill's end (KV held at the source) to the decode worker's reservation, over the requests that
   * waited (as the router queue's wait; absent when none did).
   */
  readonly decode_kv_wait_ms?: StepSummary;
  /** From the reservation to the KV landing (the source frees its copy). */
  readonly transfer_ms: StepSummary;
  /** From the KV landing to the decode worker's admission. */
  readonly decode_queue_ms: StepSummary;
};

/**
 * Summarise the hand-offs recorded in `c`, or `undefined` when no completed measured request had one (an
 * aggregated run).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Collector } from "./collector.ts";
 * import { handoffSummary } from "./handoff.ts";
 * const c = new Collector(1);
 * c.arrive(0, 0);
 * c.handOff(0, 10);
 * c.reserve(0, 25, 0, 1);
 * c.kvArrived(0, 30);
 * c.admitDecode(0, 32);
 * c.complete(0, 40);
 * const s = handoffSummary(c)!;
 * assert(s.waited_share === 1 && s.decode_kv_wait_ms!.mean === 15 && s.transfer_ms.max === 5);
 * assert(s.decode_queue_ms.p90 === 2);
 * ```
 */
export function handoffSummary(c: Collector): HandoffSummary | undefined {
  const n = c.status.length;
  const waits = new Float64Array(n), transfer = new Float64Array(n), queue = new Float64Array(n);
  let count = 0, waited = 0;
  for (let r = 0; r < n; r++) {
    if (c.status[r] !== Status.Completed || c.warmup[r] === 1 || Number.isNaN(c.handoffMs[r])) continue;
    const wait = c.reservedMs[r] - c.handoffMs[r];
    if (wait > 0) waits[waited++] = wait;
    transfer[count] = c.kvArrivedMs[r] - c.reservedMs[r];
    queue[count] = c.decodeAdmitMs[r] - c.kvArrivedMs[r];
    count++;
  }
  if (count === 0) return undefined;
  return {
    requests: count,
    waited_share: waited / count,
    ...(waited > 0 ? { decode_kv_wait_ms: stepSummary(waits, waited) } : {}),
    transfer_ms: stepSummary(transfer, count),
    decode_queue_ms: stepSummary(queue, count),
  };
}

/** The mean, p90 and maximum of `values[0 … n)`, as a {@link StepSummary}. */
export function stepSummary(values: Float64Array, n: number): StepSummary {
  const d = summarize(values, n);
  return { mean: d.mean, p90: d.p90, max: d.max };
}
