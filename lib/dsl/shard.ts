/**
 * Sharding a sweep over a batch system: shard `i` of `n` (0-based) runs the scenario's runs whose index is
 * `i` modulo `n`, so shards get a similar mix of cheap and expensive points. The shard comes from
 * `--shard i/n`, from a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`, with the count from `--shard-count`
 * or `DYNOLAB_SHARD_COUNT`), or from a Slurm job array (`SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN` of
 * `SLURM_ARRAY_TASK_COUNT`).
 *
 * @module
 */
import { InputError } from "../common/errors.ts";

/** Shard `index` of `count`, 0 ≤ index < count. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/**
 * Parse `"i/n"` (0-based `i`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseShard } from "./shard.ts";
 * const s = parseShard("2/4");
 * assert(s.index === 2 && s.count === 4);
 * ```
 */
export function parseShard(text: string, field = "--shard"): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new InputError(`expected i/n (0-based shard i of n), got "${text}"`, { field });
  return checkShard(Number(m[1]), Number(m[2]), field);
}

function checkShard(index: number, count: number, field: string): Shard {
  if (!Number.isInteger(count) || count < 1) {
    throw new InputError(`shard count must be ≥ 1, got ${count}`, { field });
  }
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new InputError(`shard index must be in 0…${count - 1} (0-based), got ${index}`, { field });
  }
  return { index, count };
}

/**
 * The shard a batch system assigned through the environment, or undefined. `count` overrides the count for a
 * Kubernetes Indexed Job (which does not export it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shardFromEnv } from "./shard.ts";
 * const env = { SLURM_ARRAY_TASK_ID: "5", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_COUNT: "8" };
 * const s = shardFromEnv((k) => env[k as keyof typeof env]);
 * assert(s?.index === 4 && s?.count === 8);
 * ```
 */
export function shardFromEnv(get: (name: string) => string | undefined, count?: number): Shard | undefined {
  const k8s = get("JOB_COMPLETION_INDEX");
  if (k8s !== undefined) {
    const n = count ?? numberOf(get("DYNOLAB_SHARD_COUNT"));
    if (n === undefined) {
      throw new InputError(
        "JOB_COMPLETION_INDEX is set but the shard count is unknown: pass --shard-count N " +
          "(the Job's completions) or set DYNOLAB_SHARD_COUNT",
        { field: "--shard-count" },
      );
    }
    return checkShard(indexOf(k8s, "JOB_COMPLETION_INDEX"), n, "JOB_COMPLETION_INDEX");
  }
  const slurm = get("SLURM_ARRAY_TASK_ID");
  if (slurm !== undefined) {
    const n = count ?? numberOf(get("SLURM_ARRAY_TASK_COUNT"));
    if (n === undefined) {
      throw new InputError("SLURM_ARRAY_TASK_COUNT is not set", { field: "--shard-count" });
    }
    const index = indexOf(slurm, "SLURM_ARRAY_TASK_ID") - (numberOf(get("SLURM_ARRAY_TASK_MIN")) ?? 0);
    return checkShard(index, n, "SLURM_ARRAY_TASK_ID");
  }
  return undefined;
}

function numberOf(text: string | undefined): number | undefined {
  return text === undefined || text === "" ? undefined : Number(text);
}

/** An index variable's value as a number; an empty one is an error (`Number("")` would read it as 0). */
function indexOf(text: string, name: string): number {
  if (text.trim() === "") throw new InputError("is set but empty", { field: name });
  return Number(text);
}

/** The items of `shard`: those whose `index` is `shard.index` modulo `shard.count`. */
export function selectShard<T extends { readonly index: number }>(items: readonly T[], shard: Shard): T[] {
  return items.filter((r) => r.index % shard.count === shard.index);
}
