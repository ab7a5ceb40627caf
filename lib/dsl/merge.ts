/**
 * Joining shard results into the results of the whole scenario.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { Results } from "./results.ts";

/**
 * Merge the shards of one scenario. Every shard of the same count must be present exactly once and together
 * they must hold every run exactly once; otherwise an {@link InputError} says what is missing.
 */
export function mergeResults(parts: readonly Results[]): Results {
  if (parts.length === 0) throw new InputError("no shard results to merge");
  const first = parts[0];
  const count = first.shard?.count ?? 1;
  const total = first.shard?.totalRuns ?? first.runs.length;
  const seen = new Set<number>();
  for (const p of parts) {
    if (p.scenario !== first.scenario) {
      throw new InputError(`shards of different scenarios: "${first.scenario}" and "${p.scenario}"`);
    }
    if (p.version !== first.version) {
      throw new InputError(`shards of different dynolab versions: ${first.version} and ${p.version}`);
    }
    if ((p.shard?.count ?? 1) !== count || (p.shard?.totalRuns ?? p.runs.length) !== total) {
      throw new InputError("shards of different splits (shard count or number of runs differ)");
    }
    const index = p.shard?.index ?? 0;
    if (seen.has(index)) throw new InputError(`shard ${index}/${count} given twice`);
    seen.add(index);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length) {
    throw new InputError(`missing shard(s) ${missing.map((i) => `${i}/${count}`).join(", ")}`);
  }
  const runs = parts.flatMap((p) => p.runs);
  const indices = new Set(runs.map((r) => r.index));
  if (indices.size !== runs.length || runs.length !== total) {
    throw new InputError(`the shards hold ${indices.size} distinct runs of ${total}`);
  }
  return new Results(first.scenario, runs, null, first.version);
}
