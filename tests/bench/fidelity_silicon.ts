/**
 * End-to-end fidelity against a silicon corpus: every aggregated vLLM row of an AI Configurator
 * `silicon_sample.csv` (measured mean TTFT and TPOT per model, GPU, parallelism, ISL/OSL and client concurrency)
 * whose GPU and model dynolab knows, replayed through the simulator as its benchmark client ran it: closed loop
 * at the row's concurrency, `10 × concurrency` measured requests after `2 × concurrency` warm-up requests,
 * `ignore_eos` outputs, and the client's and server's length and scheduling settings where the row's source
 * names them (see {@link benchmarkClient}).
 *
 * The corpus is not part of dynolab: pass its path (`deno task fidelity --silicon PATH`, or the
 * `DYNOLAB_SILICON_CSV` environment variable). Engine args per row: the analytic model for the row's system,
 * model and parallelism, vLLM's defaults for H100/H200/B200-class GPUs (`max_num_batched_tokens` 8192,
 * `max_num_seqs` 1024, or the concurrency where larger), an FP8 KV cache for FP8/FP4 runs (`silicon_client.ts`).
 *
 * @module
 */
import { mean, meanAbs, median, pct, signedPct } from "./percent.ts";
import { loadInputs, runSimulation } from "../../lib/simulate.ts";
import { execute, type Job, spawnWorkers } from "../../lib/dsl/execute.ts";
import type { Report } from "../../lib/report/mod.ts";
import type { Workload } from "../../lib/workload/mod.ts";
import { GPUS } from "../../lib/perf/mod.ts";
import { coefficientSystem } from "../../lib/perf/analytic/lookup.ts";
import { deploymentBias, type RowErrors, ttftBiasByTp } from "./silicon_bias.ts";
import { type BenchmarkClient, benchmarkClient, rowSpec } from "./silicon_client.ts";
import {
  PREFILL_LOADS,
  prefillLoad,
  repeatedPoints,
  type SiliconRow,
  untrustedMeasurements,
} from "./silicon_rows.ts";

/** Mean relative difference of two measurements, `|a − b| / ((a + b) / 2)`, over every pair of `values`. */
function spread(values: readonly number[]): number {
  const d: number[] = [];
  for (let i = 0; i < values.length; i++) {
    for (let j = i + 1; j < values.length; j++) {
      d.push(Math.abs(values[i] - values[j]) / ((values[i] + values[j]) / 2));
    }
  }
  return mean(d);
}

/** A replayed row's simulated mean TTFT and TPOT (ms). */
export interface RowResult {
  readonly ttft: number;
  readonly tpot: number;
}

/** A report's mean TTFT and TPOT. */
function rowResult(report: Report): RowResult {
  return { ttft: report.mean_ttft_ms as number, tpot: report.mean_tpot_ms as number };
}

/** Replay one row ({@link rowSpec}) in this thread. */
export async function simulateRow(
  row: SiliconRow,
  extra: Record<string, unknown> = {},
  client: BenchmarkClient = benchmarkClient(row),
): Promise<RowResult> {
  return rowResult(runSimulation(await loadInputs(rowSpec(row, extra, client))).report);
}

/**
 * Replay many rows as {@link simulateRow} would, on `threads` Web Workers (the DSL's pool; default every core):
 * each row's result, or the error that kept its configuration from resolving. Results do not depend on
 * `threads` (the simulator is deterministic).
 */
export async function simulateRows(
  rows: readonly SiliconRow[],
  extra: Record<string, unknown> = {},
  threads: number = navigator.hardwareConcurrency,
): Promise<Map<SiliconRow, RowResult | Error>> {
  const out = new Map<SiliconRow, RowResult | Error>();
  const jobs: Job[] = [];
  const jobRows: SiliconRow[] = [];
  const workloads = new Map<string, Workload>();
  // Start the workers first: they load their modules while this thread loads the rows' workloads.
  const count = Math.min(threads, rows.length);
  const workers = count > 1 ? spawnWorkers(count) : [];
  try {
    for (const row of rows) {
      try {
        const { spec, workload } = await loadInputs(rowSpec(row, extra));
        const id = jobs.length;
        jobs.push({ id, spec, workloadKey: String(id) });
        jobRows.push(row);
        workloads.set(String(id), workload);
      } catch (e) {
        out.set(row, e as Error);
      }
    }
    const results = await execute(jobs, workloads, workers);
    for (const job of jobs) out.set(jobRows[job.id], rowResult(results.get(job.id)!.report));
  } finally {
    for (const w of workers) w.terminate();
  }
  return new Map(rows.filter((row) => out.has(row)).map((row) => [row, out.get(row)!]));
}

