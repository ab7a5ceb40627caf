/**
 * `deno task sweep SCENARIO.ts [--shard i/n] …`: see {@link SWEEP_USAGE}.
 *
 * @module
 */
import { enterInvocationDirectory } from "../common/invocation.ts";
import { exitWith, SWEEP_USAGE, sweepMain } from "./cli.ts";

export { SWEEP_USAGE };
if (import.meta.main) {
  enterInvocationDirectory();
  await exitWith(() => sweepMain(Deno.args));
}
