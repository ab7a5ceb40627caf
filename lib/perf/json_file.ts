/**
 * Reading JSON files at the perf inputs' edge: as Python's `json` module writes them (Hugging Face configs,
 * planner profiles, a profiler's legacy results), with errors that name the file.
 *
 * @module
 */
import { InputError, type InputLocation } from "../common/errors.ts";

/**
 * Read and parse the JSON file `path` ({@link parsePythonJson}); an unreadable or invalid one is an
 * {@link InputError}.
 */
export async function readJson(path: string, at: InputLocation): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as Error).message}`, at);
  }
  try {
    return parsePythonJson(text);
  } catch (e) {
    throw new InputError(`not valid JSON: ${(e as Error).message}`, { ...at, file: path });
  }
}

/**
 * Parse JSON as Python's `json` module writes it: bare `NaN`, `Infinity` and `-Infinity` (which Hugging Face
 * configs hold, e.g. Nemotron-H's `time_step_limit`) read as null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePythonJson } from "./json_file.ts";
 * assert.deepEqual(parsePythonJson('{"a": [0.0, Infinity], "b": "NaN", "c": -Infinity}'), {
 *   a: [0, null],
 *   b: "NaN",
 *   c: null,
 * });
 * ```
 */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const lenient = text.replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g, (m) => m.startsWith('"') ? m : "null");
    if (lenient === text) throw e;
    return JSON.parse(lenient);
  }
}
