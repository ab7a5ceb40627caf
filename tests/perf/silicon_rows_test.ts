import assert from "node:assert/strict";
import { simulateRow, simulateRows } from "../bench/fidelity_silicon.ts";
import { benchmarkClient } from "../bench/silicon_client.ts";
import {
  deployedLayout,
  PREFILL_LOADS,
  prefillLoad,
  repeatedPoints,
  type SiliconRow,
  siliconRows,
  untrustedMeasurements,
} from "../bench/silicon_rows.ts";

const HEADER =
  "id,silicon_data_source,backend,backend_version,model_path,system,precision,mode,isl,osl,gemm_quant_mode," +
  "moe_quant_mode,batch_size,tp_size,pp_size,attention_dp_size,moe_tp_size,moe_ep_size,silicon_ttft_ms," +
  "silicon_tpot_ms";

Deno.test("silicon rows: aggregated vLLM rows of known GPUs and models, client concurrency from the source", () => {
  const csv = [
    HEADER,
    'a,"src; silicon_concurrency=512",vllm,0.19.0,MiniMaxAI/MiniMax-M2.5,b200_sxm,fp4,agg,1024,1024,fp8,fp8,128,4,1,4,1,16,727.8,31.7',
    "b,x,vllm,0.12.0,nvidia/Llama-3.1-8B-Instruct-FP8,h200_sxm,fp8,agg,4000,1000,fp8,,128,1,1,1,1,1,115.0,21.99",
    "c,x,sglang,0.5.6,nvidia/Llama-3.1-8B-Instruct-FP8,h200_sxm,fp8,agg,4000,1000,fp8,,128,1,1,1,1,1,115.0,21.99",
    "d,x,vllm,0.12.0,nvidia/Llama-3.1-8B-Instruct-FP8,h200_sxm,fp8,disagg,4000,1000,fp8,,128,1,1,1,1,1,115.0,21.99",
    "e,x,vllm,0.12.0,some/unknown-model,h200_sxm,fp8,agg,4000,1000,fp8,,128,1,1,1,1,1,115.0,21.99",
  ].join("\r\n");
  const rows = siliconRows(csv);
  assert.deepEqual(rows.map((r) => r.id), ["a", "b"]);
  assert.equal(rows[0].concurrency, 512);
  assert.equal(rows[0].attnDp, 4);
  assert.equal(rows[0].moeEp, 16);
  assert.equal(rows[1].concurrency, 128);
  assert.equal(rows[1].tpotMs, 21.99);
  assert.equal(rows[0].precision, "fp4");
  // AIC labels vLLM's TP + expert-parallel runs "DP = TP, EP = TP²": replayed as TP 4 with EP 4.
  assert.deepEqual(deployedLayout(rows[0]), { tp: 4, attnDp: 1, moeTp: 1, moeEp: 4 });
  assert.deepEqual(deployedLayout({ ...rows[0], tp: 1, attnDp: 8, moeEp: 8 }), {
    tp: 1,
    attnDp: 8,
    moeTp: 1,
    moeEp: 8,
  });
});

Deno.test("silicon rows: a blank attention-DP column is implied by a MoE group larger than the TP group", () => {
  const gap = (id: string, tp: number, moeTp: number, moeEp: number) =>
    `${id},"gap; silicon_concurrency=8",vllm,0.12.0,Qwen/Qwen3-235B-A22B-FP8,h200_sxm,fp8,agg,1000,100,fp8,fp8,8,` +
    `${tp},1,,${moeTp},${moeEp},356.92,54.93`;
  const rows = siliconRows([
    HEADER,
    gap("dp2", 1, 2, 1),
    gap("tp2dp2", 2, 4, 1),
    gap("tp2", 2, 2, 1),
    gap("ep", 2, 1, 2),
    gap("odd", 2, 3, 1),
  ].join("\n"));
  assert.deepEqual(rows.map((r) => [r.id, r.tp, r.attnDp, r.moeTp, r.moeEp]), [
    ["dp2", 1, 2, 2, 1], // vLLM --data-parallel-size 2: the MoE layers span both ranks
    ["tp2dp2", 2, 2, 4, 1],
    ["tp2", 2, 1, 2, 1],
    ["ep", 2, 1, 1, 2],
    ["odd", 2, 1, 3, 1], // no whole DP degree: left as labelled (the replay reports it)
  ]);
  assert.ok(rows.every((r) => r.concurrency === 8)); // the client's, not batch × DP
});

