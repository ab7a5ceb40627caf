import assert from "node:assert/strict";
import { polynomialModel } from "../../lib/perf/mod.ts";
import { formatRunSummary } from "../../lib/report/mod.ts";
import { run, workloadOf } from "../_fixtures.ts";

const close = (a: number, b: number, eps = 1e-9) =>
  assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);
type Pool = Record<string, Record<string, number> & { ops_ms?: Record<string, number> }> & {
  busy_ms: number;
};
const poolOf = (report: Record<string, unknown>) => (report.dynolab as { pools: Pool[] }).pools[0];

Deno.test("pass totals: busy time splits into prefill, decode and overhead; typical passes sit at the run's means", () => {
  const poly = polynomialModel(16384 * 64);
  // One 1000-token prompt, then nine decode passes at contexts 1001..1009 (the prompt's pass emits token 1).
  const { report } = run(workloadOf([{ input: 1000, output: 10 }]), { topology: { mode: "agg" } });
  const pool = poolOf(report);
  const busy = pool.busy_ms_by_part;
  close(busy.prefill + busy.decode + busy.overhead, pool.busy_ms as unknown as number);
  close(busy.prefill, poly.prefillMs(1, 1000, 0));
  assert.deepEqual(
    [
      pool.typical_prefill_pass.requests,
      pool.typical_prefill_pass.mean_isl,
      pool.typical_prefill_pass.mean_prefix,
    ],
    [1, 1000, 0],
  );
  close(pool.typical_prefill_pass.ms, poly.prefillMs(1, 1000, 0));
  const dec = pool.typical_decode_pass;
  assert.deepEqual([dec.requests, dec.mean_context, dec.active_kv_tokens], [1, 1005, 16 * 64]);
  close(dec.ms, poly.decodeMs(1, 1005, 16 * 64));
  assert.equal(dec.ops_ms, undefined); // the reference's polynomial does not split a pass
});

Deno.test("typical passes: the analytic model splits them by operator family, and the run summary shows it", () => {
  const engine = {
    aic_backend: "vllm",
    aic_system: "h200_sxm",
    aic_model_path: "meta-llama/Llama-3.1-8B-Instruct",
  };
  const rows = Array.from({ length: 8 }, (_, i) => ({ input: 2000, output: 64, at: i * 5 }));
  const { report } = run(workloadOf(rows), { topology: { mode: "agg", engine } });
  const pool = poolOf(report);
  const busy = pool.busy_ms_by_part;
  assert.ok(busy.overhead > 0);
  close(busy.prefill + busy.decode + busy.overhead, pool.busy_ms as unknown as number);
  for (const pass of [pool.typical_prefill_pass, pool.typical_decode_pass]) {
    const ops = Object.values(pass.ops_ms!);
    assert.ok(ops.length >= 3 && ops.every((ms) => ms > 0), JSON.stringify(pass));
    close(ops.reduce((a, b) => a + b, 0), pass.ms, 1e-9); // above the 1 ms floor, the split is the whole part
    assert.ok(pass.overhead_ms > 0);
  }
  const lines = formatRunSummary(report);
  assert.match(
    lines[1],
    /^ {2}Busy [\d,.]+ worker-seconds: prefill \d+\.\d%, decode \d+\.\d%, framework overhead/,
  );
  assert.match(
    lines[2],
    /^ {2}Typical prefill pass: \d+ requests?, (each )?[\d,]+ new tokens after [\d,]+ in KV: [\d.]+ ms \+ [\d.]+ ms overhead \(gemm \d+%/,
  );
  assert.match(
    lines[3],
    /^ {2}Typical decode pass: \d+ requests? at [\d,]+ tokens of context: [\d.]+ ms \+ [\d.]+ ms overhead \(/,
  );
});
