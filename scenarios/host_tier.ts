/**
 * A host-memory KV tier (`num_g2_blocks`) for agentic sessions whose contexts outgrow GPU memory: the Claude Code
 * sessions of kv-cache-tester (`kv-cache-tester:claude-code`), 40, 60 or 80 of them starting 10 s apart, on two
 * aggregated workers behind the KV router, without a host tier and with 30,000 to 120,000 host blocks per
 * worker (4 MiB each: 117 to 469 GiB of host memory); then, at 60 sessions and 60,000 host blocks, the copies'
 * bandwidth from 2 to 32 GB/s each way; below a host tier of 30,000 blocks, a disk tier shared by both workers
 * (`num_g3_blocks` 120,000 or 240,000) or an object store (`enable_g4_storage`); and the main comparison five
 * times with a ±1 ms arrival jitter.
 *
 * The engines are Llama-3.1-8B-Instruct-FP8 on H200s with vLLM (analytic perf model, KV capacity derived from
 * the memory budget: 29,860 blocks of 64 tokens, 1.9M tokens a worker). A session's context grows with every
 * request and sits idle through its think times, so more sessions than the GPUs' KV holds evict each other's
 * prefixes; without a host tier an evicted prefix is recomputed, with one it is copied back.
 *
 * Run: `deno run -A scenarios/host_tier.ts [--no-cache] [--quiet]` (writes `findings/host-tier.{md,html}`).
 *
 * @module
 */
