import assert from "node:assert/strict";
import { InputError } from "../lib/common/errors.ts";
import { pricePasses } from "../lib/price.ts";
import { simulate } from "../lib/simulate.ts";

const engine = {
  aic_backend: "vllm",
  aic_system: "h200_sxm",
  aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8",
};
const agg = { mode: "agg", engine };

const sum = (ops: Readonly<Record<string, number>> | undefined) =>
  Object.values(ops ?? {}).reduce((a, b) => a + b, 0);

Deno.test("pricePasses: a prompt pass costs what the simulated engine charges for it", async () => {
  const report = await simulate({
    workload: { source: "synthetic", input_tokens: 4000, output_tokens: 2, request_count: 1 },
    replay_concurrency: 1,
    topology: agg,
  });
  const pools = (report.dynolab as { pools: Record<string, Record<string, number>>[] }).pools;
  const typical = pools[0].typical_prefill_pass;
  const [priced] = await pricePasses(agg, { prefill: [{ isl: typical.mean_isl }] });
  assert.equal(typical.requests, 1);
  assert.equal(priced.ms, typical.ms);
  assert.equal(priced.overheadMs, typical.overhead_ms);
});

Deno.test("pricePasses: passes grow with their work, and the operator families add up", async () => {
  const [lone, cached, pair, small, large] = await pricePasses(agg, {
    prefill: [{ isl: 4000 }, { isl: 4000, prefix: 3000 }, { requests: 2, isl: 4000 }],
    decode: [{ requests: 8, context: 2000 }, { requests: 64, context: 2000 }],
  });
  assert.deepEqual(
    [lone, cached, pair, small, large].map((p) => [p.pool, p.pass, p.timing]),
    [
      ...Array(3).fill(["aggregated", "prefill", "analytic"]),
      ...Array(2).fill(["aggregated", "decode", "analytic"]),
    ],
  );
  assert(cached.ms < lone.ms && lone.ms < pair.ms && small.ms < large.ms);
  for (const p of [lone, cached, pair]) assert(Math.abs(sum(p.ops) - p.ms) < 1e-9 * p.ms);
  assert(lone.overheadMs > 0);
  // Default KV on the engine: the sequences' own, in whole blocks of 64 tokens.
  assert.equal(small.kv, 8 * 2048);
  const [explicit] = await pricePasses(agg, { decode: [{ requests: 8, context: 2000, kv: 500_000 }] });
  assert.equal(explicit.kv, 500_000);
});

Deno.test("pricePasses: speed-up ratios divide the parts as an engine divides them", async () => {
  const shapes = { prefill: [{ isl: 2000 }], decode: [{ requests: 16, context: 3000 }] };
  const [p1, d1] = await pricePasses(agg, shapes);
  const faster = { mode: "agg", engine: { ...engine, speedup_ratio: 2, decode_speedup_ratio: 2 } };
  const [p2, d2] = await pricePasses(faster, shapes);
  assert(Math.abs(p2.ms - p1.ms / 2) < 1e-9 && Math.abs(d2.ms - d1.ms / 4) < 1e-9);
  assert(Math.abs(p2.ops!.gemm - p1.ops!.gemm / 2) < 1e-9);
});

Deno.test("pricePasses: disaggregated pools price the passes they run, each with its own args", async () => {
  const disagg = { mode: "disagg", prefill_engine: { ...engine, aic_tp_size: 2 }, decode_engine: engine };
  const priced = await pricePasses(disagg, {
    prefill: [{ isl: 4000 }],
    decode: [{ requests: 32, context: 4000 }],
  });
  assert.deepEqual(priced.map((p) => [p.pool, p.pass]), [["prefill", "prefill"], ["decode", "decode"]]);
  assert(priced[0].ops!.comm > 0, "TP 2 prefill has all-reduces");
  assert.equal(priced[1].ops!.comm, undefined);
  const [alone] = await pricePasses(agg, { prefill: [{ isl: 4000 }] });
  assert(priced[0].ms < alone.ms);
});

Deno.test("pricePasses: a pass the engine could not run is an error naming the shape and the limit", async () => {
  const bad = async (shapes: object, topology: object, message: RegExp) => {
    await assert.rejects(
      () => pricePasses(topology, shapes as never),
      (e) => e instanceof InputError && message.test(e.message),
    );
  };
  await bad(
    { prefill: [{ isl: 100 }, { isl: 9000 }] },
    agg,
    /^shapes\.prefill\.1: 9000 new tokens exceed the token budget, 8192 \(--extra-engine-args\.max_num_batched_tokens\); the engine would chunk/,
  );
  await bad({}, agg, /^shapes\.prefill: no pass to price: give prefill and\/or decode shapes/);
  const [cachedLong] = await pricePasses(agg, { prefill: [{ isl: 9000, prefix: 8000 }] });
  assert(cachedLong.ms > 0, "the budget counts new tokens only");
  await bad(
    { prefill: [{ isl: 400, prefix: 400 }] },
    agg,
    /^shapes\.prefill\.0\.prefix: prefix 400 must be below isl 400/,
  );
  await bad(
    { decode: [{ requests: 300, context: 10 }] },
    agg,
    /^shapes\.decode\.0\.requests: 300 requests exceed the 256 sequences .*max_num_seqs/,
  );
  await bad(
    { decode: [{ requests: 4, context: 10_000 }] },
    { mode: "agg", engine: { num_gpu_blocks: 100, block_size: 64 } },
    /^shapes\.decode\.0: 40192 tokens of KV exceed the engine's cache, 6400 tokens/,
  );
  await bad({ decode: [{ requests: 1, contxt: 10 }] }, agg, /^shapes\.decode\.0/);
  await bad({ prefill: [{ isl: 0 }] }, agg, /^shapes\.prefill\.0\.isl: /);
  const one = { prefill: [{ isl: 100 }] };
  await bad(
    one,
    { mode: "both" },
    /^topology\.mode: Invalid discriminator value\. Expected 'agg' \| 'disagg'/,
  );
  await bad(one, { mode: "agg", engine: { aic_model_path: "nope/x" } }, /unknown model "nope\/x"/);
});
