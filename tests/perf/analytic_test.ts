import assert from "node:assert/strict";
import { analyticModel } from "../../lib/perf/analytic/model.ts";
import { curveSource } from "../../lib/perf/analytic/lookup.ts";
import { GPUS } from "../../lib/perf/catalog/gpus.ts";
import { buildOps } from "../../lib/perf/ops.ts";
import type { SetupArgs } from "../../lib/perf/args.ts";
import { resolvePerfSetup } from "../../lib/perf/setup.ts";

const model = (args: SetupArgs, overhead = false) =>
  analyticModel(resolvePerfSetup(args)!, { frameworkOverhead: overhead });
// FP8 GEMMs with a BF16 KV cache, as the kernel sums of perf-model.md §10.1 (FA3 BF16).
const FP8 = {
  aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8",
  aic_system: "h200_sxm",
  aic_kv_cache_dtype: "bfloat16",
};
const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
const close = (a: number, b: number, tol = 1e-9) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

Deno.test("op list: Llama-3.1-8B TP 2 shards projections and FFN and adds two all-reduces per layer", () => {
  const ops = buildOps(resolvePerfSetup({ ...FP8, aic_tp_size: 2 })!);
  const get = (name: string) => ops.context.find((o) => o.name === name)!;
  assert.deepEqual(
    [get("qkv_gemm"), get("gate_up_gemm"), get("down_gemm"), get("logits_gemm")].map((o) =>
      o.kind === "gemm" ? [o.n, o.k] : []
    ),
    [[3072, 4096], [14336, 4096], [4096, 7168], [64128, 4096]],
  );
  assert.equal(ops.context.filter((o) => o.kind === "comm").reduce((a, o) => a + o.count, 0), 65);
});

Deno.test("op list: MoE with attention DP gathers the tokens of all ranks around the experts", () => {
  const s = resolvePerfSetup({
    aic_model_path: "deepseek-ai/DeepSeek-R1",
    aic_attention_dp_size: 8,
    aic_moe_ep_size: 8,
  })!;
  const ops = buildOps(s).generation;
  const moe = ops.find((o) => o.kind === "moe")!;
  assert.ok(moe.kind === "moe" && moe.tokenScale === 8 && moe.ep === 8 && moe.count === 58);
  assert.ok(ops.some((o) => o.name === "moe_dispatch") && ops.some((o) => o.name === "mla_attention"));
});

Deno.test("MTP scales the generation ops by (L + nextn)/L: one verification round per pass", () => {
  const base = model(FP8);
  const mtp = model({ ...FP8, aic_nextn: 2 });
  const ratio = mtp.decodeMs(64, 2000, 0) / base.decodeMs(64, 2000, 0);
  assert.ok(close(ratio, 34 / 32, 1e-9), `${ratio}`);
  assert.equal(mtp.prefillMs(1, 2000, 0), base.prefillMs(1, 2000, 0));
});

Deno.test("decode and prefill are close to the AIC kernel sums of perf-model.md §10.1 (H200 FP8)", () => {
  const m = model(FP8);
  for (const [b, ctx, ref] of [[1, 1024, 3.78], [32, 4096, 8.18], [128, 4096, 19.82], [256, 1024, 14.24]]) {
    const v = m.decodeMs(b, ctx, 0);
    assert.ok(Math.abs(v / ref - 1) < 0.15, `decode b=${b} ctx=${ctx}: ${v} vs ${ref}`);
  }
  for (const [isl, ref] of [[1024, 14.5], [4096, 60.2], [16384, 311.1]]) {
    const v = m.prefillMs(1, isl, 0);
    assert.ok(Math.abs(v / ref - 1) < 0.15, `prefill isl=${isl}: ${v} vs ${ref}`);
  }
});

Deno.test("times grow with batch and context; a cached prefix makes prefill cheaper", () => {
  const m = model(FP8);
  assert.ok(m.decodeMs(64, 4000, 0) > m.decodeMs(64, 1000, 0));
  assert.ok(m.decodeMs(128, 2000, 0) > m.decodeMs(16, 2000, 0));
  assert.ok(m.prefillMs(1, 4000, 3000) < m.prefillMs(1, 4000, 0) / 2);
  assert.ok(m.prefillMs(1, 4000, 3000) > m.prefillMs(1, 1000, 0));
  assert.equal(m.prefillMs(4, 1000, 1000), 0);
  assert.equal(m.decodeMs(0, 1000, 0), 0);
});

