/**
 * Figures: one or more Observable Plot panels stacked vertically, rendered server-side with linkedom into one
 * standalone SVG. The panels are plain `Plot.plot` options, so anything Plot can draw can be added or changed
 * (`figure.panels`, {@link Figure.with}); dynolab only lays them out. A categorical colour legend
 * (`color: {legend: true}`) is redrawn as a row of SVG swatches; a continuous (ramp) legend needs a canvas, which
 * a server-side DOM lacks: label such a scale in the marks instead.
 *
 * @module
 */
import { JUPYTER_DISPLAY, show } from "./display.ts";
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import { escapeHtml } from "./table.ts";

/** The little of a DOM element this module touches (Deno has no DOM types). */
interface DomNode {
  readonly tagName: string;
  readonly outerHTML: string;
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  querySelector(selector: string): DomNode | null;
  querySelectorAll(selector: string): Iterable<DomNode>;
}

/** Options of one panel: `Plot.plot` options (without `document`, which the figure supplies). */
export type PanelOptions = Omit<Plot.PlotOptions, "document">;

/**
 * A figure of Plot panels; renders to SVG or HTML, and displays itself in Jupyter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as Plot from "@observablehq/plot";
 * import { Figure } from "./figure.ts";
 * const fig = new Figure([{ marks: [Plot.lineY([1, 3, 2])], height: 120 }], "a line");
 * const svg = fig.toSVG();
 * assert(svg.startsWith("<svg") && svg.includes('xmlns="http://www.w3.org/2000/svg"'));
 * ```
 */
export class Figure {
  /** The panels, top to bottom. */
  readonly panels: readonly PanelOptions[];
  /** Title drawn above the panels. */
  readonly title: string;
  /** Width of every panel, px. */
  readonly width: number;

  constructor(panels: readonly PanelOptions[], title = "", width = 720) {
    this.panels = panels;
    this.title = title;
    this.width = width;
  }

  /** A copy with each panel's options changed by `fn` (e.g. to add marks or set a scale). */
  with(fn: (panel: PanelOptions, index: number) => PanelOptions): Figure {
    return new Figure(this.panels.map(fn), this.title, this.width);
  }

  /** The figure as one standalone SVG document (XML, with `xmlns`), panels stacked. */
  toSVG(): string {
    const { document } = parseHTML("<!doctype html><html><body></body></html>") as unknown as {
      document: unknown;
    };
    const titleHeight = this.title ? 28 : 0;
    let y = titleHeight;
    const parts: string[] = [];
    for (const panel of this.panels) {
      const node = Plot.plot(
        { width: this.width, ...panel, document } as Plot.PlotOptions,
      ) as unknown as DomNode;
      // With a legend Plot wraps the chart in a <figure>: swatches (HTML) first, then the chart's <svg>.
      const svg = node.tagName.toLowerCase() === "svg" ? node : node.querySelector(":scope > svg");
      if (!svg) throw new Error("internal error: Plot rendered no SVG");
      if (svg !== node) {
        const legend = swatchesSvg(node, y);
        if (legend) {
          parts.push(legend.svg);
          y += legend.height;
        }
      }
      const height = Number(svg.getAttribute("height") ?? 0);
      svg.setAttribute("y", String(y));
      svg.setAttribute("x", "0");
      parts.push(svg.outerHTML);
      y += height + 8;
    }
    const total = Math.max(1, y - 8);
    const title = this.title
      ? `<text x="8" y="19" font-family="system-ui, sans-serif" font-size="15" font-weight="600">` +
        `${escapeHtml(this.title)}</text>`
      : "";
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${this.width}" height="${total}" ` +
      `viewBox="0 0 ${this.width} ${total}" role="img" aria-label="${escapeHtml(this.title || "figure")}">` +
      `<rect width="100%" height="100%" fill="white"/>${title}${parts.join("")}</svg>`;
  }

  /** The figure as an HTML fragment (`<figure>` with the inline SVG). */
  toHTML(): string {
    return `<figure class="dynolab-figure" style="margin:1em 0">${this.toSVG()}</figure>`;
  }

  /** Display now (in Jupyter: awaited `Deno.jupyter.display`; elsewhere: printed as text). */
  show(): Promise<void> {
    return show(this);
  }

  /** Jupyter display: inline SVG. */
  [JUPYTER_DISPLAY](): Record<string, string> {
    return { "image/svg+xml": this.toSVG(), "text/plain": `Figure: ${this.title || "untitled"}` };
  }
}

/**
 * Plot's swatch legends of `figure` (HTML: a colour square and a label each) redrawn as one row of SVG at `y`,
 * with the height it takes; none when the figure has no swatches.
 */
function swatchesSvg(figure: DomNode, y: number): { svg: string; height: number } | undefined {
  const items: string[] = [];
  let x = 8;
  for (const swatch of figure.querySelectorAll("span[class$='-swatch']")) {
    const square = swatch.querySelector("svg");
    const label = (swatch.textContent ?? "").trim();
    const fill = square?.getAttribute("fill") ?? square?.getAttribute("stroke") ?? "currentColor";
    items.push(
      `<rect x="${x}" y="${y + 4}" width="12" height="12" fill="${escapeHtml(fill)}"/>` +
        `<text x="${x + 17}" y="${y + 14}" font-family="system-ui, sans-serif" font-size="12">` +
        `${escapeHtml(label)}</text>`,
    );
    x += 17 + 7 * label.length + 16;
  }
  return items.length ? { svg: `<g aria-label="legend">${items.join("")}</g>`, height: 22 } : undefined;
}
