/**
 * The DSL's TypeScript types, derived from the zod schemas so that a misspelled option or sweep parameter is a
 * type error (excess property or not in the union) as well as a run-time error with a suggestion.
 *
 * @module
 */
import type { EngineArgsInput } from "../engine/mod.ts";
import type { PlannerConfigInput } from "../planner/mod.ts";
import type { RouterConfigInput, RouterMode, RouterPolicyInput } from "../router/mod.ts";
import type { SimSpecInput } from "../spec.ts";
import type { z } from "zod";
import type { SyntheticWorkloadSchema, TraceWorkloadSchema } from "../workload/mod.ts";
import type { Camel, CamelKeys } from "./names.ts";

/** Engine options: every engine arg in camelCase, plus the aliases `gpu`, `model`, `backend`, `tp`. */
export type EngineOptions = Partial<CamelKeys<EngineArgsInput>> & {
  /** Alias of `aicSystem` (e.g. `"h200_sxm"`). */
  gpu?: EngineArgsInput["aic_system"];
  /** Alias of `aicModelPath` (e.g. `"nvidia/Llama-3.1-8B-Instruct-FP8"`). */
  model?: EngineArgsInput["aic_model_path"];
  /** Alias of `aicBackend` (e.g. `"vllm"`). */
  backend?: EngineArgsInput["aic_backend"];
  /** Alias of `aicBackendVersion`. */
  backendVersion?: EngineArgsInput["aic_backend_version"];
  /** Alias of `aicTpSize`. */
  tp?: EngineArgsInput["aic_tp_size"];
};

/** `.agg()` options. */
export interface AggOptions {
  /** `--num-workers` (default 1). */
  workers?: number;
}

/** One disaggregated pool: its worker count and its engine args (over those of `.engine()`). */
export type PoolOptions = EngineOptions & {
  /** `--num-prefill-workers` / `--num-decode-workers` (default 1). */
  workers?: number;
};

/** `.disagg()` options. */
export interface DisaggOptions {
  prefill?: PoolOptions;
  decode?: PoolOptions;
  /** dynolab extension: concurrent KV transfers share their prefill rank's link (each DP rank has its own). */
  kvTransferLinkSharing?: boolean;
}

type TraceInput = z.input<typeof TraceWorkloadSchema>;
type SyntheticInput = z.input<typeof SyntheticWorkloadSchema>;

/** `.trace(ref, options)`: the trace keys in camelCase, `blockSize` (tokens per hash id) and `speedup`. */
export type TraceOptions = Partial<Omit<CamelKeys<TraceInput>, "source" | "path" | "traceBlockSize">> & {
  /** Tokens per hash id (`--trace-block-size`). */
  blockSize?: TraceInput["trace_block_size"];
  /** `--arrival-speedup-ratio`. */
  speedup?: number;
};

/** `.synthetic(options)`: the synthetic keys in camelCase, plus `concurrency` (closed loop). */
export type SyntheticOptions = Omit<CamelKeys<SyntheticInput>, "source"> & {
  /** `--replay-concurrency`: closed loop with at most this many requests in flight. */
  concurrency?: number;
};

/** `.router(options)`: the mode and the router config keys in camelCase. */
export type RouterOptions = Partial<CamelKeys<RouterConfigInput>> & {
  mode?: RouterMode;
  /**
   * The router queue's policy classes (`--router-policy-config`): the document (its YAML keys as written), or
   * the path of its YAML file, read when `.router()` is called. KV router only.
   */
  policy?: RouterPolicyInput | string;
  /** The model profile of `policy` to use (`--model-name`); default: the document's root. */
  modelName?: string;
  /** Alias of `routerTemperature`. */
  temperature?: number;
  /**
   * The router-side perf model of `routerPrefillLoadModel: "aic"` (the CLI's `--aic-*` flags): the engine
   * options' `aic*` keys and aliases (`backend`, `gpu`, `model`, `tp`, …).
   */
  aic?: Pick<
    EngineOptions,
    | "backend"
    | "gpu"
    | "model"
    | "backendVersion"
    | "tp"
    | "aicBackend"
    | "aicSystem"
    | "aicModelPath"
    | "aicBackendVersion"
    | "aicSystemsPath"
    | "aicTpSize"
    | "aicMoeTpSize"
    | "aicMoeEpSize"
    | "aicAttentionDpSize"
    | "aicGemmDtype"
    | "aicMoeDtype"
    | "aicFmhaDtype"
    | "aicKvCacheDtype"
    | "aicCommDtype"
    | "aicNextn"
    | "aicNextnAcceptRates"
  >;
};

