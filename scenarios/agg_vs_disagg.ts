/**
 * Agg vs disagg, the reference's study: the same two GPUs as two aggregated workers or as one prefill and one
 * decode worker, KV router, on an agentic trace at 1×, 2× and 4× its pace. When the build has the planner
 * (issue 4) both variants also autoscale under the same SLA, as in the reference's study.
 *
 * The trace is the Claude Code agentic sessions of kv-cache-tester (`kv-cache-tester:claude-code`): 40 sessions
 * starting 20 s apart, each a closed loop of requests and think times (the speed-up divides the think times).
 * The reference used the Mooncake tool-and-agent trace, which is not in `../shared`; set
 * `DYNOLAB_STUDY_TRACE=mooncake:toolagent` (or any trace) to run on another one.
 *
 * Run: `deno run -A scenarios/agg_vs_disagg.ts [--no-cache] [--quiet]` (prints the table, writes
 * `findings/agg-vs-disagg.{md,html}`).
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

const AGENTIC = "kv-cache-tester:claude-code";
const TRACE = Deno.env.get("DYNOLAB_STUDY_TRACE") ?? AGENTIC;
const SESSIONS = { maxSessions: 40, sessionIntervalMs: 20_000 };
const SLA = { ttftMs: 1500, itlMs: 50 };
const SPEEDUPS = [1, 2, 4];

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
  .trace(TRACE, TRACE === AGENTIC ? SESSIONS : {})
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
    const pct = (x: number, y: number) => `${y >= x ? "+" : ""}${(((y - x) / x) * 100).toFixed(0)} %`;
    lines.push(
      `- **${speed}× pace**: p90 TTFT ${fmt(ra.ttftP90)} ms (agg) vs ${fmt(rd.ttftP90)} ms (disagg, ` +
        `${pct(ra.ttftP90 as number, rd.ttftP90 as number)}); mean ITL ${fmt(ra.itlAvg)} vs ${
          fmt(rd.itlAvg)
        } ms; ` +
        `within the SLA ${pct100(ra.goodputRatio)} vs ${pct100(rd.goodputRatio)} of requests; ` +
        `GPU-hours ${fmt(ra.gpuHours)} vs ${fmt(rd.gpuHours)}.`,
    );
  }
  return lines.join("\n");
}

function pct100(v: unknown): string {
  return typeof v === "number" ? `${(v * 100).toFixed(1)} %` : "—";
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
    "goodputRatio",
    "gpuHours",
    "prefixReuse",
  ]);
  const { html } = await new Findings("Agg vs disagg")
    .text(
      `Two GPUs serve \`${TRACE}\`` + (TRACE === AGENTIC
        ? ` (${SESSIONS.maxSessions} agentic sessions, ` +
          `${SESSIONS.sessionIntervalMs / 1000} s apart)`
        : "") +
        " either as two aggregated workers or as one prefill and one decode worker " +
        `(KV router, default engine and timing model), at ${SPEEDUPS.join("×, ")}× the trace's pace. ` +
        `Goodput counts the requests within TTFT ${SLA.ttftMs} ms and ITL ${SLA.itlMs} ms. ` +
        (plannerAvailable()
          ? "Both variants run the SLA planner in the loop."
          : "This build has no planner, so both fleets are static (the planner variant runs after issue 4)."),
    )
    .text(`## Results\n\n${verdicts(results)}`)
    .table(results, [
      "variant",
      "arrivalSpeedupRatio",
      "ttftP90",
      "itlAvg",
      "e2eP90",
      "goodputRatio",
      "gpuHours",
    ])
    .figure(
      results.compare(["ttftP90", "itlAvg", "goodputRatio", "prefixReuse"]),
      "agg and disagg against arrival speed-up",
    )
    .figure(
      results.timeline({ variant: "disagg", arrivalSpeedupRatio: 2 }),
      "disagg at 2× pace, over time",
    )
    .scenario(study)
    .write();
  console.log(`findings: ${html}`);
}
