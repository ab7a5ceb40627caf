/**
 * Router policy classes under overload: how should the KV router's queue split short and long prompts, and what
 * does shedding the long ones buy? The conversation trace arrives 2× and 3× faster than recorded on 4
 * aggregated workers behind the KV router. A policy file (`--router-policy-config`) puts each request in a
 * `short` or `long` class by the prompt tokens its best-cached worker lacks (under or over {@link SPLIT}). Both
 * classes queue while every worker has more than {@link THRESHOLD} × `max_num_batched_tokens` routed prompt
 * tokens left to prefill, `short` shortest first (`wspt`). The layouts differ in the long class's order, the
 * classes' deficit-round-robin quanta (how the queue shares prefill between them, in uncached tokens) and a
 * per-worker limit on queued `long` requests, past which they are shed. Without thresholds the same classes only
 * label requests: the "no queue" baseline. The router config's single `wspt` queue (no classes) at thresholds 0
 * and {@link THRESHOLD} runs beside them. At 3× the compared layouts also run five times with a ±1 ms arrival jitter
 * (`arrival_jitter_ms`, seeds 1–5), to tell which comparisons hold by more than chance, and five times with
 * a ±500 ms jitter, which spreads the trace's quantised 3 s timestamp steps (1 s at 3×) over each step.
 *
 * Timing: the `aic_*` engine args (vLLM, h200_sxm, Llama-3.1-8B-Instruct-FP8), i.e. the analytic perf model.
 *
 * Run: `deno run -A scenarios/router_policy.ts [--no-cache] [--quiet]` (writes `findings/router-policy.{md,html}`).
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import {
  compareBands,
  countLower,
  extent,
  Figure,
  Findings,
  formatCount,
  formatSpan,
  quantisedSteps,
  REPLICAS,
  replicate,
  type Results,
  type Row,
  type RowFilter,
  runOptionsFromArgs,
  type Scenario,
  scenario,
  spreadJitterMs,
} from "../mod.ts";

/** The trace: its timestamps are quantised ({@link quantisedSteps}). */
const TRACE = "mooncake:conversation";
import type { RouterPolicyInput } from "../lib/router/mod.ts";

const AIC = { backend: "vllm", gpu: "h200_sxm", model: "nvidia/Llama-3.1-8B-Instruct-FP8" };
/** Uncached prompt tokens from which a request is `long`. */
export const SPLIT = 3072;
const CLASSES = ["short", "long"] as const;
/** A worker is busy for a queue above this × its `max_num_batched_tokens` of routed, unfinished prompt tokens. */
export const THRESHOLD = 1;

/** How a layout sets the classes: quanta (`null`: never queue), the long class's order and per-worker limit. */
interface Layout {
  readonly quanta: readonly [short: number, long: number] | null;
  readonly long?: "fcfs" | "wspt";
  readonly longLimit?: number;
}

/** The class layouts that queue. */
const CLASS_LAYOUTS: Readonly<Record<string, Layout>> = {
  "4:1, long fcfs": { quanta: [2048, 512], long: "fcfs" },
  "4:1, long wspt": { quanta: [2048, 512], long: "wspt" },
  "1:1, long wspt": { quanta: [1024, 1024], long: "wspt" },
  "4:1, long fcfs ≤ 4 per worker": { quanta: [2048, 512], long: "fcfs", longLimit: 4 },
  "4:1, long fcfs ≤ 1 per worker": { quanta: [2048, 512], long: "fcfs", longLimit: 1 },
};

/** The policy document of a layout. */
export function policy({ quanta, long = "fcfs", longLimit }: Layout): RouterPolicyInput {
  const queue = (k: 0 | 1) =>
    quanta ? { quantum: quanta[k], prefill_busy_threshold_frac: THRESHOLD } : { quantum: 1024 };
  return {
    default_policy_family: "chat",
    uncached_isl_buckets: [{ min_tokens: 0, bucket: "short" }, { min_tokens: SPLIT, bucket: "long" }],
    policy_classes: [
      { name: "short", policy_family: "chat", cache_bucket: "short", queue_policy: "wspt", ...queue(0) },
      {
        name: "long",
        policy_family: "chat",
        cache_bucket: "long",
        queue_policy: long,
        ...queue(1),
        ...(longLimit === undefined ? {} : { request_queue_limit_per_worker: longLimit }),
      },
    ],
  };
}

type Variant = (s: Scenario) => Scenario;
const withClasses = (layout: Layout): Variant => (s) => s.router({ policy: policy(layout) });

