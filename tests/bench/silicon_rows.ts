/**
 * The rows of a silicon corpus (AI Configurator's `silicon_sample.csv`: measured mean TTFT and TPOT per model,
 * GPU, parallelism, ISL/OSL and client concurrency) as `fidelity_silicon.ts` replays them: which rows dynolab can
 * replay, the layout each ran with, which measurements cannot be trusted and how repeatable the rest are.
 *
 * @module
 */
import { parseCsv } from "./csv.ts";
import { GPUS, MODELS } from "../../lib/perf/mod.ts";
import type { Parallelism } from "../../lib/perf/catalog/arch.ts";

/** One measured aggregated point. */
export interface SiliconRow {
  readonly id: string;
  readonly version: string;
  /** The row's `silicon_data_source` (which pipeline measured it, and when). */
  readonly source: string;
  readonly model: string;
  readonly system: string;
  readonly isl: number;
  readonly osl: number;
  /** Client concurrency (the `silicon_concurrency` of the source, else `batch_size × attention_dp_size`). */
  readonly concurrency: number;
  readonly tp: number;
  /** `attention_dp_size`, or where the CSV leaves it blank the degree the MoE group implies (`siliconRows`). */
  readonly attnDp: number;
  readonly moeTp: number;
  readonly moeEp: number;
  /** The run's precision (`bf16`, `fp8`, `fp4`), empty when unset. */
  readonly precision: string;
  /** The row's GEMM and MoE quantization (AIC names: `fp8`, `fp8_block`, `nvfp4`, …), empty when unset. */
  readonly gemmQuant: string;
  readonly moeQuant: string;
  readonly ttftMs: number;
  readonly tpotMs: number;
}

/**
 * A row of one of AIC's vLLM 0.12 gap analyses (`<system>/vllm/0.12.0/<file>.csv`, the source that selects its
 * benchmark client) at one measured point, with a plain TP layout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { benchmarkClient } from "./silicon_client.ts";
 * import { gapAnalysisRow } from "./silicon_rows.ts";
 * const row = gapAnalysisRow({ model: "Qwen/Qwen3-32B", system: "h100_sxm", file: "Qwen_Qwen3-32B", precision: "",
 *   tp: 2, isl: 1024, osl: 1024, concurrency: 8, ttftMs: 154, tpotMs: 15.9 });
 * assert.equal(benchmarkClient(row).lengthRangeRatio, 1); // exact lengths
 * ```
 */
export function gapAnalysisRow(p: {
  model: string;
  system: string;
  file: string;
  /** The run's precision, also its GEMM quantization (`fp8`), or empty for the checkpoint's own. */
  precision: string;
  tp: number;
  isl: number;
  osl: number;
  concurrency: number;
  ttftMs: number;
  tpotMs: number;
}): SiliconRow {
  return {
    id: `${p.file}_${p.system}_tp${p.tp}_${p.isl}x${p.osl}_c${p.concurrency}`,
    version: "0.12.0",
    source: `source_file=/data/${p.system}/vllm/0.12.0/${p.file}.csv`,
    model: p.model,
    system: p.system,
    isl: p.isl,
    osl: p.osl,
    concurrency: p.concurrency,
    tp: p.tp,
    attnDp: 1,
    moeTp: 1,
    moeEp: 1,
    precision: p.precision,
    gemmQuant: p.precision,
    moeQuant: "",
    ttftMs: p.ttftMs,
    tpotMs: p.tpotMs,
  };
}

/**
 * The attention-DP degree a row leaves blank: vLLM's MoE layers span every rank of the DP × TP group, so a
 * layout whose MoE group (`moeTp × moeEp`) is larger than its TP ran attention data-parallel over the rest
 * (`--data-parallel-size`). 1 when the MoE group is the TP group or does not divide by it.
 */
function impliedAttentionDp(tp: number, moeGroup: number): number {
  return moeGroup > tp && moeGroup % tp === 0 ? moeGroup / tp : 1;
}