/** `.sla(options)`: goodput thresholds in ms. */
export type SlaOptions = Partial<CamelKeys<NonNullable<SimSpecInput["sla"]>>>;

/** `.planner(options)`: the planner config keys in camelCase, plus `throughputIntervalS` and `loadIntervalS`. */
export type PlannerOptions = Partial<CamelKeys<PlannerConfigInput>> & {
  /** Alias of `ttftMs` (the reference's `ttft`). */
  ttft?: number;
  /** Alias of `itlMs` (the reference's `itl`). */
  itl?: number;
  /** Alias of `throughputAdjustmentIntervalSeconds`. */
  throughputIntervalS?: number;
  /** Alias of `loadAdjustmentIntervalSeconds`. */
  loadIntervalS?: number;
};

type Prefixed<P extends string, T> = { [K in keyof T as K extends string ? `${P}${K}` : never]: T[K] };
type Required2<T> = { [K in keyof T]-?: NonNullable<T[K]> };

type EngineParams = Required2<EngineOptions>;
type TopologyParams = {
  workers: number;
  numWorkers: number;
  prefillWorkers: number;
  numPrefillWorkers: number;
  decodeWorkers: number;
  numDecodeWorkers: number;
  kvTransferLinkSharing: boolean;
};
type RunParams =
  & Required2<
    CamelKeys<
      Omit<SimSpecInput, "workload" | "topology" | "router" | "sla" | "planner">
    >
  >
  & { speedup: number; concurrency: number };
type RouterParams = Required2<CamelKeys<RouterConfigInput>> & { routerMode: RouterMode; temperature: number };
type SlaParams = { slaTtftMs: number; slaItlMs: number; slaE2eMs: number };
type TraceParams = {
  [
    K in keyof Omit<TraceInput, "source"> as K extends `trace_${string}` ? Camel<K & string>
      : `trace${Capitalize<Camel<K & string>>}`
  ]-?: NonNullable<TraceInput[K]>;
};
type SyntheticParams = Required2<Omit<CamelKeys<SyntheticInput>, "source">>;
// `backend` is the engine's alias of `aicBackend`; the planner's is `planner.backend`.
type PlannerParams = Required2<Omit<CamelKeys<PlannerConfigInput>, "mode" | "backend">> & {
  throughputIntervalS: number;
  loadIntervalS: number;
  plannerMode: NonNullable<PlannerConfigInput["mode"]>;
};
type DottedParams =
  & Prefixed<"engine.", EngineParams>
  & Prefixed<"prefill.", EngineParams>
  & Prefixed<"decode.", EngineParams>
  & Prefixed<"router.", Required2<CamelKeys<RouterConfigInput>> & { mode: RouterMode }>
  & Prefixed<"sla.", Required2<SlaOptions>>
  & Prefixed<"workload.", Required2<Omit<CamelKeys<TraceInput>, "source">> & SyntheticParams>
  & Prefixed<"planner.", Required2<CamelKeys<PlannerConfigInput>>>;

type Scopes = [
  EngineParams,
  TopologyParams,
  RunParams,
  RouterParams,
  SlaParams,
  TraceParams,
  SyntheticParams,
  PlannerParams,
];
type Pairwise<T extends unknown[]> = T extends [infer H, ...infer R]
  ? (keyof H & { [I in keyof R]: keyof R[I] }[number]) | Pairwise<R>
  : never;
/** Flat names that two scopes share: use the dotted form instead. */
export type AmbiguousParam = Pairwise<Scopes>;

type FlatParams =
  & EngineParams
  & TopologyParams
  & RunParams
  & RouterParams
  & SlaParams
  & TraceParams
  & SyntheticParams
  & PlannerParams;

/** Every parameter `.set()` and `.sweep()` accept, with its value type. */
export type ParamTypes = Omit<FlatParams, AmbiguousParam> & DottedParams;

/** A parameter name (flat, dotted or alias). */
export type ParamName = keyof ParamTypes & string;

/** The value type of parameter `P`. */
export type ParamValue<P extends ParamName> = ParamTypes[P];

/** A sweep value as stored in results (numbers, strings, booleans). */
export type Scalar = number | string | boolean;
