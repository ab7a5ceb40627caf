/**
 * What dynolab adds to a run's report (its `dynolab` section): the workload as run, each pool's capacity,
 * passes and busy time, the router's and hand-off's queues, and the warnings the run's setup earned.
 *
 * @module
 */
import { type ClusterResult, type PoolSetup, transferArgWarnings } from "./cluster/mod.ts";
import { formatCount } from "./common/format.ts";
import {
  hostTierSummary,
  lowerTiersSummary,
  type PassTotals,
  type ResolvedEngine,
  sideBlocks,
  sumPassTotals,
  typicalPasses,
} from "./engine/mod.ts";
import { type Collector, handoffSummary, routerQueueSummary, Status } from "./metrics/mod.ts";
import type { KvCapacity, OpBreakdown } from "./perf/mod.ts";
import type { ReportValue } from "./report/mod.ts";
import { policyWarnings, unusedConfigWarnings } from "./router/mod.ts";
import type { SimSpec } from "./spec.ts";
import { type ArrivalStep, clampWarnings, type Workload, workloadStats } from "./workload/mod.ts";

/** The warning for a `startup_time` set in a run without a planner, whose fleet never adds a worker. */
export function startupWarnings(resolved: readonly ResolvedEngine[]): string[] {
  return resolved.some((r) => r.args.startup_time != null && r.args.startup_time > 0)
    ? [
      "startup_time only delays the workers a planner adds; without a planner the fleet is fixed and it has no effect",
    ]
    : [];
}

/**
 * The warning for engine args' `router_queue_policy` where there is no router queue to order: only the KV
 * router queues, and only with a `router_queue_threshold`.
 */
function queuePolicyWarnings(resolved: readonly ResolvedEngine[], spec: SimSpec): string[] {
  const queued = spec.router.mode === "kv_router" && spec.router.config.router_queue_threshold !== null;
  return !queued && resolved.some((r) => r.args.router_queue_policy != null)
    ? [
      "the engine args' router_queue_policy has no effect without a router queue (--router-mode kv_router " +
      "with a router_queue_threshold)",
    ]
    : [];
}

/**
 * dynolab's additions to the report (under `dynolab`); `inputs` carry the workload as run (jittered), `step`
 * is the trace's own ({@link arrivalStep}) and `jitterMs` the arrival jitter it was run with.
 */
export function runDetails(
  inputs: { readonly workload: Workload; readonly spec: SimSpec },
  resolved: ResolvedEngine[],
  cluster: ClusterResult,
  collector: Collector,
  { step, jitterMs }: { step: ArrivalStep | null; jitterMs: number },
  plannerWarnings: readonly string[],
): { [key: string]: ReportValue } {
  const stats = workloadStats(inputs.workload);
  // The KV hit rate as the reference's planner averages it: over admissions, each prompt's routed overlap share.
  let hitSum = 0, hitCount = 0, admitted = 0, unarrived = 0, warmupInFlight = 0;
  const bs = resolved[0].config.blockSize;
  const router = cluster.pools[0].router;
  for (let r = 0; r < inputs.workload.requestCount; r++) {
    const sent = !Number.isNaN(collector.arrivalMs[r]);
    if (!sent && collector.warmup[r] === 0) unarrived++;
    if (sent && collector.warmup[r] === 1 && collector.status[r] === Status.Pending) warmupInFlight++;
    if (collector.admissions[r] === 0) continue;
    admitted++;
    const islBlocks = Math.ceil(inputs.workload.inputLength[r] / bs);
    if (collector.warmup[r] === 1 || islBlocks === 0) continue;
    hitSum += router.overlapBlocks[r] / islBlocks;
    hitCount++;
  }
  let decodeForwards = 0, decodeTokens = 0;
  for (const e of cluster.engines) {
    decodeForwards += e.decodeForwards;
    decodeTokens += e.decodeTokens;
  }
  const handoff = handoffSummary(collector);
  const routerQueue = routerQueueSummary(
    collector,
    inputs.spec.router.policy != null ? router.profile.classes.map((c) => c.name) : undefined,
  );
  return {
    workload: {
      name: inputs.workload.name,
      requests: stats.requests,
      sessions: stats.sessions,
      input_tokens: stats.inputTokens,
      output_tokens: stats.outputTokens,
      ...(step ? { arrival_step_ms: step.stepMs } : {}),
      ...(inputs.spec.spread_arrival_steps ? { arrival_jitter_ms: jitterMs } : {}),
    },
    pools: cluster.pools.map((pool, p) => ({
      role: pool.setup.stage,
      scheduler: pool.setup.config.policy,
      workers: pool.setup.workers,
      kv_capacity_blocks: pool.setup.config.numGpuBlocks,
      kv_capacity_source: pool.setup.config.kvCapacitySource,
      ...kvCapacityDetails(pool.setup.config.kvCapacity),
      block_size: pool.setup.config.blockSize,
      ...(pool.setup.config.stateBlocksPerSeq > 0
        ? { state_blocks_per_seq: pool.setup.config.stateBlocksPerSeq }
        : {}),
      ...(pool.setup.config.windowShare > 0
        ? {
          window_blocks_per_seq: sideBlocks(pool.setup.config, Infinity, 1) -
            pool.setup.config.stateBlocksPerSeq,
        }
        : {}),
      perf_model: pool.setup.perf.name,
      gpus_per_worker: pool.setup.config.gpusPerWorker,
      ranks_per_worker: pool.setup.config.dpSize,
      worker_seconds: cluster.workerSeconds[p],
      passes: sum(pool.workers.flatMap((w) => w.ranks.map((e) => e.passes))),
      preemptions: sum(pool.workers.flatMap((w) => w.ranks.map((e) => e.preemptions))),
      busy_ms: sum(pool.workers.flatMap((w) => w.ranks.map((e) => e.busyMs))),
      ...(pool.setup.config.hostTier
        ? {
          host_tier: { ...hostTierSummary(pool.setup.config.hostTier, pool.workers.flatMap((w) => w.ranks)) },
        }
        : {}),
      ...passDetails(pool.setup, sumPassTotals(pool.workers.flatMap((w) => w.ranks.map((e) => e.totals)))),
    })),
    ...(cluster.lowerTiers ? { lower_kv_tiers: lowerTiersSummary(cluster.lowerTiers) } : {}),
    router: cluster.pools[0].router.mode,
    mean_kv_hit_rate: hitCount > 0 ? hitSum / hitCount : 0,
    admitted_requests: admitted,
    warmup_requests: collector.warmup.reduce((a, b) => a + b, 0),
    mean_accept_length: decodeForwards > 0 ? decodeTokens / decodeForwards : 1,
    ...(handoff ? { handoff } : {}),
    ...(routerQueue ? { router_queue: routerQueue } : {}),
    simulated_end_ms: cluster.endMs,
    truncated: cluster.truncated,
    ...(cluster.truncated
      ? { unarrived_requests: unarrived, warmup_in_flight_requests: warmupInFlight }
      : {}),
    events: cluster.events,
    warnings: [
      ...stepWarning(step, jitterMs, inputs.spec.spread_arrival_steps),
      ...clampWarnings(inputs.workload.clampedInputTokens ?? 0, stats.inputTokens),
      ...resolved.flatMap((r) => r.warnings),
      ...(resolved.length === 2 ? transferArgWarnings(resolved[0].args, resolved[1].args) : []),
      ...(inputs.spec.router.mode === "kv_router"
        ? policyWarnings(inputs.spec.router.policy, inputs.spec.router.model_name)
        : []),
      ...queuePolicyWarnings(resolved, inputs.spec),
      ...unusedConfigWarnings(inputs.spec.router.mode, inputs.spec.router.config, {
        host: cluster.pools.some((p) => p.setup.config.hostTier != null),
        lower: cluster.lowerTiers != null,
      }),
      ...plannerWarnings,
    ],
  };
}

