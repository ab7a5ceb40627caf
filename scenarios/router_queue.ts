/**
 * The KV router's queue under overload: should requests wait at the router (`router_queue_threshold`) instead
 * of queueing at the engines, and in which order should they leave it? The conversation trace arrives 2×
 * faster than recorded on 4 aggregated workers with the KV router; the queue's threshold is swept for the
 * `fcfs` and `wspt` policies (16 is the reference's newest default), with and without the AIC prefill-load
 * model, against the same fleet with no queue (its default before late 2026). The best queue and no queue also
 * run within 1 % of the pace, five times
 * with a ±1 ms arrival jitter and five with a ±750 ms one, which spreads the trace's quantised 3 s timestamp
 * steps (1.5 s at 2×) over each step.
 *
 * Timing: the `aic_*` engine args (vLLM, h200_sxm, Llama-3.1-8B-Instruct-FP8), i.e. the analytic perf model;
 * the router's own perf model, for the AIC prefill-load model, is the same.
 *
 * Run: `deno run -A scenarios/router_queue.ts [--no-cache] [--quiet]` (writes `findings/router-queue.{md,html}`).
 *
 * @module
 */
import {
  around,
  compareBands,
  Findings,
  formatCount,
  formatSpan,
  quantisedSteps,
  REPLICAS,
  replicate,
  type Results,
  type Row,
  runOptionsFromArgs,
  type Scenario,
  scenario,
  spreadJitterMs,
} from "../mod.ts";

/** The trace: its timestamps are quantised ({@link quantisedSteps}). */
const TRACE = "mooncake:conversation";

const AIC = { backend: "vllm", gpu: "h200_sxm", model: "nvidia/Llama-3.1-8B-Instruct-FP8" };
const SPEEDUP = 2;
const COLUMNS = [
  "variant",
  "routerQueueThreshold",
  "ttftAvg",
  "ttftP50",
  "ttftP90",
  "ttftP99",
  "routerQueueShare",
  "routerQueueWaitAvg",
  "prefixReuse",
];

/** The fleet: no queue, as the reference's default before late 2026. */
export const fleet = scenario("router queue")
  .trace(TRACE, { speedup: SPEEDUP })
  .engine(AIC)
  .agg({ workers: 4 })
  .router({ mode: "kv_router", routerQueueThreshold: null });

/** The queue's policies, with and without the AIC prefill-load model. */
const QUEUES: Record<string, (s: Scenario) => Scenario> = {
  fcfs: (s) => s.router({ routerQueuePolicy: "fcfs" }),
  wspt: (s) => s.router({ routerQueuePolicy: "wspt" }),
  "wspt + AIC load": (s) => s.router({ routerQueuePolicy: "wspt", routerPrefillLoadModel: "aic", aic: AIC }),
};

/** The queue's threshold swept per policy. */
const study = fleet.compare(QUEUES).sweep("routerQueueThreshold", [0, 0.5, 1, 2, 4, 16]);
export default study;

/** The paces within 1 % of the study's. */
const PACES = around(SPEEDUP, 0.01);
/** The variant name of the best queue in the band. */
const BEST = "best queue";

/** The replications' seeds and arrival jitter: the DSL's defaults ({@link REPLICAS}). */
const { seeds: SEEDS, jitterMs: JITTER_MS } = REPLICAS;

/** The fleet without a queue and with the queue `policy` at `threshold`. */
const pair = (policy: string, threshold: number): Scenario =>
  fleet.compare({
    "no queue": (s) => s,
    [BEST]: (s) => QUEUES[policy](s).set({ routerQueueThreshold: threshold }),
  });
/** {@link pair} at every pace of {@link PACES}. */
const band = (policy: string, threshold: number): Scenario =>
  pair(policy, threshold).sweep("arrivalSpeedupRatio", PACES);
/** {@link pair} at the study's pace, once per seed of {@link SEEDS}. */
const replicas = (policy: string, threshold: number): Scenario => replicate(pair(policy, threshold));
/** The jitter `spread_arrival_steps` gives the trace here (half its timestamp step), for the prose. */
const SPREAD_MS = spreadJitterMs(TRACE, SPEEDUP);
/** {@link replicas} with the trace's quantised steps spread ({@link SPREAD_MS}). */
const spread = (policy: string, threshold: number): Scenario =>
  replicate(pair(policy, threshold), { spread: true });

/** The run with the lowest mean TTFT of the sweep. */
const bestOf = (results: Results): Row =>
  results.rows.reduce((a, b) => (b.ttftAvg as number) < (a.ttftAvg as number) ? b : a);

