import assert from "node:assert/strict";
import { modelFromHfConfig } from "../../lib/perf/catalog/hf_config.ts";
import { fullAttentionShape, slidingAttentionShape } from "../../lib/perf/catalog/arch.ts";
import { attentionParamsPerGpu, kvBytesPerToken, totalParams } from "../../lib/perf/catalog/footprint.ts";
import { parsePythonJson } from "../../lib/perf/json_file.ts";
import { buildOps, type Op } from "../../lib/perf/ops.ts";
import { resolvePerfSetup } from "../../lib/perf/setup.ts";
import { sharedPath, sharedTest } from "../_shared.ts";
import { configFile, GEMMA4_31B_CONFIG, nonFinite } from "../_fixtures.ts";
import { simulate } from "../../mod.ts";
import { Rng } from "../../lib/common/rng.ts";
import { assertNearTables, checkRandomModel } from "./_model_checks.ts";

/** A small Gemma 4 text config: two sliding layers to one global layer, experts beside the dense MLP. */
const GEMMA4 = {
  model_type: "gemma4",
  text_config: {
    model_type: "gemma4_text",
    num_hidden_layers: 6,
    hidden_size: 1024,
    num_attention_heads: 8,
    num_key_value_heads: 4,
    num_global_key_value_heads: 1,
    head_dim: 128,
    global_head_dim: 256,
    attention_k_eq_v: true,
    sliding_window: 512,
    layer_types: [1, 2, 3, 4, 5, 6].map((i) => i % 3 === 0 ? "full_attention" : "sliding_attention"),
    intermediate_size: 768,
    enable_moe_block: true,
    num_experts: 16,
    top_k_experts: 4,
    moe_intermediate_size: 256,
    vocab_size: 32000,
    tie_word_embeddings: true,
  },
};

/** A small MiMo-V2 config: value heads narrower than query/key heads, more KV heads on its sliding layers. */
const MIMO_V2 = {
  model_type: "mimo_v2_flash",
  num_hidden_layers: 4,
  hidden_size: 1024,
  num_attention_heads: 16,
  num_key_value_heads: 2,
  head_dim: 192,
  v_head_dim: 128,
  swa_num_attention_heads: 16,
  swa_num_key_value_heads: 4,
  swa_head_dim: 192,
  swa_v_head_dim: 128,
  sliding_window: 128,
  hybrid_layer_pattern: [0, 1, 1, 1],
  intermediate_size: 2048,
  vocab_size: 32000,
};

const byName = (ops: readonly Op[], name: string) => ops.filter((o) => o.name === name);

Deno.test("config.json: Gemma 4's global layers are wider, on fewer KV heads, their keys doubling as values", () => {
  const m = modelFromHfConfig(GEMMA4, "g4.json").arch;
  assert.equal(m.layers, 6);
  assert.deepEqual(m.slidingWindow, { window: 512, layers: 4, kvHeads: 4, headDim: 128 });
  assert.deepEqual(fullAttentionShape(m), { kvHeads: 1, headDim: 256, vHeadDim: 256, kEqV: true });
  assert.deepEqual(slidingAttentionShape(m), { kvHeads: 4, headDim: 128, vHeadDim: 128, kEqV: false });
  assert.equal(m.qkNorm, true);
  // The dense MLP runs beside the experts on every layer: a shared expert of `intermediate_size`.
  assert.deepEqual(m.moe, {
    experts: 16,
    topK: 4,
    expertFfn: 256,
    sharedExperts: 1,
    sharedFfn: 768,
    denseLayers: 0,
  });
  // The KV pool is sized by the 2 global layers, K and V both paged: 2 × 1 head × (256 + 256) × 2 bytes.
  assert.equal(kvBytesPerToken(m, "bfloat16"), 2 * 1 * 512 * 2);
  // Global layers: q 8 × 256, k 1 × 256, no v, o 8 × 256; sliding: q 8 × 128, k and v 4 × 128, o 8 × 128.
  const global = 1024 * (8 * 256 + 256) + 8 * 256 * 1024;
  const sliding = 1024 * (8 * 128 + 2 * 4 * 128) + 8 * 128 * 1024;
  assert.equal(attentionParamsPerGpu(m, 1), 2 * global + 4 * sliding);
});

Deno.test("config.json: MiMo-V2's value heads and sliding-layer KV heads are read", () => {
  const m = modelFromHfConfig(MIMO_V2, "mimo.json").arch;
  assert.equal(m.vHeadDim, 128);
  assert.deepEqual(m.slidingWindow, { window: 128, layers: 3, kvHeads: 4 });
  assert.deepEqual(slidingAttentionShape(m), { kvHeads: 4, headDim: 192, vHeadDim: 128, kEqV: false });
  // One full layer: 2 heads × (192 + 128) × 2 bytes.
  assert.equal(kvBytesPerToken(m, "bfloat16"), 2 * 320 * 2);
  assert.throws(
    () => modelFromHfConfig({ ...MIMO_V2, swa_num_attention_heads: 8 }, "mimo.json"),
    /mimo\.json: swa_num_attention_heads: is 8 where the full-attention layers have 16 heads/,
  );
});

