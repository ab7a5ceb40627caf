/**
 * The reference's own published accuracy, replayed its way: the H100 sweep of `dynamo-behaviour.md` §10.2
 * (Qwen3-32B, TP 2, vLLM 0.12, 1k/1k prompts at 8–128 concurrent), for which the reference reports its mocker's
 * replay at TTFT MAPE 8.5% and TPOT MAPE 13.8% against silicon (AIC's static estimate: 24.7% and 14.6%). The
 * measured points are the sweep's rows of the silicon corpus (the gap analysis of AIC's
 * `h100_sxm/vllm/0.12.0/Qwen_Qwen3-32B.csv`). Part of `deno task fidelity --silicon PATH`.
 *
 * The reference replayed the sweep with a 2,048-token budget, 64-token blocks, `max_num_seqs` 256 and 0.9 of
 * GPU memory ({@link REFERENCE_REPLAY}), while vLLM's own default budget for that deployment is 8,192 (what the
 * silicon bench replays). The variants separate the two effects: the engine settings, and the timing (dynolab's
 * analytic model; AIC's tables with dynolab's framework overhead; AIC's tables alone, the mocker's timing).
 *
 * @module
 */
import { simulateRow } from "./fidelity_silicon.ts";
import { type BenchmarkClient, benchmarkClient } from "./silicon_client.ts";
import { gapAnalysisRow, type SiliconRow } from "./silicon_rows.ts";
import { meanAbs, pct, signedPct } from "./percent.ts";

/** The engine settings the reference replayed its H100 sweep with (`dynamo-behaviour.md` §10.2). */
export const REFERENCE_REPLAY = {
  max_num_batched_tokens: 2048,
  block_size: 64,
  max_num_seqs: 256,
  gpu_memory_utilization: 0.9,
} as const;

/**
 * The client the reference replays a row with: the silicon bench's ({@link benchmarkClient}) with exact output
 * lengths, as the reference's trace of identical requests has them (no tie-breaking spread).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { referenceClient, referencePoint } from "./fidelity_reference.ts";
 * assert.equal(referenceClient(referencePoint(8, 154, 15.9)).outputTokensStddev, 0);
 * ```
 */
export function referenceClient(row: SiliconRow): BenchmarkClient {
  return { ...benchmarkClient(row), outputTokensStddev: 0 };
}

/** The reference's published figures for the sweep: its mocker's replay and AIC's static estimate. */
export const REFERENCE_PUBLISHED = {
  mocker: { ttftMape: 0.085, tpotMape: 0.138, ttftAt128: 587, tpotAt128: 30.5 },
  aic: { ttftMape: 0.247, tpotMape: 0.146, ttftAt128: 292 },
} as const;

/**
 * One point of the sweep as the silicon corpus holds it, at `concurrency` with the measured TTFT and TPOT (ms).
 */
export function referencePoint(concurrency: number, ttftMs: number, tpotMs: number): SiliconRow {
  return gapAnalysisRow({
    model: "Qwen/Qwen3-32B",
    system: "h100_sxm",
    file: "Qwen_Qwen3-32B",
    precision: "",
    tp: 2,
    isl: 1024,
    osl: 1024,
    concurrency,
    ttftMs,
    tpotMs,
  });
}

/**
 * The sweep's rows of a silicon corpus: Qwen3-32B on H100 at TP 2, 1k/1k, from the gap analysis the reference
 * compared against, one row per concurrency (the first, where a point was measured twice).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { referencePoint, referenceSweep } from "./fidelity_reference.ts";
 * const points = [16, 8, 8, 4].map((c) => referencePoint(c, 100, 10));
 * assert.deepEqual(referenceSweep(points).map((r) => r.concurrency), [8, 16]);
 * ```
 */
