/**
 * Sweep speed-up: the 31-point `startup_time` sweep of `scenarios/cold_start.ts` (the SLA planner on the
 * Mooncake conversation trace, 12,031 requests; start-up 0 … 300 s), run one after another in one thread and
 * then on Web Workers over every core, with the result cache off. Prints both wall times, the CPU time each
 * used, and their ratio (the issue asks for ≥ 1.7× on two cores), and checks the two give identical results.
 *
 * Run: `deno task bench:sweep` (`ROUNDS=n` for the best of n rounds, default 2; needs the shared traces, see
 * tests/_shared.ts).
 *
 * @module
 */
import process from "node:process";
import { defaultParallelism, type Scenario } from "../../mod.ts";
import { SHARED_DIR } from "../_shared.ts";

/** CPU seconds this process (all its threads) has used. */
function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function loadAverage(): string {
  return Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
}

async function timed(s: Scenario, parallelism: number) {
  const cpu0 = cpuSeconds(), t0 = performance.now();
  const results = await s.run({ cache: false, quiet: true, parallelism });
  const wall = (performance.now() - t0) / 1000;
  return { results, wall, cores: (cpuSeconds() - cpu0) / wall };
}

if (!SHARED_DIR) {
  console.warn("sweep_speedup: shared traces not found (set DYNOLAB_SHARED); skipping");
} else {
  const s: Scenario = (await import("../../scenarios/cold_start.ts")).default;
  const param = s.sweeps[0].param;
  const cores = defaultParallelism();
  const rounds = Number(Deno.env.get("ROUNDS") ?? 2);
  console.log(
    `${s.runs().length}-point ${param} sweep over the conversation trace; ${cores} cores; ` +
      `best of ${rounds}; load average before: ${loadAverage()}`,
  );
  const seq: number[] = [], par: number[] = [];
  let reference = "";
  for (let i = 0; i < rounds; i++) {
    const a = await timed(s, 1);
    const b = await timed(s, cores);
    seq.push(a.wall);
    par.push(b.wall);
    const json = JSON.stringify(a.results.toJSON());
    if (json !== JSON.stringify(b.results.toJSON()) || (reference && json !== reference)) {
      throw new Error("parallel results differ from sequential ones");
    }
    reference = json;
    console.log(
      `round ${i + 1}: sequential ${a.wall.toFixed(1)} s wall, ${(a.wall * a.cores).toFixed(1)} CPU s ` +
        `(${a.cores.toFixed(2)} cores busy); parallel ${b.wall.toFixed(1)} s wall, ` +
        `${(b.wall * b.cores).toFixed(1)} CPU s (${b.cores.toFixed(2)} cores busy)`,
    );
  }
  const best = (xs: number[]) => Math.min(...xs);
  console.log(`sequential (1 thread):    ${best(seq).toFixed(1)} s`);
  console.log(`parallel (${cores} Web Workers): ${best(par).toFixed(1)} s`);
  console.log(
    `speed-up: ${(best(seq) / best(par)).toFixed(2)}× on ${cores} cores; identical results: true; ` +
      `load average after: ${loadAverage()}`,
  );
}
