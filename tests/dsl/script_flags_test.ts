/** A scenario script's own command line: `--help` prints its flags, a bad flag one line and exit code 2. */
import assert from "node:assert/strict";

const script = new URL("./fixtures/script_flags.ts", import.meta.url).pathname;

async function runScript(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", script, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, out: text(out.stdout), err: text(out.stderr) };
}

Deno.test("scenario scripts: --help lists the run flags; a bad flag is one line and exit code 2", async () => {
  const help = await runScript("--help");
  assert.equal(help.code, 0, help.err);
  assert.match(
    help.out,
    /^usage: deno run -A .*script_flags\.ts \[--no-cache\] \[--cache-dir VALUE\] \[--quiet\]/,
  );
  const typo = await runScript("--no-cahce");
  assert.equal(typo.code, 2);
  assert.equal(typo.err, "error: --no-cahce: unknown flag (did you mean --no-cache?); see --help\n");
  const ok = await runScript("--quiet", "--parallel", "2");
  assert.equal(ok.code, 0, ok.err);
  assert.deepEqual(JSON.parse(ok.out), { quiet: true, parallelism: 2 });
});
