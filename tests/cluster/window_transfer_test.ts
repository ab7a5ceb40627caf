/**
 * A disaggregated hand-off of a sliding-window model's KV: its full-attention layers send the whole prompt, its
 * sliding-window layers only their last window, the only KV they keep.
 */
import assert from "node:assert/strict";
import { transferMs } from "../../lib/cluster/transfer.ts";
import { loadInputs, runSimulation } from "../../lib/simulate.ts";
import { configFile, fixedTiming, GEMMA4_31B_CONFIG } from "../_fixtures.ts";

Deno.test("disagg: a sliding-window model sends the prompt's full-attention KV and its last window's sliding KV", async () => {
  await using file = await configFile(GEMMA4_31B_CONFIG);
  const engine = {
    aic_model_path: file.path,
    aic_system: "h100_sxm",
    num_gpu_blocks: 4000,
    ...fixedTiming(10, 5),
  };
  /** The transfer time of one prompt of `input` tokens at 1 GB/s, and the prefill engine's KV sizes. */
  const transfer = async (input: number) => {
    const inputs = await loadInputs({
      workload: { source: "synthetic", input_tokens: input, output_tokens: 2, request_count: 1 },
      replay_concurrency: 1,
      topology: {
        mode: "disagg",
        prefill_engine: { ...engine, kv_transfer_bandwidth: 1 },
        decode_engine: engine,
      },
    });
    assert.equal(inputs.workload.inputLength[0], input);
    const { collector, cluster } = runSimulation(inputs);
    const c = cluster.engines[0].config;
    return {
      ms: collector.kvArrivedMs[0] - collector.reservedMs[0],
      sizes: [c.window, c.kvBytesPerToken, c.windowKvBytesPerToken, c.stateBytesPerSeq],
    };
  };
  // Gemma 4 31B at TP 1, bf16: 10 global layers × 4 KV heads × (512 + 512) × 2 bytes a token, and 50 sliding
  // layers × 16 KV heads × (256 + 256) × 2 bytes a token within the 1,024-token window.
  const global = 10 * 4 * 1024 * 2, sliding = 50 * 16 * 512 * 2;
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) <= 1e-9 * b, `${a} ≉ ${b}`);
  const long = await transfer(3000);
  assert.deepEqual(long.sizes, [1024, global, sliding, 0]);
  // A prompt longer than the window: its sliding layers send the window's 1,024 tokens, not its 3,000.
  close(long.ms, transferMs(3000 * global + 1024 * sliding, 1));
  close(long.ms, 1084.6208);
  // A shorter one sends all of it.
  close((await transfer(600)).ms, transferMs(600 * (global + sliding), 1));
});
