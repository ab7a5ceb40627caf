import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { parseEngineArgs, resolveEngineArgs } from "../../lib/engine/mod.ts";
import { gemmCurve } from "../../lib/perf/aic/curves.ts";
import { readParquetTable } from "../../lib/perf/aic/parquet.ts";
import { locateTable } from "../../lib/perf/aic/systems.ts";
import { loadAicTables } from "../../lib/perf/aic/tables.ts";
import { createPerfModel, loadPerfInputs } from "../../lib/perf/mod.ts";
import type { Table } from "../../lib/perf/aic/table.ts";
import { sharedPath, sharedTest } from "../_shared.ts";
import { tempDir } from "../_temp.ts";

const root = () => sharedPath("aic/systems");
const NONE = { attention: true, mla: false, moe: false, allReduce: false, nccl: false };

async function tableModelFor(raw: Record<string, unknown>, systems = root()) {
  const args = parseEngineArgs({ ...raw, aic_systems_path: systems });
  const inputs = await loadPerfInputs(args);
  const { config } = resolveEngineArgs(args, "aggregated", "engine args", {}, inputs);
  return createPerfModel(args, config, inputs);
}

sharedTest(
  "GEMM: a measured (n, k, m) is returned verbatim; beyond the largest m the efficiency is held",
  async () => {
    const path = `${root()}/data/h200_sxm/gemm/vllm/0.24.0/gemm_perf.parquet`;
    const t = await readParquetTable(path);
    const [m, n, k, lat, dt, ks] = [
      t.num("m")!,
      t.num("n")!,
      t.num("k")!,
      t.num("latency")!,
      t.str("gemm_dtype")!,
      t.str("kernel_source")!,
    ];
    const row = [...Array(t.length).keys()].find((i) =>
      n[i] === 4096 && k[i] === 4096 && m[i] === 4096 && dt[i] === "bfloat16" &&
      ks[i] === "torch.nn.functional.linear"
    )!;
    const sol = (mm: number, nn: number, kk: number) => 2 * mm * nn * kk / 989e12 * 1e3;
    const c = gemmCurve(t, "bfloat16", 4096, 4096, sol);
    assert.equal(c.at(4096), lat[row]);
    // Util-hold: at twice the largest m, the time scales with SOL (≈ 2× the m = 32768 time).
    const ratio = c.at(65536) / c.at(32768);
    assert.ok(ratio > 1.8 && ratio < 2.2, `${ratio}`);
    // An uncollected shape (Llama-3.1-8B gate_up, n = 28672) lies between its neighbours' times.
    const gu = gemmCurve(t, "bfloat16", 28672, 4096, sol).at(1024);
    const lo = gemmCurve(t, "bfloat16", 16384, 4096, sol).at(1024);
    const hi = gemmCurve(t, "bfloat16", 51200, 4096, sol).at(1024);
    assert.ok(gu > lo && gu < hi, `${lo} < ${gu} < ${hi}`);
  },
);

sharedTest("table mode reproduces the §10.1 kernel sums for Llama-3.1-8B on H200 within 10%", async () => {
  const fp8 = await tableModelFor({
    aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8",
    aic_kv_cache_dtype: "bfloat16", // the §10.1 sums read a BF16 KV cache
    framework_overhead: false,
  });
  assert.equal(fp8.name, "aic-tables");
  for (const [b, ctx, ref] of [[1, 1024, 3.78], [8, 4096, 4.97], [64, 1024, 6.15], [128, 4096, 19.82]]) {
    const v = fp8.decodeMs(b, ctx, 0);
    assert.ok(Math.abs(v / ref - 1) < 0.1, `decode b=${b} ctx=${ctx}: ${v} vs ${ref}`);
  }
  for (const [isl, ref] of [[1024, 14.5], [4096, 60.2], [16384, 311.1]]) {
    const v = fp8.prefillMs(1, isl, 0);
    assert.ok(Math.abs(v / ref - 1) < 0.1, `prefill isl=${isl}: ${v} vs ${ref}`);
  }
  // Memoised: the same pass twice gives the same number; a prefix discounts the attention.
  assert.equal(fp8.decodeMs(37, 1234, 0), fp8.decodeMs(37, 1234, 0));
  assert.ok(fp8.prefillMs(1, 8192, 4096) < fp8.prefillMs(1, 8192, 0));
  // The measured kernels run no faster than their roofline (at the tables' own GPU figures).
  const roof = fp8.roofline!();
  const passes = [
    [fp8.decodeBreakdown!(64, 2048, 0), roof.decode(64, 2048)],
    [fp8.prefillBreakdown!(1, 4096, 0), roof.prefill(1, 4096, 0)],
  ] as const;
  for (const [time, sol] of passes) {
    for (const family in time) assert.ok(time[family] >= sol[family].latencyMs, family);
  }
});

