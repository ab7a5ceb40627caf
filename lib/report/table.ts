/**
 * The AIPerf-style summary table, laid out exactly as the reference's `reporting.py`.
 *
 * @module
 */
import type { Report } from "./report.ts";
import { formatCount, formatFixed } from "../common/format.ts";
import type { HandoffSummary, RejectReason, RouterQueueSummary, StepSummary } from "../metrics/mod.ts";
import type { HostTierSummary, LowerTiersSummary } from "../engine/mod.ts";

const TITLE = "NVIDIA AIPerf | LLM Metrics";
const STAT_COLUMNS = ["avg", "min", "max", "p99", "p90", "p75", "std"] as const;

/**
 * Format the summary: title, box-drawing table (rows appear when their `mean_*` key exists), then the footer
 * lines. Numbers use thousands separators and two decimals, rounded as Python's `{:,.2f}` rounds; missing values
 * print `N/A`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSummary } from "./table.ts";
 * const text = formatSummary({ output_throughput_tok_s: 1234.5, request_throughput_rps: 2, completed_requests: 3 });
 * assert(text.includes("┃ Output Token Throughput (tokens/sec) ┃ 1,234.50 ┃"));
 * ```
 */
export function formatSummary(report: Report): string {
  const rows: string[][] = [];
  statRow(rows, report, "Time to First Token (ms)", "ttft_ms");
  statRow(rows, report, "Time to Second Token (ms)", "ttst_ms");
  statRow(rows, report, "Request Latency (ms)", "e2e_latency_ms");
  statRow(rows, report, "Inter Token Latency (ms)", "itl_ms");
  statRow(rows, report, "Token Gap (ms)", "token_gap_ms");
  statRow(
    rows,
    report,
    "Output Token Throughput Per User (tokens/sec/user)",
    "output_token_throughput_per_user",
  );
  const single = (label: string, value: unknown) =>
    rows.push([label, formatValue(value), ...STAT_COLUMNS.slice(1).map(() => "N/A")]);
  single("Output Token Throughput (tokens/sec)", report.output_throughput_tok_s);
  single("Request Throughput (requests/sec)", report.request_throughput_rps);
  single("Request Count (requests)", report.completed_requests ?? report.num_requests);
  const lines = [TITLE, renderTable(rows)];
  if (typeof report.wall_time_ms === "number") {
    lines.push(`Wall Time (ms): ${formatValue(report.wall_time_ms)}`);
  }
  if (typeof report.prefix_cache_reused_ratio === "number") {
    lines.push(`Prefix Cache Reused Ratio: ${formatValue(report.prefix_cache_reused_ratio)}`);
  }
  if (typeof report.first_admission_prefix_cache_reused_ratio === "number") {
    lines.push(
      `First Admission Prefix Cache Reused Ratio: ${
        formatValue(report.first_admission_prefix_cache_reused_ratio)
      }`,
    );
  }
  if (typeof report.total_trajectories === "number") {
    lines.push(
      `Trajectories: ${report.completed_trajectories} completed of ${report.total_trajectories}; end-to-end latency (ms) mean ${
        formatValue(report.mean_trajectory_e2e_latency_ms)
      }, p50 ${formatValue(report.p50_trajectory_e2e_latency_ms)}, p90 ${
        formatValue(report.p90_trajectory_e2e_latency_ms)
      }, p99 ${formatValue(report.p99_trajectory_e2e_latency_ms)}`,
    );
  }
  return lines.join("\n");
}

function statRow(rows: string[][], report: Report, label: string, suffix: string): void {
  if (!(`mean_${suffix}` in report)) return;
  rows.push([
    label,
    ...["mean", "min", "max", "p99", "p90", "p75", "std"].map((s) => formatValue(report[`${s}_${suffix}`])),
  ]);
}

function renderTable(rows: string[][]): string {
  const headers = ["Metric", ...STAT_COLUMNS];
  const widths = headers.map((h) => h.length);
  for (const row of rows) row.forEach((v, i) => widths[i] = Math.max(widths[i], v.length));
  const sep = (l: string, m: string, r: string) => l + widths.map((w) => "━".repeat(w + 2)).join(m) + r;
  const line = (row: string[]) =>
    "┃" + row.map((v, i) => ` ${i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i])} `).join("┃") + "┃";
  return [sep("┏", "┳", "┓"), line(headers), sep("┡", "╇", "┩"), ...rows.map(line), sep("└", "┴", "┘")].join(
    "\n",
  );
}

