import assert from "node:assert/strict";
import { parseConfig } from "../../lib/common/config.ts";
import { InputError } from "../../lib/common/errors.ts";
import { Engine, RequestTable, resolveEngineArgs } from "../../lib/engine/mod.ts";
import { fixedModel } from "../../lib/perf/mod.ts";
import { Router, type RouterConfigInput, RouterConfigSchema } from "../../lib/router/mod.ts";
import { type TestRow, workloadOf } from "../_fixtures.ts";

/**
 * Two idle engines behind a KV router (64-token blocks): `rows` are the requests, `cachedOn1` the rows whose
 * prompt blocks engine 1 holds in its prefix cache.
 */
function setup(
  rows: TestRow[],
  cachedOn1: number[],
  config: RouterConfigInput,
  { stage = "aggregated", seed = 1 }: { stage?: "aggregated" | "decode"; seed?: number } = {},
) {
  const w = workloadOf(rows);
  const table = new RequestTable(w);
  const engines = [0, 1].map((id) =>
    new Engine(
      id,
      resolveEngineArgs({}, stage).config,
      fixedModel({ prefillMs: 1, prefillMsPerToken: 0, decodeMs: 1 }),
      table,
    )
  );
  for (const r of cachedOn1) {
    for (let i = w.blockOffset[r]; i < w.blockOffset[r + 1]; i++) {
      engines[1].pool.release(engines[1].pool.allocate(w.blocks[i]));
    }
  }
  const router = new Router("kv_router", RouterConfigSchema.parse(config), w, 64, seed, { stage });
  return { engines, router, pick: (r: number) => router.select(r, engines, 2, 0) };
}

const PREFIX: TestRow = { input: 256, output: 1 };

Deno.test("KV router cost: the overlap credit draws a request to its cached prefix; credit 0 ignores it", () => {
  // Both engines cost 4 prompt + 4 decode blocks but for engine 1's cached 4-block prefix; ties go to the
  // smaller cache (engine 0).
  assert.equal(setup([PREFIX], [0], {}).pick(0), 1);
  assert.equal(setup([PREFIX], [0], { overlap_score_credit: 0.5 }).pick(0), 1);
  assert.equal(setup([PREFIX], [0], { overlap_score_credit: 0 }).pick(0), 0);
  // The deprecated weight sets the scale, and 0 also zeroes the credit, as the reference maps it.
  assert.equal(setup([PREFIX], [0], { overlap_score_weight: 0 }).pick(0), 0);
  assert.equal(setup([PREFIX], [0], { overlap_score_weight: 3 }).pick(0), 1);
  // Without prefill-token tracking there is no prompt-side term at all (the reference's newest cost).
  assert.equal(setup([PREFIX], [0], { router_track_prefill_tokens: false }).pick(0), 0);
});

Deno.test("KV router cost: the credit decays with a worker's excess prefill load", () => {
  // Engine 1 caches all 32 blocks of request 1 but has request 0's 512 prompt tokens (8 blocks) to prefill:
  // 0.25 requests of excess over engine 0. Engine 0 costs 32 + 32 = 64; engine 1 costs
  // (8 + 32 − 32·c) + (8 + 32) = 80 − 32·c with c = 1 / (1 + 0.25·decay): below 64 while decay < 4.
  const rows = [{ input: 512, output: 1 }, { input: 2048, output: 1 }];
  for (const [decay, engine] of [[0, 1], [2, 1], [3.9, 1], [4.1, 0], [8, 0]]) {
    const { engines, router, pick } = setup(rows, [1], { overlap_score_credit_decay: decay });
    router.added(0, engines[1], 0);
    assert.equal(pick(1), engine, `decay ${decay}`);
  }
  // prefill_load_scale weighs the prompt side against decode blocks: at 0 only decode blocks count
  // (engine 0: 32; engine 1: 40).
  const { engines, router, pick } = setup(rows, [1], { prefill_load_scale: 0 });
  router.added(0, engines[1], 0);
  assert.equal(pick(1), 0);
});

Deno.test("KV router config: the credit is checked as the reference checks it", () => {
  const parse = (config: unknown) => parseConfig(RouterConfigSchema, config, "--router-config");
  assert.throws(() => parse({ overlap_score_credit: 1.5 }), (e) => {
    assert(e instanceof InputError);
    assert.match(e.message, /overlap_score_credit/);
    assert.match(e.message, /prefill_load_scale/, "points at the key a weight above 1 belongs to");
    return true;
  });
  assert.throws(() => parse({ overlap_score_credit: -0.1 }), /between 0\.0 and 1\.0/);
  assert.throws(() => parse({ host_cache_hit_weight: 2 }), /host_cache_hit_weight/);
  const d = parse({});
  assert.equal(d.router_queue_threshold, 16, "the reference's newest default queues");
  assert.equal(d.overlap_score_weight, null);
  assert.deepEqual([d.host_cache_hit_weight, d.disk_cache_hit_weight, d.shared_cache_multiplier], [
    0.75,
    0.25,
    0,
  ]);
});

Deno.test("KV router cost: without active-block tracking the decode fallback counts the overlap, credit or none", () => {
  // Engine 1 caches 2 of request 1's 4 prompt blocks: its fallback is floor((256 − 128) / 64) = 2 blocks
  // against engine 0's 4, whether or not the overlap earns credit.
  const rows = [{ input: 128, output: 1, ids: [1, 2] }, { input: 256, output: 1, ids: [1, 2, 3, 4] }];
  for (const config of [{}, { overlap_score_credit: 0 }, { overlap_score_weight: 0 }]) {
    const { pick } = setup(rows, [0], { router_track_active_blocks: false, ...config });
    assert.equal(pick(1), 1, JSON.stringify(config));
  }
});

Deno.test("KV router: a decode pool's ties are a plain seeded draw, not the smaller cache", () => {
  // Engine 1 caches request 0's blocks, engine 0 none: an aggregated pool's tie goes to engine 0 whatever the
  // seed, a decode pool's to either, by the seeded draw.
  const rows = [{ input: 256, output: 1 }, { input: 256, output: 1 }];
  const picks = (stage: "aggregated" | "decode") =>
    new Set(
      Array.from({ length: 32 }, (_, seed) =>
        setup(rows, [0], { overlap_score_credit: 0 }, { stage, seed }).pick(1)),
    );
  assert.deepEqual([...picks("aggregated")], [0]);
  assert.deepEqual([...picks("decode")].sort(), [0, 1]);
});

Deno.test("KV router: a decode pool sees no cached prefix, also in the fallback without active-block tracking", () => {
  // Engine 1 caches request 0's whole prompt: an aggregated pool's fallback sends the request there whatever
  // the seed, a decode pool (its radix trees empty in the reference) draws either.
  const rows = [{ input: 256, output: 1 }];
  const picks = (stage: "aggregated" | "decode") =>
    new Set(
      Array.from({ length: 32 }, (_, seed) =>
        setup(rows, [0], { router_track_active_blocks: false }, { stage, seed }).pick(0)),
    );
  assert.deepEqual([...picks("aggregated")], [1]);
  assert.deepEqual([...picks("decode")].sort(), [0, 1]);
});
