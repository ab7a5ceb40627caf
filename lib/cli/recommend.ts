/**
 * `aisimulate recommend`: search the deployments a config spans (its `{choices}` and `{range}` domains and the
 * knobs AISimulate searches when left out) for the `optimization` target, simulating each candidate as
 * `predict` would, under the GPU budget and SLA; write the ledger (`recommendation.json`, `.csv`) and each
 * selected candidate as a predict config (`recommendations/NNNN.yaml`, best first); print the ranking. Exit 1
 * when no candidate is feasible (the ledger is still written).
 *
 * @module
 */
import { parseConfig } from "../common/config.ts";
import { InputError } from "../common/errors.ts";
import type { Json } from "../common/json.ts";
import { PredictPlannerSchema } from "./predict_config.ts";
import { canonicalJson, defaultParallelism, DYNOLAB_VERSION, sha256Hex } from "../dsl/mod.ts";
import { inputsLoader } from "../simulate.ts";
import type { AisimulateArgs } from "./aisimulate_args.ts";
import {
  checkOutputDir,
  compilePrediction,
  inConfigFile,
  readConfigDoc,
  removeStaleOutputs,
} from "./aisimulate_files.ts";
import type { Io } from "./main.ts";
import {
  checkOptimization,
  type Optimization,
  OptimizationSchema,
  OptimizerSchema,
} from "./recommend_config.ts";
import {
  candidateYaml,
  formatRanking,
  g4,
  type LedgerRow,
  type Recommendation,
  recommendationCsv,
  recommendationJson,
} from "./recommend_output.ts";
import { kvLoadRequest, withConcurrency } from "./recommend_kv_load.ts";
import { runCandidates, type RunOutcome } from "./recommend_run.ts";
import { judge, objectiveOf, type Ranked, selection, type Sla } from "./recommend_score.ts";
import { checkTrials, search, type Trial } from "./recommend_search.ts";
import { type Branch, materialize, type Point, sample, searchSpace, usedGpus } from "./recommend_space.ts";
import { writeFilesAtomically } from "./write.ts";

