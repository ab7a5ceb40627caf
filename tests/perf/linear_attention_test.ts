import assert from "node:assert/strict";
import { modelFromHfConfig } from "../../lib/perf/catalog/hf_config.ts";
import { fullAttentionLayers, type ModelArch } from "../../lib/perf/catalog/arch.ts";
import {
  kvBytesPerToken,
  linearStateBytesPerSeqPerGpu,
  totalParams,
} from "../../lib/perf/catalog/footprint.ts";
import { parsePythonJson } from "../../lib/perf/json_file.ts";
import { buildOps } from "../../lib/perf/ops.ts";
import { resolvePerfSetup } from "../../lib/perf/setup.ts";
import { analyticModel } from "../../lib/perf/analytic/model.ts";
import { deriveKvCapacity, hybridBlockSize, stateBlocksPerSeq } from "../../lib/perf/capacity.ts";
import { resolveEngineArgs } from "../../lib/engine/mod.ts";
import { loadAicTables } from "../../lib/perf/aic/tables.ts";
import { tableModel } from "../../lib/perf/aic/table_model.ts";
import { linearAttentionSamples } from "../../lib/perf/aic/linear_attention.ts";
import { readParquetTable } from "../../lib/perf/aic/parquet.ts";
import { sharedPath, sharedTest } from "../_shared.ts";
import { COEFFICIENTS } from "../../lib/perf/calibration/coefficients.ts";
import { GPUS } from "../../lib/perf/catalog/gpus.ts";
import { linearAttentionMs, linearAttentionWork } from "../../lib/perf/analytic/linear_attention.ts";
import { configFile, QWEN35_27B_CONFIG } from "../_fixtures.ts";
import { simulate } from "../../mod.ts";
import { formatRunSummary } from "../../lib/report/mod.ts";

const QWEN35_DENSE = QWEN35_27B_CONFIG;

async function setupOf(config: unknown, args: Record<string, unknown> = {}) {
  await using file = await configFile(config);
  const path = file.path;
  const model = modelFromHfConfig(config, path);
  return resolvePerfSetup({ aic_model_path: path, ...args }, { model, modelPath: path })!;
}

Deno.test("config.json: Gated-DeltaNet layers are read from layer_types, or every layer but each 4th without it", () => {
  const m = modelFromHfConfig(QWEN35_DENSE, "q35");
  assert.deepEqual(m.arch.linearAttention, {
    kind: "gated_delta_net",
    layers: 48,
    kHeads: 16,
    vHeads: 48,
    kHeadDim: 128,
    vHeadDim: 128,
    convKernel: 4,
    stateBytes: 4,
  });
  assert.equal(fullAttentionLayers(m.arch), 16);
  assert.equal(m.arch.attnOutputGate, true);
  assert.equal(m.arch.qkNorm, true);
  // Only the 16 full-attention layers cache KV: 16 × 2 × 4 heads × 256 × 2 bytes.
  assert.equal(kvBytesPerToken(m.arch, "bfloat16"), 65_536);
  // The published size of Qwen3.5-27B's language model (its vision tower aside).
  assert.ok(Math.abs(totalParams(m.arch) / 1e9 - 26.9) < 0.5, `${totalParams(m.arch) / 1e9} B`);
  // Qwen3-Next writes no layer_types: every 4th layer is full attention; its state is BF16 unless stated.
  const { layer_types: _, mamba_ssm_dtype: __, ...text } = QWEN35_DENSE.text_config;
  const next = modelFromHfConfig({ ...text, model_type: "qwen3_next", attn_output_gate: undefined }, "next");
  assert.equal(next.arch.linearAttention?.layers, 48);
  assert.equal(next.arch.linearAttention?.stateBytes, 2);
  assert.equal(next.arch.attnOutputGate, true);
});

Deno.test("config.json: an all-MoE model needs no dense intermediate_size (Qwen3.5-MoE)", () => {
  const { intermediate_size: _, ...text } = QWEN35_DENSE.text_config;
  const m = modelFromHfConfig({
    ...text,
    model_type: "qwen3_5_moe_text",
    num_experts: 256,
    num_experts_per_tok: 8,
    moe_intermediate_size: 512,
    shared_expert_intermediate_size: 512,
  }, "q35moe");
  assert.deepEqual(m.arch.moe, {
    experts: 256,
    topK: 8,
    expertFfn: 512,
    sharedExperts: 1,
    sharedFfn: 512,
    denseLayers: 0,
  });
});

