/**
 * Shapes of the fitted coefficients (`coefficients.ts`, written by `fit.ts`).
 *
 * @module
 */
import type {
  CommCoef,
  ContextAttentionCoef,
  GemmCoef,
  GenerationAttentionCoef,
  MoeCoef,
} from "../analytic/efficiency.ts";
import type { MlaCoef } from "../analytic/mla.ts";
import type { LinearAttentionCoef } from "../analytic/linear_attention.ts";

/** Curves fitted to one system × backend × version. */
export interface BackendCoefficients {
  /**
   * `system/backend/version` the curves were fitted to, then the MoE formats taken from other versions (an older
   * table where the newest is a collector regression; the Triton curves' tables).
   */
  readonly source: string;
  /** GEMM curves by weight format. */
  readonly gemm: Readonly<Record<string, GemmCoef>>;
  /** Context attention by `kvDtype/headDim`. */
  readonly contextAttention: Readonly<Record<string, ContextAttentionCoef>>;
  /** Generation attention by `kvDtype/headDim`. */
  readonly generationAttention: Readonly<Record<string, GenerationAttentionCoef>>;
  /** MoE by expert format. */
  readonly moe: Readonly<Record<string, MoeCoef>>;
  /**
   * MoE on vLLM's Triton fused-MoE kernel (`moe_backend: triton`) by expert format, for the formats whose `moe`
   * curve prices another kernel (elsewhere `moe` is the Triton kernel already).
   */
  readonly moeTriton: Readonly<Record<string, MoeCoef>>;
  /** Custom all-reduce by GPU count. */
  readonly allReduce: Readonly<Record<string, CommCoef>>;
  /** MLA context module by `kvDtype/gemmDtype`. */
  readonly mlaContext: Readonly<Record<string, MlaCoef>>;
  /** MLA generation module by `kvDtype/gemmDtype`. */
  readonly mlaGeneration: Readonly<Record<string, MlaCoef>>;
  /** Gated-DeltaNet linear attention by phase (`context`, `generation`). */
  readonly linearAttention: Readonly<Record<string, LinearAttentionCoef>>;
}

/** Curves of one system (GPU). */
export interface SystemCoefficients {
  /** NCCL collectives by `op/gpus` (framework-independent). */
  readonly nccl: Readonly<Record<string, CommCoef>>;
  readonly backends: Readonly<Record<string, BackendCoefficients>>;
}

/** Every fitted system. */
export type CoefficientTable = Readonly<Record<string, SystemCoefficients>>;