Deno.test("config.json: a model of one attention shape reads as before, its sliding layers stating nothing", () => {
  const gemma3 = modelFromHfConfig({
    model_type: "gemma3_text",
    num_hidden_layers: 12,
    hidden_size: 1024,
    num_attention_heads: 8,
    num_key_value_heads: 4,
    head_dim: 256,
    sliding_window: 1024,
    sliding_window_pattern: 6,
    intermediate_size: 4096,
    vocab_size: 32000,
  }, "g3.json").arch;
  assert.deepEqual(gemma3.slidingWindow, { window: 1024, layers: 10 });
  assert.equal(gemma3.vHeadDim, undefined);
  assert.equal(gemma3.kEqV, undefined);
  assert.deepEqual(slidingAttentionShape(gemma3), fullAttentionShape(gemma3));
});

Deno.test("op list: projections and attention per kind of layer, at each kind's shape", () => {
  const model = modelFromHfConfig(GEMMA4, "g4.json");
  const setup = resolvePerfSetup({ aic_model_path: "g4.json", aic_tp_size: 2 }, {
    model,
    modelPath: "g4.json",
  })!;
  const ops = buildOps(setup).context;
  const gemms = (name: string) => byName(ops, name).map((o) => o.kind === "gemm" && [o.n, o.k, o.count]);
  // Global (2 layers): q 4 × 256 and k 1 × 256 (1 KV head replicated), no v. Sliding (4): q 4 × 128, k and
  // v 2 × 128 each.
  assert.deepEqual(gemms("qkv_gemm"), [[5 * 256, 1024, 2], [8 * 128, 1024, 4]]);
  assert.deepEqual(gemms("proj_gemm"), [[1024, 4 * 256, 2], [1024, 4 * 128, 4]]);
  const attention = ops.filter((o) => o.kind === "attention").map((o) =>
    o.kind === "attention" && [o.name, o.kvHeads, o.headDim, o.window, o.count]
  );
  assert.deepEqual(attention, [["attention", 1, 256, 0, 2], ["attention_sliding", 2, 128, 512, 4]]);
  assert.equal(byName(ops, "rope").length, 2);
  // MiMo-V2: attention priced at its query/key head dimension, as AIC's tables key it; the O projection reads
  // the narrower values.
  const mimo = modelFromHfConfig(MIMO_V2, "mimo.json");
  const mimoOps =
    buildOps(resolvePerfSetup({ aic_model_path: "mimo.json" }, { model: mimo, modelPath: "mimo.json" })!)
      .generation;
  const proj = byName(mimoOps, "proj_gemm").map((o) => o.kind === "gemm" && o.k);
  assert.deepEqual(proj, [16 * 128, 16 * 128]);
  const qkv = byName(mimoOps, "qkv_gemm").map((o) => o.kind === "gemm" && o.n);
  assert.deepEqual(qkv, [16 * 192 + 2 * 192 + 2 * 128, 16 * 192 + 4 * 192 + 4 * 128]);
  assert.deepEqual(byName(mimoOps, "attention_sliding").map((o) => o.kind === "attention" && o.headDim), [
    192,
  ]);
});

Deno.test("a TP that one kind of layer's KV heads cannot take is refused, naming both counts", () => {
  const config = {
    ...GEMMA4,
    text_config: {
      ...GEMMA4.text_config,
      num_attention_heads: 12,
      num_global_key_value_heads: 2,
      num_key_value_heads: 6,
    },
  };
  const model = modelFromHfConfig(config, "g4.json");
  assert.throws(
    () => resolvePerfSetup({ aic_model_path: "g4.json", aic_tp_size: 4 }, { model, modelPath: "g4.json" }),
    /aic_tp_size: 4 neither divides nor is a multiple of the model's 2 and 6 KV heads/,
  );
});

Deno.test("config.json: Gemma 4 31B at its published size, its KV pool sized by the global layers", () => {
  const m = modelFromHfConfig(GEMMA4_31B_CONFIG, "gemma-4-31B.json").arch;
  // Google's card: 30.7B.
  assert.ok(Math.abs(totalParams(m) / 1e9 - 30.7) < 0.05, `${totalParams(m)}`);
  // 10 global layers × 4 KV heads × (512 + 512) × 2 bytes: the sliding layers' KV is bounded by the window.
  assert.equal(kvBytesPerToken(m, "bfloat16"), 10 * 4 * 1024 * 2);
});

