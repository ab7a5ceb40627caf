import assert from "node:assert/strict";
import { SyntheticWorkloadSchema, type SyntheticWorkloadSpec } from "../../lib/workload/spec.ts";
import { generateSynthetic } from "../../lib/workload/synthetic.ts";
import { arraysOf, blocksOf, commonPrefix, delaysOf, throwsAt, turnsOf } from "./_helpers.ts";

function spec(fields: Record<string, unknown>): SyntheticWorkloadSpec {
  return SyntheticWorkloadSchema.parse({
    source: "synthetic",
    input_tokens: 1000,
    output_tokens: 50,
    request_count: 20,
    ...fields,
  });
}

Deno.test("synthetic: exactly one of request rate, interval or closed loop", () => {
  throwsAt(() => generateSynthetic(spec({}), { blockSize: 64, closedLoop: false }), {
    field: "workload",
    includes: ["needs exactly one arrival mode", "request_rate", "arrival_interval_ms", "replay_concurrency"],
  });
  throwsAt(
    () =>
      generateSynthetic(spec({ request_rate: 1, arrival_interval_ms: 10 }), {
        blockSize: 64,
        closedLoop: false,
      }),
    { field: "workload", includes: ["request_rate and arrival_interval_ms are both given;"] },
  );
  throwsAt(() => generateSynthetic(spec({ request_rate: 1 }), { blockSize: 64, closedLoop: true }), {
    includes: ["request_rate and replay_concurrency are both given;"],
  });
  throwsAt(() => generateSynthetic(spec({ arrival_interval_ms: 0 }), { blockSize: 64, closedLoop: true }), {
    includes: ["arrival_interval_ms and replay_concurrency are both given;"],
  });
  // null means unset, as in JSON specs
  const w = generateSynthetic(spec({ request_rate: null, arrival_interval_ms: null }), {
    blockSize: 64,
    closedLoop: true,
  });
  assert.deepEqual(new Set(w.arrivalMs), new Set([0]));
});

Deno.test("synthetic: a workload beyond what a simulation holds is an error before anything is generated", () => {
  const opts = { blockSize: 64, closedLoop: true };
  throwsAt(() => generateSynthetic(spec({ request_count: 1e12 }), opts), {
    field: "workload.request_count",
    includes: ["1,000,000,000,000 requests, more than a workload holds (16,777,216)"],
  });
  // Cumulative turns: 20 sessions of 5,000 turns reach 2.6 M-token prompts, ~2 billion blocks in all.
  throwsAt(() => generateSynthetic(spec({ turns_per_session: 5000 }), opts), {
    field: "workload.turns_per_session",
    includes: ["more than a workload holds (268,435,456)"],
  });
  throwsAt(() => generateSynthetic(spec({ input_tokens: 2 ** 31 - 1, request_count: 100 }), opts), {
    field: "workload.input_tokens",
  });
  // A draw past 2^31 - 1 tokens (most draws with σ = 1e10) names the spread.
  throwsAt(() => generateSynthetic(spec({ input_tokens_stddev: 1e10, request_count: 2 }), opts), {
    field: "workload.input_tokens_stddev",
    includes: ["is longer than a request may be (2,147,483,647)"],
  });
  // The same turns as independent prompts fit.
  assert.equal(
    generateSynthetic(spec({ turns_per_session: 5000, turn_prompts: "independent" }), opts).requestCount,
    100_000,
  );
});

Deno.test("synthetic: fixed-interval and Poisson arrivals", () => {
  const fixed = generateSynthetic(spec({ arrival_interval_ms: 250 }), { blockSize: 64, closedLoop: false });
  assert.deepEqual(Array.from(fixed.arrivalMs), Array.from({ length: 20 }, (_, i) => i * 250));
  const n = 2000, rate = 4;
  const poisson = generateSynthetic(spec({ request_count: n, request_rate: rate }), {
    blockSize: 64,
    closedLoop: false,
  });
  assert.equal(poisson.arrivalMs[0], 0);
  const gaps = Array.from({ length: n - 1 }, (_, i) => poisson.arrivalMs[i + 1] - poisson.arrivalMs[i]);
  const mean = gaps.reduce((a, b) => a + b) / gaps.length;
  const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
  // exponential gaps: mean 1000 / rate ms and coefficient of variation 1
  assert.ok(Math.abs(mean - 250) < 4 * 250 / Math.sqrt(n), `mean gap ${mean}`);
  assert.ok(Math.abs(sd / mean - 1) < 0.1, `cv ${sd / mean}`);
  assert.ok(gaps.every((g) => g >= 0));
  const fast = generateSynthetic(spec({ request_count: n, request_rate: rate }), {
    blockSize: 64,
    closedLoop: false,
    speedup: 2,
  });
  assert.equal(fast.arrivalMs[n - 1], poisson.arrivalMs[n - 1] / 2);
});

