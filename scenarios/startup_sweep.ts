/**
 * Engine start-up sweep with the planner in the loop (the reference's cold-start study, §10.3), as a plain
 * `deno run` script until the DSL lands.
 *
 * The command on the Mooncake conversation trace: agg, target sla, TTFT 1500 ms, ITL 50 ms, both
 * scalings, intervals 300/10 s, 2 initial workers; `startup_time` swept. Runs are spread over Web Workers
 * (one per core) and the table is printed as Markdown.
 *
 *   deno run -A scenarios/startup_sweep.ts [--trace PATH] [--startups 0,30,60] [--workers N] [--aic] [--disagg]
 *
 * `--aic` uses the reference's AIC engine args (vLLM, h200_sxm, Llama-3.1-8B-FP8, TP 1) instead of the default
 * polynomial timing: it needs the AIC perf model (the perf-model issue). `--disagg` adds, for comparison, the
 * same sweep with 1 prefill + 1 decode worker.
 *
 * @module
 */
import { parseArgs } from "node:util";

/** One sweep point's figures. */
export interface SweepRow {
  topology: "agg" | "disagg";
  startup: number;
  meanTtft: number;
  p90Ttft: number;
  meanItl: number;
  p90Itl: number;
  gpuHours: number;
  activeGpuHours: number;
  scaleUps: number;
  events: number;
  peakWorkers: number;
  wallMs: number;
}

const AIC_ARGS = {
  aic_backend: "vllm",
  aic_system: "h200_sxm",
  aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8",
  aic_tp_size: 1,
};

/** The planner config. */
export const PLANNER = {
  optimization_target: "sla",
  ttft_ms: 1500,
  itl_ms: 50,
  enable_throughput_scaling: true,
  enable_load_scaling: true,
  pre_deployment_sweeping_mode: "rapid",
  throughput_adjustment_interval_seconds: 300,
  load_adjustment_interval_seconds: 10,
  prefill_engine_num_gpu: 1,
  decode_engine_num_gpu: 1,
};

/** The spec of one sweep point. */
export function sweepSpec(trace: string, topology: "agg" | "disagg", startup: number, aic: boolean): unknown {
  const engine = { ...(aic ? AIC_ARGS : {}), ...(startup > 0 ? { startup_time: startup } : {}) };
  return {
    workload: { source: "trace", path: trace },
    topology: topology === "agg" ? { mode: "agg", num_workers: 2, engine } : {
      mode: "disagg",
      num_prefill_workers: 1,
      num_decode_workers: 1,
      prefill_engine: engine,
      decode_engine: engine,
    },
    planner: { ...PLANNER, mode: topology },
  };
}

/** Run `jobs` on `workers` Web Workers (`sweep_worker.ts`); rows sorted by topology and start-up. */
async function runAll(
  jobs: { spec: unknown; topology: "agg" | "disagg"; startup: number }[],
  workers: number,
): Promise<SweepRow[]> {
  const rows: SweepRow[] = [];
  let next = 0;
  const one = async () => {
    const worker = new Worker(new URL("./sweep_worker.ts", import.meta.url), { type: "module" });
    try {
      while (next < jobs.length) {
        const job = jobs[next++];
        const row = await new Promise<SweepRow>((resolve, reject) => {
          worker.onmessage = (e) => (e.data.error ? reject(new Error(e.data.error)) : resolve(e.data));
          worker.onerror = (e) => reject(e);
          worker.postMessage(job);
        });
        rows.push(row);
        console.error(`done: ${row.topology} startup ${row.startup} s (${(row.wallMs / 1000).toFixed(1)} s)`);
      }
    } finally {
      worker.terminate();
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, one));
  return rows.sort((a, b) => a.topology.localeCompare(b.topology) || a.startup - b.startup);
}

/** Markdown table of the rows. */
export function table(rows: SweepRow[]): string {
  const f = (v: number, d = 0) =>
    v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
  const lines = [
    "| topology | startup (s) | TTFT mean (ms) | TTFT p90 (ms) | ITL mean (ms) | ITL p90 (ms) | GPU-hours | active GPU-hours | scale-ups | scaling events | peak workers |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.topology} | ${r.startup} | ${f(r.meanTtft)} | ${f(r.p90Ttft)} | ${f(r.meanItl, 1)} | ${
        f(r.p90Itl, 1)
      } | ` +
        `${f(r.gpuHours, 2)} | ${f(r.activeGpuHours, 2)} | ${r.scaleUps} | ${r.events} | ${r.peakWorkers} |`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      trace: { type: "string", default: "../shared/traces/mooncake/conversation_trace.jsonl" },
      startups: { type: "string", default: "0,30,60,90,120,180,240,300" },
      workers: { type: "string", default: String(navigator.hardwareConcurrency ?? 2) },
      aic: { type: "boolean", default: false },
      disagg: { type: "boolean", default: false },
    },
  });
  const startups = values.startups!.split(",").map(Number);
  const topologies: ("agg" | "disagg")[] = values.disagg ? ["agg", "disagg"] : ["agg"];
  const jobs = topologies.flatMap((topology) =>
    startups.map((startup) => ({
      topology,
      startup,
      spec: sweepSpec(values.trace!, topology, startup, values.aic!),
    }))
  );
  const t0 = performance.now();
  const rows = await runAll(jobs, Number(values.workers));
  console.log(table(rows));
  console.error(
    `${jobs.length} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${values.workers} workers`,
  );
}
