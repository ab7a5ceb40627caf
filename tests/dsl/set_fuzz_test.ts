/**
 * Property test of the DSL's parameters: `.set()` of random names from every parameter the DSL accepts (engine,
 * prefill and decode args, topology, router, SLA, planner, workload, run settings; flat, dotted and aliased),
 * each to a value from a pool of plausible and wrong ones, on aggregated and disaggregated scenarios. Building
 * the scenario, compiling it and loading its inputs either succeed, and the run accounts for every request
 * with finite figures, or fail with an {@link InputError}; nothing else may escape.
 */
import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { Rng } from "../../lib/common/rng.ts";
import { lookupParam, PARAM_NAMES } from "../../lib/dsl/params.ts";
import { scenario } from "../../lib/dsl/mod.ts";
import { runsOrRefuses } from "../_fixtures.ts";

const VALUES: readonly unknown[] = [0, 1, 2, 4, 0.5, 64, 1000, -1, true, false, "x", "vllm", "fp8", null, [
  1,
]];

Deno.test("property: .set() of random DSL parameters compiles and runs, or fails with an input error", async () => {
  const rng = new Rng(1212);
  let ran = 0;
  const trials = 200;
  for (let trial = 0; trial < trials; trial++) {
    const disagg = rng.next() < 0.3, planner = rng.next() < 0.4;
    // Names that apply to this scenario (others are refused by name, which the DSL's own tests cover).
    const names = PARAM_NAMES.filter((n) => applies(n, disagg, planner));
    const params: Record<string, unknown> = {};
    for (let k = 1 + rng.int(3); k > 0; k--) {
      params[names[rng.int(names.length)]] = VALUES[rng.int(VALUES.length)];
    }
    const context = `trial ${trial}: ${JSON.stringify(params)}`;
    let spec;
    try {
      const base = scenario("fuzz")
        .synthetic({ inputTokens: 300, outputTokens: 8, requestCount: 6, requestRate: 20 })
        .engine({ timingModel: { type: "fixed", prefill_ms: 2, decode_ms: 1 } });
      const topology = disagg
        ? base.disagg({ prefill: { workers: 1 }, decode: { workers: 1 } })
        : base.agg({ workers: 2 });
      const s = planner
        ? topology.planner({ ttftMs: 500, itlMs: 50, throughputAdjustmentIntervalSeconds: 1 })
        : topology;
      spec = s.set(params as never).spec();
    } catch (e) {
      assert.ok(e instanceof InputError, `${context}: ${(e as Error).stack}`);
      continue;
    }
    if (await runsOrRefuses(spec, context)) ran++;
  }
  assert.ok(ran >= trials / 20, `only ${ran} of ${trials} ran`);
});

/** Whether parameter `name` applies to a synthetic scenario of this topology, with or without a planner. */
function applies(name: string, disagg: boolean, planner: boolean): boolean {
  let scope;
  try {
    scope = lookupParam(name).scope;
  } catch {
    return false; // an ambiguous flat name
  }
  if (scope === "trace") return false;
  if (scope === "prefill" || scope === "decode") return disagg;
  if (scope === "planner") return planner;
  return true;
}
