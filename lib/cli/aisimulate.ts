/**
 * `deno task aisimulate`: AISimulate's command line (`aisimulate predict|recommend --stack dynamo -c cfg.yaml`,
 * the reference's front end from Dynamo v1.5 on) with only the program name changed. `predict` runs one
 * config ({@link predict}); `recommend` searches the configs a config's domains span (`recommend.ts`).
 * Exit codes as AISimulate's: 0 ok, 1 the run failed (or no candidate was feasible), 2 bad input (nothing
 * written).
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import { enterInvocationDirectory } from "../common/invocation.ts";
import { AISIMULATE_USAGE, parseAisimulateArgs } from "./aisimulate_args.ts";
import type { Io } from "./main.ts";
import { predict } from "./predict.ts";

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

if (import.meta.main) {
  enterInvocationDirectory();
  Deno.exit(await aisimulate(Deno.args));
}