Deno.test("recurrent state: 154 MB a sequence for Qwen3.5-27B in float32, split by TP, in blocks of the KV pool", async () => {
  const m = modelFromHfConfig(QWEN35_DENSE, "q35");
  const bytes = linearStateBytesPerSeqPerGpu(m.arch, 1);
  assert.equal(bytes, 48 * (48 * 128 * 128 * 4 + 10240 * 3 * 2));
  assert.equal(linearStateBytesPerSeqPerGpu(m.arch, 4), bytes / 4);
  const setup = await setupOf(QWEN35_DENSE, { aic_system: "h200_sxm", aic_kv_cache_dtype: "bfloat16" });
  const cap = deriveKvCapacity(setup, { maxNumBatchedTokens: 8192, maxNumSeqs: 256, blockSize: 64 });
  assert.equal(cap.stateBytesPerSeq, bytes);
  // A sequence's state weighs as much as 2,349 tokens of KV: 37 blocks of 64.
  assert.equal(stateBlocksPerSeq(setup, 64), Math.ceil(bytes / (65_536 * 64)));
  assert.equal(stateBlocksPerSeq(setup, 64), 37);
});

Deno.test("a TP that does not divide the linear-attention heads is refused, naming the valid sizes", async () => {
  const odd = { ...QWEN35_DENSE, text_config: { ...QWEN35_DENSE.text_config, linear_num_key_heads: 12 } };
  await assert.rejects(
    () => setupOf(odd, { aic_tp_size: 8 }),
    /aic_tp_size: 8 does not divide the model's 12 linear-attention key heads and 48 value heads; valid: 1, 2, 3, 4, 6, 12/,
  );
});

Deno.test("op list: gated full attention on 16 layers, Gated-DeltaNet projections and kernels on 48", async () => {
  const setup = await setupOf(QWEN35_DENSE, { aic_tp_size: 2 });
  const ops = buildOps(setup).context;
  const find = (name: string) => ops.find((o) => o.name === name);
  const qkv = find("qkv_gemm");
  assert.ok(qkv?.kind === "gemm" && qkv.count === 16);
  assert.equal(qkv.n, (2 * 12 + 2 * 2) * 256, "query and its output gate, then K and V, per GPU");
  const inProj = find("linear_in_gemm");
  assert.ok(inProj?.kind === "gemm" && inProj.count === 48);
  assert.equal(inProj.n, (2 * 16 * 128 + 2 * 48 * 128 + 2 * 48) / 2);
  const gdn = find("gated_delta_net");
  assert.ok(gdn?.kind === "linear_attention" && gdn.count === 48 && gdn.vHeads === 24 && gdn.kHeads === 8);
  assert.equal(find("attention")?.count, 16);
});

Deno.test("analytic Gated-DeltaNet: a long prompt scans chunk after chunk; short ones run side by side", async () => {
  const setup = await setupOf(QWEN35_DENSE, { aic_system: "h200_sxm" });
  const m = analyticModel(setup);
  const attention = (b: number, s: number) => m.prefillBreakdown!(b, s, 0).attention!;
  // The same 32k tokens cost more as one prompt than as 32 prompts of 1k: the state passes chunk to chunk.
  assert.ok(
    attention(1, 32768) > 1.5 * attention(32, 1024),
    `${attention(1, 32768)} vs ${attention(32, 1024)}`,
  );
  // Decode: the recurrent step reads and writes each sequence's state whatever its context, so the attention
  // family grows with the context only through the 16 full-attention layers.
  const decode = (b: number, ctx: number) => m.decodeBreakdown!(b, ctx, b * ctx).attention!;
  const fullOnly = analyticModel({
    ...setup,
    model: { ...setup.model, arch: withoutLinear(setup.model.arch) },
  });
  const full = (b: number, ctx: number) => fullOnly.decodeBreakdown!(b, ctx, b * ctx).attention!;
  const gdn = (b: number) => decode(b, 1000) - full(b, 1000);
  assert.ok(gdn(64) > 0 && gdn(128) > 1.5 * gdn(64), "the state traffic grows with the batch");
  assert.ok(Math.abs(decode(64, 30_000) - full(64, 30_000) - gdn(64)) < 1e-9);
  // A cached prefix does not change the linear layers' work (it seeds their state), only full attention's.
  const withPrefix = m.prefillBreakdown!(1, 8192, 4096).attention!;
  assert.ok(withPrefix > attention(1, 4096));
  for (const v of [m.prefillMs(4, 2048, 0), m.decodeMs(64, 2048, 64 * 2048)]) {
    assert.ok(Number.isFinite(v) && v > 0);
  }
});

