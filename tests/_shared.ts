/**
 * Access to `../shared` (real traces, the AIC perf database) for tests and benchmarks.
 *
 * `.ci/run` sets `DYNOLAB_SHARED`; locally `../shared` next to the checkout is used when present. Where neither
 * exists the tests that need it are skipped with a message, except under `CI=true`, where they fail.
 *
 * @module
 */

const here = new URL("..", import.meta.url).pathname;

function locate(): string | undefined {
  const fromEnv = Deno.env.get("DYNOLAB_SHARED");
  for (const candidate of [fromEnv, `${here}../shared`]) {
    if (!candidate) continue;
    try {
      if (Deno.statSync(candidate).isDirectory) return candidate.replace(/\/$/, "");
    } catch { /* not there */ }
  }
  return undefined;
}

/** Absolute path of the shared folder, or undefined when it is not available. */
export const SHARED_DIR: string | undefined = locate();

const inCi = Deno.env.get("CI") === "true";

/** Path of a file under the shared folder (throws when unavailable; use inside {@link sharedTest}). */
export function sharedPath(relative: string): string {
  if (!SHARED_DIR) throw new Error(`shared data unavailable: set DYNOLAB_SHARED to the shared folder`);
  return `${SHARED_DIR}/${relative}`;
}

let warned = false;

/**
 * `Deno.test` for tests that read `../shared`: skipped with a message when it is missing, failing under CI.
 */
export function sharedTest(name: string, fn: (t: Deno.TestContext) => void | Promise<void>): void {
  const available = SHARED_DIR !== undefined;
  if (!available && !inCi && !warned) {
    warned = true;
    console.warn("note: ../shared not found and DYNOLAB_SHARED unset: skipping tests on real traces");
  }
  Deno.test({
    name,
    ignore: !available && !inCi,
    fn: available ? fn : () => {
      throw new Error("CI=true but the shared folder is missing: set DYNOLAB_SHARED");
    },
  });
}
