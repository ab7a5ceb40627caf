import assert from "node:assert/strict";
import { modelFromHfConfig } from "../../lib/perf/catalog/hf_config.ts";
import { decoderLayers, softmaxAttentionLayers } from "../../lib/perf/catalog/arch.ts";
import {
  kvBytesPerToken,
  linearStateBytesPerSeqPerGpu,
  totalParams,
  weightBytesPerGpu,
} from "../../lib/perf/catalog/footprint.ts";
import { MODELS } from "../../lib/perf/catalog/models.ts";
import { parsePythonJson } from "../../lib/perf/json_file.ts";
import { buildOps, type Op } from "../../lib/perf/ops.ts";
import { resolvePerfSetup } from "../../lib/perf/setup.ts";
import { analyticModel } from "../../lib/perf/analytic/model.ts";
import { hybridBlockSize, stateBlocksPerSeq } from "../../lib/perf/capacity.ts";
import { curveSource, findCurve } from "../../lib/perf/analytic/lookup.ts";
import { moeBaseMs } from "../../lib/perf/analytic/efficiency.ts";
import { GPUS } from "../../lib/perf/catalog/gpus.ts";
import { sharedPath, sharedTest } from "../_shared.ts";
import { simulate } from "../../mod.ts";
import { NEMOTRON_H_CONFIG } from "../_fixtures.ts";
import { Rng } from "../../lib/common/rng.ts";
import { assertNearTables, checkRandomModel } from "./_model_checks.ts";

const byName = (ops: readonly Op[], name: string) => ops.find((o) => o.name === name);

Deno.test("config.json: Nemotron-H blocks hold one mixer or one FFN, from the pattern or the block-type list", () => {
  const m = modelFromHfConfig(NEMOTRON_H_CONFIG, "nh.json").arch;
  // "MEM*EMEM*E": 4 Mamba-2 and 2 attention mixers, 4 MoE blocks.
  assert.equal(m.layers, 6);
  assert.equal(softmaxAttentionLayers(m), 2);
  assert.equal(m.ffnLayers, 4);
  assert.equal(decoderLayers(m), 5);
  assert.equal(m.ffnUngated, true);
  assert.deepEqual(m.linearAttention, {
    kind: "mamba2",
    layers: 4,
    kHeads: 4,
    vHeads: 32,
    kHeadDim: 128,
    vHeadDim: 64,
    convKernel: 4,
    stateBytes: 4,
  });
  assert.equal(m.moe?.denseLayers, 0);
  assert.equal(m.moe?.sharedFfn, 1024);
  // The same blocks by name (Nemotron-3 Ultra's form), with dense MLP blocks and a BF16 state.
  const listed = modelFromHfConfig({
    ...NEMOTRON_H_CONFIG,
    hybrid_override_pattern: undefined,
    n_routed_experts: undefined,
    mamba_ssm_cache_dtype: undefined,
    layers_block_type: ["mamba", "mlp", "attention", "mlp", "mamba", "mlp"],
  }, "nh2.json").arch;
  assert.equal(listed.layers, 3);
  assert.equal(listed.ffnLayers, 3);
  assert.equal(listed.moe, undefined);
  assert.equal(listed.linearAttention?.stateBytes, 2);
  // KV is held by the attention blocks alone: 2 layers × K and V × 2 heads × 128 × 2 bytes.
  assert.equal(kvBytesPerToken(m, "bfloat16"), 2 * 2 * 2 * 128 * 2);
});

Deno.test("config.json: an unknown block letter, or no attention block, is refused naming the field", () => {
  assert.throws(
    () => modelFromHfConfig({ ...NEMOTRON_H_CONFIG, hybrid_override_pattern: "M*X" }, "nh.json"),
    /nh\.json: hybrid_override_pattern: block 2 is "X"; valid: M, \*, -, E/,
  );
  assert.throws(
    () =>
      modelFromHfConfig(
        { ...NEMOTRON_H_CONFIG, hybrid_override_pattern: undefined, layers_block_type: ["ssm"] },
        "l.json",
      ),
    /l\.json: layers_block_type: block 0 is "ssm"; valid: "mamba", "attention", "mlp", "moe"/,
  );
  assert.throws(
    () => modelFromHfConfig({ ...NEMOTRON_H_CONFIG, hybrid_override_pattern: "MEME" }, "nh.json"),
    /hybrid_override_pattern: has no attention block/,
  );
});

