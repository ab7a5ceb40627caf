import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { range, scenario, simulate } from "../../mod.ts";
import { runWarnings } from "../../lib/dsl/run.ts";
import { sharedPath, sharedTest } from "../_shared.ts";
import { MINI_TRACE, QUIET } from "./_helpers.ts";
import { withTempDir } from "../_temp.ts";
import { LLAMA_8B_CONFIG } from "../_fixtures.ts";

const sweep = scenario("kv capacity").trace(MINI_TRACE).agg({ workers: 2 }).router("kv_router")
  .sweep("numGpuBlocks", range(1024, 4096, 1024));

Deno.test("results are independent of parallelism and ordered as declared", async () => {
  const one = await sweep.run(QUIET);
  const two = await sweep.run({ ...QUIET, parallelism: 2 });
  const three = await sweep.run({ ...QUIET, parallelism: 3 });
  assert.deepEqual(one.runs.map((r) => r.params.numGpuBlocks), [1024, 2048, 3072, 4096]);
  assert.equal(JSON.stringify(two.toJSON()), JSON.stringify(one.toJSON()));
  assert.equal(JSON.stringify(three.toJSON()), JSON.stringify(one.toJSON()));
  // More KV capacity never hurts prefix reuse on this trace.
  const reuse = one.column("prefixReuse") as number[];
  assert.ok(reuse[3] >= reuse[0], `${reuse}`);
});

Deno.test("the result cache re-simulates only what changed", async () => {
  await withTempDir(async (cacheDir) => {
    const options = { quiet: true, parallelism: 1, cacheDir };
    const first = await sweep.run(options);
    assert.deepEqual(first.runs.map((r) => r.cached), [false, false, false, false]);
    const again = await sweep.run(options);
    assert.deepEqual(again.runs.map((r) => r.cached), [true, true, true, true]);
    assert.equal(JSON.stringify(again.toJSON()), JSON.stringify(first.toJSON()));
    const changed = scenario("kv capacity").trace(MINI_TRACE).agg({ workers: 2 }).router("kv_router")
      .sweep("numGpuBlocks", [1024, 2048, 8192]);
    const third = await changed.run(options);
    assert.deepEqual(third.runs.map((r) => r.cached), [true, true, false]);
    const off = await sweep.run({ ...options, cache: false });
    assert.deepEqual(off.runs.map((r) => r.cached), [false, false, false, false]);
  });
});

Deno.test("the cache key follows the trace's content, not its path", async () => {
  await withTempDir(async (dir) => {
    const options = { quiet: true, parallelism: 1, cacheDir: `${dir}/cache` };
    const copy = `${dir}/mini_trace.jsonl`;
    await Deno.copyFile(MINI_TRACE, copy);
    const s = (path: string) => scenario("t").trace(path).agg({});
    await s(copy).run(options);
    assert.equal((await s(copy).run(options)).runs[0].cached, true);
    const text = await Deno.readTextFile(copy);
    await Deno.writeTextFile(copy, text.split("\n").slice(0, 100).join("\n") + "\n");
    assert.equal((await s(copy).run(options)).runs[0].cached, false);
  });
});