/** `{:,.2f}` formatting; `N/A` for missing values. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "N/A";
  if (typeof value === "number") return formatFixed(value, 2);
  return String(value);
}

/** What `report.dynolab.pools` holds per pool, as far as the run summary reads it. */
interface PoolSummary {
  role: string;
  /** The engines' scheduler: vllm, trtllm or sglang (vllm when absent). */
  scheduler?: string;
  workers: number;
  kv_capacity_blocks: number;
  kv_capacity_source?: string;
  kv_capacity_tokens?: number;
  kv_capacity_derivation?: Record<string, number>;
  block_size: number;
  /** Blocks a sequence holds for its recurrent state (linear-attention models); absent for others. */
  state_blocks_per_seq?: number;
  /**
   * Blocks a decoding sequence's sliding-window layers hold once past their window, where the pool is sized by
   * the full-attention layers; absent for other models.
   */
  window_blocks_per_seq?: number;
  perf_model: string;
  gpus_per_worker: number;
  /** Engine ranks per worker (`dp_size` or the attention-DP group); 1 when absent. */
  ranks_per_worker?: number;
  busy_ms_by_part?: { prefill: number; decode: number; overhead: number };
  typical_prefill_pass?: TypicalPass & { mean_isl: number; mean_prefix: number };
  typical_decode_pass?: TypicalPass & { mean_context: number };
  /** The pool's host KV tier and what its ranks copied; absent without one. */
  host_tier?: HostTierSummary;
}

/** How the run summary names a scheduler other than vLLM's. */
const SCHEDULERS: Readonly<Record<string, string>> = {
  trtllm: "TRT-LLM GUARANTEED_NO_EVICT scheduler, ",
  sglang: "SGLang scheduler, ",
};

/** What the report holds of a typical pass, as far as the run summary reads it. */
interface TypicalPass {
  requests: number;
  ms: number;
  overhead_ms: number;
  ops_ms?: Record<string, number>;
}

/**
 * The run summary printed under the table: per pool, its workers, perf model and KV capacity (with how a derived
 * capacity was reached, and the blocks each sequence holds for a linear-attention model's state), its busy time
 * by part and its typical prefill and decode pass (with their split by operator family where the perf model
 * gives one), in disaggregated runs where the hand-offs' time went, the mean speculative accept length when
 * drafts were used, and the requests rejected and why.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatRunSummary } from "./table.ts";
 * const lines = formatRunSummary({ dynolab: { pools: [{ role: "aggregated", workers: 2, kv_capacity_blocks: 16384,
 *   kv_capacity_source: "default", block_size: 64, perf_model: "polynomial", gpus_per_worker: 1 }] } });
 * assert(lines[0] === "Workers (aggregated): 2 × 1 GPU, polynomial timing, KV cache 16,384 blocks × 64 tokens per rank (default)");
 * ```
 */