Deno.test("synthetic: the same seed gives identical arrays, another seed does not", () => {
  const s = spec({ request_rate: 2, turns_per_session: 3, shared_prefix_ratio: 0.5, num_prefix_groups: 4 });
  const a = generateSynthetic(s, { blockSize: 64, closedLoop: false });
  const b = generateSynthetic(s, { blockSize: 64, closedLoop: false });
  assert.deepEqual(arraysOf(a), arraysOf(b));
  const c = generateSynthetic({ ...s, arrival_seed: 43 }, { blockSize: 64, closedLoop: false });
  assert.notDeepEqual(Array.from(a.arrivalMs), Array.from(c.arrivalMs));
});

Deno.test("synthetic: round(ceil(isl / bs) × ratio) blocks shared within a prefix group", () => {
  // isl 1000, bs 64: 16 blocks (15 full); ratio 0.3 → round(4.8) = 5 shared blocks
  const w = generateSynthetic(
    spec({ request_count: 200, arrival_interval_ms: 1, shared_prefix_ratio: 0.3, num_prefix_groups: 3 }),
    { blockSize: 64, closedLoop: false },
  );
  const firstBlocks = new Map<number, number>();
  for (let r = 0; r < w.requestCount; r++) {
    assert.equal(blocksOf(w, r).length, 15);
    const b = blocksOf(w, r)[0];
    firstBlocks.set(b, (firstBlocks.get(b) ?? 0) + 1);
  }
  // three groups, each drawn by about a third of the sessions
  assert.equal(firstBlocks.size, 3);
  for (const count of firstBlocks.values()) assert.ok(count > 40, `group of ${count}`);
  for (let r = 1; r < w.requestCount; r++) {
    const common = commonPrefix(w, 0, r);
    assert.ok(common === 0 || common === 5, `request ${r} shares ${common}`);
  }
  // every unshared block is unique across the workload
  const counts = new Map<number, number>();
  for (const b of w.blocks) counts.set(b, (counts.get(b) ?? 0) + 1);
  const shared = [...counts.values()].filter((c) => c > 1).length;
  assert.equal(shared, 3 * 5);
  assert.equal(w.distinctBlocks, 3 * 5 + 200 * 10);
});

Deno.test("synthetic: no sharing without prefix groups or ratio", () => {
  for (const fields of [{ shared_prefix_ratio: 0.5 }, { num_prefix_groups: 4 }]) {
    const w = generateSynthetic(spec({ arrival_interval_ms: 1, ...fields }), {
      blockSize: 64,
      closedLoop: false,
    });
    assert.equal(new Set(w.blocks).size, w.blocks.length);
  }
});

Deno.test("synthetic: a dataset of N prompts repeats each once per N sessions, in a fresh order per pass", () => {
  const n = 5, sessions = 20;
  const w = generateSynthetic(
    spec({ arrival_interval_ms: 1, request_count: sessions, dataset_entries: n, length_range_ratio: 0.5 }),
    { blockSize: 64, closedLoop: false },
  );
  const key = (r: number) => blocksOf(w, r).join(",") + `|${w.inputLength[r]}|${w.outputLength[r]}`;
  const passes: string[][] = [];
  for (let s = 0; s < sessions; s += n) passes.push(Array.from({ length: n }, (_, i) => key(s + i)));
  // each pass holds every entry once, with its first use's prompt and lengths
  for (const pass of passes) assert.deepEqual([...pass].sort(), [...passes[0]].sort());
  assert.equal(new Set(passes[0]).size, n);
  assert(passes.some((p) => p.join() !== passes[0].join()), "passes are reshuffled");
  // without a dataset every prompt is new
  const fresh = generateSynthetic(spec({ arrival_interval_ms: 1, request_count: sessions }), {
    blockSize: 64,
    closedLoop: false,
  });
  assert.equal(new Set(fresh.blocks).size, fresh.blocks.length);
});

Deno.test("synthetic: later turns of a dataset prompt extend it with content of their own", () => {
  const w = generateSynthetic(
    spec({ arrival_interval_ms: 1, request_count: 4, dataset_entries: 1, turns_per_session: 2 }),
    { blockSize: 64, closedLoop: false },
  );
  const first = [0, 2, 4, 6].map((r) => blocksOf(w, r).join());
  assert.equal(new Set(first).size, 1);
  for (const r of [0, 2, 4, 6]) assert.equal(commonPrefix(w, r, r + 1), blocksOf(w, r).length);
  assert.equal(new Set([1, 3, 5, 7].map((r) => blocksOf(w, r).join())).size, 4);
});

