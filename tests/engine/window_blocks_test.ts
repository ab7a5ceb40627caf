import assert from "node:assert/strict";
import {
  Engine,
  parseEngineArgs,
  RequestTable,
  resolveEngineArgs,
  sideBlocks,
} from "../../lib/engine/mod.ts";
import { fixedModel, loadPerfInputs } from "../../lib/perf/mod.ts";
import { configFile, GEMMA4_31B_CONFIG, workloadOf } from "../_fixtures.ts";
import { Rng } from "../../lib/common/rng.ts";
import { simulate } from "../../mod.ts";

const perf = fixedModel({ prefillMs: 10, prefillMsPerToken: 0, decodeMs: 4 });

/** An engine of 16-token blocks whose sliding-window layers take `share` blocks per block of their `window`. */
function engine(req: RequestTable, blocks: number, share: number, window: number, extra = {}) {
  const { config } = resolveEngineArgs({ num_gpu_blocks: blocks, block_size: 16, ...extra }, "aggregated");
  return new Engine(0, { ...config, windowShare: share, window }, perf, req);
}

Deno.test("sliding window: a sequence's window layers take blocks as it grows, and give them back as it slides", () => {
  const req = new RequestTable(workloadOf([{ input: 100, output: 40 }], 16));
  const e = engine(req, 64, 2, 64);
  req.reset(0, 40);
  e.enqueue(0);
  e.startPass(0);
  // The 100-token prompt in one pass: its 7 blocks, and 2 × 7 for the window layers, which keep the pass's tokens.
  assert.equal(req.sideBlocks[0], 14);
  assert.equal(e.pool.activeBlocks, 7 + 14);
  e.endPass(0);
  let held = 0;
  for (let pass = 0; pass < 20 && e.runningCount > 0; pass++) {
    e.startPass(0);
    held = req.sideBlocks[0];
    e.endPass(0);
  }
  // Decoding past block 7: the window keeps its last 64 tokens, 4 blocks and the one it starts in, × 2.
  assert.equal(held, 10);
  while (e.runningCount > 0) {
    e.startPass(0);
    e.endPass(0);
  }
  assert.equal(e.pool.activeBlocks, 0);
  assert.equal(req.sideBlocks[0], 0);
});

Deno.test("sliding window: the first decode pass after a long prompt gives back the blocks its chunk kept", () => {
  const req = new RequestTable(workloadOf([{ input: 1000, output: 5 }], 16));
  const e = engine(req, 400, 2, 64, { max_num_batched_tokens: 2048 });
  req.reset(0, 5);
  e.enqueue(0);
  e.startPass(0);
  assert.equal(req.sideBlocks[0], 2 * 63, "the 1,000-token chunk's 63 blocks, twice");
  e.endPass(0);
  e.startPass(0);
  // Its 1,001st token fits the prompt's last block, but the window layers now keep 64 tokens: 4 blocks and one.
  assert.equal(req.sideBlocks[0], 2 * 5);
  assert.equal(e.pool.activeBlocks, 63 + 10);
  e.endPass(0);
});

Deno.test("sliding window: the window layers' blocks bound the batch; a sequence they cannot fit is refused", () => {
  // 200-token prompts: 13 token blocks and 2 × 13 window blocks each while prefilling (one pass each), so
  // 60 blocks run one prompt at a time where, without the window layers, four would fit.
  const rows = [0, 1, 2, 3].map(() => ({ input: 200, output: 2 }));
  const req = new RequestTable(workloadOf(rows, 16));
  const e = engine(req, 60, 2, 1024, { max_num_batched_tokens: 4096 });
  for (let r = 0; r < 4; r++) {
    req.reset(r, 2);
    e.enqueue(r);
  }
  e.startPass(0);
  assert.equal(e.runningCount, 1);
  e.endPass(0);
  const tiny = engine(req, 30, 2, 1024);
  req.reset(0, 2);
  assert.equal(tiny.receive(0), "kv_capacity", "13 + 2 × 13 blocks exceed 30");
});

// Recurrent-state blocks, sliding-window blocks, or both (state_blocks_test.ts holds the state's own cases).
Deno.test("sliding window: TRT-LLM's no-evict policy reserves the side blocks of a prompt's later chunks", () => {
  // 4-token blocks, 10 of them, 4-token passes, an 8-token window whose layers take a block per block. Request
  // 1's 10-token prompt keeps 3 window blocks in its last chunk (its window starts inside a block), 1 more than
  // its first chunk: reserved at admission, request 0 is never preempted.
  const req = new RequestTable(workloadOf([{ input: 2, output: 4 }, { input: 10, output: 1 }], 4));
  const { config } = resolveEngineArgs({
    engine_type: "trtllm",
    block_size: 4,
    num_gpu_blocks: 10,
    max_num_batched_tokens: 4,
    enable_prefix_caching: false,
  }, "aggregated");
  const e = new Engine(0, { ...config, windowShare: 1, window: 8 }, perf, req);
  for (const r of [0, 1]) {
    req.reset(r, r === 0 ? 4 : 1);
    e.enqueue(r);
  }
  let t = 0;
  for (let pass = 0; pass < 50 && e.hasWork; pass++) {
    t += e.startPass(t);
    e.endPass(t);
  }
  assert.ok(!e.hasWork);
  assert.equal(e.preemptions, 0);
  assert.equal(e.pool.activeBlocks, 0);
});