sharedTest("reuse.yaml is followed: h100_sxm vllm 0.22.0 reads 0.24.0's GEMM table", async () => {
  const loc = await locateTable(root(), "h100_sxm", "gemm", "vllm", "0.22.0", "gemm_perf");
  assert.equal(loc?.version, "0.24.0");
  const t = await loadAicTables(root(), "h100_sxm", "vllm", "0.22.0", NONE);
  assert.equal(t.version, "0.22.0");
  assert.match(t.gemm.source, /0\.24\.0\/gemm_perf/);
});

sharedTest(
  "table mode: newest version by default; TP and MoE tables loaded when the model needs them",
  async () => {
    const t = await loadAicTables(root(), "h200_sxm", "vllm", undefined, {
      ...NONE,
      moe: true,
      allReduce: true,
    });
    assert.equal(t.version, "0.24.0");
    assert.ok(t.moe && t.allReduce && t.contextAttention);
    const moe = await tableModelFor({ aic_model_path: "Qwen/Qwen3-30B-A3B-FP8", aic_tp_size: 2 });
    const v = moe.decodeMs(32, 2000, 0);
    assert.ok(v > 1 && v < 50, `${v}`);
  },
);

sharedTest("a systems path without the needed tables is one error naming what is there", async () => {
  const fails = async (fn: () => Promise<unknown>, ...patterns: RegExp[]) => {
    await assert.rejects(fn, (e: unknown) => {
      assert.ok(e instanceof InputError, String(e));
      for (const p of patterns) assert.match(e.message, p);
      return true;
    });
  };
  const notSystems = new URL(".", import.meta.url).pathname; // a folder without data/<system>/
  await fails(
    () => loadAicTables(notSystems, "h200_sxm", "vllm", undefined, NONE),
    /not an AIC systems directory/,
  );
  await fails(
    () => loadAicTables(root(), "a100_sxm", "vllm", undefined, NONE),
    /no tables for system "a100_sxm"/,
    /h200_sxm/,
  );
  await fails(
    () => loadAicTables(root(), "h200_sxm", "vllm", "0.9.0", NONE),
    /no vllm 0\.9\.0 tables/,
    /0\.24\.0/,
  );
  await fails(
    () => loadAicTables(root(), "h200_sxm", "tensorrt", undefined, NONE),
    /no tensorrt tables/,
    /trtllm/,
  );
  await fails(
    () =>
      tableModelFor({
        aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8",
        aic_backend_version: "0.14.0",
        aic_tp_size: 2,
        aic_system: "h100_sxm",
        aic_backend: "sglang",
      }),
    /sglang/,
  );
  // A table the newest version lacks: the error offers the way out, and blames the path (no version was given).
  await fails(
    () =>
      tableModelFor({
        aic_model_path: "MiniMaxAI/MiniMax-M2.5",
        aic_system: "b200_sxm",
        aic_backend: "sglang",
        aic_tp_size: 4,
      }),
    /aic_systems_path: b200_sxm\/sglang 0\.5\.14 has no moe\/moe_perf table .*use the analytic model/,
  );
});

sharedTest(
  "table mode: a prefix chunk shorter than the sliding window costs the causal share (gpt-oss)",
  async () => {
    const m = await tableModelFor({ aic_model_path: "openai/gpt-oss-120b", aic_system: "h200_sxm" });
    // Prompts of `isl` tokens, `cached` of them hit the prefix cache.
    const attention = (isl: number, cached: number) => m.prefillBreakdown!(1, isl, cached).attention;
    // 64 new tokens after 32 cached: 96 ≤ the 128-token window, so every layer does (96² − 32²) / 96² of the work.
    const share = attention(96, 32) / attention(96, 0);
    assert.ok(Math.abs(share - (96 * 96 - 32 * 32) / (96 * 96)) < 1e-9, `${share}`);
    // Past the window, the windowed layers' share is s / full: less than the causal share of the full layers.
    const long = attention(4096, 3072) / attention(4096, 0);
    assert.ok(long > 1024 / 4096 && long < (4096 ** 2 - 3072 ** 2) / 4096 ** 2, `${long}`);
  },
);