Deno.test("analytic Gated-DeltaNet: SGLang's chunk kernel (FLA) grows over the first chunk, vLLM's (FlashInfer) hardly", () => {
  // One sequence of 16 × 16 heads, as AIC's gdn_perf tables time it: on H200 FLA takes 23.7 µs at 1 token,
  // 41.5 µs at 64 and 43.8 µs at 128 (convolution and delta rule summed); FlashInfer is flat to 64 tokens.
  const shape = { kHeads: 16, vHeads: 16, kHeadDim: 128, vHeadDim: 128, convKernel: 4, stateBytes: 4 };
  for (const system of ["h100_sxm", "h200_sxm", "b200_sxm"]) {
    const at = (backend: string, s: number) =>
      linearAttentionMs(
        COEFFICIENTS[system].backends[backend].linearAttention.context,
        GPUS[system],
        linearAttentionWork(shape, 1, s, true),
      );
    const rise = (backend: string) => at(backend, 64) / at(backend, 1);
    assert.ok(rise("sglang") > 1.5, `${system} sglang: ${rise("sglang")}`);
    assert.ok(rise("vllm") < 1.25, `${system} vllm: ${rise("vllm")}`);
    // Past the first chunk the ramp is spent: a second chunk adds far less than the first one's fill did.
    assert.ok(at("sglang", 128) - at("sglang", 64) < (at("sglang", 64) - at("sglang", 1)) / 4, system);
  }
});

sharedTest("Qwen3.5 and Qwen3.6 configs of the AIC database parse at their published sizes", async () => {
  const dir = sharedPath("aic/model_configs");
  const sizes: Record<string, number> = {
    "Qwen--Qwen3.5-27B": 27,
    "Qwen--Qwen3.5-35B-A3B": 35,
    "Qwen--Qwen3.5-122B-A10B": 122,
    "Qwen--Qwen3.5-397B-A17B": 397,
    "nvidia--Qwen3.6-27B-NVFP4": 27,
    "nvidia--Qwen3.6-35B-A3B-NVFP4": 35,
  };
  for (const [name, billions] of Object.entries(sizes)) {
    const m = modelFromHfConfig(parsePythonJson(await Deno.readTextFile(`${dir}/${name}_config.json`)), name);
    const p = totalParams(m.arch) / 1e9;
    // Within 5 %: the published sizes count the vision tower and the MTP layer, which are not priced.
    assert.ok(Math.abs(p / billions - 1) < 0.05, `${name}: ${p.toFixed(1)} B`);
    assert.ok(m.arch.linearAttention && m.arch.linearAttention.layers * 4 === m.arch.layers * 3, name);
  }
});

sharedTest(
  "table mode prices Gated-DeltaNet layers from gdn_perf: a measured shape exactly, its kernels summed",
  async () => {
    const root = sharedPath("aic/systems");
    const setup = await setupOf(QWEN35_DENSE, { aic_system: "h200_sxm" });
    const needs = {
      attention: true,
      mla: false,
      moe: false,
      allReduce: false,
      nccl: false,
      linearAttention: true,
    };
    const tables = await loadAicTables(root, "h200_sxm", "vllm", undefined, needs);
    const model = tableModel(setup, tables);
    const fullOnly = tableModel({
      ...setup,
      model: { ...setup.model, arch: withoutLinear(setup.model.arch) },
    }, tables);
    const samples = linearAttentionSamples(
      await readParquetTable(
        `${root}/data/h200_sxm/linear_attention/vllm/${tables.version}/gdn_perf.parquet`,
      ),
    );
    const measured = (phase: string, b: number, s: number) => {
      const hits = samples.get(phase)!.filter((x) =>
        x.shape.vHeads === 48 && x.shape.kHeads === 16 && x.b === b && x.s === s
      );
      assert.ok(hits.length > 0);
      return hits.reduce((a, x) => a + x.latency, 0) / hits.length;
    };
    // The attention family minus that of the same model's 16 full-attention layers: 48 GDN layers.
    const ctx = model.prefillBreakdown!(2, 4096, 0).attention! -
      fullOnly.prefillBreakdown!(2, 4096, 0).attention!;
    assert.ok(Math.abs(ctx / (48 * measured("context", 2, 4096)) - 1) < 1e-9, `${ctx}`);
    const gen = model.decodeBreakdown!(64, 1000, 64 * 1000).attention! -
      fullOnly.decodeBreakdown!(64, 1000, 64 * 1000).attention!;
    assert.ok(Math.abs(gen / (48 * measured("generation", 64, 1)) - 1) < 1e-9, `${gen}`);
  },
);

/** The same model with its linear-attention layers removed (its full-attention layers only). */
function withoutLinear(arch: ModelArch): ModelArch {
  return { ...arch, layers: arch.layers - arch.linearAttention!.layers, linearAttention: undefined };
}

