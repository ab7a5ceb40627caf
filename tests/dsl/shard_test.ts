import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { mergeMain, scenarioOf, sweepMain } from "../../lib/dsl/cli.ts";
import { mergeResults, Results } from "../../mod.ts";
import { QUIET } from "./_helpers.ts";
import { withTempDir } from "../_temp.ts";

const root = new URL("../../", import.meta.url).pathname;
const FIXTURE = "tests/dsl/fixtures/sweep_scenario.ts";

async function sweepProcess(args: string[], env: Record<string, string> = {}): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      "lib/dsl/main_sweep.ts",
      FIXTURE,
      ...args,
    ],
    cwd: root,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  return text;
}

Deno.test("n local shard processes, merged, equal the unsharded run", async () => {
  const whole = await (await scenarioOf(`${root}${FIXTURE}`)).run(QUIET);
  assert.equal(whole.runs.length, 12);
  await withTempDir(async (dir) => {
    const n = 3;
    const logs = await Promise.all(
      Array.from(
        { length: n },
        (_, i) => sweepProcess(["--shard", `${i}/${n}`, "--out", dir, "--no-cache", "--quiet"]),
      ),
    );
    assert.match(
      logs[1],
      /shard fixture: 4 run\(s\) \(shard 1\/3\) written to .*shard-fixture\.shard-1-of-3\.json/,
    );
    const files = Array.from({ length: n }, (_, i) => `${dir}/shard-fixture.shard-${i}-of-${n}.json`);
    const part = await Results.load(files[1]);
    assert.deepEqual(part.runs.map((r) => r.index), [1, 4, 7, 10]);
    assert.equal(await mergeMain([...files.reverse(), "--out", `${dir}/merged.json`]), 0);
    const merged = await Results.load(`${dir}/merged.json`);
    assert.equal(JSON.stringify(merged.toJSON()), JSON.stringify(whole.toJSON()));
  });
});

Deno.test("batch systems: JOB_COMPLETION_INDEX (Kubernetes) and SLURM_ARRAY_TASK_ID select the shard", async () => {
  await withTempDir(async (dir) => {
    const common = ["--out", dir, "--no-cache", "--quiet"];
    await sweepProcess([...common, "--shard-count", "4"], { JOB_COMPLETION_INDEX: "2" });
    const k8s = await Results.load(`${dir}/shard-fixture.shard-2-of-4.json`);
    assert.deepEqual(k8s.runs.map((r) => r.index), [2, 6, 10]);
    await sweepProcess(common, {
      SLURM_ARRAY_TASK_ID: "1",
      SLURM_ARRAY_TASK_MIN: "1",
      SLURM_ARRAY_TASK_COUNT: "6",
    });
    const slurm = await Results.load(`${dir}/shard-fixture.shard-0-of-6.json`);
    assert.deepEqual(slurm.runs.map((r) => r.index), [0, 6]);
  });
});

Deno.test("shard flags that cannot pick a shard are refused before any run", async () => {
  const refused = async (args: string[], env: Record<string, string>, message: RegExp) =>
    await assert.rejects(() => sweepMain([FIXTURE, ...args], (k) => env[k]), (e) => {
      assert(e instanceof InputError && message.test(e.message), String(e));
      return true;
    });
  await refused(
    ["--shard-count", "4"],
    {},
    /--shard-count: needs JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID/,
  );
  await refused(
    ["--shard", "1/2", "--shard-count", "8"],
    {},
    /--shard-count: give --shard i\/n or --shard-count n/,
  );
  await refused(
    ["--shard-count", "4"],
    { JOB_COMPLETION_INDEX: "" },
    /JOB_COMPLETION_INDEX: is set but empty/,
  );
  await refused(
    [],
    { SLURM_ARRAY_TASK_ID: " ", SLURM_ARRAY_TASK_COUNT: "2" },
    /SLURM_ARRAY_TASK_ID: is set but empty/,
  );
});

Deno.test("merge refuses missing, duplicate or foreign shards", async () => {
  const s = await scenarioOf(`${root}${FIXTURE}`);
  const parts = await Promise.all([0, 1].map((i) => s.run({ ...QUIET, shard: { index: i, count: 2 } })));
  assert.equal(mergeResults(parts).runs.length, 12);
  assert.throws(
    () => mergeResults([parts[0]]),
    (e) => e instanceof InputError && /missing shard\(s\) 1\/2/.test(e.message),
  );
  assert.throws(() => mergeResults([parts[0], parts[0]]), /shard 0\/2 given twice/);
  const other = new Results("other", parts[1].runs, parts[1].shard);
  assert.throws(() => mergeResults([parts[0], other]), /different scenarios/);
});

Deno.test("an empty shard's table says it has no runs", () => {
  const empty = new Results("empty", [], { index: 3, count: 4, totalRuns: 3 });
  assert.equal(empty.table(undefined, false), "(no runs)");
});
