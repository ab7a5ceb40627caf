/**
 * Resolving the `aic_*` engine args into what every non-trivial perf model needs: GPU, backend and version,
 * model, parallelism and numeric formats. Every bad value is one {@link InputError} naming the field, the value
 * and the valid choices.
 *
 * @module
 */
import { InputError, type InputLocation, suggest } from "../common/errors.ts";
import type { ModelSpec, Parallelism } from "./catalog/arch.ts";
import { GPU_IDS, GPUS, type GpuSpec } from "./catalog/gpus.ts";
import { catalogModel, findModel } from "./catalog/models.ts";
import {
  type KvDType,
  parseKvDType,
  parseWeightDType,
  peakFlops,
  WEIGHT_DTYPES,
  type WeightDType,
} from "./dtypes.ts";
import type { PerfInputs } from "./types.ts";
import { MOE_BACKENDS, type MoeBackend } from "./aic/kernels.ts";
import { type SetupArgs, wantsModelTiming } from "./args.ts";
import { own } from "../common/own.ts";

/** Serving frameworks AIC has tables for. */
export type Backend = "vllm" | "trtllm" | "sglang";

/** Backend versions the analytic model accepts (those AIC ships tables for), oldest first. */
export const BACKEND_VERSIONS: Readonly<Record<Backend, readonly string[]>> = {
  vllm: ["0.14.0", "0.18.0", "0.19.0", "0.22.0", "0.24.0"],
  trtllm: ["1.2.0rc5", "1.3.0rc10", "1.3.0rc15", "1.3.0rc20"],
  sglang: ["0.5.6.post2", "0.5.9", "0.5.10", "0.5.14"],
};

/** The system (GPU) Dynamo's mocker assumes when `aic_system` is unset. */
export const DEFAULT_SYSTEM = "h200_sxm";

/** Formats each op group runs in. */
export interface OpDTypes {
  /** Attention projections. */
  readonly attention: WeightDType;
  /** Dense FFN and shared experts. */
  readonly linear: WeightDType;
  /** Routed experts. */
  readonly moe: WeightDType;
  /** KV cache. */
  readonly kv: KvDType;
  /** Attention math (FMHA). */
  readonly fmha: KvDType;
}

/** Everything a model-based perf model needs, resolved and validated. */
export interface PerfSetup {
  readonly gpu: GpuSpec;
  readonly backend: Backend;
  readonly version: string;
  readonly model: ModelSpec;
  readonly par: Parallelism;
  readonly dtypes: OpDTypes;
  /** Draft tokens per verification round (0: no speculative decoding). */
  readonly nextn: number;
  /** The routed-expert kernel (`moe_backend`): the framework's own choice, or vLLM's Triton kernel. */
  readonly moeBackend: MoeBackend;
}

/** True when `aic_model_path` names a file or directory rather than an HF id. */
export function isModelPath(path: string): boolean {
  return /\.json$/i.test(path) || /^(\/|\.\.?\/|~)/.test(path) || (findModel(path) === undefined &&
    path.split("/").length > 2);
}

/**
 * Resolve and validate the `aic_*` args; undefined when none is set.
 *
 * @param inputs What `loadPerfInputs` read for these args (a model `config.json`, AIC tables); needed when
 *   `aic_model_path` is a path or table mode is on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolvePerfSetup } from "./setup.ts";
 * const s = resolvePerfSetup({ aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8", aic_tp_size: 2 });
 * assert(s?.gpu.id === "h200_sxm" && s.backend === "vllm" && s.par.tp === 2 && s.dtypes.linear === "fp8");
 * ```
 */
export function resolvePerfSetup(
  args: SetupArgs,
  inputs: PerfInputs = {},
  what = "engine args",
  at: InputLocation = {},
): PerfSetup | undefined {
  if (!wantsModelTiming(args)) return undefined;
  const field = (k: string): InputLocation => ({ ...at, field: `${what}.${k}` });
  const backend = parseBackend(args.aic_backend ?? args.engine_type ?? "vllm", field("aic_backend"));
  const tables = inputs.tables;
  const systemId = args.aic_system ?? DEFAULT_SYSTEM;
  const gpu = own(GPUS, systemId) ?? [inputs.gpu, tables?.gpu].find((g) => g?.id === systemId);
  if (!gpu) {
    const hint = suggest(systemId, GPU_IDS);
    throw new InputError(
      `unknown GPU "${systemId}"` + (hint ? ` (did you mean ${hint}?)` : "") +
        `; valid: ${GPU_IDS.join(", ")}`,
      field("aic_system"),
    );
  }
  const version = resolveVersion(
    backend,
    args.aic_backend_version,
    tables?.version,
    field("aic_backend_version"),
  );
  const model = resolveModel(args.aic_model_path, inputs, field("aic_model_path"));
  const par = resolveParallelism(args, model, field);
  const dtypes = resolveDTypes(args, model, backend, gpu, tables !== undefined, field);
  const moeBackend = resolveMoeBackend(args.moe_backend, backend, field("moe_backend"));
  if (moeBackend === "deep_gemm") {
    checkDeepGemm(gpu, model, dtypes.moe, tables !== undefined, field("moe_backend"));
  }
  return { gpu, backend, version, model, par, dtypes, nextn: args.aic_nextn ?? 0, moeBackend };
}

