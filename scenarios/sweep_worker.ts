/// <reference lib="deno.worker" />
/**
 * Web Worker of `startup_sweep.ts`: runs one sweep point (a spec) and posts its figures back.
 *
 * @module
 */
import { loadInputs, runSimulation } from "../lib/simulate.ts";
import type { SweepRow } from "./startup_sweep.ts";

self.onmessage = async (e: MessageEvent) => {
  try {
    const t0 = performance.now();
    const result = runSimulation(await loadInputs(e.data.spec));
    const r = result.report as Record<string, number>, p = result.planner!;
    const peak = Math.max(...p.ticks.map((t) => t.decode.active + (t.prefill?.active ?? 0)));
    const gpu = p.gpuHours();
    const row: SweepRow = {
      topology: e.data.topology,
      startup: e.data.startup,
      meanTtft: r.mean_ttft_ms,
      p90Ttft: r.p90_ttft_ms,
      meanItl: r.mean_itl_ms,
      p90Itl: r.p90_itl_ms,
      gpuHours: gpu.provisioned,
      activeGpuHours: gpu.active,
      scaleUps: p.events.filter((ev) => ev.reason === "scale_up").length,
      events: p.events.length,
      peakWorkers: peak,
      wallMs: performance.now() - t0,
    };
    self.postMessage(row);
  } catch (err) {
    self.postMessage({ error: String((err as Error).stack ?? err) });
  }
};