sharedTest(
  "moe_backend in table mode: triton reads the Triton rows or names why there are none; deep_gemm is refused",
  async () => {
    const minimax = { aic_model_path: "MiniMaxAI/MiniMax-M2.5", aic_system: "b200_sxm", aic_tp_size: 2 };
    // B200's 0.22 table times block-FP8 experts on Triton only: the same rows either way.
    const v22 = { ...minimax, aic_backend_version: "0.22.0" };
    const auto = await tableModelFor(v22);
    const triton = await tableModelFor({ ...v22, moe_backend: "triton" });
    assert.equal(triton.decodeMs(32, 2048, 32 * 2048), auto.decodeMs(32, 2048, 32 * 2048));
    // 0.24's times FlashInfer's TensorRT-LLM experts only.
    await assert.rejects(
      async () => (await tableModelFor({ ...minimax, moe_backend: "triton" })).decodeMs(32, 2048, 32 * 2048),
      /no MoE measured on vLLM's Triton kernel for fp8_block .*aic_backend_version/,
    );
    // No table times DeepGEMM's experts: refused up front, naming the way out.
    const qwen = { aic_model_path: "Qwen/Qwen3-235B-A22B-FP8", aic_system: "h200_sxm", aic_tp_size: 2 };
    await assert.rejects(
      () => tableModelFor({ ...qwen, moe_backend: "deep_gemm" }),
      /no AIC table times vLLM's DeepGEMM MoE kernel; use the analytic model/,
    );
  },
);

sharedTest(
  "table mode prices gpt-oss's MXFP4 experts on B200 from AIC's w4a16_mxfp4 rows, as AIC does",
  async () => {
    const oss = { aic_model_path: "openai/gpt-oss-120b", aic_system: "b200_sxm" };
    const auto = await tableModelFor(oss);
    const named = await tableModelFor({ ...oss, aic_moe_dtype: "w4a16_mxfp4" });
    assert.equal(auto.decodeMs(32, 2048, 32 * 2048), named.decodeMs(32, 2048, 32 * 2048));
  },
);

/** The latency of the one row of `table` whose columns hold `where`'s values. */
function rowLatency(table: Table, where: Record<string, number | string>): number {
  const cols = Object.entries(where).map(([c, v]) => [table.num(c) ?? table.str(c)!, v] as const);
  const rows = [...Array(table.length).keys()].filter((i) => cols.every(([c, v]) => c[i] === v));
  assert.equal(rows.length, 1, JSON.stringify(where));
  return table.num("latency")![rows[0]];
}

sharedTest(
  "table mode merges the kernels one slice is split into: MLA prefill past 512 tokens, block-FP8 GEMMs below m = 32",
  async () => {
    // H200 vLLM, BF16 KV: FLASH_ATTN_MLA timed prompts of 1–512 tokens, FLASH_ATTN those of 1,024–32,768.
    const ds = await tableModelFor({
      aic_model_path: "deepseek-ai/DeepSeek-V3",
      aic_system: "h200_sxm",
      aic_tp_size: 8,
      aic_kv_cache_dtype: "bfloat16",
    });
    const mla = (await loadAicTables(root(), "h200_sxm", "vllm", undefined, { ...NONE, mla: true }))
      .mlaContext!;
    const at = (isl: number, kernel: string) =>
      rowLatency(mla, {
        kv_cache_dtype: "bfloat16",
        gemm_type: "fp8_block",
        num_heads: 16,
        batch_size: 1,
        isl,
        kernel_source: kernel,
      });
    for (const [isl, kernel] of [[8192, "FLASH_ATTN"], [512, "FLASH_ATTN_MLA"]] as const) {
      const attention = ds.prefillBreakdown!(1, isl, 0).attention;
      assert.ok(Math.abs(attention / (61 * at(isl, kernel)) - 1) < 1e-9, `${isl}: ${attention}`);
    }
    // vLLM 0.24's block-FP8 GEMMs on Hopper: FlashInfer's below m = 32, DeepGEMM's from there.
    const gemm = (await loadAicTables(root(), "h200_sxm", "vllm", undefined, NONE)).gemm;
    const sol = (m: number, n: number, k: number) => 2 * m * n * k / 1979e12 * 1e3;
    const curve = gemmCurve(gemm, "fp8_block", 65536, 16384, sol);
    for (
      const [m, kernel] of [[8, "FlashInferFp8BlockScaledMMKernel"], [
        32,
        "DeepGemmFp8BlockScaledMMKernel",
      ]] as const
    ) {
      const row = { gemm_dtype: "fp8_block", n: 65536, k: 16384, m, kernel_source: kernel };
      assert.equal(curve.at(m), rowLatency(gemm, row));
    }
  },
);