/**
 * The routed-expert kernel: `auto` unless set; `triton` and `deep_gemm` only for vLLM, whose tables time its
 * Triton kernel and whose Hopper default below MoE TP 8 was DeepGEMM in its late-2025 releases.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolvePerfSetup } from "./setup.ts";
 * const args = { aic_model_path: "MiniMaxAI/MiniMax-M2.5", aic_system: "b200_sxm", aic_tp_size: 2 };
 * assert.equal(resolvePerfSetup(args)?.moeBackend, "auto");
 * assert.equal(resolvePerfSetup({ ...args, moe_backend: "triton" })?.moeBackend, "triton");
 * assert.throws(() => resolvePerfSetup({ ...args, moe_backend: "cutlass" }), /valid: auto, triton/);
 * assert.throws(() => resolvePerfSetup({ ...args, moe_backend: "triton", aic_backend: "sglang" }), /vLLM/);
 * ```
 */
function resolveMoeBackend(
  value: string | null | undefined,
  backend: Backend,
  at: InputLocation,
): MoeBackend {
  const name = value ?? "auto";
  const known = MOE_BACKENDS.find((b) => b === name);
  if (!known) throw new InputError(`unknown MoE backend "${name}"; valid: ${MOE_BACKENDS.join(", ")}`, at);
  if (known !== "auto" && backend !== "vllm") {
    throw new InputError(`"${known}" selects ${VLLM_MOE_KERNELS[known]}; aic_backend is ${backend}`, at);
  }
  return known;
}

/** The vLLM kernel each non-`auto` MoE backend names, for errors. */
const VLLM_MOE_KERNELS: Readonly<Record<Exclude<MoeBackend, "auto">, string>> = {
  triton: "vLLM's Triton fused-MoE kernel",
  deep_gemm: "vLLM's DeepGEMM MoE kernel",
};

/**
 * `moe_backend: deep_gemm` needs what vLLM's DeepGEMM MoE runs on: a Hopper GPU and block-FP8 experts; and the
 * analytic model, as no AIC table times that kernel.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolvePerfSetup } from "./setup.ts";
 * const qwen = { aic_model_path: "Qwen/Qwen3-235B-A22B-FP8", aic_tp_size: 2, moe_backend: "deep_gemm" };
 * assert.equal(resolvePerfSetup(qwen)?.moeBackend, "deep_gemm");
 * assert.throws(() => resolvePerfSetup({ ...qwen, aic_system: "b200_sxm" }), /Hopper/);
 * assert.throws(() => resolvePerfSetup({ ...qwen, aic_model_path: "openai/gpt-oss-120b" }), /fp8_block/);
 * ```
 */
function checkDeepGemm(
  gpu: GpuSpec,
  model: ModelSpec,
  moe: WeightDType,
  tableMode: boolean,
  at: InputLocation,
) {
  if (gpu.arch !== "hopper") {
    throw new InputError(`"deep_gemm" MoE runs on Hopper GPUs; aic_system is ${gpu.id} (${gpu.arch})`, at);
  }
  if (model.arch.moe && moe !== "fp8_block") {
    throw new InputError(
      `"deep_gemm" MoE runs block-FP8 experts (fp8_block); this model's experts are ${moe}`,
      at,
    );
  }
  if (tableMode) {
    throw new InputError(
      `no AIC table times vLLM's DeepGEMM MoE kernel; use the analytic model (unset aic_systems_path) or ` +
        `moe_backend auto or triton`,
      at,
    );
  }
}

function parseBackend(name: string, at: InputLocation): Backend {
  if (name === "vllm" || name === "trtllm" || name === "sglang") return name;
  const valid = Object.keys(BACKEND_VERSIONS);
  const hint = suggest(name, valid);
  throw new InputError(
    `unknown backend "${name}"` + (hint ? ` (did you mean ${hint}?)` : "") + `; valid: ${valid.join(", ")}`,
    at,
  );
}