import {
  extent,
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

const TRACE = "kv-cache-tester:claude-code";
const SESSIONS = [40, 60, 80];
const HOST_BLOCKS = [0, 30_000, 60_000, 120_000];
const BANDWIDTHS = [2, 7, 14, 32];
/** The sessions and host blocks of the bandwidth sweep and the replications. */
const MAIN = { sessions: 60, hostBlocks: 60_000 };
const ENGINE = { backend: "vllm", gpu: "h200_sxm", model: "nvidia/Llama-3.1-8B-Instruct-FP8", tp: 1 };
const COLUMNS = [
  "traceMaxSessions",
  "numG2Blocks",
  "ttftAvg",
  "ttftP90",
  "itlAvg",
  "prefixReuse",
  "hostCopiedBack",
  "hostSwapIns",
  "prefillBusyShare",
];

/** The sessions on two workers with the KV router. */
const base: Scenario = scenario("host tier")
  .trace(TRACE, { sessionIntervalMs: 10_000 })
  .engine(ENGINE)
  .router("kv_router")
  .agg({ workers: 2 });

/** Sessions × host blocks, at the reference's 14 GB/s each way. */
const study: Scenario = base.sweep("traceMaxSessions", SESSIONS).sweep("numG2Blocks", HOST_BLOCKS);
export default study;

/** At {@link MAIN}: the copies' bandwidth, the same both ways, one variant each. */
const bandwidth: Scenario = base
  .set({ traceMaxSessions: MAIN.sessions, numG2Blocks: MAIN.hostBlocks })
  .compare(Object.fromEntries(BANDWIDTHS.map((gbps) => [
    `${gbps} GB/s`,
    (s: Scenario) => s.set({ bandwidthG1ToG2Gbps: gbps, bandwidthG2ToG1Gbps: gbps }),
  ])));

/** The host tier below which {@link LOWER}'s tiers sit. */
const SMALL_HOST = 30_000;
/** Lower tiers under a host tier of {@link SMALL_HOST} blocks at {@link MAIN}'s sessions: disk sizes, or the store. */
const LOWER: Record<string, Record<string, unknown>> = {
  "host only": {},
  "disk 120,000": { numG3Blocks: 120_000 },
  "disk 240,000": { numG3Blocks: 240_000 },
  "object store": { enableG4Storage: true },
};
const lower: Scenario = base
  .set({ traceMaxSessions: MAIN.sessions, numG2Blocks: SMALL_HOST })
  .compare(
    Object.fromEntries(Object.entries(LOWER).map(([name, set]) => [name, (s: Scenario) => s.set(set)])),
  );

/** At {@link MAIN}'s sessions, without and with its host tier, once per seed of the DSL's replications. */
const replicas: Scenario = replicate(
  base.set({ traceMaxSessions: MAIN.sessions }).sweep("numG2Blocks", [0, MAIN.hostBlocks]),
);

const pct = (v: unknown) => `${formatFixed(100 * (v as number), 1)} %`;
const ms = (v: unknown) => `${formatCount(v)} ms`;

/** One sentence per session count: the tier's effect on TTFT and reuse. */
function verdicts(results: Results): string {
  const row = (sessions: number, host: number): Row =>
    results.rows[results.get({ traceMaxSessions: sessions, numG2Blocks: host }).index];
  return SESSIONS.map((n) => {
    const none = row(n, 0), best = HOST_BLOCKS.slice(1).map((h) => row(n, h));
    const most = best.at(-1)!;
    return `- **${n} sessions**: without a host tier, ${
      pct(none.prefixReuse)
    } of prompt tokens are reused and ` +
      `mean TTFT is ${ms(none.ttftAvg)} (p90 ${ms(none.ttftP90)}); with ${formatCount(HOST_BLOCKS[1])}–${
        formatCount(HOST_BLOCKS.at(-1))
      } host blocks, ` +
      `${pct(Math.min(...best.map((r) => r.prefixReuse as number)))}–${
        pct(Math.max(...best.map((r) => r.prefixReuse as number)))
      } and ${ms(Math.min(...best.map((r) => r.ttftAvg as number)))}–${
        ms(Math.max(...best.map((r) => r.ttftAvg as number)))
      } (p90 ${ms(most.ttftP90)} with the most), ` +
      `${formatCount(most.hostSwapIns)} requests parked for ${
        formatCount(most.hostCopiedBack)
      } blocks copied back.`;
  }).join("\n");
}

/**
 * What the sweep shows: a tier no larger than GPU memory adds little, as it holds copies of GPU memory's blocks;
 * at {@link MAIN}, the tier's effect against the replications' spread.
 */
function reading(results: Results, replicated: Row[]): string {
  const ttft = (sessions: number, host: number) =>
    results.rows[results.get({ traceMaxSessions: sessions, numG2Blocks: host }).index].ttftAvg as number;
  const small = HOST_BLOCKS[1], largest = HOST_BLOCKS.at(-1)!;
  const cut = Math.max(...SESSIONS.map((n) => 1 - ttft(n, small) / ttft(n, 0)));
  return `Prompt blocks go to host memory as they are computed, so the tier holds copies of the blocks GPU ` +
    `memory holds too: ${formatCount(small)} host blocks, about GPU memory's 29,860, cut mean TTFT by ` +
    `${
      pct(cut)
    } at most. Larger tiers pay once the sessions' contexts outgrow GPU memory: at ${MAIN.sessions} ` +
    `sessions, ${formatCount(MAIN.hostBlocks)} host blocks cut mean TTFT from ${
      ms(ttft(MAIN.sessions, 0))
    } to ` +
    `${ms(ttft(MAIN.sessions, MAIN.hostBlocks))} (jittered replications: ${spread(replicated, 0)} against ` +
    `${spread(replicated, MAIN.hostBlocks)}), and ${formatCount(largest)} to ` +
    `${ms(ttft(MAIN.sessions, largest))}.`;
}

/** The range of mean TTFT over the replications with `host` blocks. */
function spread(replicated: Row[], host: number): string {
  const [lo, hi] = extent(replicated.filter((r) => r.numG2Blocks === host), "ttftAvg");
  return `${ms(lo)}–${ms(hi)}`;
}

/** The bandwidth sweep: its table and a sentence. */
function bandwidthSummary(results: Results, replicated: Row[]): string {
  const rows = BANDWIDTHS.map((gbps) => results.rows[results.get({ variant: `${gbps} GB/s` }).index]);
  const cells = rows.map((r, i) =>
    `| ${BANDWIDTHS[i]} GB/s | ${ms(r.ttftAvg)} | ${ms(r.ttftP90)} | ${pct(r.prefixReuse)} | ${
      formatCount(r.hostSwapIns)
    } |`
  );
  const rest = rows.slice(1).map((r) => r.ttftAvg as number);
  return `At ${MAIN.sessions} sessions with ${formatCount(MAIN.hostBlocks)} host blocks, the copies' ` +
    "bandwidth (each way, per worker):\n\n| bandwidth | mean TTFT | p90 TTFT | reused | parked |\n" +
    `|---:|---:|---:|---:|---:|\n${cells.join("\n")}\n\nAt ${BANDWIDTHS[0]} GB/s mean TTFT is ` +
    `${ms(rows[0].ttftAvg)}; from ${BANDWIDTHS[1]} GB/s up it is ${ms(Math.min(...rest))}–` +
    `${ms(Math.max(...rest))}, against ${
      spread(replicated, MAIN.hostBlocks)
    } over the jittered replications ` +
    "at 14 GB/s.";
}

/** The lower tiers' table and a sentence, against the study's largest host tier (`results`). */
function lowerSummary(below: Results, results: Results): string {
  const rows = Object.keys(LOWER).map((variant) => below.rows[below.get({ variant }).index]);
  const cells = rows.map((r) =>
    `| ${r.variant} | ${ms(r.ttftAvg)} | ${ms(r.ttftP90)} | ${pct(r.prefixReuse)} | ${
      formatCount(r.hostStaged)
    } |`
  );
  const [host, , largest, store] = rows;
  const bigHost = HOST_BLOCKS.at(-1)!;
  const alone = results.rows[results.get({ traceMaxSessions: MAIN.sessions, numG2Blocks: bigHost }).index];
  return `At ${MAIN.sessions} sessions, a host tier of ${formatCount(SMALL_HOST)} blocks per worker with a ` +
    "tier below it, shared by both workers (a block either wrote, either can read; 7 GB/s each way for the " +
    "disk, 4 GB/s for the store):\n\n| below the host tier | mean TTFT | p90 TTFT | reused | staged blocks |\n" +
    `|---|---:|---:|---:|---:|\n${cells.join("\n")}\n\nA shared disk of ${
      formatCount(LOWER["disk 240,000"].numG3Blocks)
    } blocks takes mean TTFT from ${ms(host.ttftAvg)} to ${ms(largest.ttftAvg)}, an unbounded object ` +
    `store to ${ms(store.ttftAvg)}; a host tier alone of ${formatCount(bigHost)} blocks a worker gives ` +
    `${ms(alone.ttftAvg)}.`;
}

if (import.meta.main) {
  const options = runOptionsFromArgs();
  const results = await study.run(options);
  const links = await bandwidth.run(options);
  const below = await lower.run(options);
  const replicated = await replicas.run(options);
  results.table(COLUMNS);
  const band = extentTable(
    replicated.rows,
    "numG2Blocks",
    [0, MAIN.hostBlocks],
    "host blocks",
    [
      { key: "ttftAvg", label: "mean TTFT", show: ms },
      { key: "ttftP90", label: "p90 TTFT", show: ms },
      { key: "prefixReuse", label: "reused", show: pct },
    ],
  );
  const { html } = await new Findings("Host tier")
    .text(
      `The Claude Code sessions of kv-cache-tester, ${
        SESSIONS.join(", ")
      } of them starting 10 s apart, on two ` +
        "aggregated Llama-3.1-8B-Instruct-FP8 workers on H200s (vLLM, analytic perf model, 29,860 GPU KV blocks " +
        "of 64 tokens each, derived), KV router; a host-memory KV tier of " +
        `${
          HOST_BLOCKS.slice(1).map((h) => formatCount(h)).join(", ")
        } blocks per worker (4 MiB a block) or none, ` +
        "copies at 14 GB/s each way. Prompt blocks are copied to host memory as they are computed; a request " +
        "whose prefix GPU memory has evicted waits while it is copied back instead of recomputing it.",
    )
    .text(`## Results\n\n${verdicts(results)}\n\n${reading(results, replicated.rows)}`)
    .table(results, COLUMNS)
    .text(`### The copies' bandwidth\n\n${bandwidthSummary(links, replicated.rows)}`)
    .text(`### Disk and object storage below the host tier\n\n${lowerSummary(below, results)}`)
    .text(
      `### By chance\n\nRun ${REPLICAS.seeds.length} times at ${MAIN.sessions} sessions with a ` +
        `±${REPLICAS.jitterMs} ms arrival jitter (\`arrival_jitter_ms\`):\n\n${band}`,
    )
    .figure(
      results.plot("numG2Blocks", ["ttftAvg", "ttftP90", "prefixReuse"]),
      "host blocks per worker against TTFT and prefix reuse, by sessions",
    )
    .scenario(study)
    .write();
  console.log(`findings: ${html}`);
}
