/**
 * Numeric formats of weights, activations and the KV cache, with AIC's names (`gemm_dtype`, `moe_dtype`,
 * `kv_cache_dtype` columns and the `aic_*_dtype` engine args).
 *
 * @module
 */
import { InputError, type InputLocation, suggest } from "../common/errors.ts";
import type { GpuSpec } from "./catalog/gpus.ts";

/** Weight formats of linear layers and experts. */
export type WeightDType =
  | "bfloat16"
  | "fp8"
  | "fp8_block"
  | "nvfp4"
  | "w4a16_mxfp4"
  | "w4a8_mxfp4_mxfp8"
  | "int4_wo";

/** KV-cache and attention (FMHA) formats. */
export type KvDType = "bfloat16" | "fp8";

/** Every weight format, sorted. */
export const WEIGHT_DTYPES: readonly WeightDType[] = [
  "bfloat16",
  "fp8",
  "fp8_block",
  "int4_wo",
  "nvfp4",
  "w4a16_mxfp4",
  "w4a8_mxfp4_mxfp8",
];

/** Every KV format. */
export const KV_DTYPES: readonly KvDType[] = ["bfloat16", "fp8"];

/**
 * Bytes per weight element, scales included: NVFP4 4 bits + one FP8 scale per 16; MXFP4 4 bits + one E8M0 scale
 * per 32; INT4 weight-only 4 bits + one BF16 scale per 32 (group 32, as Kimi-K2.5 ships); FP8 block scales (one
 * FP32 per 128×128) are negligible.
 */
export function weightBytes(d: WeightDType): number {
  switch (d) {
    case "bfloat16":
      return 2;
    case "fp8":
    case "fp8_block":
      return 1;
    case "nvfp4":
      return 0.5625;
    case "w4a16_mxfp4":
    case "w4a8_mxfp4_mxfp8":
      return 0.53125;
    case "int4_wo":
      return 0.5625;
  }
}

/** Bytes per activation element fed to the GEMM (input side): 1 for FP8/FP4 activations, else 2. */
export function activationBytes(d: WeightDType): number {
  return d === "fp8" || d === "fp8_block" || d === "w4a8_mxfp4_mxfp8" ? 1 : d === "nvfp4" ? 0.5625 : 2;
}

/** Bytes per KV-cache element. */
export function kvBytes(d: KvDType): number {
  return d === "fp8" ? 1 : 2;
}

/**
 * Tensor-core peak (FLOP/s) a GEMM in format `d` runs at on `gpu`; 0 when the GPU lacks the format's math.
 * Weight-only formats (`w4a16_*`, `int4_wo`) dequantise to BF16 and run at the BF16 peak, except INT4 on
 * Blackwell: its Marlin kernels are built on the warp-level `mma.sync`, which Blackwell runs at Hopper's rate
 * per SM, half its `tcgen05` BF16 peak (AIC's B200 vLLM tables time the Marlin experts of an 8k-token prefill
 * at 0.96× H200's, not at the 0.44× the full peak would give). MXFP4 weights on MXFP8 activations
 * (`w4a8_mxfp4_mxfp8`) run at the FP8 peak on Blackwell, whose block-scaled MMA reads MX formats, and on no
 * earlier GPU (AIC times them on B200 only).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GPUS } from "./catalog/gpus.ts";
 * import { peakFlops } from "./dtypes.ts";
 * assert(peakFlops(GPUS.h100_sxm, "fp8") === 1978e12 && peakFlops(GPUS.h100_sxm, "nvfp4") === 0);
 * assert(peakFlops(GPUS.b200_sxm, "int4_wo") === GPUS.b200_sxm.bf16Flops / 2);
 * assert(peakFlops(GPUS.h200_sxm, "w4a8_mxfp4_mxfp8") === 0);
 * ```
 */
export function peakFlops(gpu: GpuSpec, d: WeightDType): number {
  switch (d) {
    case "bfloat16":
    case "w4a16_mxfp4":
      return gpu.bf16Flops;
    case "int4_wo":
      return gpu.arch === "blackwell" ? gpu.bf16Flops / 2 : gpu.bf16Flops;
    case "fp8":
    case "fp8_block":
      return gpu.fp8Flops;
    case "w4a8_mxfp4_mxfp8":
      return gpu.arch === "blackwell" ? gpu.fp8Flops : 0;
    case "nvfp4":
      return gpu.fp4Flops;
  }
}

const ALIASES: Readonly<Record<string, string>> = {
  bf16: "bfloat16",
  float16: "bfloat16",
  fp16: "bfloat16",
  half: "bfloat16",
  float8: "fp8",
  fp8_e4m3: "fp8",
  fp4: "nvfp4",
  mxfp4: "w4a16_mxfp4",
  int4: "int4_wo",
  w4a16: "int4_wo",
};

/**
 * Parse a weight format name (AIC names; `bf16`, `fp16`, `fp4`, `mxfp4`, `int4` accepted as aliases).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseWeightDType } from "./dtypes.ts";
 * assert(parseWeightDType("bf16") === "bfloat16" && parseWeightDType("fp8_block") === "fp8_block");
 * ```
 */
export function parseWeightDType(name: string, at: InputLocation = {}): WeightDType {
  const n = ALIASES[name.toLowerCase()] ?? name.toLowerCase();
  if ((WEIGHT_DTYPES as readonly string[]).includes(n)) return n as WeightDType;
  return badName(name, WEIGHT_DTYPES, at);
}

/**
 * Parse a KV-cache / FMHA format name (`bfloat16` or `fp8`; `bf16`, `fp16` mean `bfloat16`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseKvDType } from "./dtypes.ts";
 * assert(parseKvDType("fp8") === "fp8" && parseKvDType("fp16") === "bfloat16");
 * ```
 */
export function parseKvDType(name: string, at: InputLocation = {}): KvDType {
  const n = ALIASES[name.toLowerCase()] ?? name.toLowerCase();
  if (n === "bfloat16" || n === "fp8") return n;
  return badName(name, KV_DTYPES, at);
}

function badName(name: string, valid: readonly string[], at: InputLocation): never {
  const hint = suggest(name, valid);
  throw new InputError(
    `unknown format "${name}"` + (hint ? ` (did you mean ${hint}?)` : "") +
      `; valid: ${valid.join(", ")}, or "auto" (the checkpoint's)`,
    at,
  );
}
