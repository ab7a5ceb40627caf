/**
 * The smallest fleet that holds the SLA, found by parallel bisection: for each router, the fewest aggregated
 * workers whose p90 TTFT and mean ITL stay within the SLA when the conversation trace arrives 4× faster. The
 * reference answers this with one command per fleet size and a person reading the reports; here each router
 * takes a handful of rounds of parallel probes, all cached.
 *
 * Run: `deno run -A scenarios/smallest_fleet.ts [--no-cache] [--quiet]`. Writes
 * `findings/smallest-fleet.{md,html}`.
 *
 * @module
 */
import { Findings, findSmallest, Results, type Row, runOptionsFromArgs, scenario } from "../mod.ts";

const SLA = { ttftMs: 1000, itlMs: 40 };
const SPEEDUP = 4;
const holds = (row: Row) => (row.ttftP90 as number) <= SLA.ttftMs && (row.itlAvg as number) <= SLA.itlMs;

/** The fleet under test (workers are searched). */
export const fleet = scenario("smallest fleet")
  .trace("mooncake:conversation", { speedup: SPEEDUP })
  .agg({})
  .sla(SLA);

if (import.meta.main) {
  const options = runOptionsFromArgs();
  const found: Array<{ router: string; workers: number | null; rounds: number; probes: Results }> = [];
  for (const router of ["round_robin", "kv_router"] as const) {
    const r = await findSmallest(fleet.router(router), "workers", 1, 32, holds, options);
    found.push({ router, workers: r.value, rounds: r.rounds, probes: r.probes });
    console.log(
      `${router}: smallest fleet ${
        r.value ?? "none ≤ 32"
      } (${r.probes.runs.length} probes, ${r.rounds} rounds)`,
    );
  }
  // All probes, as one results table with the router as the variant.
  const probes = new Results(
    "smallest fleet",
    found.flatMap((f, k) =>
      f.probes.runs.map((run) => ({ ...run, variant: f.router, index: k * 1000 + run.index }))
    ),
  );
  probes.table(["variant", "workers", "ttftP90", "itlAvg", "gpuHours", "prefixReuse"]);
  const lines = found.map((f) =>
    `- **${f.router}**: ${f.workers === null ? "no fleet of up to 32 workers" : `${f.workers} workers`} ` +
    `(${f.probes.runs.length} simulations in ${f.rounds} rounds of parallel probes)`
  );
  const { html } = await new Findings("Smallest fleet")
    .text(
      `The Mooncake conversation trace at ${SPEEDUP}× its arrival rate; SLA: p90 TTFT ≤ ${SLA.ttftMs} ms and ` +
        `mean ITL ≤ ${SLA.itlMs} ms. Parallel bisection over 1–32 aggregated workers, per router.`,
    )
    .text(`## Smallest fleet holding the SLA\n\n${lines.join("\n")}`)
    .table(probes, ["variant", "workers", "ttftP90", "itlAvg", "gpuHours", "prefixReuse"], "every probe")
    .figure(probes.plot("workers", ["ttftP90", "itlAvg", "gpuHours"]), "probed fleets per router")
    .scenario(fleet.router("kv_router"))
    .write();
  console.log(`findings: ${html}`);
}