/** Run `aisimulate recommend` with its parsed flags; returns the exit code (bad input is thrown). */
export async function recommend(args: AisimulateArgs, io: Io): Promise<number> {
  const file = args.config;
  const { optimization: o, optimizer: opt, ...doc } = await readConfigDoc(file, args.set);
  if (o === undefined) throw new InputError("required by recommend", { file, field: "optimization" });
  const optimization = parseConfig(OptimizationSchema, o, "optimization", { file });
  const optimizer = parseConfig(OptimizerSchema, opt ?? {}, "optimizer", { file });
  const branches = inConfigFile(file, () => {
    checkOptimization(optimization, doc);
    const space = searchSpace(doc, optimization);
    checkTrials(space, optimizer);
    return space;
  });
  for (const b of branches) checkBranch(b, args, file);
  const stale = await checkOutputDir(args.outputDir, args.overwrite);

  const sla = ((doc.evaluation as Json | undefined)?.sla ?? {}) as Sla;
  const parallelism = Math.min(optimizer.parallelism, cpuLimit(doc), defaultParallelism());
  const rows: LedgerRow[] = [];
  const load = inputsLoader();
  const evaluate = async (trials: readonly Trial[]) => {
    const configs = trials.map((t) => withinBudget(materialize(branches[t.branch], t.point), optimization));
    const gpus = configs.map(usedGpus);
    const outOfBudget = gpus.map((g) => budgetProblem(g, optimization));
    const runs = await runCandidates(configs.filter((_, i) => outOfBudget[i] === null), args.stack, {
      parallelism,
      timeoutS: optimizer.candidate_timeout_seconds,
      load,
    });
    return trials.map((t, i) => {
      const run = outOfBudget[i] === null ? runs.shift()! : undefined;
      const config = run?.config ?? configs[i];
      const row = ledgerRow(
        {
          candidate_id: `candidate-${String(rows.length + 1).padStart(6, "0")}`,
          config: { ...sample(branches[t.branch], t.point), ...run?.kvLoad, used_gpus: gpus[i] },
          prediction_config: config,
          provenance: provenance(config, optimization, sla),
          used_gpus: gpus[i],
        },
        outOfBudget[i] ?? run!.outcome,
        optimization,
        sla,
      );
      rows.push(row);
      return row.score;
    });
  };
  const stats = await search(branches, optimizer, evaluate);

  const feasible: Ranked[] = rows.filter((r) => r.status === "feasible").map((r) => ({
    id: r.candidate_id,
    score: r.score!,
    usedGpus: r.used_gpus!,
    figures: r.metrics,
    objectives: r.objectives,
    key: canonicalJson(r.prediction_config),
  }));
  // Candidates that came out as the same concrete config (KV fractions giving one concurrency) are one
  // recommendation: the best-ranked copy, as AISimulate's CLI keeps.
  const seen = new Set<string>();
  const selected = selection(optimization.target, feasible).filter((s) =>
    !seen.has(s.key) && seen.add(s.key)
  );
  const pareto = optimization.target === "pareto";
  const result: Recommendation = {
    rows,
    selected: selected.map((s) => s.id),
    pareto,
    cacheHits: stats.cacheHits,
    provenance: {
      config: { optimization, optimizer } as unknown as Json,
      created_at: new Date().toISOString(),
      implementation: "dynolab.recommend",
      implementation_version: DYNOLAB_VERSION,
      input_fingerprint: `sha256:${await sha256Hex(canonicalJson({ ...doc, optimization, optimizer }))}`,
      run_id: crypto.randomUUID().replaceAll("-", ""),
      parallelism,
      search_strategy: stats.strategy,
    },
  };
  const dir = args.outputDir, resultPath = `${dir}/recommendation.json`;
  const yamls = selected.map((s, i) => {
    const row = rows.find((r) => r.candidate_id === s.id)!;
    return [
      `${dir}/recommendations/${String(i + 1).padStart(4, "0")}.yaml`,
      candidateYaml(row.prediction_config),
    ] as const;
  });
  const files = [
    [resultPath, recommendationJson(result)],
    [`${dir}/recommendation.csv`, recommendationCsv(result)],
    ...yamls,
  ] as const;
  await writeFilesAtomically(files);
  await removeStaleOutputs(stale, files.map(([p]) => p));
  if (args.format === "table") io.out(sweepLine(rows, stats.cacheHits, optimization, selected[0]));
  if (selected.length === 0) {
    io.err(`no feasible candidate found; saved full result to: ${resultPath}`);
    return 1;
  }
  const printed = selected.map((s, i) => ({
    rank: i + 1,
    score: s.score,
    used_gpus: s.usedGpus,
    objectives: s.objectives,
    config_path: yamls[i][0],
  }));
  io.out(formatRanking(printed, args.format, resultPath));
  return 0;
}

/** Why `gpus` GPUs are outside the budget, or null. */
/**
 * `config` with its planner's GPU budget (`planner.max_num_gpus`) held to the candidates' budget
 * (`max_candidate_gpus`): an enabled planner would otherwise grow the deployment past it.
 */
function withinBudget(config: Json, o: Optimization): Json {
  const planner = config.planner as Json | undefined;
  if (planner?.policy !== "enabled") return config;
  const max = o.constraints.max_candidate_gpus;
  const budget = (planner.max_num_gpus as number | undefined) ??
    PredictPlannerSchema.shape.max_num_gpus.parse(undefined);
  return budget <= max ? config : { ...config, planner: { ...planner, max_num_gpus: max } };
}

function budgetProblem(gpus: number, o: Optimization): string | null {
  const { max_candidate_gpus: max, min_candidate_gpus: min } = o.constraints;
  if (gpus > max) return `over gpu_budget: used_gpus=${gpus} > gpu_budget=${max}`;
  if (min !== null && gpus < min) return `under min_candidate_gpus: used_gpus=${gpus} < ${min}`;
  return null;
}

