import assert from "node:assert/strict";
import { COEFFICIENTS } from "../../lib/perf/calibration/coefficients.ts";
import { evaluate } from "../../lib/perf/calibration/evaluate.ts";
import { loadAllTables } from "../../lib/perf/calibration/fit.ts";
import { catalogUsage, extractSamples } from "../../lib/perf/calibration/samples.ts";
import { listBackends } from "../../lib/perf/aic/systems.ts";
import { sharedPath, sharedTest } from "../_shared.ts";

/** The kernel-level target: analytic vs AIC tables, median error per op family a pass uses. */
const TARGET_MEDIAN = 0.08;

sharedTest(
  "calibration: the committed curves are within 8% median of AIC's tables in every GPU × backend × op family",
  async () => {
    const root = sharedPath("aic/systems");
    const misses: string[] = [];
    let cells = 0;
    for (const system of Object.keys(COEFFICIENTS).sort()) {
      for (const backend of await listBackends(root, system)) {
        const coef = COEFFICIENTS[system].backends[backend];
        const tables = await loadAllTables(root, system, backend);
        if (!coef || !tables) continue;
        for (const e of evaluate(coef, tables.gpu, extractSamples(tables, catalogUsage(system, backend)))) {
          if (e.count === 0) continue;
          cells++;
          const cell = `${system}/${backend} ${e.family}`;
          if (!(e.median <= TARGET_MEDIAN)) {
            misses.push(`${cell}: ${(e.median * 100).toFixed(1)}%`);
          }
        }
      }
    }
    assert(cells >= 50, `only ${cells} cells evaluated`);
    assert.deepEqual(misses, []);
  },
);

sharedTest(
  "calibration: only vLLM 0.24's per-tensor FP8 MoE tables on Hopper are passed over, for the older ones",
  async () => {
    const root = sharedPath("aic/systems");
    const picks: string[] = [];
    for (const system of Object.keys(COEFFICIENTS).sort()) {
      for (const backend of await listBackends(root, system)) {
        const tables = await loadAllTables(root, system, backend);
        for (const p of tables?.picks ?? []) {
          assert(p.median > 2, `${system}/${backend} ${p.format}: ${p.median}`);
          picks.push(`${system}/${backend} ${p.format}: ${p.skipped} -> ${p.version}`);
        }
      }
    }
    assert.deepEqual(picks, [
      "h100_sxm/vllm fp8: 0.24.0 -> 0.19.0",
      "h200_sxm/vllm fp8: 0.24.0 -> 0.22.0",
    ]);
  },
);
