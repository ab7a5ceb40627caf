/**
 * The report's derived figures, each checked exactly against the run's own records: GPU-hours from each pool's
 * worker-seconds and GPUs per worker, the two prefix-reuse ratios, goodput's output throughput, and the
 * per-request JSONL's mean inter-token latency.
 */
import assert from "node:assert/strict";
import { runRecords } from "../../lib/cli/run_outputs.ts";
import { Status } from "../../lib/metrics/mod.ts";
import { fixedTiming, run, type TestRow, workloadOf } from "../_fixtures.ts";

Deno.test("report: gpu_hours weighs each pool's worker-seconds by its own GPUs per worker (prefill TP 2, decode TP 1)", () => {
  // The reference's `gpu_hours = Σ worker_seconds × gpus_per_worker / 3600`, per pool: a disaggregated run whose
  // prefill workers have twice the decode workers' GPUs must not price either pool at the other's count.
  const w = workloadOf([{ input: 100, output: 5 }, { input: 200, output: 3, at: 50 }]);
  const { report } = run(w, {
    topology: {
      mode: "disagg",
      num_prefill_workers: 1,
      num_decode_workers: 2,
      prefill_engine: { aic_tp_size: 2, ...fixedTiming(10, 5) },
      decode_engine: fixedTiming(10, 5),
    },
  });
  assert.equal(report.prefill_gpus_per_worker, 2);
  assert.equal(report.decode_gpus_per_worker, 1);
  const p = report.prefill_worker_seconds as number, d = report.decode_worker_seconds as number;
  // A static fleet provisions its workers for the whole run: 1 prefill and 2 decode workers × the duration.
  const seconds = (report.duration_ms as number) / 1000;
  assert.ok(seconds > 0);
  // (integrated over the run's events, so equal up to float rounding)
  assert.ok(Math.abs(p - seconds) < 1e-12 && Math.abs(d - 2 * seconds) < 1e-12, `${p}, ${d}, ${seconds}`);
  assert.equal(report.gpu_hours, (p * 2 + d * 1) / 3600);
});

Deno.test("report: prefix_cache_reused_ratio sums every admission's reuse; the first-admission ratio only the first", () => {
  // The reference: reuse "is measured at worker admission and summed over re-admissions"; the
  // first_admission_ prefixed ratio uses the first admission only. Four 256-token prompts on 24 blocks of 64 (LIFO
  // preemption): a preempted request re-admits with its 4 prompt blocks still cached.
  const w = workloadOf([1, 2, 3, 4].map(() => ({ input: 256, output: 300 })));
  const { report, collector } = run(w, {
    topology: { mode: "agg", engine: { num_gpu_blocks: 24, ...fixedTiming(5, 1) } },
  });
  assert.equal(report.completed_requests, 4);
  assert.deepEqual([...collector.admissions], [1, 1, 2, 2]);
  assert.deepEqual([...collector.firstReusedTokens], [0, 0, 0, 0]);
  assert.deepEqual([...collector.reusedTokens], [0, 0, 256, 0]);
  const input = report.total_input_tokens as number;
  assert.equal(input, 1024);
  assert.equal(report.prefix_cache_reused_ratio, 256 / 1024);
  assert.equal(report.first_admission_prefix_cache_reused_ratio, 0);
});

Deno.test("report: goodput_output_throughput_tok_s counts every output token of the requests meeting the SLA", () => {
  // The reference's goodput: a request is good if TTFT ≤ T and its mean ITL (e2e − ttft) / (osl − 1) ≤ I (not
  // checked for osl 1); the goodput output throughput is the good requests' output tokens over the duration.
  // Fixed passes (10 ms prefill + 5 ms decode): A and B share passes, so A's ITL is 10 ms and B's TTFT 29 ms; C
  // and D (a single token) run alone and meet the SLA.
  const rows: TestRow[] = [
    { input: 64, output: 3 },
    { input: 64, output: 4, at: 1 },
    { input: 64, output: 5, at: 100 },
    { input: 64, output: 1, at: 200 },
  ];
  const { report, collector } = run(workloadOf(rows), {
    topology: { mode: "agg", engine: fixedTiming(10, 5) },
    sla: { ttft_ms: 15, itl_ms: 5 },
  });
  assert.deepEqual([...collector.firstTokenMs], [15, 30, 115, 215]);
  assert.deepEqual([...collector.lastTokenMs], [35, 45, 135, 215]);
  // The same rule over the run's own records.
  let good = 0, goodTokens = 0;
  for (let r = 0; r < rows.length; r++) {
    assert.equal(collector.status[r], Status.Completed);
    const out = collector.outputTokens[r];
    const ttft = collector.firstTokenMs[r] - collector.arrivalMs[r];
    const itl = out > 1 ? (collector.lastTokenMs[r] - collector.firstTokenMs[r]) / (out - 1) : 0;
    if (ttft <= 15 && (out <= 1 || itl <= 5)) (good++), (goodTokens += out);
  }
  assert.deepEqual([good, goodTokens], [2, 6]); // C's 5 tokens and D's 1
  assert.equal(report.duration_ms, 215);
  assert.equal(report.goodput_completed_requests, 2);
  assert.equal(report.goodput_request_throughput_rps, 2 / 0.215);
  assert.equal(report.goodput_output_throughput_tok_s, 6 / 0.215);
});

Deno.test("report JSONL: itl_ms is each request's (last − first token) / (output − 1), null for one token", () => {
  // The reference's per-request `itl_ms` is the request's mean inter-token latency, as the report's TPOT.
  const small = workloadOf([
    { input: 64, output: 3 },
    { input: 64, output: 4, at: 1 },
    { input: 64, output: 1, at: 200 },
  ]);
  const fixed = run(small, { topology: { mode: "agg", engine: fixedTiming(10, 5) } });
  const records = runRecords(fixed, { workload: small } as never);
  assert.deepEqual(records.map((r) => [r.output_length, r.first_token_ms, r.last_token_ms, r.itl_ms]), [
    [3, 15, 35, 10],
    [4, 30, 45, 5],
    [1, 215, 215, null],
  ]);
  // Uneven passes (the polynomial model, prompts of many lengths): the identity holds for every record.
  const rows: TestRow[] = Array.from({ length: 30 }, (_, i) => ({
    input: 50 + 97 * i,
    output: 1 + (i * 7) % 23,
    at: 3 * i,
  }));
  const w = workloadOf(rows);
  const poly = runRecords(run(w, { topology: { mode: "agg", engine: {} } }), { workload: w } as never);
  assert.equal(poly.length, 30);
  for (const r of poly) {
    if (r.output_length <= 1) {
      assert.equal(r.itl_ms, null, r.uuid);
      continue;
    }
    const span = r.last_token_ms! - r.first_token_ms!;
    assert.ok(span > 0, r.uuid);
    assert.ok(Math.abs(r.itl_ms! * (r.output_length - 1) - span) <= 1e-9 * span, `${r.uuid}: ${r.itl_ms}`);
  }
});