/** The aggregated vLLM rows of a silicon CSV that dynolab can replay (known GPU and model, TP ≥ 1). */
export function siliconRows(csvText: string): SiliconRow[] {
  const out: SiliconRow[] = [];
  for (const r of parseCsv(csvText)) {
    if (r.backend !== "vllm" || r.mode !== "agg" || !(r.system in GPUS) || !(r.model_path in MODELS)) {
      continue;
    }
    const num = (k: string) => Number(r[k]);
    const tp = num("tp_size") || 1;
    const moeTp = num("moe_tp_size") || 1;
    const moeEp = num("moe_ep_size") || 1;
    const attnDp = num("attention_dp_size") || impliedAttentionDp(tp, moeTp * moeEp);
    const declared = /silicon_concurrency=(\d+)/.exec(r.silicon_data_source ?? "");
    const row: SiliconRow = {
      id: r.id,
      version: r.backend_version,
      source: r.silicon_data_source ?? "",
      model: r.model_path,
      system: r.system,
      isl: num("isl"),
      osl: num("osl"),
      concurrency: declared ? Number(declared[1]) : num("batch_size") * attnDp,
      tp,
      attnDp,
      moeTp,
      moeEp,
      precision: r.precision ?? "",
      gemmQuant: r.gemm_quant_mode ?? "",
      moeQuant: r.moe_quant_mode ?? "",
      ttftMs: num("silicon_ttft_ms"),
      tpotMs: num("silicon_tpot_ms"),
    };
    if (
      [row.isl, row.osl, row.concurrency, row.ttftMs, row.tpotMs].every((v) => Number.isFinite(v) && v > 0)
    ) {
      out.push(row);
    }
  }
  return out;
}

/**
 * The parallel layout a row ran with. AIC's database labels vLLM's TP runs with expert parallelism
 * (`--enable-expert-parallel`, experts spread over the TP group) as attention DP = TP and EP = TP²: the `ed133e9`
 * corpus holds the same measurements under both labels (MiniMax-M2.5 on 4 H100s, TP 4 / EP 4: 113.8 ms TTFT and
 * 15.54 ms TPOT as "4/1/4", 107.0 ms and 15.47 ms as "4/4/16"), and the "DP" runs' TPOT equals the TP runs' at the
 * same concurrency. Such rows replay as TP with EP over the TP group; other layouts as labelled.
 */
export function deployedLayout(row: SiliconRow): Parallelism {
  const { tp, attnDp, moeTp, moeEp } = row;
  if (attnDp > 1 && attnDp === tp && moeEp === tp * attnDp) return { tp, attnDp: 1, moeTp: 1, moeEp: tp };
  return { tp, attnDp, moeTp, moeEp };
}