Deno.test("bad input fails before any run starts, naming the run", async () => {
  await withTempDir(async (cacheDir) => {
    const options = { quiet: true, cacheDir };
    const cases: Array<[() => ReturnType<typeof scenario>, RegExp]> = [
      [
        () => sweep.sweep("workers", [1, 0]),
        /run \d \(numGpuBlocks=1024 · workers=0\): numWorkers: must be > 0/,
      ],
      [
        () => sweep.sweep("maxNumSeqs", [8, "many" as never]),
        /run \d .*: engine.maxNumSeqs: expected a number/,
      ],
      [() => scenario("x").trace("/no/such/trace.jsonl").agg({}), /no such trace file/],
      [
        () => scenario("x").trace("mooncake:conversaton").agg({}),
        /unknown trace name .*did you mean mooncake:conversation/,
      ],
      [() => sweep.sweep("prefixCaching" as never, [true] as never), /did you mean enablePrefixCaching/],
      [
        () => scenario("x").trace(MINI_TRACE).engine({ numG3Blocks: 10 }),
        /engine\.numG3Blocks: the disk and object-storage KV tiers \(G3, G4\) need a host tier: numG2Blocks/,
      ],
      [
        () =>
          scenario("x").trace(MINI_TRACE).disagg({ prefill: { blockSize: 32 }, decode: { blockSize: 64 } }),
        /decode\.blockSize: prefill blockSize 32 differs from decode blockSize 64/,
      ],
      [() => scenario("x").trace(MINI_TRACE).engine({ model: `${cacheDir}/no-such-model` }), /no such file/],
      [
        () => scenario("x").trace(MINI_TRACE).planner({ loadPredictorWarmupTrace: "/no/such.jsonl" }),
        /no\/such/,
      ],
      [
        () =>
          scenario("x").trace(MINI_TRACE).agg({}).planner({ optimizationTarget: "sla" })
            .sweep("maxGpuBudget", [8, 4, 2, 0]),
        /run 3 \(maxGpuBudget=0\): planner\.maxGpuBudget: 0 GPUs cannot hold/,
      ],
      [
        () => scenario("x").trace(MINI_TRACE).agg({}).planner({}).sweep("plannerMode", ["agg", "disagg"]),
        /run 1 \(plannerMode=disagg\): planner\.mode: mode "disagg" does not match the aggregated topology \(engine\)/,
      ],
    ];
    for (const [s, re] of cases) {
      await assert.rejects(
        async () => await s().run(options),
        (e) => e instanceof InputError && re.test(e.message),
      );
    }
    for (const bucketS of [0, -1, NaN]) {
      await assert.rejects(
        () => sweep.run({ ...options, bucketS }),
        /run\(\) bucketS: expected a number of seconds > 0/,
      );
    }
    for (const parallelism of [0, -3, 1.5, NaN]) {
      await assert.rejects(
        () => sweep.run({ ...options, parallelism }),
        /run\(\) parallelism: expected an integer ≥ 1/,
      );
    }
    // Nothing ran: the cache is still empty.
    const entries = [...Deno.readDirSync(cacheDir)];
    assert.deepEqual(entries, []);
  });
});

Deno.test("a workload is loaded once and shared by the runs that can share it", async () => {
  const s = scenario("shared").trace(MINI_TRACE).agg({}).sweep("workers", [1, 2, 3]).sweep("seed", [1, 2]);
  const r = await s.run({ ...QUIET, parallelism: 2 });
  assert.equal(r.runs.length, 6);
  assert.deepEqual(r.rows.map((row) => row.workers), [1, 1, 2, 2, 3, 3]);
});

Deno.test("runs reading a config.json model run alike in workers, and its edits miss the cache", async () => {
  await withTempDir(async (dir) => {
    const config = LLAMA_8B_CONFIG;
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(config));
    const s = scenario("config").trace(MINI_TRACE).engine({ model: `${dir}/config.json`, gpu: "h100_sxm" })
      .sweep("workers", [1, 2]);
    const one = await s.run(QUIET);
    const two = await s.run({ ...QUIET, parallelism: 2 });
    assert.equal(JSON.stringify(two.toJSON()), JSON.stringify(one.toJSON()));

    const options = { quiet: true, parallelism: 1, cacheDir: `${dir}/cache` };
    assert.deepEqual((await s.run(options)).runs.map((r) => r.cached), [false, false]);
    assert.deepEqual((await s.run(options)).runs.map((r) => r.cached), [true, true]);
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...config, num_hidden_layers: 16 }));
    const edited = await s.run(options);
    assert.deepEqual(edited.runs.map((r) => r.cached), [false, false]);
    // Half the layers: faster passes.
    assert.ok((edited.column("itlAvg")[0] as number) < (one.column("itlAvg")[0] as number));
  });
});

sharedTest(
  "runs in AIC table mode run alike in workers and equal the CLI's simulation of their spec",
  async () => {
    const s = scenario("tables").trace(MINI_TRACE)
      .engine({
        model: "Qwen/Qwen3-32B",
        gpu: "h200_sxm",
        backend: "vllm",
        aicSystemsPath: sharedPath("aic/systems"),
      })
      .sweep("workers", [1, 2]);
    const one = await s.run(QUIET);
    const two = await s.run({ ...QUIET, parallelism: 2 });
    assert.equal(JSON.stringify(two.toJSON()), JSON.stringify(one.toJSON()));
    for (const run of two.runs) assert.deepEqual(run.report, await simulate(run.spec));
    const pools = (two.runs[0].report.dynolab as { pools: { perf_model: string }[] }).pools;
    assert.equal(pools[0].perf_model, "aic-tables");
  },
);

