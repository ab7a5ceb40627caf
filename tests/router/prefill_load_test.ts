import assert from "node:assert/strict";
import { Engine, RequestTable, resolveEngineArgs } from "../../lib/engine/mod.ts";
import { fixedModel } from "../../lib/perf/mod.ts";
import { Router, RouterConfigSchema } from "../../lib/router/mod.ts";
import { workloadOf } from "../_fixtures.ts";

/**
 * One engine behind a KV router whose estimator gives each request the duration `ms[r]` (NaN: none), over
 * prompts of `tokens[r]` tokens (64-token blocks, no sharing).
 */
function setup(tokens: number[], ms: number[]) {
  const w = workloadOf(tokens.map((input) => ({ input, output: 1 })));
  const engine = new Engine(
    0,
    resolveEngineArgs({}, "aggregated").config,
    fixedModel({ prefillMs: 1, prefillMsPerToken: 0, decodeMs: 1 }),
    new RequestTable(w),
  );
  const isl = Array.from(w.inputLength);
  const router = new Router(
    "kv_router",
    RouterConfigSchema.parse({ router_prefill_load_model: "aic" }),
    w,
    64,
    1,
    { prefillMs: (input) => ms[isl.indexOf(input)] },
  );
  return { engine, router };
}

Deno.test("AIC prefill load: the oldest prefill drains over its predicted duration", () => {
  // The reference's router test: one 64-token request predicted at 10 s.
  const { engine, router } = setup([64], [10_000]);
  router.added(0, engine, 0);
  assert.deepEqual([0, 5000, 10_000, 20_000].map((t) => router.prefillTokens(0, t)), [64, 32, 0, 0]);
  router.prefillDone(0, 12_000);
  assert.equal(router.prefillTokens(0, 12_000), 0);
});

Deno.test("AIC prefill load: an overrunning anchor spills into the next; a new oldest starts its own clock", () => {
  // The reference tracker's tests: 100 tokens over 10 s, 60 over 6 s.
  const a = setup([100, 60], [10_000, 6_000]);
  a.router.added(0, a.engine, 0);
  a.router.added(1, a.engine, 2000);
  assert.deepEqual([2000, 5000, 12_000].map((t) => a.router.prefillTokens(0, t)), [140, 110, 40]);
  // The oldest ends at 3 s: the next one anchors from then, with all its tokens.
  const b = setup([100, 40], [10_000, 8_000]);
  b.router.added(0, b.engine, 0);
  b.router.added(1, b.engine, 0);
  b.router.prefillDone(0, 3000);
  assert.deepEqual([3000, 5000].map((t) => b.router.prefillTokens(0, t)), [40, 30]);
});

Deno.test("AIC prefill load: a later prefill ending first moves the anchor by its duration, at most to now", () => {
  // 100 tokens over 10 s and 40 over 4 s; the second ends at 5 s: 90 tokens left before and after.
  const a = setup([100, 40], [10_000, 4_000]);
  a.router.added(0, a.engine, 0);
  a.router.added(1, a.engine, 0);
  assert.equal(a.router.prefillTokens(0, 5000), 90);
  a.router.prefillDone(1, 5000);
  assert.equal(a.router.prefillTokens(0, 5000), 90);
  // It ends at 2 s instead: the anchor moves to 2 s, not 4 s.
  const b = setup([100, 40], [10_000, 4_000]);
  b.router.added(0, b.engine, 0);
  b.router.added(1, b.engine, 0);
  b.router.prefillDone(1, 2000);
  assert.deepEqual([2000, 3000].map((t) => b.router.prefillTokens(0, t)), [100, 90]);
});

Deno.test("AIC prefill load: with a prefill the estimator cannot price, only the anchor decays", () => {
  const { engine, router } = setup([100, 60], [10_000, NaN]);
  router.added(0, engine, 0);
  router.added(1, engine, 0);
  assert.deepEqual([5000, 12_000].map((t) => router.prefillTokens(0, t)), [110, 60]);
});

Deno.test("AIC prefill load: upstream's newest tracker tests, where its earlier trackers gave other numbers", () => {
  // removing_nonfront_modeled_prefill_shifts_existing_anchor: 30 tokens over 6 s and 20 over 4 s at 0; the second
  // ends at 2 s. The anchor moves to min(0 + 4 s, 2 s): 30 left at 2 s (earlier trackers kept it at 0: 21).
  const a = setup([30, 20], [6_000, 4_000]);
  a.router.added(0, a.engine, 0);
  a.router.added(1, a.engine, 0);
  a.router.prefillDone(1, 2000);
  assert.deepEqual([2000, 4000].map((t) => a.router.prefillTokens(0, t)), [30, 20]);
  // nonfront_unmodeled_removal_does_not_shift_anchor: an unpriced prefill ending moves nothing.
  const b = setup([100, 40], [10_000, NaN]);
  b.router.added(0, b.engine, 0);
  b.router.added(1, b.engine, 0);
  b.router.prefillDone(1, 5000);
  assert.equal(b.router.prefillTokens(0, 5000), 50);
  // active_tokens_zero_duration_anchor_only_completes_anchor: a 0 ms anchor counts as done, and no more.
  const c = setup([100, 60], [0, 6_000]);
  c.router.added(0, c.engine, 0);
  c.router.added(1, c.engine, 0);
  assert.deepEqual([0, 3000].map((t) => c.router.prefillTokens(0, t)), [60, 60]);
});

Deno.test("AIC prefill load: a queue is rechecked on a 100 ms timer from the start while requests wait", () => {
  // Threshold 0: the engine is busy while any routed prompt is unfinished.
  const w = workloadOf([{ input: 64, output: 1 }, { input: 64, output: 1 }]);
  const engine = new Engine(
    0,
    resolveEngineArgs({}, "aggregated").config,
    fixedModel({ prefillMs: 1, prefillMsPerToken: 0, decodeMs: 1 }),
    new RequestTable(w),
  );
  const router = (config: Record<string, unknown>, prefillMs?: () => number) =>
    new Router("kv_router", RouterConfigSchema.parse({ router_queue_threshold: 0, ...config }), w, 64, 1, {
      prefillMs,
    });
  const aic = router({ router_prefill_load_model: "aic" }, () => 1000);
  assert.equal(aic.nextRecheck(0), Infinity, "none while the queue is empty");
  aic.added(0, engine, 0);
  assert.equal(aic.hold(1, 250, [engine], 1), "hold");
  assert.deepEqual([250, 299.5, 300].map((t) => aic.nextRecheck(t)), [300, 300, 400]);
  // Without the model, or without a queue, loads change only at events: no timer.
  const plain = router({});
  plain.added(0, engine, 0);
  assert.equal(plain.hold(1, 250, [engine], 1), "hold");
  assert.equal(plain.nextRecheck(250), Infinity);
  const unqueued = router({ router_queue_threshold: null, router_prefill_load_model: "aic" }, () => 1000);
  assert.equal(unqueued.nextRecheck(250), Infinity);
});
