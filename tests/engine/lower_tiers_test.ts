/**
 * The lower KV tiers below the host tier (`num_g3_blocks`, `enable_g4_storage`), shared by every rank: blocks
 * written through from host memory, staged back up into it for a copy back to the GPU, across workers, and
 * their config and report.
 */
import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { resolveEngineArgs } from "../../lib/engine/mod.ts";
import { formatRunSummary } from "../../lib/report/mod.ts";
import { loadInputs } from "../../lib/simulate.ts";
import { fixedTiming, run, type TestRow, workloadOf } from "../_fixtures.ts";

/** 16-token blocks of 1 MB each (62,500 B a token): one block copies in 1 ms at 1 GB/s. */
const BLOCK = 16, BYTES_PER_TOKEN = 62_500;
/** Every link at 1 GB/s: a block moves in 1 ms. */
const LINKS = {
  bandwidth_g1_to_g2_gbps: 1,
  bandwidth_g2_to_g1_gbps: 1,
  bandwidth_g2_to_g3_gbps: 1,
  bandwidth_g3_to_g2_gbps: 1,
  bandwidth_g2_to_g4_gbps: 1,
  bandwidth_g4_to_g2_gbps: 1,
};

interface Tiers {
  disk?: Record<string, number>;
  object?: Record<string, number>;
}

/**
 * A (blocks 1–3) at 0 s, B (4–6) at 1 s and, when `again`, A's prompt once more as C at 2 s, on `workers` agg
 * workers (round robin) with 3 GPU blocks and `engine`'s tiers; prefill costs 10 ms a pass plus 1 ms a token.
 */
function replay(
  engine: Record<string, unknown>,
  { workers = 1, rows }: { workers?: number; rows?: TestRow[] } = {},
) {
  const w = rows ?? [
    { input: 48, output: 1, ids: [1, 2, 3], at: 0 },
    { input: 48, output: 1, ids: [4, 5, 6], at: 1000 },
    { input: 48, output: 1, ids: [1, 2, 3], at: 2000 },
  ];
  const result = run(workloadOf(w, BLOCK), {
    topology: {
      mode: "agg",
      num_workers: workers,
      engine: {
        block_size: BLOCK,
        kv_bytes_per_token: BYTES_PER_TOKEN,
        num_gpu_blocks: 3,
        ...fixedTiming(10, 1, 1),
        ...LINKS,
        ...engine,
      },
    },
  });
  const d = result.report.dynolab as unknown as {
    lower_kv_tiers?: Tiers;
    pools: { host_tier?: Record<string, number> }[];
  };
  return { ...result, lower: d.lower_kv_tiers, host: d.pools[0].host_tier };
}

Deno.test("lower tiers: a prefix evicted from GPU and host memory is staged from disk, then copied back", () => {
  // A host tier of 3 blocks holds B's blocks once B has run; A's went on to disk. C parks while 2 blocks come up
  // from disk (2 ms) and then back to the GPU (2 ms); its last block is recomputed for its last token.
  const { collector, lower, host } = replay({ num_g2_blocks: 3, num_g3_blocks: 16 });
  assert.equal(collector.firstAdmitMs[2], 2004);
  assert.equal(collector.firstReusedTokens[2], 32);
  assert.deepEqual(lower!.disk, {
    blocks: 16,
    write_gbps: 1,
    read_gbps: 1,
    stored_blocks: 6,
    dropped_blocks: 0,
    read_blocks: 2,
  });
  assert.deepEqual([host!.staged_blocks, host!.onboarded_blocks, host!.swap_ins], [2, 2, 1]);
  // Without the disk tier C recomputes.
  assert.equal(replay({ num_g2_blocks: 3 }).collector.firstReusedTokens[2], 0);
});

Deno.test("lower tiers: the object store keeps every block, at its own links' pace", () => {
  const { collector, lower } = replay({ num_g2_blocks: 3, enable_g4_storage: true });
  assert.equal(collector.firstAdmitMs[2], 2004);
  assert.equal(collector.firstReusedTokens[2], 32);
  assert.deepEqual(lower, {
    block_bytes: 1e6,
    object: { write_gbps: 1, read_gbps: 1, stored_blocks: 6, read_blocks: 2 },
  });
});

Deno.test("lower tiers: a worker reads blocks another worker wrote", () => {
  // A runs on worker 0, C on worker 1 (round robin): C finds A's prefix only on the shared disk.
  const rows: TestRow[] = [
    { input: 48, output: 1, ids: [1, 2, 3], at: 0 },
    { input: 48, output: 1, ids: [1, 2, 3], at: 2000 },
  ];
  const shared = replay({ num_g2_blocks: 3, num_g3_blocks: 16 }, { workers: 2, rows });
  assert.equal(shared.collector.firstReusedTokens[1], 32);
  assert.equal(shared.lower!.disk!.read_blocks, 2);
  const own = replay({ num_g2_blocks: 3 }, { workers: 2, rows });
  assert.equal(own.collector.firstReusedTokens[1], 0);
  assert.match(
    formatRunSummary(shared.report).join("\n"),
    /Lower KV tiers \(shared by every rank\): disk 16 blocks, 1 GB\/s in, 1 GB\/s out: 3 stored, 2 read back/,
  );
});