Deno.test("op list: Mamba-2 mixers, ungated experts and one add-norm and all-reduce per block", () => {
  const model = modelFromHfConfig(NEMOTRON_H_CONFIG, "nh.json");
  const setup = resolvePerfSetup({ aic_model_path: "nh.json", aic_tp_size: 2 }, {
    model,
    modelPath: "nh.json",
  })!;
  const ops = buildOps(setup).context;
  const inProj = byName(ops, "linear_in_gemm");
  assert.ok(inProj?.kind === "gemm" && inProj.count === 4);
  // C and B (2 groups × 128 each per GPU), x and z (16 heads × 64 each per GPU), one dt per head.
  assert.equal(inProj.n, 2 * 2 * 128 + 2 * 16 * 64 + 16);
  const ssd = byName(ops, "mamba2_ssd");
  assert.ok(ssd?.kind === "linear_attention" && ssd.count === 4 && ssd.vHeads === 16 && ssd.kHeads === 2);
  assert.equal(byName(ops, "gated_delta_net"), undefined);
  assert.equal(byName(ops, "qkv_gemm")?.count, 2);
  assert.equal(byName(ops, "add_norm_1")?.count, 6, "one per mixer block");
  assert.equal(byName(ops, "add_norm_2")?.count, 4, "one per MoE block");
  assert.equal(byName(ops, "attention_allreduce")?.count, 6);
  assert.equal(byName(ops, "moe_allreduce")?.count, 4);
  // Shared expert: up, squared ReLU, down; no gate.
  const up = byName(ops, "shared_up_gemm");
  assert.ok(up?.kind === "gemm" && up.n === 512 && up.count === 4);
  assert.equal(byName(ops, "shared_gate_up_gemm"), undefined);
  const experts = byName(ops, "moe_experts");
  assert.ok(experts?.kind === "moe");
  assert.ok(experts.inter === 512 && experts.ungated === true, "the table's shape, with its kind");
  // Priced, an ungated expert costs what a gated one of 2/3 its width does: the same FLOPs and weight bytes.
  const curve = findCurve(curveSource(GPUS.h200_sxm, "vllm"), "moe", "bfloat16")!;
  const gpu = GPUS.h200_sxm;
  const block = { hidden: 1024, inter: 768, topK: 4, experts: 16, tp: 1, ep: 1 };
  for (const tokens of [1, 64, 4096]) {
    const ungated = moeBaseMs(curve, gpu, gpu.bf16Flops, 2, tokens, { ...block, ungated: true });
    const gated = moeBaseMs(curve, gpu, gpu.bf16Flops, 2, tokens, { ...block, inter: 512 });
    assert.ok(Math.abs(ungated - gated) < 1e-12, `${tokens}: ${ungated} vs ${gated}`);
  }
});

Deno.test("LatentMoE: experts run at the latent width between two replicated projections", () => {
  const latent = modelFromHfConfig({ ...NEMOTRON_H_CONFIG, moe_latent_size: 256 }, "lat.json");
  const plain = modelFromHfConfig(NEMOTRON_H_CONFIG, "nh.json");
  assert.equal(latent.arch.moe?.latent, 256);
  const setup = resolvePerfSetup({ aic_model_path: "lat.json" }, { model: latent, modelPath: "lat.json" })!;
  const ops = buildOps(setup).generation;
  const experts = byName(ops, "moe_experts");
  assert.ok(experts?.kind === "moe" && experts.hidden === 256);
  const down = byName(ops, "moe_latent_down_gemm"), up = byName(ops, "moe_latent_up_gemm");
  assert.ok(down?.kind === "gemm" && down.n === 256 && down.k === 1024 && down.count === 4);
  assert.ok(up?.kind === "gemm" && up.n === 1024 && up.k === 256);
  // Experts shrink by the latent ratio; the two projections are added, once per MoE block.
  const experts1 = 16 * 2 * 512;
  const diff = totalParams(plain.arch) - totalParams(latent.arch);
  assert.equal(diff, 4 * (experts1 * (1024 - 256) - 2 * 1024 * 256));
});

