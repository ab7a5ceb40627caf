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
