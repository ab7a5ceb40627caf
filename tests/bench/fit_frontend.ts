/**
 * Fit the vLLM front-end latency (`FRONTEND_LATENCY.vllm` in `lib/perf/frontend.ts`) on a silicon corpus:
 * replay, with the front end off (`simulateRow`), every row whose client ran through vLLM's API server (the
 * rows the fidelity bench applies the front end to, `benchmarkClient(row).frontend`), then choose, per
 * tokenizer kind (`ModelSpec.tokenizer`: fast, or slow for Python tokenizers), the terms
 * `base + perInputToken × ISL + perRequestInFlight × (concurrency − 1)` that minimise the mean absolute
 * relative TTFT error once added to the simulated TTFT (a grid search; the closed loop's other streams are
 * the load). Rows the fidelity bench distrusts (`untrustedMeasurements`) stay out.
 *
 * `deno run -A tests/bench/fit_frontend.ts PATH/silicon_sample.csv` (about 30 s on two cores for ed133e9's 1,150
 * such rows).
 * Prints each kind's fit and its TTFT error before and after, then a leave-one-model-out table over the fast
 * kind: each model's rows scored with terms fitted on the other models' rows only (how the terms transfer to a
 * model the fit has not seen). Paste the terms into `frontend.ts` and rerun `deno task fidelity --silicon`.
 *
 * @module
 */
import { simulateRows } from "./fidelity_silicon.ts";
import { benchmarkClient } from "./silicon_client.ts";
import { siliconRows, untrustedMeasurements } from "./silicon_rows.ts";
import { pct } from "./percent.ts";
import { MODELS, type TokenizerKind } from "../../lib/perf/mod.ts";

const path = Deno.args[0] ?? Deno.env.get("DYNOLAB_SILICON_CSV");
if (!path) throw new Error("give the silicon CSV path (or set DYNOLAB_SILICON_CSV)");
type Point = {
  model: string;
  tokenizer: TokenizerKind;
  isl: number;
  load: number;
  measured: number;
  simulated: number;
};
type Fit = { base: number; perToken: number; perLoad: number };
const points: Point[] = [];
let skipped = 0;
const rows = siliconRows(await Deno.readTextFile(path));
const distrusted = untrustedMeasurements(rows);
const fitted = rows.filter((row) => benchmarkClient(row).frontend && !distrusted.has(row));
for (const [row, sim] of await simulateRows(fitted, { frontend_latency: false })) {
  if (sim instanceof Error) {
    skipped++; // a layout that does not resolve (the fidelity bench lists them)
    continue;
  }
  points.push({
    model: row.model,
    tokenizer: MODELS[row.model].tokenizer,
    isl: row.isl,
    load: row.concurrency - 1,
    measured: row.ttftMs,
    simulated: sim.ttft,
  });
}

/** No front end. */
const NONE: Fit = { base: 0, perToken: 0, perLoad: 0 };

/** Mean absolute relative TTFT error of `fit` over `pts`. */
const error = (pts: readonly Point[], { base, perToken, perLoad }: Fit) => {
  let sum = 0;
  for (const p of pts) {
    sum += Math.abs((p.simulated + base + perToken * p.isl + perLoad * p.load) / p.measured - 1);
  }
  return sum / pts.length;
};

/** The grid point with the least {@link error} over `pts`. */
function fit(pts: readonly Point[]): Fit & { err: number } {
  let best = { ...NONE, err: error(pts, NONE) };
  for (let base = 0; base <= 80; base += 2.5) {
    for (let perToken = 0; perToken <= 0.03; perToken += 0.001) {
      for (let perLoad = 0; perLoad <= 2.5; perLoad += 0.05) {
        const err = error(pts, { base, perToken, perLoad });
        if (err < best.err) best = { base, perToken, perLoad, err };
      }
    }
  }
  return best;
}

const f = (x: number, d: number) => x.toFixed(d);
console.log(
  `${points.length} rows (${skipped} skipped); TTFT mean abs error without a front end ${
    pct(error(points, NONE))
  }`,
);
const fast = points.filter((p) => p.tokenizer === "fast");
const slow = points.filter((p) => p.tokenizer === "slow");
const fits = new Map<TokenizerKind, Fit & { err: number }>();
for (const [kind, pts] of [["fast", fast], ["slow", slow]] as const) {
  if (pts.length === 0) continue;
  const best = fit(pts);
  fits.set(kind, best);
  const models = [...new Set(pts.map((p) => p.model))].join(", ");
  console.log(
    `${kind} tokenizers (${pts.length} rows: ${models}): baseMs ${f(best.base, 1)}, perInputTokenMs ` +
      `${f(best.perToken, 3)}, perRequestInFlightMs ${f(best.perLoad, 2)}; ${pct(error(pts, NONE))} → ` +
      pct(best.err),
  );
}
if (slow.length > 0 && fits.has("fast")) {
  console.log(`slow-tokenizer rows under the fast terms: ${pct(error(slow, fits.get("fast")!))}`);
}

// Leave one model out (fast tokenizers): fit on the other models' rows, score the held-out model's, to show
// how the terms transfer to a model the fit has not seen.
const fastFit = fits.get("fast");
if (fastFit) {
  console.log("\n| held-out model | rows | no front end | fit without it | fit on all rows |");
  console.log("|---|---:|---:|---:|---:|");
  let heldOutSum = 0; // Σ over models of rows × held-out error
  for (const model of new Set(fast.map((p) => p.model))) {
    const out = fast.filter((p) => p.model === model);
    const loo = fit(fast.filter((p) => p.model !== model));
    heldOutSum += out.length * error(out, loo);
    console.log(
      `| ${model} | ${out.length} | ${pct(error(out, NONE))} | ${pct(error(out, loo))} | ${
        pct(error(out, fastFit))
      } |`,
    );
  }
  console.log(
    `| all, each model held out | ${fast.length} | | ${pct(heldOutSum / fast.length)} | ${
      pct(fastFit.err)
    } |`,
  );
}