/**
 * The rows of a corpus whose measurements cannot be trusted, each with why. They are printed but kept out of the
 * error summary. Two rules, neither looking at the simulator:
 *
 * - **One known bad group**: the gpt-oss-120b sweep on H100 at concurrency 512 of InferenceX's 2026-04-06 export
 *   (vLLM 0.11.2 or unrecorded). Its nine rows report TTFTs of 20–460 s, four times the requests' whole decode
 *   time, which in a closed loop means the server held about 100 of the 512 requests at a time; yet their TPOTs
 *   (3.6–27 ms) sit at the same configurations' TPOT for 4–64 concurrent requests, five of them below the median
 *   TPOT of those lower concurrencies. No KV limit explains either (gpt-oss-120b at TP 2–8 on H100 holds every
 *   512 requests' KV several times over).
 * - **Decode slower than at a higher concurrency of the same sweep** (same measurement run, GPU, model, vLLM
 *   version, quantization, layout and ISL/OSL) by more than {@link SWEEP_TPOT_INVERSION}. A closed loop with more
 *   streams decodes larger batches and interleaves more prefills, so a server's TPOT does not fall as
 *   concurrency rises; repeat measurements of one point differ by 1.6% TPOT on average ({@link repeatedPoints}),
 *   so a 15% inversion means that run was disturbed. In ed133e9 it flags three measurements (four rows:
 *   one is listed twice), each above both its neighbours: Kimi-K2.5 INT4 on 8 H200s at 1k/8k and 16 concurrent
 *   (884 ms TTFT, 64 ms TPOT, against 22.5 ms at 32 concurrent, and 16.0 ms when the same point was measured
 *   again on 2026-03-27), and gpt-oss-120b on 4 H100s at 1k/1k and 32 concurrent (15.9 ms against 9.7 ms at 64)
 *   and at 1k/8k and 16 concurrent (8.5 ms against 7.1 ms at 32).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { untrustedMeasurements, type SiliconRow } from "./silicon_rows.ts";
 * const row = {
 *   source: "source_file=2026-04-06.csv; silicon_concurrency=512",
 *   model: "openai/gpt-oss-120b",
 *   system: "h100_sxm",
 *   concurrency: 512,
 *   tpotMs: 10,
 * } as SiliconRow;
 * const low = { ...row, source: "source_file=2026-04-06.csv; silicon_concurrency=64", concurrency: 64 };
 * assert.deepEqual([...untrustedMeasurements([row, low]).keys()], [row]);
 * // A sweep whose 16-stream run decoded slower than its 32-stream run: the 16-stream run is flagged.
 * const run = { system: "h200_sxm", model: "m", source: "measured=2026-03-02T23:25:25Z", isl: 1024, osl: 8192 };
 * const c16 = { ...run, concurrency: 16, tpotMs: 64 } as SiliconRow;
 * const c32 = { ...run, concurrency: 32, tpotMs: 22.5 } as SiliconRow;
 * assert.deepEqual([...untrustedMeasurements([c16, c32]).keys()], [c16]);
 * assert.equal(untrustedMeasurements([{ ...c16, tpotMs: 21 }, c32]).size, 0);
 * ```
 */
export function untrustedMeasurements(rows: readonly SiliconRow[]): Map<SiliconRow, string> {
  const out = new Map<SiliconRow, string>();
  for (const row of rows) {
    if (
      /^source_file=2026-04-06\.csv/.test(row.source) && row.model === "openai/gpt-oss-120b" &&
      row.system === "h100_sxm" && row.concurrency === 512
    ) {
      out.set(row, "self-inconsistent: TTFT says ~100 requests served at once, TPOT says 4–64");
    }
  }
  for (const sweep of Map.groupBy(rows, sweepKey).values()) {
    for (const row of sweep) {
      const faster = sweep.find((o) =>
        o.concurrency > row.concurrency && row.tpotMs > SWEEP_TPOT_INVERSION * o.tpotMs && !out.has(o)
      );
      if (faster && !out.has(row)) {
        out.set(
          row,
          `decoded slower (TPOT ${row.tpotMs.toFixed(2)} ms) than the same sweep at ${faster.concurrency} ` +
            `concurrent (${faster.tpotMs.toFixed(2)} ms)`,
        );
      }
    }
  }
  return out;
}

/** How much slower a run's TPOT may be than that of a higher concurrency of its sweep before it is distrusted. */
export const SWEEP_TPOT_INVERSION = 1.15;

/** What a row was measured on: its GPU, model, vLLM version, quantization, deployed layout and ISL/OSL. */
function setupKey(row: SiliconRow): string {
  const l = deployedLayout(row);
  return [
    row.system,
    row.model,
    row.version,
    `${row.precision}/${row.gemmQuant}/${row.moeQuant}`,
    `${l.tp}/${l.attnDp}/${l.moeTp}/${l.moeEp}`,
    `${row.isl}x${row.osl}`,
  ].join("|");
}

