/** Router settings beyond what a cost can hold are refused; a softmax too cold to compute is its argmin. */
import assert from "node:assert/strict";
import { parseConfig } from "../../lib/common/config.ts";
import { InputError } from "../../lib/common/errors.ts";
import { Engine, RequestTable, resolveEngineArgs } from "../../lib/engine/mod.ts";
import { fixedModel } from "../../lib/perf/mod.ts";
import { Router, type RouterConfig, RouterConfigSchema } from "../../lib/router/mod.ts";
import { workloadOf } from "../_fixtures.ts";

const parse = (config: unknown) => parseConfig(RouterConfigSchema, config, "--router-config");

function refused(config: Record<string, unknown>, field: string, range: RegExp): void {
  assert.throws(() => parse(config), (e) => {
    assert(e instanceof InputError, String(e));
    assert.equal(e.location.field, `--router-config.${field}`);
    assert.match(e.message, range);
    return true;
  }, JSON.stringify(config));
}

Deno.test("router config: load scales are capped at 1e6, temperatures are 0 or at least 1e-6", () => {
  for (const key of ["prefill_load_scale", "overlap_score_weight", "overlap_score_credit_decay"]) {
    refused({ [key]: 1e308 }, key, /must be from 0 to 1e6/);
    refused({ [key]: -1 }, key, /must be from 0 to 1e6/);
    assert.equal(parse({ [key]: 1e6 })[key as "prefill_load_scale"], 1e6);
  }
  for (const t of [5e-324, 1e-7, -1]) {
    refused(
      { router_temperature: t },
      "router_temperature",
      /must be 0 \(the cheapest worker\) or at least 1e-6/,
    );
  }
  for (const t of [0, 1e-6, 0.5, 1e300]) assert.equal(parse({ router_temperature: t }).router_temperature, t);
});

/** Two idle engines behind a KV router with `config` as given (not parsed); engine 1 already has a request. */
function busyEngine1(config: RouterConfig) {
  const w = workloadOf([{ input: 256, output: 1 }, { input: 256, output: 1 }]);
  const table = new RequestTable(w);
  const engines = [0, 1].map((id) =>
    new Engine(
      id,
      resolveEngineArgs({}, "aggregated").config,
      fixedModel({ prefillMs: 1, prefillMsPerToken: 0, decodeMs: 1 }),
      table,
    )
  );
  const router = new Router("kv_router", config, w, 64, 1, { stage: "aggregated" });
  router.added(0, engines[1], 0);
  return (r: number) => router.select(r, engines, 2, 0);
}

Deno.test("KV router: a softmax whose scale overflows picks the cheapest worker, not the last", () => {
  // Engine 1's queued prompt makes engine 0 the cheaper. At the smallest double as temperature the softmax's
  // scale is −Infinity; as the temperature goes to 0 the draw becomes the argmin.
  const base = RouterConfigSchema.parse({});
  assert.equal(busyEngine1(base)(1), 0);
  assert.equal(busyEngine1({ ...base, router_temperature: 5e-324 })(1), 0);
});
