/**
 * The fluent, immutable scenario builder: `scenario(name).trace(…).engine(…).agg(…).sweep(…).run()`.
 *
 * Every method returns a new {@link Scenario}, so variants branch from a common base without affecting it.
 * Options are camelCase and map one to one onto the spec's snake_case fields (see `params.ts`); unknown options
 * and parameters throw at once with a suggestion, and are type errors where TypeScript can see them.
 *
 * @module
 */
import { JUPYTER_DISPLAY, show } from "./display.ts";
import { InputError } from "../common/errors.ts";
import { EngineArgsSchema } from "../engine/mod.ts";
import { readRouterPolicy, ROUTER_MODES, RouterConfigSchema, type RouterMode } from "../router/mod.ts";
import { RouterAicSchema, SlaSchema } from "../spec.ts";
import { PlannerConfigObject } from "../planner/mod.ts";
import { SyntheticWorkloadSchema, TraceWorkloadSchema } from "../workload/mod.ts";
import {
  copyDraft,
  type Draft,
  draftToSpec,
  emptyDraft,
  setParam,
  setTopology,
  setWorkload,
  type TraceRef,
} from "./draft.ts";
import {
  checkSweepValues,
  ENGINE_ALIASES,
  lookupParam,
  type ParamDef,
  PLANNER_ALIASES,
  sameParam,
  toSnake,
  unknownOptions,
} from "./params.ts";
import { escapeHtml } from "./table.ts";
import { expandRuns, type PlannedRun } from "./plan.ts";
import type { PassPrices } from "./pass_prices.ts";
import type { PassShapesInput } from "../price.ts";
import type { Results } from "./results.ts";
import type { RunOptions } from "./run.ts";
import type {
  AggOptions,
  DisaggOptions,
  EngineOptions,
  ParamName,
  ParamTypes,
  PlannerOptions,
  RouterOptions,
  Scalar,
  SlaOptions,
  SyntheticOptions,
  TraceOptions,
} from "./types.ts";

/** One `.sweep()` call. */
export interface Sweep {
  readonly param: string;
  readonly def: ParamDef;
  readonly values: readonly Scalar[];
}

/** A scenario's state; {@link Scenario} wraps it immutably. */
interface State {
  readonly name: string;
  readonly draft: Draft;
  readonly sweeps: readonly Sweep[];
  /** Named variants from `.compare()`; every later call applies to each of them. */
  readonly variants: ReadonlyArray<readonly [string, Scenario]> | null;
  /** Method calls so far, for display. */
  readonly calls: readonly string[];
}

type RunScenario = (s: Scenario, options: RunOptions) => Promise<Results>;
type PriceScenario = (s: Scenario, shapes: PassShapesInput) => Promise<PassPrices>;
let runner: RunScenario | undefined;
let pricer: PriceScenario | undefined;

/** Installs the runner (`run.ts` does this on import; kept indirect so the builder stays I/O-free). */
export function setScenarioRunner(fn: RunScenario): void {
  runner = fn;
}

/** Installs the pricer (`pass_prices.ts` does this on import, as `run.ts` installs the runner). */
export function setScenarioPricer(fn: PriceScenario): void {
  pricer = fn;
}

/**
 * An immutable simulation scenario. Build one with {@link scenario}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { range, scenario } from "../../mod.ts";
 * const base = scenario("capacity").trace("mooncake:conversation").engine({ numGpuBlocks: 8192 });
 * const s = base.agg({ workers: 2 }).sweep("numGpuBlocks", range(4096, 16384, 4096));
 * assert(s.runs().length === 4 && base.runs().length === 1);
 * assert(s.runs()[3].spec.topology.mode === "agg");
 * ```
 */
export class Scenario {
  readonly #s: State;

  /** Use {@link scenario} instead. */
  constructor(state: State) {
    this.#s = state;
  }

  /** The scenario's name (used in results, cache and findings). */
  get name(): string {
    return this.#s.name;
  }

  /** The sweeps declared so far (outermost first). */
  get sweeps(): readonly Sweep[] {
    return this.#s.sweeps;
  }

  /** Named variants from `.compare()`, or null. */
  get variants(): ReadonlyArray<readonly [string, Scenario]> | null {
    return this.#s.variants;
  }

