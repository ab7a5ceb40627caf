/**
 * The host KV tier (`num_g2_blocks`): write-through copies of computed prompt blocks, a request parked while its
 * evicted prefix is copied back, the copies' timing over processor-sharing links, and its config.
 */
import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { resolveEngineArgs } from "../../lib/engine/mod.ts";
import { HostTier } from "../../lib/engine/host_tier.ts";
import { fixedTiming, run, type TestRow, workloadOf } from "../_fixtures.ts";
import type { SimSpecInput } from "../../lib/spec.ts";

/** 16-token blocks of 1 MB each (62,500 B a token): one block copies in 1 ms at 1 GB/s. */
const BLOCK = 16, BYTES_PER_TOKEN = 62_500;

/**
 * `rows` on `workers` agg workers of 16-token blocks of 1 MB, prefill costing 10 ms a pass plus 1 ms a token (so
 * recomputing shows), with `engine`'s args on top and `router` (round robin unless given).
 */
function runTier(
  rows: TestRow[],
  engine: Record<string, unknown>,
  { workers = 1, router }: { workers?: number; router?: Omit<SimSpecInput, "workload">["router"] } = {},
) {
  return run(workloadOf(rows, BLOCK), {
    topology: {
      mode: "agg",
      num_workers: workers,
      engine: { block_size: BLOCK, kv_bytes_per_token: BYTES_PER_TOKEN, ...fixedTiming(10, 1, 1), ...engine },
    },
    ...(router ? { router } : {}),
  });
}

/** One worker with 3 GPU blocks: A (blocks 1–3), then B (blocks 4–6), which evicts A's blocks, then A as C. */
function evictAndReturn(host: Record<string, unknown>) {
  const rows: TestRow[] = [
    { input: 48, output: 1, ids: [1, 2, 3], at: 0 },
    { input: 48, output: 1, ids: [4, 5, 6], at: 1000 },
    { input: 48, output: 1, ids: [1, 2, 3], at: 2000 },
  ];
  return runTier(rows, { num_gpu_blocks: 3, ...host });
}

Deno.test("host tier: an evicted prefix is copied back at the link's rate, not recomputed", () => {
  const without = evictAndReturn({});
  const { collector, report } = evictAndReturn({
    num_g2_blocks: 16,
    bandwidth_g1_to_g2_gbps: 1,
    bandwidth_g2_to_g1_gbps: 1,
  });
  // Without the tier C recomputes its whole prompt; with it, C parks while 2 blocks copy back (1 ms each), then
  // reuses those 32 of its 48 tokens: its last block is recomputed for the last token, so it is not copied.
  assert.equal(without.collector.firstReusedTokens[2], 0);
  assert.equal(collector.firstAdmitMs[2], 2002);
  assert.equal(collector.firstReusedTokens[2], 32);
  assert.ok(collector.firstTokenMs[2] - 2000 < without.collector.firstTokenMs[2] - 2000);
  const tier = (report.dynolab as { pools: { host_tier: Record<string, number> }[] }).pools[0].host_tier;
  assert.deepEqual(
    [tier.offloaded_blocks, tier.onboarded_blocks, tier.swap_ins, tier.block_bytes],
    [6, 2, 1, 1e6],
  );
});

Deno.test("host tier: instant links copy back within the admission, without parking", () => {
  const { collector, report } = evictAndReturn({
    num_g2_blocks: 16,
    bandwidth_g1_to_g2_gbps: 0,
    bandwidth_g2_to_g1_gbps: 0,
  });
  assert.equal(collector.firstAdmitMs[2], 2000);
  assert.equal(collector.firstReusedTokens[2], 32);
  const tier = (report.dynolab as { pools: { host_tier: Record<string, number> }[] }).pools[0].host_tier;
  assert.equal(tier.swap_ins, 0);
});

