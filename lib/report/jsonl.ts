/**
 * Per-request records (`--report-jsonl`): one JSON object per terminal request, sorted by (arrival, id), with
 * the reference's field names. Of the reference's histories, `routing_history` is written; `admission_history`
 * and `pressure_record_ordinals` are not (dynolab counts admissions but does not time each one).
 *
 * @module
 */
import { type Collector, REJECT_REASONS, type RejectReason, Status } from "../metrics/mod.ts";
import type { Workload } from "../workload/mod.ts";

/** One request's record. Missing times are `null`. */
export interface RequestRecord {
  readonly uuid: string;
  /** The trace's `request_id` (agentic traces only). */
  readonly request_id?: string;
  /** The trace's `session_id`, or the name its loader gives a session without one (`session_<index>`, …). */
  readonly session_id: string | number;
  readonly turn_index: number;
  /**
   * The turn's position in its session as the trace wrote it: `turn_index`, since dynolab keeps the trace's
   * order (an agentic_mooncake row named by an earlier row's dependency is the one exception: it moves up).
   */
  readonly authored_turn_index: number;
  readonly arrival_time_ms: number | null;
  readonly first_admit_ms: number | null;
  readonly first_token_ms: number | null;
  readonly last_token_ms: number | null;
  readonly terminal_time_ms: number | null;
  readonly ttft_ms: number | null;
  readonly ttst_ms: number | null;
  readonly e2e_latency_ms: number | null;
  /** Per-request mean inter-token latency. */
  readonly itl_ms: number | null;
  readonly input_length: number;
  readonly requested_output_length: number;
  readonly output_length: number;
  readonly reused_input_tokens: number;
  readonly decode_reused_input_tokens: number | null;
  readonly prefill_worker_idx: number | null;
  readonly decode_worker_idx: number | null;
  /** The data-parallel rank, within its worker, of the engine that decoded the request (0 without DP). */
  readonly dp_rank: number | null;
  /**
   * Disaggregated hand-off times (null in agg, and for steps a request did not reach), in vLLM's order: the
   * prefill finished and its worker holds the KV (`source_held_ms`); the decode worker allocated the prompt's
   * blocks, starting the transfer (`destination_reserved_ms`); the KV landed and the decode worker queued the
   * request (`destination_activated_ms`), when the prefill worker freed its copy (`source_released_ms`, the
   * same time); the decode worker admitted it to its running batch (`decode_admit_ms`).
   */
  readonly prefill_admit_ms: number | null;
  readonly source_held_ms: number | null;
  readonly destination_reserved_ms: number | null;
  readonly destination_activated_ms: number | null;
  readonly decode_admit_ms: number | null;
  readonly source_released_ms: number | null;
  /** KV overlap (cached prompt tokens) the router saw on the chosen worker, per stage. */
  readonly prefill_route_overlap_tokens: number | null;
  readonly decode_route_overlap_tokens: number | null;
  /**
   * The routing stages the request reached, in order: agg one (`aggregated`), disagg `prefill` then `decode`.
   * A request shed by the router queue was never routed (empty); one rejected by its prefill worker has no
   * decode stage.
   */
  readonly routing_history: readonly RoutingStage[];
  /** Admissions to a running batch, each pool's (prefill and decode in disagg), re-admissions included. */
  readonly admission_count: number;
  /** Re-admissions after preemption: per pool, its admissions beyond the first. */
  readonly readmission_count: number;
  readonly terminal_status: "completed" | "rejected";
  /**
   * Why a rejected request did not run (dynolab): `max_model_len`, `kv_capacity`, `batched_tokens`, or
   * `router_queue_limit` (shed by the router queue).
   */
  readonly reject_reason?: RejectReason;
  /** A warm-up request (`--warmup-request-count`), left out of the report's statistics (dynolab). */
  readonly warmup: boolean;
}

/**
 * One routing decision of a request (the reference's `routing_history[]` entry). Only the first stage has a
 * router queue: a request it held is `queued`, routed when released; any other stage is `immediate`.
 */
export interface RoutingStage {
  readonly pool: "aggregated" | "prefill" | "decode";
  readonly outcome: "immediate" | "queued";
  /**
   * When the router chose the worker: an immediate first stage at arrival (with dynolab's `frontend_latency`
   * it reached the router that much later, which is not recorded), a queued one at its release, the decode
   * stage when the prefill finished (`source_held_ms`).
   */
  readonly routed_at_ms: number | null;
  /** When the router queue took the request in and released it, and the wait between (null: immediate). */
  readonly queue_entered_at_ms: number | null;
  readonly released_at_ms: number | null;
  readonly queue_wait_ms: number | null;
  /**
   * The chosen worker's index in its pool and the engine's DP rank within it; null when that worker rejected
   * the request before admitting it (the choice is not recorded).
   */
  readonly worker_id: number | null;
  readonly dp_rank: number | null;
  /** KV overlap (cached prompt tokens) the router saw on the chosen worker. */
  readonly reported_overlap_tokens: number;
}

