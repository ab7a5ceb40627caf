/**
 * Worker lifecycle under a scripted controller: start-up delay, cancellation, draining, billing, and
 * disaggregated hand-offs whose decode or prefill worker starts draining while the KV is in flight.
 */
import assert from "node:assert/strict";
import { Cluster, type ClusterResult, type ScalingController, workerBytes } from "../../lib/cluster/mod.ts";
import { InputError } from "../../lib/common/errors.ts";
import { resolveEngineArgs, type WorkerRole } from "../../lib/engine/mod.ts";
import { Collector } from "../../lib/metrics/mod.ts";
import { createPerfModel } from "../../lib/perf/mod.ts";
import { RouterConfigSchema } from "../../lib/router/mod.ts";
import type { Workload } from "../../lib/workload/mod.ts";
import { fixedTiming, workloadOf } from "../_fixtures.ts";

/** Applies `[atMs, pool, target]` steps at their times; ticks nowhere else. */
class Script implements ScalingController {
  #cluster!: Cluster;
  readonly #steps: [number, number, number][];
  ticks = 0;
  constructor(steps: [number, number, number][]) {
    this.#steps = [...steps];
  }
  start(cluster: Cluster): number {
    this.#cluster = cluster;
    return this.#steps[0]?.[0] ?? Infinity;
  }
  arrived(): void {}
  routed(): void {}
  completed(): void {}
  tick(nowMs: number): number {
    this.ticks++;
    while (this.#steps.length && this.#steps[0][0] <= nowMs) {
      const [, pool, target] = this.#steps.shift()!;
      this.#cluster.scaleTo(pool, target);
    }
    return this.#steps[0]?.[0] ?? Infinity;
  }
}

function simulate(
  w: Workload,
  pools: [WorkerRole, number, Record<string, unknown>][],
  controller?: ScalingController,
  maxFleetBytes?: number,
): { result: ClusterResult; collector: Collector } {
  const collector = new Collector(w.requestCount);
  const result = new Cluster({
    workload: w,
    pools: pools.map(([role, workers, args]) => {
      const { args: a, config } = resolveEngineArgs(args, role);
      return { stage: role, workers, config, perf: createPerfModel(a, config) };
    }),
    routerMode: "round_robin",
    routerConfig: RouterConfigSchema.parse({}),
    concurrency: Infinity,
    limitMs: Infinity,
    linkSharing: false,
    seed: 42,
    collector,
    controller,
    maxFleetBytes,
  }).run();
  return { result, collector };
}

const ops = (r: ClusterResult) => r.lifecycle.map((o) => `${o.atMs}:${o.op}:${o.worker}`);

Deno.test("lifecycle: a new worker is routable only after startup_time, and is billed while starting", () => {
  // Requests every second from 0 to 9 s, 100 ms each; a second worker requested at 1 s with a 3 s start-up.
  const w = workloadOf(Array.from({ length: 10 }, (_, i) => ({ input: 64, output: 1, at: i * 1000 })));
  const { result, collector } = simulate(
    w,
    [["aggregated", 1, { ...fixedTiming(100, 0), startup_time: 3 }]],
    new Script([[1000, 0, 2]]),
  );
  // Round robin over active workers only: engine 1 joins at 4 s, and the arrival due at the same time is
  // dispatched once that instant has settled, so requests alternate from the one at 4 s on.
  assert.deepEqual([...collector.computeEngine], [0, 0, 0, 0, 0, 1, 0, 1, 0, 1]);
  assert.deepEqual(ops(result), ["1000:start:1", "4000:activate:1"]);
  const end = result.endMs / 1000;
  assert.ok(Math.abs(result.workerSeconds[0] - (end + (end - 1))) < 1e-9, "starting worker billed from 1 s");
  assert.ok(Math.abs(result.activeWorkerSeconds[0] - (end + (end - 4))) < 1e-9, "active from 4 s");
});