Deno.test("host tier: a copy to host memory that has not landed is no hit", () => {
  // 10 MB blocks at 0.01 GB/s (the slowest link a copy may take) take 1 s each to reach host memory: A's three
  // blocks share the link for 3 s, so when C arrives at 2 s, nothing has landed and C recomputes.
  const { collector } = evictAndReturn({
    num_g2_blocks: 16,
    kv_bytes_per_token: BYTES_PER_TOKEN * 10,
    bandwidth_g1_to_g2_gbps: 0.01,
    bandwidth_g2_to_g1_gbps: 1,
  });
  assert.equal(collector.firstAdmitMs[2], 2000);
  assert.equal(collector.firstReusedTokens[2], 0);
});

Deno.test("host tier: a full tier evicts its least recently used unheld blocks, a prompt's leaf first", () => {
  const tier = new HostTier({ blocks: 3, blockBytes: 1, offloadGbps: 0, onboardGbps: 1 });
  const held = (...ids: number[]) => ids.map((id) => tier.match(Int32Array.of(id), 0, 1));
  tier.offload([1, 2, 3], 0); // one prompt's chain: its root, 1, is used last
  tier.offload([4], 0); // evicts the leaf, 3
  assert.deepEqual(held(1, 2, 3, 4), [1, 1, 0, 1]);
  assert.equal(tier.match(Int32Array.of(1, 2, 3), 0, 3), 2);
  tier.offload([2], 0); // already there: used again, so 1 is now the least recently used
  tier.offload([5], 0);
  assert.deepEqual(held(1, 2, 4, 5), [0, 1, 1, 1]);
  // Blocks held by a copy back are not evicted; with every block held, a new one is dropped.
  assert.ok(tier.onboard(Int32Array.of(2, 4, 5), 0, 3, 0, 9));
  tier.offload([6], 0);
  assert.equal(tier.dropped, 1);
  assert.deepEqual(tier.tick(tier.due()), [9]);
  assert.deepEqual(held(2, 4, 5, 6), [1, 1, 1, 0]);
});

Deno.test("host tier config: defaults, the block's bytes, and what has no effect", () => {
  const { config } = resolveEngineArgs(
    { num_g2_blocks: 100, kv_bytes_per_token: 1000, block_size: 16 },
    "aggregated",
  );
  assert.deepEqual(config.hostTier, { blocks: 100, blockBytes: 16_000, offloadGbps: 14, onboardGbps: 14 });
  // The model sizes a block when kv_bytes_per_token is not given (Llama-3.1-8B FP8: 64 KiB a token).
  const model = resolveEngineArgs({
    num_g2_blocks: 100,
    aic_system: "h200_sxm",
    aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8",
  }, "prefill").config;
  assert.equal(model.hostTier?.blockBytes, 64 * 65_536);
  const unsized = resolveEngineArgs({ num_g2_blocks: 100 }, "aggregated");
  assert.equal(unsized.config.hostTier, null);
  assert.match(unsized.warnings.join("\n"), /num_g2_blocks has no effect without kv_bytes_per_token/);
  const uncached = resolveEngineArgs(
    { num_g2_blocks: 100, kv_bytes_per_token: 1, enable_prefix_caching: false },
    "aggregated",
  );
  assert.match(uncached.warnings.join("\n"), /without prefix caching/);
  const off = resolveEngineArgs({ num_g2_blocks: 0, bandwidth_g2_to_g1_gbps: 5 }, "aggregated");
  assert.equal(off.config.hostTier, null);
  assert.match(off.warnings.join("\n"), /bandwidth_g2_to_g1_gbps has no effect without num_g2_blocks/);
});

Deno.test("host tier config: decode workers are refused by name, and tiers below a host tier need one", () => {
  const refuses = (args: Record<string, unknown>, role: "aggregated" | "decode", field: RegExp) =>
    assert.throws(
      () => resolveEngineArgs({ kv_bytes_per_token: 1, ...args }, role, "--decode-engine-args"),
      (e) => e instanceof InputError && field.test(e.message),
    );
  refuses({ num_g2_blocks: 10 }, "decode", /num_g2_blocks.*not yet on decode workers/);
  refuses({ num_g3_blocks: 10 }, "decode", /\(G3, G4\) are simulated on aggregated and prefill workers only/);
  refuses({ enable_g4_storage: true }, "aggregated", /\(G3, G4\) need a host tier: num_g2_blocks/);
});

