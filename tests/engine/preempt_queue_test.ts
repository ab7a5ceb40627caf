/**
 * The engine's count of preempted requests waiting to run again (`preemptedWaiting`, `preemptedTokens`), which
 * the planner's forward-pass metrics report as queued decode work apart from the prompts waiting to prefill.
 */
import assert from "node:assert/strict";
import { Engine, RequestTable, resolveEngineArgs } from "../../lib/engine/mod.ts";
import { fixedModel } from "../../lib/perf/mod.ts";
import { Rng } from "../../lib/common/rng.ts";
import { type TestRow, workloadOf } from "../_fixtures.ts";

/** Drive one rank through a burst of requests on a KV pool too small for them, checking the count each pass. */
function drive(
  args: Record<string, unknown>,
  output: number,
  countsAsDecode: (req: RequestTable, r: number) => boolean,
) {
  const rng = new Rng(7), rows: TestRow[] = [];
  for (let i = 0; i < 40; i++) rows.push({ input: 8 + rng.int(40), output: output + rng.int(output) });
  const req = new RequestTable(workloadOf(rows, 4));
  const { config } = resolveEngineArgs({ block_size: 4, num_gpu_blocks: 60, ...args }, "aggregated");
  const e = new Engine(0, config, fixedModel({ prefillMs: 10, prefillMsPerToken: 0, decodeMs: 5 }), req);
  let t = 0, next = 0, sawBoth = false;
  for (let pass = 0; pass < 10_000 && (e.hasWork || next < rows.length); pass++) {
    // Two arrivals a pass, so fresh prompts wait beside preempted requests.
    for (let k = 0; k < 2 && next < rows.length; k++, next++) {
      req.reset(next, rows[next].output);
      e.enqueue(next);
    }
    let n = 0, tokens = 0;
    for (let i = 0; i < e.waiting.size; i++) {
      const r = e.waiting.at(i);
      if (countsAsDecode(req, r)) (n++), (tokens += req.promptLen[r] + req.generated[r]);
    }
    const d = e.startPass(t);
    assert.deepEqual(e.lastPreempted, { requests: n, tokens }, `pass ${pass}`);
    assert.ok(n <= e.last.queuedRequests && tokens <= e.last.queuedTokens);
    if (n > 0 && n < e.last.queuedRequests) sawBoth = true;
    if (d < 0) break;
    t += d;
    e.endPass(t);
  }
  assert.ok(e.preemptions > 0, "expected preemptions");
  assert.ok(sawBoth, "expected preempted requests waiting beside fresh ones");
  assert.equal(next, rows.length);
  assert.equal(e.hasWork, false);
  assert.deepEqual([e.preemptedWaiting, e.preemptedTokens, e.waitingTokens], [0, 0, 0]);
}

Deno.test("preempted requests waiting (vLLM): counted from preemption to re-admission, with their known tokens", () => {
  // vLLM's FPM counts every preempted request as queued decode work.
  drive({}, 10, (req, r) => req.admitted[r] !== 0);
});

Deno.test("retracted requests waiting (SGLang): counted when they have emitted tokens, as SGLang's FPM counts them", () => {
  drive(
    { engine_type: "sglang", num_gpu_blocks: 100 },
    100,
    (req, r) => req.admitted[r] !== 0 && req.generated[r] > 0,
  );
});