Deno.test("lifecycle: a scale-down cancels starting workers first (newest first), then drains active ones", () => {
  const w = workloadOf(Array.from({ length: 6 }, (_, i) => ({ input: 64, output: 1, at: i * 1000 })));
  const script = new Script([[500, 0, 4], [1500, 0, 3], [2500, 0, 1]]);
  const { result } = simulate(w, [["aggregated", 2, { ...fixedTiming(100, 0), startup_time: 10 }]], script);
  assert.deepEqual(ops(result), [
    "500:start:2",
    "500:start:3",
    "1500:cancel:3",
    "2500:cancel:2",
    "2500:drain:1",
    "2500:remove:1",
  ]);
  // The cancelled workers' start-up events fire later and must not revive them.
  assert.ok(!ops(result).some((o) => o.includes("activate")));
});

Deno.test("lifecycle: a cancelled worker's start-up keeps no run going, nor billing, after the last request", () => {
  const w = workloadOf(Array.from({ length: 3 }, (_, i) => ({ input: 64, output: 1, at: i * 1000 })));
  // Started at 500 ms with a 600 s start-up, cancelled at 1,500 ms; the last request ends at 2,100 ms.
  const script = new Script([[500, 0, 2], [1500, 0, 1]]);
  const { result } = simulate(w, [["aggregated", 1, { ...fixedTiming(100, 0), startup_time: 600 }]], script);
  assert.deepEqual(ops(result), ["500:start:1", "1500:cancel:1"]);
  assert.equal(result.endMs, 2100);
  assert.ok(Math.abs(result.workerSeconds[0] - (2.1 + 1.0)) < 1e-9, `${result.workerSeconds[0]}`);
});

Deno.test("lifecycle: a worker still starting after the last request ends keeps no run going either", () => {
  const w = workloadOf(Array.from({ length: 3 }, (_, i) => ({ input: 64, output: 1, at: i * 1000 })));
  // Started at 500 ms with a 600 s start-up and never cancelled; the last request ends at 2,100 ms.
  const script = new Script([[500, 0, 2]]);
  const { result } = simulate(w, [["aggregated", 1, { ...fixedTiming(100, 0), startup_time: 600 }]], script);
  assert.deepEqual(ops(result), ["500:start:1"]);
  assert.equal(result.endMs, 2100);
  // Billed while starting, to the run's end: 2.1 s + 1.6 s.
  assert.ok(Math.abs(result.workerSeconds[0] - (2.1 + 1.6)) < 1e-9, `${result.workerSeconds[0]}`);
  // A request yet to arrive is work: the run goes on to it (and the worker still starting is billed to it).
  const late = workloadOf([{ input: 64, output: 1, at: 0 }, { input: 64, output: 1, at: 5000 }]);
  const { result: waited, collector } = simulate(
    late,
    [["aggregated", 1, { ...fixedTiming(100, 0), startup_time: 600 }]],
    new Script([[500, 0, 2]]),
  );
  assert.equal(waited.endMs, 5100);
  assert.equal(collector.terminalMs[1], 5100);
  assert.ok(Math.abs(waited.workerSeconds[0] - (5.1 + 4.6)) < 1e-9, `${waited.workerSeconds[0]}`);
});

Deno.test("lifecycle: a scale-up whose engines would allocate more than 8 GiB is an input error, and none of it is made", () => {
  const w = workloadOf([{ input: 64, output: 1, at: 0 }, { input: 64, output: 1, at: 2000 }]);
  // 16,384 blocks and 256 slots per rank: about 0.6 MiB each, so 20,000 workers would take ~11 GiB.
  const script = new Script([[1000, 0, 20_000]]);
  assert.throws(
    () => simulate(w, [["aggregated", 1, fixedTiming(10, 1)]], script),
    (e) =>
      e instanceof InputError && e.location.field === "planner.max_gpu_budget" &&
      /aggregated pool to 20,000 workers would take the engines of this run to [\d.]+ GiB/.test(e.message),
  );
  // A hundred workers fit: 99 start (and, without a start-up time, activate at once).
  const { result } = simulate(w, [["aggregated", 1, fixedTiming(10, 1)]], new Script([[1000, 0, 100]]));
  assert.equal(result.lifecycle.filter((o) => o.op === "start").length, 99);
});

