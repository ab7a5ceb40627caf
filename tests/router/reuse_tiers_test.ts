/**
 * The KV router's cost terms that count what a worker already holds beyond its GPU prefix cache: the blocks of
 * requests active there (`router_assume_kv_reuse`) and its host KV tier (`host_cache_hit_weight`).
 */
import assert from "node:assert/strict";
import { Engine, RequestTable, resolveEngineArgs } from "../../lib/engine/mod.ts";
import { fixedModel } from "../../lib/perf/mod.ts";
import { Router, type RouterConfigInput, RouterConfigSchema } from "../../lib/router/mod.ts";
import { type TestRow, workloadOf } from "../_fixtures.ts";

/** Two idle aggregated engines (64-token blocks) behind a KV router, with `args` on top of the defaults. */
function setup(rows: TestRow[], config: RouterConfigInput, args: Record<string, unknown> = {}) {
  const w = workloadOf(rows);
  const table = new RequestTable(w);
  const engines = [0, 1].map((id) =>
    new Engine(
      id,
      resolveEngineArgs(args, "aggregated").config,
      fixedModel({ prefillMs: 1, prefillMsPerToken: 0, decodeMs: 1 }),
      table,
    )
  );
  const router = new Router("kv_router", RouterConfigSchema.parse(config), w, 64, 1);
  /** `r` routed to engine `e` and its prompt done: its blocks count as active there, its prompt no longer. */
  const active = (r: number, e: number) => {
    router.added(r, engines[e], 0);
    router.prefillDone(r, 0);
  };
  return { w, engines, router, active, pick: (r: number) => router.select(r, engines, 2, 0) };
}

Deno.test("KV router: router_assume_kv_reuse counts a prompt's blocks already active on a worker once", () => {
  // Requests 0 and 1 (blocks 1–4) run on engine 1, request 2 (blocks 11–12) on engine 0; request 3 (blocks 1–4)
  // arrives. No GPU cache holds its prefix, so both prompt sides cost its 4 blocks, and the decode side decides:
  // - reuse (the default): engine 1's active blocks are the 4 shared ones, and request 3's 4 blocks are those
  //   same blocks (the reference's active-sequence tracker dedups by block hash): 4 + 4 − 4 = 4 against engine
  //   0's 2 + 4 = 6: engine 1;
  // - no reuse (the reference gives tracked blocks random hashes): engine 1 holds 8 blocks and request 3 adds 4
  //   more, 12 against 6: engine 0.
  const rows: TestRow[] = [
    { input: 256, output: 10, ids: [1, 2, 3, 4] },
    { input: 256, output: 10, ids: [1, 2, 3, 4] },
    { input: 128, output: 10, ids: [11, 12] },
    { input: 256, output: 10, ids: [1, 2, 3, 4] },
  ];
  for (const [reuse, engine] of [[true, 1], [false, 0]] as const) {
    const { active, pick } = setup(rows, { router_assume_kv_reuse: reuse });
    active(0, 1);
    active(1, 1);
    active(2, 0);
    assert.equal(pick(3), engine, `router_assume_kv_reuse ${reuse}`);
  }
  // Only the leading blocks shared with active requests count once: request 2 (blocks 1, 2, 7, 8) shares blocks
  // 1–2 with request 0 on engine 1, which costs 4 + (4 + 4 − 2) = 10 against engine 0's 4 + (3 + 4) = 11;
  // without reuse engine 1 costs 4 + 8 = 12.
  const partial: TestRow[] = [
    { input: 256, output: 10, ids: [1, 2, 3, 4] },
    { input: 192, output: 10, ids: [11, 12, 13] },
    { input: 256, output: 10, ids: [1, 2, 7, 8] },
  ];
  const { active, pick } = setup(partial, {});
  active(0, 1);
  active(1, 0);
  assert.equal(pick(2), 1);
  const off = setup(partial, { router_assume_kv_reuse: false });
  off.active(0, 1);
  off.active(1, 0);
  assert.equal(off.pick(2), 0);
});

/** Host-tier engine args: 16 host blocks, instant copies (so offloaded blocks land at once). */
const HOST = {
  num_g2_blocks: 16,
  kv_bytes_per_token: 1000,
  bandwidth_g1_to_g2_gbps: 0,
  bandwidth_g2_to_g1_gbps: 0,
};

Deno.test("KV router: host_cache_hit_weight credits a worker's host-tier blocks, apart from the GPU credit", () => {
  // Engine 1 holds request 1's 4 prompt blocks in its host tier only (none in GPU memory) and has request 0's
  // one block active: it costs 4 − 4·w (prompt) + 1 + 4 (decode) = 9 − 4·w against engine 0's 4 + 4 = 8.
  // The reference's newer cost credits host blocks at host_cache_hit_weight, whatever overlap_score_credit is.
  const rows: TestRow[] = [
    { input: 64, output: 10, ids: [21] },
    { input: 256, output: 10, ids: [1, 2, 3, 4] },
  ];
  const pick = (config: RouterConfigInput) => {
    const { engines, active, pick } = setup(rows, config, HOST);
    engines[1].offload!.tier.offload([1, 2, 3, 4], 0);
    assert.equal(engines[1].offload!.tier.match(Int32Array.of(1, 2, 3, 4), 0, 4), 4);
    assert.equal(engines[1].pool.cachedBlocks, 0);
    active(0, 1);
    return pick(1);
  };
  // w = 0.75 (the default): 6 < 8; w = 0.5: 7 < 8; w = 0.125: 8.5 > 8; w = 0: no host credit, 9 > 8.
  assert.equal(pick({}), 1);
  assert.equal(pick({ host_cache_hit_weight: 0.5 }), 1);
  assert.equal(pick({ host_cache_hit_weight: 0.125 }), 0);
  assert.equal(pick({ host_cache_hit_weight: 0 }), 0);
  // The GPU credit does not apply to host blocks: credit 0 keeps the host weight's 6 (engine 1), credit 1 with a
  // host weight of 0.125 stays at 8.5 (engine 0).
  assert.equal(pick({ overlap_score_credit: 0 }), 1);
  assert.equal(pick({ overlap_score_credit: 1, host_cache_hit_weight: 0.125 }), 0);
});
