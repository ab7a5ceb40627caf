/**
 * Naming: the DSL's camelCase parameter names, derived mechanically from the snake_case keys of the zod schemas
 * (engine args, router config, workload sources, goodput SLA, planner config when the build has one), plus a
 * small table of friendly aliases. Types and runtime follow the same rules, so a new schema key becomes a DSL
 * parameter without touching this file.
 *
 * @module
 */

/** `snake_case` → `camelCase`, at the type level. */
export type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

/** An object type with its keys camelCased. */
export type CamelKeys<T> = { [K in keyof T as K extends string ? Camel<K> : never]: T[K] };

/**
 * `snake_case` → `camelCase`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { camel } from "./names.ts";
 * assert(camel("throughput_adjustment_interval_seconds") === "throughputAdjustmentIntervalSeconds");
 * assert(camel("aic_tp_size") === "aicTpSize");
 * ```
 */
export function camel(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * `camelCase` → `snake_case` (the inverse of {@link camel} for schema keys).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { snake } from "./names.ts";
 * assert(snake("startupTime") === "startup_time");
 * ```
 */
export function snake(camelName: string): string {
  return camelName.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `ttftMs` → `TtftMs`. */
export function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** The spec's pools as the DSL's dotted names call them. */
const POOL_SCOPES: Readonly<Record<string, string>> = {
  engine: "engine",
  prefill_engine: "prefill",
  decode_engine: "decode",
};

/**
 * A spec field path as the DSL names it: `spec.topology.engine.startup_time` → `engine.startupTime`,
 * `spec.planner.ttft_ms` → `planner.ttftMs`, `spec.topology.num_workers` → `numWorkers`,
 * `spec.router.config.overlap_score_credit` → `router.overlapScoreCredit`; anything else camelCased.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dslField } from "./names.ts";
 * assert.equal(dslField("spec.topology.engine.startup_time"), "engine.startupTime");
 * assert.equal(dslField("spec.topology.decode_engine.num_gpu_blocks"), "decode.numGpuBlocks");
 * assert.equal(dslField("spec.topology.num_workers"), "numWorkers");
 * assert.equal(dslField("spec.planner.ttft_ms"), "planner.ttftMs");
 * assert.equal(dslField("spec.router.config.overlap_score_credit"), "router.overlapScoreCredit");
 * ```
 */
export function dslField(field: string): string {
  const path = field.replace(/^spec\./, "").split(".");
  if (path[0] === "topology") {
    const pool = POOL_SCOPES[path[1]];
    return pool && path.length > 2
      ? [pool, ...path.slice(2).map(camel)].join(".")
      : path.slice(1).map(camel).join(".");
  }
  if (path[0] === "router" && path[1] === "config") return ["router", ...path.slice(2).map(camel)].join(".");
  return path.map(camel).join(".");
}
