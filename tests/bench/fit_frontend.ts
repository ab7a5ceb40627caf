/**
 * Fit the vLLM front-end latency (`FRONTEND_LATENCY.vllm` in `lib/perf/frontend.ts`) on a silicon corpus:
 * replay, with the front end off (`simulateRow`), every row whose client ran through vLLM's API server (the
 * rows the fidelity bench applies the front end to, `benchmarkClient(row).frontend`), then choose the terms
 * `base + perInputToken × ISL + perRequestInFlight × (concurrency − 1)` that minimise the mean absolute
 * relative TTFT error once added to the simulated TTFT (a grid search; the closed loop's other streams are
 * the load). Rows the fidelity bench distrusts (`untrustedMeasurement`) stay out.
 *
 * `deno run -A tests/bench/fit_frontend.ts PATH/silicon_sample.csv` (about 80 s for ed133e9's 984 such rows).
 * Prints the fit and its TTFT error before and after; paste the terms into `frontend.ts` and rerun
 * `deno task fidelity --silicon`.
 *
 * @module
 */
import { benchmarkClient, siliconRows, simulateRow, untrustedMeasurement } from "./fidelity_silicon.ts";

const path = Deno.args[0] ?? Deno.env.get("DYNOLAB_SILICON_CSV");
if (!path) throw new Error("give the silicon CSV path (or set DYNOLAB_SILICON_CSV)");
const points: { isl: number; load: number; measured: number; simulated: number }[] = [];
let skipped = 0;
for (const row of siliconRows(await Deno.readTextFile(path))) {
  if (!benchmarkClient(row).frontend || untrustedMeasurement(row)) continue;
  try {
    const sim = await simulateRow(row, { frontend_latency: false });
    points.push({ isl: row.isl, load: row.concurrency - 1, measured: row.ttftMs, simulated: sim.ttft });
  } catch {
    skipped++; // a layout that does not resolve (the fidelity bench lists them)
  }
}

const error = (base: number, perToken: number, perLoad: number) => {
  let sum = 0;
  for (const p of points) {
    sum += Math.abs((p.simulated + base + perToken * p.isl + perLoad * p.load) / p.measured - 1);
  }
  return sum / points.length;
};
let best = { base: 0, perToken: 0, perLoad: 0, err: error(0, 0, 0) };
for (let base = 0; base <= 40; base += 2.5) {
  for (let perToken = 0; perToken <= 0.02; perToken += 0.001) {
    for (let perLoad = 0; perLoad <= 1.5; perLoad += 0.05) {
      const err = error(base, perToken, perLoad);
      if (err < best.err) best = { base, perToken, perLoad, err };
    }
  }
}
const f = (x: number, d: number) => x.toFixed(d);
console.log(
  `${points.length} rows (${skipped} skipped); TTFT mean abs error without a front end ${
    f(100 * error(0, 0, 0), 1)
  }%`,
);
console.log(
  `fit: baseMs ${f(best.base, 1)}, perInputTokenMs ${f(best.perToken, 3)}, perRequestInFlightMs ` +
    `${f(best.perLoad, 2)} → ${f(100 * best.err, 1)}%`,
);