/** What the sweep shows against the fleet without a queue. */
function summary(base: Results, results: Results): string {
  const none = base.rows[0];
  const best = bestOf(results);
  const pct = (v: number) => `${v > 0 ? "+" : ""}${(100 * v).toFixed(1)}%`;
  return `Without a queue, mean TTFT is ${formatCount(none.ttftAvg)} ms (p90 ${
    formatCount(none.ttftP90)
  } ms). The best queue is ` +
    `${best.variant} at threshold ${best.routerQueueThreshold}: mean TTFT ${formatCount(best.ttftAvg)} ms ` +
    `(${pct((best.ttftAvg as number) / (none.ttftAvg as number) - 1)}), p90 ${
      formatCount(best.ttftP90)
    } ms, with ` +
    `${(100 * (best.routerQueueShare as number)).toFixed(0)}% of requests waiting at the router.`;
}

/**
 * Whether the best queue's gain over no queue holds within 1 % of the pace (`nearby`: its {@link band}'s rows),
 * by more than chance at the pace (`replicated`: its {@link replicas}' rows) and with the trace's steps spread
 * (`spreadOut`: its {@link spread}'s rows).
 */
function bandSummary(nearby: Row[], replicated: Row[], spreadOut: Row[], best: Row): string {
  const line = (rows: Row[], by: string, values: readonly number[], key: string, label: string) => {
    const c = compareBands(rows, key, by, values, { variant: BEST }, { variant: "no queue" });
    const verdict = c.order === "overlaps"
      ? `ranges overlapping; the queue lower in ${c.aLower} of ${c.count}`
      : c.order === "above"
      ? "lower with the queue throughout"
      : "higher with the queue throughout";
    return `${label} ${formatSpan(c.a)} ms with the queue against ${formatSpan(c.b)} ms without (${verdict})`;
  };
  const both = (rows: Row[], by: string, values: readonly number[]) =>
    `${line(rows, by, values, "ttftAvg", "mean TTFT")}; ${line(rows, by, values, "ttftP90", "p90 TTFT")}`;
  return `${best.variant} at threshold ${best.routerQueueThreshold} against the same fleet without a queue. ` +
    `At ${PACES.join("×, ")}× the trace's pace: ${both(nearby, "arrivalSpeedupRatio", PACES)}. In ` +
    `${SEEDS.length} replications at ${SPEEDUP}× (±${JITTER_MS} ms arrival jitter, \`arrival_jitter_ms\`): ` +
    `${both(replicated, "seed", SEEDS)}. ${
      quantisedSteps(TRACE)
    }; spread over their steps (\`spread_arrival_steps\`: ` +
    `±${formatCount(SPREAD_MS)} ms at ${SPEEDUP}×, ${SEEDS.length} seeds): ${
      both(spreadOut, "seed", SEEDS)
    }.`;
}

if (import.meta.main) {
  const options = runOptionsFromArgs();
  const base = await fleet.run(options);
  const results = await study.run(options);
  const best = bestOf(results);
  const [policy, threshold] = [best.variant as string, best.routerQueueThreshold as number];
  const nearby = await band(policy, threshold).run(options);
  const replicated = await replicas(policy, threshold).run(options);
  const spreadOut = await spread(policy, threshold).run(options);
  base.table(["ttftAvg", "ttftP50", "ttftP90", "ttftP99", "prefixReuse"]);
  results.table(COLUMNS);
  const { html } = await new Findings("Router queue")
    .text(
      `The Mooncake conversation trace at ${SPEEDUP}× its arrival rate on 4 aggregated H200 workers ` +
        "(Llama-3.1-8B-Instruct-FP8, vLLM, analytic timing) behind the KV router. With `router_queue_threshold` " +
        "set, a request waits at the router while every worker has more than threshold × " +
        "`max_num_batched_tokens` (8,192) routed prompt tokens still to prefill, and leaves it when one drops " +
        "below, routed with the load of that moment: `fcfs` in arrival order, `wspt` fewest uncached prompt " +
        "tokens first. The AIC prefill-load model drains each worker's count as its prefills run instead of " +
        "at their end.",
    )
    .text(`## Results\n\n${summary(base, results)}`)
    .table(base, ["ttftAvg", "ttftP50", "ttftP90", "ttftP99", "prefixReuse"], "no queue")
    .table(results, COLUMNS, "with a queue")
    .text(
      `### Within 1 % of the pace, and by chance\n\n${
        bandSummary(nearby.rows, replicated.rows, spreadOut.rows, best)
      }`,
    )
    .figure(
      results.plot("routerQueueThreshold", ["ttftAvg", "ttftP90", "routerQueueShare"]),
      "TTFT and the share of requests that waited at the router, against the threshold",
    )
    .scenario(study)
    .write();
  console.log(`findings: ${html}`);
}