  /** The settings (a copy). */
  get draft(): Draft {
    return copyDraft(this.#s.draft);
  }

  /** The method calls that built this scenario, e.g. `.agg({"workers":2})`. */
  get calls(): readonly string[] {
    return this.#s.calls;
  }

  /**
   * Replay a trace: a file path, an `http(s)` URL, or a named public trace such as `"mooncake:conversation"`,
   * `"mooncake:synthetic"`, `"mooncake:toolagent"`, `"mooncake:arxiv"`, `"azure:code"`, `"azure:conv"`,
   * `"kv-cache-tester:claude-code"` (see `traces.ts`).
   * `blockSize` is the trace's tokens per hash id (`--trace-block-size`), `speedup` the
   * `--arrival-speedup-ratio`. A `dynamo` trace may be several shards: `.trace(["a.jsonl.gz", "b.jsonl.gz"],
   * { format: "dynamo" })`.
   */
  trace(ref: TraceRef, options: TraceOptions = {}): Scenario {
    const shown = Object.keys(options).length ? `, ${JSON.stringify(options)}` : "";
    const call = `.trace(${JSON.stringify(ref)}${shown})`;
    const refs: readonly unknown[] = Array.isArray(ref) ? ref : [ref];
    if (refs.length === 0 || refs.some((r) => typeof r !== "string" || r.trim() === "")) {
      throw new InputError(
        "expected a trace path, URL or name (or a list of them: a dynamo trace's shards)",
        {
          field: ".trace()",
        },
      );
    }
    const { speedup, blockSize, ...rest } = options as TraceOptions & Record<string, unknown>;
    const keys = toSnake(rest, TraceWorkloadSchema, ".trace() options", {}, {
      extra: ["speedup", "blockSize"],
      hidden: ["source", "path", "trace_block_size"],
    });
    return this.#edit(call, (d) => {
      setWorkload(d, { kind: "trace", ref }, ".trace()");
      Object.assign(d.trace, keys);
      if (blockSize !== undefined) d.trace.trace_block_size = blockSize;
      if (speedup !== undefined) d.run.arrival_speedup_ratio = speedup;
    });
  }

  /** Generate requests (`--input-tokens/--output-tokens/--request-count` and friends). */
  synthetic(options: SyntheticOptions): Scenario {
    const { concurrency, ...rest } = options as SyntheticOptions & Record<string, unknown>;
    const keys = toSnake(rest, SyntheticWorkloadSchema, ".synthetic() options", {}, {
      extra: ["concurrency"],
      hidden: ["source"],
    });
    return this.#edit(`.synthetic(${JSON.stringify(options)})`, (d) => {
      setWorkload(d, { kind: "synthetic" }, ".synthetic()");
      Object.assign(d.synthetic, keys);
      if (concurrency !== undefined) d.run.replay_concurrency = concurrency;
    });
  }

  /** The embedded default workload (the CLI's `--demo`): agentic, multi-turn, prefix-sharing. */
  defaultWorkload(): Scenario {
    return this.#edit(".defaultWorkload()", (d) => setWorkload(d, { kind: "default" }, ".defaultWorkload()"));
  }

  /** Aggregated serving with `workers` identical workers (`--num-workers`). */
  agg(options: AggOptions = {}): Scenario {
    const { workers, ...rest } = options;
    unknownOptions(rest, ["workers"], ".agg()");
    return this.#edit(`.agg(${JSON.stringify(options)})`, (d) => {
      setTopology(d, "agg", ".agg()");
      if (workers !== undefined) d.topo.num_workers = workers;
    });
  }

  /**
   * Disaggregated serving: a prefill pool and a decode pool, each with its worker count and engine args
   * (merged over those of {@link Scenario.engine}, whichever is called first).
   */
  disagg(options: DisaggOptions = {}): Scenario {
    const { prefill = {}, decode = {}, kvTransferLinkSharing, ...rest } = options;
    unknownOptions(rest, ["prefill", "decode", "kvTransferLinkSharing"], ".disagg()");
    const pool = (p: typeof prefill, what: string) => {
      const { workers, ...engine } = p;
      return {
        workers,
        args: toSnake(engine, EngineArgsSchema, what, ENGINE_ALIASES, { extra: ["workers"] }),
      };
    };
    const pre = pool(prefill, ".disagg() prefill"), dec = pool(decode, ".disagg() decode");
    return this.#edit(`.disagg(${JSON.stringify(options)})`, (d) => {
      setTopology(d, "disagg", ".disagg()");
      if (pre.workers !== undefined) d.topo.num_prefill_workers = pre.workers;
      if (dec.workers !== undefined) d.topo.num_decode_workers = dec.workers;
      if (kvTransferLinkSharing !== undefined) d.topo.kv_transfer_link_sharing = kvTransferLinkSharing;
      Object.assign(d.prefill, pre.args);
      Object.assign(d.decode, dec.args);
    });
  }

  /**
   * Engine args of every worker (`--extra-engine-args`; both pools in disagg, under the pools' own args from
   * {@link Scenario.disagg}). Setting or sweeping an engine parameter (`.set()`, `.sweep()`) instead sets it
   * on every pool, over the pools' own args.
   */
  engine(options: EngineOptions): Scenario {
    const args = toSnake(options, EngineArgsSchema, ".engine()", ENGINE_ALIASES);
    return this.#edit(`.engine(${JSON.stringify(options)})`, (d) => {
      Object.assign(d.engine, args);
    });
  }

  /**
   * Routing: a mode (`"round_robin"`, `"random"`, `"kv_router"`) or `{mode, …router config}`, with the
   * router-side perf model (`aic`) and the queue's policy classes (`policy`, `modelName`).
   */
  router(options: RouterMode | RouterOptions): Scenario {
    const opts: RouterOptions = typeof options === "string" ? { mode: options } : options;
    const { mode, aic, policy, modelName, ...config } = opts;
    if (mode !== undefined && !(ROUTER_MODES as readonly string[]).includes(mode)) {
      throw new InputError(`unknown router mode "${mode}"; expected one of: ${ROUTER_MODES.join(", ")}`, {
        field: ".router()",
      });
    }
    const keys = toSnake(config, RouterConfigSchema, ".router()", { temperature: "router_temperature" }, {
      extra: ["mode", "aic", "policy", "modelName"],
    });
    const aicKeys = aic && toSnake(aic, RouterAicSchema, ".router() aic", ENGINE_ALIASES);
    const doc = typeof policy === "string" ? readRouterPolicy(policy, ".router() policy") : policy;
    return this.#edit(`.router(${JSON.stringify(options)})`, (d) => {
      if (mode !== undefined) d.routerMode = mode;
      Object.assign(d.router, keys);
      if (aicKeys) d.routerAic = { ...(d.routerAic ?? {}), ...aicKeys };
      if (doc !== undefined) d.routerPolicy = structuredClone(doc) as Record<string, unknown>;
      if (modelName !== undefined) d.routerModelName = modelName;
    });
  }

  /**
   * The SLA planner in the loop (`--planner-config`). Keys are the planner config's in camelCase (`ttftMs`,
   * `optimizationTarget`, `enableLoadScaling`, …), plus `throughputIntervalS`, `loadIntervalS` and the
   * reference's aliases (`ttft`, `itl`); `mode` defaults to the topology's.
   */
  planner(options: PlannerOptions): Scenario {
    const keys = toSnake(options, PlannerConfigObject, ".planner()", PLANNER_ALIASES);
    return this.#edit(`.planner(${JSON.stringify(options)})`, (d) => {
      d.planner = { ...(d.planner ?? {}), ...keys };
      for (const key of Object.keys(keys)) delete d.plannerParams[key]; // the later call wins
    });
  }

  /** Seed for the run's random choices (router draws, the arrival jitter; MTP bursts take `aicMtpSeed`). */
  seed(seed: number): Scenario {
    return this.#edit(`.seed(${seed})`, (d) => void (d.run.seed = seed));
  }

  /** Goodput thresholds for the report (`--sla-ttft-ms`, `--sla-itl-ms`, `--sla-e2e-ms`). */
  sla(options: SlaOptions): Scenario {
    const keys = toSnake(options, SlaSchema, ".sla()");
    return this.#edit(`.sla(${JSON.stringify(options)})`, (d) => Object.assign(d.sla, keys));
  }

  /**
   * Set any parameters by DSL name (`{ startupTime: 60, "prefill.maxNumSeqs": 1, routerMode: "kv_router" }`),
   * the same names {@link Scenario.sweep} takes.
   */
  set(params: Partial<ParamTypes>): Scenario {
    const defs = Object.entries(params).map(([name, value]) => [lookupParam(name, ".set()"), name, value]);
    return this.#edit(`.set(${JSON.stringify(params)})`, (d) => {
      for (const [def, name, value] of defs) setParam(d, def as ParamDef, value, name as string);
    });
  }

  /**
   * Sweep a parameter over `values`. Several sweeps form a grid (the first declared varies slowest); runs are
   * numbered and reported in that order. See {@link range} for numeric ranges.
   */
  sweep<P extends ParamName>(param: P, values: readonly ParamTypes[P][]): Scenario {
    const def = lookupParam(param, ".sweep()");
    checkSweepValues(param, values);
    const call = `.sweep(${JSON.stringify(param)}, [${values.length} values])`;
    if (this.#s.variants) return this.#map(call, (s) => s.sweep(param, values));
    const twice = this.#s.sweeps.find((s) => sameParam(s.def, def));
    if (twice) {
      const names = twice.param === param
        ? ""
        : ` (as "${twice.param}" and "${param}", names of one parameter)`;
      throw new InputError(`is swept twice${names}; give all its values in one .sweep()`, { field: param });
    }
    const sweep: Sweep = { param, def, values: [...values] as Scalar[] };
    return new Scenario({
      ...this.#s,
      sweeps: [...this.#s.sweeps, sweep],
      calls: [...this.#s.calls, call],
    });
  }

  /**
   * Named variants, run side by side: `.compare({ agg: s => s.agg({workers: 2}), disagg: other })`. A
   * function receives this scenario; a scenario is used as it is. Later calls apply to every variant.
   */
  compare(variants: Record<string, Scenario | ((s: Scenario) => Scenario)>): Scenario {
    const entries = Object.entries(variants);
    if (entries.length === 0) throw new InputError("needs at least one variant", { field: ".compare()" });
    for (const [name, v] of entries) {
      if (v instanceof Scenario) {
        if (this.#s.variants) {
          throw new InputError(
            "this scenario already has variants; pass functions to combine them with new ones",
            { field: `.compare() ${name}` },
          );
        }
      } else if (typeof v !== "function") {
        throw new InputError("expected a scenario or a function of a scenario", {
          field: `.compare() ${name}`,
        });
      }
    }
    // The earlier variants vary slowest, as the first sweep does.
    const resolved: [string, Scenario][] = [];
    for (const [base, s] of this.#s.variants ?? [["", this] as const]) {
      for (const [name, v] of entries) {
        resolved.push([base ? `${base}/${name}` : name, v instanceof Scenario ? v : v(s)]);
      }
    }
    return new Scenario({ ...this.#s, variants: resolved, calls: [...this.#s.calls, ".compare(…)"] });
  }

  /** The runs this scenario expands to, in order (trace references not yet resolved). */
  runs(): PlannedRun[] {
    return expandRuns(this);
  }

  /** The simulation spec of the scenario without its sweeps (for display and the findings page). */
  spec(): ReturnType<typeof draftToSpec>["spec"] {
    return draftToSpec(this.#s.draft).spec;
  }

  /** Run every point: parallel on Web Workers, cached on disk (see `run.ts` for the options). */
  run(options: RunOptions = {}): Promise<Results> {
    if (!runner) throw new Error("internal error: import lib/dsl/mod.ts to run scenarios");
    return runner(this, options);
  }

  /**
   * Price single passes of `shapes` on every run's deployment, without simulating ({@link priceScenario}): e.g.
   * `.sweep("tp", [1, 2, 4, 8]).price({ prefill: [{ isl: 4000 }], decode: [{ requests: 64, context: 4500 }] })`.
   */
  price(shapes: PassShapesInput): Promise<PassPrices> {
    if (!pricer) throw new Error("internal error: import lib/dsl/mod.ts to price scenarios");
    return pricer(this, shapes);
  }

  /** A short description: the calls and the number of runs. */
  toString(): string {
    return `scenario ${JSON.stringify(this.name)}${this.#s.calls.join("")} (${this.runs().length} runs)`;
  }

  /** Display now (in Jupyter: awaited `Deno.jupyter.display`; elsewhere: printed as text). */
  show(): Promise<void> {
    return show(this);
  }

  /** Jupyter display: the calls and each run's spec, collapsed. */
  [JUPYTER_DISPLAY](): Record<string, string> {
    const runs = this.runs();
    const html = `<details><summary><b>${escapeHtml(this.name)}</b>: ${runs.length} run(s)` +
      `<code>${escapeHtml(this.#s.calls.join(""))}</code></summary><pre>${
        escapeHtml(JSON.stringify(runs.map((r) => ({ name: r.name, spec: r.spec })), null, 2))
      }</pre></details>`;
    return { "text/html": html, "text/plain": this.toString() };
  }

  #edit(call: string, change: (d: Draft) => void): Scenario {
    if (this.#s.variants) return this.#map(call, (s) => s.#edit(call, change));
    const draft = copyDraft(this.#s.draft);
    change(draft);
    return new Scenario({ ...this.#s, draft, calls: [...this.#s.calls, call] });
  }

  /** Apply `fn` to every variant, recording `call` once. */
  #map(call: string, fn: (s: Scenario) => Scenario): Scenario {
    const variants = this.#s.variants!.map(([name, s]) => [name, fn(s)] as const);
    return new Scenario({ ...this.#s, variants, calls: [...this.#s.calls, call] });
  }
}

/**
 * Start a scenario.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scenario } from "../../mod.ts";
 * const s = scenario("two workers").trace("trace.jsonl").agg({ workers: 2 }).router("kv_router");
 * assert(s.spec().topology.mode === "agg" && s.spec().router?.mode === "kv_router");
 * ```
 */
export function scenario(name: string): Scenario {
  if (typeof name !== "string" || name.trim() === "") {
    throw new InputError("a scenario needs a name", { field: "scenario()" });
  }
  return new Scenario({ name, draft: emptyDraft(), sweeps: [], variants: null, calls: [] });
}
