/**
 * A checkpoint's weight formats, as its `config.json`'s `quantization_config` or a ModelOpt `hf_quant_config.json`
 * declares them: one format per module kind (attention projections, dense FFN and shared experts, routed
 * experts) and the KV-cache format it was calibrated for. Pure: `hf_config.ts` passes the parsed files.
 *
 * @module
 */
import type { WeightDType } from "../dtypes.ts";
import type { ModelArch, QuantSpec } from "./arch.ts";
import { attentionParamsPerGpu, linearAttentionParamsPerGpu } from "./footprint.ts";
import { isObject, type Json } from "../../common/json.ts";

/**
 * The weight formats a config's `quantization_config` (or a ModelOpt quant file) declares, for the model `arch`
 * it was read into (which weighs the attention modules a checkpoint leaves unquantized, see
 * `attentionExcluded`).
 */
export function quantFrom(config: Json, quantFile: unknown, arch: ModelArch): QuantSpec {
  const modelopt = isObject(quantFile) && isObject(quantFile.quantization)
    ? quantFile.quantization
    : undefined;
  const qc = isObject(config.quantization_config) ? config.quantization_config : undefined;
  const algo = String(modelopt?.quant_algo ?? qc?.quant_algo ?? "").toUpperCase();
  const kv = kvCheckpoint(modelopt, qc);
  const excludedList = modelopt?.exclude_modules ?? qc?.ignore ?? qc?.modules_to_not_convert ?? [];
  const excluded = Array.isArray(excludedList) ? excludedList.map(String) : [];
  const attnExcluded = attentionExcluded(excluded, arch);
  // ModelOpt writes the per-module formats into its quant file, and into `quantization_config` in newer exports.
  const perModule = modelopt?.quantized_layers ?? qc?.quantized_layers;
  if (algo === "MIXED_PRECISION" && isObject(perModule)) return mixedPrecision(perModule, kv);
  // Shared experts left unquantized beside quantized routed ones (NVIDIA's Qwen3.5 NVFP4 checkpoints).
  const denseExcluded = excluded.some((name) => name.includes("shared_expert"));
  const spec = (d: WeightDType, moeOnly = false): QuantSpec => ({
    linear: moeOnly || denseExcluded ? "bfloat16" : d,
    attention: moeOnly || attnExcluded ? "bfloat16" : d,
    moe: d,
    kvCheckpoint: kv,
  });
  if (algo === "FP8") return spec("fp8");
  if (algo === "NVFP4") return spec("nvfp4");
  if (!qc) return spec("bfloat16");
  const method = String(qc.quant_method ?? "").toLowerCase();
  if (method === "fp8") return spec(Array.isArray(qc.weight_block_size) ? "fp8_block" : "fp8");
  if (method === "mxfp4") return spec("w4a16_mxfp4", true);
  if (method === "modelopt") return spec(algo === "NVFP4" ? "nvfp4" : "fp8");
  if (method === "fbgemm_fp8") return spec("fp8");
  // AutoAWQ and GPTQ checkpoints: 4-bit weights that vLLM runs on BF16 activations (Marlin kernels).
  if (/^(awq|gptq)/.test(method) && (qc.bits ?? qc.w_bit) === 4) return spec("int4_wo");
  if (method === "compressed-tensors" && isObject(qc.config_groups)) {
    const group = Object.values(qc.config_groups).find(isObject);
    const w = isObject(group?.weights) ? group.weights : {};
    const a = isObject(group?.input_activations) ? group.input_activations : undefined;
    if (w.num_bits === 4) {
      if (a?.num_bits === 4) return spec("nvfp4");
      return spec("int4_wo", true);
    }
    if (w.num_bits === 8) return spec(w.strategy === "block" ? "fp8_block" : "fp8");
  }
  const bits = qc.bits ?? qc.w_bit;
  return { ...spec("bfloat16"), unpriced: method + (typeof bits === "number" ? ` (${bits}-bit)` : "") };
}

/**
 * The KV-cache format a checkpoint was calibrated for: `kv_cache_quant_algo: FP8` (ModelOpt's quant file or
 * `quantization_config`), or, where that is absent, a ModelOpt `quantization_config`'s `kv_cache_scheme` of
 * static 8-bit floats (`{type: "float", num_bits: 8, dynamic: false}`, as newer ModelOpt exports write it and
 * vLLM's `get_kv_cache_quant_algo_string` turns into an FP8 cache); null otherwise.
 */