Deno.test("end to end: a hybrid model's sequences wait for room for their state, and every request completes", async () => {
  await using file = await configFile(QWEN35_DENSE);
  const path = file.path;
  const run = (blocks: number) =>
    simulate({
      workload: { source: "synthetic", input_tokens: 2000, output_tokens: 50, request_count: 12 },
      replay_concurrency: 6,
      topology: {
        mode: "agg",
        num_workers: 1,
        engine: { aic_model_path: path, aic_system: "h200_sxm", num_gpu_blocks: blocks },
      },
    });
  // In vLLM's 784-token blocks, 2,050 tokens need 3 blocks of KV and 3 of state: 12 blocks run two sequences
  // at a time, 40 all six.
  const [tight, roomy] = [await run(12), await run(40)];
  for (const r of [tight, roomy]) {
    assert.equal(r.completed_requests, 12);
    assert.equal(r.total_output_tokens, 600);
  }
  const pool = (tight.dynolab as { pools: { state_blocks_per_seq: number; block_size: number }[] }).pools[0];
  assert.equal(pool.block_size, 784);
  assert.equal(pool.state_blocks_per_seq, 3);
  assert.ok((tight.mean_ttft_ms as number) > 1.5 * (roomy.mean_ttft_ms as number));
  assert.match(
    formatRunSummary(tight).join("\n"),
    /784 tokens per rank .*each sequence's recurrent state takes 3 of them/,
  );
});

Deno.test("block size: vLLM enlarges a hybrid model's attention block until a page holds a layer's state", async () => {
  // Qwen3.5-4B's shape: the 528 tokens vLLM logs ("Setting attention block size to 528 tokens").
  const small = {
    ...QWEN35_DENSE,
    text_config: {
      ...QWEN35_DENSE.text_config,
      num_hidden_layers: 32,
      hidden_size: 2560,
      num_attention_heads: 16,
      intermediate_size: 9216,
      layer_types: QWEN35_DENSE.text_config.layer_types.slice(0, 32),
      linear_num_value_heads: 32,
    },
  };
  assert.equal(hybridBlockSize(await setupOf(small), 16), 528);
  assert.equal(hybridBlockSize(await setupOf(small), 1024), 1024, "a larger block is kept");
  const big = await setupOf(QWEN35_DENSE);
  assert.equal(hybridBlockSize(big, 64), 784);
  // An FP8 KV cache halves the page per token: twice the tokens. TP splits state and KV heads alike.
  assert.equal(hybridBlockSize(await setupOf(QWEN35_DENSE, { aic_kv_cache_dtype: "fp8" }), 64), 1568);
  assert.equal(hybridBlockSize(await setupOf(QWEN35_DENSE, { aic_tp_size: 4 }), 64), 784);
  // The engine takes it, and says so when it overrides an explicit block_size.
  const inputs = { model: big.model, modelPath: big.model.id };
  const resolve = (args: Record<string, unknown>) =>
    resolveEngineArgs({ aic_model_path: big.model.id, ...args }, "aggregated", "engine args", {}, inputs);
  const resolved = resolve({ block_size: 64 });
  assert.equal(resolved.config.blockSize, 784);
  assert.equal(resolved.config.stateBlocksPerSeq, 3);
  assert.match(resolved.warnings.join("\n"), /block_size 64 is raised to 784 tokens, as vLLM raises it/);
  // MTP keeps a state per draft position too (vLLM's num_speculative_blocks).
  assert.equal(resolve({ aic_nextn: 2 }).config.stateBlocksPerSeq, 9);
  const trtllm = resolve({ engine_type: "trtllm" });
  assert.equal(trtllm.config.blockSize, 32, "TRT-LLM keeps its own block size");
});

Deno.test("disaggregated: a hybrid model's hand-off carries the recurrent state beside the prompt's KV", async () => {
  await using file = await configFile(QWEN35_DENSE);
  const path = file.path;
  const engine = {
    aic_model_path: path,
    aic_system: "h200_sxm",
    num_gpu_blocks: 4000,
    kv_transfer_bandwidth: 10,
  };
  const report = await simulate({
    workload: { source: "synthetic", input_tokens: 1000, output_tokens: 5, request_count: 4 },
    replay_concurrency: 1,
    topology: {
      mode: "disagg",
      num_prefill_workers: 1,
      num_decode_workers: 1,
      prefill_engine: engine,
      decode_engine: engine,
    },
  });
  // 1,000 tokens × 64 KiB of KV and 154 MB of state over 10 GB/s.
  const state = 48 * (48 * 128 * 128 * 4 + 10240 * 3 * 2);
  const expected = (1000 * 65_536 + state) / 10e9 * 1e3;
  const handoff = (report.dynolab as { handoff: { transfer_ms: { mean: number } } }).handoff;
  assert.ok(
    Math.abs(handoff.transfer_ms.mean / expected - 1) < 1e-6,
    `${handoff.transfer_ms.mean} vs ${expected}`,
  );
});