/** Every layout: classes that only label requests, the router config's single `wspt` queue, the class layouts. */
const LAYOUTS: Readonly<Record<string, Variant>> = {
  "no queue": withClasses({ quanta: null }),
  "one queue (wspt), threshold 0": (s) => s.router({ routerQueueThreshold: 0, routerQueuePolicy: "wspt" }),
  "one queue (wspt)": (s) => s.router({ routerQueueThreshold: THRESHOLD, routerQueuePolicy: "wspt" }),
  ...Object.fromEntries(Object.entries(CLASS_LAYOUTS).map(([name, layout]) => [name, withClasses(layout)])),
};

/** The fleet: 4 aggregated workers behind the KV router. */
const fleet = scenario("router policy")
  .trace(TRACE)
  .engine(AIC)
  .agg({ workers: 4 })
  .router("kv_router");
/** The layouts at 2× and 3× the trace's pace. */
const study = fleet.compare(LAYOUTS).sweep("speedup", [2, 3]);
export default study;

/** The replications' seeds and arrival jitter: the DSL's defaults ({@link REPLICAS}). */
const { seeds: SEEDS, jitterMs: JITTER_MS } = REPLICAS;
/** The layouts the 3× comparisons name. */
const COMPARED = [
  "one queue (wspt)",
  "one queue (wspt), threshold 0",
  "4:1, long fcfs",
  "4:1, long wspt",
  "1:1, long wspt",
];
/** Those layouts at 3×. */
const compared = fleet.compare(Object.fromEntries(COMPARED.map((name) => [name, LAYOUTS[name]]))).set({
  speedup: 3,
});
/** {@link compared}, once per seed of {@link SEEDS}. */
const replicas = replicate(compared);
/** The jitter `spread_arrival_steps` gives the trace here (half its timestamp step), for the prose. */
const SPREAD_MS = spreadJitterMs(TRACE, 3);
/** {@link compared} once per seed with the trace's quantised steps spread ({@link SPREAD_MS}). */
const spread = replicate(compared, { spread: true });

/** A Markdown table: per run, each class's mean and p90 TTFT and the long requests shed. */
function classTable(rows: Row[]): string {
  const head = "| layout | load | short TTFT mean / p90 (ms) | long TTFT mean / p90 (ms) | long shed |\n" +
    "|---|---:|---:|---:|---:|";
  const body: string[] = [];
  for (const s of rows.filter((r) => r.class === "short")) {
    const l = rows.find((r) => r.run === s.run && r.class === "long")!;
    body.push(
      `| ${s.variant} | ${s.speedup}× | ${formatCount(s.ttftAvg)} / ${formatCount(s.ttftP90)} | ${
        formatCount(l.ttftAvg)
      } / ${formatCount(l.ttftP90)} | ${formatCount(l.shed)} |`,
    );
  }
  return [head, ...body].join("\n");
}

/** Mean TTFT per class (bar) and its p90 (tick), by layout, one panel per load. */
function classFigure(rows: Row[]): Figure {
  return new Figure(
    [{
      height: 460,
      marginLeft: 200,
      marginRight: 20,
      x: { label: "TTFT (ms): mean (bar), p90 (tick)", grid: true },
      y: { axis: null, domain: [...CLASSES] },
      fx: { label: "arrival speed-up", tickFormat: (v: number) => `${v}×` },
      fy: { label: null, axis: "left", domain: ["no queue", ...Object.keys(CLASS_LAYOUTS)] },
      color: { legend: true, domain: [...CLASSES] },
      marks: [
        Plot.barX(rows, { x: "ttftAvg", y: "class", fx: "speedup", fy: "variant", fill: "class" }),
        Plot.tickX(rows, { x: "ttftP90", y: "class", fx: "speedup", fy: "variant", stroke: "black" }),
      ],
    }],
    "TTFT by class and layout",
  );
}

