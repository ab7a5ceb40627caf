import assert from "node:assert/strict";
import { trafficWindows } from "../../lib/planner/mod.ts";
import { WorkloadBuilder } from "../../lib/workload/mod.ts";

Deno.test("planner warm-up trace: a later turn counts in the interval of its own timestamp", () => {
  const b = new WorkloadBuilder({ name: "t", blockSize: 4 });
  const row = { inputLength: 8, outputLength: 2, tokenBlocks: "unique" } as const;
  b.add({ ...row, session: "a", arrivalMs: 1_000 });
  b.add({ ...row, session: "a", arrivalMs: 61_000 }); // 60 s after its first turn
  b.add({ ...row, session: "a", delayMs: 60_000 }); // an explicit delay, in the third interval
  b.add({ ...row, session: "b", arrivalMs: 2_000 });
  assert.deepEqual(trafficWindows(b.build(), 60).map((w) => w.numReq), [2, 1, 1]);
});