/**
 * Records of every completed or rejected request, sorted by arrival then id.
 *
 * @param workerOf Worker index (within its pool) and DP rank (within its worker) of an engine rank id.
 * @param routeOverlapBlocks Per pool (agg, or prefill then decode), the KV overlap in blocks each request had
 *   on the worker its router chose.
 */
export function requestRecords(
  c: Collector,
  w: Workload,
  workerOf: (engineId: number) => readonly [worker: number, rank: number],
  routeOverlapBlocks: readonly Int32Array[],
): RequestRecord[] {
  const disagg = routeOverlapBlocks.length > 1;
  const bs = w.blockSize;
  const ids: number[] = [];
  for (let r = 0; r < w.requestCount; r++) if (c.status[r] !== Status.Pending) ids.push(r);
  ids.sort((a, b) => c.arrivalMs[a] - c.arrivalMs[b] || a - b);
  const num = (v: number) => Number.isNaN(v) ? null : v;
  const worker = (engine: number) => engine >= 0 ? workerOf(engine)[0] : null;
  const rank = (engine: number) => engine >= 0 ? workerOf(engine)[1] : null;
  const stage = (v: number) => disagg ? num(v) : null;
  const shed = REJECT_REASONS.indexOf("router_queue_limit") + 1;
  /** The stages `r` reached: the first unless the router shed it, the decode once its prefill finished. */
  const routing = (r: number): RoutingStage[] => {
    if (c.rejectReason[r] === shed) return [];
    const entered = num(c.routerHeldMs[r]), released = num(c.routerReleasedMs[r]);
    const queued = entered !== null && released !== null;
    const first: RoutingStage = {
      pool: disagg ? "prefill" : "aggregated",
      outcome: queued ? "queued" : "immediate",
      routed_at_ms: queued ? released : num(c.arrivalMs[r]),
      queue_entered_at_ms: queued ? entered : null,
      released_at_ms: queued ? released : null,
      queue_wait_ms: queued ? released - entered : null,
      worker_id: worker(c.computeEngine[r]),
      dp_rank: rank(c.computeEngine[r]),
      reported_overlap_tokens: routeOverlapBlocks[0][r] * bs,
    };
    const handoff = c.handoffMs[r];
    if (!disagg || Number.isNaN(handoff)) return [first];
    return [first, {
      pool: "decode",
      outcome: "immediate",
      routed_at_ms: handoff,
      queue_entered_at_ms: null,
      released_at_ms: null,
      queue_wait_ms: null,
      worker_id: worker(c.decodeEngine[r]),
      dp_rank: rank(c.decodeEngine[r]),
      reported_overlap_tokens: routeOverlapBlocks[1][r] * bs,
    }];
  };
  return ids.map((r) => {
    const out = c.outputTokens[r];
    const first = c.firstTokenMs[r], last = c.lastTokenMs[r], arrival = c.arrivalMs[r];
    return {
      uuid: String(r),
      ...(w.requestIds ? { request_id: w.requestIds[r] } : {}),
      session_id: w.sessionIds[w.sessionOf[r]],
      turn_index: w.turnIndex[r],
      authored_turn_index: w.turnIndex[r],
      arrival_time_ms: num(arrival),
      first_admit_ms: num(c.firstAdmitMs[r]),
      first_token_ms: num(first),
      last_token_ms: num(last),
      terminal_time_ms: num(c.terminalMs[r]),
      ttft_ms: num(first - arrival),
      ttst_ms: out > 1 ? num(c.secondTokenMs[r] - first) : null,
      e2e_latency_ms: num(last - arrival),
      itl_ms: out > 1 ? (last - first) / (out - 1) : null,
      input_length: w.inputLength[r],
      requested_output_length: w.outputLength[r],
      output_length: out,
      reused_input_tokens: c.reusedTokens[r],
      decode_reused_input_tokens: disagg ? c.decodeReusedTokens[r] : null,
      prefill_worker_idx: disagg ? worker(c.computeEngine[r]) : null,
      decode_worker_idx: worker(disagg ? c.decodeEngine[r] : c.computeEngine[r]),
      dp_rank: rank(disagg ? c.decodeEngine[r] : c.computeEngine[r]),
      prefill_admit_ms: stage(c.firstAdmitMs[r]),
      source_held_ms: stage(c.handoffMs[r]),
      destination_reserved_ms: stage(c.reservedMs[r]),
      destination_activated_ms: stage(c.kvArrivedMs[r]),
      decode_admit_ms: stage(c.decodeAdmitMs[r]),
      source_released_ms: stage(c.kvArrivedMs[r]),
      prefill_route_overlap_tokens: disagg ? routeOverlapBlocks[0][r] * bs : null,
      decode_route_overlap_tokens: routeOverlapBlocks[disagg ? 1 : 0][r] * bs,
      routing_history: routing(r),
      admission_count: c.admissions[r] + c.decodeAdmissions[r],
      readmission_count: Math.max(0, c.admissions[r] - 1) + Math.max(0, c.decodeAdmissions[r] - 1),
      terminal_status: c.status[r] === Status.Completed ? "completed" : "rejected",
      ...(c.rejectReason[r] > 0 ? { reject_reason: REJECT_REASONS[c.rejectReason[r] - 1] } : {}),
      warmup: c.warmup[r] === 1,
    };
  });
}