sharedTest(
  "table mode: a system the GPU catalog lacks runs on its tables and system file; an unknown one lists both",
  async () => {
    await using dir = await tempDir();
    await Deno.mkdir(`${dir.path}/data`);
    await Deno.symlink(`${root()}/data/h200_sxm`, `${dir.path}/data/h200_custom`);
    const yaml = await Deno.readTextFile(`${root()}/h200_sxm.yaml`);
    await Deno.writeTextFile(`${dir.path}/h200_custom.yaml`, yaml);
    const llama = { aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8" };
    const custom = await tableModelFor({ ...llama, aic_system: "h200_custom" }, dir.path);
    const h200 = await tableModelFor({ ...llama, aic_system: "h200_sxm" });
    assert.equal(custom.name, "aic-tables");
    assert.equal(custom.decodeMs(32, 2048, 0), h200.decodeMs(32, 2048, 0));
    await assert.rejects(
      () => tableModelFor({ ...llama, aic_system: "h300_sxm" }, dir.path),
      /engine args\.aic_system: unknown GPU "h300_sxm".*; valid: a100_sxm, .*, l40s, h200_custom \(/,
    );
    await Deno.writeTextFile(`${dir.path}/h200_custom.yaml`, yaml.replace(/^ {2}mem_bw:.*$/m, ""));
    await assert.rejects(
      () => tableModelFor({ ...llama, aic_system: "h200_custom" }, dir.path),
      /h200_custom\.yaml: gpu\.mem_bw: needs a positive number \(got nothing\)/,
    );
  },
);

sharedTest(
  "table mode reads context attention in the FMHA format asked for, from BF16 rows with a warning where none",
  async () => {
    // TRT-LLM on H200 times Llama-3.1-8B's attention layer (32 heads, 8 KV heads of 128) with FP8 and BF16 math.
    const llama = { aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8", aic_backend: "trtllm" };
    const attention = async (raw: Record<string, unknown>) => {
      const args = parseEngineArgs({ ...llama, ...raw, aic_systems_path: root() });
      const inputs = await loadPerfInputs(args);
      const { config, warnings } = resolveEngineArgs(args, "aggregated", "engine args", {}, inputs);
      const perf = createPerfModel(args, config, inputs);
      return { ms: perf.prefillBreakdown!(1, 8192, 0).attention / 32, warnings }; // the run's, as reported
    };
    const t = (await loadAicTables(root(), "h200_sxm", "trtllm", undefined, NONE)).contextAttention!;
    const row = (attn: string, kv: string) =>
      rowLatency(t, {
        attn_dtype: attn,
        kv_cache_dtype: kv,
        num_heads: 32,
        num_key_value_heads: 8,
        head_dim: 128,
        window_size: 0,
        batch_size: 1,
        isl: 8192,
      });
    assert.deepEqual(await attention({ aic_fmha_dtype: "fp8" }), { ms: row("fp8", "fp8"), warnings: [] });
    assert.deepEqual(await attention({}), { ms: row("bfloat16", "fp8"), warnings: [] });
    // No table times FP8 math over a BF16 KV cache.
    const bf16Kv = await attention({ aic_fmha_dtype: "fp8", aic_kv_cache_dtype: "bfloat16" });
    assert.equal(bf16Kv.ms, row("bfloat16", "bfloat16"));
    assert.equal(bf16Kv.warnings?.length, 1);
    assert.match(
      bf16Kv.warnings![0],
      /^engine args\.aic_fmha_dtype fp8: h200_sxm\/trtllm 1\.3\.0rc20 times no fp8 context attention over a bfloat16 KV cache for 8 KV heads of dimension 128; priced from its bfloat16 rows/,
    );
  },
);

sharedTest("table mode memoises passes under exact keys: no two shapes share one", async () => {
  const llama = { aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8" };
  const [a, b] = [await tableModelFor(llama), await tableModelFor(llama)];
  // (4096·2^21 + 2000)·2^21 and the key of (4096, 2003, 3) are beyond 2^53 and round to one double.
  a.prefillMs(4096, 2000, 0);
  assert.equal(a.prefillMs(4096, 2003, 3), b.prefillMs(4096, 2003, 3));
  // 1·2^22 + 4,194,405 = 2·2^22 + 101: a 4M-token context and a batch of 2 at 100 tokens.
  const long = a.decodeMs(1, 4194404, 0);
  assert.equal(a.decodeMs(2, 100, 0), b.decodeMs(2, 100, 0));
  assert.equal(long, b.decodeMs(1, 4194404, 0));
});
