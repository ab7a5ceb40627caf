/**
 * The symbol Deno's Jupyter kernel looks up to display a value: `value[Symbol.for("Jupyter.display")]()`
 * returns a MIME bundle such as `{"text/html": …}` or `{"image/svg+xml": …}`.
 *
 * @module
 */

/** `Symbol.for("Jupyter.display")`, typed as a unique symbol so classes can declare it as a method. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;

/** A MIME bundle. */
export type MimeBundle = Record<string, string>;

/** A value that displays itself in Jupyter. */
export interface Displayable {
  [JUPYTER_DISPLAY](): MimeBundle;
}

type JupyterApi = { display(obj: unknown, options?: { raw?: boolean }): Promise<void> };

/**
 * Display `value` now: in Deno's Jupyter kernel through `Deno.jupyter.display` (awaited, so the output reaches
 * the notebook before the cell ends — safer than a cell's last expression under `nbconvert --execute`, where a
 * late result can be dropped); elsewhere print its `text/plain` form.
 */
export async function show(value: Displayable): Promise<void> {
  const bundle = value[JUPYTER_DISPLAY]();
  if (inJupyter()) await (Deno as unknown as { jupyter: JupyterApi }).jupyter.display(bundle, { raw: true });
  else console.log(bundle["text/plain"] ?? "");
}

/** Whether this code runs in Deno's Jupyter kernel (`Deno.jupyter` throws on access anywhere else). */
function inJupyter(): boolean {
  try {
    return typeof (Deno as unknown as { jupyter?: JupyterApi }).jupyter?.display === "function";
  } catch {
    return false;
  }
}
