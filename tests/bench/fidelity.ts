/**
 * `deno task fidelity`: how close the analytic perf model is to measurements.
 *
 * 1. Kernels: for every GPU × backend with AIC tables, the analytic curves against every measured kernel a
 *    catalog model's pass uses (median and p90 relative error per op family).
 * 2. Steps: Llama-3.1-8B step times (analytic model and table mode, framework overhead off) against the AIC
 *    kernel sums published in perf-model.md §10.1.
 * 3. End to end: the measured H200 vLLM points of perf-model.md §10.2 (silicon TTFT/TPOT) run through the
 *    simulator in closed loop (10 × concurrency measured requests after 2 × concurrency warm-up ones, as AIC's
 *    evaluation runner measures); see `fidelity_e2e.ts`.
 * 4. Silicon corpus (`--silicon PATH`, or `DYNOLAB_SILICON_CSV`): every aggregated vLLM row of an AIC
 *    `silicon_sample.csv` dynolab can replay; see `fidelity_silicon.ts`. Then the reference's own published
 *    sweep (dynamo-behaviour.md §10.2) replayed with its replay settings, beside its published errors; see
 *    `fidelity_reference.ts`. Not part of the default run: the corpus is not shipped. `--only REGEX` keeps the
 *    rows whose GPU, model, vLLM version and precision (`rowLabel`) match, `--engine JSON` sets engine args on
 *    top of every row's (a what-if); with either, the reference's sweep is left out.
 *
 * 5. Our own GPU measurements (`--device`): the analytic curves against the kernel timings of
 *    `tests/bench/device/<system>.csv` (measured with `measure_kernels.py` on a lent H100 and H200), and AIC's
 *    tables against the same; see `fidelity_device.ts`. Not part of the default run; needs no shared folder.
 * 6. A deployment's forward-pass metrics (`--fpm PATH --engine JSON`): every measured engine step of an FPM
 *    detail CSV against the pass the perf model of those engine args predicts; see `fidelity_fpm.ts`. Not
 *    part of the default run; needs no shared folder unless the engine args read AIC tables.
 *
 * Needs the shared folder (`DYNOLAB_SHARED` or `../shared`), except `--device` and `--fpm`. `--kernels`, `--steps`,
 * `--e2e`, `--device` run one part.
 *
 * @module
 */
import { COEFFICIENTS } from "../../lib/perf/calibration/coefficients.ts";
import { evaluate } from "../../lib/perf/calibration/evaluate.ts";
import { loadAllTables } from "../../lib/perf/calibration/fit.ts";
import { catalogUsage, extractSamples } from "../../lib/perf/calibration/samples.ts";
import { listBackends } from "../../lib/perf/aic/systems.ts";
import { parseEngineArgs, resolveEngineArgs } from "../../lib/engine/mod.ts";
import { createPerfModel, loadPerfInputs, type PerfModel } from "../../lib/perf/mod.ts";
import { SHARED_DIR } from "../_shared.ts";
import { runEndToEnd } from "./fidelity_e2e.ts";
import { runSilicon } from "./fidelity_silicon.ts";
import { rowLabel, siliconRows } from "./silicon_rows.ts";
import { runReferenceSweep } from "./fidelity_reference.ts";
import { runFpm } from "./fidelity_fpm.ts";
import { pct } from "./percent.ts";
import { DEVICE_FILES, runDevice } from "./fidelity_device.ts";

async function kernels(root: string) {
  console.log("\n## Kernel level: analytic curves vs AIC measurements (kernels catalog models use)\n");
  console.log("| GPU | backend | op family | samples | median | p90 |");
  console.log("|---|---|---|---:|---:|---:|");
  for (const system of Object.keys(COEFFICIENTS).sort()) {
    for (const backend of await listBackends(root, system)) {
      const coef = COEFFICIENTS[system].backends[backend];
      const tables = await loadAllTables(root, system, backend);
      if (!coef || !tables) continue;
      const samples = extractSamples(tables, catalogUsage(system, backend));
      for (const e of evaluate(coef, tables.gpu, samples)) {
        if (e.count === 0) continue;
        console.log(
          `| ${system} | ${backend} ${tables.version} | ${e.family} | ${e.count} | ${pct(e.median)} | ${
            pct(e.p90)
          } |`,
        );
      }
    }
  }
}

