/**
 * SGLang's scheduler against vLLM's on the same engines. SGLang runs a prefill batch whenever one can form and
 * holds every decoding request meanwhile; vLLM mixes prompt chunks into its decode passes. SGLang's
 * `prefill_decode_interval` N runs N decode passes after each prefill batch. Which gives the better TTFT, the
 * better inter-token latency, and which holds an SLA of both?
 *
 * The conversation trace at 0.75×, 1× and 1.25× its recorded pace on two aggregated workers behind the KV router:
 * Llama-3.1-8B-Instruct-FP8 on H200s with SGLang's kernels and KV budget (analytic perf model), 16-token pages;
 * the scheduler is vLLM's, or SGLang's with an interval of 0 (SGLang's default), 4 or 16. Then the vLLM and
 * SGLang runs at 1×, five times with a ±1 ms arrival jitter.
 *
 * Run: `deno run -A scenarios/sglang_scheduler.ts [--no-cache] [--quiet]` (writes
 * `findings/sglang-scheduler.{md,html}`).
 *
 * @module
 */
import {
  extentTable,
  Findings,
  formatCount,
  formatFixed,
  REPLICAS,
  replicate,
  type Results,
  type Row,
  runOptionsFromArgs,
  type Scenario,
  scenario,
} from "../mod.ts";

const TRACE = "mooncake:conversation";
const PACES = [0.75, 1, 1.25];
const ENGINE = {
  backend: "sglang",
  gpu: "h200_sxm",
  model: "nvidia/Llama-3.1-8B-Instruct-FP8",
  blockSize: 16,
};
/** The SLA goodput counts against: TTFT and inter-token latency. */
const SLA = { ttftMs: 2000, itlMs: 40 };
const INTERVALS = [0, 4, 16];
const COLUMNS = [
  "variant",
  "arrivalSpeedupRatio",
  "ttftAvg",
  "ttftP90",
  "ttstAvg",
  "itlAvg",
  "itlP99",
  "e2eAvg",
  "prefixReuse",
  "goodputRatio",
];

/** The schedulers compared: vLLM's, and SGLang's at each interval. */
const SCHEDULERS: Record<string, (s: Scenario) => Scenario> = {
  vLLM: (s) => s.set({ engineType: "vllm" }),
  ...Object.fromEntries(INTERVALS.map((n) => [
    sglangName(n),
    (s: Scenario) => s.set({ engineType: "sglang", sglang: { prefill_decode_interval: n } }),
  ])),
};

/** A variant's name for SGLang's scheduler at interval `n`. */
function sglangName(n: number): string {
  return n === 0 ? "SGLang" : `SGLang, interval ${n}`;
}

/** Two workers, KV router, the goodput SLA. */
const base: Scenario = scenario("sglang scheduler")
  .trace(TRACE)
  .engine(ENGINE)
  .router("kv_router")
  .agg({ workers: 2 })
  .set({ slaTtftMs: SLA.ttftMs, slaItlMs: SLA.itlMs });

/** Schedulers × paces. */
const study: Scenario = base.compare(SCHEDULERS).sweep("arrivalSpeedupRatio", PACES);
export default study;

/** vLLM's and SGLang's default scheduler at 1×, once per seed of the DSL's replications. */
const replicas: Scenario = replicate(
  base.set({ arrivalSpeedupRatio: 1 }).compare({ vLLM: SCHEDULERS.vLLM, SGLang: SCHEDULERS.SGLang }),
);

const ms = (v: unknown) => `${formatCount(v)} ms`;
const pct = (v: unknown) => `${formatFixed(100 * (v as number), 1)} %`;

/** The study's row of `variant` at `pace`. */
function at(results: Results, variant: string, pace: number): Row {
  return results.rows[results.get({ variant, arrivalSpeedupRatio: pace }).index];
}

/** One sentence per pace: the schedulers' TTFT, time to second token, ITL and goodput. */
function verdicts(results: Results): string {
  return PACES.map((pace) => {
    const v = at(results, "vLLM", pace), s = at(results, "SGLang", pace);
    const intervals = INTERVALS.slice(1).map((n) => {
      const r = at(results, sglangName(n), pace);
      return `interval ${n}: ${ms(r.ttftAvg)}, ${ms(r.ttstAvg)} and ${pct(r.goodputRatio)}`;
    });
    return `- **${pace}×**: mean TTFT ${ms(v.ttftAvg)} with vLLM's scheduler against ${ms(s.ttftAvg)} with ` +
      `SGLang's; mean time to second token ${ms(v.ttstAvg)} against ${ms(s.ttstAvg)}; p99 inter-token ` +
      `latency ${ms(v.itlP99)} against ${ms(s.itlP99)}; requests within the SLA ${pct(v.goodputRatio)} ` +
      `against ${pct(s.goodputRatio)}. SGLang with ${intervals.join("; ")}.`;
  }).join("\n");
}

