/**
 * Searching a parameter instead of sweeping it: the smallest integer value for which a condition on the run's
 * metrics holds (the smallest fleet that meets an SLA, the least KV capacity that keeps prefix reuse, …),
 * assuming the condition stays true above that value. Each round probes as many points as there are cores, in
 * parallel, so the interval shrinks by a factor of (probes + 1) per round; probes go through the result cache.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { lookupParam } from "./params.ts";
import { Results, type Row, type RunResult } from "./results.ts";
import { defaultParallelism, printWarnings, type RunOptions } from "./run.ts";
import type { Scenario } from "./scenario.ts";
import type { ParamName } from "./types.ts";

/** Options of {@link findSmallest}. */
export interface SearchOptions extends RunOptions {
  /** Points probed per round (default: the parallelism, at least 1). */
  readonly probesPerRound?: number;
}

/** The outcome of a search. */
export interface SearchResult {
  /** The smallest value that holds, or null when even `hi` fails. */
  readonly value: number | null;
  /** Every probed run, sorted by the parameter. */
  readonly probes: Results;
  /** Rounds of parallel probes. */
  readonly rounds: number;
}

/**
 * The smallest integer `param` in `[lo, hi]` whose run satisfies `holds`, by parallel bisection. A run that
 * completed no request (all rejected, or cut off by `maxSimTimeSeconds`) never holds.
 *
 * @example
 * ```ts ignore
 * import { findSmallest, scenario } from "../../mod.ts";
 * const fleet = await findSmallest(scenario("fleet").trace("mooncake:conversation").agg({}), "workers", 1, 32,
 *   (row) => (row.ttftP90 as number) <= 1000);
 * console.log(fleet.value);
 * ```
 */
export async function findSmallest(
  s: Scenario,
  param: ParamName,
  lo: number,
  hi: number,
  holds: (row: Row) => boolean,
  options: SearchOptions = {},
): Promise<SearchResult> {
  lookupParam(param, "findSmallest()");
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo > hi) {
    throw new InputError(`expected integers lo ≤ hi, got ${lo} and ${hi}`, { field: "findSmallest()" });
  }
  if (s.sweeps.length || s.variants) {
    throw new InputError("search a scenario without sweeps or variants", { field: "findSmallest()" });
  }
  if (options.shard) {
    throw new InputError(
      "a search cannot be sharded: each round's probes depend on the last round's results",
      {
        field: "findSmallest()",
      },
    );
  }
  const k = Math.max(1, options.probesPerRound ?? options.parallelism ?? defaultParallelism());
  const probed = new Map<number, RunResult & { ok: boolean }>();
  const probe = async (values: number[]) => {
    const fresh = values.filter((v) => !probed.has(v));
    if (!fresh.length) return;
    const results = await s.sweep(param, fresh as never).run({ ...options, warnings: false });
    // A run that served nothing meets no condition: its latencies are null, which `<=` would take as 0.
    results.rows.forEach((row, i) =>
      probed.set(fresh[i], { ...results.runs[i], ok: (row.completed as number) > 0 && holds(row) })
    );
  };
  let rounds = 1;
  await probe(lo === hi ? [lo] : [lo, hi]);
  let value: number | null = null;
  if (probed.get(lo)!.ok) value = lo;
  else if (probed.get(hi)!.ok) {
    let bad = lo, good = hi;
    while (good - bad > 1) {
      const gap = good - bad, count = Math.min(k, gap - 1);
      const points = Array.from({ length: count }, (_, i) => bad + Math.round(((i + 1) * gap) / (count + 1)));
      await probe([...new Set(points)]);
      rounds++;
      for (const p of [...new Set(points)].sort((a, b) => a - b)) {
        if (probed.get(p)!.ok) {
          good = p;
          break;
        }
        bad = p;
      }
    }
    value = good;
  }
  const runs = [...probed.entries()].sort(([a], [b]) => a - b).map(([, { ok: _, ...run }], index) => ({
    ...run,
    index,
  }));
  // Once for the whole search, not once a round.
  if (options.warnings !== false) printWarnings(runs);
  return { value, probes: new Results(s.name, runs), rounds };
}
