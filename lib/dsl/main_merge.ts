/**
 * `deno task merge SHARD.json… [--out FILE]`: see {@link MERGE_USAGE}.
 *
 * @module
 */
import { enterInvocationDirectory } from "../common/invocation.ts";
import { exitWith, MERGE_USAGE, mergeMain } from "./cli.ts";

export { MERGE_USAGE };
if (import.meta.main) {
  enterInvocationDirectory();
  await exitWith(() => mergeMain(Deno.args));
}