/** What the study shows, from its rows. */
function summary(results: Results, rows: Row[], replicated: Results): string {
  const mean = (layout: string, x: number, cls?: string) =>
    (cls
      ? rows.find((r) => r.variant === layout && r.speedup === x && r.class === cls)!.ttftAvg
      : results.get({ variant: layout, speedup: x }).report.mean_ttft_ms) as number;
  const ms = (layout: string, x: number, cls?: string) => `${formatCount(mean(layout, x, cls))} ms`;
  const signed = (d: number) => `${d > 0 ? "+" : "−"}${Math.abs(100 * d).toFixed(0)}%`;
  /** Whether this run's order of `a` and `b` on mean TTFT at 3× is also the replications' (below). */
  const chance = (a: string, b: string) => {
    const wins = countLower(replicated.rows, "ttftAvg", "seed", SEEDS, { variant: a }, { variant: b });
    const here = mean(a, 3) < mean(b, 3) ? SEEDS.length : 0;
    return wins === here
      ? " (so in every replication below)"
      : wins === SEEDS.length - here
      ? " (this run only: every replication below has the other order)"
      : " (this run only: across the replications below the order changes with the seed)";
  };
  const pct = (layout: string, x: number, cls?: string) =>
    signed(mean(layout, x, cls) / mean("no queue", x, cls) - 1);
  const shed = (layout: string, x: number) => {
    const report = results.get({ variant: layout, speedup: x }).report;
    const k = report.rejected_requests as number;
    return `${formatCount(k)} (${(100 * k / (report.num_requests as number)).toFixed(1)}%)`;
  };
  const cut = "4:1, long fcfs ≤ 1 per worker";
  const than = (a: number, b: number) => a > b ? "above" : "below";
  // How much the long class's order and the quanta each move the 3× mean.
  const order = Math.abs(mean("4:1, long fcfs", 3) / mean("4:1, long wspt", 3) - 1);
  const quanta = Math.abs(mean("1:1, long wspt", 3) / mean("4:1, long wspt", 3) - 1);
  return [
    `At 2×, every queue helps a little: mean TTFT ${ms("no queue", 2)} without one, ` +
    `${ms("one queue (wspt)", 2)} with one \`wspt\` queue, ${ms("1:1, long wspt", 2)} with two classes at ` +
    `1:1. The gain goes to short prompts (${ms("no queue", 2, "short")} → ${
      ms("1:1, long wspt", 2, "short")
    }, ` +
    `${pct("1:1, long wspt", 2, "short")}); long ones barely move (${ms("no queue", 2, "long")} → ` +
    `${ms("1:1, long wspt", 2, "long")}).`,
    `At 3× the fleet is overloaded (${ms("no queue", 3)} without a queue) and the layout matters. A single ` +
    `\`wspt\` queue gives ${ms("one queue (wspt)", 3)} at threshold ${THRESHOLD}, but ` +
    `${
      ms("one queue (wspt), threshold 0", 3)
    } at threshold 0: a worker then counts as busy while any prompt ` +
    "routed to it is unfinished, so it prefills one prompt at a time and loses batching. Two classes protect " +
    `short prompts (${ms("4:1, long wspt", 3, "short")} against ${ms("no queue", 3, "short")}, ` +
    `${pct("4:1, long wspt", 3, "short")}), and their mean (${ms("4:1, long wspt", 3)}) ` +
    `is ${than(mean("4:1, long wspt", 3), mean("one queue (wspt)", 3))} the single queue's${
      chance("4:1, long wspt", "one queue (wspt)")
    }. Inside the long ` +
    `class the order matters: served first come, first served, long prompts wait ` +
    `${ms("4:1, long fcfs", 3, "long")} (${pct("4:1, long fcfs", 3, "long")} against no queue) behind ` +
    `the longest; served shortest first, ${ms("4:1, long wspt", 3, "long")}. The quanta matter ` +
    `${order > quanta ? "less" : "more"}: 4:1 and 1:1 give means of ${ms("4:1, long wspt", 3)} and ` +
    `${ms("1:1, long wspt", 3)} (${signed(mean("1:1, long wspt", 3) / mean("4:1, long wspt", 3) - 1)}), ` +
    `where the long class's order moves the mean by ${(100 * order).toFixed(0)}%` +
    `${chance("4:1, long wspt", "1:1, long wspt")}.`,
    `Shedding is what holds an SLA under overload: with at most one long request queued per worker, the ` +
    `router sheds ${shed(cut, 3)} of the requests at 3× and serves the rest at ${
      ms(cut, 3, "short")
    } (short) and ` +
    `${ms(cut, 3, "long")} (long), mean ${ms(cut, 3)}, ${than(mean(cut, 3), mean("no queue", 2))} the 2× ` +
    `fleet's without a queue (${ms("no queue", 2)}); at 2× the same ` +
    `limit sheds ${shed(cut, 2)}. A limit of four per worker sheds ${
      shed("4:1, long fcfs ≤ 4 per worker", 3)
    } at 3× for a mean of ${ms("4:1, long fcfs ≤ 4 per worker", 3)}.`,
  ].join("\n\n");
}

/**
 * Whether the 3× comparisons hold by chance (`replicated`: the {@link replicas}' results, or the
 * {@link spread}'s; `jitter` names their arrival jitter): each one's range
 * over the replications, and in how many of them the first layout is the lower (both layouts see the same
 * jittered arrivals at each seed, so seed by seed is the fair comparison).
 */
