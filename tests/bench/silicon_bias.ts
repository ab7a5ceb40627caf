/**
 * Where the silicon bench's error sits: how much of it a constant per deployment would remove (a kernel or
 * version bias), and how the TTFT bias moves with the TP degree per GPU. Pure functions over replayed rows'
 * signed relative errors (`simulated / measured − 1`); `runSilicon` prints them under its summary.
 *
 * @module
 */
import type { SiliconRow } from "./silicon_rows.ts";
import { mean, meanAbs, median } from "./percent.ts";

/** A replayed row's signed relative errors. */
export interface RowErrors {
  readonly ttft: number;
  readonly tpot: number;
}

/**
 * A row's deployment: GPU, model, precision, parallel layout and vLLM version. Rows of one deployment differ
 * only in ISL, OSL and concurrency (and in which run measured them).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deploymentKey } from "./silicon_bias.ts";
 * import type { SiliconRow } from "./silicon_rows.ts";
 * const row = { system: "h100_sxm", model: "m", precision: "fp8", tp: 4, attnDp: 1, moeEp: 1, version: "0.18.0" };
 * assert.equal(deploymentKey(row as SiliconRow), "h100_sxm m fp8 4/1/1 0.18.0");
 * ```
 */
export function deploymentKey(row: SiliconRow): string {
  return `${row.system} ${row.model} ${row.precision} ${row.tp}/${row.attnDp}/${row.moeEp} ${row.version}`;
}

/** MAPEs before and after removing each deployment's constant bias ({@link deploymentBias}). */
export interface DeploymentBias {
  /** The fewest rows a deployment needs to count. */
  readonly minRows: number;
  /** Deployments with at least `minRows` rows, and their rows. */
  readonly deployments: number;
  readonly rows: number;
  /** MAPE of those rows as simulated. */
  readonly ttft: number;
  readonly tpot: number;
  /** MAPE once each deployment's simulated values are divided by its median `simulated / measured`. */
  readonly ttftWithin: number;
  readonly tpotWithin: number;
}

/**
 * The error a per-deployment constant cannot remove: each deployment's ({@link deploymentKey}) simulated
 * values divided by the deployment's median ratio to the measurements, then the MAPE over its rows. What is
 * left varies with load and lengths inside one deployment (scheduling, queueing, prefill/decode mix), which no
 * kernel or version correction reaches. Deployments with fewer than `minRows` rows are left out (with one row
 * the residual is zero by construction).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deploymentBias, type RowErrors } from "./silicon_bias.ts";
 * import type { SiliconRow } from "./silicon_rows.ts";
 * const at = (concurrency: number) =>
 *   ({ system: "h100_sxm", model: "m", precision: "", tp: 1, attnDp: 1, moeEp: 1, version: "", concurrency });
 * // A constant +20 % bias is all removable; the TPOT errors vary inside the deployment, so some stays.
 * const errors = new Map([
 *   [at(1), { ttft: 0.2, tpot: 0 }],
 *   [at(2), { ttft: 0.2, tpot: 0.1 }],
 *   [at(4), { ttft: 0.2, tpot: 0.2 }],
 * ].map(([row, e]) => [row as SiliconRow, e as RowErrors]));
 * const b = deploymentBias(errors);
 * assert.equal(b.deployments, 1);
 * assert(Math.abs(b.ttft - 0.2) < 1e-12 && b.ttftWithin < 1e-12);
 * assert(b.tpotWithin > 0 && b.tpotWithin < b.tpot);
 * ```
 */
export function deploymentBias(errors: ReadonlyMap<SiliconRow, RowErrors>, minRows = 3): DeploymentBias {
  const kept = [...Map.groupBy(errors, ([row]) => deploymentKey(row)).values()]
    .filter((g) => g.length >= minRows)
    .map((g) => g.map(([, e]) => e));
  const all = kept.flat();
  /** Each error relative to its deployment's median ratio. */
  const within = (pick: (e: RowErrors) => number) =>
    kept.flatMap((g) => {
      const mid = median(g.map((e) => 1 + pick(e)));
      return g.map((e) => (1 + pick(e)) / mid - 1);
    });
  return {
    minRows,
    deployments: kept.length,
    rows: all.length,
    ttft: meanAbs(all.map((e) => e.ttft)),
    tpot: meanAbs(all.map((e) => e.tpot)),
    ttftWithin: meanAbs(within((e) => e.ttft)),
    tpotWithin: meanAbs(within((e) => e.tpot)),
  };
}

/** Rows and mean signed TTFT error of one (GPU, TP) cell of {@link ttftBiasByTp}. */
export interface TpCell {
  readonly rows: number;
  readonly ttft: number;
}

/**
 * Mean signed TTFT error per GPU and TP degree, over the rows with a plain TP layout (no attention DP, no
 * expert parallelism), so that the TP degree is the only parallel setting that moves. A bias that grows with
 * TP on one GPU points at what the TP degree changes in a pass: the all-reduces (their size and algorithm),
 * the GEMMs' per-GPU width, and the share of per-layer fixed costs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ttftBiasByTp } from "./silicon_bias.ts";
 * import type { SiliconRow } from "./silicon_rows.ts";
 * const row = (tp: number, moeEp = 1) => ({ system: "h200_sxm", tp, attnDp: 1, moeEp }) as SiliconRow;
 * const by = ttftBiasByTp(new Map([
 *   [row(2), { ttft: -0.1, tpot: 0 }],
 *   [row(8), { ttft: 0.2, tpot: 0 }],
 *   [row(8), { ttft: 0.1, tpot: 0 }],
 *   [row(8, 8), { ttft: 0.9, tpot: 0 }], // expert parallel: left out
 * ]));
 * assert.deepEqual(by.get("h200_sxm")?.get(2), { rows: 1, ttft: -0.1 });
 * assert.equal(by.get("h200_sxm")?.get(8)?.rows, 2);
 * ```
 */
export function ttftBiasByTp(errors: ReadonlyMap<SiliconRow, RowErrors>): Map<string, Map<number, TpCell>> {
  const plain = [...errors].filter(([row]) => row.attnDp === 1 && row.moeEp === 1);
  return new Map(
    [...Map.groupBy(plain, ([row]) => row.system)].map(([gpu, rows]) => [
      gpu,
      new Map(
        [...Map.groupBy(rows, ([row]) => row.tp)].map(([tp, cell]) => [
          tp,
          { rows: cell.length, ttft: mean(cell.map(([, e]) => e.ttft)) },
        ]),
      ),
    ]),
  );
}