/** A candidate's ledger row: out of the budget (`outcome` says why), refused or failed, or judged on its run. */
function ledgerRow(
  base: Pick<LedgerRow, "candidate_id" | "config" | "prediction_config" | "provenance" | "used_gpus">,
  outcome: string | RunOutcome,
  o: Optimization,
  sla: Sla,
): LedgerRow {
  const none = { score: null, objectives: null, metrics: {} };
  if (typeof outcome === "string") {
    return { ...base, ...none, status: "infeasible", reason_category: "gpu_budget", reason: outcome };
  }
  if (!outcome.ok) {
    return {
      ...base,
      ...none,
      status: outcome.status,
      reason_category: outcome.category,
      reason: outcome.reason,
    };
  }
  const verdict = judge(o, sla, outcome.figures, base.used_gpus!);
  return {
    ...base,
    metrics: outcome.figures,
    ...(verdict.feasible
      ? {
        status: "feasible",
        reason: null,
        reason_category: null,
        score: verdict.score,
        objectives: verdict.objectives,
      }
      : {
        status: "infeasible",
        reason: verdict.reason,
        reason_category: verdict.category,
        score: null,
        objectives: null,
      }),
  };
}

/**
 * Check a branch's config before searching: some point of it must compile (a KV-fraction load as any
 * concurrency). A point that fails on a searched knob is only an infeasible candidate, so the next probe is
 * tried ({@link probePoints}); a failure elsewhere (a typo, a section the stack does not take) fails here.
 */
function checkBranch(b: Branch, args: AisimulateArgs, file: string): void {
  for (const point of probePoints(b)) {
    try {
      const config = materialize(b, point);
      const concrete = inConfigFile(file, () => kvLoadRequest(config)) ? withConcurrency(config, 1) : config;
      compilePrediction(concrete, args.stack, file);
      return;
    } catch (e) {
      const field = e instanceof InputError ? e.location.field ?? "" : "";
      if (!(e instanceof InputError) || !b.dims.some((d) => field.startsWith(d.name))) throw e;
    }
  }
}

/** At most this many points are compiled by {@link checkBranch}. */
const MAX_PROBES = 64;

/**
 * The points {@link checkBranch} tries, in order: every knob at its first value, every knob at its last, then
 * the first point with one knob moved to each of its other values.
 */
function probePoints(b: Branch): Point[] {
  const first = b.dims.map((d) => d.kind === "choice" ? 0 : d.min);
  const values = b.dims.map((d) => d.kind === "choice" ? d.patches.map((_, i) => i) : [d.min, d.max]);
  const points = [first, values.map((v) => v[v.length - 1])];
  values.forEach((v, i) => {
    for (const x of v.slice(1)) points.push(first.map((f, j) => j === i ? x : f));
  });
  return points.slice(0, MAX_PROBES);
}

/** `execution.resources.cpu_limit` (checked with the branches), or no limit for `auto` or none. */
function cpuLimit(doc: Json): number {
  const limit = ((doc.execution as Json | undefined)?.resources as Json | undefined)?.cpu_limit;
  return typeof limit === "number" ? limit : Infinity;
}

/** What a candidate's row records of its setting. */
function provenance(config: Json, o: Optimization, sla: Sla): Json {
  const engine = config.engine as Json;
  return {
    backend: engine.backend,
    backend_version: engine.backend_version ?? null,
    hardware: engine.hardware,
    model: engine.model,
    objective: o.target,
    sla,
    topology: engine.mode,
    workload: config.traffic ?? null,
  };
}

/** The sweeper's closing line: attempts, outcomes, cache hits and the best objective. */
function sweepLine(rows: readonly LedgerRow[], cacheHits: number, o: Optimization, best?: Ranked): string {
  const n = (...statuses: string[]) => rows.filter((r) => statuses.includes(r.status)).length;
  const attempts =
    rows.filter((r) => Object.keys(r.metrics).length > 0 || r.status === "failed" || r.status === "timed_out")
      .length;
  const objective = o.target === "pareto" ? "throughput_per_gpu" : o.target;
  const value = best === undefined ? "n/a" : g4(objectiveOf(o.target, best.score));
  return `Sweeper done: ${n("feasible")}/${attempts} replay attempt(s) feasible, ${n("infeasible")} gated, ` +
    `${n("unsupported")} backend-unsupported, ${
      n("failed", "timed_out")
    } replay-failed, 0 resource-limited, ` +
    `${cacheHits} cache hit(s); best ${objective}=${value}`;
}