Deno.test("disaggregated rows say how long hand-offs waited for decode KV; aggregated rows have none", async () => {
  const disagg = scenario("hand-off").trace(MINI_TRACE).disagg({ decode: { blockSize: 64 } })
    .sweep("decode.numGpuBlocks", [512, 16384]);
  const results = await disagg.run(QUIET);
  const [tight, roomy] = results.column("handoffWaitShare") as number[];
  assert.ok(tight > 0 && roomy === 0, `${tight}, ${roomy}`);
  const waits = results.column("handoffWaitAvg") as number[];
  assert.ok(waits[0] > 0 && waits[1] === null, `${waits}`); // the mean over those that waited: none did
  const agg = await scenario("agg").trace(MINI_TRACE).agg({}).run(QUIET);
  assert.deepEqual(agg.column("handoffWaitShare"), [null]);
});

Deno.test("rows count the blocks copied back from a host KV tier and the swap-ins; null without one", async () => {
  const s = scenario("host").trace(MINI_TRACE).agg({}).engine({ numGpuBlocks: 64, kvBytesPerToken: 1024 })
    .sweep("numG2Blocks", [0, 4096]);
  const results = await s.run(QUIET);
  const [none, tier] = results.rows;
  assert.equal(none.hostCopiedBack, null);
  assert.equal(none.hostSwapIns, null);
  const pools = (results.runs[1].report.dynolab as { pools: { host_tier: Record<string, number> }[] }).pools;
  assert.equal(tier.hostCopiedBack, pools[0].host_tier.onboarded_blocks);
  assert.equal(tier.hostSwapIns, pools[0].host_tier.swap_ins);
  assert.ok((tier.hostCopiedBack as number) > 0, "the trace's shared prefixes come back from host memory");
  assert.equal(tier.hostStaged, 0);
  const staged = await scenario("disk").trace(MINI_TRACE).agg({}).engine({
    numGpuBlocks: 64,
    kvBytesPerToken: 1024,
    numG2Blocks: 64,
    numG3Blocks: 4096,
  }).run(QUIET);
  const stagedPools =
    (staged.runs[0].report.dynolab as { pools: { host_tier: Record<string, number> }[] }).pools;
  assert.equal(staged.rows[0].hostStaged, stagedPools[0].host_tier.staged_blocks);
  assert.ok((staged.rows[0].hostStaged as number) > 0, "a small host tier stages prefixes from the disk");
});

Deno.test("rows carry the mean provisioned workers, per pool in disaggregated runs", async () => {
  const near = (a: unknown, b: number) => assert.ok(Math.abs((a as number) - b) < 1e-9, `${a} ≉ ${b}`);
  const disagg = await scenario("fleet").trace(MINI_TRACE).disagg({
    prefill: { workers: 1 },
    decode: { workers: 2 },
  })
    .run(QUIET);
  const [row] = disagg.rows;
  near(row.workersAvg, 3);
  near(row.prefillWorkersAvg, 1);
  near(row.decodeWorkersAvg, 2);
  const [agg] = (await scenario("fleet").trace(MINI_TRACE).agg({ workers: 2 }).run(QUIET)).rows;
  near(agg.workersAvg, 2);
  assert.deepEqual([agg.prefillWorkersAvg, agg.decodeWorkersAvg], [null, null]);
});

Deno.test("a run's warnings are worded in the DSL's names; the report keeps the CLI's", async () => {
  const results = await scenario("warnings").trace(MINI_TRACE)
    .engine({ engineType: "sglang", maxNumBatchedTokens: 4096, numGpuBlocks: 4096, blockSize: 16 })
    .disagg({
      prefill: { workers: 1 },
      decode: { workers: 1, sglang: { page_size: 16, schedule_policy: "fcfs" } },
    })
    .run({ ...QUIET, warnings: false });
  const report = results.runs[0].report.dynolab as { warnings: string[] };
  assert(
    report.warnings.includes(
      "--prefill-engine-args.max_num_batched_tokens has no effect on the SGLang scheduler",
    ),
  );
  const lines = runWarnings(results.runs);
  assert(
    lines.includes("prefill.maxNumBatchedTokens has no effect on the SGLang scheduler"),
    lines.join("\n"),
  );
  // Keys nested in an engine arg's object (`sglang.…`) are written as given.
  assert(lines.some((l) => l.startsWith("decode.sglang.schedule_policy has no effect")), lines.join("\n"));
  assert(!lines.some((l) => /--|_/.test(l.split(" ")[0].replace(/\.sglang\..*/, ""))), lines.join("\n"));
});
