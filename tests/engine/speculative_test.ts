import assert from "node:assert/strict";
import { Status } from "../../lib/metrics/mod.ts";
import { Engine, RequestTable, resolveEngineArgs } from "../../lib/engine/mod.ts";
import { fixedModel } from "../../lib/perf/mod.ts";
import { Rng } from "../../lib/common/rng.ts";
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

Deno.test("MTP: acceptance is a chain: a draft counts only if every draft before it was accepted", () => {
  // The reference's `sample_output_tokens`: draw each conditional rate in turn, stop at the first failure. With
  // rates [0, 1] the first draft always fails, so the second (always accepted on its own) never counts: every
  // round emits 1 token; with [1, 0], exactly 2. 41 tokens: the prompt pass's one, then 40 from rounds.
  const w = workloadOf([{ input: 16, output: 41 }]);
  const accept = (rates: string) => {
    const engine = { ...fixedTiming(1, 1), aic_nextn: 2, aic_nextn_accept_rates: rates };
    const { report, cluster } = run(w, { topology: { mode: "agg", engine } });
    assert.equal(report.total_output_tokens, 41);
    const e = cluster.engines[0];
    return [
      e.decodeForwards,
      e.decodeTokens,
      (report.dynolab as { mean_accept_length: number }).mean_accept_length,
    ];
  };
  assert.deepEqual(accept("0,1"), [40, 40, 1]);
  assert.deepEqual(accept("1,0"), [20, 40, 2]);
});

Deno.test("MTP: admission needs KV for the whole known sequence and a burst's reserve, as the reference's mocker", () => {
  // The reference reserves ceil((len + burst) / bs) blocks at admission (its speculative.rs, burst = nextn).
  // 4 blocks of 4, nextn 3 (every draft rejected). A (4 + 10) holds 2 blocks from its second pass on; B (8 + 2)
  // queued at the third pass needs ceil((8 + 3) / 4) = 3 blocks, one more than its 8 tokens' 2, with 2 free: it
  // waits until A is done.
  const rows = [{ input: 4, output: 10 }, { input: 8, output: 2 }];
  const req = new RequestTable(workloadOf(rows, 4));
  const { config } = resolveEngineArgs({ block_size: 4, num_gpu_blocks: 4 }, "aggregated");
  const model = fixedModel({ prefillMs: 10, prefillMsPerToken: 0, decodeMs: 5 });
  const e = new Engine(0, config, model, req, { acceptRates: [0, 0, 0], rng: new Rng(1) });
  req.reset(0, 10);
  e.enqueue(0);
  let t = 0;
  const admitted: [number, number[], number][] = [];
  for (let pass = 0; pass < 20 && e.hasWork; pass++) {
    if (pass === 2) {
      req.reset(1, 2);
      e.enqueue(1);
    }
    const free = e.pool.available;
    const ms = e.startPass(t);
    if (pass >= 2 && pass <= 10) admitted.push([pass, [...e.admittedIds.subarray(0, e.admittedCount)], free]);
    t += ms;
    e.endPass(t);
  }
  // B waits, 2 blocks free at the start of passes 2–5, 1 once A's sequence takes a third (6–9); with A done it
  // runs at once.
  assert.deepEqual(admitted, [
    [2, [], 2],
    [3, [], 2],
    [4, [], 2],
    [5, [], 2],
    [6, [], 1],
    [7, [], 1],
    [8, [], 1],
    [9, [], 1],
    [10, [1], 4],
  ]);
  assert.equal(e.hasWork, false);
});