Deno.test("side blocks, random engines: no over-commit, every request finishes or is refused, the pool empties", () => {
  const rng = new Rng(65);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + rng.int(12);
    const rows = Array.from({ length: n }, () => ({ input: 1 + rng.int(600), output: 1 + rng.int(150) }));
    const req = new RequestTable(workloadOf(rows, 16));
    const blocks = 8 + rng.int(200),
      share = [0, 0.5, 1, 2, 10][rng.int(5)],
      window = [32, 128, 1024][rng.int(3)];
    const { config } = resolveEngineArgs({
      num_gpu_blocks: blocks,
      block_size: 16,
      engine_type: rng.next() < 0.3 ? "trtllm" : "vllm",
      preemption_mode: rng.next() < 0.5 ? "lifo" : "fifo",
      max_num_seqs: 1 + rng.int(8),
      max_num_batched_tokens: [32, 256, 2048][rng.int(3)],
      enable_prefix_caching: rng.next() < 0.5,
    }, "aggregated");
    const state = rng.next() < 0.4 ? 1 + rng.int(12) : 0;
    const cfg = { ...config, windowShare: share, window: share > 0 ? window : 0, stateBlocksPerSeq: state };
    const e = new Engine(0, cfg, perf, req);
    let refused = 0, finished = 0, tokens = 0;
    for (let r = 0; r < n; r++) {
      req.reset(r, rows[r].output);
      e.enqueue(r);
    }
    const label = `trial ${trial} (share ${share}, window ${window}, state ${state}, ${blocks} blocks)`;
    for (let pass = 0; pass < 20_000 && finished + refused < n; pass++) {
      const ms = e.startPass(0);
      refused += e.rejectedIds.length;
      assert.ok(e.pool.activeBlocks <= blocks, `${label}: over-committed`);
      for (let j = 0; j < e.runningCount; j++) {
        const r = e.running[j];
        assert.ok(req.sideBlocks[r] <= sideBlocks(cfg, Infinity, cfg.maxNumBatchedTokens), label);
      }
      if (ms < 0) break;
      e.endPass(0);
      for (let k = 0; k < e.finishedCount; k++) tokens += req.generated[e.finished[k]];
      finished += e.finishedCount;
    }
    assert.equal(finished + refused, n, `${label}: ${finished} finished, ${refused} refused of ${n}`);
    const expected = rows.reduce((a, row, r) => a + (req.admitted[r] ? row.output : 0), 0);
    assert.equal(tokens, expected, `${label}: tokens`);
    assert.equal(e.pool.activeBlocks, 0, `${label}: blocks left held`);
  }
});

Deno.test("block size: Gemma 4's global-layer blocks double, so that their pages match its sliding layers'", async () => {
  await using file = await configFile(GEMMA4_31B_CONFIG);
  const path = file.path;
  const resolve = async (extra: Record<string, unknown>) => {
    const args = parseEngineArgs({ aic_model_path: path, aic_system: "h100_sxm", ...extra });
    return resolveEngineArgs(args, "aggregated", "engine args", {}, await loadPerfInputs(args));
  };
  // TP 2: a sliding layer's page holds 8 KV heads × (256 + 256) a token, a global layer's 2 × (512 + 512).
  const tp2 = await resolve({ aic_tp_size: 2, block_size: 16 });
  assert.equal(tp2.config.blockSize, 32);
  assert.match(
    tp2.warnings.join("\n"),
    /block_size 16 is raised to 32 tokens.*a full-attention page must match/,
  );
  // TP 8: 2 sliding KV heads a GPU, and the 4 global ones replicated to 1: the pages match already.
  assert.equal((await resolve({ aic_tp_size: 8, block_size: 16 })).config.blockSize, 16);
  // So prefill at TP 2 and decode at TP 8 would page alike in neither; refused, saying why.
  const engine = (tp: number) => ({ aic_model_path: path, aic_system: "h100_sxm", aic_tp_size: tp });
  await assert.rejects(
    () =>
      simulate({
        workload: { source: "synthetic", input_tokens: 100, output_tokens: 2, request_count: 2 },
        replay_concurrency: 1,
        topology: { mode: "disagg", prefill_engine: engine(2), decode_engine: engine(8) },
      }),
    /prefill block_size 128 differs from decode block_size 64;.*raised to fit its pages at each pool's parallelism/,
  );
});

Deno.test("end to end: Gemma 4's sliding layers take pool blocks, reported per sequence", async () => {
  const run = (model: string) =>
    simulate({
      workload: { source: "synthetic", input_tokens: 6000, output_tokens: 100, request_count: 64 },
      replay_concurrency: 64,
      topology: {
        mode: "agg",
        num_workers: 1,
        engine: { aic_model_path: model, aic_system: "h100_sxm", aic_tp_size: 2, max_num_seqs: 64 },
      },
    });
  await using file = await configFile(GEMMA4_31B_CONFIG);
  const r = await run(file.path);
  assert.equal(r.completed_requests, 64);
  const pool = (r.dynolab as { pools: { window_blocks_per_seq?: number; block_size: number }[] }).pools[0];
  // 10 blocks of the window layers per block of the 1,024-token window, and the block it starts in.
  assert.equal(pool.window_blocks_per_seq, 10 * (1024 / pool.block_size + 1));
  const gptOss = (await run("openai/gpt-oss-120b")).dynolab as {
    pools: { window_blocks_per_seq?: number }[];
  };
  assert.ok(gptOss.pools[0].window_blocks_per_seq! > 0, "gpt-oss alternates 128-token windows");
  const qwen = (await run("Qwen/Qwen3-32B")).dynolab as { pools: { window_blocks_per_seq?: number }[] };
  assert.equal(qwen.pools[0].window_blocks_per_seq, undefined);
});
