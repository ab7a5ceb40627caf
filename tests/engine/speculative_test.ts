import assert from "node:assert/strict";
import { Status } from "../../lib/metrics/mod.ts";
import { reportJson } from "../../lib/report/mod.ts";
import { fixedTiming, run, workloadOf } from "../_fixtures.ts";

const rows = Array.from({ length: 40 }, (_, i) => ({ input: 300 + i, output: 200, at: i * 10 }));

Deno.test("MTP: bursts of 1 + accepted drafts, mean accept length near 1 + r1 + r1·r2, tokens conserved", () => {
  const w = workloadOf(rows);
  const spec = {
    topology: {
      mode: "agg" as const,
      num_workers: 2,
      engine: { ...fixedTiming(10, 5), aic_nextn: 2, aic_nextn_accept_rates: "0.85,0.3" },
    },
  };
  const { report, collector } = run(w, spec);
  for (let r = 0; r < w.requestCount; r++) {
    assert.equal(collector.status[r], Status.Completed);
    assert.equal(collector.outputTokens[r], 200);
  }
  const accept = (report.dynolab as { mean_accept_length: number }).mean_accept_length;
  assert.ok(Math.abs(accept - 2.105) < 0.06, `accept length ${accept}`);
  assert.equal(report.min_itl_ms, 0, "a burst's tokens share one timestamp: gaps of 0");
  // About 2.1 tokens per verification round: TPOT falls by about that factor against plain decoding.
  const plain = run(w, { topology: { mode: "agg", num_workers: 2, engine: fixedTiming(10, 5) } }).report;
  const speedup = (plain.mean_tpot_ms as number) / (report.mean_tpot_ms as number);
  assert.ok(speedup > 1.8 && speedup < 2.4, `TPOT speed-up ${speedup}`);
  assert.equal(reportJson(run(w, spec).report), reportJson(report), "seeded: deterministic");
});

Deno.test("MTP: rates outside [0, 1] are rejected naming the value", () => {
  const w = workloadOf(rows.slice(0, 1));
  assert.throws(
    () => run(w, { topology: { mode: "agg", engine: { aic_nextn: 1, aic_nextn_accept_rates: "1.5" } } }),
    /"1\.5" is not an acceptance rate/,
  );
});

Deno.test("MTP: a disaggregated run's mean accept length counts verification rounds only, as an aggregated one", () => {
  const short = workloadOf(Array.from({ length: 20 }, (_, i) => ({ input: 200, output: 3, at: i * 100 })));
  const engine = { ...fixedTiming(10, 5), aic_nextn: 3, aic_nextn_accept_rates: "1,1,1" };
  const accept = (spec: Record<string, unknown>) =>
    (run(short, { topology: spec as never }).report.dynolab as { mean_accept_length: number })
      .mean_accept_length;
  const agg = accept({ mode: "agg", num_workers: 1, engine });
  const disagg = accept({ mode: "disagg", prefill_engine: engine, decode_engine: engine });
  // Every draft accepted: the first token, then one round of the 2 tokens left.
  assert.equal(agg, 2);
  assert.equal(disagg, agg);
});

Deno.test("MTP: a decode rank's draws are seeded by its place in the decode pool, whatever the prefill pool's size", () => {
  const one = workloadOf([{ input: 200, output: 400, at: 0 }]);
  const engine = { ...fixedTiming(10, 5), aic_nextn: 2, aic_nextn_accept_rates: "0.6,0.5" };
  const accept = (prefill: number, seed?: number) =>
    (run(one, {
      topology: {
        mode: "disagg",
        num_prefill_workers: prefill,
        prefill_engine: engine,
        decode_engine: { ...engine, ...(seed === undefined ? {} : { aic_mtp_seed: seed }) },
      },
    }).report.dynolab as { mean_accept_length: number }).mean_accept_length;
  assert.equal(accept(3), accept(1));
  assert.notEqual(accept(1, 43), accept(1), "another seed, other draws");
});

Deno.test("MTP: a decode rank's re-admission after a preemption is no verification round", () => {
  // Every draft accepted (nextn 3): every round emits 4 tokens but the one a request's end cuts short. A decode
  // pool of 20 blocks preempts; a re-admitted request emits one token with nothing computed (KV restored).
  const eight = workloadOf(Array.from({ length: 8 }, (_, i) => ({ input: 64, output: 121, at: i })), 16);
  const engine = { ...fixedTiming(10, 5), block_size: 16, aic_nextn: 3, aic_nextn_accept_rates: "1,1,1" };
  const { cluster } = run(eight, {
    topology: {
      mode: "disagg",
      prefill_engine: { ...engine, num_gpu_blocks: 1000 },
      decode_engine: { ...engine, num_gpu_blocks: 20 },
    },
  });
  const decode = cluster.engines[1];
  assert.ok(decode.preemptions > 0, "the decode pool preempts");
  // At most one short round a request: 4 tokens a round but 3 at most for each of the 8 requests.
  assert.ok(
    decode.decodeTokens >= 4 * decode.decodeForwards - 3 * 8,
    `${decode.decodeTokens} / ${decode.decodeForwards}`,
  );
});

Deno.test("MTP: a verification round takes 1 + the draft count of the token budget, as vLLM schedules it", () => {
  // Two requests decode while a 64-token prompt waits, 16 tokens a pass. Every draft is rejected, so each round
  // emits one token either way; with 3 drafts each round takes 4 tokens of the budget instead of 1, and the
  // prompt gets 8 tokens a pass instead of 14.
  const w = workloadOf([
    { input: 16, output: 20 },
    { input: 16, output: 20 },
    { input: 64, output: 2, at: 1 },
  ]);
  const ttft = (extra: Record<string, unknown>) => {
    const engine = { ...fixedTiming(1, 1), max_num_batched_tokens: 16, ...extra };
    const { collector } = run(w, { topology: { mode: "agg", engine } });
    return collector.firstTokenMs[2] - collector.arrivalMs[2];
  };
  assert.equal(ttft({}), 13);
  assert.equal(ttft({ aic_nextn: 3, aic_nextn_accept_rates: "0,0,0" }), 19);
});

Deno.test("MTP: a budget shorter than a round cuts its drafts, as vLLM trims them", () => {
  const w = workloadOf([{ input: 16, output: 41 }]);
  const engine = {
    ...fixedTiming(1, 1),
    max_num_batched_tokens: 2,
    aic_nextn: 3,
    aic_nextn_accept_rates: "1,1,1",
  };
  const { report, collector } = run(w, { topology: { mode: "agg", engine } });
  assert.equal(collector.outputTokens[0], 41);
  // Two tokens a pass: the emitted token and one draft, always accepted.
  assert.equal((report.dynolab as { mean_accept_length: number }).mean_accept_length, 2);
});
