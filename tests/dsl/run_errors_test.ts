/**
 * A run that cannot run is an error naming it, before any run starts where the input shows it (a warm-up the
 * workload cannot hold); an error raised while a job runs keeps its location and names its job, and `run()`
 * names it as the DSL's prepare-time errors are ({@link failedJob} finds the job, {@link runError} words it).
 */
import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { execute, type Job, scenario, spawnWorkers } from "../../mod.ts";
import { failedJob } from "../../lib/dsl/execute.ts";
import { runError } from "../../lib/dsl/plan.ts";
import { loadInputs } from "../../lib/simulate.ts";
import { tempDir } from "../_temp.ts";
import { MINI_TRACE } from "./_helpers.ts";

for (const parallelism of [1, 2]) {
  Deno.test(`a warm-up the trace cannot hold fails before any run starts, naming the run (parallelism ${parallelism})`, async () => {
    await using dir = await tempDir();
    const s = scenario("warm-up").trace(MINI_TRACE).agg({}).sweep("warmupRequestCount", [0, 10, 100_000, 20]);
    await assert.rejects(
      () => s.run({ quiet: true, warnings: false, parallelism, cacheDir: dir.path }),
      (e) =>
        e instanceof InputError &&
        e.message ===
          "run 2 (warmupRequestCount=100000): warmupRequestCount: 100000 warm-up requests leave none of the " +
            "workload's 240 to measure; raise the request count or lower the warm-up",
    );
    // Nothing ran: the cache is still empty.
    assert.deepEqual([...Deno.readDirSync(dir.path)], []);
  });
}

const small = await loadInputs({
  workload: { source: "synthetic", input_tokens: 64, output_tokens: 20, request_count: 4 },
  replay_concurrency: 4,
  topology: { mode: "agg", engine: {} },
});
const workloads = new Map([["small", small.workload]]);
const job = (id: number, patch: Partial<Job> = {}): Job => ({
  id,
  spec: small.spec,
  workloadKey: "small",
  ...patch,
});

for (const threads of [0, 2]) {
  Deno.test(`execute (${threads} workers): an input error raised while a job runs keeps its location`, async () => {
    const tooMuchWarmup = job(1, { spec: { ...small.spec, warmup_request_count: 4 } });
    await assert.rejects(
      () => execute([job(0), tooMuchWarmup], workloads, spawnWorkers(threads)),
      (e) =>
        e instanceof InputError && e.location.field === "warmup_request_count" &&
        /^warmup_request_count: 4 warm-up requests leave none of the workload's 4/.test(e.message),
    );
  });

  Deno.test(`execute (${threads} workers): any other error names its job`, async () => {
    // No workload under this key: the simulation fails on a bug, not on its input.
    const broken = job(1, { workloadKey: "missing" });
    await assert.rejects(
      () => execute([job(0), broken], workloads, spawnWorkers(threads)),
      (e) =>
        e instanceof Error && !(e instanceof InputError) && e.cause instanceof Error &&
        e.cause.name === "TypeError" &&
        e.message === `simulation job 1 failed: TypeError: ${e.cause.message}`,
    );
  });
}

const run = { index: 3, name: "numGpuBlocks=1024 · workers=2" };

Deno.test("runError: an input error in the simulator's words is named by its run, in the DSL's names", () => {
  const flagged = new InputError("must be > 0 (got --extra-engine-args.max_num_seqs)", {
    field: "--extra-engine-args.max_num_seqs",
  });
  const e = runError(flagged, run);
  assert.ok(e instanceof InputError);
  assert.equal(
    e.message,
    "run 3 (numGpuBlocks=1024 · workers=2): engine.maxNumSeqs: must be > 0 (got engine.maxNumSeqs)",
  );
  // A file and line stay where they were.
  const located = runError(new InputError("bad row", { file: "t.jsonl", line: 7, field: "hash_ids" }), run);
  assert.equal(located.message, "run 3 (numGpuBlocks=1024 · workers=2): t.jsonl:7: hash_ids: bad row");
  // A spec field is named as the prepare-time errors name it.
  const spec = runError(new InputError("must be > 0", { field: "spec.topology.num_workers" }), run);
  assert.equal(spec.message, "run 3 (numGpuBlocks=1024 · workers=2): numWorkers: must be > 0");
});

for (const threads of [0, 2]) {
  Deno.test(`execute (${threads} workers): a failure tells its job, and runError names the run`, async () => {
    const input = await execute(
      [job(0), job(1, { spec: { ...small.spec, warmup_request_count: 9 } })],
      workloads,
      spawnWorkers(threads),
    ).catch((e) => e);
    assert.equal(failedJob(input)?.id, 1);
    assert.equal(
      runError(input, run).message,
      "run 3 (numGpuBlocks=1024 · workers=2): warmupRequestCount: 9 warm-up requests leave none of the " +
        "workload's 4 to measure; raise the request count or lower the warm-up",
    );
    const bug = await execute([job(0), job(2, { workloadKey: "missing" })], workloads, spawnWorkers(threads))
      .catch((e) => e);
    assert.equal(failedJob(bug)?.id, 2);
    const named = runError(bug.cause, run);
    assert.match(named.message, /^run 3 \(numGpuBlocks=1024 · workers=2\): TypeError: /);
    assert.equal(named.cause, bug.cause);
    assert.equal(failedJob(new Error("elsewhere")), undefined);
  });
}

Deno.test("an engine arg refused while a run's inputs load is named as the DSL names it, per pool", async () => {
  await using dir = await tempDir();
  const base = scenario("args").trace(MINI_TRACE);
  const expect = async (s: typeof base, message: string) =>
    await assert.rejects(
      () => s.run({ quiet: true, warnings: false, cacheDir: dir.path }),
      (e) => e instanceof InputError && e.message === message,
    );
  await expect(
    base.agg({}).engine({ numG3Blocks: 10 }),
    "run 0 (args): engine.numG3Blocks: the disk and object-storage KV tiers (G3, G4) need a host tier: numG2Blocks",
  );
  await expect(
    base.engine({ engineType: "sglang", numG2Blocks: 10, kvBytesPerToken: 100 }).agg({}),
    "run 0 (args): engine.numG2Blocks: the SGLang scheduler has no host KV tier (nor has the reference's); " +
      'use engineType "vllm" with it',
  );
  await expect(
    base.disagg({ prefill: { workers: 1 }, decode: { workers: 1, numG2Blocks: 10, kvBytesPerToken: 100 } }),
    "run 0 (args): decode.numG2Blocks: a host KV tier is simulated on aggregated and prefill workers only, " +
      "not yet on decode workers",
  );
});
