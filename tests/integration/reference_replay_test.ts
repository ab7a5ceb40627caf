/**
 * The reference's published H100 replay (`dynamo-behaviour.md` §10.2: Qwen3-32B, TP 2, 1k/1k, 128 concurrent,
 * closed loop of 10 × concurrency requests, 2,048-token budget, 64-token blocks, `max_num_seqs` 256): dynolab
 * with the mocker's timing (AIC's tables, no framework overhead) lands on the mocker's published point, and
 * dynolab's own analytic model lands on the silicon TPOT the mocker misses.
 */
import assert from "node:assert/strict";
import { loadInputs, runSimulation } from "../../lib/simulate.ts";
import { REFERENCE_PUBLISHED, REFERENCE_REPLAY } from "../bench/fidelity_reference.ts";
import { sharedPath, sharedTest } from "../_shared.ts";

/** Silicon at 128 concurrent, as the reference quotes it. */
const SILICON_TPOT_MS = 37.8;

async function replay(engine: Record<string, unknown>): Promise<{ ttft: number; tpot: number }> {
  const c = 128;
  const inputs = await loadInputs({
    workload: { source: "synthetic", input_tokens: 1024, output_tokens: 1024, request_count: 10 * c },
    replay_concurrency: c,
    topology: {
      mode: "agg",
      num_workers: 1,
      engine: {
        aic_backend: "vllm",
        aic_system: "h100_sxm",
        aic_model_path: "Qwen/Qwen3-32B",
        aic_tp_size: 2,
        ...REFERENCE_REPLAY,
        ...engine,
      },
    },
  });
  const report = runSimulation(inputs).report;
  return { ttft: report.mean_ttft_ms as number, tpot: report.mean_tpot_ms as number };
}

sharedTest(
  "reference replay: the mocker's timing reproduces its published point (587 ms TTFT, 30.5 ms TPOT)",
  async () => {
    const r = await replay({ aic_systems_path: sharedPath("aic/systems"), framework_overhead: false });
    const { ttftAt128, tpotAt128 } = REFERENCE_PUBLISHED.mocker;
    assert.ok(Math.abs(r.ttft / ttftAt128 - 1) < 0.05, `TTFT ${r.ttft}`);
    assert.ok(Math.abs(r.tpot / tpotAt128 - 1) < 0.05, `TPOT ${r.tpot}`);
  },
);

Deno.test("reference replay: the analytic model's TPOT lands on silicon's 37.8 ms, which the mocker misses by 19%", async () => {
  const r = await replay({});
  assert.ok(Math.abs(r.tpot / SILICON_TPOT_MS - 1) < 0.05, `TPOT ${r.tpot}`);
  assert.ok(
    Math.abs(r.tpot / SILICON_TPOT_MS - 1) <
      Math.abs(REFERENCE_PUBLISHED.mocker.tpotAt128 / SILICON_TPOT_MS - 1),
  );
});
