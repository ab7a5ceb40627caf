/** `aisimulate predict`'s config holds the engine's and the router's bounds, on AISimulate's names. */
import assert from "node:assert/strict";
import {
  MAX_GBPS,
  MAX_KV_BYTES_PER_TOKEN,
  MAX_STARTUP_S,
  MAX_TERM_MS,
  MIN_GBPS,
  MIN_TIMING_MS,
} from "../../lib/engine/args.ts";
import { MAX_LOAD_SCALE, MIN_TEMPERATURE } from "../../lib/router/config.ts";
import { EngineSchema, RouterSchema, WorkerRoleSchema } from "../../lib/cli/predict_config.ts";

/** Whether `schema` takes `value`. */
const takes = (schema: { safeParse(v: unknown): { success: boolean } }, value: unknown) =>
  schema.safeParse(value).success;

/** `schema` takes `ok` and refuses `bad`, each placed by `at`. */
function bounds(
  schema: { safeParse(v: unknown): { success: boolean } },
  at: (v: number) => unknown,
  ok: number[],
  bad: number[],
): void {
  for (const v of ok) assert(takes(schema, at(v)), `takes ${v}: ${JSON.stringify(at(v))}`);
  for (const v of bad) assert(!takes(schema, at(v)), `refuses ${v}: ${JSON.stringify(at(v))}`);
}

const above = (v: number) => v * (1 + 1e-9);
const below = (v: number) => v * (1 - 1e-9);

Deno.test("predict config: timing, start-up, KV bytes and bandwidths hold the engine args' bounds", () => {
  for (const key of ["prefill_ms", "decode_ms"]) {
    bounds(
      WorkerRoleSchema,
      (v) => ({ timing: { type: "fixed", prefill_ms: 1, decode_ms: 1, [key]: v } }),
      [0, MIN_TIMING_MS, MAX_TERM_MS],
      [below(MIN_TIMING_MS), above(MAX_TERM_MS), 1e308, -1],
    );
  }
  bounds(WorkerRoleSchema, (v) => ({ startup_seconds: v }), [0, MAX_STARTUP_S], [above(MAX_STARTUP_S), -1]);
  bounds(
    WorkerRoleSchema,
    (v) => ({ kv_cache: { bytes_per_token: v } }),
    [1, MAX_KV_BYTES_PER_TOKEN],
    [MAX_KV_BYTES_PER_TOKEN + 1],
  );
  for (const key of ["d2h_bandwidth_gbps", "h2d_bandwidth_gbps"]) {
    bounds(
      WorkerRoleSchema,
      (v) => ({ kv_cache: { host_offload: { num_host_blocks: 8, [key]: v } } }),
      [MIN_GBPS, MAX_GBPS],
      [below(MIN_GBPS), above(MAX_GBPS), 1e-308],
    );
  }
  const engine = (transfer: Record<string, unknown>) => ({
    mode: "disaggregated",
    model: "m",
    hardware: "h",
    kv_transfer: transfer,
  });
  bounds(
    EngineSchema,
    (v) => engine({ bandwidth_gb_per_second: v }),
    [MIN_GBPS, MAX_GBPS],
    [below(MIN_GBPS), above(MAX_GBPS), 1e-308],
  );
  bounds(EngineSchema, (v) => engine({ bytes_per_token: v }), [MAX_KV_BYTES_PER_TOKEN], [
    MAX_KV_BYTES_PER_TOKEN + 1,
  ]);
});

Deno.test("predict config: the router's scale and temperature hold the router config's bounds", () => {
  bounds(RouterSchema, (v) => ({ prefill_load_scale: v }), [0, MAX_LOAD_SCALE], [
    above(MAX_LOAD_SCALE),
    1e308,
  ]);
  bounds(RouterSchema, (v) => ({ temperature: v }), [0, MIN_TEMPERATURE, 2], [
    below(MIN_TEMPERATURE),
    5e-324,
  ]);
});
