/**
 * The layering DEVELOPERS.md states: a stage of `lib/` imports only stages before it in the data flow, and only
 * through their `mod.ts`. Type-only imports count too: a cycle of types still ties two stages together.
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const LIB = resolve(dirname(fileURLToPath(import.meta.url)), "../lib");

/** Each stage's place in the flow; a stage may import those with a lower rank. */
const RANK: Readonly<Record<string, number>> = {
  common: 0,
  workload: 1,
  perf: 1,
  metrics: 1,
  engine: 2,
  router: 3,
  cluster: 4,
  planner: 5,
  report: 6,
  "spec.ts": 7,
  "run_inputs.ts": 8,
  "run_details.ts": 8,
  "simulate.ts": 9,
  "price.ts": 9,
  dsl: 10,
  cli: 11,
};

/** The stage a path under `lib/` belongs to: its first folder, or the file itself at the top. */
function stageOf(path: string): string {
  return relative(LIB, path).split("/")[0];
}

/** Relative module specifiers a source file imports or re-exports, comments left out. */
function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const specs = [...code.matchAll(/(?:^|[\s;])(?:import|export)\b[^"'`;]*?\bfrom\s*["']([^"']+)["']/g)]
    .concat([...code.matchAll(/\bimport\s*\(?\s*["']([^"']+)["']/g)]);
  return specs.map((m) => m[1]).filter((s) => s.startsWith("."));
}

function* sources(dir: string): Generator<string> {
  for (const e of Deno.readDirSync(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) yield* sources(path);
    else if (e.name.endsWith(".ts")) yield path;
  }
}

Deno.test("importsOf reads import and export specifiers, not ones in comments", () => {
  const src = [
    "/** @example",
    ' * import { x } from "../engine/mod.ts";',
    " */",
    'import type { A } from "./a.ts";',
    "import {",
    "  B,",
    '} from "../b/mod.ts";',
    'export { C } from "./c.ts";',
    '// import { D } from "./d.ts";',
    'import { z } from "zod";',
  ].join("\n");
  assert.deepEqual(importsOf(src), ["./a.ts", "../b/mod.ts", "./c.ts"]);
});

Deno.test("every stage imports only earlier stages, through their mod.ts", () => {
  const breaches: string[] = [];
  for (const file of sources(LIB)) {
    const from = stageOf(file);
    assert(
      from in RANK,
      `lib/${from} has no place in the flow: add it to RANK in tests/architecture_test.ts`,
    );
    for (const spec of importsOf(Deno.readTextFileSync(file))) {
      const target = resolve(dirname(file), spec);
      const to = stageOf(target);
      if (to === from || to === "..") continue; // within the stage, or outside lib/ (deno.json)
      const where = `${relative(LIB, file)} imports ${spec}`;
      if (!(RANK[to] < RANK[from])) breaches.push(`${where}: ${to} does not come before ${from}`);
      const face = to.endsWith(".ts") || to === "common" || relative(LIB, target) === `${to}/mod.ts`;
      if (!face) breaches.push(`${where}: other stages import ${to}/mod.ts only`);
    }
  }
  assert.deepEqual(breaches, []);
});
