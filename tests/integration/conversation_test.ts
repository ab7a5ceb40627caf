/**
 * Integration tests on the real Mooncake conversation trace (12,031 requests, one hour).
 */
import assert from "node:assert/strict";
import { reportJson } from "../../lib/report/mod.ts";
import { loadInputs, runSimulation, type SimulationInputs } from "../../lib/simulate.ts";
import { workloadStats } from "../../lib/workload/mod.ts";
import { sharedPath, sharedTest } from "../_shared.ts";

let cached: SimulationInputs | undefined;
async function inputs(router: "round_robin" | "kv_router"): Promise<SimulationInputs> {
  cached ??= await loadInputs({
    workload: { source: "trace", path: sharedPath("traces/mooncake/conversation_trace.jsonl") },
    topology: { mode: "agg", num_workers: 2, engine: { num_gpu_blocks: 16384, block_size: 64 } },
  });
  return { ...cached, spec: { ...cached.spec, router: { ...cached.spec.router, mode: router } } };
}

sharedTest("conversation trace: loads with the README's statistics", async () => {
  const s = workloadStats((await inputs("round_robin")).workload);
  assert.equal(s.requests, 12_031);
  assert.equal(s.inputTokens, 144_793_823);
  assert.equal(s.outputTokens, 4_122_048);
});

sharedTest(
  "conversation trace: every request completes, tokens conserved, report deterministic",
  async () => {
    const run = await inputs("round_robin");
    const a = runSimulation(run);
    assert.equal(a.report.completed_requests, 12_031);
    assert.equal(a.report.total_output_tokens, 4_122_048);
    assert.equal(reportJson(runSimulation(run).report), reportJson(a.report));
  },
);

sharedTest("conversation trace: the KV router beats round robin on prefix reuse and TTFT", async () => {
  const rr = runSimulation(await inputs("round_robin")).report;
  const kv = runSimulation(await inputs("kv_router")).report;
  assert.ok(
    (kv.prefix_cache_reused_ratio as number) > (rr.prefix_cache_reused_ratio as number) * 1.1,
    `kv ${kv.prefix_cache_reused_ratio} vs rr ${rr.prefix_cache_reused_ratio}`,
  );
  assert.ok((kv.mean_ttft_ms as number) < (rr.mean_ttft_ms as number));
});
