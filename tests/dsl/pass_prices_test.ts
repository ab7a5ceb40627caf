import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { JUPYTER_DISPLAY, pricePasses, scenario } from "../../mod.ts";
import { MINI_TRACE } from "./_helpers.ts";

const llama = { backend: "vllm", gpu: "h200_sxm", model: "nvidia/Llama-3.1-8B-Instruct-FP8" } as const;
const shapes = { prefill: [{ isl: 4000 }], decode: [{ requests: 32, context: 4000 }] };

Deno.test("price: a row per run, pool and shape, with the run's parameters and the library's prices", async () => {
  const prices = await scenario("tp").engine(llama).sweep("tp", [1, 2]).price(shapes);
  assert.deepEqual(
    prices.rows.map((r) => [r.tp, r.pool, r.pass]),
    [[1, "aggregated", "prefill"], [1, "aggregated", "decode"], [2, "aggregated", "prefill"], [
      2,
      "aggregated",
      "decode",
    ]],
  );
  const direct = await pricePasses({
    mode: "agg",
    engine: { aic_backend: "vllm", aic_system: "h200_sxm", aic_model_path: llama.model, aic_tp_size: 2 },
  }, shapes);
  const [prefill, decode] = prices.rows.slice(2);
  assert.equal(prefill.ms, direct[0].ms);
  assert.equal(prefill.totalMs, direct[0].ms + direct[0].overheadMs);
  assert.equal(prefill.commMs, direct[0].ops!.comm);
  assert.deepEqual([prefill.isl, prefill.prefix, prefill.context, prefill.kv], [4000, 0, null, null]);
  assert.deepEqual([decode.isl, decode.context, decode.kv], [null, 4000, 32 * 4032]);
  assert.deepEqual(prices.columns.slice(0, 13), [
    "tp",
    "pool",
    "timing",
    "pass",
    "requests",
    "isl",
    "prefix",
    "context",
    "kv",
    "ms",
    "overheadMs",
    "totalMs",
    "solMs",
  ]);
  // The pass's speed of light, below its time.
  assert.equal(prefill.solMs, direct[0].solMs);
  const ratio = (r: typeof prefill) => (r.ms as number) / (r.solMs as number);
  assert.ok(ratio(prefill) > 1 && ratio(decode) > 1, `${ratio(prefill)} ${ratio(decode)}`);
  // Every row has each family some pass has, in the breakdowns' order; TP 1 has no all-reduce.
  assert.deepEqual(prices.columns.slice(13), [
    "gemmMs",
    "logitsMs",
    "attentionMs",
    "commMs",
    "elementwiseMs",
  ]);
  assert.equal(prices.rows[0].commMs, null);
});

Deno.test("price: variants get their own rows; the workload is not needed, nor read", async () => {
  const prices = await scenario("gpus")
    .synthetic({ inputTokens: 100, outputTokens: 10, requestCount: 8 }) // no arrival mode: a run would refuse it
    .engine(llama)
    .compare({ h200: (s) => s, b200: (s) => s.engine({ gpu: "b200_sxm" }) })
    .price({ prefill: [{ isl: 2000 }] });
  assert.deepEqual(prices.rows.map((r) => r.variant), ["h200", "b200"]);
  assert((prices.rows[1].ms as number) < (prices.rows[0].ms as number));
  const traced = await scenario("t").trace("does/not/exist.jsonl").engine(llama).price({
    prefill: [{ isl: 10 }],
  });
  assert.equal(traced.rows.length, 1);
});

Deno.test("price: tables for the console and Jupyter", async () => {
  const prices = await scenario("one").engine(llama).price(shapes);
  const text = prices.table(false);
  assert.match(text, /│ pool +│ timing +│ pass +│/);
  assert.match(text, /│ aggregated │ analytic │ decode +│ +32 │/);
  const bundle = prices[JUPYTER_DISPLAY]();
  assert.match(bundle["text/html"], /<caption[^>]*>one: 2 priced pass\(es\)<\/caption>/);
  assert.match(bundle["text/plain"], /^one: 2 priced pass\(es\)\n┌/);
});

Deno.test("price: errors name the run, the shape and the limit", async () => {
  await assert.rejects(
    () =>
      scenario("big").trace(MINI_TRACE).engine(llama).sweep("maxNumBatchedTokens", [16384, 2048]).price(
        shapes,
      ),
    (e) =>
      e instanceof InputError &&
      /^run 1 \(maxNumBatchedTokens=2048\): shapes\.prefill\.0: 4000 new tokens exceed the token budget, 2048 \(engine\.maxNumBatchedTokens\)/
        .test(e.message),
  );
  await assert.rejects(
    () => scenario("typo").engine(llama).price({ prefill: [{ isl: 10, prefx: 2 }] } as never),
    (e) =>
      e instanceof InputError && /^run 0 \(typo\): shapes\.prefill\.0: unknown key "prefx"/.test(e.message),
  );
});

Deno.test("price: sweeping a parameter that changes no engine is an error naming it", async () => {
  for (
    const [param, values, scope] of [
      ["inputTokens", [100, 200], "synthetic"],
      ["workers", [1, 2], "topology"],
      ["routerMode", ["round_robin", "kv_router"], "routerMode"],
    ] as const
  ) {
    await assert.rejects(
      () => scenario("idle").engine(llama).sweep(param, [...values]).price(shapes),
      (e) =>
        e instanceof InputError &&
        e.message.startsWith(`sweep("${param}"): price() reads only engine args`) &&
        e.message.includes(`this ${scope} parameter changes none`),
    );
  }
  // Inside a variant, too; an engine arg of one pool is priced.
  await assert.rejects(
    () => scenario("v").engine(llama).compare({ a: (s) => s.sweep("requestRate", [1, 2]) }).price(shapes),
    (e) => e instanceof InputError && e.message.startsWith(`sweep("requestRate")`),
  );
  const prices = await scenario("ok").engine(llama).sweep("engine.maxNumSeqs", [64, 256]).price(shapes);
  assert.equal(prices.rows.length, 4);
});
