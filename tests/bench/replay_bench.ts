/**
 * Replay speed on the full Mooncake conversation trace (12,031 requests, 4.1 M output tokens, ~59 simulated
 * minutes), 2 aggregated workers, default engine, round robin and KV router; and SGLang's scheduler behind the KV
 * router (16-token pages).
 *
 * Run: `deno task bench` (needs the shared traces; see tests/_shared.ts). Besides Deno's own timings it prints
 * the figures that matter: simulated time ÷ wall time, and µs of wall time per output token.
 */
import { loadInputs, runSimulation, type SimulationInputs } from "../../lib/simulate.ts";
import { SHARED_DIR } from "../_shared.ts";

const trace = SHARED_DIR && `${SHARED_DIR}/traces/mooncake/conversation_trace.jsonl`;

async function inputsFor(
  mode: "round_robin" | "kv_router",
  engine: Record<string, unknown> = { num_gpu_blocks: 16384, block_size: 64 },
): Promise<SimulationInputs> {
  return await loadInputs({
    workload: { source: "trace", path: trace! },
    topology: { mode: "agg", num_workers: 2, engine },
    router: { mode },
  });
}

if (!trace) {
  console.warn("replay_bench: shared traces not found (set DYNOLAB_SHARED); skipping");
} else {
  const cases = {
    round_robin: await inputsFor("round_robin"),
    kv_router: await inputsFor("kv_router"),
    "kv_router, sglang": await inputsFor("kv_router", {
      engine_type: "sglang",
      num_gpu_blocks: 65536,
      block_size: 16,
    }),
  };
  const t0 = performance.now();
  await inputsFor("round_robin");
  const loadMs = performance.now() - t0;
  console.log(`conversation trace load: ${loadMs.toFixed(0)} ms`);
  for (const [name, inputs] of Object.entries(cases)) {
    const walls: number[] = [];
    let simulatedMs = 0, outputTokens = 0;
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      const { report, cluster } = runSimulation(inputs);
      walls.push(performance.now() - start);
      simulatedMs = cluster.endMs;
      outputTokens = report.total_output_tokens as number;
    }
    walls.sort((a, b) => a - b);
    const wall = walls[2];
    console.log(
      `${name}: median ${wall.toFixed(0)} ms wall for ${(simulatedMs / 1000).toFixed(0)} s simulated = ` +
        `${(simulatedMs / wall).toFixed(0)}× real time (${
          (simulatedMs / (wall + loadMs)).toFixed(0)
        }× with loading); ` +
        `${(wall * 1000 / outputTokens).toFixed(3)} µs per output token`,
    );
    Deno.bench({ name: `conversation trace, 2 workers, ${name}`, n: 5, warmup: 1 }, () => {
      runSimulation(inputs);
    });
  }
}