/** AIC vLLM 0.24.0 kernel sums for Llama-3.1-8B (perf-model.md §10.1), ms. */
const DECODE_REF: Record<string, Array<[number, number, number]>> = {
  // [batch, context, ms]
  "h100_sxm/fp8": [
    [1, 1024, 4.39],
    [1, 4096, 4.5],
    [8, 1024, 4.7],
    [8, 4096, 5.99],
    [32, 1024, 6.24],
    [32, 4096, 10.28],
    [64, 1024, 8.1],
    [64, 4096, 15.6],
    [128, 1024, 10.81],
    [128, 4096, 26.79],
    [256, 1024, 17.67],
  ],
  "h100_sxm/bf16": [
    [1, 1024, 6.18],
    [1, 4096, 6.28],
    [8, 1024, 6.58],
    [8, 4096, 7.86],
    [32, 1024, 8.32],
    [32, 4096, 12.35],
    [64, 1024, 10.37],
    [64, 4096, 17.87],
    [128, 1024, 12.81],
    [128, 4096, 28.79],
    [256, 1024, 19.48],
  ],
  "h200_sxm/fp8": [
    [1, 1024, 3.78],
    [1, 4096, 3.87],
    [8, 1024, 3.94],
    [8, 4096, 4.97],
    [32, 1024, 5.35],
    [32, 4096, 8.18],
    [64, 1024, 6.15],
    [64, 4096, 12.24],
    [128, 1024, 8.81],
    [128, 4096, 19.82],
    [256, 1024, 14.24],
  ],
  "h200_sxm/bf16": [
    [1, 1024, 4.86],
    [1, 4096, 4.95],
    [8, 1024, 5.04],
    [8, 4096, 6.06],
    [32, 1024, 6.31],
    [32, 4096, 9.15],
    [64, 1024, 7.56],
    [64, 4096, 13.65],
    [128, 1024, 9.91],
    [128, 4096, 20.92],
    [256, 1024, 15.27],
  ],
};
const PREFILL_ISL = [512, 1024, 2048, 4096, 8192, 16384];
const PREFILL_REF: Record<string, number[]> = {
  "h100_sxm/fp8": [9.0, 16.6, 33.6, 69.2, 144.7, 343.7],
  "h100_sxm/bf16": [11.6, 21.7, 43.1, 89.6, 199.3, 439.7],
  "h200_sxm/fp8": [8.2, 14.5, 28.7, 60.2, 130.3, 311.1],
  "h200_sxm/bf16": [11.1, 20.8, 43.0, 92.4, 198.4, 441.4],
};

async function models(root: string, system: string, fmt: string): Promise<Array<[string, PerfModel]>> {
  const base = {
    aic_model_path: fmt === "fp8" ? "nvidia/Llama-3.1-8B-Instruct-FP8" : "meta-llama/Llama-3.1-8B-Instruct",
    aic_system: system,
    aic_backend_version: "0.24.0",
    framework_overhead: false,
  };
  const out: Array<[string, PerfModel]> = [];
  for (const [name, raw] of [["analytic", base], ["table", { ...base, aic_systems_path: root }]] as const) {
    const args = parseEngineArgs(raw);
    const inputs = await loadPerfInputs(args);
    const { config } = resolveEngineArgs(args, "aggregated", "engine args", {}, inputs);
    out.push([name, createPerfModel(args, config, inputs)]);
  }
  return out;
}