/** What the sweep shows: where each scheduler's wait goes, and how each bears overload. */
function reading(results: Results): string {
  const mid = 1, top = PACES.at(-1)!;
  const v = at(results, "vLLM", mid), s = at(results, "SGLang", mid);
  const vTop = at(results, "vLLM", top), sTop = at(results, "SGLang", top);
  const [four, sixteen] = INTERVALS.slice(1).map((n) => at(results, sglangName(n), mid));
  return `SGLang's scheduler runs a prefill batch whenever one can form, and the requests already decoding ` +
    `wait through it; vLLM's runs prompt chunks inside its decode passes. At ${mid}×, mean TTFT is ` +
    `${ms(s.ttftAvg)} with SGLang's against ${ms(v.ttftAvg)} with vLLM's, and the wait moves to the second ` +
    `token, the first after the request's own prefill pass: ${ms(s.ttstAvg)} on average against ` +
    `${ms(v.ttstAvg)}. Past it, SGLang's decode passes carry no prompt, so its p99 inter-token latency is ` +
    `${ms(s.itlP99)} against ${ms(v.itlP99)} for vLLM's mixed passes. At ${top}× both fleets are ` +
    `overloaded: mean TTFT ${ms(sTop.ttftAvg)} with SGLang's against ${ms(vTop.ttftAvg)} with vLLM's ` +
    `(prompt tokens reused from the cache: ${pct(sTop.prefixReuse)} against ${pct(vTop.prefixReuse)}). ` +
    `\`prefill_decode_interval\` trades the first token for the second: at ${mid}×, an interval of ` +
    `${INTERVALS[1]} gives mean TTFT ${ms(four.ttftAvg)} and time to second token ${
      ms(four.ttstAvg)
    }, one of ` +
    `${INTERVALS[2]} ${ms(sixteen.ttftAvg)} and ${ms(sixteen.ttstAvg)}, with ${
      pct(sixteen.goodputRatio)
    } of ` +
    `requests within the SLA.`;
}

if (import.meta.main) {
  const options = runOptionsFromArgs();
  const results = await study.run(options);
  const replicated = await replicas.run(options);
  results.table(COLUMNS);
  const band = extentTable(replicated.rows, "variant", ["vLLM", "SGLang"], "scheduler", [
    { key: "ttftAvg", label: "mean TTFT", show: ms },
    { key: "ttstAvg", label: "mean time to 2nd token", show: ms },
    { key: "itlP99", label: "p99 ITL", show: ms },
    { key: "goodputRatio", label: "within SLA", show: pct },
  ]);
  const { html } = await new Findings("SGLang scheduler")
    .text(
      "The Mooncake conversation trace at 0.75×, 1× and 1.25× its recorded pace on two aggregated " +
        "Llama-3.1-8B-Instruct-FP8 workers on H200s (SGLang's kernels and KV budget, analytic perf model, KV " +
        "capacity derived: 59,198 pages of 16 tokens a worker), KV router. The scheduler is vLLM's (prompt " +
        "chunks share passes with decode steps) or SGLang's (a prefill batch runs whenever one can form, and " +
        `decoding requests wait), with a \`prefill_decode_interval\` of ${
          INTERVALS.join(", ")
        } (decode passes ` +
        `after each prefill batch). Goodput counts requests with TTFT ≤ ${formatCount(SLA.ttftMs)} ms and ` +
        `inter-token latency ≤ ${SLA.itlMs} ms.`,
    )
    .text(`## Results\n\n${verdicts(results)}\n\n${reading(results)}`)
    .table(results, COLUMNS)
    .text(
      `### By chance\n\nRun ${REPLICAS.seeds.length} times at 1× with a ±${REPLICAS.jitterMs} ms ` +
        `arrival jitter (\`arrival_jitter_ms\`):\n\n${band}`,
    )
    .figure(
      results.plot("arrivalSpeedupRatio", ["ttftAvg", "ttstAvg", "itlP99"]),
      "pace against mean TTFT, mean time to second token and p99 inter-token latency, by scheduler",
    )
    .scenario(study)
    .write();
  console.log(`findings: ${html}`);
}
