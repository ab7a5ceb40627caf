import assert from "node:assert/strict";
import { fpmPasses, passShape, predictPassMs, runFpm } from "../bench/fidelity_fpm.ts";
import { parseEngineArgs, resolveEngineArgs } from "../../lib/engine/mod.ts";
import { createPerfModel, loadPerfInputs } from "../../lib/perf/mod.ts";
import { tempDir } from "../_temp.ts";

const HEADER =
  "phase,workload_segment,counter_id,worker_id,dp_rank,sum_prefill_tokens,num_prefill_requests," +
  "sum_prefill_kv_tokens,var_prefill_length,num_decode_requests,sum_decode_kv_tokens,var_decode_kv_tokens," +
  "queued_prefill_requests,queued_prefill_tokens,queued_var_prefill_length,queued_decode_requests," +
  "queued_decode_kv_tokens,queued_var_decode_kv_tokens,latency_ms";
const line = (phase: string, pt: number, pr: number, pkv: number, dr: number, dkv: number, ms: number) =>
  `${phase},sweep,1,7,0,${pt},${pr},${pkv},0.000,${dr},${dkv},0.000,0,0,0.000,0,0,0.000,${ms}`;

async function b200Tp2() {
  // As AIC's FPM golden run ran: vLLM 0.20.1 (async scheduling), `--generation-config vllm` (random sampling).
  const args = parseEngineArgs({
    aic_model_path: "Qwen/Qwen3-32B",
    aic_system: "b200_sxm",
    aic_tp_size: 2,
    async_scheduling: true,
    sampling: "random",
  });
  const inputs = await loadPerfInputs(args);
  const { config } = resolveEngineArgs(args, "aggregated", "engine args", {}, inputs);
  return { perf: createPerfModel(args, config, inputs), config };
}

Deno.test("fpm passes: the collector's detail CSV, with errors naming file, line and field", () => {
  const csv = [
    HEADER,
    line("context", 4096, 1, 0, 0, 0, 114.1),
    line("mixed", 8191, 2, 0, 1, 4097, 228.1),
    line("decode", 0, 0, 0, 14, 57386, 10.2),
  ].join("\n");
  const passes = fpmPasses(csv, "detail.csv");
  assert.deepEqual(passes.map((p) => [p.line, p.phase, p.prefillTokens, p.decodeRequests]), [
    [2, "context", 4096, 0],
    [3, "mixed", 8191, 1],
    [4, "decode", 0, 14],
  ]);
  assert.throws(
    () => fpmPasses(csv.replace("latency_ms", "ms"), "detail.csv"),
    /detail\.csv: no column "latency_ms"/,
  );
  assert.throws(
    () => fpmPasses(csv.replace(",14,57386,", ",-1,57386,"), "detail.csv"),
    /detail\.csv:4: num_decode_requests must be a non-negative number, got "-1"/,
  );
  assert.throws(
    () => fpmPasses(`${HEADER}\n${line("decode", 0, 0, 0, 0, 0, 3)}`, "x.csv"),
    /x\.csv:2: a pass/,
  );
  assert.throws(
    () => fpmPasses(`${HEADER}\n${line("context", 0, 1, 0, 0, 0, 3)}`, "x.csv"),
    /x\.csv:2: sum_prefill/,
  );
});

Deno.test("fpm passes: shapes group prompt sizes and decode batches", () => {
  assert.equal(passShape({ prefillTokens: 128, decodeRequests: 0 }), "prefill < 256 tokens");
  assert.equal(passShape({ prefillTokens: 8192, decodeRequests: 3 }), "prefill 2k–8k tokens + decode");
  assert.equal(passShape({ prefillTokens: 16384, decodeRequests: 0 }), "prefill > 8k tokens");
  assert.equal(passShape({ prefillTokens: 0, decodeRequests: 1 }), "decode 1 request");
  assert.equal(passShape({ prefillTokens: 0, decodeRequests: 64 }), "decode > 32 requests");
});

Deno.test("fpm passes: priced as an engine charges them (mixed passes share one weight read)", async () => {
  const { perf, config } = await b200Tp2();
  const pass = {
    prefillTokens: 4096,
    prefillRequests: 1,
    prefillKvTokens: 0,
    decodeRequests: 0,
    decodeKvTokens: 0,
  };
  const prefill = predictPassMs(perf, config, pass);
  const decode = predictPassMs(perf, config, {
    ...pass,
    prefillTokens: 0,
    prefillRequests: 0,
    decodeRequests: 13,
    decodeKvTokens: 53284,
  });
  const mixed = predictPassMs(perf, config, { ...pass, decodeRequests: 13, decodeKvTokens: 53284 });
  assert(mixed > prefill && mixed < prefill + decode, `${prefill} < ${mixed} < ${prefill} + ${decode}`);
  // A chunk continuing a prompt attends to the KV already there: dearer than the same tokens from scratch.
  const chunk = predictPassMs(perf, config, { ...pass, prefillKvTokens: 4096 });
  assert(chunk > prefill);
  // AIC's public FPM golden run of Qwen3-32B on two B200s (vLLM 0.20.1, 2026-06-13): 4096-token prefills
  // 112–117 ms (median 114.1; dynolab 116.0, +1.8%), single-request decodes at 4k context 8.5–9.2 ms (median
  // 8.95; dynolab 10.3, +15%: the framework overhead fitted on older vLLM, see lib/perf/FIDELITY.md,
  // "Forward-pass metrics").
  assert(Math.abs(prefill / 114 - 1) < 0.05, `prefill ${prefill}`);
  const single = predictPassMs(perf, config, {
    ...pass,
    prefillTokens: 0,
    prefillRequests: 0,
    decodeRequests: 1,
    decodeKvTokens: 4100,
  });
  assert(Math.abs(single / 8.95 - 1) < 0.2, `decode ${single}`);
});

Deno.test("fpm passes: the report prints one row per shape and the overall error", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const path = `${dir}/fpm_metrics_detail.csv`;
  await Deno.writeTextFile(
    path,
    [HEADER, line("context", 4096, 1, 0, 0, 0, 114.1), line("decode", 0, 0, 0, 1, 4096, 8.9)].join("\n"),
  );
  const out: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  try {
    await runFpm(path, { aic_model_path: "Qwen/Qwen3-32B", aic_system: "b200_sxm", aic_tp_size: 2 });
  } finally {
    console.log = log;
  }
  const text = out.join("\n");
  assert.match(text, /\| prefill 2k–8k tokens \| 1 \| 114\.10 \|/);
  assert.match(text, /\| decode 1 request \| 1 \| 8\.90 \|/);
  assert.match(text, /All passes: median \|error\| \d+\.\d%/);
});
