/**
 * The DSL in a checkout whose path holds a space and a non-ASCII letter: the result cache digests the simulator's
 * source, a named trace is found in `../shared` beside the checkout, and `publish` hands the checkout's
 * `deno.json` to a script outside any project.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { tempDir } from "../_temp.ts";
import { MINI_TRACE } from "./_helpers.ts";

const CHECKOUT = fileURLToPath(new URL("../../", import.meta.url));

/** The probe, run in the copied checkout: two runs through the cache, then a publish. */
const PROBE = `
import { resolveTrace, scenario } from "./mod.ts";
import { publish } from "./lib/dsl/publish.ts";
const [cacheDir, script, findings] = Deno.args;
const s = scenario("space").trace("mooncake:synthetic").agg({});
const options = { quiet: true, parallelism: 1, cacheDir, warnings: false };
const first = await s.run(options);
const again = await s.run(options);
const pages = await publish(script, findings);
console.log(JSON.stringify({
  via: (await resolveTrace("mooncake:synthetic")).via,
  cached: [first.runs[0].cached, again.runs[0].cached],
  completed: first.runs[0].report.completed_requests,
  pages,
}));
`;

Deno.test("the DSL runs from a checkout whose path holds a space and a non-ASCII letter", async () => {
  await using dir = await tempDir();
  const root = `${dir.path}/dyno lab é`;
  const main = `${root}/main`;
  await Deno.mkdir(main, { recursive: true });
  const copy = await new Deno.Command("cp", {
    args: ["-r", ...["lib", "mod.ts", "deno.json", "deno.lock"].map((f) => `${CHECKOUT}${f}`), main],
  }).output();
  assert.equal(copy.code, 0, new TextDecoder().decode(copy.stderr));
  await Deno.mkdir(`${root}/shared/traces/mooncake`, { recursive: true });
  await Deno.copyFile(MINI_TRACE, `${root}/shared/traces/mooncake/synthetic_trace.jsonl`);
  await Deno.writeTextFile(`${main}/probe.ts`, PROBE);
  // A findings script outside any Deno project: publish gives it the checkout's deno.json.
  await Deno.mkdir(`${root}/outside`);
  await Deno.mkdir(`${dir.path}/findings`);
  await Deno.writeTextFile(
    `${root}/outside/page.ts`,
    'import { Findings } from "../main/mod.ts";\nawait new Findings("Space").text("ok").write();\n',
  );
  // A clean environment: no DYNOLAB_SHARED or DYNOLAB_TRACES, no download.
  const env: Record<string, string> = { DYNOLAB_OFFLINE: "1", DYNOLAB_CACHE_DIR: `${dir.path}/cache` };
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--quiet",
      `${main}/probe.ts`,
      `${dir.path}/results`,
      `${root}/outside/page.ts`,
      `${dir.path}/findings`,
    ],
    cwd: main,
    env,
    clearEnv: true,
  }).output();
  const stdout = new TextDecoder().decode(out.stdout), stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const probe = JSON.parse(stdout.trim().split("\n").pop()!);
  assert.deepEqual(probe, {
    via: "shared",
    cached: [false, true],
    completed: 240,
    pages: [`${dir.path}/findings/space.html`],
  });
});
