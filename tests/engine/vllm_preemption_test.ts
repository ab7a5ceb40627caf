/**
 * vLLM's preemption by recompute on one engine rank, driven pass by pass: where a preempted request goes in the
 * waiting queue, and what a pass that preempted may still admit.
 */
import assert from "node:assert/strict";
import { Engine, RequestTable, resolveEngineArgs } from "../../lib/engine/mod.ts";
import { fixedModel } from "../../lib/perf/mod.ts";
import { type TestRow, workloadOf } from "../_fixtures.ts";

const model = fixedModel({ prefillMs: 10, prefillMsPerToken: 0, decodeMs: 5 });

/** One pass of `e` from `t`: what it admitted and preempted, and the queues after it. Returns its end. */
function pass(e: Engine, t: number) {
  const before = e.preemptions;
  const ms = e.startPass(t);
  const seen = {
    ms,
    preempted: e.preemptions - before,
    admitted: [...e.admittedIds.subarray(0, e.admittedCount)],
    running: [...e.running.subarray(0, e.runningCount)],
    waiting: Array.from({ length: e.waiting.size }, (_, i) => e.waiting.at(i)),
  };
  if (ms >= 0) e.endPass(t + ms);
  return seen;
}

Deno.test("vLLM: a preempted request goes back to the front of the waiting queue, ahead of one queued before it", () => {
  // vLLM's `_preempt_request` does `waiting.prepend_request`: the victim is the next request admitted, even
  // though C has waited longer. 6 blocks of 4; A and B (4 + 12) decode together; C (8 + 2) arrives at the second
  // pass and takes the last blocks; C is preempted (LIFO) at the third pass, then B at the tenth, with C still
  // waiting (it needs 3 blocks, 2 are free).
  const rows: TestRow[] = [{ input: 4, output: 12 }, { input: 4, output: 12 }, { input: 8, output: 2 }];
  const req = new RequestTable(workloadOf(rows, 4));
  const { config } = resolveEngineArgs({ block_size: 4, num_gpu_blocks: 6 }, "aggregated");
  const e = new Engine(0, config, model, req);
  for (const r of [0, 1]) {
    req.reset(r, rows[r].output);
    e.enqueue(r);
  }
  let t = 0;
  const seen = [];
  for (let k = 0; k < 40 && e.hasWork; k++) {
    if (k === 1) {
      req.reset(2, rows[2].output);
      e.enqueue(2);
    }
    const s = pass(e, t);
    seen.push(s);
    t += s.ms;
  }
  const preempting = seen.flatMap((s, k) => s.preempted > 0 ? [k] : []);
  assert.deepEqual(preempting, [2, 9]);
  // B, preempted at the tenth pass, goes ahead of C, which waited since the third.
  assert.deepEqual(seen[9].waiting, [1, 2]);
  assert.deepEqual(seen[9].running, [0]);
  // Once A is done, B is re-admitted first (C then no longer fits beside it).
  const admissions = seen.flatMap((s, k) => s.admitted.length > 0 ? [[k, s.admitted]] : []);
  assert.deepEqual(admissions, [[0, [0, 1]], [1, [2]], [12, [1]], [15, [2]]]);
});

Deno.test("vLLM: a pass that preempts admits nothing, not even a decode rank's landed hand-off", () => {
  // vLLM v1's scheduler schedules no waiting request in a step that preempted (`if not preempted_reqs`), and a
  // remote prefill whose KV has landed is such a waiting request. A decode rank of 7 blocks of 4, 2 running
  // slots: three 8-token prompts land (2 blocks each); A and B run, C waits for a slot. At the second pass A
  // takes the last free block and B, short of one, preempts itself: its slot is free but C must wait a pass.
  const rows: TestRow[] = [0, 1, 2].map(() => ({ input: 8, output: 20 }));
  const req = new RequestTable(workloadOf(rows, 4));
  const { config } = resolveEngineArgs({ block_size: 4, num_gpu_blocks: 7, max_num_seqs: 2 }, "decode");
  const e = new Engine(0, config, model, req);
  for (const r of [0, 1, 2]) {
    req.reset(r, 20);
    assert.equal(e.receive(r), undefined);
  }
  assert.equal(e.reservePending(), 3);
  for (const r of [0, 1, 2]) e.land(r);
  let t = 0;
  const first = pass(e, t);
  assert.deepEqual([first.preempted, first.admitted, e.landed.size], [0, [0, 1], 1]);
  t += first.ms;
  const second = pass(e, t);
  assert.deepEqual(
    [second.preempted, second.admitted, second.running, second.waiting, e.landed.size],
    [1, [], [0], [1], 1],
  );
  t += second.ms;
  // The next pass: B still does not fit (3 blocks, 2 free), and C takes the free slot.
  const third = pass(e, t);
  assert.deepEqual([third.preempted, third.admitted, third.running, third.waiting], [0, [2], [0, 2], [1]]);
});