/**
 * The warning for a trace whose arrivals come in steps ({@link arrivalStep}) replayed with less jitter than
 * half a step: each step's requests then arrive at one instant, which queues them behind each other as no real
 * server would see (the Mooncake conversation trace: about a third more mean TTFT). With `spread` asked of a
 * trace without steps, the warning that there was nothing to spread.
 */
function stepWarning(step: ArrivalStep | null, jitterMs: number, spread: boolean): string[] {
  if (step == null) {
    return spread
      ? ["spread_arrival_steps: the trace's arrival times are not quantised, so it was replayed as is"]
      : [];
  }
  if (jitterMs >= step.stepMs / 2) return [];
  const shared = `${formatCount(step.requests)} requests at ${formatCount(step.instants)} instants, up to ` +
    `${step.peak} at one`;
  return [
    `the trace's arrival times come in steps of ${formatCount(step.stepMs)} ms (${shared}), so each step's ` +
    `requests arrive at one instant; --spread-arrival-steps (spread_arrival_steps) spreads them over their ` +
    `step, as --arrival-jitter-ms ${Math.ceil(step.stepMs / 2)} does`,
  ];
}

/** A pool's busy time by part and its typical passes ({@link typicalPasses}), for the report. */
function passDetails(setup: PoolSetup, totals: PassTotals): { [key: string]: ReportValue } {
  const { prefill, decode } = typicalPasses(setup.perf, setup.config, totals);
  const out: { [key: string]: ReportValue } = {
    busy_ms_by_part: { prefill: totals.prefillMs, decode: totals.decodeMs, overhead: totals.overheadMs },
  };
  const withOps = (pass: { [key: string]: ReportValue }, ops: OpBreakdown | undefined) =>
    ops ? { ...pass, ops_ms: { ...ops } } : pass;
  if (prefill) {
    out.typical_prefill_pass = withOps({
      requests: prefill.requests,
      mean_isl: prefill.meanIsl,
      mean_prefix: prefill.meanPrefix,
      ms: prefill.ms,
      overhead_ms: prefill.overheadMs,
    }, prefill.ops);
  }
  if (decode) {
    out.typical_decode_pass = withOps({
      requests: decode.requests,
      mean_context: decode.meanContext,
      active_kv_tokens: decode.activeKvTokens,
      ms: decode.ms,
      overhead_ms: decode.overheadMs,
    }, decode.ops);
  }
  return out;
}

/** How a derived KV capacity was reached, in GiB per GPU (empty for explicit or default capacities). */
function kvCapacityDetails(c: KvCapacity | undefined): { [key: string]: ReportValue } {
  if (!c) return {};
  const gib = (bytes: number) => bytes / 2 ** 30;
  return {
    kv_capacity_tokens: c.tokens,
    kv_capacity_derivation: {
      [c.fractionArg]: c.fraction,
      kv_gib: gib(c.kvBytes),
      weights_gib: gib(c.weightBytes),
      activations_gib: gib(c.activationBytes),
      reserved_gib: gib(c.reservedBytes),
      kv_bytes_per_token: c.kvBytesPerToken,
      ...(c.stateBytesPerSeq > 0 ? { state_bytes_per_seq: c.stateBytesPerSeq } : {}),
    },
  };
}

function sum(values: number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
