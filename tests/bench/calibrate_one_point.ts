/**
 * Does one measurement of a deployment calibrate the simulator for that deployment's other loads? For every
 * sweep of a silicon corpus (one measurement run, `sweepKey`: GPU, model, vLLM version, quantization, layout,
 * ISL/OSL) with two or more concurrencies, fit the engine args `speedup_ratio` and `decode_speedup_ratio` so
 * that the simulator reproduces the sweep's lowest-concurrency row (five rounds of {@link nextSpeedups}), then
 * replay the sweep's other rows with them. Prints the TTFT and TPOT MAPE of those rows before and after, by
 * concurrency. Rows the fidelity bench distrusts (`untrustedMeasurements`) stay out.
 *
 * `deno run -A tests/bench/calibrate_one_point.ts PATH/silicon_sample.csv [--at high] [--decode-only]`
 * (about 3 min for ed133e9). `--at high` calibrates on the highest concurrency instead; `--decode-only` fits
 * `decode_speedup_ratio` to TPOT alone and leaves prefill as modelled. lib/perf/FIDELITY.md ("Calibrating on one
 * measurement") holds the results.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { simulateRow } from "./fidelity_silicon.ts";
import { siliconRows, sweepKey, untrustedMeasurements } from "./silicon_rows.ts";
import { meanAbs, pct } from "./percent.ts";

/** The two speedup engine args: `speedup_ratio` divides all pass time, `decode_speedup_ratio` decode time. */
export interface Speedups {
  readonly speedup: number;
  readonly decode: number;
}

/** Mean TTFT and TPOT of a run, in ms. */
export interface Latencies {
  readonly ttft: number;
  readonly tpot: number;
}

/**
 * One fixed-point round of the calibration: scale each ratio by how far the simulation (run with `current`) is
 * from the measurement. `speedup_ratio` follows TTFT; `decode_speedup_ratio` follows TPOT beyond what the new
 * `speedup_ratio` already does. With `decodeOnly`, `speedup_ratio` stays and `decode_speedup_ratio` follows
 * TPOT alone. Ratios are held within [0.2, 5].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nextSpeedups } from "./calibrate_one_point.ts";
 * // Simulated 20% long on TTFT and 10% long on TPOT: prefill 1.2× faster, decode 1.1× faster in all.
 * const next = nextSpeedups({ speedup: 1, decode: 1 }, { ttft: 120, tpot: 11 }, { ttft: 100, tpot: 10 }, false);
 * assert(Math.abs(next.speedup - 1.2) < 1e-12 && Math.abs(next.speedup * next.decode - 1.1) < 1e-12);
 * const tpotOnly = nextSpeedups({ speedup: 1, decode: 1 }, { ttft: 120, tpot: 11 }, { ttft: 100, tpot: 10 }, true);
 * assert(tpotOnly.speedup === 1 && Math.abs(tpotOnly.decode - 1.1) < 1e-12);
 * ```
 */
export function nextSpeedups(
  current: Speedups,
  simulated: Latencies,
  measured: Latencies,
  decodeOnly: boolean,
): Speedups {
  const clamp = (x: number) => Math.min(5, Math.max(0.2, x));
  const prefill = decodeOnly ? 1 : simulated.ttft / measured.ttft;
  return {
    speedup: clamp(current.speedup * prefill),
    decode: clamp(current.decode * (simulated.tpot / measured.tpot) / prefill),
  };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { at: { type: "string", default: "low" }, "decode-only": { type: "boolean", default: false } },
    allowPositionals: true,
  });
  const path = positionals[0] ?? Deno.env.get("DYNOLAB_SILICON_CSV");
  if (!path) throw new Error("give the silicon CSV path (or set DYNOLAB_SILICON_CSV)");
  if (values.at !== "low" && values.at !== "high") throw new Error(`--at: "${values.at}"; valid: low, high`);
  const decodeOnly = values["decode-only"];
  const rows = siliconRows(await Deno.readTextFile(path));
  const distrusted = untrustedMeasurements(rows);
  const sweeps = Map.groupBy(rows.filter((r) => !distrusted.has(r)), sweepKey);
  const args = (s: Speedups) => ({ speedup_ratio: s.speedup, decode_speedup_ratio: s.decode });
  const scored: { concurrency: number; before: number[]; after: number[] }[] = [];
  let calibrated = 0;
  for (const sweep of sweeps.values()) {
    const loads = [...new Set(sweep.map((r) => r.concurrency))].sort((a, b) => a - b);
    if (loads.length < 2) continue;
    const at = values.at === "high" ? loads[loads.length - 1] : loads[0];
    const anchor = sweep.find((r) => r.concurrency === at)!;
    const measured = { ttft: anchor.ttftMs, tpot: anchor.tpotMs };
    let s: Speedups = { speedup: 1, decode: 1 };
    try {
      for (let round = 0; round < 5; round++) {
        s = nextSpeedups(s, await simulateRow(anchor, args(s)), measured, decodeOnly);
      }
    } catch {
      continue; // a layout that does not resolve (the fidelity bench lists them)
    }
    calibrated++;
    for (const row of sweep.filter((r) => r.concurrency !== at)) {
      const err = (sim: Latencies) => [sim.ttft / row.ttftMs - 1, sim.tpot / row.tpotMs - 1];
      scored.push({
        concurrency: row.concurrency,
        before: err(await simulateRow(row)),
        after: err(await simulateRow(row, args(s))),
      });
    }
  }
  const line = (label: string, set: typeof scored) =>
    `| ${label} | ${set.length} | ${pct(meanAbs(set.map((x) => x.before[0])))} | ${
      pct(meanAbs(set.map((x) => x.after[0])))
    } | ${pct(meanAbs(set.map((x) => x.before[1])))} | ${pct(meanAbs(set.map((x) => x.after[1])))} |`;
  console.log(
    `\n${calibrated} sweeps calibrated on their ${values.at === "high" ? "highest" : "lowest"} concurrency${
      decodeOnly ? " (decode_speedup_ratio on TPOT only)" : ""
    }; their other rows:\n`,
  );
  console.log("| concurrency | rows | TTFT MAPE before | after | TPOT MAPE before | after |");
  console.log("|---|---:|---:|---:|---:|---:|");
  const bucket = (c: number) => (c <= 8 ? "≤ 8" : c <= 32 ? "9–32" : c <= 128 ? "33–128" : "> 128");
  for (
    const [label, set] of Map.groupBy(
      scored.sort((a, b) => a.concurrency - b.concurrency),
      (x) => bucket(x.concurrency),
    )
  ) {
    console.log(line(label, set));
  }
  console.log(line("all", scored));
}
