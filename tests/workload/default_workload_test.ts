import assert from "node:assert/strict";
import { DEFAULT_WORKLOAD_SHAPE, defaultWorkload } from "../../lib/workload/default_workload.ts";
import { DefaultWorkloadSchema } from "../../lib/workload/spec.ts";
import { workloadStats } from "../../lib/workload/types.ts";
import { arraysOf, blocksOf, commonPrefix, delaysOf, turnsOf } from "./_helpers.ts";

const spec = (fields: Record<string, unknown> = {}) =>
  DefaultWorkloadSchema.parse({ source: "default", ...fields });

function median(values: ArrayLike<number>): number {
  const s = Array.from(values).sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

Deno.test("default workload: deterministic from its seed", () => {
  const a = defaultWorkload(spec(), { blockSize: 64 });
  const b = defaultWorkload(spec(), { blockSize: 64 });
  assert.deepEqual(arraysOf(a), arraysOf(b));
  const c = defaultWorkload(spec({ seed: 7 }), { blockSize: 64 });
  assert.notDeepEqual(Array.from(a.inputLength), Array.from(c.inputLength));
});

Deno.test("default workload: size and load are demo-sized", () => {
  const w = defaultWorkload(spec(), { blockSize: 64 });
  const stats = workloadStats(w);
  assert.equal(w.name, "default");
  assert.equal(stats.sessions, 300);
  assert.ok(stats.requests >= 1000 && stats.requests <= 3000, `${stats.requests} requests`);
  // 299 Poisson gaps of mean 4 s: session starts span roughly 20 minutes
  assert.ok(stats.spanMs > 15 * 60_000 && stats.spanMs < 25 * 60_000, `span ${stats.spanMs} ms`);
  // agentic: input-heavy, short outputs with a heavy tail
  assert.ok(stats.inputTokens / stats.outputTokens > 30);
  const osl = median(w.outputLength);
  assert.ok(osl > 100 && osl < 220, `median output ${osl}`);
  assert.ok(Math.max(...w.outputLength) > 10 * osl);
  assert.ok(Math.max(...w.inputLength) <= DEFAULT_WORKLOAD_SHAPE.maxContextTokens);
  // most prompt blocks repeat an earlier one (shared prefixes and growing contexts)
  assert.ok(w.distinctBlocks / w.blocks.length < 0.15, `${w.distinctBlocks} of ${w.blocks.length} distinct`);
});

Deno.test("default workload: shared preamble, per-agent tool prompts, growing sessions", () => {
  const w = defaultWorkload(spec(), { blockSize: 64 });
  const preambleBlocks = Math.floor(DEFAULT_WORKLOAD_SHAPE.preambleTokens / 64);
  const shortestAgent = Math.min(...DEFAULT_WORKLOAD_SHAPE.agents.map((a) => a.toolTokens));
  const agentBlock = Math.floor((DEFAULT_WORKLOAD_SHAPE.preambleTokens + shortestAgent) / 64) - 1;
  const atAgentBlock = new Set<number>();
  for (let s = 0; s < w.sessionCount; s++) {
    const turns = turnsOf(w, s);
    assert.ok(commonPrefix(w, w.roots[0], turns[0]) >= preambleBlocks);
    atAgentBlock.add(blocksOf(w, turns[0])[agentBlock]);
    for (let k = 1; k < turns.length; k++) {
      const prev = turns[k - 1], cur = turns[k];
      assert.ok(w.inputLength[cur] > w.inputLength[prev] + w.outputLength[prev]);
      assert.equal(commonPrefix(w, prev, cur), Math.floor(w.inputLength[prev] / 64));
      assert.ok(delaysOf(w)[cur] >= DEFAULT_WORKLOAD_SHAPE.toolThinkMs.min);
    }
  }
  // one tool prompt per agent kind
  assert.equal(atAgentBlock.size, DEFAULT_WORKLOAD_SHAPE.agents.length);
});

Deno.test("default workload: sessions, rate and speed-up options", () => {
  const small = defaultWorkload(spec({ sessions: 40, session_rate: 1 }), { blockSize: 64 });
  assert.equal(small.sessionCount, 40);
  assert.ok(workloadStats(small).spanMs < 60_000);
  const fast = defaultWorkload(spec({ sessions: 40, session_rate: 1 }), { blockSize: 64, speedup: 2 });
  assert.deepEqual(Array.from(fast.arrivalMs), Array.from(small.arrivalMs, (t) => t / 2));
  assert.deepEqual(delaysOf(fast), delaysOf(small).map((t) => t / 2));
  const bs16 = defaultWorkload(spec({ sessions: 40, session_rate: 1 }), { blockSize: 16 });
  assert.deepEqual(Array.from(bs16.inputLength), Array.from(small.inputLength));
});
