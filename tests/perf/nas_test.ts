import assert from "node:assert/strict";
import { modelFromHfConfig } from "../../lib/perf/catalog/hf_config.ts";
import { nasFfnWidth } from "../../lib/perf/catalog/hf_nas.ts";
import { decoderLayers, denseFfns, softmaxAttentionLayers } from "../../lib/perf/catalog/arch.ts";
import { kvBytesPerToken, totalParams } from "../../lib/perf/catalog/footprint.ts";
import { MODELS } from "../../lib/perf/catalog/models.ts";
import { buildOps, type Op } from "../../lib/perf/ops.ts";
import { resolvePerfSetup } from "../../lib/perf/setup.ts";
import { analyticModel } from "../../lib/perf/analytic/model.ts";
import { sharedTest } from "../_shared.ts";
import { nonFinite } from "../_fixtures.ts";
import { simulate } from "../../mod.ts";
import { Rng } from "../../lib/common/rng.ts";
import { assertNearTables, checkRandomModel } from "./_model_checks.ts";

const attention = (group: number | null) => ({
  no_op: group === null,
  n_heads_in_group: group,
  replace_with_linear: false,
  window_length: null,
  num_sink_tokens: null,
});
const ffn = (mult: number | null) => ({ no_op: mult === null, ffn_mult: mult, replace_with_linear: false });

/** A small NAS config as Llama-Nemotron writes it: 6 layers, 4 keeping attention, FFNs of 3 widths, 1 dropped. */
const NAS = {
  architectures: ["DeciLMForCausalLM"],
  model_type: "nemotron-nas",
  num_hidden_layers: 6,
  hidden_size: 1536,
  num_attention_heads: 16,
  num_key_value_heads: null,
  intermediate_size: null,
  vocab_size: 32000,
  block_configs: [
    { attention: attention(4), ffn: ffn(5.25) },
    { attention: attention(4), ffn: ffn(5.25) },
    { attention: attention(null), ffn: ffn(1) },
    { attention: attention(4), ffn: ffn(2.625) },
    { attention: attention(null), ffn: ffn(null) },
    { attention: attention(4), ffn: ffn(1) },
  ],
};

const byName = (ops: readonly Op[], name: string) => ops.filter((o) => o.name === name);

Deno.test("config.json: NAS blocks keep or drop attention per layer and size each FFN by its multiplier", () => {
  const m = modelFromHfConfig(NAS, "nas.json").arch;
  assert.equal(m.layers, 4, "layers are the attention layers");
  assert.equal(softmaxAttentionLayers(m), 4);
  assert.equal(m.kvHeads, 4, "16 heads in groups of 4");
  assert.equal(m.ffnLayers, 5);
  assert.equal(decoderLayers(m), 4.5);
  // 2/3 × mult × 1536, rounded up to 256: 5376, 2816 and 1024.
  assert.deepEqual(m.ffnWidths, [{ ffn: 5376, layers: 2 }, { ffn: 2816, layers: 1 }, {
    ffn: 1024,
    layers: 2,
  }]);
  assert.equal(m.ffn, 5376, "the widest");
  assert.deepEqual(denseFfns(m), m.ffnWidths);
  assert.equal(kvBytesPerToken(m, "bfloat16"), 4 * 2 * 4 * 96 * 2);
  // Embedding and LM head, 4 attention layers (q, k, v, o), 5 FFNs of 3 matrices.
  const attn = 1536 * (16 + 2 * 4) * 96 + 1536 * 1536;
  const ffns = 3 * 1536 * (2 * 5376 + 2816 + 2 * 1024);
  assert.equal(totalParams(m), 2 * 32000 * 1536 + 4 * attn + ffns);
});

Deno.test("config.json: the DeciLM FFN width rule", () => {
  // Llama-3.3-Nemotron-Super-49B's multipliers on its 8,192 hidden size.
  const widths = [5.25, 3.28125, 2.625, 1.3125, 1, 0.5].map((m) => nasFfnWidth(m, 8192));
  assert.deepEqual(widths, [28672, 17920, 14336, 7168, 5632, 2816]);
});

Deno.test("config.json: NAS blocks vLLM does not run are refused naming the block and field", () => {
  const withBlock = (i: number, block: unknown) => ({
    ...NAS,
    block_configs: NAS.block_configs.map((b, j) => j === i ? block : b),
  });
  const refused = (config: unknown, pattern: RegExp) =>
    assert.throws(() => modelFromHfConfig(config, "nas.json"), pattern);
  refused(
    withBlock(2, { attention: { ...attention(4), replace_with_linear: true }, ffn: ffn(1) }),
    /nas\.json: block_configs\[2\]\.attention\.replace_with_linear: .*not modelled; valid: false/,
  );
  refused(
    withBlock(1, { attention: attention(4), ffn: { ...ffn(1), replace_with_linear: true } }),
    /block_configs\[1\]\.ffn\.replace_with_linear/,
  );
  refused(
    withBlock(0, { attention: { ...attention(4), window_length: 4096 }, ffn: ffn(1) }),
    /block_configs\[0\]\.attention\.window_length: .*valid: null/,
  );
  refused(
    withBlock(3, { attention: attention(8), ffn: ffn(1) }),
    /block_configs\[3\]\.attention\.n_heads_in_group: is 8 where earlier layers have 4/,
  );
  refused(
    withBlock(0, { attention: attention(3), ffn: ffn(1) }),
    /block_configs\[0\]\.attention\.n_heads_in_group: needs a positive divisor of the 16 heads \(got 3\)/,
  );
  refused(
    withBlock(0, { attention: attention(4), ffn: ffn(0) }),
    /block_configs\[0\]\.ffn\.ffn_mult: needs a positive number \(got 0\)/,
  );
  refused(withBlock(0, { ffn: ffn(1) }), /block_configs: block 0 needs "attention" and "ffn" objects/);
  refused(
    { ...NAS, block_configs: NAS.block_configs.map((b) => ({ ...b, attention: attention(null) })) },
    /block_configs: has no attention layer/,
  );
  refused(
    { ...NAS, num_local_experts: 8, num_experts_per_tok: 2 },
    /block_configs: per-layer block configs with routed experts are not modelled/,
  );
});

