/**
 * The loaders on the real public traces in `../shared/traces`, checked against the statistics in its README.
 */
import assert from "node:assert/strict";
import { sharedPath, sharedTest } from "../_shared.ts";
import { loadAzure } from "../../lib/workload/azure.ts";
import { loadKvCacheTester } from "../../lib/workload/kv_cache_tester.ts";
import { loadMooncake } from "../../lib/workload/mooncake.ts";
import { type Workload, workloadStats } from "../../lib/workload/types.ts";
import { delaysOf } from "./_helpers.ts";

/** `actual` rounds to `expected` at the README's precision (`digits` significant digits). */
function near(actual: number, expected: number, digits: number, what: string): void {
  const scale = 10 ** (Math.floor(Math.log10(Math.abs(expected))) - digits + 1);
  assert.ok(Math.abs(actual - expected) <= scale / 2 * (1 + 1e-9), `${what}: ${actual} vs ${expected}`);
}

function everyBlockUnique(w: Workload): boolean {
  return w.distinctBlocks === w.blocks.length && new Set(w.blocks).size === w.blocks.length;
}

sharedTest("traces: Azure 2023 code", async () => {
  const w = await loadAzure(sharedPath("traces/azure/AzureLLMInferenceTrace_code.csv"), { blockSize: 64 });
  const s = workloadStats(w);
  assert.equal(s.requests, 8_819);
  assert.equal(s.sessions, 8_819);
  near(s.spanMs / 1000, 3_436, 4, "span s");
  near(s.inputTokens, 18.06e6, 4, "input tokens");
  near(s.outputTokens, 0.25e6, 2, "output tokens");
  near(s.inputTokens / s.requests, 2_048, 4, "mean ISL");
  near(s.outputTokens / s.requests, 27.9, 3, "mean OSL");
  assert.ok(everyBlockUnique(w));
});

sharedTest("traces: Azure 2023 conversation", async () => {
  const w = await loadAzure(sharedPath("traces/azure/AzureLLMInferenceTrace_conv.csv"), { blockSize: 64 });
  const s = workloadStats(w);
  assert.equal(s.requests, 19_366);
  near(s.spanMs / 1000, 3_502, 4, "span s");
  near(s.inputTokens, 22.36e6, 4, "input tokens");
  near(s.outputTokens, 4.09e6, 3, "output tokens");
  assert.ok(everyBlockUnique(w));
});

sharedTest("traces: Mooncake conversation", async () => {
  const w = await loadMooncake(sharedPath("traces/mooncake/conversation_trace.jsonl"), { blockSize: 64 });
  const s = workloadStats(w);
  assert.equal(s.requests, 12_031);
  near(s.spanMs / 1000, 3_537, 4, "span s");
  near(s.inputTokens, 144.8e6, 4, "input tokens");
  near(s.outputTokens, 4.12e6, 3, "output tokens");
});

sharedTest("traces: kv-cache-tester, all 710 sessions", async () => {
  const w = await loadKvCacheTester(sharedPath("traces/kv-cache-tester/claude_code_traces.jsonl.gz"), {
    blockSize: 64,
  });
  const s = workloadStats(w);
  assert.equal(s.requests, 49_334);
  // 710 sessions plus 63 sub-agents with calls, each its own session
  assert.equal(s.sessions, 710 + 63);
  near(s.inputTokens, 6.04e9, 3, "input tokens");
  near(s.outputTokens, 21.7e6, 3, "output tokens");
  near(s.inputTokens / s.requests, 122_379, 6, "mean ISL");
  // 96.3 % of blocks repeat an earlier block of their session (full 64-token blocks)
  near(1 - w.distinctBlocks / w.blocks.length, 0.963, 3, "block reuse");
  let delays = 0;
  for (let r = 0; r < w.requestCount; r++) if (w.turnIndex[r] > 0) delays++;
  assert.equal(delays, 49_334 - 773);
});

sharedTest("traces: kv-cache-tester, first sessions inline", async () => {
  const path = sharedPath("traces/kv-cache-tester/claude_code_traces.jsonl.gz");
  const w = await loadKvCacheTester(path, { blockSize: 64, maxSessions: 20, subagents: "inline" });
  assert.equal(w.sessionCount, 20);
  const again = await loadKvCacheTester(path, { blockSize: 16, maxSessions: 20, subagents: "inline" });
  assert.deepEqual(Array.from(again.inputLength), Array.from(w.inputLength));
  assert.deepEqual(delaysOf(again), delaysOf(w));
});