Deno.test("breakdowns add up to the totals and name the op families", () => {
  const m = model({ ...FP8, aic_tp_size: 2 });
  const pb = m.prefillBreakdown!(2, 3000, 1000);
  assert.ok(close(sum(pb), m.prefillMs(2, 3000, 1000)));
  assert.deepEqual(Object.keys(pb).sort(), ["attention", "comm", "elementwise", "gemm", "logits"]);
  const db = m.decodeBreakdown!(64, 3000, 0);
  assert.ok(close(sum(db), m.decodeMs(64, 3000, 0)));
  // Long-context decode is dominated by KV reads (perf-model.md §10.1).
  assert.ok(model(FP8).decodeBreakdown!(128, 4096, 0).attention > 0.6 * model(FP8).decodeMs(128, 4096, 0));
});

Deno.test("attention DP: a pass is one rank's batch; the MoE gathers every rank's tokens around it", () => {
  const dp = model({ aic_model_path: "Qwen/Qwen3-30B-A3B", aic_attention_dp_size: 4, aic_moe_ep_size: 4 });
  const single = model({ aic_model_path: "Qwen/Qwen3-30B-A3B" });
  // Attention runs on the rank's own 16 sequences, as on one GPU without DP ...
  assert.equal(dp.decodeBreakdown!(16, 2000, 0).attention, single.decodeBreakdown!(16, 2000, 0).attention);
  // ... while the MoE's dispatch and combine move the four ranks' tokens.
  assert.ok(
    dp.decodeBreakdown!(16, 2000, 0).comm > 0 && single.decodeBreakdown!(16, 2000, 0).comm === undefined,
  );
});

Deno.test("framework overhead: once per pass, ~1–1.5 ms for an 8B model on vLLM (perf-model.md §12)", () => {
  const m = model(FP8, true);
  assert.equal(m.passOverheadMs!(0, 0), 0);
  const o = m.passOverheadMs!(1, 8);
  assert.ok(o > 1 && o < 1.6, `${o}`);
  assert.ok(m.passOverheadMs!(0, 128) > m.passOverheadMs!(0, 8));
  assert.equal(model(FP8, false).passOverheadMs!(1, 8), 0);
  // The overhead is not inside the pass parts.
  assert.equal(m.decodeMs(8, 1000, 0), model(FP8).decodeMs(8, 1000, 0));
});

Deno.test("GPUs without tables borrow their generation's curves; faster GPUs are faster", () => {
  assert.equal(curveSource(GPUS.gb200, "vllm").system, "b200_sxm");
  assert.equal(curveSource(GPUS.b300_sxm, "vllm").system, "b200_sxm");
  assert.equal(curveSource(GPUS.a100_sxm, "vllm").system, "h100_sxm");
  const bf16 = { aic_model_path: "meta-llama/Llama-3.1-8B-Instruct" };
  const t = (system: string) => model({ ...bf16, aic_system: system }).decodeMs(32, 2000, 0);
  assert.ok(t("l40s") > t("a100_sxm") && t("a100_sxm") > t("h100_sxm") && t("h100_sxm") > t("h200_sxm"));
  assert.ok(t("h200_sxm") > t("b200_sxm"));
  // Borrowed collective curves run at the GPU's own link: L40S's PCIe (32 GB/s) against H100's NVLink (450),
  // A100's NVLink (300). A long prompt's all-reduces at TP 2 are bound by it.
  const comm = (system: string) =>
    model({ ...bf16, aic_system: system, aic_tp_size: 2 }).prefillBreakdown!(1, 8000, 0).comm;
  assert.ok(comm("l40s") > 10 * comm("h100_sxm"), `${comm("l40s")} vs ${comm("h100_sxm")}`);
  assert.ok(comm("a100_sxm") > 1.4 * comm("h100_sxm"), `${comm("a100_sxm")} vs ${comm("h100_sxm")}`);
  // B300 has B200's FP8 and bandwidth but 1.56x its FP4 peak: an NVFP4 prefill is faster, an FP8 one is not.
  const prefill = (id: string, system: string) =>
    model({ aic_model_path: id, aic_system: system }).prefillMs(1, 8000, 0);
  const [fp4, fp8] = ["nvidia/Llama-3.1-8B-Instruct-FP4", "nvidia/Llama-3.1-8B-Instruct-FP8"];
  assert.ok(prefill(fp4, "b300_sxm") < 0.9 * prefill(fp4, "b200_sxm"));
  assert.equal(prefill(fp8, "b300_sxm"), prefill(fp8, "b200_sxm"));
  // Every catalog model builds and prices on B200 (all formats there).
  for (
    const id of [
      "deepseek-ai/DeepSeek-R1",
      "openai/gpt-oss-120b",
      "moonshotai/Kimi-K2.5",
      "nvidia/Qwen3-235B-A22B-NVFP4",
    ]
  ) {
    const m = model({ aic_model_path: id, aic_system: "b200_sxm", aic_tp_size: 8, aic_moe_ep_size: 8 });
    const v = m.decodeMs(64, 2000, 0);
    assert.ok(Number.isFinite(v) && v > 1 && v < 200, `${id}: ${v}`);
  }
});