function kvCheckpoint(modelopt: Json | undefined, qc: Json | undefined): QuantSpec["kvCheckpoint"] {
  const algo = modelopt?.kv_cache_quant_algo ?? qc?.kv_cache_quant_algo;
  if (algo != null) return String(algo).toUpperCase() === "FP8" ? "fp8" : null;
  const scheme = String(qc?.quant_method ?? "").startsWith("modelopt") && isObject(qc?.kv_cache_scheme)
    ? qc.kv_cache_scheme
    : undefined;
  return scheme?.type === "float" && scheme.num_bits === 8 && scheme.dynamic === false ? "fp8" : null;
}

/**
 * Whether the modules a checkpoint leaves unquantized (`excluded`) hold at least half of the weights its
 * attention format stands for. Softmax attention (`self_attn`, a Nemotron-H mixer's `q/k/v/o_proj`) counts
 * whole when any of its projections is named, as checkpoints name them on every such layer; linear attention
 * and Mamba-2 mixers (`linear_attn`, a Nemotron-H mixer's `in/out_proj`), which share that format, count by the
 * share of their layers named (all of them for a name without a layer number). Nemotron-3 Nano NVFP4 leaves its
 * 6 attention layers and the 6 Mamba mixers before them in BF16, 36% of those weights: its attention format is
 * NVFP4.
 */
function attentionExcluded(excluded: readonly string[], arch: ModelArch): boolean {
  const softmax = attentionParamsPerGpu(arch, 1);
  const softmaxExcluded = excluded.some((name) => /self_attn|mixer\.[qkvo]_proj/.test(name)) ? softmax : 0;
  const la = arch.linearAttention;
  if (!la) return softmaxExcluded > 0;
  const layers = new Set(
    excluded.filter((name) => /linear_attn|mixer\.(in|out)_proj/.test(name))
      .map((name) => /layers\.(\d+)\./.exec(name)?.[1] ?? "all"),
  );
  const share = layers.has("all") ? 1 : Math.min(1, layers.size / la.layers);
  const linear = la.layers * linearAttentionParamsPerGpu(la, arch.hidden, 1);
  return softmaxExcluded + share * linear >= (softmax + linear) / 2;
}

/**
 * A ModelOpt `MIXED_PRECISION` checkpoint's formats from its per-module `quantized_layers`: attention
 * projections (`self_attn`, `linear_attn`, a Nemotron-H mixer's `in/out/q/k/v/o_proj`), routed experts
 * (`experts`, but not shared ones) and the other MLP weights (dense FFN, shared experts), each taking its
 * modules' most common format: `FP8` and `MXFP8` as FP8, `NVFP4`, or `W4A16_NVFP4` (FP4 weights on BF16
 * activations, priced as the 4-bit weight-only `int4_wo` it matches in bytes and kernels). Kinds with no
 * listed module stay BF16, and a model without listed experts gives them its MLP's format. NVIDIA's Qwen3.6
 * NVFP4: FP8 attention, weight-only FP4 MLP; MiniMax-M3 NVFP4: MXFP8 attention and dense layers, NVFP4
 * experts.
 */
function mixedPrecision(layers: Json, kv: QuantSpec["kvCheckpoint"]): QuantSpec {
  const formats: Readonly<Record<string, WeightDType>> = {
    FP8: "fp8",
    MXFP8: "fp8",
    NVFP4: "nvfp4",
    W4A16_NVFP4: "int4_wo",
  };
  const counts = new Map<string, Map<WeightDType, number>>();
  for (const [name, entry] of Object.entries(layers)) {
    const format = isObject(entry) ? formats[String(entry.quant_algo).toUpperCase()] : undefined;
    const kind = /self_attn|linear_attn|mixer\.(in|out|[qkvo])_proj/.test(name)
      ? "attention"
      : /experts/.test(name) && !/shared_expert/.test(name)
      ? "moe"
      : /mlp|shared_expert|mixer\.(up|down)_proj/.test(name)
      ? "linear"
      : undefined;
    if (!format || !kind) continue;
    const byFormat = counts.get(kind) ?? counts.set(kind, new Map()).get(kind)!;
    byFormat.set(format, (byFormat.get(format) ?? 0) + 1);
  }
  const most = (kind: string) =>
    [...counts.get(kind) ?? []].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
  const linear = most("linear") ?? "bfloat16";
  return { linear, attention: most("attention") ?? "bfloat16", moe: most("moe") ?? linear, kvCheckpoint: kv };
}
