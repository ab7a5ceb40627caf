/**
 * `deno task fidelity --device`: the analytic model against kernel timings we measured ourselves on real GPUs
 * with `tests/bench/device/measure_kernels.py` (files `tests/bench/device/<system>.csv`), and, where the shared
 * folder is present, AIC's own tables against the same measurements (exact grid hits only, no interpolation).
 *
 * Needs no shared data for the first part.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { basename } from "node:path";
import { COEFFICIENTS } from "../../lib/perf/calibration/coefficients.ts";
import { loadAllTables } from "../../lib/perf/calibration/fit.ts";
import {
  analyticPredictor,
  type KernelPredictor,
  type MeasuredError,
  measuredErrors,
  parseMeasured,
  prefixShareErrors,
} from "../../lib/perf/calibration/measured.ts";
import {
  analyticMoePredictor,
  moeErrors,
  type MoePredictor,
  parseMeasuredMoe,
} from "../../lib/perf/calibration/measured_moe.ts";
import {
  catalogUsage,
  extractSamples,
  MOE_DISTRIBUTION,
  type MoeShape,
} from "../../lib/perf/calibration/samples.ts";
import { GPUS } from "../../lib/perf/catalog/gpus.ts";
import { contextAttentionFlops } from "../../lib/perf/roofline.ts";
import { pct, signedPct } from "./percent.ts";

/**
 * The measurement files committed with the project, each with the system it was measured on: the kernel sweep
 * (`measure_kernels.py`) and, where measured, the MoE sweep (`measure_moe.py`).
 */
export const DEVICE_FILES: ReadonlyArray<
  { readonly system: string; readonly path: string; readonly moe?: string }
> = [
  "h100_sxm",
  "h200_sxm",
].map((system) => {
  const at = (name: string) => new URL(`./device/${name}`, import.meta.url).pathname;
  const moe = at(`${system}_moe.csv`);
  return { system, path: at(`${system}.csv`), ...(existsSync(moe) ? { moe } : {}) };
});

function table(errors: readonly MeasuredError[]) {
  console.log("| op family | kernel | sizes | shapes | median | p90 | bias |");
  console.log("|---|---|---|---:|---:|---:|---:|");
  for (const e of errors) {
    console.log(
      `| ${e.family} | ${e.kernel} | ${e.regime} | ${e.count} | ${pct(e.median)} | ${pct(e.p90)} | ${
        signedPct(e.bias)
      } |`,
    );
  }
}

/** AIC's vLLM tables of `system` as predictors that answer exact grid hits only: version, kernels, MoE. */
async function aicPredictor(
  root: string,
  system: string,
): Promise<[string, KernelPredictor, MoePredictor] | undefined> {
  const tables = await loadAllTables(root, system, "vllm");
  if (!tables) return undefined;
  const samples = extractSamples(tables, catalogUsage(system, "vllm"));
  const hits = new Map<string, number>();
  for (const [dtype, list] of samples.gemm) {
    for (const s of list) hits.set(`gemm/${dtype}/${s.m}/${s.n}/${s.k}`, s.latency);
  }
  for (
    const [op, map] of [["context", samples.contextAttention], ["generation", samples.generationAttention]]
  ) {
    for (const [key, list] of map as typeof samples.contextAttention) {
      for (const s of list) {
        if (s.window === 0) hits.set(`${op}/${key}/${s.b}/${s.s}/${s.heads}/${s.kvHeads}`, s.latency);
      }
    }
  }
  const moeKey = (m: MoeShape) => `${m.tokens}/${m.hidden}/${m.inter}/${m.topK}/${m.experts}/${m.tp}/${m.ep}`;
  const moe = new Map<string, number>();
  for (const [dtype, list] of samples.moe) {
    for (const s of list) moe.set(`${dtype}/${moeKey(s)}`, s.latency);
  }
  const moePredict: MoePredictor = (m) =>
    m.distribution === MOE_DISTRIBUTION ? moe.get(`${m.dtype}/${moeKey(m)}`) : undefined;
  const older = tables.picks.map((p) => ` (${p.format} MoE: ${p.version})`).join("");
  return [`${tables.version}${older}`, (k) => {
    if (k.op === "gemm" || k.op === "logits") return hits.get(`gemm/${k.dtype}/${k.m}/${k.n}/${k.k}`);
    if (k.op === "prefix_attention" || k.op === "elementwise") return undefined; // AIC has no such tables
    // AIC's generation rows are keyed by the KV length including the new token, at 2^i; ours by 2^i before it.
    const op = k.op === "context_attention" ? "context" : "generation";
    return hits.get(`${op}/${k.dtype}/${k.headDim}/${k.batch}/${k.seq}/${k.heads}/${k.kvHeads}`);
  }, moePredict];
}

/** Print the comparisons for each measurement file. */
export async function runDevice(files: typeof DEVICE_FILES, systemsRoot?: string): Promise<void> {
  for (const { system, path: file, moe: moeFile } of files) {
    const gpu = GPUS[system];
    const coef = COEFFICIENTS[system]?.backends.vllm;
    if (!gpu || !coef) throw new Error(`${file}: ${system} is no system with vLLM curves`);
    const measured = parseMeasured(await Deno.readTextFile(file), file);
    console.log(`\n## ${system}: ${basename(file)}\n`);
    for (const line of measured.header) console.log(`    ${line}`);
    console.log(
      `\nFirst timings of the run (clocks may still be ramping up from idle): copy ${
        (measured.copyBytesPerS / 1e12).toFixed(2)
      } TB/s (catalog HBM ${(gpu.memBw / 1e12).toFixed(2)} TB/s), BF16 8192³ ${
        (measured.bf16Flops / 1e12).toFixed(0)
      } TFLOP/s (catalog dense peak ${(gpu.bf16Flops / 1e12).toFixed(0)}).\n`,
    );
    console.log(`Analytic model (vLLM curves) against the measurements:\n`);
    const analytic = analyticPredictor(coef, gpu);
    table(measuredErrors(measured.kernels, analytic));
    console.log(
      `\nPrefix attention as a share of the full-length pass, t(s, p) / t(s + p, 0), predicted over measured ` +
        `(regime by s + p; AIC's table mode scales by the FLOP share (full² − p²) / full²):\n`,
    );
    const flopShare: KernelPredictor = (k) =>
      contextAttentionFlops(k.batch, k.seq, k.prefix, k.heads, k.headDim, 0);
    table([
      ...prefixShareErrors(measured.kernels, analytic).map((e) => ({ ...e, family: "analytic model" })),
      ...prefixShareErrors(measured.kernels, flopShare).map((e) => ({ ...e, family: "FLOP share (AIC)" })),
    ]);
    const aic = systemsRoot ? await aicPredictor(systemsRoot, system) : undefined;
    if (aic) {
      console.log(`\nAIC's vLLM ${aic[0]} tables against the measurements (exact grid hits):\n`);
      table(measuredErrors(measured.kernels, aic[1]));
    }
    if (!moeFile) continue;
    const moe = parseMeasuredMoe(await Deno.readTextFile(moeFile), moeFile);
    console.log(
      `\nMoE blocks (${basename(moeFile)}, ${moe.length} timings): the analytic MoE curves against them:\n`,
    );
    table(moeErrors(moe, analyticMoePredictor(coef, gpu)));
    if (aic) {
      console.log(`\nAIC's vLLM ${aic[0]} MoE table against them (exact grid hits):\n`);
      table(moeErrors(moe, aic[2]));
    }
  }
}
