/**
 * The directory a command was run from, for entry points that take the user's paths.
 *
 * @module
 */

/**
 * Make the working directory the one the user ran the command from. `deno task` runs a task in its config
 * file's directory (the checkout) and passes the user's own in `INIT_CWD`; without this, `deno task --config
 * ~/dynolab/deno.json replay trace.jsonl` run elsewhere would read the trace and write its reports relative to
 * the checkout. Only a process started in the checkout moves: one started elsewhere that inherited
 * `INIT_CWD` from a task (a subprocess of a test) stays where it was started. A task started from within
 * another task keeps the outer one's `INIT_CWD` (as npm scripts do): its paths are the outer command's.
 *
 * @example
 * ```ts ignore
 * import { enterInvocationDirectory } from "./invocation.ts";
 * if (import.meta.main) enterInvocationDirectory();
 * ```
 */
export function enterInvocationDirectory(): void {
  const dir = Deno.env.get("INIT_CWD");
  const url = new URL("../..", import.meta.url);
  if (!dir || url.protocol !== "file:") return;
  const checkout = decodeURIComponent(url.pathname).replace(/\/$/, "");
  if (Deno.cwd() !== checkout || dir === checkout) return;
  try {
    Deno.chdir(dir);
  } catch {
    // A stale INIT_CWD (a directory since removed): stay in the checkout.
  }
}