Deno.test("kernel ceilings cut AIC's launch-bound table floors: MiniMax-M2.5 decode on B200", () => {
  // B200 vLLM 0.24 block-FP8 GEMMs hold a 0.16 ms floor per call; under CUDA graphs a TP 4 decode step at
  // batch 4 streams ~8 GB (attention projections, 32 experts' quarters per layer): a few ms, not ~27.
  const m = analyticModel(
    resolvePerfSetup({ aic_model_path: "MiniMaxAI/MiniMax-M2.5", aic_system: "b200_sxm", aic_tp_size: 4 })!,
  );
  const ms = m.decodeMs(4, 1500, 6000);
  assert.ok(ms > 2 && ms < 12, `${ms}`);
  const gemm = m.decodeBreakdown!(4, 1500, 6000).gemm;
  assert.ok(gemm < 3, `${gemm}`);
});

Deno.test("INT4 (Marlin) experts on Blackwell run at the mma.sync rate: an 8k prefill's MoE is not 2× H200's speed", () => {
  // Marlin is built on mma.sync, which B200 runs at Hopper's per-SM rate; AIC's tables time its experts on B200 at
  // 0.96× H200's. The cut at the full tcgen05 peak priced them at 0.54× (80 ms against 146 ms for 60 layers).
  const kimi = (system: string) =>
    model({ aic_model_path: "moonshotai/Kimi-K2.5", aic_system: system, aic_tp_size: 8 })
      .prefillBreakdown!(1, 8192, 0).moe;
  const ratio = kimi("b200_sxm") / kimi("h200_sxm");
  assert.ok(ratio > 0.75 && ratio < 1.05, `${ratio}`);
});

Deno.test("overhead: decode-only passes (a full CUDA graph) cost less per layer; q/k norm and vocabulary add", () => {
  const llama = model({ aic_model_path: "meta-llama/Llama-3.1-8B-Instruct" }, true);
  const qwen = model({ aic_model_path: "Qwen/Qwen3-8B" }, true);
  // Same 36 vs 32 layers aside, Qwen3's q/k norm costs 20 µs per layer in every pass.
  // One sequence, prefilling or decoding.
  const perLayer = (m: ReturnType<typeof model>, prefill: number) => m.passOverheadMs!(prefill, 1 - prefill);
  assert.ok(perLayer(llama, 0) < perLayer(llama, 1));
  assert.ok(close(perLayer(llama, 1) - perLayer(llama, 0), 32 * 0.02, 1e-6)); // 32 − 12 µs over 32 layers
  assert.ok(perLayer(qwen, 0) > perLayer(llama, 0) + 36 * 0.02 * 0.9);
  // Llama's generation config sets top-p: sorted sampling, ~100 logit-sized passes per sequence, on top of the
  // 4 µs step cost and, without async scheduling, 20 µs of the scheduler's CPU work.
  const perSeq = (m: ReturnType<typeof model>) => (m.passOverheadMs!(0, 65) - m.passOverheadMs!(0, 1)) / 64;
  const sorter = 100 * 128256 * 4 / 4.8e12 * 1e3;
  assert.ok(close(perSeq(llama), 0.004 + 0.02 + sorter, 1e-6), `${perSeq(llama)}`);
  const llamaArgs = { aic_model_path: "meta-llama/Llama-3.1-8B-Instruct" };
  const asyncLlama = analyticModel(resolvePerfSetup(llamaArgs)!, { asyncScheduling: true });
  assert.ok(close(perSeq(asyncLlama), 0.004 + sorter, 1e-6), `${perSeq(asyncLlama)}`);
  // Greedy requests (temperature 0) skip the sort: only the per-sequence step cost is left.
  const greedy = analyticModel(resolvePerfSetup(llamaArgs)!, { sampling: "greedy", asyncScheduling: true });
  assert.ok(close(perSeq(greedy), 0.004, 1e-6), `${perSeq(greedy)}`);
  assert.ok(close(greedy.passOverheadMs!(0, 1), asyncLlama.passOverheadMs!(0, 1) - sorter));
});

