/**
 * Sweep speed-up: the 31-point sweep over the Mooncake conversation trace (12,031 requests), run one after
 * another in one thread and then on Web Workers over every core, with the result cache off. Prints both wall
 * times and their ratio (the issue asks for ≥ 1.7× on two cores), and checks the two give identical results.
 *
 * Run: `deno task bench:sweep` (needs the shared traces; see tests/_shared.ts). Until the planner lands the
 * sweep is over `numGpuBlocks` (2,048 … 32,768 step 1,024); with the planner it becomes the `startupTime` sweep
 * `range(0, 300, 10)`.
 *
 * @module
 */
import { plannerSchema } from "../../lib/dsl/params.ts";
import { defaultParallelism, range, type Scenario, scenario } from "../../mod.ts";
import { SHARED_DIR } from "../_shared.ts";

function study(): Scenario {
  const base = scenario("sweep speed-up").trace(`${SHARED_DIR}/traces/mooncake/conversation_trace.jsonl`)
    .agg({ workers: 2 });
  if (plannerSchema()) {
    return base
      .engine({ backend: "vllm", gpu: "h200_sxm", model: "nvidia/Llama-3.1-8B-Instruct-FP8", tp: 1 })
      .planner({ ttftMs: 1500, itlMs: 50, throughputIntervalS: 300, loadIntervalS: 10 })
      .sweep("startupTime", range(0, 300, 10));
  }
  return base.sweep("numGpuBlocks", range(2048, 32768, 1024));
}

if (!SHARED_DIR) {
  console.warn("sweep_speedup: shared traces not found (set DYNOLAB_SHARED); skipping");
} else {
  const s = study();
  const param = s.sweeps[0].param;
  const cores = defaultParallelism();
  console.log(`${s.runs().length}-point ${param} sweep over the conversation trace; ${cores} cores`);
  const t0 = performance.now();
  const sequential = await s.run({ cache: false, quiet: true, parallelism: 1 });
  const t1 = performance.now();
  const parallel = await s.run({ cache: false, quiet: true, parallelism: cores });
  const t2 = performance.now();
  const same = JSON.stringify(sequential.toJSON()) === JSON.stringify(parallel.toJSON());
  const seqS = (t1 - t0) / 1000, parS = (t2 - t1) / 1000;
  console.log(`sequential (1 thread):       ${seqS.toFixed(1)} s`);
  console.log(`parallel (${cores} Web Workers):    ${parS.toFixed(1)} s`);
  console.log(`speed-up: ${(seqS / parS).toFixed(2)}× on ${cores} cores; identical results: ${same}`);
  if (!same) throw new Error("parallel results differ from sequential ones");
}
