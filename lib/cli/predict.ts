/**
 * `aisimulate predict`: read the YAML config, apply `--set` overrides, compile it (`predict_spec.ts`), run the
 * simulation and write `prediction.json` (and `requests.jsonl` with `--capture-per-request`) to the output
 * directory; print the AIPerf table or, with `--format json`, the summary as one line. `--detail` adds the
 * sections it names (`predict_detail.ts`) to both.
 *
 * @module
 */
import { jsonLines } from "../common/json.ts";
import { formatSummary, type Report, reportJsonChunks, sortKeys } from "../report/mod.ts";
import { runSimulation } from "../simulate.ts";
import type { AisimulateArgs } from "./aisimulate_args.ts";
import {
  checkOutputDir,
  compilePrediction,
  inConfigTerms,
  loadPrediction,
  readConfigDoc,
  removeStaleOutputs,
} from "./aisimulate_files.ts";
import { formatDetails, needsOpTotals, predictionDetails } from "./predict_detail.ts";
import { runRecords, summaryOf, withWallFigures } from "./run_outputs.ts";
import { type FileContents, writeFilesAtomically } from "./write.ts";
import type { Io } from "./main.ts";

/** The sections `predict` refuses (`recommend`'s). */
export const RECOMMEND_SECTIONS = ["optimization", "optimizer"];

/** Run `aisimulate predict` with its parsed flags; returns the exit code (errors are thrown). */
export async function predict(args: AisimulateArgs, io: Io): Promise<number> {
  const doc = await readConfigDoc(args.config, args.set, RECOMMEND_SECTIONS);
  const inputs = await loadPrediction(compilePrediction(doc, args.stack, args.config), args.config);
  const stale = await checkOutputDir(args.outputDir, args.overwrite);
  const started = performance.now();
  let result;
  try {
    result = runSimulation(inputs, { recordOps: needsOpTotals(args.detail) });
  } catch (e) {
    throw inConfigTerms(e, args.config); // a planner's scale-up past the memory limit names max_num_gpus
  }
  const report = withWallFigures(result.report, performance.now() - started);
  for (const w of (report.dynolab as { warnings?: string[] }).warnings ?? []) io.err(`warning: ${w}`);
  const summary = summaryOf(report, result.planner?.totalTicks);
  const prediction: Report = args.stack === "dynamo"
    ? {
      ...report,
      ...(result.planner
        ? { planner: { ...report.planner as Report, total_ticks: result.planner.totalTicks } }
        : {}),
      summary,
    }
    : { ...report };
  const path = `${args.outputDir}/prediction.json`;
  const files: [string, FileContents][] = [];
  if (args.capture) {
    const records = runRecords(result, inputs) as unknown as Report[];
    prediction.per_request = records;
    files.push([
      `${args.outputDir}/requests.jsonl`,
      jsonLines(records.map(sortKeys)),
    ]);
  }
  const details = args.detail.length > 0 ? predictionDetails(args.detail, result, summary) : undefined;
  if (details) prediction.details = details as unknown as Report;
  files.unshift([path, reportJsonChunks(prediction)]);
  await writeFilesAtomically(files);
  await removeStaleOutputs(stale, files.map(([p]) => p));
  if (args.format === "json") {
    io.out(JSON.stringify(sortKeys((details ? { details, summary } : summary) as unknown as Report)));
  } else {
    const detailText = details ? `\n\n${formatDetails(details, args.detailTopN)}` : "";
    io.out(`${formatSummary(report)}${detailText}\n\nSaved full report to: ${path}`);
  }
  return 0;
}
