/**
 * GPU catalog: public datasheet figures for the accelerators the perf models know.
 *
 * Throughputs are **dense** tensor-core peaks (no 2:4 sparsity), bandwidths in bytes/s per GPU and per direction,
 * memory in bytes. Where AI Configurator's (AIC) system files (`systems/<id>.yaml`, Apache-2.0) state a figure, the
 * id and the figure agree with them, so that table mode and the analytic model talk about the same machine.
 *
 * Sources (checked 2026):
 * - H100 SXM5: NVIDIA H100 Tensor Core GPU datasheet (nvidia.com/en-us/data-center/h100): BF16 989 TF,
 *   FP8 1,979 TF (dense, half the sparse figure), 80 GB HBM3 at 3.35 TB/s, NVLink 900 GB/s bidirectional,
 *   132 SMs.
 * - H200 SXM: NVIDIA H200 datasheet (nvidia.com/en-us/data-center/h200): same compute as H100 SXM, 141 GB HBM3e
 *   at 4.8 TB/s, NVLink 900 GB/s. AIC's `h200_sxm.yaml` counts the memory as 141 GiB.
 * - B200 (HGX B200, SXM): NVIDIA HGX B200 / DGX B200 datasheets: per GPU FP4 9 PF, FP8 4.5 PF, BF16 2.25 PF
 *   dense; 180 GB HBM3e (1,440 GB per 8-GPU board) at 8 TB/s (AIC uses 7.7 TB/s achieved); NVLink 5
 *   1.8 TB/s bidirectional; 148 SMs.
 * - B300 (HGX B300, SXM; Blackwell Ultra): AIC's `b300_sxm.yaml` and NVIDIA's Blackwell Ultra datasheet and
 *   technical blog: per GPU FP4 14 PF dense (AIC; the full 160-SM chip 15 PF, HGX B300 108 PF per 8-GPU board),
 *   FP8 4.5 PF and BF16 2.25 PF dense as B200; 288 GB HBM3e (AIC: 275,040 MiB as nvidia-smi reports it) at
 *   8 TB/s (AIC: 7.75); NVLink 5 1.8 TB/s bidirectional; PCIe Gen6. SMs: 148 of the full chip's 160 are
 *   assumed enabled, as on B200 (no datasheet states the product's count; the board's FP4 figure is 90% of the
 *   full chip's).
 * - GB200 (NVL72): NVIDIA GB200 NVL72 datasheet: rack totals FP4 1,440 PF, FP8 720 PF, BF16 360 PF (all with
 *   sparsity), 13.4 TB HBM3e at 576 TB/s, NVLink 130 TB/s for 72 GPUs; per GPU dense: FP4 10 PF, FP8 5 PF, BF16
 *   2.5 PF, 186 GB, 8 TB/s, NVLink 1.8 TB/s bidirectional; one NVLink domain of 72 GPUs. Memory as AIC's
 *   `gb200.yaml` counts it: 198,674,743,296 bytes (189,471 MiB as nvidia-smi reports it).
 * - A100 SXM4 80GB: NVIDIA A100 datasheet: BF16 312 TF dense, INT8 624 TOPS, no FP8; 80 GB HBM2e at 2,039 GB/s;
 *   NVLink 600 GB/s bidirectional; 108 SMs.
 * - L40S: NVIDIA L40S datasheet: BF16 362 TF and FP8 733 TF dense (733 / 1,466 with sparsity), 48 GB GDDR6 at
 *   864 GB/s, PCIe Gen4 x16 (64 GB/s bidirectional), no NVLink; 142 SMs. Memory as AIC's `l40s.yaml` counts it:
 *   48,305,799,168 bytes (46,068 MiB).
 *
 * @module
 */
import { InputError, type InputLocation, suggest } from "../../common/errors.ts";
import { own } from "../../common/own.ts";

/** One GPU model's peak figures. */
export interface GpuSpec {
  /** Catalog id (AIC system name), e.g. `h200_sxm`. */
  readonly id: string;
  /** Marketing name. */
  readonly name: string;
  /** Architecture generation; selects fitted efficiencies for GPUs without measured tables. */
  readonly arch: "ampere" | "ada" | "hopper" | "blackwell";
  /** CUDA SM version (80, 89, 90, 100, 103). */
  readonly smVersion: number;
  /** Streaming multiprocessors. */
  readonly smCount: number;
  /** Device memory, bytes. */
  readonly memBytes: number;
  /** Device memory bandwidth, bytes/s. */
  readonly memBw: number;
  /** Dense BF16/FP16 tensor FLOP/s. */
  readonly bf16Flops: number;
  /** Dense FP8 tensor FLOP/s (0: no FP8 tensor cores). */
  readonly fp8Flops: number;
  /** Dense FP4 tensor FLOP/s (0: no FP4 tensor cores). */
  readonly fp4Flops: number;
  /** GPU-to-GPU bandwidth inside the scale-up domain (NVLink, else PCIe), bytes/s per direction. */
  readonly scaleUpBw: number;
  /** GPUs in one scale-up (NVLink) domain. */
  readonly scaleUpSize: number;
  /** Scale-out network bandwidth per GPU, bytes/s per direction. */
  readonly networkBw: number;
  /** Host link bandwidth, bytes/s per direction. */
  readonly pcieBw: number;
}

