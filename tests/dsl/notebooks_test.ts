/**
 * `deno task notebooks` on two tiny notebooks, one with a cell that raises: the bad one fails, the good one is
 * still checked. Needs Jupyter with the Deno kernel: skipped with a note without it, except under `CI=true`.
 */
import assert from "node:assert/strict";
import { tempDir } from "../_temp.ts";

const hasJupyter = (() => {
  try {
    return new Deno.Command("jupyter", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
})();
const inCi = Deno.env.get("CI") === "true";
if (!hasJupyter && !inCi) console.warn("note: jupyter not found: skipping the notebooks task test");

const notebook = (source: string) =>
  JSON.stringify({
    cells: [{ cell_type: "code", execution_count: null, metadata: {}, outputs: [], source: [source] }],
    metadata: { kernelspec: { display_name: "Deno", language: "typescript", name: "deno" } },
    nbformat: 4,
    nbformat_minor: 5,
  });

Deno.test({
  name: "deno task notebooks: a notebook whose cell raises fails, and the others are still checked",
  ignore: !hasJupyter && !inCi,
  async fn() {
    await using dir = await tempDir();
    await Deno.writeTextFile(`${dir.path}/a_bad.ipynb`, notebook('throw new Error("boom");'));
    await Deno.writeTextFile(`${dir.path}/b_good.ipynb`, notebook('console.log("fine");'));
    const task = new URL("../../lib/dsl/notebooks.ts", import.meta.url).pathname;
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", task, `${dir.path}/a_bad.ipynb`, `${dir.path}/b_good.ipynb`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const [out, err] = [run.stdout, run.stderr].map((b) => new TextDecoder().decode(b));
    assert.equal(run.code, 1, out + err);
    assert.match(err, /FAIL .*a_bad\.ipynb/);
    assert.match(err, /boom/);
    assert.match(out, /ok {3}.*b_good\.ipynb/);
  },
});

Deno.test({
  name: "deno task notebooks --write: a notebook named without a folder is written in place",
  ignore: !hasJupyter && !inCi,
  async fn() {
    await using dir = await tempDir();
    await Deno.writeTextFile(`${dir.path}/here.ipynb`, notebook('console.log("written");'));
    const task = new URL("../../lib/dsl/notebooks.ts", import.meta.url).pathname;
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", task, "--write", "here.ipynb"],
      cwd: dir.path,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
    assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name), ["here.ipynb"]);
    assert.match(await Deno.readTextFile(`${dir.path}/here.ipynb`), /written/);
  },
});

Deno.test("deno task notebooks: a missing notebook or an unknown flag is a one-line error, --help the usage", async () => {
  const task = new URL("../../lib/dsl/notebooks.ts", import.meta.url).pathname;
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", task, ...args],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    return {
      code: out.code,
      text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
    };
  };
  const missing = await run("no-such.ipynb");
  assert.deepEqual([missing.code, missing.text.trim()], [2, "error: no-such.ipynb: no such file"]);
  const flag = await run("--bogus");
  assert.deepEqual([flag.code, flag.text.trim()], [2, "error: --bogus: unknown flag; see --help"]);
  const help = await run("--help");
  assert.equal(help.code, 0);
  assert.match(help.text, /^usage: deno task notebooks \[--write\]/);
});
