/**
 * Agg vs disagg, the reference's study: the same two GPUs as two aggregated workers or as one prefill and one
 * decode worker, KV router, at 0.5× to 1.25× the trace's arrival rate. When the build has the planner
 * (issue 4) both variants also autoscale under the same SLA, as in the reference's study.
 *
 * Run: `deno run -A scenarios/agg_vs_disagg.ts [--no-cache] [--quiet]` (prints the table, writes
 * `findings/agg-vs-disagg.{md,html}`). The trace is `$DYNOLAB_STUDY_TRACE` (default `mooncake:conversation`;
 * the reference used the Mooncake tool-and-agent trace, `mooncake:toolagent`, not shipped in `../shared`).
 *
 * @module
 */
import {
  Findings,
  plannerAvailable,
  type Results,
  runOptionsFromArgs,
  type Scenario,
  scenario,
} from "../mod.ts";

const TRACE = Deno.env.get("DYNOLAB_STUDY_TRACE") ?? "mooncake:conversation";
const SLA = { ttftMs: 1500, itlMs: 50 };
const SPEEDUPS = [0.5, 0.75, 1, 1.25];

function withPlanner(s: Scenario): Scenario {
  if (!plannerAvailable()) return s;
  return s.planner({
    optimizationTarget: "sla",
    ...SLA,
    enableThroughputScaling: true,
    enableLoadScaling: true,
    throughputIntervalS: 300,
    loadIntervalS: 10,
  });
}

/** Agg (2 workers) vs disagg (1 prefill + 1 decode) × arrival speed-up. */
const study: Scenario = scenario("agg vs disagg")
  .trace(TRACE)
  .router("kv_router")
  .sla(SLA)
  .compare({
    agg: (s) => withPlanner(s.agg({ workers: 2 })),
    disagg: (s) => withPlanner(s.disagg({ prefill: { workers: 1 }, decode: { workers: 1 } })),
  })
  .sweep("arrivalSpeedupRatio", SPEEDUPS);
export default study;

/** Sentences comparing the variants at each load, from the results. */
function verdicts(results: Results): string {
  const lines: string[] = [];
  for (const speed of SPEEDUPS) {
    const a = results.get({ variant: "agg", arrivalSpeedupRatio: speed });
    const d = results.get({ variant: "disagg", arrivalSpeedupRatio: speed });
    const row = (r: typeof a) => results.rows[r.index];
    const [ra, rd] = [row(a), row(d)];
    const pct = (x: number, y: number) => `${(((y - x) / x) * 100).toFixed(0)} %`;
    lines.push(
      `- **${speed}× load**: p90 TTFT ${fmt(ra.ttftP90)} ms (agg) vs ${fmt(rd.ttftP90)} ms (disagg, ` +
        `${pct(ra.ttftP90 as number, rd.ttftP90 as number)}); mean ITL ${fmt(ra.itlAvg)} vs ${
          fmt(rd.itlAvg)
        } ms; ` +
        `goodput ${fmt(ra.goodput)} vs ${fmt(rd.goodput)} req/s; GPU-hours ${fmt(ra.gpuHours)} vs ${
          fmt(rd.gpuHours)
        }.`,
    );
  }
  return lines.join("\n");
}

function fmt(v: unknown): string {
  return typeof v === "number" ? Number(v.toPrecision(3)).toLocaleString("en-US") : "—";
}

if (import.meta.main) {
  const results = await study.run(runOptionsFromArgs());
  results.table([
    "variant",
    "arrivalSpeedupRatio",
    "ttftP90",
    "itlAvg",
    "e2eP90",
    "goodput",
    "gpuHours",
    "prefixReuse",
  ]);
  const { html } = await new Findings("Agg vs disagg")
    .text(
      `Two GPUs serve \`${TRACE}\` either as two aggregated workers or as one prefill and one decode worker ` +
        `(KV router, default engine and timing model), at ${
          SPEEDUPS.join("×, ")
        }× the trace's arrival rate. ` +
        `Goodput counts requests within TTFT ${SLA.ttftMs} ms and ITL ${SLA.itlMs} ms. ` +
        (plannerAvailable()
          ? "Both variants run the SLA planner in the loop."
          : "This build has no planner, so both fleets are static (the planner variant runs after issue 4)."),
    )
    .text(`## Results\n\n${verdicts(results)}`)
    .table(results, ["variant", "arrivalSpeedupRatio", "ttftP90", "itlAvg", "e2eP90", "goodput", "gpuHours"])
    .figure(
      results.compare(["ttftP90", "itlAvg", "goodput", "gpuHours"]),
      "agg and disagg against arrival speed-up",
    )
    .figure(
      results.timeline({ variant: "agg", arrivalSpeedupRatio: 1 }),
      "agg at the trace's own rate, over time",
    )
    .scenario(study)
    .write();
  console.log(`findings: ${html}`);
}