Deno.test("mixed pass: decodes sharing a pass with a prefill add their attention, not a second weight read", () => {
  const m = model(FP8);
  const alone = m.decodeMs(64, 2000, 0);
  const attention = m.decodeBreakdown!(64, 2000, 0).attention;
  // Next to a 4k-token prefill the GEMMs are compute-bound: 64 more rows cost a small share of the weight read.
  const mixed = m.mixedDecodeMs!(1, 4096, 0, 64, 2000);
  assert.ok(mixed > attention && mixed < attention + 0.5 * (alone - attention), `${mixed} vs ${alone}`);
  // Next to a one-token prefill the decode keeps its whole cost, never more.
  assert.equal(m.mixedDecodeMs!(1, 1, 0, 64, 2000), alone);
  assert.equal(m.mixedDecodeMs!(1, 4096, 0, 0, 2000), 0);
});

Deno.test("moe_backend deep_gemm: every local expert read and 128 rows each multiplied, whatever the batch", () => {
  const qwen = {
    aic_model_path: "Qwen/Qwen3-235B-A22B-FP8",
    aic_system: "h200_sxm",
    moe_backend: "deep_gemm",
  };
  const moe = (args: SetupArgs, b: number) => model(args).decodeBreakdown!(b, 2048, b * 2048).moe;
  const tp2 = { ...qwen, aic_tp_size: 2 };
  // Flat in the batch (the contiguous layout's padding dominates), unlike the fitted curve.
  assert.ok(moe(tp2, 32) / moe(tp2, 4) < 1.05, `${moe(tp2, 32) / moe(tp2, 4)}`);
  const auto = { ...tp2, moe_backend: "auto" };
  assert.ok(moe(auto, 32) / moe(auto, 4) > 1.5);
  // Above the fitted curve at decode sizes, and halved with twice the GPUs (the work splits over them).
  assert.ok(moe(tp2, 4) > 2 * moe(auto, 4));
  const ratio = moe(tp2, 8) / moe({ ...qwen, aic_tp_size: 4 }, 8);
  assert.ok(ratio > 1.7 && ratio < 2.1, `${ratio}`);
  // Expert parallelism splits the same work by experts: about the same time per GPU.
  const ep = moe({ ...qwen, aic_tp_size: 2, aic_moe_tp_size: 1, aic_moe_ep_size: 2 }, 8);
  assert.ok(Math.abs(ep / moe(tp2, 8) - 1) < 0.1, `${ep} vs ${moe(tp2, 8)}`);
  // Only block-FP8 experts on Hopper, and only for vLLM.
  assert.throws(() => model({ ...tp2, aic_system: "b200_sxm" }), /Hopper GPUs; aic_system is b200_sxm/);
  assert.throws(() => model({ ...tp2, aic_model_path: "Qwen/Qwen3-235B-A22B" }), /block-FP8 .* bfloat16/);
  assert.throws(() => model({ ...tp2, aic_backend: "sglang" }), /DeepGEMM MoE kernel; aic_backend is sglang/);
});

Deno.test("moe_backend triton prices vLLM's Triton experts where the fitted curve is another kernel's", () => {
  const minimax = { aic_model_path: "MiniMaxAI/MiniMax-M2.5", aic_system: "b200_sxm", aic_tp_size: 2 };
  const moe = (args: SetupArgs) => model(args).decodeBreakdown!(32, 2048, 32 * 2048).moe;
  // B200 block FP8: FlashInfer's TensorRT-LLM experts by default, Triton's about 1.2× slower at decode sizes.
  const ratio = moe({ ...minimax, moe_backend: "triton" }) / moe(minimax);
  assert.ok(ratio > 1.1 && ratio < 1.6, `${ratio}`);
  // Marlin INT4 experts have no Triton curve: the fitted kernel prices them either way.
  const kimi = { aic_model_path: "moonshotai/Kimi-K2.5", aic_system: "b200_sxm", aic_tp_size: 8 };
  assert.equal(moe({ ...kimi, moe_backend: "triton" }), moe(kimi));
});

Deno.test("FP8 attention math is priced as BF16 math, as AIC measures it on one kernel (not at the FP8 peak)", () => {
  const llama = { aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8", aic_backend: "trtllm" };
  const [bf16, fp8] = [model(llama), model({ ...llama, aic_fmha_dtype: "fp8" })];
  assert.equal(fp8.prefillBreakdown!(1, 8192, 0).attention, bf16.prefillBreakdown!(1, 8192, 0).attention);
  assert.equal(fp8.decodeBreakdown!(64, 4096, 0).attention, bf16.decodeBreakdown!(64, 4096, 0).attention);
});
