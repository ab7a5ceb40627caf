import assert from "node:assert/strict";
import { Engine, RequestTable, resolveEngineArgs } from "../../lib/engine/mod.ts";
import { fixedModel } from "../../lib/perf/mod.ts";
import { workloadOf } from "../_fixtures.ts";

const perf = fixedModel({ prefillMs: 10, prefillMsPerToken: 0, decodeMs: 4 });

/** A prefill rank and a decode rank of `decodeBlocks` 64-token blocks over three 100-token prompts. */
function ranks(decodeBlocks: number) {
  const req = new RequestTable(workloadOf([{ input: 100, output: 3 }, { input: 100, output: 3 }, {
    input: 100,
    output: 3,
  }]));
  const prefill = new Engine(0, resolveEngineArgs({}, "prefill").config, perf, req);
  const decode = new Engine(
    1,
    resolveEngineArgs({ num_gpu_blocks: decodeBlocks }, "decode").config,
    perf,
    req,
  );
  return { req, prefill, decode };
}

Deno.test("hand-off: the prefill rank holds a finished prompt's KV until it is released", () => {
  const { req, prefill } = ranks(16);
  req.reset(0, 1);
  prefill.enqueue(0);
  prefill.startPass(0);
  prefill.endPass(0);
  assert.equal(prefill.finishedCount, 1);
  assert.equal(prefill.holds.size, 1);
  assert.equal(prefill.pool.activeBlocks, 2, "both blocks of the 100-token prompt stay held");
  assert.equal(req.held[0], 0, "the request table no longer counts them");
  assert.equal(prefill.startPass(0), -1, "waiting on held KV alone is not a bug");
  prefill.holds.release(0);
  assert.equal(prefill.holds.size, 0);
  assert.equal(prefill.pool.activeBlocks, 0);
  assert.throws(() => prefill.holds.release(0), /holds no KV/);
});

Deno.test("hand-off: the decode rank reserves KV in order while it is free, and counts hand-offs as queued until they land", () => {
  // Three blocks: one 2-block prompt fits, not two.
  const { req, decode } = ranks(3);
  for (const r of [0, 1]) {
    req.reset(r, 3);
    assert.equal(decode.receive(r), undefined);
  }
  assert.equal(decode.reservePending(), 1);
  assert.deepEqual(decode.reservedIds, [0]);
  assert.equal(decode.inTransfer, 1);
  assert.equal(decode.pending.size, 1);
  assert.equal(decode.pool.activeBlocks, 2);
  assert.equal(decode.reservePending(), 0, "request 1's prompt does not fit beside request 0's");

  // Nothing has landed: the pass has nothing to do, but both hand-offs are queued for the planner.
  assert.equal(decode.startPass(0), -1);
  assert.equal(decode.last.queuedRequests, 2);
  assert.equal(decode.last.queuedTokens, 200);

  decode.land(0);
  assert.equal(decode.inTransfer, 0);
  assert.ok(decode.startPass(0) > 0);
  assert.deepEqual([...decode.admittedIds.subarray(0, decode.admittedCount)], [0]);
  assert.equal(decode.emittedCount, 1, "a landed request decodes at once, without prefill");
  assert.equal(decode.last.queuedRequests, 2, "request 0 (landed) and request 1 (pending)");
  assert.equal(decode.last.queuedTokens, 200);
  decode.endPass(0);
});

Deno.test("hand-off: a prompt that can never fit the decode rank is refused at receipt", () => {
  const { req, decode } = ranks(1);
  req.reset(0, 3);
  assert.equal(decode.receive(0), "kv_capacity");
  assert.equal(decode.pending.size, 0);
  assert.equal(decode.hasWork, false);
});

Deno.test("hand-off: a transfer bandwidth that times nothing is warned of", () => {
  const warned = (args: Record<string, unknown>, role: "aggregated" | "prefill" | "decode") =>
    resolveEngineArgs(args, role).warnings.filter((w) => w.includes("kv_transfer_bandwidth"));
  assert.match(
    warned({ kv_transfer_bandwidth: 50, kv_bytes_per_token: 1000 }, "aggregated")[0],
    /transfers no KV/,
  );
  assert.match(warned({ kv_transfer_bandwidth: 50 }, "prefill")[0], /without kv_bytes_per_token/);
  assert.deepEqual(warned({ kv_transfer_bandwidth: 50, kv_bytes_per_token: 1000 }, "prefill"), []);
  assert.deepEqual(
    warned({ kv_transfer_bandwidth: 50 }, "decode"),
    [],
    "the pair's warning names the decode args'",
  );
});
