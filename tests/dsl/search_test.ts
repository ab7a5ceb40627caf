import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { findSmallest, scenario } from "../../mod.ts";
import { MINI_TRACE, QUIET } from "./_helpers.ts";

const fleet = scenario("fleet").trace(MINI_TRACE, { speedup: 8 }).agg({}).router("kv_router");

Deno.test("findSmallest: parallel bisection finds the same fleet as a full sweep", async () => {
  const all = await fleet.sweep("workers", [1, 2, 3, 4, 5, 6, 7, 8]).run(QUIET);
  const limit = (all.rows[3].itlAvg as number) * 1.0001; // mean ITL falls with every worker here
  const holds = (row: Record<string, unknown>) => (row.itlAvg as number) <= limit;
  const expected = all.rows.find(holds)!.workers;
  for (const probesPerRound of [1, 2, 3]) {
    const found = await findSmallest(fleet, "workers", 1, 8, holds, { ...QUIET, probesPerRound });
    assert.equal(found.value, expected, `probes per round ${probesPerRound}`);
    const probed = found.probes.rows.map((r) => r.workers as number);
    assert.deepEqual(probed, [...probed].sort((a, b) => a - b));
    assert.ok(probed.length < 8, `${probed.length} probes`);
    for (const row of found.probes.rows) {
      assert.equal(row.ttftP90, all.rows[(row.workers as number) - 1].ttftP90);
    }
  }
  const none = await findSmallest(fleet, "workers", 1, 2, () => false, QUIET);
  assert.equal(none.value, null);
  const first = await findSmallest(fleet, "workers", 1, 8, () => true, QUIET);
  assert.equal(first.value, 1);
});

Deno.test("findSmallest rejects bad bounds and swept scenarios", async () => {
  await assert.rejects(() => findSmallest(fleet, "workers", 5, 2, () => true, QUIET), InputError);
  await assert.rejects(
    () => findSmallest(fleet.sweep("seed", [1, 2]), "workers", 1, 2, () => true, QUIET),
    /without sweeps or variants/,
  );
  await assert.rejects(
    () => findSmallest(fleet, "workers", 1, 2, () => true, { ...QUIET, shard: { index: 1, count: 2 } }),
    /a search cannot be sharded/,
  );
});

Deno.test("findSmallest: a run that served nothing does not hold, and its latencies are null", async () => {
  // With one 16-token block no request of the trace fits: every one is rejected.
  const kv = scenario("kv").trace(MINI_TRACE, { speedup: 8 }).agg({}).engine({ blockSize: 16 });
  const found = await findSmallest(
    kv,
    "numGpuBlocks",
    1,
    4096,
    (row) => (row.ttftP90 as number) <= 1e9,
    QUIET,
  );
  const starved = found.probes.rows.find((r) => r.numGpuBlocks === 1)!;
  assert.deepEqual([starved.completed, starved.ttftP90, starved.itlAvg], [0, null, null]);
  assert.ok((found.value ?? 0) > 1, `found ${found.value}`);
  const at = found.probes.rows.find((r) => r.numGpuBlocks === found.value)!;
  assert.ok((at.completed as number) > 0);
});

Deno.test("findSmallest: the probes' warnings are printed once for the search, not once a round", async () => {
  const warned: string[] = [];
  const warn = console.warn;
  console.warn = (line: string) => warned.push(line);
  try {
    // A start-up time without a planner warns in every run.
    const s = fleet.engine({ startupTime: 30 });
    const found = await findSmallest(s, "workers", 1, 8, (row) => (row.workers as number) >= 6, {
      ...QUIET,
      probesPerRound: 1,
    });
    assert.ok(found.rounds > 2, `${found.rounds} rounds`);
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(warned.filter((w) => w.includes("startupTime")).length, 1, warned.join("\n"));
});
