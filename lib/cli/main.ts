/**
 * `deno task replay`: the command-line edge. Parses flags, loads inputs, runs the simulation, prints the
 * AIPerf summary and writes the reports. Bad input prints one `error:` line and exits 2 with nothing written.
 *
 * @module
 */
import { jsonLines } from "../common/json.ts";
import { InputError } from "../common/errors.ts";
import { enterInvocationDirectory } from "../common/invocation.ts";
import { formatRunSummary, formatSummary, reportJson } from "../report/mod.ts";
import { loadInputs, runSimulation, type SimulationInputs } from "../simulate.ts";
import { workloadStats } from "../workload/mod.ts";
import { type OutputFile, plannerFiles } from "./planner_files.ts";
import { plannerLines } from "./planner_output.ts";
import { namingFlag } from "./flag_naming.ts";
import { parseCommand } from "./flags.ts";
import { runRecords, withWallFigures } from "./run_outputs.ts";
import { USAGE } from "./usage.ts";
import {
  checkOutputPaths,
  claimReportPath,
  defaultReportPath,
  plannerReportPath,
  releaseClaim,
  writeFilesAtomically,
} from "./write.ts";

/** Where the command prints. */
export interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const consoleIo: Io = { out: (s) => console.log(s), err: (s) => console.error(s) };

/**
 * Run the command with `argv`; returns the exit code (0 ok, 2 bad input).
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * Deno.exit(await main(["trace.jsonl", "--num-workers", "2"]));
 * ```
 */
export async function main(argv: readonly string[], io: Io = consoleIo): Promise<number> {
  try {
    const command = parseCommand(argv);
    if (command.kind === "help") {
      io.out(USAGE);
      return 0;
    }
    for (const w of command.warnings) io.err(`warning: ${w}`);
    const { output } = command;
    const reportTarget = output.reportJson !== undefined || !output.demo
      ? await defaultReportPath(output.reportJson)
      : undefined;
    await checkOutputPaths(
      [
        ...(reportTarget === undefined ? [] : [[reportTarget.path, "--report-json"] as const]),
        ...(output.reportJsonl === undefined ? [] : [[output.reportJsonl, "--report-jsonl"] as const]),
        ...output.plannerFiles,
      ],
      output.plannerDir === undefined ? [] : [[output.plannerDir, "--planner-config report_output_dir"]],
      output.inputs,
    );
    const inputs = await loadInputs(command.spec);
    if (command.output.demo) io.out(demoHeader(inputs));
    const started = performance.now();
    const result = runSimulation(inputs);
    const wallMs = performance.now() - started;
    const report = withWallFigures(result.report, wallMs);
    const details = report.dynolab as { warnings?: string[] };
    for (const w of details.warnings ?? []) io.err(`warning: ${w}`);

    const files: OutputFile[] = [];
    if (output.reportJsonl !== undefined) {
      files.push([
        output.reportJsonl,
        jsonLines(runRecords(result, inputs)),
      ]);
    }
    const planner = result.planner;
    let htmlPath: string | undefined;
    if (planner) {
      const cfg = planner.setup.planner.config;
      htmlPath = plannerReportPath(cfg.report_output_dir, cfg.report_filename);
      files.push(...await plannerFiles(planner, report, htmlPath));
    }
    // A timestamped name is claimed last, so that two runs ending in the same second write two reports.
    const reportPath = reportTarget?.timestamped
      ? await claimReportPath(reportTarget.path)
      : reportTarget?.path;
    if (reportPath !== undefined) files.unshift([reportPath, reportJson(report)]);
    try {
      await writeFilesAtomically(files);
    } catch (e) {
      if (reportTarget?.timestamped) await releaseClaim(reportPath!);
      throw e;
    }
    io.out(formatSummary(report));
    for (const line of formatRunSummary(report)) io.out(line);
    if (planner) { for (const line of plannerLines(planner, htmlPath!)) io.out(line); }
    if (reportPath) io.out(`Saved full report to: ${reportPath}`);
    if (output.reportJsonl) io.out(`Saved per-request records to: ${output.reportJsonl}`);
    return 0;
  } catch (e) {
    if (e instanceof InputError) {
      io.err(`error: ${namingFlag(e).message}`);
      return 2;
    }
    throw e;
  }
}

/** What the demo replays, in one line above the summary. */
function demoHeader({ spec, workload }: SimulationInputs): string {
  const s = workloadStats(workload);
  const t = spec.topology;
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  const topology = t.mode === "agg"
    ? plural(t.num_workers, "aggregated worker")
    : `${t.num_prefill_workers} prefill + ${plural(t.num_decode_workers, "decode worker")}`;
  const router = { round_robin: "round-robin", random: "random", kv_router: "KV" }[spec.router.mode];
  const engine = t.mode === "agg" ? t.engine : t.decode_engine;
  const model = engine.aic_model_path
    ? ` (${engine.aic_model_path} on ${engine.aic_system ?? "h200_sxm"}, ${
      engine.aic_backend ?? engine.engine_type
    })`
    : "";
  return `dynolab demo: the embedded agentic workload (${s.sessions} sessions, ${s.requests} requests, ` +
    `${
      (s.spanMs / 60_000).toFixed(0)
    } min of session starts) on ${topology}${model} behind the ${router} router`;
}

if (import.meta.main) {
  enterInvocationDirectory();
  Deno.exit(await main(Deno.args));
}
