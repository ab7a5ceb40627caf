import assert from "node:assert/strict";
import { Engine, RequestTable, resolveEngineArgs } from "../../lib/engine/mod.ts";
import { fixedModel } from "../../lib/perf/mod.ts";
import { workloadOf } from "../_fixtures.ts";

const perf = fixedModel({ prefillMs: 10, prefillMsPerToken: 0, decodeMs: 4 });

/** An engine whose sequences each hold `state` blocks of recurrent state beside their KV. */
function engine(
  req: RequestTable,
  blocks: number,
  state: number,
  role: "aggregated" | "prefill" = "aggregated",
) {
  const { config } = resolveEngineArgs({ num_gpu_blocks: blocks }, role);
  return new Engine(0, { ...config, stateBlocksPerSeq: state }, perf, req);
}

Deno.test("recurrent state: each running sequence holds its state blocks, which bound the batch and all come back", () => {
  // 100 + 3 tokens: two 64-token blocks of KV and four of state per sequence; 13 blocks run two at a time.
  const req = new RequestTable(workloadOf([1, 2, 3].map(() => ({ input: 100, output: 3 }))));
  const e = engine(req, 13, 4);
  for (const r of [0, 1, 2]) {
    req.reset(r, 3);
    e.enqueue(r);
  }
  let finished = 0, widest = 0, passes = 0;
  while (finished < 3 && passes++ < 100) {
    e.startPass(0);
    widest = Math.max(widest, e.runningCount);
    assert.ok(e.pool.activeBlocks <= 13);
    if (e.runningCount > 0) assert.ok(e.pool.activeBlocks >= 6 * e.runningCount - e.runningCount);
    e.endPass(0);
    finished += e.finishedCount;
  }
  assert.equal(finished, 3);
  assert.equal(widest, 2);
  assert.equal(e.pool.activeBlocks, 0);
  assert.ok(Array.from(req.sideBlocks).every((n) => n === 0));
});

Deno.test("recurrent state: a sequence whose KV and state outgrow the pool is rejected; preemption frees the state", () => {
  const req = new RequestTable(workloadOf([{ input: 200, output: 10 }, { input: 64, output: 600 }, {
    input: 64,
    output: 600,
  }]));
  const e = engine(req, 12, 9);
  req.reset(0, 10);
  assert.equal(e.receive(0), "kv_capacity", "4 blocks of KV and 9 of state exceed 12");
  // Two long generations: 2 + 9 blocks each at first; the second must wait, and the pool never over-commits.
  const small = engine(req, 24, 9);
  for (const r of [1, 2]) {
    req.reset(r, 600);
    small.enqueue(r);
  }
  let finished = 0;
  for (let i = 0; i < 2000 && finished < 2; i++) {
    small.startPass(0);
    assert.ok(small.pool.activeBlocks <= 24);
    small.endPass(0);
    finished += small.finishedCount;
  }
  assert.equal(finished, 2);
  assert.ok(small.preemptions > 0, "the growing sequences preempt one another");
  assert.equal(small.pool.activeBlocks, 0);
});

Deno.test("recurrent state: a prefill rank holds a finished prompt's state with its KV until the hand-off", () => {
  const req = new RequestTable(workloadOf([{ input: 100, output: 3 }]));
  const e = engine(req, 16, 5, "prefill");
  req.reset(0, 1);
  e.enqueue(0);
  e.startPass(0);
  e.endPass(0);
  assert.equal(e.pool.activeBlocks, 2 + 5);
  assert.equal(req.sideBlocks[0], 0, "the request table no longer counts them");
  e.holds.release(0);
  assert.equal(e.pool.activeBlocks, 0);
});