/** Absolute errors of one summary group. */
interface AbsErrors {
  readonly ttft: number[];
  readonly tpot: number[];
}

/** The errors of group `key` in `groups`, created empty on first use. */
function errorsOf(groups: Map<string, AbsErrors>, key: string): AbsErrors {
  let g = groups.get(key);
  if (!g) groups.set(key, g = { ttft: [], tpot: [] });
  return g;
}

/** A summary row's cells after its label: rows, TTFT MAPE and median, TPOT MAPE and median. */
function mapeCells(g: AbsErrors): string {
  return `${g.tpot.length} | ${pct(mean(g.ttft))} | ${pct(median(g.ttft))} | ${pct(mean(g.tpot))} | ${
    pct(median(g.tpot))
  } |`;
}

/**
 * Run every row of the corpus read from `path` (`rows`, as `siliconRows` parses it), print a table, MAPEs
 * per (GPU, model) and overall, MAPEs per GPU (with the GPU whose fitted curves it runs on: B300 borrows B200's),
 * the errors per prefill load ({@link prefillLoad}), where the error sits (per deployment or within one, and
 * the TTFT bias by TP: `silicon_bias.ts`), and the corpus's repeatability ({@link repeatedPoints}): how
 * far repeat measurements of one point lie apart, beside the model's error on the same rows. `engine` holds
 * engine args set on top of every row's (a what-if: `deno task fidelity --silicon PATH --engine JSON`).
 */
