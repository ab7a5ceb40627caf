import assert from "node:assert/strict";
import { InputError } from "../lib/common/errors.ts";
import { parseSpec } from "../lib/spec.ts";

const synthetic = { source: "synthetic", input_tokens: 100, output_tokens: 10, request_count: 4 };
const topology = { mode: "agg" };

Deno.test("spec: a synthetic workload takes exactly one arrival mode", () => {
  const bad = (spec: Record<string, unknown>, message: RegExp) =>
    assert.throws(
      () => parseSpec({ topology, ...spec }),
      (e) => e instanceof InputError && message.test(e.message),
    );
  bad(
    { workload: synthetic },
    /^spec\.workload: a synthetic workload needs exactly one arrival mode: request_rate/,
  );
  bad(
    { workload: { ...synthetic, request_rate: 2 }, replay_concurrency: 4 },
    /^spec\.workload: gives request_rate and replay_concurrency; /,
  );
  bad(
    { workload: { ...synthetic, request_rate: 2, arrival_interval_ms: 0 } },
    /gives request_rate and arrival_interval_ms; /,
  );
  const ok = (workload: Record<string, unknown>, replay_concurrency?: number) =>
    parseSpec({ topology, workload: { ...synthetic, ...workload }, replay_concurrency }).workload;
  assert.equal(ok({ request_rate: 2 }).source, "synthetic");
  assert.equal(ok({ arrival_interval_ms: 0 }).source, "synthetic");
  assert.equal(ok({ request_rate: null }, 4).source, "synthetic"); // null is unset, as in JSON specs
  // Traces arrive by their own timestamps, or in closed loop: the rule is the synthetic generator's.
  assert.equal(
    parseSpec({ topology, workload: { source: "default" }, replay_concurrency: 4 }).replay_concurrency,
    4,
  );
});
