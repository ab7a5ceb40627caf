/**
 * The smallest fleet that holds the SLA, found by parallel bisection: for each router, the fewest aggregated
 * workers whose p90 TTFT and mean ITL stay within the SLA when the conversation trace arrives 4× faster. The
 * reference answers this with one command per fleet size and a person reading the reports; here each router
 * takes a handful of rounds of parallel probes, all cached. The trace's timestamps are quantised to 3 s
 * steps; each router's search also runs with them spread over their steps (a ±375 ms arrival jitter at 4×),
 * once per seed of five.
 *
 * Run: `deno run -A scenarios/smallest_fleet.ts [--no-cache] [--quiet]`. Writes
 * `findings/smallest-fleet.{md,html}`.
 *
 * @module
 */
import {
  extent,
  Findings,
  findSmallest,
  formatCount,
  formatFixed,
  formatSpan,
  quantisedSteps,
  REPLICAS,
  Results,
  type Row,
  type RunOptions,
  runOptionsFromArgs,
  type Scenario,
  scenario,
  type SearchResult,
  spreadJitterMs,
} from "../mod.ts";

const SLA = { ttftMs: 1000, itlMs: 40 };
const SPEEDUP = 4;
const ROUTERS = ["round_robin", "kv_router"] as const;
/** The trace: its timestamps are quantised ({@link quantisedSteps}). */
const TRACE = "mooncake:conversation";
/** The jitter `spread_arrival_steps` gives the trace here (half its timestamp step), for the prose. */
const SPREAD_MS = spreadJitterMs(TRACE, SPEEDUP);
/** The seeds of the spread searches: the DSL's replication seeds ({@link REPLICAS}). */
const SEEDS = REPLICAS.seeds;
const holds = (row: Row) => (row.ttftP90 as number) <= SLA.ttftMs && (row.itlAvg as number) <= SLA.itlMs;

/** The fleet under test (workers are searched). */
export const fleet = scenario("smallest fleet")
  .trace(TRACE, { speedup: SPEEDUP })
  .agg({})
  .sla(SLA);

/** The smallest fleet of 1–32 workers behind `router` (`s`: {@link fleet}, or it with a seed of spread steps). */
const search = (s: Scenario, options: RunOptions): Promise<SearchResult> =>
  findSmallest(s, "workers", 1, 32, holds, options);

/** What runs (of one fleet size) miss the SLA by: the figures over their targets, as ranges. */
function misses(rows: Row[]): string {
  const over = (key: string, target: number) => rows.filter((r) => (r[key] as number) > target);
  const [ttft, itl] = [over("ttftP90", SLA.ttftMs), over("itlAvg", SLA.itlMs)];
  return [
    ttft.length ? `p90 TTFT ${formatSpan(extent(ttft, "ttftP90"))} ms` : "",
    itl.length ? `mean ITL ${formatSpan(extent(itl, "itlAvg"), (v) => formatFixed(v, 1))} ms` : "",
  ].filter(Boolean).join(" and ");
}

/**
 * The smallest fleet the searches in `results` agree on (all of them, or one), and what the fleet one worker
 * smaller misses the SLA by in each; each search's answer where they disagree.
 */
function verdict(results: SearchResult[]): string {
  const values = [...new Set(results.map((r) => r.value))];
  if (values.length > 1) return `${values.map((v) => v ?? "none ≤ 32").join(", ")} workers by seed`;
  const value = values[0];
  if (value === null) return "no fleet of up to 32 workers";
  const below = results.map((r) => r.probes.rows.find((row) => row.workers === value - 1)).filter((r) => !!r);
  return below.length ? `${value} workers (${value - 1} miss it by ${misses(below)})` : `${value} workers`;
}

/**
 * Per router, the smallest fleet with the steps spread, over every seed, against the search on the trace as
 * recorded (`asIs`).
 */
function spreadSummary(
  spread: ReadonlyArray<{ router: string; bySeed: SearchResult[] }>,
  asIs: ReadonlyArray<{ router: string; result: SearchResult }>,
): string {
  const lines = spread.map(({ router, bySeed }, k) =>
    `- **${router}**: ${verdict(bySeed)}; ${asIs[k].result.value ?? "none ≤ 32"} with the steps as recorded`
  );
  const how = `\`spread_arrival_steps\`: ±${formatCount(SPREAD_MS)} ms at ${SPEEDUP}×, seeds ${
    SEEDS.join(", ")
  }`;
  return `${quantisedSteps(TRACE)}. Spread over their steps (${how}), the searches find:\n\n${
    lines.join("\n")
  }`;
}

if (import.meta.main) {
  const options = runOptionsFromArgs();
  const found: Array<{ router: string; result: SearchResult }> = [];
  const spread: Array<{ router: string; bySeed: SearchResult[] }> = [];
  for (const router of ROUTERS) {
    const result = await search(fleet.router(router), options);
    found.push({ router, result });
    console.log(
      `${router}: smallest fleet ${
        result.value ?? "none ≤ 32"
      } (${result.probes.runs.length} probes, ${result.rounds} rounds)`,
    );
    const bySeed: SearchResult[] = [];
    for (const seed of SEEDS) {
      bySeed.push(await search(fleet.router(router).set({ spreadArrivalSteps: true, seed }), options));
    }
    spread.push({ router, bySeed });
    console.log(`${router}, steps spread: ${bySeed.map((r) => r.value ?? "none ≤ 32").join(", ")}`);
  }
  // All probes, as one results table with the router as the variant.
  const probes = new Results(
    "smallest fleet",
    found.flatMap((f, k) =>
      f.result.probes.runs.map((run) => ({ ...run, variant: f.router, index: k * 1000 + run.index }))
    ),
  );
  probes.table(["variant", "workers", "ttftP90", "itlAvg", "gpuHours", "prefixReuse"]);
  const lines = found.map(({ router, result }) =>
    `- **${router}**: ${
      verdict([result])
    }; ${result.probes.runs.length} simulations in ${result.rounds} rounds ` +
    "of parallel probes"
  );
  const { html } = await new Findings("Smallest fleet")
    .text(
      `The Mooncake conversation trace at ${SPEEDUP}× its arrival rate; SLA: p90 TTFT ≤ ${SLA.ttftMs} ms and ` +
        `mean ITL ≤ ${SLA.itlMs} ms. Parallel bisection over 1–32 aggregated workers, per router.`,
    )
    .text(`## Smallest fleet holding the SLA\n\n${lines.join("\n")}`)
    .text(`### The trace's steps spread\n\n${spreadSummary(spread, found)}`)
    .table(probes, ["variant", "workers", "ttftP90", "itlAvg", "gpuHours", "prefixReuse"], "every probe")
    .figure(probes.plot("workers", ["ttftP90", "itlAvg", "gpuHours"]), "probed fleets per router")
    .scenario(fleet.router("kv_router"))
    .write();
  console.log(`findings: ${html}`);
}
