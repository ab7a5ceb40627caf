/** An aggregated engine whose fixed passes all take no time runs, with a warning naming timing_model. */
import assert from "node:assert/strict";
import { resolveEngineArgs } from "../../lib/engine/mod.ts";

Deno.test("engine args: a free aggregated engine is warned of; a free prefill stage is not", () => {
  const free = { timing_model: { type: "fixed", prefill_ms: 0, decode_ms: 0 } };
  assert.deepEqual(
    resolveEngineArgs(free, "aggregated").warnings.filter((w) => w.includes("timing_model")),
    [
      "engine args.timing_model: every pass takes no time, so latencies are 0 and throughputs follow the " +
      "arrivals (a run whose requests all arrive at once is measured against the reports' shortest duration, 1 ns)",
    ],
  );
  assert.deepEqual(resolveEngineArgs(free, "prefill").warnings, []);
  const timed = { timing_model: { type: "fixed", prefill_ms: 0, decode_ms: 1 } };
  assert.deepEqual(resolveEngineArgs(timed, "aggregated").warnings, []);
});
