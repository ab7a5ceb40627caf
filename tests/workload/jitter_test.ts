import assert from "node:assert/strict";
import { Rng } from "../../lib/common/rng.ts";
import { parseSpec } from "../../lib/spec.ts";
import {
  defaultWorkload,
  generateSynthetic,
  jitterArrivals,
  SyntheticWorkloadSchema,
} from "../../lib/workload/mod.ts";
import { fixedTiming, run, workloadOf } from "../_fixtures.ts";

const w = defaultWorkload({ source: "default", seed: 5, sessions: 60, session_rate: 1 }, { blockSize: 64 });
const rootsOf = (arrival: Float64Array, roots: Int32Array) => Array.from(roots, (r) => arrival[r]);

Deno.test("jitterArrivals: each session moves as one by at most ±J, roots stay ordered, lengths untouched", () => {
  for (const jitter of [0.5, 40, 2000]) {
    const j = jitterArrivals(w, jitter, new Rng(1));
    assert.deepEqual([...j.roots].sort((a, b) => a - b), [...w.roots].sort((a, b) => a - b));
    const at = rootsOf(j.arrivalMs, j.roots);
    assert.ok(at.every((t, i) => i === 0 || t >= at[i - 1]), "roots sorted by arrival");
    assert.equal(at[0], 0);
    // Relative to a reference root, every root moved by at most 2J (its own draw and the reference's).
    const ref = w.roots[0], shift = j.arrivalMs[ref] - w.arrivalMs[ref];
    for (let r = 0; r < w.requestCount; r++) {
      if (w.waitCount[r] !== 0) continue;
      const moved = j.arrivalMs[r] - w.arrivalMs[r] - shift;
      assert.ok(Math.abs(moved) <= 2 * jitter + 1e-9, `root ${r} moved ${moved} ms at ±${jitter}`);
    }
    assert.equal(j.inputLength, w.inputLength);
    assert.equal(j.succDelayMs, w.succDelayMs);
  }
});

Deno.test("jitterArrivals: a seed gives the same draws, another seed others; 0 ms is the workload itself", () => {
  const [a, b, c] = [1, 1, 2].map((seed) => jitterArrivals(w, 10, new Rng(seed)));
  assert.deepEqual(a.arrivalMs, b.arrivalMs);
  assert.notDeepEqual(a.arrivalMs, c.arrivalMs);
  assert.equal(jitterArrivals(w, 0, new Rng(1)), w);
});

Deno.test("jitterArrivals: a session's start floors move with its root", () => {
  const floors = workloadOf([
    { input: 64, output: 2, at: 1000, session: "a" },
    { input: 64, output: 2, at: 5000, session: "a", after: [{ row: 0 }] },
    { input: 64, output: 2, at: 3000, session: "b" },
  ]);
  const j = jitterArrivals(floors, 100, new Rng(3));
  // Row 1, session a's later turn, carries a start floor: it moves exactly as the session's root.
  assert.equal(j.arrivalMs[1] - j.arrivalMs[0], 4000);
  assert.ok(Math.abs((j.arrivalMs[2] - j.arrivalMs[0]) - 2000) <= 200);
});

Deno.test("arrival_jitter_ms: a run serves every request, the same seed repeats it, the field is checked", () => {
  const spec = {
    topology: { mode: "agg", num_workers: 2, engine: fixedTiming(5, 2, 0.01) },
    arrival_jitter_ms: 3,
  } as const;
  const [x, y, z] = [7, 7, 8].map((seed) => run(w, { ...spec, seed }).report);
  assert.equal(x.completed_requests, w.requestCount);
  assert.deepEqual(x, y);
  assert.notEqual(x.mean_ttft_ms, z.mean_ttft_ms);
  assert.throws(
    () => parseSpec({ workload: { source: "default" }, topology: spec.topology, arrival_jitter_ms: -1 }),
    /arrival_jitter_ms/,
  );
  assert.throws(
    () =>
      parseSpec({
        workload: { source: "default" },
        topology: spec.topology,
        arrival_jitter_ms: 1,
        replay_concurrency: 4,
      }),
    /arrival_jitter_ms: a closed loop \(replay_concurrency\) has no arrival times to jitter/,
  );
  assert.throws(
    () =>
      parseSpec({
        workload: { source: "default" },
        topology: spec.topology,
        spread_arrival_steps: true,
        replay_concurrency: 4,
      }),
    /spread_arrival_steps: a closed loop \(replay_concurrency\) has no arrival times to jitter/,
  );
  assert.throws(
    () =>
      parseSpec({
        workload: { source: "default" },
        topology: spec.topology,
        spread_arrival_steps: true,
        arrival_jitter_ms: 5,
      }),
    /spread_arrival_steps: sets the arrival jitter to half the trace's step: give it or an arrival jitter, not both/,
  );
});

Deno.test("arrival_jitter_ms: the jitter is independent of synthetic arrivals drawn from the same seed", () => {
  // Both seeds at their default, 42: the jitter's stream must not repeat the Poisson gaps' stream.
  const synthetic = generateSynthetic(
    SyntheticWorkloadSchema.parse({
      source: "synthetic",
      input_tokens: 64,
      output_tokens: 1,
      request_count: 4000,
      request_rate: 10,
    }),
    { blockSize: 64, closedLoop: false },
  );
  const arrivals = (jitter: number) =>
    run(synthetic, {
      topology: { mode: "agg", num_workers: 4, engine: fixedTiming(1, 0) },
      arrival_jitter_ms: jitter,
    })
      .collector.arrivalMs;
  const [plain, jittered] = [arrivals(0), arrivals(50)];
  const n = synthetic.requestCount - 1, shift = jittered[0] - plain[0];
  const offset = Array.from({ length: n }, (_, r) => jittered[r] - plain[r] - shift);
  const gap = Array.from({ length: n }, (_, r) => plain[r + 1] - plain[r]);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const [mo, mg] = [mean(offset), mean(gap)];
  let cov = 0, vo = 0, vg = 0;
  for (let r = 0; r < n; r++) {
    cov += (offset[r] - mo) * (gap[r] - mg);
    vo += (offset[r] - mo) ** 2;
    vg += (gap[r] - mg) ** 2;
  }
  const correlation = cov / Math.sqrt(vo * vg);
  assert.ok(Math.abs(correlation) < 0.1, `correlation ${correlation}`);
});
