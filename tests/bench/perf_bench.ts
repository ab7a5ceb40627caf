/**
 * Step-prediction cost of the perf models (`deno task bench`). Targets: analytic ≤ 1 µs per step, AIC table
 * mode ≤ 2 µs after warm-up (memoised). The analytic model caches the batch-only part of a pass (GEMMs,
 * element-wise, collectives) per shape; the "cold" cases price every op of a never-seen shape. Each iteration predicts one pass with inputs that change from call to
 * call, the way an engine's passes do.
 *
 * @module
 */
import { parseEngineArgs, resolveEngineArgs } from "../../lib/engine/mod.ts";
import { createPerfModel, loadPerfInputs } from "../../lib/perf/mod.ts";
import { modelFromHfConfig } from "../../lib/perf/catalog/hf_config.ts";
import { SHARED_DIR } from "../_shared.ts";
import { GEMMA4_31B_CONFIG, QWEN35_27B_CONFIG } from "../_fixtures.ts";

const ARGS = { aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8", aic_system: "h200_sxm" };
const analytic = (() => {
  const { args, config } = resolveEngineArgs(ARGS, "aggregated");
  return createPerfModel(args, config);
})();

// A closed-loop-like sequence of pass shapes: batch drifting 100–140, context 4000–5000, prefill chunks.
const N = 4096;
const batch = Array.from({ length: N }, (_, i) => 100 + (i * 7) % 41);
const context = Array.from({ length: N }, (_, i) => 4000 + (i * 13) % 1000);
const chunk = Array.from({ length: N }, (_, i) => 256 + (i * 97) % 3840);

let i = 0;
Deno.bench(
  { name: "analytic decode step (Llama-3.1-8B FP8, H200)", group: "analytic", baseline: true },
  () => {
    i = (i + 1) % N;
    analytic.decodeMs(batch[i], context[i], 0);
  },
);
Deno.bench({ name: "analytic prefill step", group: "analytic" }, () => {
  i = (i + 1) % N;
  analytic.prefillMs(1, chunk[i] + 512, 512);
});
Deno.bench({ name: "analytic mixed-pass decode part", group: "analytic" }, () => {
  i = (i + 1) % N;
  analytic.mixedDecodeMs!(1, chunk[i] + 512, 512, batch[i], context[i]);
});
let fresh = 0;
Deno.bench({ name: "analytic prefill step (cold: every shape new)", group: "analytic" }, () => {
  fresh++;
  analytic.prefillMs(1 + (fresh % 7), 100_000 + fresh, 100);
});

// A hybrid model: 48 Gated-DeltaNet layers beside 16 full-attention ones (Qwen3.5-27B's shape).
const hybrid = (() => {
  const modelPath = "qwen3.5-27b/config.json";
  const inputs = { model: modelFromHfConfig(QWEN35_27B_CONFIG, modelPath), modelPath };
  const args = { aic_model_path: modelPath, aic_system: "h200_sxm" };
  const { args: parsed, config } = resolveEngineArgs(args, "aggregated", "engine args", {}, inputs);
  return createPerfModel(parsed, config, inputs);
})();
Deno.bench({ name: "analytic decode step (Qwen3.5-27B shape: linear attention)", group: "hybrid" }, () => {
  i = (i + 1) % N;
  hybrid.decodeMs(batch[i], context[i], 0);
});
Deno.bench({ name: "analytic prefill step (Qwen3.5-27B shape)", group: "hybrid" }, () => {
  i = (i + 1) % N;
  hybrid.prefillMs(1, chunk[i] + 512, 512);
});

// A Mamba-2 hybrid MoE: 23 Mamba-2, 6 attention and 23 MoE blocks (Nemotron-3 Nano, from the catalog).
const nemotron = (() => {
  const args = { aic_model_path: "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", aic_system: "h200_sxm" };
  const { args: parsed, config } = resolveEngineArgs(args, "aggregated");
  return createPerfModel(parsed, config);
})();
Deno.bench({ name: "analytic decode step (Nemotron-3 Nano: Mamba-2 + MoE)", group: "hybrid" }, () => {
  i = (i + 1) % N;
  nemotron.decodeMs(batch[i], context[i], 0);
});
Deno.bench({ name: "analytic prefill step (Nemotron-3 Nano)", group: "hybrid" }, () => {
  i = (i + 1) % N;
  nemotron.prefillMs(1, chunk[i] + 512, 512);
});

// Two attention shapes: Gemma 4 31B's 256-wide sliding and 512-wide global layers (from a config.json).
const gemma4 = (() => {
  const modelPath = "gemma-4-31b/config.json";
  const inputs = { model: modelFromHfConfig(GEMMA4_31B_CONFIG, modelPath), modelPath };
  const args = { aic_model_path: modelPath, aic_system: "h200_sxm", aic_tp_size: 2 };
  const { args: parsed, config } = resolveEngineArgs(args, "aggregated", "engine args", {}, inputs);
  return createPerfModel(parsed, config, inputs);
})();
Deno.bench({ name: "analytic decode step (Gemma 4 31B: two attention shapes)", group: "shapes" }, () => {
  i = (i + 1) % N;
  gemma4.decodeMs(batch[i], context[i], 0);
});
Deno.bench({ name: "analytic prefill step (Gemma 4 31B)", group: "shapes" }, () => {
  i = (i + 1) % N;
  gemma4.prefillMs(1, chunk[i] + 512, 512);
});
// NAS-pruned: 49 attention layers and 80 FFNs in six widths (Llama-3.3-Nemotron-Super-49B, from the catalog).
const nas = (() => {
  const args = {
    aic_model_path: "nvidia/Llama-3_3-Nemotron-Super-49B-v1",
    aic_system: "h200_sxm",
    aic_tp_size: 2,
  };
  const { args: parsed, config } = resolveEngineArgs(args, "aggregated");
  return createPerfModel(parsed, config);
})();
Deno.bench({ name: "analytic decode step (Nemotron-Super-49B: six FFN widths)", group: "shapes" }, () => {
  i = (i + 1) % N;
  nas.decodeMs(batch[i], context[i], 0);
});
Deno.bench({ name: "analytic prefill step (Nemotron-Super-49B)", group: "shapes" }, () => {
  i = (i + 1) % N;
  nas.prefillMs(1, chunk[i] + 512, 512);
});

if (SHARED_DIR) {
  const tableArgs = parseEngineArgs({ ...ARGS, aic_systems_path: `${SHARED_DIR}/aic/systems` });
  const inputs = await loadPerfInputs(tableArgs);
  const { config } = resolveEngineArgs(tableArgs, "aggregated", "engine args", {}, inputs);
  const table = createPerfModel(tableArgs, config, inputs);
  for (let j = 0; j < N; j++) { // warm-up: fill the memo with the shapes the bench replays
    table.decodeMs(batch[j], context[j], 0);
    table.prefillMs(1, chunk[j] + 512, 512);
  }
  Deno.bench({ name: "AIC table decode step (warm)", group: "table", baseline: true }, () => {
    i = (i + 1) % N;
    table.decodeMs(batch[i], context[i], 0);
  });
  Deno.bench({ name: "AIC table prefill step (warm)", group: "table" }, () => {
    i = (i + 1) % N;
    table.prefillMs(1, chunk[i] + 512, 512);
  });
  let cold = 0;
  Deno.bench({ name: "AIC table decode step (cold: every shape new)", group: "table" }, () => {
    cold++;
    table.decodeMs(1 + (cold % 256), 100 + cold, 0);
  });
}