/**
 * The measurement run a row belongs to: its {@link setupKey} and source (the source's `measured=` timestamp
 * where it has one, else the source without its per-point fields).
 */
export function sweepKey(row: SiliconRow): string {
  const run = /measured=([^;]+)/.exec(row.source)?.[1] ??
    row.source.replace(/(silicon_concurrency|config_id)=\d+;?\s*/g, "");
  return `${setupKey(row)}|${run}`;
}

/**
 * The corpus's own repeatability: the points measured more than once (same GPU, model, vLLM version,
 * quantization, deployed layout, ISL/OSL and concurrency, in different exports or runs) with different results,
 * each as its distinct measurements. Rows copied between exports with identical values are one measurement.
 * How far two measurements of one point lie apart bounds how close any model can come to a single one of them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { repeatedPoints, type SiliconRow } from "./silicon_rows.ts";
 * const point = { system: "b200_sxm", model: "m", version: "0.19.0", isl: 1024, osl: 1024, concurrency: 8 };
 * const a = { ...point, source: "db-dump/2026-04-27", ttftMs: 89, tpotMs: 10.84 } as SiliconRow;
 * const copy = { ...a, source: "source_file=2026-04-06.csv" };
 * const again = { ...a, source: "source_file=2026-03-25.csv", ttftMs: 90, tpotMs: 10.82 };
 * assert.deepEqual(repeatedPoints([a, copy, again]), [[a, again]]);
 * assert.deepEqual(repeatedPoints([a, copy]), []);
 * ```
 */
export function repeatedPoints(rows: readonly SiliconRow[]): SiliconRow[][] {
  const points = Map.groupBy(rows, (row) => `${setupKey(row)}|${row.concurrency}`).values();
  const distinct = (p: SiliconRow[]) =>
    p.filter((row, i) => p.findIndex((o) => o.ttftMs === row.ttftMs && o.tpotMs === row.tpotMs) === i);
  return [...points].map(distinct).filter((p) => p.length > 1);
}

/**
 * The text `deno task fidelity --only REGEX` matches a row against: GPU, model, vLLM version and precision.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rowLabel, type SiliconRow } from "./silicon_rows.ts";
 * const row = { system: "h200_sxm", model: "Qwen/Qwen3-235B-A22B-FP8", version: "0.12.0", precision: "fp8" };
 * assert.equal(rowLabel(row as SiliconRow), "h200_sxm Qwen/Qwen3-235B-A22B-FP8 0.12.0 fp8");
 * assert(/^h200_sxm Qwen\/Qwen3-235B/.test(rowLabel(row as SiliconRow)));
 * ```
 */
export function rowLabel(row: SiliconRow): string {
  return `${row.system} ${row.model} ${row.version} ${row.precision}`;
}

/** The prefill-load buckets of the silicon summary, lightest first (see {@link prefillLoad}). */
export const PREFILL_LOADS = ["< 16", "16–64", "64–256", "256–1k", "≥ 1k"] as const;

/**
 * A row's prefill load: the prompt tokens its closed loop brings per decode step, `concurrency × ISL / OSL`
 * (each stream brings ISL prompt tokens every OSL output tokens), bucketed. Under 16 the passes are nearly all
 * decode; from 256 on prefill work fills most of each pass, so TPOT measures prefill as much as decode.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { prefillLoad, type SiliconRow } from "./silicon_rows.ts";
 * assert(prefillLoad({ concurrency: 4, isl: 1024, osl: 1024 } as SiliconRow) === "< 16");
 * assert(prefillLoad({ concurrency: 64, isl: 8192, osl: 1024 } as SiliconRow) === "256–1k");
 * ```
 */
export function prefillLoad(row: SiliconRow): (typeof PREFILL_LOADS)[number] {
  const x = row.concurrency * row.isl / row.osl;
  return x < 16 ? "< 16" : x < 64 ? "16–64" : x < 256 ? "64–256" : x < 1024 ? "256–1k" : "≥ 1k";
}
