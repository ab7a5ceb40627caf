/**
 * `scenario.price(shapes)`: single passes of given shapes priced on every run's deployment (its variants and
 * swept parameters), without simulating: a table of pass times by operator family.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { OP_FAMILIES, type OpFamily } from "../perf/mod.ts";
import { type PassShapesInput, type PricedPass, pricePasses } from "../price.ts";
import { JUPYTER_DISPLAY, show } from "./display.ts";
import type { Scope } from "./params.ts";
import { expandRuns, inRun } from "./plan.ts";
import { DSL_POOL_NAME } from "./prepare.ts";
import { type Scenario, setScenarioPricer } from "./scenario.ts";
import { formatRows, htmlTable, textTable } from "./table.ts";
import type { Scalar } from "./types.ts";

/** One priced pass of one run: the run's variant and parameters, the pass's shape, its times (ms). */
export type PriceRow = Record<string, Scalar | null>;

/** Priced passes of a scenario's runs, a row each (see {@link priceScenario}). */
export class PassPrices {
  /** The scenario's name. */
  readonly scenario: string;
  /** One row per run, pool and pass shape, in run order. */
  readonly rows: readonly PriceRow[];

  constructor(scenario: string, rows: readonly PriceRow[]) {
    this.scenario = scenario;
    this.rows = rows;
  }

  /** Every column of the rows, in first-seen order (operator families vary by perf model). */
  get columns(): string[] {
    return [...new Set(this.rows.flatMap((r) => Object.keys(r)))];
  }

  /** Print (and return) a text table of every column. */
  table(print = true): string {
    const columns = this.columns;
    const text = textTable(columns, formatRows(columns, this.rows));
    if (print) console.log(text);
    return text;
  }

  /** Display now (in Jupyter: awaited `Deno.jupyter.display`; elsewhere: printed as text). */
  show(): Promise<void> {
    return show(this);
  }

  /** Jupyter display: an HTML table (and a text one). */
  [JUPYTER_DISPLAY](): Record<string, string> {
    const title = `${this.scenario}: ${this.rows.length} priced pass(es)`, columns = this.columns;
    return {
      "text/html": htmlTable(columns, formatRows(columns, this.rows), title),
      "text/plain": `${title}\n${this.table(false)}`,
    };
  }
}

/**
 * Price `shapes` on every run of `s` ({@link pricePasses} on each run's topology). Each row holds the run's
 * variant and swept parameters, the pool, the pass's shape, `ms` (the prefill or decode part), `overheadMs`,
 * `totalMs`, `solMs` (the pass's speed of light, where the perf model has a roofline: at speed-up ratio 1, `ms / solMs`
 * is how far its kernels run from the hardware's limits) and, where the perf model splits passes, the part by operator
 * family (`gemmMs`, `attentionMs`, …).
 * Only engine args change a price, so sweeping any other parameter (the workload, the worker counts, the
 * router, the planner) is an error: every value would price the same passes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scenario } from "../../mod.ts";
 * const prices = await scenario("tp")
 *   .engine({ backend: "vllm", gpu: "h200_sxm", model: "meta-llama/Llama-3.1-70B-Instruct" })
 *   .sweep("tp", [2, 4])
 *   .price({ prefill: [{ isl: 4000 }], decode: [{ requests: 32, context: 4000 }] });
 * assert.equal(prices.rows.length, 4);
 * const [tp2, tp4] = prices.rows.filter((r) => r.pass === "prefill");
 * assert(tp2.tp === 2 && (tp4.totalMs as number) < (tp2.totalMs as number));
 * ```
 */
export async function priceScenario(s: Scenario, shapes: PassShapesInput): Promise<PassPrices> {
  for (const v of s.variants?.map(([, v]) => v) ?? [s]) {
    const idle = v.sweeps.find((w) => !PRICED_SCOPES.has(w.def.scope));
    if (idle) {
      throw new InputError(
        `price() reads only engine args (engine.*, prefill.*, decode.*: e.g. "tp", "gpu", "model"), and this ` +
          `${idle.def.scope} parameter changes none, so every value would price the same passes; sweep an engine ` +
          `arg, or simulate the sweep with .run()`,
        { field: `sweep("${idle.param}")` },
      );
    }
  }
  const priced: Array<[PriceRow, PricedPass]> = [];
  for (const run of expandRuns(s, "ignored")) {
    const passes = await inRun(run, () => pricePasses(run.spec.topology, shapes, DSL_POOL_NAME));
    const head: PriceRow = run.variant === null ? {} : { variant: run.variant };
    for (const p of passes) priced.push([{ ...head, ...run.params }, p]);
  }
  const families = OP_FAMILIES.filter((f) => priced.some(([, p]) => p.ops?.[f] !== undefined));
  return new PassPrices(s.name, priced.map(([head, p]) => ({ ...head, ...priceRow(p, families) })));
}

/** The scopes of the parameters a pass's price depends on: the engine args of every pool, or of one. */
const PRICED_SCOPES: ReadonlySet<Scope> = new Set(["engine", "prefill", "decode"]);

/**
 * A priced pass as a row: the shape's fields (null where the other kind of pass has them), its times, and its
 * part in each of `families` (null where it has none).
 */
function priceRow(p: PricedPass, families: readonly OpFamily[]): PriceRow {
  const row: PriceRow = {
    pool: p.pool,
    timing: p.timing,
    pass: p.pass,
    requests: p.requests,
    isl: p.isl ?? null,
    prefix: p.prefix ?? null,
    context: p.context ?? null,
    kv: p.kv ?? null,
    ms: p.ms,
    overheadMs: p.overheadMs,
    totalMs: p.ms + p.overheadMs,
    solMs: p.solMs ?? null,
  };
  for (const f of families) row[`${f}Ms`] = p.ops?.[f] ?? null;
  return row;
}

setScenarioPricer(priceScenario);
