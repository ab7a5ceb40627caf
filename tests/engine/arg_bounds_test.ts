/** Engine args no deployment has and the simulator cannot hold are refused, naming the field and its range. */
import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import {
  MAX_GBPS,
  MAX_KV_BYTES_PER_TOKEN,
  MAX_MS_PER_TOKEN,
  MAX_STARTUP_S,
  MAX_TERM_MS,
  MIN_GBPS,
  MIN_TIMING_MS,
  parseEngineArgs,
} from "../../lib/engine/args.ts";
import { resolveEngineArgs } from "../../lib/engine/mod.ts";
import { MAX_TIME_MS, MAX_TOKENS } from "../../lib/workload/types.ts";

/** `raw` is refused with one error naming `field` (under `engine args.`) and matching `range`. */
function refused(raw: Record<string, unknown>, field: string, range: RegExp): void {
  assert.throws(() => parseEngineArgs(raw), (e) => {
    assert(e instanceof InputError, String(e));
    assert.equal(e.location.field, `engine args.${field}`);
    assert.match(e.message, range);
    return true;
  }, JSON.stringify(raw));
}

const fixed = (terms: Record<string, number | undefined>) => ({ timing_model: { type: "fixed", ...terms } });

Deno.test("engine args: a fixed timing term is 0 or from 1e-6 to 1e9 ms (1e3 ms per token)", () => {
  for (const key of ["prefill_ms", "decode_ms"]) {
    for (const v of [1e308, 1.000001e9, 5e-324, 1e-7]) {
      refused(
        fixed({ [key]: v, ...(key === "decode_ms" ? {} : { decode_ms: 1 }) }),
        `timing_model.${key}`,
        /0 or from 1e-6 to 1e9 ms/,
      );
    }
    const args = parseEngineArgs(fixed({ decode_ms: 1, [key]: MAX_TERM_MS }));
    assert.equal((args.timing_model as unknown as Record<string, number>)[key], MAX_TERM_MS);
  }
  refused(
    fixed({ prefill_ms_per_token: 1e308 }),
    "timing_model.prefill_ms_per_token",
    /to 1000 ms per token/,
  );
  refused(fixed({ prefill_ms_per_token: 1001 }), "timing_model.prefill_ms_per_token", /to 1000 ms per token/);
  const top = parseEngineArgs(
    fixed({ prefill_ms: MAX_TERM_MS, prefill_ms_per_token: MAX_MS_PER_TOKEN, decode_ms: MIN_TIMING_MS }),
  );
  assert.deepEqual(top.timing_model, {
    type: "fixed",
    prefill_ms: MAX_TERM_MS,
    prefill_ms_per_token: MAX_MS_PER_TOKEN,
    decode_ms: MIN_TIMING_MS,
  });
  // The worst prefill pass of the longest prompt stays below the latest time a workload may hold.
  assert(MAX_TERM_MS + MAX_MS_PER_TOKEN * MAX_TOKENS < MAX_TIME_MS);
});

Deno.test("engine args: a free engine (every fixed term 0) is accepted: a free prefill stage is a study", () => {
  for (
    const terms of [{}, { prefill_ms: 0, decode_ms: 0 }, { decode_ms: 1 }, { prefill_ms_per_token: 0.01 }]
  ) {
    assert.equal((parseEngineArgs(fixed(terms)).timing_model as { type: string }).type, "fixed");
  }
});

Deno.test("engine args: front-end latency terms are capped at 1e9 ms, 1e3 ms per token or request", () => {
  const fe = (terms: Record<string, number>) => ({ frontend_latency: terms });
  refused(fe({ base_ms: 1e308 }), "frontend_latency.base_ms", /from 0 to 1e9 ms/);
  refused(fe({ base_ms: -1 }), "frontend_latency.base_ms", /from 0 to 1e9 ms/);
  refused(
    fe({ ms_per_input_token: 1e308 }),
    "frontend_latency.ms_per_input_token",
    /from 0 to 1000 ms per token/,
  );
  refused(
    fe({ ms_per_request_in_flight: 1e308 }),
    "frontend_latency.ms_per_request_in_flight",
    /from 0 to 1000 ms per request/,
  );
  const top = { base_ms: MAX_TERM_MS, ms_per_input_token: MAX_MS_PER_TOKEN, ms_per_request_in_flight: 1e-9 };
  assert.deepEqual(parseEngineArgs(fe(top)).frontend_latency, top);
});

Deno.test("engine args: startup_time is capped at 1e6 s", () => {
  refused({ startup_time: 1e308 }, "startup_time", /from 0 to 1e6 s/);
  refused({ startup_time: -1 }, "startup_time", /from 0 to 1e6 s/);
  assert.equal(parseEngineArgs({ startup_time: MAX_STARTUP_S }).startup_time, 1e6);
});

Deno.test("engine args: a KV copy's bandwidth is 0 (instant) or from 0.01 to 1e6 GB/s; KV bytes per token ≤ 2^24", () => {
  const keys = [
    "kv_transfer_bandwidth",
    "bandwidth_g1_to_g2_gbps",
    "bandwidth_g2_to_g1_gbps",
    "bandwidth_g2_to_g3_gbps",
    "bandwidth_g3_to_g2_gbps",
    "bandwidth_g2_to_g4_gbps",
    "bandwidth_g4_to_g2_gbps",
  ];
  for (const key of keys) {
    for (const v of [1e-308, 0.0099, 1e308, -1]) {
      refused({ [key]: v }, key, /0 \(instant\) or from 0\.01 to 1e6 GB\/s/);
    }
    for (const v of [0, MIN_GBPS, 14, MAX_GBPS]) {
      assert.equal(parseEngineArgs({ [key]: v })[key as "kv_transfer_bandwidth"], v);
    }
  }
  refused({ kv_bytes_per_token: 2 ** 24 + 1 }, "kv_bytes_per_token", /from 1 to 2\^24/);
  assert.equal(parseEngineArgs({ kv_bytes_per_token: MAX_KV_BYTES_PER_TOKEN }).kv_bytes_per_token, 2 ** 24);
  // The slowest copy of the longest prompt at the most bytes per token stays below the latest time a workload
  // may hold (1 GB/s = 1e6 bytes per ms).
  assert(MAX_TOKENS * MAX_KV_BYTES_PER_TOKEN / (MIN_GBPS * 1e6) < MAX_TIME_MS);
});

Deno.test("engine args: block_size 0 is the engine's default, as in the reference (README says so)", () => {
  assert.equal(resolveEngineArgs({ block_size: 0 }, "aggregated").config.blockSize, 64);
  assert.equal(
    resolveEngineArgs({ block_size: 0, engine_type: "trtllm" }, "aggregated").config.blockSize,
    32,
  );
});
