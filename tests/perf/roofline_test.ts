import assert from "node:assert/strict";
import {
  allGatherBytes,
  allReduceBytes,
  contextAttentionBytes,
  contextAttentionFlops,
  gemmBytes,
  gemmFlops,
  generationAttentionBytes,
  generationAttentionFlops,
  memoryOpMs,
  moeBytes,
  moeFlops,
} from "../../lib/perf/roofline.ts";

Deno.test("GEMM: 2mnk FLOPs; weights, inputs and BF16 outputs at their own widths", () => {
  assert.equal(gemmFlops(8, 4096, 4096), 2 * 8 * 4096 * 4096);
  assert.equal(gemmBytes(8, 6144, 4096, 1, 1), 6144 * 4096 + 8 * 4096 + 2 * 8 * 6144);
});

Deno.test("context attention: causal FLOPs, prefix discount (full² − p²), sliding window", () => {
  const full = contextAttentionFlops(2, 1000, 0, 32, 128, 0);
  assert.equal(full, 2 * 2 * 1000 * 1000 * 32 * 128);
  // 500 new tokens after a 500-token prefix: (1000² − 500²) of the work of a 1000-token prompt.
  assert.equal(contextAttentionFlops(2, 500, 500, 32, 128, 0), full * 0.75);
  // Window 128: each of the 1000 new tokens attends to 128.
  assert.equal(contextAttentionFlops(1, 1000, 0, 64, 64, 128), 4 * 1000 * 128 * 64 * 64);
  // Bytes: Q and O of the new tokens plus K and V of the whole sequence.
  assert.equal(
    contextAttentionBytes(1, 100, 900, 32, 8, 128, 2),
    2 * 2 * 32 * 100 * 128 + 2 * 2 * 8 * 1000 * 128,
  );
});

Deno.test("generation attention reads every sequence's KV once (window-clamped)", () => {
  assert.equal(
    generationAttentionBytes(4, 4096, 32, 8, 128, 0, 2),
    4 * (4 * 32 * 128 + 2 * 8 * 4096 * 128 * 2),
  );
  assert.equal(
    generationAttentionBytes(1, 4096, 64, 8, 64, 128, 2),
    generationAttentionBytes(1, 128, 64, 8, 64, 0, 2),
  );
  assert.equal(generationAttentionFlops(1, 100, 32, 128, 0), 4 * 32 * 128 * 100);
});

Deno.test("MoE: FLOPs over routed pairs; bytes of the experts that get tokens", () => {
  const block = { hidden: 2048, inter: 768, topK: 8, experts: 128, tp: 1, ep: 1 };
  assert.equal(moeFlops(10, block, 3), 2 * 10 * 8 * 2048 * 768 * 3);
  assert.equal(moeFlops(10, { ...block, tp: 2, ep: 4 }, 3), 2 * 10 * 8 * 2048 * 768 * 3 / 8);
  // One token routed to 8 of 128 experts loads 8 experts' weights; 1000 tokens load all 128.
  const one = moeBytes(1, block, 3, 2);
  assert.equal(one, 2 * 2048 * 768 * 3 * 8 + 2 * 8 * (2 * 2048 + 3 * 768));
  const many = moeBytes(1000, block, 3, 2);
  assert.ok(
    many > 2 * 2048 * 768 * 3 * 128 && many < 2 * 2048 * 768 * 3 * 129 + 2 * 8000 * (2 * 2048 + 3 * 768),
  );
});

Deno.test("collectives: ring all-reduce sends 2(g−1)/g of the payload, all-gather (g−1)/g", () => {
  assert.equal(allReduceBytes(1000, 1), 0);
  assert.equal(allReduceBytes(1000, 4), 1500);
  assert.equal(allGatherBytes(1000, 4), 750);
});

Deno.test("element-wise ops: bytes / (0.8·BW) + 3 µs (perf-model.md §3.1 example)", () => {
  const ms = memoryOpMs(32768, 4.8e12);
  assert.ok(Math.abs(ms - (32768 / (0.8 * 4.8e12) * 1e3 + 0.003)) < 1e-15);
  assert.ok(ms > 0.003 && ms < 0.00301);
});
