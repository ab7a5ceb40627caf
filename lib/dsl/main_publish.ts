/**
 * `deno task publish <scenario.ts | notebook.ipynb> [--out DIR]`: write a self-contained findings page.
 *
 * @module
 */
import { enterInvocationDirectory } from "../common/invocation.ts";
import { exitWith, parseFlags } from "./cli.ts";
import { publish } from "./publish.ts";

/** Usage text. */
export const PUBLISH_USAGE = `usage: deno task publish <scenario.ts | notebook.ipynb> [--out DIR]
Writes a self-contained static page (text, tables, inline SVG plots, the scenario's spec) into DIR
(default findings/). A scenario script is run and writes its own findings; a notebook is converted from
its executed outputs.`;

async function main(args: string[]): Promise<number> {
  const parsed = parseFlags(args, { out: { type: "string" }, help: { type: "boolean" } }, true);
  if (parsed.values.help || parsed.positionals.length !== 1) {
    console.log(PUBLISH_USAGE);
    return parsed.values.help ? 0 : 2;
  }
  for (const page of await publish(parsed.positionals[0], parsed.values.out)) {
    console.log(`published ${page}`);
  }
  return 0;
}

if (import.meta.main) {
  enterInvocationDirectory();
  await exitWith(() => main(Deno.args));
}