export function formatRunSummary(report: Report): string[] {
  const details = report.dynolab as { pools?: PoolSummary[]; mean_accept_length?: number } | undefined;
  const lines = (details?.pools ?? []).map((p) => {
    let kv = `KV cache ${formatCount(p.kv_capacity_blocks)} blocks × ${p.block_size} token` +
      `${p.block_size === 1 ? "" : "s"} per rank`;
    const d = p.kv_capacity_derivation;
    if (p.kv_capacity_source === "derived" && d) {
      const [fractionArg, fraction] = Object.entries(d)[0];
      const gib = (k: string) => `${d[k].toFixed(1)} GiB`;
      // SGLang's static fraction holds weights and KV only; vLLM and TRT-LLM also leave activations and more.
      const rest = fractionArg === "mem_fraction_static"
        ? ""
        : `, activations ${gib("activations_gib")}, reserved ${gib("reserved_gib")}`;
      kv += ` (derived: ${fractionArg} ${fraction} → ${gib("kv_gib")} of KV per GPU after weights ` +
        `${gib("weights_gib")}${rest}; ${formatCount(d.kv_bytes_per_token)} B/token)`;
    } else if (p.kv_capacity_source) {
      kv += ` (${p.kv_capacity_source})`;
    }
    if (p.state_blocks_per_seq) {
      kv += `; each sequence's recurrent state takes ${formatCount(p.state_blocks_per_seq)} of them`;
    }
    if (p.window_blocks_per_seq) {
      kv += `; each sequence's sliding-window layers take up to ${
        formatCount(p.window_blocks_per_seq)
      } of them`;
    }
    const ranks = p.ranks_per_worker ?? 1;
    const gpus = `${p.gpus_per_worker} GPU${p.gpus_per_worker === 1 ? "" : "s"}` +
      (ranks > 1 ? ` in ${ranks} DP ranks` : "");
    const scheduler = SCHEDULERS[p.scheduler ?? "vllm"] ?? "";
    return [
      `Workers (${p.role}): ${p.workers} × ${gpus}, ${scheduler}${p.perf_model} timing, ${kv}`,
      ...hostTierLines(p),
      ...passLines(p),
    ];
  }).flat();
  lines.push(
    ...lowerTiersLines(
      (report.dynolab as { lower_kv_tiers?: LowerTiersSummary } | undefined)?.lower_kv_tiers,
    ),
  );
  const handoff = (report.dynolab as { handoff?: HandoffSummary } | undefined)?.handoff;
  if (handoff) lines.push(handoffLine(handoff));
  const queue = (report.dynolab as { router_queue?: RouterQueueSummary } | undefined)?.router_queue;
  if (queue) {
    const ms = (v: number) => `${formatValue(v)} ms`;
    const waits = (w: StepSummary | undefined) => w ? ` (mean ${ms(w.mean)}, p90 ${ms(w.p90)})` : "";
    const wait = queue.wait_ms;
    lines.push(
      wait
        ? `Router queue: ${(100 * queue.waited_share).toFixed(1)}% of requests waited at the router (mean ${
          ms(wait.mean)
        }, p90 ${ms(wait.p90)}, max ${ms(wait.max)})`
        : "Router queue: no request waited at the router",
    );
    for (const [name, k] of Object.entries(queue.by_class ?? {})) {
      const ttft = k.ttft_ms ? `, TTFT mean ${ms(k.ttft_ms.mean)}, p90 ${ms(k.ttft_ms.p90)}` : "";
      lines.push(
        `  class ${name}: ${requests(k.requests)}, ${formatCount(k.waited)} waited${
          waits(k.wait_ms)
        }${ttft}, ${formatCount(k.shed)} shed`,
      );
    }
  }
  const accept = details?.mean_accept_length;
  if (accept !== undefined && accept !== 1) {
    lines.push(`Mean speculative accept length: ${formatValue(accept)}`);
  }
  const stopped = details as {
    truncated?: boolean;
    simulated_end_ms?: number;
    unarrived_requests?: number;
    warmup_in_flight_requests?: number;
  };
  if (stopped?.truncated) {
    lines.push(
      `Stopped at the simulated-time limit (${simulatedTime(stopped.simulated_end_ms ?? 0)}): incomplete, ${
        requests(Number(report.incomplete_requests ?? 0))
      } in flight and ${requests(stopped.unarrived_requests ?? 0)} not yet sent, in no statistic${
        stopped.warmup_in_flight_requests
          ? ` (nor ${requests(stopped.warmup_in_flight_requests)} of the warm-up)`
          : ""
      }`,
    );
  }
  const rejected = Number(report.rejected_requests ?? 0);
  if (rejected > 0) {
    const by = (report.dynolab as { rejected_by_reason?: Record<string, number> }).rejected_by_reason ?? {};
    const why = Object.entries(by).map(([reason, n]) =>
      `${formatCount(n)} ${REJECTED_BECAUSE[reason as RejectReason]}`
    );
    lines.push(
      `Rejected: ${formatCount(rejected)} of ${
        formatCount(Number(report.num_requests))
      } requests, in no statistic (${why.join("; ")})`,
    );
  }
  return lines;
}

/** Where the disaggregated hand-offs' time went (means, with the p90 of the wait of those that waited for decode KV). */
function handoffLine(h: HandoffSummary): string {
  const pct = `${(100 * h.waited_share).toFixed(1)}%`;
  const ms = (v: number) => `${formatValue(v)} ms`;
  const wait = h.decode_kv_wait_ms;
  return `Hand-off: ${pct} of requests waited for decode KV${
    wait ? ` (mean ${ms(wait.mean)}, p90 ${ms(wait.p90)})` : ""
  }; transfer mean ${ms(h.transfer_ms.mean)}; decode queue mean ${ms(h.decode_queue_ms.mean)}`;
}

/** A link's bandwidth as the run summary gives it (0: instant). */
function gbps(v: number): string {
  return v > 0 ? `${formatCount(v, 2)} GB/s` : "instant";
}

/** The note on blocks a KV tier dropped for want of an unheld block to evict, if any. */
function dropped(n: number): string {
  return n > 0 ? ` (${formatCount(n)} dropped: no unheld block)` : "";
}