Deno.test("lifecycle: a removed worker's ranks give their KV memory back, so it no longer counts to the limit", () => {
  // Two workers serve a request each; the second drains at 1 s and is removed. Then a worker is started and
  // cancelled 20 times, under a limit of three workers' engines: 23 workers are made, never more than two live.
  const w = workloadOf([
    { input: 64, output: 1, at: 0, ids: [1] },
    { input: 64, output: 1, at: 0, ids: [2] },
    { input: 64, output: 1, at: 60_000, ids: [3] },
  ]);
  const args = { ...fixedTiming(10, 1), startup_time: 600 };
  const steps: [number, number, number][] = [[1000, 0, 1]];
  for (let k = 0; k < 20; k++) steps.push([2000 + 1000 * k, 0, 2], [2500 + 1000 * k, 0, 1]);
  const limit = 3 * workerBytes(resolveEngineArgs(args, "aggregated").config);
  const { result } = simulate(w, [["aggregated", 2, args]], new Script(steps), limit);
  assert.deepEqual(ops(result).slice(0, 2), ["1000:drain:1", "1000:remove:1"]);
  assert.equal(result.lifecycle.filter((o) => o.op === "cancel").length, 20);
  // The removed worker's block index went with its memory; the live worker keeps its cache.
  assert.ok(result.engines[0].pool.cachedSlot(w.blocks[w.blockOffset[0]]) >= 0);
  assert.equal(result.engines[1].pool.cachedSlot(w.blocks[w.blockOffset[1]]), -1);
});

Deno.test("lifecycle: a removed worker whose host tier was still copying gives its memory back once the copies land", () => {
  // The second worker's prompt (4 blocks of 64 tokens, 1 MB a token) copies to its host tier at 0.1 GB/s: 2.6 s,
  // past its removal at 1 s. Then 20 start-and-cancel rounds under a limit of three workers' engines.
  const w = workloadOf([
    { input: 256, output: 1, at: 0, ids: [1, 2, 3, 4] },
    { input: 256, output: 1, at: 0, ids: [5, 6, 7, 8] },
    { input: 64, output: 1, at: 60_000, ids: [9] },
  ]);
  const args = {
    ...fixedTiming(10, 1),
    startup_time: 600,
    num_g2_blocks: 16,
    kv_bytes_per_token: 1e6,
    bandwidth_g1_to_g2_gbps: 0.1,
  };
  const steps: [number, number, number][] = [[1000, 0, 1]];
  for (let k = 0; k < 20; k++) steps.push([5000 + 1000 * k, 0, 2], [5500 + 1000 * k, 0, 1]);
  const limit = 3 * workerBytes(resolveEngineArgs(args, "aggregated").config);
  const { result } = simulate(w, [["aggregated", 2, args]], new Script(steps), limit);
  assert.deepEqual(ops(result).slice(0, 2), ["1000:drain:1", "1000:remove:1"]);
  assert.equal(result.lifecycle.filter((o) => o.op === "cancel").length, 20);
  assert.equal(result.engines[1].pool.cachedSlot(w.blocks[w.blockOffset[1]]), -1, "its memory went");
});

