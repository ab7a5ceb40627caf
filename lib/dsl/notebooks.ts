/**
 * `deno task notebooks [--write] [NOTEBOOK.ipynb…]`: execute the notebooks headlessly with the Deno Jupyter
 * kernel (`jupyter nbconvert --to notebook --execute`) and check them: no cell may fail, and every cell tagged
 * `figure` must display an SVG figure. Without `--write` the executed copies go to a temporary directory (a
 * check, as CI runs it); with it the notebooks are updated in place with their new outputs.
 *
 * Needs `jupyter-nbconvert`, `python3-nbclient`, `python3-ipykernel` (Debian packages) and the Deno kernel
 * (`deno jupyter --install`); `.ci/run` installs them.
 *
 * @module
 */
import { dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../common/errors.ts";
import { enterInvocationDirectory } from "../common/invocation.ts";
import { exitWith, parseFlags } from "./cli.ts";

/** Usage text. */
export const NOTEBOOKS_USAGE = `usage: deno task notebooks [--write] [NOTEBOOK.ipynb…]
Executes the notebooks (default: the checkout's notebooks/*.ipynb) headlessly and checks them: no cell may
fail, and every cell tagged figure must display an SVG. --write updates the notebooks in place.`;

const NO_FIGURE = "no figure displayed";
const NO_DISPLAY = "nothing displayed";

interface Cell {
  cell_type: string;
  metadata?: { tags?: string[] };
  source: string | string[];
  outputs?: Array<{ output_type: string; data?: Record<string, unknown>; ename?: string; evalue?: string }>;
}

/**
 * Problems of an executed notebook: failed cells, `figure`-tagged cells without an SVG output, and cells that
 * call `.show()` without a displayed output.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { notebookProblems } from "./notebooks.ts";
 * const cells = [
 *   { cell_type: "code", metadata: { tags: ["figure"] }, source: "results.plot(…)", outputs: [] },
 *   { cell_type: "code", source: "await results.show();", outputs: [{ output_type: "stream" }] },
 * ];
 * assert.deepEqual(notebookProblems({ cells }), [
 *   "cell 1 (results.plot(…)): no figure displayed",
 *   "cell 2 (await results.show();): nothing displayed",
 * ]);
 * ```
 */
export function notebookProblems(notebook: { cells: Cell[] }): string[] {
  const problems: string[] = [];
  notebook.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    const text = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    const source = text.split("\n")[0].slice(0, 60);
    const outputs = cell.outputs ?? [];
    for (const o of outputs) {
      if (o.output_type === "error") problems.push(`cell ${i + 1} (${source}): ${o.ename}: ${o.evalue}`);
    }
    if (cell.metadata?.tags?.includes("figure") && !outputs.some((o) => o.data?.["image/svg+xml"])) {
      problems.push(`cell ${i + 1} (${source}): ${NO_FIGURE}`);
    } else if (/\.show\(\)/.test(text) && !outputs.some((o) => o.output_type === "display_data")) {
      problems.push(`cell ${i + 1} (${source}): ${NO_DISPLAY}`);
    }
  });
  return problems;
}

async function execute(path: string, outDir: string): Promise<string> {
  const name = path.split("/").pop()!;
  let out;
  try {
    out = await new Deno.Command("jupyter", {
      args: [
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--ExecutePreprocessor.kernel_name=deno",
        "--ExecutePreprocessor.timeout=1200",
        // The Deno kernel may send a cell's display after its execute_reply; the default 4 s wait for that
        // output is too short on a loaded machine (a big SVG), and nbclient would drop it silently.
        "--ExecutePreprocessor.iopub_timeout=120",
        "--ExecutePreprocessor.raise_on_iopub_timeout=True",
        "--output-dir",
        outDir,
        "--output",
        name,
        path,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    throw new InputError(
      `cannot run jupyter (${(e as Error).message}); install: apt-get install -y jupyter-nbconvert ` +
        "python3-nbclient python3-ipykernel && deno jupyter --install",
    );
  }
  if (out.code !== 0) {
    const err = new TextDecoder().decode(out.stderr);
    throw new InputError(`execution failed:\n${err.split("\n").slice(-25).join("\n")}`, { file: path });
  }
  return `${outDir.replace(/\/$/, "")}/${name}`;
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    args,
    { write: { type: "boolean" }, help: { type: "boolean" } },
    true,
  );
  if (values.help) {
    console.log(NOTEBOOKS_USAGE);
    return 0;
  }
  for (const path of positionals) {
    if (!(await Deno.stat(path).catch(() => null))?.isFile) {
      throw new InputError("no such file", { file: path });
    }
  }
  const home = fileURLToPath(new URL("../../notebooks", import.meta.url));
  const notebooks = positionals.length ? positionals : [...Deno.readDirSync(home)]
    .filter((e) => e.name.endsWith(".ipynb")).map((e) => relative(Deno.cwd(), `${home}/${e.name}`)).sort();
  if (notebooks.length === 0) throw new InputError("no notebooks found", { file: home });
  const outDir = values.write ? undefined : await Deno.makeTempDir({ prefix: "dynolab-notebooks-" });
  let failed = 0;
  try {
    for (const path of notebooks) {
      const started = performance.now();
      let problems: string[] = [], attempts = 0;
      // The Deno kernel occasionally reports a cell idle before its output reaches the client, and nbclient then
      // drops that output; a cell that failed is never retried, a missing figure or table is (runs come from
      // the cache). A dropped stream (a warning line) is not detected.
      do {
        attempts++;
        let executed: string;
        try {
          executed = await execute(path, outDir ?? dirname(path));
        } catch (e) {
          // A cell that raised fails its notebook; the others are still checked.
          if (!(e instanceof InputError) || e.detail.startsWith("cannot run jupyter")) throw e;
          problems = [e.detail];
          break;
        }
        problems = notebookProblems(JSON.parse(await Deno.readTextFile(executed)));
      } while (
        problems.length && attempts < 4 &&
        problems.every((p) => p.endsWith(NO_FIGURE) || p.endsWith(NO_DISPLAY))
      );
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      const retried = attempts > 1 ? `, ${attempts} attempts (the kernel dropped outputs)` : "";
      if (problems.length) {
        failed++;
        console.error(`FAIL ${path} (${seconds} s${retried})\n  ${problems.join("\n  ")}`);
      } else console.log(`ok   ${path} (${seconds} s${retried})${values.write ? ", outputs written" : ""}`);
    }
    return failed ? 1 : 0;
  } finally {
    if (outDir) await Deno.remove(outDir, { recursive: true });
  }
}

if (import.meta.main) {
  enterInvocationDirectory();
  await exitWith(() => main(Deno.args));
}
