/**
 * `deno task publish <scenario.ts | notebook.ipynb>`: write a self-contained findings page into `findings/`.
 *
 * - A scenario script is run (`deno run`); the pages its {@link Findings.write} calls write are reported.
 * - An executed notebook is converted: markdown cells as text, code cells as code, and their outputs inline
 *   (SVG figures, HTML tables and scenario specs, text). A notebook with an error output is refused.
 *
 * I/O edge.
 *
 * @module
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../common/errors.ts";
import { Findings } from "./findings.ts";
import { escapeHtml } from "./table.ts";

interface Cell {
  cell_type: "markdown" | "code" | "raw";
  source: string | string[];
  outputs?: Output[];
}

interface Output {
  output_type: "stream" | "display_data" | "execute_result" | "error";
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
}

const join = (s: string | string[] | undefined) => (Array.isArray(s) ? s.join("") : s ?? "");

/** The output MIME types a page shows, in order of preference. */
const SHOWN = ["image/svg+xml", "text/html", "text/markdown", "text/plain"] as const;

/** A notebook's cells, checked for the shapes {@link notebookFindings} reads (errors name the field). */
function checkCells(notebook: unknown, file: string): Cell[] {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Array.isArray(v);
  const text = (v: unknown) =>
    v === undefined || typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string"));
  const cells = isObject(notebook) ? notebook.cells : undefined;
  if (!Array.isArray(cells)) throw new InputError("not a notebook (no cells)", { file });
  cells.forEach((cell: unknown, i) => {
    const bad = (field: string, what: string) =>
      new InputError(`must be ${what}`, { file, field: `cells[${i}]${field}` });
    if (!isObject(cell) || typeof cell.cell_type !== "string") throw bad("", "a cell with a cell_type");
    if (!text(cell.source)) throw bad(".source", "a string or a list of strings");
    if (cell.outputs === undefined) return;
    if (!Array.isArray(cell.outputs)) throw bad(".outputs", "a list");
    cell.outputs.forEach((out: unknown, j) => {
      if (!isObject(out) || typeof out.output_type !== "string") {
        throw bad(`.outputs[${j}]`, "an output with an output_type");
      }
      if (!text(out.text)) throw bad(`.outputs[${j}].text`, "a string or a list of strings");
      if (out.data === undefined) return;
      if (!isObject(out.data)) throw bad(`.outputs[${j}].data`, "a mapping of MIME types");
      for (const mime of SHOWN) {
        if (!text(out.data[mime])) {
          throw bad(`.outputs[${j}].data["${mime}"]`, "a string or a list of strings");
        }
      }
    });
  });
  return cells as Cell[];
}

/**
 * A notebook (parsed `.ipynb` JSON) as findings: the first `# ` heading is the title, the files are named
 * `notebook-<file name>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { notebookFindings } from "./publish.ts";
 * const f = notebookFindings({ cells: [
 *   { cell_type: "markdown", source: ["# Study\n", "Some *text*."] },
 *   { cell_type: "code", source: "1 + 1", outputs: [{ output_type: "execute_result", data: { "text/plain": "2" } }] },
 * ] }, "study.ipynb");
 * assert.equal(f.title, "Study");
 * assert.ok(f.toHTML().includes("<em>text</em>"));
 * ```
 */
export function notebookFindings(notebook: { cells?: Cell[] }, name: string): Findings {
  const cells = checkCells(notebook, name);
  const firstMd = cells.find((c) => c.cell_type === "markdown");
  const heading = /^#\s+(.+)$/m.exec(join(firstMd?.source));
  const title = heading?.[1].trim() ?? name.split("/").pop()!.replace(/\.ipynb$/, "");
  const f = new Findings(title, `notebook-${name.split("/").pop()!.replace(/\.ipynb$/, "")}`);
  for (const cell of cells) {
    const source = join(cell.source);
    if (cell.cell_type === "markdown") {
      f.text(cell === firstMd && heading ? source.replace(heading[0], "") : source);
      continue;
    }
    if (cell.cell_type !== "code" || source.trim() === "") continue;
    f.html(`<pre class="cell-code"><code>${escapeHtml(source)}</code></pre>`);
    for (const out of cell.outputs ?? []) {
      if (out.output_type === "error") {
        throw new InputError(`a cell failed (${out.ename}: ${out.evalue}); re-run the notebook first`, {
          file: name,
        });
      }
      if (out.output_type === "stream") {
        f.html(`<pre class="cell-output">${escapeHtml(join(out.text))}</pre>`);
        continue;
      }
      const data = out.data ?? {};
      if (data["image/svg+xml"]) {
        f.html(`<figure class="cell-output">${join(data["image/svg+xml"])}</figure>`);
      } else if (data["text/html"]) f.html(`<div class="cell-output">${join(data["text/html"])}</div>`);
      else if (data["text/markdown"]) f.text(join(data["text/markdown"]));
      else if (data["text/plain"]) {
        f.html(`<pre class="cell-output">${escapeHtml(join(data["text/plain"]))}</pre>`);
      }
    }
  }
  return f;
}

/** Publish a notebook or a scenario script; returns the pages written. */
export async function publish(path: string, outDir = "findings"): Promise<string[]> {
  if (path.endsWith(".ipynb")) {
    let notebook;
    try {
      notebook = JSON.parse(await Deno.readTextFile(path));
    } catch (e) {
      throw new InputError(`cannot read notebook: ${(e as Error).message}`, { file: path });
    }
    const { html } = await notebookFindings(notebook, path).write(outDir);
    return [html];
  }
  if (!path.endsWith(".ts")) {
    throw new InputError("expected a scenario script (.ts) or a notebook (.ipynb)", { file: path });
  }
  try {
    await Deno.stat(path);
  } catch {
    throw new InputError("no such file", { file: path });
  }
  const manifest = await Deno.makeTempFile({ prefix: "dynolab-publish-" });
  // A script outside any Deno project resolves dynolab's npm imports through this checkout's deno.json.
  const config = await findConfig(path)
    ? []
    : ["--config", fileURLToPath(new URL("../../deno.json", import.meta.url))];
  try {
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-net", ...config, path],
      env: { DYNOLAB_PUBLISH_MANIFEST: manifest, DYNOLAB_FINDINGS_DIR: outDir },
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (child.code !== 0) {
      throw new InputError(`the scenario script failed (exit ${child.code})`, { file: path });
    }
    const pages = (await Deno.readTextFile(manifest)).split("\n").filter(Boolean);
    if (pages.length === 0) {
      throw new InputError("the script wrote no findings (call new Findings(…).write())", { file: path });
    }
    return pages;
  } finally {
    await Deno.remove(manifest);
  }
}

/** Whether a `deno.json` or `deno.jsonc` lies in the script's directory or one above it. */
async function findConfig(script: string): Promise<boolean> {
  let dir = dirname(await Deno.realPath(script));
  for (;;) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      try {
        if ((await Deno.stat(`${dir}/${name}`)).isFile) return true;
      } catch { /* not here */ }
    }
    if (dirname(dir) === dir) return false;
    dir = dirname(dir);
  }
}
