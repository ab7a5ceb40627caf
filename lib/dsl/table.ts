/**
 * Plain-text and HTML tables for results.
 *
 * @module
 */
import { formatCount } from "../common/format.ts";

/**
 * A value as a table cell: numbers with 4 significant digits (integers and large values in full, with
 * thousands separators), `—` for null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCell } from "./table.ts";
 * assert(formatCell(1234.5678) === "1,235" && formatCell(0.012345) === "0.01235");
 * assert(formatCell(null) === "—" && formatCell("agg") === "agg");
 * ```
 */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value !== "number") return String(value);
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) || Math.abs(value) >= 1000) {
    return formatCount(value);
  }
  return String(Number(value.toPrecision(4)));
}

/** Rows as table cells ({@link formatCell}), in `columns` order. */
export function formatRows(columns: readonly string[], rows: readonly Record<string, unknown>[]): string[][] {
  return rows.map((r) => columns.map((c) => formatCell(r[c])));
}

/** A box-drawn text table; numbers right-aligned. */
export function textTable(columns: string[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const numeric = columns.map((_, i) => rows.every((r) => /^[-\d,.—e+]+$/.test(r[i])));
  const line = (cells: string[]) =>
    "│ " + cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" │ ") + " │";
  const rule = (l: string, m: string, r: string) => l + widths.map((w) => "─".repeat(w + 2)).join(m) + r;
  return [rule("┌", "┬", "┐"), line(columns), rule("├", "┼", "┤"), ...rows.map(line), rule("└", "┴", "┘")]
    .join("\n");
}

/** Escape text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** An HTML table with a caption; numbers right-aligned. */
export function htmlTable(columns: string[], rows: string[][], caption?: string): string {
  const numeric = columns.map((_, i) => rows.every((r) => /^[-\d,.—e+]+$/.test(r[i])));
  const cell = (tag: string, text: string, i: number) =>
    `<${tag}${numeric[i] ? ' style="text-align:right"' : ""}>${escapeHtml(text)}</${tag}>`;
  return `<table class="dynolab-results">` +
    (caption ? `<caption style="text-align:left;font-weight:bold">${escapeHtml(caption)}</caption>` : "") +
    `<thead><tr>${columns.map((c, i) => cell("th", c, i)).join("")}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((v, i) => cell("td", v, i)).join("")}</tr>`).join("") +
    `</tbody></table>`;
}