Deno.test("synthetic: cumulative turns extend the previous prompt, output and new input", () => {
  const w = generateSynthetic(
    spec({
      request_count: 5,
      arrival_interval_ms: 100,
      turns_per_session: 4,
      inter_turn_delay_ms: 2000,
      shared_prefix_ratio: 0.5,
      num_prefix_groups: 1,
    }),
    { blockSize: 64, closedLoop: false, speedup: 4 },
  );
  assert.equal(w.requestCount, 20);
  assert.equal(w.sessionCount, 5);
  for (let s = 0; s < 5; s++) {
    const turns = turnsOf(w, s);
    assert.deepEqual(turns.map((r) => w.turnIndex[r]), [0, 1, 2, 3]);
    assert.deepEqual(turns.map((r) => w.inputLength[r]), [1000, 2050, 3100, 4150]);
    assert.deepEqual(turns.map((r) => delaysOf(w)[r]), [0, 500, 500, 500]);
    assert.equal(w.arrivalMs[turns[0]], s * 25);
    for (let k = 1; k < 4; k++) {
      // every full block of the previous turn is a prefix of this one
      assert.equal(commonPrefix(w, turns[k - 1], turns[k]), Math.floor(w.inputLength[turns[k - 1]] / 64));
    }
  }
  // across sessions only the group prefix (round(16 × 0.5) = 8 blocks) is shared
  assert.equal(commonPrefix(w, turnsOf(w, 0)[3], turnsOf(w, 1)[3]), 8);
});

Deno.test("synthetic: independent turns are fresh prompts, as the reference generates", () => {
  const w = generateSynthetic(
    spec({
      request_count: 3,
      arrival_interval_ms: 100,
      turns_per_session: 3,
      shared_prefix_ratio: 0.5,
      num_prefix_groups: 1,
      turn_prompts: "independent",
    }),
    { blockSize: 64, closedLoop: false },
  );
  assert.deepEqual(new Set(w.inputLength), new Set([1000]));
  const turns = turnsOf(w, 0);
  assert.equal(commonPrefix(w, turns[0], turns[1]), 8);
  assert.equal(commonPrefix(w, turns[0], turnsOf(w, 2)[2]), 8);
});

Deno.test("synthetic: prompts are cut in engine blocks of the given size", () => {
  const w = generateSynthetic(spec({ arrival_interval_ms: 1, input_tokens: 100 }), {
    blockSize: 16,
    closedLoop: false,
  });
  assert.equal(w.blockSize, 16);
  assert.equal(blocksOf(w, 0).length, 6);
});

/** Mean and standard deviation of an array's values. */
function moments(a: ArrayLike<number>): { mean: number; sd: number } {
  const v = Array.from(a);
  const mean = v.reduce((x, y) => x + y, 0) / v.length;
  return { mean, sd: Math.sqrt(v.reduce((x, y) => x + (y - mean) ** 2, 0) / v.length) };
}

Deno.test("synthetic: normal length spread (reference LengthSpec, AIPerf stddev flags)", () => {
  const n = 4000;
  const w = generateSynthetic(
    spec({ request_count: n, input_tokens_stddev: 100, output_tokens_stddev: 10 }),
    { blockSize: 64, closedLoop: true },
  );
  const input = moments(w.inputLength), output = moments(w.outputLength);
  assert.ok(Math.abs(input.mean - 1000) < 4 * 100 / Math.sqrt(n), `input mean ${input.mean}`);
  assert.ok(Math.abs(input.sd / 100 - 1) < 0.05, `input sd ${input.sd}`);
  assert.ok(Math.abs(output.mean - 50) < 4 * 10 / Math.sqrt(n), `output mean ${output.mean}`);
  assert.ok(Math.abs(output.sd / 10 - 1) < 0.05, `output sd ${output.sd}`);
  assert.ok(w.inputLength.every((x) => Number.isInteger(x) && x >= 1));
  // floored at 1: a spread wider than the mean never gives an empty request
  const wide = generateSynthetic(spec({ request_count: n, output_tokens: 2, output_tokens_stddev: 50 }), {
    blockSize: 64,
    closedLoop: true,
  });
  assert.equal(Math.min(...wide.outputLength), 1);
});

Deno.test("synthetic: uniform lengths in [floor(len × r), len] (benchmark_serving --random-range-ratio)", () => {
  const w = generateSynthetic(spec({ request_count: 3000, length_range_ratio: 0.8 }), {
    blockSize: 64,
    closedLoop: true,
  });
  const input = Array.from(w.inputLength), output = Array.from(w.outputLength);
  assert.equal(Math.min(...input), 800);
  assert.equal(Math.max(...input), 1000);
  assert.equal(Math.min(...output), 40);
  assert.equal(Math.max(...output), 50);
  assert.equal(new Set(output).size, 11);
  assert.ok(Math.abs(moments(input).mean - 900) < 5, `input mean ${moments(input).mean}`);
  // the prompt's full blocks follow the drawn length
  for (let r = 0; r < 20; r++) assert.equal(blocksOf(w, r).length, Math.floor(w.inputLength[r] / 64));
  // ratio 0, which benchmark_serving accepts: uniform in [1, len]
  const all = generateSynthetic(spec({ request_count: 3000, length_range_ratio: 0 }), {
    blockSize: 64,
    closedLoop: true,
  });
  assert.deepEqual([Math.min(...all.outputLength), Math.max(...all.outputLength)], [1, 50]);
});