Deno.test("lifecycle: a draining worker takes no new requests, finishes its queue, then is removed", () => {
  // Six requests of 1 s each at t = 0 on two workers (3 each, run one after another: max_num_seqs 1).
  const w = workloadOf(Array.from({ length: 8 }, (_, i) => ({ input: 64, output: 1, at: i < 6 ? 0 : 5000 })));
  const args = { ...fixedTiming(1000, 0), max_num_seqs: 1 };
  const { result, collector } = simulate(w, [["aggregated", 2, args]], new Script([[500, 0, 1]]));
  // Worker 1 drains at 0.5 s with its three requests queued: they complete at 1, 2, 3 s on engine 1.
  assert.deepEqual([...collector.computeEngine].slice(0, 6), [0, 1, 0, 1, 0, 1]);
  assert.deepEqual([1, 3, 5].map((r) => collector.terminalMs[r]), [1000, 2000, 3000]);
  // Later arrivals go to worker 0 only.
  assert.deepEqual([...collector.computeEngine].slice(6), [0, 0]);
  assert.deepEqual(ops(result), ["500:drain:1", "3000:remove:1"]);
  assert.ok(Math.abs(result.workerSeconds[0] - (result.endMs / 1000 + 3)) < 1e-9, "billed until removed");
});

Deno.test("lifecycle: a hand-off in flight to a decode worker that starts draining still lands there", () => {
  // Prefill 10 ms; KV transfer 1000 ms; request 1's decode worker (the second) drains at 500 ms.
  const w = workloadOf([{ input: 1000, output: 3, at: 0 }, { input: 1000, output: 3, at: 0 }]);
  const prefill = { ...fixedTiming(10, 0), kv_bytes_per_token: 1_000_000, kv_transfer_bandwidth: 1 };
  const { result, collector } = simulate(
    w,
    [["prefill", 1, prefill], ["decode", 2, fixedTiming(0, 5)]],
    new Script([[500, 1, 1]]),
  );
  assert.deepEqual([...collector.decodeEngine], [1, 2], "round robin over the two decode workers");
  assert.deepEqual([...collector.status], [1, 1], "both completed");
  assert.equal(collector.terminalMs[1], 10 + 1000 + 3 * 5);
  assert.deepEqual(ops(result), ["500:drain:1", `${10 + 1000 + 15}:remove:1`]);
});

Deno.test("lifecycle: a draining prefill worker stays until the KV it holds for hand-offs has left", () => {
  // Two prefill workers, 10 ms prefills, 1000 ms transfers; the second prefill worker drains at 500 ms, while
  // request 1's KV is still on its way out of it.
  const w = workloadOf([{ input: 1000, output: 3, at: 0 }, { input: 1000, output: 3, at: 0 }]);
  const prefill = { ...fixedTiming(10, 0), kv_bytes_per_token: 1_000_000, kv_transfer_bandwidth: 1 };
  const { result, collector } = simulate(
    w,
    [["prefill", 2, prefill], ["decode", 1, fixedTiming(0, 5)]],
    new Script([[500, 0, 1]]),
  );
  assert.deepEqual([...collector.computeEngine], [0, 1]);
  assert.deepEqual([...collector.status], [1, 1], "both completed");
  assert.deepEqual(ops(result), ["500:drain:1", `${10 + 1000}:remove:1`]);
  assert.ok(result.engines.every((e) => e.holds.size === 0 && e.pool.activeBlocks === 0));
});

Deno.test("lifecycle: ticks without decisions leave the simulation unchanged", () => {
  const w = workloadOf(
    Array.from({ length: 30 }, (_, i) => ({ input: 300 + 10 * i, output: 5, at: i * 37 })),
  );
  const pools: [WorkerRole, number, Record<string, unknown>][] = [["aggregated", 2, {}]];
  const plain = simulate(w, pools);
  const idle = new (class extends Script {
    override tick(nowMs: number): number {
      super.tick(nowMs);
      return nowMs + 50;
    }
    override start(c: Cluster): number {
      super.start(c);
      return 50;
    }
  })([]);
  const ticked = simulate(w, pools, idle);
  assert.ok(idle.ticks > 10);
  assert.deepEqual([...ticked.collector.firstTokenMs], [...plain.collector.firstTokenMs]);
  assert.deepEqual([...ticked.collector.terminalMs], [...plain.collector.terminalMs]);
  assert.equal(ticked.result.endMs, plain.result.endMs, "ticking stops when the work is done");
});