async function steps(root: string) {
  console.log(
    "\n## Step level: Llama-3.1-8B kernel sums vs perf-model.md §10.1 (vLLM 0.24.0 tables, TP 1)\n",
  );
  console.log("| GPU / format | pass | shape | §10.1 ms | analytic ms | err | table ms | err |");
  console.log("|---|---|---|---:|---:|---:|---:|---:|");
  const errs: Record<string, number[]> = { analytic: [], table: [] };
  for (const key of Object.keys(DECODE_REF)) {
    const [system, fmt] = key.split("/");
    const ms = await models(root, system, fmt);
    const row = (pass: string, shape: string, ref: number, f: (m: PerfModel) => number) => {
      const cells = ms.map(([name, m]) => {
        const v = f(m);
        errs[name].push(Math.abs(v / ref - 1));
        return `${v.toFixed(2)} | ${pct(v / ref - 1)}`;
      });
      console.log(`| ${key} | ${pass} | ${shape} | ${ref} | ${cells.join(" | ")} |`);
    };
    for (const [b, ctx, ref] of DECODE_REF[key]) {
      row("decode", `b=${b} ctx=${ctx}`, ref, (m) => m.decodeMs(b, ctx, 0));
    }
    PREFILL_ISL.forEach((isl, i) =>
      row("prefill", `isl=${isl}`, PREFILL_REF[key][i], (m) => m.prefillMs(1, isl, 0))
    );
  }
  for (const [name, e] of Object.entries(errs)) {
    const s = e.slice().sort((a, b) => a - b);
    console.log(
      `\n${name}: median |err| ${pct(s[s.length >> 1])}, max ${pct(s[s.length - 1])} over ${s.length} steps`,
    );
  }
}

if (import.meta.main) {
  const valued = ["--silicon", "--fpm", "--engine", "--only"];
  const value = (flag: string) => {
    const at = Deno.args.indexOf(flag);
    if (at >= 0 && !Deno.args[at + 1]) throw new Error(`${flag} needs a value`);
    return at >= 0 ? Deno.args[at + 1] : undefined;
  };
  const silicon = value("--silicon") ?? Deno.env.get("DYNOLAB_SILICON_CSV");
  const fpm = value("--fpm");
  if (fpm && !value("--engine")) throw new Error("--fpm needs --engine '<engine args as JSON>'");
  const parsed = <T>(flag: string, parse: (text: string) => T): T | undefined => {
    const text = value(flag);
    try {
      return text === undefined ? undefined : parse(text);
    } catch (e) {
      throw new Error(`${flag}: ${(e as Error).message}`);
    }
  };
  const engine = parsed("--engine", (text) => JSON.parse(text) as Record<string, unknown>);
  const pattern = parsed("--only", (text) => new RegExp(text));
  const parts = Deno.args.filter((a, i) => !valued.includes(a) && !valued.includes(Deno.args[i - 1]));
  const only = new Set(parts.map((a) => a.replace(/^--/, "")));
  const all = only.size === 0 && !value("--silicon") && !fpm;
  const root = SHARED_DIR && `${SHARED_DIR}/aic/systems`;
  if (only.has("device")) await runDevice(DEVICE_FILES, root);
  if (fpm) await runFpm(fpm, engine!);
  if (!root) {
    if ((only.size > 0 || fpm) && [...only].every((p) => p === "device") && !silicon) Deno.exit(0);
    console.error("fidelity needs the shared folder: set DYNOLAB_SHARED");
    Deno.exit(1);
  }
  if (all || only.has("kernels")) await kernels(root);
  if (all || only.has("steps")) await steps(root);
  if (all || only.has("e2e")) await runEndToEnd();
  if (silicon) {
    const rows = siliconRows(await Deno.readTextFile(silicon));
    const chosen = pattern ? rows.filter((row) => pattern.test(rowLabel(row))) : rows;
    if (chosen.length === 0) {
      throw new Error(`--only ${pattern}: no row's "GPU model version precision" matches`);
    }
    // With --fpm, --engine is that deployment's engine args, not a what-if for the corpus.
    const whatIf = fpm ? undefined : engine;
    await runSilicon(silicon, chosen, whatIf);
    if (!pattern && !whatIf) await runReferenceSweep(rows, root);
  }
}