Deno.test("synthetic: a length spread leaves arrivals and prefix groups as they were, and is seeded", () => {
  const base = { request_count: 200, request_rate: 5, shared_prefix_ratio: 0.5, num_prefix_groups: 3 };
  const exact = generateSynthetic(spec(base), { blockSize: 64, closedLoop: false });
  const spread = generateSynthetic(spec({ ...base, output_tokens_stddev: 5, input_tokens_stddev: 50 }), {
    blockSize: 64,
    closedLoop: false,
  });
  assert.deepEqual(Array.from(spread.arrivalMs), Array.from(exact.arrivalMs));
  // each request keeps its prefix group: it shares a prefix with the same requests as before
  for (let r = 1; r < 200; r++) {
    for (const other of [0, 1, 2, 3]) {
      assert.equal(commonPrefix(spread, r, other) > 0, commonPrefix(exact, r, other) > 0, `request ${r}`);
    }
  }
  const again = generateSynthetic(spec({ ...base, output_tokens_stddev: 5, input_tokens_stddev: 50 }), {
    blockSize: 64,
    closedLoop: false,
  });
  assert.deepEqual(arraysOf(again), arraysOf(spread));
});

Deno.test("synthetic: cumulative turns add the previous turn's drawn output", () => {
  const w = generateSynthetic(
    spec({ request_count: 4, turns_per_session: 3, output_tokens_stddev: 20, input_tokens_stddev: 30 }),
    { blockSize: 64, closedLoop: true },
  );
  const added = new Set<number>();
  for (let s = 0; s < 4; s++) {
    const [a, b] = turnsOf(w, s);
    // turn b's prompt = turn a's prompt + a's drawn output + newly drawn input
    assert.equal(commonPrefix(w, a, b), Math.floor(w.inputLength[a] / 64));
    added.add(w.inputLength[b] - w.inputLength[a] - w.outputLength[a]);
  }
  assert.ok(added.size > 1, "each turn draws its own input length");
});

Deno.test("synthetic: a range ratio and stddevs together are rejected, naming the field", () => {
  const r = SyntheticWorkloadSchema.safeParse({
    source: "synthetic",
    input_tokens: 10,
    output_tokens: 10,
    request_count: 1,
    length_range_ratio: 0.5,
    output_tokens_stddev: 2,
  });
  assert.ok(!r.success);
  assert.deepEqual(r.error.issues[0].path, ["length_range_ratio"]);
  for (
    const bad of [{ length_range_ratio: -0.1 }, { length_range_ratio: 1.5 }, { input_tokens_stddev: -1 }]
  ) {
    assert.ok(
      !SyntheticWorkloadSchema.safeParse({
        source: "synthetic",
        input_tokens: 10,
        output_tokens: 10,
        request_count: 1,
        ...bad,
      }).success,
    );
  }
});

Deno.test("synthetic: arrivals paced past the longest span a workload holds name the setting that paces them", () => {
  const base = { source: "synthetic", input_tokens: 64, output_tokens: 4, request_count: 3 };
  for (
    const [pace, field] of [[{ request_rate: 1e-300 }, "request_rate"], [
      { arrival_interval_ms: 1e300 },
      "arrival_interval_ms",
    ]] as const
  ) {
    const spec = SyntheticWorkloadSchema.parse({ ...base, ...pace });
    assert.throws(
      () => generateSynthetic(spec, { blockSize: 64, closedLoop: false }),
      (e: Error) => e.message.startsWith(`workload.${field}: 2 sessions at this pace arrive over more than`),
    );
  }
});

Deno.test("synthetic: a shared prefix longer than a prefix group can name is an error naming the length", () => {
  const long = {
    input_tokens: 20_000_000,
    request_count: 1,
    request_rate: 1,
    shared_prefix_ratio: 1,
    num_prefix_groups: 1,
  };
  throwsAt(() => generateSynthetic(spec(long), { blockSize: 1, closedLoop: false }), {
    field: "workload.input_tokens",
    includes: ["a shared prefix of 20,000,000 tokens is more than 16,777,216 blocks of 1 tokens"],
  });
  // At 64-token blocks the same prompt's prefix fits.
  assert.equal(generateSynthetic(spec(long), { blockSize: 64, closedLoop: false }).requestCount, 1);
});