export async function runSilicon(
  path: string,
  rows: readonly SiliconRow[],
  engine: Record<string, unknown> = {},
): Promise<void> {
  const what = Object.keys(engine).length > 0
    ? `analytic model with ${JSON.stringify(engine)}`
    : "analytic model";
  console.log(`\n## End to end: ${rows.length} aggregated vLLM rows of ${path}, ${what}\n`);
  console.log(
    "| id | vLLM | TP/DP/EP | ISL | OSL | conc. | TTFT meas. | sim. | err | TPOT meas. | sim. | err |",
  );
  console.log("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  const groups = new Map<string, AbsErrors>();
  const gpus = new Map<string, AbsErrors>();
  const all: AbsErrors = { ttft: [], tpot: [] };
  const loads = new Map<string, { ttft: number[]; tpot: number[] }>(
    PREFILL_LOADS.map((b) => [b, { ttft: [], tpot: [] }]),
  );
  let skipped = 0, excluded = 0;
  const distrusted = untrustedMeasurements(rows);
  const sims = await simulateRows(rows.filter((row) => !distrusted.has(row)), engine);
  const errors = new Map<SiliconRow, RowErrors>();
  for (const row of rows) {
    const untrusted = distrusted.get(row);
    if (untrusted) {
      excluded++;
      console.log(
        `${rowPoint(row)} ${row.ttftMs.toFixed(1)} | excluded: ${untrusted} | | ${
          row.tpotMs.toFixed(2)
        } | | |`,
      );
      continue;
    }
    const sim = sims.get(row)!;
    if (sim instanceof Error) {
      skipped++;
      console.log(`${rowHead(row)} skipped: ${sim.message} |`);
      continue;
    }
    const e1 = sim.ttft / row.ttftMs - 1, e2 = sim.tpot / row.tpotMs - 1;
    errors.set(row, { ttft: e1, tpot: e2 });
    for (const acc of [errorsOf(groups, `${row.system} ${row.model}`), errorsOf(gpus, row.system), all]) {
      acc.ttft.push(Math.abs(e1));
      acc.tpot.push(Math.abs(e2));
    }
    const load = loads.get(prefillLoad(row))!;
    load.ttft.push(e1);
    load.tpot.push(e2);
    console.log(
      `${rowPoint(row)} ${row.ttftMs.toFixed(1)} | ${sim.ttft.toFixed(1)} | ${signedPct(e1)} | ` +
        `${row.tpotMs.toFixed(2)} | ${sim.tpot.toFixed(2)} | ${signedPct(e2)} |`,
    );
  }
  if (skipped > 0) {
    console.log(`\n${skipped} rows skipped (the configuration does not resolve; reason above).`);
  }
  if (excluded > 0) {
    console.log(`\n${excluded} rows excluded from the summary (untrusted measurements; reason above).`);
  }
  if (errors.size === 0) {
    console.log("\nNo row replayed, so there is nothing to summarise.");
    return;
  }
  console.log("\n| GPU, model | rows | TTFT MAPE | TTFT median | TPOT MAPE | TPOT median |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const [key, g] of [...groups, ["all", all] as const]) console.log(`| ${key} | ${mapeCells(g)}`);
  console.log("\n| GPU | analytic curves of | rows | TTFT MAPE | TTFT median | TPOT MAPE | TPOT median |");
  console.log("|---|---|---:|---:|---:|---:|---:|");
  for (const [id, g] of [...gpus].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(`| ${id} | ${coefficientSystem(GPUS[id])} | ${mapeCells(g)}`);
  }
  console.log(
    "\n| prefill load (c × ISL / OSL) | rows | TTFT MAPE | TTFT mean error | TPOT MAPE | TPOT mean error |",
  );
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const [bucket, l] of loads) {
    if (l.ttft.length === 0) continue;
    console.log(
      `| ${bucket} | ${l.ttft.length} | ${pct(meanAbs(l.ttft))} | ${signedPct(mean(l.ttft))} | ` +
        `${pct(meanAbs(l.tpot))} | ${signedPct(mean(l.tpot))} |`,
    );
  }
  printBias(errors);
  const repeated = repeatedPoints([...errors.keys()]);
  if (repeated.length === 0) return;
  const measured = repeated.flat();
  // Points whose every measurement the model misses in the same direction: the error is the point's, not noise.
  const oneSign = repeated.filter((p) => {
    const signs = new Set(p.map((r) => Math.sign(errors.get(r)!.ttft)));
    return signs.size === 1;
  }).length;
  console.log(
    "\n| points measured twice or more | measurements | TTFT spread | TPOT spread | TTFT MAPE on them | " +
      "TPOT MAPE on them | TTFT error of one sign |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|");
  console.log(
    `| ${repeated.length} | ${measured.length} | ${
      pct(mean(repeated.map((p) => spread(p.map((r) => r.ttftMs)))))
    } | ` +
      `${pct(mean(repeated.map((p) => spread(p.map((r) => r.tpotMs)))))} | ` +
      `${pct(meanAbs(measured.map((r) => errors.get(r)!.ttft)))} | ` +
      `${pct(meanAbs(measured.map((r) => errors.get(r)!.tpot)))} | ${oneSign} of ${repeated.length} |`,
  );
}

/**
 * Print where the error sits: per deployment or within one ({@link deploymentBias}), and the TTFT bias by TP
 * ({@link ttftBiasByTp}).
 */
function printBias(errors: ReadonlyMap<SiliconRow, RowErrors>): void {
  const b = deploymentBias(errors);
  console.log(`\n| error (deployments with ${b.minRows} rows or more) | rows | TTFT MAPE | TPOT MAPE |`);
  console.log("|---|---:|---:|---:|");
  console.log(`| as simulated | ${b.rows} | ${pct(b.ttft)} | ${pct(b.tpot)} |`);
  const removed = `each deployment's median bias removed (${b.deployments} deployments)`;
  console.log(`| ${removed} | ${b.rows} | ${pct(b.ttftWithin)} | ${pct(b.tpotWithin)} |`);
  const byTp = ttftBiasByTp(errors);
  const tps = [...new Set([...byTp.values()].flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  console.log(
    `\n| GPU, plain TP rows: TTFT mean error (rows) | ${tps.map((tp) => `TP ${tp}`).join(" | ")} |`,
  );
  console.log(`|---|${tps.map(() => "---:").join("|")}|`);
  for (const [gpu, cells] of [...byTp].sort(([a], [b]) => a.localeCompare(b))) {
    const row = tps.map((tp) => {
      const c = cells.get(tp);
      return c ? `${signedPct(c.ttft)} (${c.rows})` : "";
    });
    console.log(`| ${gpu} | ${row.join(" | ")} |`);
  }
}

/** A table row's leading cells: id, vLLM version, TP/DP/EP. */
const rowHead = (row: SiliconRow) => `| ${row.id} | ${row.version} | ${row.tp}/${row.attnDp}/${row.moeEp} |`;
/** {@link rowHead} plus the measured point: ISL, OSL, concurrency. */
const rowPoint = (row: SiliconRow) => `${rowHead(row)} ${row.isl} | ${row.osl} | ${row.concurrency} |`;
