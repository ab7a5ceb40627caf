/**
 * The collector's token records under MTP bursts: a burst's tokens share the pass end, so they make gaps of 0,
 * one fewer than the burst's tokens, and a first burst of several tokens is also the second token.
 */
import assert from "node:assert/strict";
import { Collector, Status } from "../../lib/metrics/mod.ts";
import { fixedTiming, run, workloadOf } from "../_fixtures.ts";

/** The total weight of the collector's pooled gaps, and the weight of its gaps of 0. */
function gapWeights(c: Collector): [total: number, zero: number] {
  const { values, weights, count } = c.completedGaps();
  let total = 0, zero = 0;
  for (let g = 0; g < count; g++) {
    total += weights[g];
    if (values[g] === 0) zero += weights[g];
  }
  return [total, zero];
}

Deno.test("collector: a first burst of several tokens is the second token too (TTST 0), with its gaps of 0", () => {
  // The reference stamps every token of a burst at the pass end: the second token of a first burst of 3 comes
  // with the first, so TTST is 0; the burst's 3 tokens make 2 gaps of 0.
  for (const attributed of [false, true]) {
    const c = new Collector(2, attributed);
    c.arrive(0, 0);
    c.arrive(1, 0);
    c.tokens(Int32Array.of(0, 1), Int32Array.of(3, 1), 2, 0, 30); // request 0: a first burst of 3
    assert.equal(c.secondTokenMs[0], 30);
    assert.ok(Number.isNaN(c.secondTokenMs[1]), "one token so far: no second token yet");
    c.tokens(Int32Array.of(0, 1), Int32Array.of(2, 1), 2, 30, 40); // 2 more for 0; 1's second token
    c.complete(0, 40);
    c.complete(1, 40);
    assert.deepEqual([c.secondTokenMs[0], c.secondTokenMs[1]], [30, 40]);
    assert.deepEqual([c.outputTokens[0], c.outputTokens[1]], [5, 2]);
    // Request 0: gaps 0, 0 (first burst), 10, 0 (second burst); request 1: 10. Output tokens − 1 per request.
    assert.deepEqual(gapWeights(c), [(5 - 1) + (2 - 1), 3], `attributed ${attributed}`);
  }
});

Deno.test("collector: an MTP run's pooled token gaps weigh output tokens − 1 per request, bursts' zeros included", () => {
  // The reference's ITL distribution is every consecutive token gap, pooled: a request of n tokens has n − 1
  // of them, whatever its bursts; MTP bursts' extra tokens are gaps of 0.
  const rows = Array.from({ length: 12 }, (_, i) => ({ input: 64 + 16 * i, output: 20 + 3 * i, at: 2 * i }));
  const w = workloadOf(rows);
  for (const max_sim_time_seconds of [undefined, 1000]) { // the latter records each gap with its request
    const engine = { ...fixedTiming(10, 5), aic_nextn: 3, aic_nextn_accept_rates: "0.9,0.7,0.5" };
    const { report, collector, cluster } = run(w, {
      topology: { mode: "agg", num_workers: 2, engine },
      max_sim_time_seconds,
    });
    assert.equal(report.completed_requests, 12);
    let expected = 0;
    for (let r = 0; r < rows.length; r++) {
      assert.equal(collector.status[r], Status.Completed);
      expected += collector.outputTokens[r] - 1;
    }
    const bursts = cluster.engines.reduce((a, e) => a + e.decodeTokens - e.decodeForwards, 0);
    assert.ok(bursts > 100, `drafts accepted: ${bursts}`);
    // Each accepted draft is a gap of 0.
    assert.deepEqual(gapWeights(collector), [expected, bursts]);
    assert.equal(report.min_itl_ms, 0);
  }
});