Deno.test("silicon rows: the benchmark client of each source (InferenceX lengths, exact lengths with ties broken, front end and greedy sampling, async scheduling from vLLM 0.14, CUDA graphs, MoE kernel)", () => {
  const row = (source: string, version: string, model = "", system = "") =>
    ({ source, version, model, system }) as SiliconRow;
  assert.deepEqual(benchmarkClient(row("db-dump/2026-04-27; config_id=733", "0.19.0")), {
    lengthRangeRatio: 0.8,
    datasetEntries: 0,
    outputTokensStddev: 0,
    asyncScheduling: true,
    frontend: true,
    sampling: "greedy",
    cudagraphMode: "FULL_AND_PIECEWISE",
    moeBackend: "auto",
  });
  const llama = "source_file=2026-04-06.csv; model=Llama-3.1-70B";
  assert.deepEqual(benchmarkClient(row(llama, "", "meta-llama/Llama-3.1-70B", "b200_sxm")), {
    lengthRangeRatio: 0.8,
    datasetEntries: 0,
    outputTokensStddev: 0,
    asyncScheduling: true,
    frontend: true,
    sampling: "greedy",
    cudagraphMode: "FULL_DECODE_ONLY", // InferenceX's B200 Llama recipes
    moeBackend: "auto",
  });
  assert.equal(
    benchmarkClient(row(llama, "", "meta-llama/Llama-3.1-70B", "h200_sxm")).cudagraphMode,
    "FULL_AND_PIECEWISE",
  );
  assert.deepEqual(
    benchmarkClient(row("source_file=/data/h100_sxm/vllm/0.12.0/Qwen_Qwen3-32B.csv", "0.12.0")),
    {
      lengthRangeRatio: 1,
      datasetEntries: 0,
      outputTokensStddev: 1, // exact lengths, ties broken
      asyncScheduling: false,
      frontend: false,
      sampling: null,
      cudagraphMode: "FULL_AND_PIECEWISE",
      moeBackend: "auto",
    },
  );
  // InferenceX's MiniMax-M2.5 FP8 B200 recipe forced Triton experts on vLLM 0.17 only.
  const minimax = (version: string, precision = "fp8") =>
    ({
      ...row("source_file=2026-03-25.csv", version, "MiniMaxAI/MiniMax-M2.5", "b200_sxm"),
      precision,
    }) as SiliconRow;
  assert.equal(benchmarkClient(minimax("0.17.0")).moeBackend, "triton");
  assert.equal(benchmarkClient(minimax("0.19.0")).moeBackend, "auto");
  assert.equal(benchmarkClient(minimax("0.17.0", "fp4")).moeBackend, "auto");
  // vLLM 0.11.1–0.14 on Hopper ran block-FP8 experts on DeepGEMM below MoE TP 8.
  const qwen = (version: string, moeTp: number, system = "h200_sxm", moeQuant = "fp8") =>
    ({
      ...row("source_file=/x/qwen3_235b.csv", version, "Qwen/Qwen3-235B-A22B-FP8", system),
      moeTp,
      moeQuant,
    }) as SiliconRow;
  assert.equal(benchmarkClient(qwen("0.12.0", 2)).moeBackend, "deep_gemm");
  assert.equal(benchmarkClient(qwen("0.12.0", 8)).moeBackend, "auto");
  assert.equal(benchmarkClient(qwen("0.16.0", 2)).moeBackend, "auto");
  assert.equal(benchmarkClient(qwen("0.11.0", 2)).moeBackend, "auto");
  assert.equal(benchmarkClient(qwen("0.12.0", 2, "b200_sxm")).moeBackend, "auto");
  assert.equal(benchmarkClient(qwen("0.12.0", 2, "h200_sxm", "nvfp4")).moeBackend, "auto");
  // The Kimi-K2.5 "gap analysis" file holds copies of InferenceX rows: replayed as InferenceX ran them.
  assert.equal(
    benchmarkClient(row("source_file=kimi-k2.5-gap-analysis.csv; silicon_concurrency=4", "0.17.0")).sampling,
    "greedy",
  );
  // A gap analysis that cycled AIPerf's 100-prompt dataset keeps exact lengths.
  const cycled = benchmarkClient(
    row("source_file=/x/h200_sxm/vllm/0.12.0/nvidia_Llama-3.1-8B-Instruct-FP8.csv", "0.12.0"),
  );
  assert.deepEqual([cycled.datasetEntries, cycled.outputTokensStddev], [100, 0]);
  assert.equal(benchmarkClient(row("source_file=2026-03-25.csv", "nightly-5b8c30d6")).asyncScheduling, true);
  assert.equal(benchmarkClient(row("source_file=2026-03-25.csv", "0.11.2")).asyncScheduling, false);
});

Deno.test("silicon rows: prefill load buckets by concurrency × ISL / OSL, lower bounds inclusive", () => {
  const load = (concurrency: number, isl: number, osl: number) =>
    prefillLoad({ concurrency, isl, osl } as SiliconRow);
  assert.deepEqual(
    [
      load(15, 1024, 1024),
      load(16, 1024, 1024),
      load(8, 8192, 1024),
      load(32, 8192, 1024),
      load(128, 8192, 1024),
    ],
    [...PREFILL_LOADS],
  );
  assert.equal(load(512, 1024, 1024), "256–1k");
  assert.equal(load(4, 1024, 8192), "< 16");
});

