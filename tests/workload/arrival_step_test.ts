import assert from "node:assert/strict";
import { arrivalStep, defaultWorkload, loadWorkload, WorkloadSpecSchema } from "../../lib/workload/mod.ts";
import { sharedPath, sharedTest } from "../_shared.ts";
import { NAMED_TRACES } from "../../mod.ts";
import { fixedTiming, run, workloadOf } from "../_fixtures.ts";

/** 60 one-turn requests at `at(i)` ms, and two later turns of a session (not roots: they do not count). */
const trace = (at: (i: number) => number) =>
  workloadOf([
    ...Array.from({ length: 60 }, (_, i) => ({ input: 64, output: 2, at: at(i) })),
    { input: 64, output: 2, at: 0, session: "s" },
    { input: 64, output: 2, at: 7, session: "s", after: [{ row: 60 }] },
  ]);

Deno.test("arrivalStep: steps with gaps of several steps and ±1 ms rounding; not a Poisson-like trace", () => {
  // 5 requests to an instant, every second step left empty now and then, some a millisecond early or late.
  const stepped = trace((i) => 3000 * (Math.floor(i / 5) + (i >= 30 ? 1 : 0)) + ((i % 7) - 3 === 0 ? 1 : 0));
  assert.deepEqual(arrivalStep(stepped), { stepMs: 3000, requests: 61, instants: 12, peak: 6 });
  assert.equal(arrivalStep(trace((i) => 137 * i + (i * i) % 11)), null);
  assert.equal(arrivalStep(trace(() => 0)), null, "one instant has no step");
  assert.equal(
    arrivalStep(workloadOf([{ input: 64, output: 2, at: 0 }, { input: 64, output: 2, at: 0 }])),
    null,
  );
  const sessions = defaultWorkload({ source: "default", seed: 1, sessions: 80, session_rate: 1 }, {
    blockSize: 64,
  });
  assert.equal(arrivalStep(sessions), null);
});

Deno.test("arrival step: a run warns until the jitter spreads half a step, and reports the step", () => {
  const stepped = trace((i) => 2000 * Math.floor(i / 4));
  const spec = { topology: { mode: "agg", num_workers: 2, engine: fixedTiming(5, 2, 0.01) } } as const;
  const details = (jitter: number) =>
    run(stepped, { ...spec, arrival_jitter_ms: jitter }).report.dynolab as {
      workload: { arrival_step_ms?: number };
      warnings: string[];
    };
  const plain = details(0);
  assert.equal(plain.workload.arrival_step_ms, 2000);
  assert.deepEqual(plain.warnings, [
    "the trace's arrival times come in steps of 2,000 ms (61 requests at 15 instants, up to 5 at one), so " +
    "each step's requests arrive at one instant; --spread-arrival-steps (spread_arrival_steps) spreads them " +
    "over their step, as --arrival-jitter-ms 1000 does",
  ]);
  assert.equal(details(999).warnings.length, 1);
  assert.deepEqual(details(1000).warnings, []);
  assert.equal(details(1000).workload.arrival_step_ms, 2000, "the step is the trace's, before the jitter");
  // A step whose half is not whole (1,492.4 ms): the suggested jitter, rounded up, silences the warning.
  const odd = (jitter: number) =>
    (run(trace((i) => 2984.8 * Math.floor(i / 4)), { ...spec, arrival_jitter_ms: jitter }).report.dynolab as {
      warnings: string[];
    }).warnings;
  const suggested = Number(/--arrival-jitter-ms (\d+) /.exec(odd(0)[0])?.[1]);
  assert.equal(suggested, 1493);
  assert.deepEqual(odd(suggested), []);
  const poisson = run(trace((i) => 137 * i), spec).report.dynolab as { workload: object; warnings: string[] };
  assert.deepEqual(poisson.warnings, []);
  assert.ok(!("arrival_step_ms" in poisson.workload));
  // A closed loop ignores arrival times (and refuses the jitter the warning would suggest): no step.
  const closed = run(stepped, { ...spec, replay_concurrency: 4 }).report.dynolab as {
    workload: object;
    warnings: string[];
  };
  assert.deepEqual(closed.warnings, []);
  assert.ok(!("arrival_step_ms" in closed.workload));
});

sharedTest(
  "arrivalStep: the Mooncake conversation trace comes in 3 s steps, sped up with it; others do not",
  async () => {
    const load = (path: string, format: string, speedup: number) =>
      loadWorkload(WorkloadSpecSchema.parse({ source: "trace", path: sharedPath(path), format }), {
        blockSize: 64,
        speedup,
        closedLoop: false,
      });
    const conversation = "traces/mooncake/conversation_trace.jsonl";
    assert.deepEqual(arrivalStep(await load(conversation, "mooncake", 1)), {
      stepMs: 3000,
      requests: 12_031,
      instants: 1180,
      peak: 28,
    });
    const { stepMs, peakPerInstant } = NAMED_TRACES["mooncake:conversation"];
    assert.deepEqual([stepMs, peakPerInstant], [3000, 28], "the named trace's step and peak, as found");
    assert.equal(arrivalStep(await load(conversation, "mooncake", 3))?.stepMs, 1000);
    assert.equal(arrivalStep(await load("traces/mooncake/synthetic_trace.jsonl", "mooncake", 1)), null);
    assert.equal(arrivalStep(await load("traces/azure/AzureLLMInferenceTrace_conv.csv", "azure", 1)), null);
  },
);

Deno.test("spread_arrival_steps: a jitter of half the trace's step, reported; a trace without steps as is", () => {
  const spec = {
    topology: { mode: "agg", num_workers: 2, engine: fixedTiming(5, 2, 0.01) },
    seed: 3,
  } as const;
  const stepped = trace((i) => 2984.8 * Math.floor(i / 4));
  const spread = run(stepped, { ...spec, spread_arrival_steps: true });
  const halfStep = run(stepped, { ...spec, arrival_jitter_ms: 1492.4 });
  const dynolab = (r: typeof spread) =>
    r.report.dynolab as {
      workload: { arrival_step_ms?: number; arrival_jitter_ms?: number };
      warnings: string[];
    };
  assert.deepEqual(dynolab(spread).warnings, []);
  assert.deepEqual(dynolab(spread).workload, { ...dynolab(halfStep).workload, arrival_jitter_ms: 1492.4 });
  const metrics = (r: typeof spread) => JSON.stringify({ ...r.report, dynolab: undefined });
  assert.equal(metrics(spread), metrics(halfStep), "the same run as the jitter of half a step");
  assert.notEqual(metrics(spread), metrics(run(stepped, spec)));
  // A trace whose arrivals are not quantised: replayed as is, with a warning.
  const poisson = trace((i) => 137 * i);
  const asIs = run(poisson, { ...spec, spread_arrival_steps: true });
  assert.deepEqual(dynolab(asIs).warnings, [
    "spread_arrival_steps: the trace's arrival times are not quantised, so it was replayed as is",
  ]);
  assert.equal(dynolab(asIs).workload.arrival_jitter_ms, 0);
  assert.equal(metrics(asIs), metrics(run(poisson, spec)));
});
