/**
 * `deno task aisimulate`: AISimulate's command line (`aisimulate predict|recommend --stack dynamo -c cfg.yaml`,
 * the reference's front end from Dynamo v1.5 on) with only the program name changed. `predict` runs one
 * config ({@link predict}); `recommend` searches the configs a config's domains span (`recommend.ts`).
 * Exit codes as AISimulate's: 0 ok, 1 the run failed (or no candidate was feasible), 2 bad input (nothing
 * written).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { InputError } from "../common/errors.ts";
import { enterInvocationDirectory } from "../common/invocation.ts";
import type { Io } from "./main.ts";
import { predict } from "./predict.ts";
import { type Stack, STACKS } from "./predict_spec.ts";

/** The commands' usage text. */
export const AISIMULATE_USAGE =
  `usage: deno task aisimulate predict [--stack {engine,dynamo}] -c CONFIG [--set PATH=YAML_VALUE]...
                                  [--output-dir DIR] [--overwrite] [--format {table,json}] [--capture-per-request]
       deno task aisimulate recommend [--stack {engine,dynamo}] -c CONFIG [--set PATH=YAML_VALUE]...
                                  [--output-dir DIR] [--overwrite] [--format {table,json}]

AISimulate's commands (default DIR ./aisimulate-output):
  predict    replay the traffic of a YAML config through its engines (and, with --stack dynamo, its router and
             planner), write DIR/prediction.json and print the summary
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
}

const consoleIo: Io = { out: (s) => console.log(s), err: (s) => console.error(s) };

/**
 * Run `aisimulate` with `argv` (its first word the command, `predict` or `recommend`); returns the exit code.
 *
 * @example
 * ```ts ignore
 * import { aisimulate } from "./aisimulate.ts";
 * Deno.exit(await aisimulate(["predict", "--stack", "dynamo", "-c", "cfg.yaml"]));
 * ```
 */
export async function aisimulate(argv: readonly string[], io: Io = consoleIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === "-h" || command === "--help") {
      io.out(AISIMULATE_USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command !== "predict" && command !== "recommend") {
      throw new InputError("unknown command; the commands: predict, recommend", { field: command });
    }
    const args = parseAisimulateArgs(command, rest);
    if (args === "help") {
      io.out(AISIMULATE_USAGE);
      return 0;
    }
    if (command === "predict") return await predict(args, io);
    // Loaded on demand: its worker pool comes with the DSL, which predict does not need.
    const { recommend } = await import("./recommend.ts");
    return await recommend(args, io);
  } catch (e) {
    if (e instanceof InputError) {
      io.err(`error: ${e.message}`);
      return 2;
    }
    io.err(`aisimulate ${command} failed: ${(e as Error).name}: ${(e as Error).message}`);
    return 1;
  }
}

function parseAisimulateArgs(
  command: "predict" | "recommend",
  argv: readonly string[],
): AisimulateArgs | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        stack: { type: "string", default: "engine" },
        config: { type: "string", short: "c" },
        set: { type: "string", multiple: true, default: [] },
        "output-dir": { type: "string", default: "./aisimulate-output" },
        overwrite: { type: "boolean", default: false },
        format: { type: "string", default: "table" },
        ...(command === "predict" ? { "capture-per-request": { type: "boolean", default: false } } : {}),
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new InputError((e as Error).message.replace(/\. To specify.*$/s, ""), { field: command });
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
  };
}

if (import.meta.main) {
  enterInvocationDirectory();
  Deno.exit(await aisimulate(Deno.args));
}
