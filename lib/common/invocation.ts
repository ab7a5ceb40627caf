/**
 * The directory a command was run from, for entry points that take the user's paths.
 *
 * @module
 */

/**
 * Make the working directory the one the user ran the command from. `deno task` runs a task in its config
 * file's directory and passes the user's own in `INIT_CWD`; without this, `deno task --config
 * ~/dynolab/deno.json replay trace.jsonl` run elsewhere would read the trace and write its reports relative to
 * the checkout. Outside `deno task` it changes nothing.
 *
 * @example
 * ```ts ignore
 * import { enterInvocationDirectory } from "./invocation.ts";
 * if (import.meta.main) enterInvocationDirectory();
 * ```
 */
export function enterInvocationDirectory(): void {
  const dir = Deno.env.get("INIT_CWD");
  if (dir && dir !== Deno.cwd()) Deno.chdir(dir);
}