sharedTest(
  "every Gemma 4 and MiMo-V2 config of the AIC database parses at its published size",
  async () => {
    const sizes: Record<string, number> = {
      "google--gemma-4-26B-A4B": 25.2,
      "nvidia--Gemma-4-26B-A4B-NVFP4": 25.2,
      "nvidia--Gemma-4-31B-IT-NVFP4": 30.7,
      "XiaomiMiMo--MiMo-V2-Flash": 309, // Xiaomi's card: 309B total
    };
    for (const [file, billions] of Object.entries(sizes)) {
      const config = parsePythonJson(
        await Deno.readTextFile(sharedPath(`aic/model_configs/${file}_config.json`)),
      );
      const m = modelFromHfConfig(config, file).arch;
      assert.ok(Math.abs(totalParams(m) / 1e9 / billions - 1) < 0.005, `${file}: ${totalParams(m)}`);
    }
  },
);

sharedTest(
  "Gemma 4: the analytic model agrees with AIC's measured tables (vLLM; H100 26B-A4B, B200 31B NVFP4)",
  async () => {
    for (
      const [id, system, tp] of [
        ["google--gemma-4-26B-A4B", "h100_sxm", 2],
        ["nvidia--Gemma-4-31B-IT-NVFP4", "b200_sxm", 2],
      ] as const
    ) {
      const dir = sharedPath("aic/model_configs");
      const quant = await Deno.readTextFile(`${dir}/${id}_hf_quant_config.json`).then(
        JSON.parse,
        () => undefined,
      );
      const config = parsePythonJson(await Deno.readTextFile(`${dir}/${id}_config.json`));
      const model = modelFromHfConfig(config, id, { quant });
      const args = {
        aic_model_path: id,
        aic_system: system,
        aic_tp_size: tp,
        aic_kv_cache_dtype: "bfloat16",
      };
      const setup = resolvePerfSetup(args, { model, modelPath: id })!;
      // Whole passes within 15%; attention alone within 25% (its 512-wide global heads run Triton kernels
      // whose measured grid the fitted curves follow less closely).
      await assertNearTables(setup, {
        tolerance: 0.15,
        context: 4096,
        family: "attention",
        familyTolerance: 0.25,
      });
    }
  },
);

Deno.test("end to end: Gemma 4 31B replays on two H100s with every request complete", async () => {
  await using file = await configFile(GEMMA4_31B_CONFIG);
  const path = file.path;
  const r = await simulate({
    workload: { source: "synthetic", input_tokens: 3000, output_tokens: 40, request_count: 12 },
    replay_concurrency: 6,
    topology: {
      mode: "agg",
      num_workers: 1,
      engine: { aic_model_path: path, aic_system: "h100_sxm", aic_tp_size: 2 },
    },
  });
  assert.equal(r.completed_requests, 12);
  assert.equal(r.total_output_tokens, 480);
  assert.equal(nonFinite(r), null);
});

Deno.test("random per-kind attention shapes: priced finite, and every request of a replay completes or is refused", async () => {
  const rng = new Rng(66);
  let ran = 0;
  for (let trial = 0; trial < 20; trial++) {
    const layers = 2 + rng.int(10);
    const kinds = Array.from(
      { length: layers },
      () => rng.next() < 0.6 ? "sliding_attention" : "full_attention",
    );
    const heads = 8 * (1 + rng.int(4));
    const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)];
    const config = {
      model_type: "gemma4_text",
      num_hidden_layers: layers,
      hidden_size: 256 * (1 + rng.int(8)),
      num_attention_heads: heads,
      num_key_value_heads: pick([1, 2, 4, 8]),
      num_global_key_value_heads: pick([1, 2, 4]),
      head_dim: pick([64, 128, 256]),
      global_head_dim: pick([128, 256, 512]),
      v_head_dim: rng.next() < 0.3 ? 96 : undefined,
      attention_k_eq_v: rng.next() < 0.5,
      sliding_window: pick([128, 1024]),
      layer_types: kinds,
      intermediate_size: 512 * (1 + rng.int(4)),
      enable_moe_block: rng.next() < 0.4,
      num_experts: 8,
      top_k_experts: 2,
      moe_intermediate_size: 256,
      vocab_size: 32000,
    };
    const tp = pick([1, 2, 4]);
    const label = `trial ${trial}: ${
      kinds.filter((k) => k[0] === "f").length
    } of ${layers} layers full, tp ${tp}`;
    if (!await checkRandomModel(config, tp, rng, label)) continue; // a TP the KV heads do not take (tested above)
    ran++;
  }
  assert.ok(ran >= 10, `only ${ran} of 20 configs ran`);
});