Deno.test("catalog: Nemotron-3 Nano, Super and Ultra at their published sizes", () => {
  const nano = MODELS["nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16"];
  const total = (id: string) => totalParams(MODELS[id].arch) / 1e9;
  // NVIDIA's cards: 31.6B total (Nano), about 120B (Super) and 550B (Ultra).
  assert.ok(Math.abs(total("nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16") - 31.6) < 0.1);
  assert.ok(Math.abs(total("nvidia/NVIDIA-Nemotron-3-Super-120B-A12B-FP8") - 120.7) < 1);
  assert.ok(Math.abs(total("nvidia/NVIDIA-Nemotron-3-Ultra-550B-A55B-BF16") - 549) < 5);
  const par = { tp: 1, attnDp: 1, moeTp: 1, moeEp: 1 };
  assert.ok(Math.abs(weightBytesPerGpu(nano, par) / 2 ** 30 - 58.8) < 0.2);
  // 23 layers of a 64 × 64 × 128 float32 state and a 3-wide window over 6,144 conv channels: 49 MB a sequence.
  assert.equal(linearStateBytesPerSeqPerGpu(nano.arch, 1), 23 * (64 * 64 * 128 * 4 + 6144 * 3 * 2));
});

Deno.test("block size: vLLM's attention page for Nemotron-3 Nano holds a Mamba-2 layer's state", () => {
  const setup = resolvePerfSetup({
    aic_model_path: "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16",
    aic_system: "h200_sxm",
    aic_kv_cache_dtype: "bfloat16",
  })!;
  // One layer's state (2.13 MB) over one layer's KV page per token (2 × 2 heads × 128 × 2 B): 2,084 tokens,
  // rounded up to 16.
  assert.equal(hybridBlockSize(setup, 16), 2096);
  // 23 states in pages of 6 layers' KV: 4 blocks a sequence.
  assert.equal(stateBlocksPerSeq(setup, 2096), 4);
});

Deno.test("analytic: a Nemotron-3 Nano pass is priced, decode by the experts' weights, prefill by compute", () => {
  const setup = resolvePerfSetup({
    aic_model_path: "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16",
    aic_system: "h200_sxm",
  })!;
  const model = analyticModel(setup);
  const decode = model.decodeMs(64, 4096, 64 * 4096);
  const prefill = model.prefillMs(1, 8192, 0);
  assert.ok(decode > 3 && decode < 30, `decode ${decode} ms`);
  assert.ok(prefill > 30 && prefill < 400, `prefill ${prefill} ms`);
  // Its decode barely notices the context (6 attention layers of 2 KV heads): 4k against 64k tokens each.
  const long = model.decodeMs(64, 65536, 64 * 65536);
  assert.ok(long < 2 * decode, `${long} vs ${decode}`);
});

Deno.test("end to end: Nemotron-3 Nano replays with every request complete and its state in the pool", async () => {
  const r = await simulate({
    workload: { source: "synthetic", input_tokens: 3000, output_tokens: 40, request_count: 16 },
    replay_concurrency: 8,
    topology: {
      mode: "agg",
      num_workers: 1,
      engine: { aic_model_path: "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", aic_system: "h200_sxm" },
    },
  });
  assert.equal(r.completed_requests, 16);
  assert.equal(r.total_output_tokens, 640);
  const pool = (r.dynolab as { pools: { state_blocks_per_seq: number; block_size: number }[] }).pools[0];
  assert.equal(pool.block_size, 2096);
  assert.equal(pool.state_blocks_per_seq, 4);
});

