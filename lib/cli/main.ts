/**
 * `deno task replay`: the command-line edge. Parses flags, loads inputs, runs the simulation, prints the
 * AIPerf summary and writes the reports. Bad input prints one `error:` line and exits 2 with nothing written.
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { formatSummary, type Report, reportJson, requestRecords } from "../report/mod.ts";
import { loadInputs, runSimulation } from "../simulate.ts";
import { parseCommand } from "./flags.ts";
import { USAGE } from "./usage.ts";
import { defaultReportPath, writeFilesAtomically } from "./write.ts";

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
    const inputs = await loadInputs(command.spec);
    const started = performance.now();
    const result = runSimulation(inputs);
    const wallMs = performance.now() - started;
    const report: Report = { ...result.report, ...wallFigures(result.report, wallMs) };
    const details = report.dynolab as { warnings?: string[] };
    for (const w of details.warnings ?? []) io.err(`warning: ${w}`);

    const files: [string, string][] = [];
    const { output } = command;
    let reportPath: string | undefined;
    if (output.reportJson !== undefined || !output.demo) {
      reportPath = await defaultReportPath(output.reportJson);
      files.push([reportPath, reportJson(report)]);
    }
    if (output.reportJsonl !== undefined) {
      const cluster = result.cluster;
      const workerIndex = new Map<number, number>();
      for (const w of cluster.pools.flatMap((p) => p.workers)) {
        for (const e of w.ranks) workerIndex.set(e.id, w.id);
      }
      const workerOf = (id: number) => workerIndex.get(id)!;
      const overlaps = cluster.pools.map((p) => p.router.overlapBlocks);
      const records = requestRecords(result.collector, inputs.workload, workerOf, overlaps);
      files.push([output.reportJsonl, records.map((r) => JSON.stringify(r)).join("\n") + "\n"]);
    }
    await writeFilesAtomically(files);
    io.out(formatSummary(report));
    if (reportPath) io.out(`Saved full report to: ${reportPath}`);
    if (output.reportJsonl) io.out(`Saved per-request records to: ${output.reportJsonl}`);
    return 0;
  } catch (e) {
    if (e instanceof InputError) {
      io.err(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

/** The reference's wall-clock figures (they make the CLI report differ from run to run). */
function wallFigures(report: Report, wallMs: number): Report {
  const tokens = Number(report.total_input_tokens) + Number(report.total_output_tokens);
  const seconds = Math.max(wallMs / 1000, 1e-9);
  return {
    wall_time_ms: wallMs,
    processed_tokens: tokens,
    processed_tokens_per_s: tokens / seconds,
    processed_output_tokens_per_s: Number(report.total_output_tokens) / seconds,
  };
}

if (import.meta.main) Deno.exit(await main(Deno.args));
