import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { execute, type Job, type JobFailure, spawnWorkers } from "../../lib/dsl/mod.ts";
import { loadInputs } from "../../lib/simulate.ts";
import type { SimSpec } from "../../lib/spec.ts";

const small = await loadInputs({
  workload: { source: "synthetic", input_tokens: 64, output_tokens: 20, request_count: 4 },
  replay_concurrency: 4,
  topology: { mode: "agg", engine: {} },
});
/** A spec whose run inputs cannot be read: its model's config.json is missing. */
const unreadable: SimSpec = {
  ...small.spec,
  topology: { mode: "agg", num_workers: 1, engine: { aic_model_path: "/no/such/model/config.json" } },
} as SimSpec;
const workloads = new Map([["small", small.workload]]);
const job = (id: number, spec: SimSpec = small.spec): Job => ({ id, spec, workloadKey: "small" });
/** Some 400 million output tokens: minutes of simulation, far past the limits the tests set. */
const big = await loadInputs({
  workload: { source: "synthetic", input_tokens: 64, output_tokens: 2000, request_count: 200_000 },
  replay_concurrency: 256,
  topology: { mode: "agg", engine: {} },
});
const withBig = new Map([...workloads, ["big", big.workload]]);
const bigJob = (id: number): Job => ({ id, spec: big.spec, workloadKey: "big" });

for (const threads of [0, 2]) {
  Deno.test(`execute (${threads} workers): onFailure records a job's input error and the others run`, async () => {
    const failures: [number, JobFailure][] = [];
    const results = await execute([job(0), job(1, unreadable), job(2)], workloads, spawnWorkers(threads), {
      onFailure: (j, f) => failures.push([j.id, f]),
    });
    assert.deepEqual([...results.keys()].sort(), [0, 2]);
    assert.equal(results.get(0)!.report.completed_requests, 4);
    assert.equal(failures.length, 1);
    const [[id, failure]] = failures;
    assert.equal(id, 1);
    assert.equal(failure.kind, "input");
    assert.match((failure as { message: string }).message, /\/no\/such\/model\/config\.json/);
  });

  Deno.test(`execute (${threads} workers): without onFailure, an input error rejects as an InputError`, async () => {
    await assert.rejects(
      () => execute([job(0), job(1, unreadable)], workloads, spawnWorkers(threads)),
      (e) => e instanceof InputError && /config\.json/.test(e.message),
    );
  });
}

Deno.test("execute: a job past timeoutS fails with a timeout and its replaced worker runs the next one", async () => {
  // The next job's workload went to the first worker, not to its replacement: it must be sent again.
  const jobs = [job(0), bigJob(1), job(2)];
  const failures: [number, JobFailure][] = [];
  const done: number[] = [];
  const results = await execute(jobs, withBig, spawnWorkers(1), {
    timeoutS: 5,
    onDone: (j) => done.push(j.id),
    onFailure: (j, f) => failures.push([j.id, f]),
  });
  assert.deepEqual(failures, [[1, { kind: "timeout", seconds: 5 }]]);
  assert.deepEqual(done, [0, 2]);
  assert.equal(results.get(2)!.report.completed_requests, 4);
});

Deno.test({
  name: "execute: a failure stops the pool and clears the time limits still running",
  sanitizeOps: true,
  sanitizeResources: true,
  fn: async () => {
    // The input error comes back while the other worker's job and its 60 s limit are still running.
    await assert.rejects(
      () => execute([job(0, unreadable), bigJob(1)], withBig, spawnWorkers(2), { timeoutS: 60 }),
      InputError,
    );
    await assert.rejects(
      () => execute([job(0), job(1)], workloads, spawnWorkers(2), { timeoutS: 0 }),
      /simulation job \d ran past its limit of 0 s/,
    );
  },
});