Deno.test("op list: one FFN per width, attention only on the layers that keep it", () => {
  const model = modelFromHfConfig(NAS, "nas.json");
  const setup = resolvePerfSetup({ aic_model_path: "nas.json", aic_tp_size: 2 }, {
    model,
    modelPath: "nas.json",
  })!;
  const ops = buildOps(setup).context;
  const gateUp = byName(ops, "gate_up_gemm").map((o) => o.kind === "gemm" && [o.n, o.count]);
  assert.deepEqual(gateUp, [[5376, 2], [2816, 1], [1024, 2]], "2 × width / TP 2, per width");
  const down = byName(ops, "down_gemm").map((o) => o.kind === "gemm" && [o.k, o.count]);
  assert.deepEqual(down, [[2688, 2], [1408, 1], [512, 2]]);
  assert.equal(byName(ops, "qkv_gemm")[0].count, 4);
  assert.equal(byName(ops, "attention")[0].count, 4);
  assert.equal(byName(ops, "add_norm_1")[0].count, 4, "one per attention block");
  assert.equal(byName(ops, "add_norm_2")[0].count, 5, "one per FFN block");
  assert.equal(byName(ops, "attention_allreduce")[0].count, 4);
  assert.equal(byName(ops, "ffn_allreduce")[0].count, 5);
});

Deno.test("catalog: Llama-3.3-Nemotron-Super-49B at its published size, priced between Llama 8B and 70B", () => {
  const nas = MODELS["nvidia/Llama-3_3-Nemotron-Super-49B-v1"];
  // NVIDIA's card: 49.9B parameters; KV on its 49 attention layers.
  assert.ok(Math.abs(totalParams(nas.arch) / 1e9 - 49.87) < 0.01, `${totalParams(nas.arch)}`);
  assert.equal(kvBytesPerToken(nas.arch, "bfloat16"), 49 * 2 * 8 * 128 * 2);
  const perf = (id: string) =>
    analyticModel(resolvePerfSetup({ aic_model_path: id, aic_system: "h200_sxm", aic_tp_size: 2 })!);
  const [small, mid, big] = [
    "meta-llama/Llama-3.1-8B-Instruct",
    "nvidia/Llama-3_3-Nemotron-Super-49B-v1",
    "meta-llama/Llama-3.1-70B-Instruct",
  ].map(perf);
  for (
    const [what, t] of [
      ["prefill 4k", (p: typeof mid) => p.prefillMs(1, 4096, 0)],
      ["decode 64 × 4k", (p: typeof mid) => p.decodeMs(64, 4096, 64 * 4096)],
    ] as const
  ) {
    assert.ok(t(small) < t(mid) && t(mid) < t(big), `${what}: ${t(small)} < ${t(mid)} < ${t(big)}`);
    // Roughly by weight: 49.9B of Llama 70B's 70.6B.
    const ratio = t(mid) / t(big);
    assert.ok(ratio > 0.6 && ratio < 0.8, `${what}: ${ratio}`);
  }
});

sharedTest(
  "Llama-3.3-Nemotron-Super-49B: the analytic model agrees with AIC's tables on H200 (vLLM)",
  async () => {
    const setup = resolvePerfSetup({
      aic_model_path: "nvidia/Llama-3_3-Nemotron-Super-49B-v1",
      aic_system: "h200_sxm",
      aic_tp_size: 2,
    })!;
    await assertNearTables(setup, { tolerance: 0.1, context: 2048 });
  },
);

Deno.test("end to end: Llama-3.3-Nemotron-Super-49B replays on two H100s with every request complete", async () => {
  const r = await simulate({
    workload: { source: "synthetic", input_tokens: 2000, output_tokens: 50, request_count: 12 },
    replay_concurrency: 6,
    topology: {
      mode: "agg",
      num_workers: 1,
      engine: {
        aic_model_path: "nvidia/Llama-3_3-Nemotron-Super-49B-v1",
        aic_system: "h100_sxm",
        aic_tp_size: 2,
      },
    },
  });
  assert.equal(r.completed_requests, 12);
  assert.equal(r.total_output_tokens, 600);
  assert.equal(nonFinite(r), null);
});

Deno.test("random NAS configs: priced finite, and every request of a replay completes or is refused", async () => {
  const rng = new Rng(65);
  const mults = [0.5, 1, 1.3125, 2.625, 5.25];
  for (let trial = 0; trial < 16; trial++) {
    const layers = 1 + rng.int(12);
    const group = [1, 2, 4, 8][rng.int(4)];
    const blocks = Array.from({ length: layers }, () => ({
      attention: attention(rng.next() < 0.6 ? group : null),
      ffn: ffn(rng.next() < 0.9 ? mults[rng.int(mults.length)] : null),
    }));
    blocks[rng.int(layers)].attention = attention(group); // at least one attention layer
    const config = {
      ...NAS,
      hidden_size: 512 * (1 + rng.int(6)),
      num_attention_heads: 8 * (1 + rng.int(4)),
      block_configs: blocks,
    };
    const tp = [1, 2, 4][rng.int(3)];
    const widths = [...new Set(blocks.map((b) => b.ffn.ffn_mult))].join("/");
    assert.ok(await checkRandomModel(config, tp, rng, `trial ${trial}: FFN multipliers ${widths}, tp ${tp}`));
  }
});
