import assert from "node:assert/strict";
import { analyticModel, GPUS, MODEL_IDS, resolvePerfSetup, solModel } from "../../lib/perf/mod.ts";
import type { SetupArgs } from "../../lib/perf/args.ts";

const sol = (args: SetupArgs) => solModel(resolvePerfSetup(args)!);
const near = (a: number, b: number, tol: number) => Math.abs(a / b - 1) <= tol;

Deno.test("SOL: a dense model's decode streams its weights; a long prompt is bound by its FLOPs", () => {
  // Llama-3.1-8B-FP8: 32 layers of QKV (4096 × 6144), O (4096²) and gated FFN (3 × 4096 × 14336), at 1 byte.
  const weights = 32 * (4096 * 6144 + 4096 * 4096 + 3 * 4096 * 14336);
  const s = sol({ aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8", aic_system: "h200_sxm" });
  const decode = s.decode(1, 100).gemm;
  assert.ok(near(decode.memoryMs, weights / GPUS.h200_sxm.memBw * 1e3, 0.01), `${decode.memoryMs}`);
  assert.equal(decode.latencyMs, decode.memoryMs);
  const prefill = s.prefill(1, 8000, 0).gemm;
  assert.ok(
    near(prefill.mathMs, 2 * 8000 * weights / GPUS.h200_sxm.fp8Flops * 1e3, 1e-9),
    `${prefill.mathMs}`,
  );
  assert.equal(prefill.latencyMs, prefill.mathMs);
  // A cached prefix costs attention only: its KV is read, not recomputed.
  const cached = s.prefill(1, 8000, 6000);
  assert.ok(cached.gemm.mathMs < prefill.mathMs / 3);
  assert.ok(cached.attention.memoryMs > s.prefill(1, 2000, 0).attention.memoryMs);
});

Deno.test("SOL: a MoE layer reads the experts its tokens reach", () => {
  // Qwen3-30B-A3B: top 8 of 128 experts. One token reaches 8; 1024 tokens nearly all of them.
  const moe = (b: number) => sol({ aic_model_path: "Qwen/Qwen3-30B-A3B" }).decode(b, 1000).moe.memoryMs;
  const share = moe(1) / moe(1024);
  assert.ok(share > 8 / 128 * 0.9 && share < 8 / 128 * 1.15, `${share}`);
  assert.ok(moe(16) < 0.9 * Math.min(moe(1024), 16 * moe(1)), "16 tokens share some experts");
});

Deno.test("SOL: decoding rows added to a prompt's pass cost their attention and no second read of the weights", () => {
  const s = sol({ aic_model_path: "Qwen/Qwen3-32B-FP8", aic_tp_size: 2 });
  const alone = s.decode(32, 3000);
  const total = Object.values(alone).reduce((a, t) => a + t.latencyMs, 0);
  const mixed = s.mixedDecode(1, 2048, 0, 32, 3000);
  assert.ok(mixed.latencyMs < total - alone.gemm.latencyMs / 2, `${mixed.latencyMs} vs ${total}`);
  assert.ok(mixed.latencyMs >= alone.attention.latencyMs);
  // With no prompt token to share the pass, the rows cost a decode pass, as the models price them.
  assert.ok(Math.abs(s.mixedDecode(1, 2048, 2048, 32, 3000).latencyMs - total) < 1e-9 * total);
  assert.deepEqual(s.prefill(0, 100, 0), {});
  assert.deepEqual(s.decode(0, 100), {});
});

Deno.test("SOL: the analytic model's kernels run no faster than their roofline, within its fitted curves' slack", () => {
  // The tables the curves are fitted to touch fewer experts than uniform routing (AIC's power-law routing) and
  // NVSwitch all-reduces move less than a ring: MoE and collectives may dip a little below.
  const slack: Record<string, number> = { moe: 0.9, comm: 0.9 };
  const shapes = {
    prefill: [[1, 128, 0], [1, 4000, 0], [4, 2000, 1000], [1, 32000, 0]],
    decode: [[1, 100], [64, 4000], [512, 2000]],
  };
  let checked = 0;
  for (const id of MODEL_IDS) {
    for (const gpu of ["h100_sxm", "h200_sxm", "b200_sxm"]) {
      for (const tp of [1, 8]) {
        let setup;
        try {
          setup = resolvePerfSetup({ aic_model_path: id, aic_system: gpu, aic_tp_size: tp });
        } catch {
          continue; // a TP the model's heads do not divide by, a format the GPU lacks
        }
        const m = analyticModel(setup!), s = m.roofline!();
        const check = (
          what: string,
          time: Record<string, number>,
          roof: Record<string, { latencyMs: number }>,
        ) => {
          for (const family in time) {
            const r = time[family] / roof[family].latencyMs;
            assert.ok(
              r >= (slack[family] ?? 0.96),
              `${id} ${gpu} TP ${tp} ${what} ${family}: ${r.toFixed(3)} of SOL`,
            );
            checked++;
          }
        };
        for (const [b, isl, p] of shapes.prefill) {
          check(`prefill ${b}×${isl}`, m.prefillBreakdown!(b, isl, p), s.prefill(b, isl, p));
        }
        for (const [b, c] of shapes.decode) {
          check(`decode ${b}@${c}`, m.decodeBreakdown!(b, c, 0), s.decode(b, c));
        }
      }
    }
  }
  assert.ok(checked > 1000, `${checked}`);
});
