/**
 * Planner overhead on the full Mooncake conversation trace (2 initial aggregated workers, the issue's planner
 * config, 60 s start-up, polynomial timing).
 *
 * A planner run also changes the deployment (more workers, more passes), so "the same replay without it" is
 * the replay of the planner's own scaling events by a scripted controller: identical cluster work, no
 * planning. The ratio of the two medians is the planner's cost; it should stay ≤ 1.3. The fixed 2-worker
 * replay is shown for scale.
 *
 * Run: `deno task bench` (needs the shared traces; see tests/_shared.ts).
 */
import { loadInputs, runSimulation, type SimulationInputs } from "../../lib/simulate.ts";
import { parseSpec } from "../../lib/spec.ts";
import { ISSUE_PLANNER, scripted } from "../_planner.ts";
import { SHARED_DIR } from "../_shared.ts";

const trace = SHARED_DIR && `${SHARED_DIR}/traces/mooncake/conversation_trace.jsonl`;

/** Median wall times of `fs`, measured interleaved (a, b, a, b, …) after one warm-up each. */
function medians(fs: (() => void)[], n = 5): number[] {
  for (const f of fs) f();
  const walls = fs.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    fs.forEach((f, k) => {
      const t = performance.now();
      f();
      walls[k].push(performance.now() - t);
    });
  }
  return walls.map((w) => w.sort((a, b) => a - b)[n >> 1]);
}

if (!trace) {
  console.warn("planner_bench: shared traces not found (set DYNOLAB_SHARED); skipping");
} else {
  const fixed = await loadInputs({
    workload: { source: "trace", path: trace },
    topology: { mode: "agg", num_workers: 2, engine: { startup_time: 60 } },
  });
  const planned: SimulationInputs = { ...fixed, spec: parseSpec({ ...fixed.spec, planner: ISSUE_PLANNER }) };
  const events = runSimulation(planned).planner!.events;
  const [withPlanner, replayed, plain] = medians([
    () => runSimulation(planned),
    () => scripted(fixed, events),
    () => runSimulation(fixed),
  ]);
  console.log(
    `planner: median ${withPlanner.toFixed(0)} ms; same scaling replayed without the planner ${
      replayed.toFixed(0)
    } ms ` +
      `→ overhead ratio ${(withPlanner / replayed).toFixed(3)} (target ≤ 1.3); fixed 2 workers ${
        plain.toFixed(0)
      } ms ` +
      `(${events.length} scaling events)`,
  );
  Deno.bench({
    name: "conversation trace, planner in the loop",
    group: "planner",
    baseline: false,
    n: 5,
    warmup: 1,
  }, () => {
    runSimulation(planned);
  });
  Deno.bench({
    name: "conversation trace, its scaling replayed without the planner",
    group: "planner",
    baseline: true,
    n: 5,
    warmup: 1,
  }, () => {
    scripted(fixed, events);
  });
}