Deno.test("silicon rows: a run that decoded >15% slower than a higher concurrency of its own sweep is distrusted", () => {
  const point = (id: string, run: string, c: number, tp: number, tpot: number) =>
    `${id},"measured=${run}; silicon_concurrency=${c}",vllm,0.18.0,openai/gpt-oss-120b,h100_sxm,fp4,agg,1024,1024,` +
    `nvfp4,nvfp4,${c},${tp},1,1,${tp},1,100,${tpot}`;
  const rows = siliconRows([
    HEADER,
    point("c16", "2026-03-27", 16, 4, 5.83),
    point("c32", "2026-03-27", 32, 4, 15.92), // slower than c64 of the same run: flagged
    point("c64", "2026-03-27", 64, 4, 9.7),
    point("other-run", "2026-04-20", 8, 4, 12), // another run: not compared with the one above
    point("other-tp", "2026-03-27", 8, 8, 12), // another layout: not compared either
    point("near", "2026-05-01", 8, 4, 6.3), // 10% over the next concurrency: within noise
    point("near16", "2026-05-01", 16, 4, 5.8),
  ].join("\n"));
  const distrusted = untrustedMeasurements(rows);
  assert.deepEqual([...distrusted.keys()].map((r) => r.id), ["c32"]);
  assert.match(distrusted.get(rows[1])!, /TPOT 15\.92 ms.*64 concurrent \(9\.70 ms\)/);
});

Deno.test("silicon rows: repeat measurements of one point group together; copies and other points do not", () => {
  const point = {
    system: "h200_sxm",
    model: "MiniMaxAI/MiniMax-M2.5",
    version: "0.18.0",
    precision: "fp8",
    gemmQuant: "fp8",
    moeQuant: "fp8",
    tp: 8,
    attnDp: 1,
    moeTp: 8,
    moeEp: 1,
    isl: 1024,
    osl: 1024,
    concurrency: 16,
  };
  const a = { ...point, id: "a", source: "db-dump/2026-04-27", ttftMs: 63.5, tpotMs: 10.59 } as SiliconRow;
  const copy = { ...a, id: "b", source: "source_file=2026-04-06.csv" };
  const again = { ...a, id: "c", source: "source_file=2026-03-25.csv", ttftMs: 66.1, tpotMs: 11.05 };
  const otherConcurrency = { ...again, id: "d", concurrency: 32 };
  const otherVersion = { ...again, id: "e", version: "0.16.0" };
  // The same measurements under AIC's "DP = TP, EP = TP²" label are the same deployed layout.
  const relabelled = { ...a, id: "f", tp: 8, attnDp: 8, moeTp: 1, moeEp: 64, ttftMs: 64.0 };
  assert.deepEqual(
    repeatedPoints([a, copy, again, otherConcurrency, otherVersion]).map((p) => p.map((r) => r.id)),
    [["a", "c"]],
  );
  assert.deepEqual(repeatedPoints([a, copy, otherConcurrency]), []);
  const ep = { ...a, tp: 8, attnDp: 1, moeTp: 1, moeEp: 8 };
  assert.deepEqual(repeatedPoints([ep, relabelled]).map((p) => p.map((r) => r.id)), [["a", "f"]]);
});

Deno.test("simulateRows replays rows on workers exactly as simulateRow does, and reports the ones that do not resolve", async () => {
  const csv = [
    HEADER,
    "a,x,vllm,0.12.0,nvidia/Llama-3.1-8B-Instruct-FP8,h200_sxm,fp8,agg,1000,20,fp8,,4,1,1,1,1,1,50,5",
    "b,x,vllm,0.12.0,Qwen/Qwen3-32B,h100_sxm,fp8,agg,500,30,fp8,,3,2,1,1,1,1,50,5",
    // TP 3 does not divide Qwen3-32B's 64 query heads: its layout does not resolve.
    "c,x,vllm,0.12.0,Qwen/Qwen3-32B,h100_sxm,fp8,agg,500,30,fp8,,3,3,1,1,1,1,50,5",
  ].join("\n");
  const rows = siliconRows(csv);
  const parallel = await simulateRows(rows, {}, 2);
  const serial = await simulateRows(rows, {}, 1);
  assert.deepEqual([...parallel.keys()], rows);
  assert.deepEqual([...parallel], [...serial]);
  for (const row of rows.slice(0, 2)) assert.deepEqual(parallel.get(row), await simulateRow(row));
  assert.match((parallel.get(rows[2]) as Error).message, /aic_tp_size: 3 does not divide/);
  await assert.rejects(() => simulateRow(rows[2]), /aic_tp_size: 3 does not divide/);
});