export function referenceSweep(rows: readonly SiliconRow[]): SiliconRow[] {
  const picked = new Map<number, SiliconRow>();
  for (const r of rows) {
    const inSweep = r.model === "Qwen/Qwen3-32B" && r.system === "h100_sxm" && r.tp === 2 &&
      r.isl === 1024 && r.osl === 1024 && /\/Qwen_Qwen3-32B\.csv/.test(r.source) &&
      [8, 16, 32, 64, 128].includes(r.concurrency);
    if (inSweep && !picked.has(r.concurrency)) picked.set(r.concurrency, r);
  }
  return [...picked.values()].sort((a, b) => a.concurrency - b.concurrency);
}

/**
 * Replay the sweep's rows of a silicon corpus ({@link referenceSweep}) in each variant and print them beside the
 * reference's published figures; the last variant is the mocker's timing.
 */
export async function runReferenceSweep(corpus: readonly SiliconRow[], systemsRoot: string): Promise<void> {
  const rows = referenceSweep(corpus);
  console.log(
    "\n## The reference's published sweep, replayed its way: H100, Qwen3-32B, TP 2, 1k/1k (dynamo-behaviour.md §10.2)\n",
  );
  if (rows.length === 0) {
    console.log("The corpus holds none of the sweep's rows.");
    return;
  }
  const tables = { aic_systems_path: systemsRoot };
  const variants: Array<[string, Record<string, unknown>, (row: SiliconRow) => BenchmarkClient]> = [
    ["dynolab analytic, vLLM's default budget 8,192 (the silicon bench)", {}, benchmarkClient],
    ["dynolab analytic, the reference's replay settings", { ...REFERENCE_REPLAY }, referenceClient],
    ["AIC tables + dynolab's framework overhead, the reference's settings", {
      ...REFERENCE_REPLAY,
      ...tables,
    }, referenceClient],
    [
      "AIC tables alone (the mocker's timing), the reference's settings",
      { ...REFERENCE_REPLAY, ...tables, framework_overhead: false },
      referenceClient,
    ],
  ];
  const conc = rows.map((r) => r.concurrency);
  let sims: { ttft: number; tpot: number }[] = [];
  console.log(
    `| variant | ${conc.map((c) => `TTFT err c=${c}`).join(" | ")} | TTFT MAPE | ` +
      `${conc.map((c) => `TPOT err c=${c}`).join(" | ")} | TPOT MAPE |`,
  );
  console.log(`|---|${"---:|".repeat(2 * conc.length + 2)}`);
  for (const [name, extra, client] of variants) {
    sims = [];
    for (const row of rows) sims.push(await simulateRow(row, extra, client(row)));
    const ttft = sims.map((sim, i) => sim.ttft / rows[i].ttftMs - 1);
    const tpot = sims.map((sim, i) => sim.tpot / rows[i].tpotMs - 1);
    const mape = (e: number[]) => pct(meanAbs(e));
    console.log(
      `| ${name} | ${ttft.map(signedPct).join(" | ")} | ${mape(ttft)} | ${
        tpot.map(signedPct).join(" | ")
      } | ` +
        `${mape(tpot)} |`,
    );
  }
  const mockerTiming = sims[conc.indexOf(128)];
  const { mocker, aic } = REFERENCE_PUBLISHED;
  const blank = Array(conc.length).fill("").join(" | ");
  console.log(
    `| published: the reference's mocker replay | ${blank} | ${pct(mocker.ttftMape)} | ${blank} | ` +
      `${pct(mocker.tpotMape)} |`,
  );
  console.log(
    `| published: AIC's static estimate | ${blank} | ${pct(aic.ttftMape)} | ${blank} | ` +
      `${pct(aic.tpotMape)} |`,
  );
  console.log(
    `\nAt 128 concurrent the reference publishes ${mocker.ttftAt128} ms TTFT and ${mocker.tpotAt128} ms TPOT ` +
      `from its mocker (${aic.ttftAt128} ms TTFT from AIC)` +
      (mockerTiming
        ? `; dynolab with the mocker's timing gives ${mockerTiming.ttft.toFixed(0)} ms and ` +
          `${mockerTiming.tpot.toFixed(1)} ms.`
        : "."),
  );
}