function resolveVersion(
  backend: Backend,
  requested: string | null | undefined,
  tableVersion: string | undefined,
  at: InputLocation,
): string {
  const known = BACKEND_VERSIONS[backend];
  if (tableVersion !== undefined) return tableVersion;
  if (requested == null) return known[known.length - 1];
  if (known.includes(requested)) return requested;
  throw new InputError(`unknown ${backend} version "${requested}"; valid: ${known.join(", ")}`, at);
}

function resolveModel(path: string | null | undefined, inputs: PerfInputs, at: InputLocation): ModelSpec {
  if (path == null) {
    throw new InputError(
      "the aic_* perf settings need a model: set aic_model_path to a catalog id (e.g. " +
        '"nvidia/Llama-3.1-8B-Instruct-FP8") or the path of a config.json',
      at,
    );
  }
  const known = findModel(path);
  if (known) return known;
  if (inputs.model && inputs.modelPath === path) return inputs.model;
  if (isModelPath(path)) {
    throw new InputError(
      `"${path}" is a config path that was not loaded; call loadPerfInputs(args) before resolving`,
      at,
    );
  }
  return catalogModel(path, at);
}

function resolveParallelism(
  args: SetupArgs,
  model: ModelSpec,
  field: (k: string) => InputLocation,
): Parallelism {
  const arch = model.arch;
  const tp = args.aic_tp_size ?? 1;
  const attnDp = args.aic_attention_dp_size ?? 1;
  if (arch.heads % tp !== 0) {
    throw new InputError(
      `${tp} does not divide the model's ${arch.heads} attention heads; valid: ${
        divisors(arch.heads).join(", ")
      }`,
      field("aic_tp_size"),
    );
  }
  const kvCounts = new Set([arch.kvHeads, arch.slidingWindow?.kvHeads ?? arch.kvHeads]);
  for (const kv of arch.mla ? [] : kvCounts) {
    if (kv % tp !== 0 && tp % kv !== 0) {
      throw new InputError(
        `${tp} neither divides nor is a multiple of the model's ${[...kvCounts].join(" and ")} KV heads`,
        field("aic_tp_size"),
      );
    }
  }
  const la = arch.linearAttention;
  if (la && (la.kHeads % tp !== 0 || la.vHeads % tp !== 0)) {
    const valid = divisors(arch.heads).filter((d) => la.kHeads % d === 0 && la.vHeads % d === 0);
    throw new InputError(
      `${tp} does not divide the model's ${la.kHeads} linear-attention key heads and ${la.vHeads} value ` +
        `heads; valid: ${valid.join(", ")}`,
      field("aic_tp_size"),
    );
  }
  const ranks = tp * attnDp;
  let moeTp = args.aic_moe_tp_size ?? undefined;
  let moeEp = args.aic_moe_ep_size ?? undefined;
  if (moeTp === undefined && moeEp === undefined) {
    moeTp = ranks;
    moeEp = 1;
  } else if (moeTp === undefined) moeTp = ranks / moeEp!;
  else if (moeEp === undefined) moeEp = ranks / moeTp;
  if (!Number.isInteger(moeTp) || !Number.isInteger(moeEp) || moeTp! * moeEp! !== ranks) {
    throw new InputError(
      `tp × attention_dp = ${tp} × ${attnDp} = ${ranks} must equal moe_tp × moe_ep ` +
        `(got ${args.aic_moe_tp_size ?? "unset"} × ${args.aic_moe_ep_size ?? "unset"})`,
      field(args.aic_moe_ep_size != null ? "aic_moe_ep_size" : "aic_moe_tp_size"),
    );
  }
  if (arch.moe && moeEp! > arch.moe.experts) {
    throw new InputError(
      `${moeEp} exceeds the model's ${arch.moe.experts} experts`,
      field("aic_moe_ep_size"),
    );
  }
  if (arch.moe && arch.moe.experts % moeEp! !== 0) {
    throw new InputError(
      `${moeEp} does not divide the model's ${arch.moe.experts} experts`,
      field("aic_moe_ep_size"),
    );
  }
  return { tp, attnDp, moeTp: moeTp!, moeEp: moeEp! };
}