Deno.test("lower tiers: blocks a small host tier cannot keep still reach the disk; staging takes what fits", () => {
  // A one-block host tier keeps each prompt's root only, but every block that landed there goes on to disk. C's
  // two disk blocks find room for one in host memory: it stages that one and recomputes the rest.
  const { collector, lower, host } = replay({ num_g2_blocks: 1, num_g3_blocks: 16 });
  assert.equal(collector.firstReusedTokens[2], 16);
  assert.deepEqual([lower!.disk!.stored_blocks, lower!.disk!.read_blocks, host!.dropped_blocks], [6, 1, 4]);
});

Deno.test("lower tiers: the host run's own unheld blocks are no room for staging", () => {
  // D's first 4 blocks are in the 4-block host tier and its next 4 on disk (stored while the host tier, with a
  // slow link, dropped them); holding its host run leaves no room, so only the host run is copied back.
  const rows: TestRow[] = [
    { input: 65, output: 1, ids: [1, 2, 3, 4, 100], at: 0 },
    { input: 65, output: 1, ids: [11, 12, 13, 14, 101], at: 0 },
    { input: 129, output: 1, ids: [1, 2, 3, 4, 5, 6, 7, 8, 102], at: 5 },
    { input: 145, output: 1, ids: [21, 22, 23, 24, 25, 26, 27, 28, 29, 103], at: 140 },
    { input: 129, output: 1, ids: [1, 2, 3, 4, 5, 6, 7, 8, 104], at: 160 },
  ];
  const { report, host } = replay({
    num_gpu_blocks: 10,
    num_g2_blocks: 4,
    num_g3_blocks: 16,
    bandwidth_g1_to_g2_gbps: 0.1,
    bandwidth_g2_to_g3_gbps: 0,
    ...fixedTiming(10, 1, 0),
  }, { rows });
  assert.equal(report.completed_requests, 5);
  assert.deepEqual([host!.swap_ins, host!.onboarded_blocks, host!.staged_blocks], [1, 4, 0]);
});

Deno.test("lower tiers: config needs a host tier and a block size; bandwidths alone are reported", () => {
  const fails = (args: Record<string, unknown>, field: string, message: RegExp) =>
    assert.throws(
      () => resolveEngineArgs(args, "aggregated", "e"),
      (e: unknown) => e instanceof InputError && e.location.field === field && message.test(e.message),
    );
  fails({ num_g3_blocks: 10 }, "e.num_g3_blocks", /need a host tier: num_g2_blocks/);
  fails({ enable_g4_storage: true }, "e.enable_g4_storage", /need a host tier: num_g2_blocks/);
  fails({ num_g2_blocks: 10, num_g3_blocks: 10 }, "e.num_g3_blocks", /need a block size in bytes/);
  const { config, warnings } = resolveEngineArgs(
    { num_g2_blocks: 10, kv_bytes_per_token: 1000, num_g3_blocks: 0, bandwidth_g2_to_g3_gbps: 3 },
    "aggregated",
    "e",
  );
  assert.equal(config.lowerTiers, null);
  assert.deepEqual(warnings, ["e.bandwidth_g2_to_g3_gbps has no effect without num_g3_blocks"]);
  const both = resolveEngineArgs(
    { num_g2_blocks: 10, kv_bytes_per_token: 1000, num_g3_blocks: 5, enable_g4_storage: true },
    "aggregated",
  ).config.lowerTiers!;
  assert.deepEqual(both, {
    blockBytes: 64_000,
    disk: { blocks: 5, writeGbps: 7, readGbps: 7 },
    object: { writeGbps: 4, readGbps: 4 },
  });
  const noCache = resolveEngineArgs(
    { num_g2_blocks: 10, kv_bytes_per_token: 1000, num_g3_blocks: 5, enable_prefix_caching: false },
    "aggregated",
    "e",
  );
  assert.equal(noCache.config.lowerTiers, null);
  assert.ok(
    noCache.warnings.includes(
      "e.num_g3_blocks has no effect without prefix caching (only cached blocks are offloaded)",
    ),
  );
});

Deno.test("lower tiers: a disk tier too large for a simulation is an input error naming num_g3_blocks", async () => {
  await assert.rejects(
    () =>
      loadInputs({
        workload: {
          source: "synthetic",
          input_tokens: 100,
          output_tokens: 10,
          request_count: 1,
          request_rate: 1,
        },
        topology: {
          mode: "agg",
          num_workers: 1,
          engine: { num_g2_blocks: 10, kv_bytes_per_token: 1000, num_g3_blocks: 1_000_000_000 },
        },
      }),
    (e: unknown) =>
      e instanceof InputError && /num_g3_blocks/.test(e.location.field ?? "") && /GiB/.test(e.message),
  );
});