function replicaSummary(results: Results, replicated: Results, jitter: string): string {
  /** One comparison: its line, and the layout lower in every replication (null when that changes). */
  const vs = (label: string, a: string, b: string, cls?: string) => {
    const where = (variant: string): RowFilter => cls ? { variant, class: cls } : { variant };
    const rowsOf = (r: Results) => cls ? r.classRows : r.rows;
    const rows = rowsOf(replicated);
    const c = compareBands(rows, "ttftAvg", "seed", SEEDS, where(a), where(b));
    const winner = c.aLower === c.count ? a : c.aLower === 0 ? b : null;
    const single = (variant: string) =>
      extent(rowsOf(results), "ttftAvg", { ...where(variant), speedup: 3 })[0];
    const verdict = c.order === "overlaps"
      ? `the ranges overlap; ${a} is the lower in ${c.aLower} of ${c.count} replications`
      : `${c.order === "above" ? a : b} lower throughout`;
    return {
      label,
      winner,
      /** Whether the unjittered 3× run above had the other layout lower. */
      contradicts: winner !== null && (single(a) < single(b) ? a : b) !== winner,
      line: `- ${label}: ${formatSpan(c.a)} ms (${a}) against ${formatSpan(c.b)} ms (${b}): ${verdict}.`,
    };
  };
  const comparisons = [
    vs("mean TTFT, the single queue's threshold", "one queue (wspt)", "one queue (wspt), threshold 0"),
    vs("mean TTFT, two classes or one queue", "4:1, long wspt", "one queue (wspt)"),
    vs("long prompts' mean TTFT, the long class's order", "4:1, long wspt", "4:1, long fcfs", "long"),
    vs("short prompts' mean TTFT, the quanta", "4:1, long wspt", "1:1, long wspt", "short"),
    vs("mean TTFT, the quanta", "4:1, long wspt", "1:1, long wspt"),
  ];
  const held = comparisons.filter((c) => c.winner !== null);
  const turned = comparisons.filter((c) => c.winner === null);
  const holds = held.map((c) =>
    `${c.label} (${c.winner} lower${c.contradicts ? "; the single 3× run above had the other order" : ""})`
  );
  const conclusion = [
    held.length ? `In every replication: ${holds.join("; ")}.` : "",
    turned.length
      ? `These change with the seed, so one run does not decide them: ${
        turned.map((c) => c.label).join("; ")
      }.`
      : "",
  ].filter(Boolean).join(" ");
  return [
    `${SEEDS.length} replications at 3× (${jitter}, seeds ${SEEDS.join(", ")}):`,
    ...comparisons.map((c) => c.line),
    "",
    conclusion,
  ].join("\n");
}

if (import.meta.main) {
  const options = runOptionsFromArgs();
  const results = await study.run(options);
  const replicated = await replicas.run(options);
  const spreadOut = await spread.run(options);
  const columns = [
    "variant",
    "speedup",
    "ttftAvg",
    "ttftP90",
    "routerQueueShare",
    "routerQueueWaitAvg",
    "rejected",
  ];
  results.table(columns);
  const rows = results.classRows;
  const { html } = await new Findings("Router policy")
    .text(
      `The Mooncake conversation trace at 2× and 3× its arrival rate on 4 aggregated H200 workers ` +
        "(Llama-3.1-8B-Instruct-FP8, vLLM, analytic timing) behind the KV router, with a router policy file " +
        "(`--router-policy-config`) of two classes: `short`, fewer than " +
        `${formatCount(SPLIT)} prompt tokens missing from the best-cached worker's cache, queued ` +
        "shortest first (`wspt`), and `long`, queued in arrival order (`fcfs`) or shortest first. Both queue " +
        `while every worker has more than ${THRESHOLD} × \`max_num_batched_tokens\` (8,192) routed prompt ` +
        "tokens still to prefill. The queue serves the classes by deficit round robin in uncached tokens, each " +
        "class's `quantum` per round setting its share (4:1 or 1:1 short to long); a per-worker limit on queued " +
        "`long` requests sheds the rest (reported as `router_queue_limit` rejections). In the `no queue` runs " +
        "the classes have no threshold: they only label requests, so TTFT can be compared class by class. The " +
        "router config's single `wspt` queue (`router_queue_threshold`, no classes) runs beside them.",
    )
    .text(`## Results\n\n${summary(results, rows, replicated)}`)
    .text(
      `### Replications at 3×\n\n${
        replicaSummary(results, replicated, `\`arrival_jitter_ms\` ${JITTER_MS}`)
      }`,
    )
    .text(
      `### The trace's steps spread\n\n${
        quantisedSteps(TRACE)
      }; \`spread_arrival_steps\` spreads them over their steps. ` +
        replicaSummary(results, spreadOut, `\`spread_arrival_steps\`: ±${SPREAD_MS} ms`),
    )
    .figure(classFigure(rows), "each class's mean TTFT (bar) and p90 (tick), by layout and load")
    .text(classTable(rows))
    .table(results, columns, "all requests (TTFT over the served ones; rejected: shed)")
    .scenario(study)
    .write();
  console.log(`findings: ${html}`);
}