/** A pool's host KV tier: its size and links, and the blocks copied each way. */
function hostTierLines(p: PoolSummary): string[] {
  const t = p.host_tier;
  if (!t) return [];
  return [
    `  Host KV tier: ${formatCount(t.blocks_per_rank)} blocks per rank, copies ${
      gbps(t.offload_gbps)
    } out, ` +
    `${gbps(t.onboard_gbps)} back: ${formatCount(t.offloaded_blocks)} blocks stored${
      dropped(t.dropped_blocks)
    }, ` +
    `${formatCount(t.onboarded_blocks)} copied back (${formatCount(t.swap_ins)} requests parked for them` +
    `${t.staged_blocks > 0 ? `; ${formatCount(t.staged_blocks)} of them staged from the lower tiers` : ""})`,
  ];
}

/** The run summary's line about the lower KV tiers, if the run had any. */
function lowerTiersLines(t: LowerTiersSummary | undefined): string[] {
  if (!t) return [];
  const parts: string[] = [];
  if (t.disk) {
    const d = t.disk;
    parts.push(
      `disk ${formatCount(d.blocks)} blocks, ${gbps(d.write_gbps)} in, ${gbps(d.read_gbps)} out: ` +
        `${formatCount(d.stored_blocks)} stored${dropped(d.dropped_blocks)}, ${
          formatCount(d.read_blocks)
        } read back`,
    );
  }
  if (t.object) {
    const o = t.object;
    parts.push(
      `object store ${gbps(o.write_gbps)} in, ${gbps(o.read_gbps)} out: ${formatCount(o.stored_blocks)} ` +
        `stored, ${formatCount(o.read_blocks)} read back`,
    );
  }
  return [`Lower KV tiers (shared by every rank): ${parts.join("; ")}`];
}

/** A pool's busy time by part and its typical passes, indented under its `Workers` line. */
function passLines(p: PoolSummary): string[] {
  const lines: string[] = [];
  const busy = p.busy_ms_by_part;
  const total = busy ? busy.prefill + busy.decode + busy.overhead : 0;
  if (busy && total > 0) {
    const pct = (ms: number) => `${(100 * ms / total).toFixed(1)}%`;
    const parts = `prefill ${pct(busy.prefill)}, decode ${pct(busy.decode)}, framework overhead ${
      pct(busy.overhead)
    }`;
    const unit = (p.ranks_per_worker ?? 1) > 1 ? "rank-seconds" : "worker-seconds";
    lines.push(`  Busy ${formatValue(total / 1000)} ${unit}: ${parts}`);
  }
  const pf = p.typical_prefill_pass, dec = p.typical_decode_pass;
  if (pf) {
    // Per-request means: "each" where there are several.
    const shape = `${requests(pf.requests)}, ${pf.requests > 1 ? "each " : ""}${
      formatCount(pf.mean_isl - pf.mean_prefix)
    } new tokens after ${formatCount(pf.mean_prefix)} in KV`;
    lines.push(`  Typical prefill pass: ${shape}: ${passCost(pf)}`);
  }
  if (dec) {
    const shape = `${requests(dec.requests)} at ${formatCount(dec.mean_context)} tokens of context`;
    lines.push(`  Typical decode pass: ${shape}: ${passCost(dec)}`);
  }
  return lines;
}

/** A typical pass's time, overhead and split by operator family (largest first), as the run summary shows it. */
function passCost(t: TypicalPass): string {
  const ops = Object.entries(t.ops_ms ?? {}).sort((a, b) => b[1] - a[1]);
  const opsTotal = ops.reduce((a, [, ms]) => a + ms, 0);
  const split = opsTotal > 0
    ? ` (${ops.map(([op, ms]) => `${op} ${Math.round(100 * ms / opsTotal)}%`).join(", ")})`
    : "";
  return `${formatValue(t.ms)} ms + ${formatValue(t.overhead_ms)} ms overhead${split}`;
}

/** A count of requests: `1 request`, `2,048 requests`. */
function requests(n: number): string {
  return `${formatCount(n)} request${n === 1 ? "" : "s"}`;
}

/** How the run summary explains each rejection reason. */
const REJECTED_BECAUSE: Readonly<Record<RejectReason, string>> = {
  max_model_len: "with a prompt at or over max_model_len",
  kv_capacity: "needing more KV blocks than a rank holds",
  batched_tokens: "with a prompt over max_num_batched_tokens and chunked prefill off",
  router_queue_limit: "shed by the router, their policy class's queue at a limit",
};

/** A simulated time in seconds, or in ms below a second (a limit of 0.001 s would read "0.00 s"). */
function simulatedTime(ms: number): string {
  return ms >= 1000 ? `${formatValue(ms / 1000)} s` : `${formatValue(ms)} ms`;
}
