/**
 * `deno task aisimulate`'s flags: the usage text, and the flags both commands take, parsed and checked as
 * AISimulate's argparse does (exit 2 on an unknown flag, stack or format).
 *
 * @module
 */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { InputError } from "../common/errors.ts";
import { flagError } from "../common/flag_error.ts";
import { type DetailSection, parseDetailSections } from "./predict_detail.ts";
import { type Stack, STACKS } from "./predict_spec.ts";

/** The commands' usage text. */
export const AISIMULATE_USAGE =
  `usage: deno task aisimulate predict [--stack {engine,dynamo}] -c CONFIG [--set PATH=YAML_VALUE]...
                                  [--output-dir DIR] [--overwrite] [--format {table,json}] [--capture-per-request]
                                  [--detail SECTIONS] [--detail-top-n N]
       deno task aisimulate recommend [--stack {engine,dynamo}] -c CONFIG [--set PATH=YAML_VALUE]...
                                  [--output-dir DIR] [--overwrite] [--format {table,json}]

AISimulate's commands (default DIR ./aisimulate-output):
  predict    replay the traffic of a YAML config through its engines (and, with --stack dynamo, its router and
             planner), write DIR/prediction.json and print the summary; --detail adds the sections named
             (summary,memory,time,energy,source or all), --detail-top-n the operators a phase printed (12)
  recommend  search the configs the config's {choices} and {range} domains span for its optimization target,
             write DIR/recommendation.json, DIR/recommendation.csv and DIR/recommendations/NNNN.yaml (each a
             predict config) and print the ranking`;

/** The flags both commands take, parsed. */
export interface AisimulateArgs {
  readonly stack: Stack;
  readonly config: string;
  readonly set: readonly string[];
  readonly outputDir: string;
  readonly overwrite: boolean;
  readonly format: "table" | "json";
  /** `predict` only. */
  readonly capture: boolean;
  /** `predict` only: the `--detail` sections (none by default). */
  readonly detail: readonly DetailSection[];
  /** `predict` only: the most operators a phase the detail tables print (`--detail-top-n`, default 12). */
  readonly detailTopN: number;
}

/** The flags of `command` in `argv` (after the command word), or "help" for `-h`/`--help`. */
export function parseAisimulateArgs(
  command: "predict" | "recommend",
  argv: readonly string[],
): AisimulateArgs | "help" {
  let values;
  const options: ParseArgsOptionsConfig = {
    stack: { type: "string", default: "engine" },
    config: { type: "string", short: "c" },
    set: { type: "string", multiple: true, default: [] },
    "output-dir": { type: "string", default: "./aisimulate-output" },
    overwrite: { type: "boolean", default: false },
    format: { type: "string", default: "table" },
    ...(command === "predict"
      ? {
        "capture-per-request": { type: "boolean", default: false },
        detail: { type: "string" },
        "detail-top-n": { type: "string" },
        "diagnostics-top-n": { type: "string" },
      }
      : {}),
    help: { type: "boolean", short: "h", default: false },
  };
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (e) {
    throw flagError(e as Error, Object.keys(options));
  }
  if (values.help) return "help";
  const stack = values.stack as string;
  if (!(STACKS as readonly string[]).includes(stack)) {
    throw new InputError(`stack '${stack}' is unavailable; installed stacks: ${STACKS.join(", ")}`, {
      field: "--stack",
    });
  }
  if (values.config === undefined) throw new InputError("required", { field: "--config" });
  const format = values.format as string;
  if (format !== "table" && format !== "json") {
    throw new InputError(`invalid choice '${format}' (choose from table, json)`, { field: "--format" });
  }
  return {
    stack: stack as Stack,
    config: values.config as string,
    set: values.set as string[],
    // As Python's pathlib prints it: no trailing slash, no leading "./".
    outputDir: (values["output-dir"] as string).replace(/(.)\/+$/, "$1").replace(/^\.\/(?=.)/, ""),
    overwrite: values.overwrite as boolean,
    format,
    capture: (values["capture-per-request"] ?? false) as boolean,
    detail: values.detail === undefined ? [] : parseDetailSections(values.detail as string),
    detailTopN: topN((values["detail-top-n"] ?? values["diagnostics-top-n"]) as string | undefined),
  };
}

/** `--detail-top-n`'s value: a whole number of at least 1 (default 12). */
function topN(value: string | undefined): number {
  if (value === undefined) return 12;
  if (!/^\s*[+-]?\d+\s*$/.test(value)) {
    throw new InputError(`invalid int value: '${value}'`, { field: "--detail-top-n" });
  }
  const n = Number(value);
  if (n < 1) throw new InputError("must be at least 1", { field: "--detail-top-n" });
  return n;
}