/**
 * The format a checkpoint's experts run in on `gpu` unless `aic_moe_dtype` says otherwise: MXFP4 experts
 * (gpt-oss) are dequantized to BF16 on GPUs without FP4 tensor cores (vLLM's Marlin/Triton `w4a16` path) and
 * run on the FP4 tensor cores of Blackwell (FlashInfer's MXFP4 kernels), priced with the NVFP4 curves: the same
 * 4.25-bit weights. On the measured gpt-oss-120b B200 runs this moves TPOT MAPE from 49% to 18%. Table mode
 * keeps the checkpoint's format: AIC looks its `w4a16_mxfp4` rows up, which time the same kernels.
 */
function nativeMoeFormat(format: WeightDType, gpu: GpuSpec, tableMode: boolean): WeightDType {
  return format === "w4a16_mxfp4" && !tableMode && peakFlops(gpu, "nvfp4") > 0 ? "nvfp4" : format;
}

/**
 * Each op's format: the args' `aic_*_dtype` where given, else the checkpoint's. An unset KV format is the
 * checkpoint's calibrated one (a ModelOpt `kv_cache_quant_algo: FP8`) on vLLM and TRT-LLM, as they resolve an
 * unset `--kv-cache-dtype` (vLLM since 0.13, vllm-project/vllm#30785; every vLLM version dynolab prices is
 * newer) and as the reference's `auto` ("the model default"); BF16 on SGLang, whose `auto` is the model dtype.
 */
function resolveDTypes(
  args: SetupArgs,
  model: ModelSpec,
  backend: Backend,
  gpu: GpuSpec,
  tableMode: boolean,
  field: (k: string) => InputLocation,
): OpDTypes {
  // "auto" is the model's default, as the reference documents it: the same as leaving the key unset.
  const given = (v: string | null | undefined) => v == null || v.toLowerCase() === "auto" ? null : v;
  const gemmName = given(args.aic_gemm_dtype), moeName = given(args.aic_moe_dtype);
  const kvName = given(args.aic_kv_cache_dtype), fmhaName = given(args.aic_fmha_dtype);
  const commName = given(args.aic_comm_dtype);
  const gemm = gemmName != null ? parseWeightDType(gemmName, field("aic_gemm_dtype")) : null;
  const moe = moeName != null ? parseWeightDType(moeName, field("aic_moe_dtype")) : null;
  const kvDefault = backend === "sglang" ? "bfloat16" : model.quant.kvCheckpoint ?? "bfloat16";
  const kv = kvName != null ? parseKvDType(kvName, field("aic_kv_cache_dtype")) : kvDefault;
  const fmha = fmhaName != null ? parseKvDType(fmhaName, field("aic_fmha_dtype")) : "bfloat16";
  if (commName != null) parseKvDType(commName, field("aic_comm_dtype"));
  if (model.quant.unpriced) {
    const key = gemm == null ? "aic_gemm_dtype" : model.arch.moe && moe == null ? "aic_moe_dtype" : null;
    if (key) {
      throw new InputError(
        `${model.id} is quantized with "${model.quant.unpriced}", which dynolab does not price; set ` +
          `aic_gemm_dtype${model.arch.moe ? " and aic_moe_dtype" : ""} to the format its kernels run ` +
          `(${WEIGHT_DTYPES.join(", ")})`,
        field(key),
      );
    }
  }
  const d: OpDTypes = {
    attention: gemm ?? model.quant.attention,
    linear: gemm ?? model.quant.linear,
    moe: moe ?? nativeMoeFormat(model.quant.moe, gpu, tableMode),
    kv,
    fmha,
  };
  const groups: Array<[WeightDType, string]> = [[d.attention, "aic_gemm_dtype"], [
    d.linear,
    "aic_gemm_dtype",
  ]];
  if (model.arch.moe) groups.push([d.moe, "aic_moe_dtype"]);
  for (const [dtype, key] of groups) {
    if (peakFlops(gpu, dtype) === 0) {
      throw new InputError(
        `${model.id} runs ${dtype} GEMMs, which ${gpu.name} has no tensor-core support for; ` +
          `set ${key} to a format it supports (e.g. "bfloat16")`,
        field(key),
      );
    }
  }
  for (const [dtype, key] of [[d.kv, "aic_kv_cache_dtype"], [d.fmha, "aic_fmha_dtype"]] as const) {
    if (dtype === "fp8" && gpu.fp8Flops === 0) {
      throw new InputError(`${gpu.name} has no FP8 support; use "bfloat16"`, field(key));
    }
  }
  return d;
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let i = 1; i <= n; i++) if (n % i === 0) out.push(i);
  return out;
}