Deno.test("host tier: the KV router credits host blocks past a worker's GPU prefix only, whatever the GPU credit", () => {
  // A runs on one worker; B, the same prompt later, finds it all in that worker's GPU memory (and, written
  // through, in its host tier). Without GPU credit, the host copies of GPU-cached blocks earn nothing either.
  const rows: TestRow[] = [
    { input: 160, output: 1, ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], at: 0 },
    { input: 160, output: 1, ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], at: 1000 },
  ];
  const routed = (credit: number, hostBlocks: number) => {
    const { collector } = runTier(
      rows,
      { num_gpu_blocks: 100, kv_bytes_per_token: 1024, num_g2_blocks: hostBlocks },
      { workers: 2, router: { mode: "kv_router", config: { overlap_score_credit: credit } } },
    );
    return [collector.computeEngine[0], collector.computeEngine[1]];
  };
  assert.deepEqual(routed(0, 100), routed(0, 0));
  assert.deepEqual(routed(1, 100), routed(1, 0));
});

Deno.test("host tier: a tier too large to simulate is an input error naming num_g2_blocks", () => {
  assert.throws(
    () =>
      runTier([{ input: 100, output: 1 }], {
        num_gpu_blocks: 100,
        kv_bytes_per_token: 1,
        num_g2_blocks: 5e11,
      }),
    (e) => e instanceof InputError && /num_g2_blocks/.test(e.message),
  );
});

Deno.test("host tier: with MTP a copy back reuses what GPU memory would have, no block fewer", () => {
  // A's four blocks, evicted from 5 GPU blocks by B, come back for C: with ample GPU memory C would reuse two
  // blocks (the last one is recomputed for its last token, and MTP drops one more); the tier must give the same.
  const rows: TestRow[] = [
    { input: 64, output: 1, ids: [1, 2, 3, 4], at: 0 },
    { input: 64, output: 1, ids: [5, 6, 7, 8], at: 1000 },
    { input: 64, output: 1, ids: [1, 2, 3, 4], at: 2000 },
  ];
  const reused = (gpuBlocks: number, hostBlocks: number) =>
    runTier(rows, { num_gpu_blocks: gpuBlocks, num_g2_blocks: hostBlocks, aic_nextn: 1 }).collector
      .firstReusedTokens[2];
  assert.equal(reused(100, 0), 32);
  assert.equal(reused(5, 0), 0);
  assert.equal(reused(5, 16), 32);
});

Deno.test("host tier: a prompt stored over several passes still leaves the tier leaf first", () => {
  // Chunked prefill stores a prompt's chain a block more each pass, from its root: the root stays the most
  // recently used, so a new block evicts the leaf and the chain's first two blocks still match.
  const tier = new HostTier({ blocks: 3, blockBytes: 1, offloadGbps: 0, onboardGbps: 1 });
  tier.offload([1], 0);
  tier.offload([1, 2], 0);
  tier.offload([1, 2, 3], 0);
  tier.offload([9], 0);
  assert.equal(tier.match(Int32Array.of(1, 2, 3), 0, 3), 2);
  // The same with copies in flight: chains touched when offered and again when their copy lands.
  const slow = new HostTier({ blocks: 3, blockBytes: 1e6, offloadGbps: 1, onboardGbps: 1 });
  slow.offload([1], 0);
  slow.offload([1, 2], 0.5);
  slow.offload([1, 2, 3], 1);
  for (let t = slow.due(); t < Infinity; t = slow.due()) slow.tick(t);
  slow.offload([9], 10);
  for (let t = slow.due(); t < Infinity; t = slow.due()) slow.tick(t);
  assert.equal(slow.match(Int32Array.of(1, 2, 3), 0, 3), 2);
});
