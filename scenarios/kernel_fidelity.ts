/**
 * The analytic perf model against kernel timings we measured ourselves on a lent H100 and H200
 * (`tests/bench/device/*.csv`, from `tests/bench/device/measure_kernels.py`): every GEMM and attention shape of
 * Llama-3.1-8B/70B and Qwen3-8B/32B at TP 1–8, each point the model's signed error against the GPU. Needs no
 * shared data. The files' prefix-attention and element-wise timings are compared by `deno task fidelity --device`.
 *
 * Run: `deno run -A scenarios/kernel_fidelity.ts`. Writes `findings/kernel-fidelity.{md,html}`.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { Figure, Findings } from "../mod.ts";
import { COEFFICIENTS } from "../lib/perf/calibration/coefficients.ts";
import {
  analyticPredictor,
  bestAttention,
  type MeasuredError,
  measuredErrors,
  parseMeasured,
} from "../lib/perf/calibration/measured.ts";
import { GPUS } from "../lib/perf/catalog/gpus.ts";
import { DEVICE_FILES } from "../tests/bench/fidelity_device.ts";

/** One plotted point: a measured kernel shape and the model's error on it. */
interface Point {
  gpu: string;
  kind: string;
  measuredMs: number;
  errorPct: number;
}

const KINDS: Record<string, string> = {
  "gemm bfloat16": "GEMM BF16 (cuBLAS)",
  "gemm fp8": "GEMM FP8 (cuBLASLt)",
  "logits bfloat16": "LM head BF16",
  "context_attention bfloat16": "context attention (best)",
  "generation_attention bfloat16": "decode attention (best)",
};

if (import.meta.main) {
  const points: Point[] = [];
  const summaries: Array<[string, MeasuredError[]]> = [];
  for (const { system, path: file } of DEVICE_FILES) {
    const predict = analyticPredictor(COEFFICIENTS[system].backends.vllm, GPUS[system]);
    const { kernels } = parseMeasured(await Deno.readTextFile(file), file);
    const plotted = [
      ...kernels.filter((k) => k.op === "gemm" || k.op === "logits"),
      ...bestAttention(kernels),
    ];
    for (const k of plotted) {
      const p = predict(k);
      if (p === undefined) continue;
      const kind = KINDS[`${k.op} ${k.dtype}`];
      points.push({
        gpu: GPUS[system].name,
        kind,
        measuredMs: k.latencyMs,
        errorPct: 100 * (p / k.latencyMs - 1),
      });
    }
    summaries.push([system, measuredErrors(kernels, predict)]);
  }
  const rows = summaries.flatMap(([system, errors]) =>
    errors
      .filter((e) => e.family in KINDS && e.kernel !== "flash" && e.kernel !== "cudnn")
      .map((e) =>
        `| ${system} | ${KINDS[e.family]} | ${e.regime} | ${e.count} | ${(100 * e.median).toFixed(1)} | ${
          (100 * e.p90).toFixed(1)
        } | ${e.bias >= 0 ? "+" : ""}${(100 * e.bias).toFixed(1)} |`
      )
  );
  const figure = new Figure(
    [{
      height: 640,
      marginLeft: 60,
      marginRight: 170,
      x: { type: "log", label: "measured time per call (ms)", tickFormat: "~g" },
      y: { label: "model error (%)", domain: [-60, 100], clamp: true, grid: true },
      fx: { label: null },
      fy: { label: null, domain: Object.values(KINDS) },
      marks: [
        Plot.ruleY([0]),
        Plot.dot(points, {
          x: "measuredMs",
          y: "errorPct",
          fx: "gpu",
          fy: "kind",
          stroke: "kind",
          r: 1.8,
          strokeOpacity: 0.6,
        }),
      ],
    }],
    "Analytic model vs our own GPU timings",
  );
  const { html } = await new Findings("Kernel fidelity")
    .text(
      "The analytic perf model (its vLLM curves, fitted to AI Configurator's tables) against kernel timings we " +
        "measured ourselves with PyTorch on a lent H100 SXM and H200 (`tests/bench/device/`): every GEMM and " +
        "attention shape of Llama-3.1-8B/70B and Qwen3-8B/32B at TP 1–8, each timed in a CUDA graph of six " +
        "calls on distinct weights, the median of ten replays. Attention is the faster of FlashAttention-2 and " +
        "cuDNN per shape. A negative error means the model is faster than the GPU. FP8 GEMMs and " +
        "short-sequence context attention differ because vLLM runs other kernels there (CUTLASS FP8, " +
        'variable-length FlashAttention-3); see lib/perf/FIDELITY.md, "Our own GPU measurements".',
    )
    .figure(figure, "each point one kernel shape; errors beyond −60% / +100% drawn at the edge")
    .text(
      "| GPU | kernels | sizes | shapes | median % | p90 % | bias % |\n|---|---|---|---:|---:|---:|---:|\n" +
        rows.join("\n"),
    )
    .write();
  console.log(`findings: ${html}`);
}