sharedTest(
  "every Nemotron-H config of the AIC database parses, with its blocks and Mamba-2 shape",
  async () => {
    const files = [...Deno.readDirSync(sharedPath("aic/model_configs"))].map((e) => e.name)
      .filter((n) =>
        /Nemotron-(3|H)/.test(n) && n.endsWith("_config.json") && !n.endsWith("hf_quant_config.json")
      );
    assert.ok(files.length >= 9, files.join());
    for (const file of files) {
      const config = parsePythonJson(
        await Deno.readTextFile(sharedPath(`aic/model_configs/${file}`)),
      ) as Record<
        string,
        unknown
      >;
      const m = modelFromHfConfig(config, file).arch;
      const kinds = typeof config.hybrid_override_pattern === "string"
        ? [...config.hybrid_override_pattern]
        : (config.layers_block_type as string[]).map((k) =>
          ({ mamba: "M", attention: "*", mlp: "-", moe: "E" })[k]
        );
      const count = (c: string) => kinds.filter((k) => k === c).length;
      assert.equal(m.linearAttention?.layers, count("M"), file);
      assert.equal(softmaxAttentionLayers(m), count("*"), file);
      assert.equal(m.ffnLayers, count("-") + count("E"), file);
      assert.equal(m.linearAttention?.vHeads, config.mamba_num_heads, file);
    }
  },
);

sharedTest(
  "Nemotron-3 Nano: the analytic model agrees with AIC's measured Nemotron MoE and GDN grid (H200, vLLM)",
  async () => {
    const setup = resolvePerfSetup({
      aic_model_path: "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16",
      aic_system: "h200_sxm",
    })!;
    // AIC measured this model's expert shape (2688 → 1856, 128 experts, top 6): table mode looks it up as is,
    // the analytic model prices it ungated on the curves fitted to other models.
    await assertNearTables(setup, { tolerance: 0.1, context: 4096, family: "moe" });
  },
);

Deno.test("random Nemotron-H configs: priced finite, and every request of a replay completes or is refused", async () => {
  const rng = new Rng(64);
  const kinds = ["M", "*", "-", "E"];
  let ran = 0;
  for (let trial = 0; trial < 24; trial++) {
    const blocks = 2 + rng.int(14);
    const pattern = Array.from({ length: blocks }, () => kinds[rng.int(4)]);
    pattern[rng.int(blocks)] = "*"; // at least one attention block
    const moe = pattern.includes("E");
    const groups = [1, 2, 4, 8][rng.int(4)];
    const config = {
      ...NEMOTRON_H_CONFIG,
      hybrid_override_pattern: pattern.join(""),
      hidden_size: 256 * (1 + rng.int(8)),
      num_attention_heads: 8 * (1 + rng.int(4)),
      num_key_value_heads: [1, 2, 4, 8][rng.int(4)],
      head_dim: [64, 128][rng.int(2)],
      mamba_num_heads: groups * 4 * (1 + rng.int(4)),
      mamba_head_dim: [32, 64][rng.int(2)],
      n_groups: groups,
      ssm_state_size: [64, 128][rng.int(2)],
      mamba_ssm_cache_dtype: rng.next() < 0.5 ? "float32" : "bfloat16",
      n_routed_experts: moe ? 8 * (1 + rng.int(8)) : 0,
      num_experts_per_tok: 1 + rng.int(4),
      moe_latent_size: moe && rng.next() < 0.3 ? 128 : null,
    };
    const tp = [1, 2, 4][rng.int(3)];
    if (!await checkRandomModel(config, tp, rng, `${pattern.join("")}, tp ${tp}`)) continue;
    ran++;
  }
  assert.ok(ran >= 12, `only ${ran} of 24 configs ran`);
});