const TB = 1e12;
const MiB = 1024 ** 2;
const GiB = 1024 * MiB;

/** The GPUs the perf models know, by id. */
export const GPUS: Readonly<Record<string, GpuSpec>> = {
  h100_sxm: {
    id: "h100_sxm",
    name: "NVIDIA H100 SXM5 80GB",
    arch: "hopper",
    smVersion: 90,
    smCount: 132,
    memBytes: 80 * GiB,
    memBw: 3.35 * TB,
    bf16Flops: 989e12,
    fp8Flops: 1978e12,
    fp4Flops: 0,
    scaleUpBw: 450e9,
    scaleUpSize: 8,
    networkBw: 50e9,
    pcieBw: 64e9,
  },
  h200_sxm: {
    id: "h200_sxm",
    name: "NVIDIA H200 SXM 141GB",
    arch: "hopper",
    smVersion: 90,
    smCount: 132,
    memBytes: 141 * GiB,
    memBw: 4.8 * TB,
    bf16Flops: 989e12,
    fp8Flops: 1978e12,
    fp4Flops: 0,
    scaleUpBw: 450e9,
    scaleUpSize: 8,
    networkBw: 50e9,
    pcieBw: 64e9,
  },
  b200_sxm: {
    id: "b200_sxm",
    name: "NVIDIA B200 (HGX) 180GB",
    arch: "blackwell",
    smVersion: 100,
    smCount: 148,
    memBytes: 180 * GiB,
    memBw: 8 * TB,
    bf16Flops: 2250e12,
    fp8Flops: 4500e12,
    fp4Flops: 9000e12,
    scaleUpBw: 900e9,
    scaleUpSize: 8,
    networkBw: 100e9,
    pcieBw: 128e9,
  },
  b300_sxm: {
    id: "b300_sxm",
    name: "NVIDIA B300 (HGX) 288GB",
    arch: "blackwell",
    smVersion: 103,
    smCount: 148,
    memBytes: 275040 * MiB,
    memBw: 8 * TB,
    bf16Flops: 2250e12,
    fp8Flops: 4500e12,
    fp4Flops: 14000e12,
    scaleUpBw: 900e9,
    scaleUpSize: 8,
    networkBw: 100e9,
    pcieBw: 128e9,
  },
  gb200: {
    id: "gb200",
    name: "NVIDIA GB200 (NVL72) 186GB",
    arch: "blackwell",
    smVersion: 100,
    smCount: 148,
    // AIC's gb200.yaml `mem_capacity`: 189,471 MiB as nvidia-smi reports it.
    memBytes: 189471 * MiB,
    memBw: 8 * TB,
    bf16Flops: 2500e12,
    fp8Flops: 5000e12,
    fp4Flops: 10000e12,
    scaleUpBw: 900e9,
    scaleUpSize: 72,
    networkBw: 100e9,
    pcieBw: 128e9,
  },
  a100_sxm: {
    id: "a100_sxm",
    name: "NVIDIA A100 SXM4 80GB",
    arch: "ampere",
    smVersion: 80,
    smCount: 108,
    memBytes: 80 * GiB,
    memBw: 2.039 * TB,
    bf16Flops: 312e12,
    fp8Flops: 0,
    fp4Flops: 0,
    scaleUpBw: 300e9,
    scaleUpSize: 8,
    networkBw: 25e9,
    pcieBw: 32e9,
  },
  l40s: {
    id: "l40s",
    name: "NVIDIA L40S 48GB",
    arch: "ada",
    smVersion: 89,
    smCount: 142,
    // AIC's l40s.yaml `mem_capacity`: 46,068 MiB.
    memBytes: 46068 * MiB,
    memBw: 0.864 * TB,
    bf16Flops: 362e12,
    fp8Flops: 733e12,
    fp4Flops: 0,
    scaleUpBw: 32e9,
    scaleUpSize: 8,
    networkBw: 25e9,
    pcieBw: 32e9,
  },
};

/** Catalog GPU ids, sorted. */
export const GPU_IDS: readonly string[] = Object.keys(GPUS).sort();

/**
 * The catalog entry for a GPU id (AIC system name), or an {@link InputError} listing the valid ids.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gpuSpec } from "./gpus.ts";
 * assert(gpuSpec("h200_sxm").memBw === 4.8e12);
 * ```
 */
export function gpuSpec(id: string, at: InputLocation = {}): GpuSpec {
  const gpu = own(GPUS, id);
  if (gpu) return gpu;
  const hint = suggest(id, GPU_IDS);
  throw new InputError(
    `unknown GPU "${id}"` + (hint ? ` (did you mean ${hint}?)` : "") + `; valid: ${GPU_IDS.join(", ")}`,
    at,
  );
}
