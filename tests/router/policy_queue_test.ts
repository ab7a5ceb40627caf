// The router queue over policy classes: the reference's policy_queue.rs tests, ported (deficit round robin,
// per-class order, per-worker limits).
import assert from "node:assert/strict";
import { type PolicyClass, PolicyQueue, policyScore } from "../../lib/router/mod.ts";

const cls = (name: string, quantum: number, extra: Partial<PolicyClass> = {}): PolicyClass => ({
  name,
  quantum,
  queuePolicy: "fcfs",
  busyTokens: 0,
  busyFraction: null,
  limits: [null, null, null],
  ...extra,
});
/** Queue request `request` in class `c` of `q`, costing `isl − cached` tokens, at `seconds` (fcfs order). */
function push(q: PolicyQueue, c: number, request: number, isl: number, cached = 0, seconds = 0): void {
  const policy = q.classes[c].queuePolicy;
  q.push(c, { request, strict: 0, score: policyScore(policy, 0, seconds * 1000, isl - cached), isl, cached });
}
const drain = (q: PolicyQueue, n: number, ok: (c: number) => boolean = () => true) =>
  Array.from({ length: n }, () => q.pop(ok));

Deno.test("policy queue: equal-cost backlogs leave in the exact ratio of their quanta", () => {
  const q = new PolicyQueue([cls("one", 1), cls("three", 3)]);
  for (let i = 0; i < 20; i++) push(q, 0, 0, 1);
  for (let i = 0; i < 60; i++) push(q, 1, 1, 1);
  const order = drain(q, 80);
  for (let i = 0; i < 80; i += 4) assert.deepEqual(order.slice(i, i + 4), [0, 1, 1, 1]);
  assert.equal(q.pop(() => true), -1);
});

Deno.test("policy queue: weights show in the order; a blocked class gains no credit and blocks no other", () => {
  const q = new PolicyQueue([cls("slow", 1), cls("fast", 3)]);
  for (let i = 0; i < 6; i++) {
    push(q, 0, 0, 1, 0, i);
    push(q, 1, 1, 1, 0, i);
  }
  assert.deepEqual(drain(q, 6), [0, 1, 1, 1, 0, 1]);
  assert.equal(q.pop((c) => c === 0), 0);
  // fast kept its unspent credit (2 tokens): with both open again it spends that first
  assert.deepEqual(drain(q, 3), [1, 1, 0]);
});

Deno.test("policy queue: a fully blocked ring returns nothing; an oversized head still makes progress", () => {
  const blocked = new PolicyQueue([cls("first", 7), cls("second", 11)]);
  push(blocked, 0, 0, 100);
  push(blocked, 1, 1, 100);
  for (let i = 0; i < 10_000; i++) assert.equal(blocked.pop(() => false), -1);
  // No credit piled up while blocked: opened, the class whose quantum covers its head in fewer rounds goes first
  // (the second's 11-token quantum covers its 100 tokens in 10 rounds, the first's 7 in 15).
  assert.deepEqual(drain(blocked, 2), [1, 0]);
  const q = new PolicyQueue([cls("large", 4), cls("blocked", 100)]);
  push(q, 0, 0, 101);
  push(q, 1, 1, 1);
  assert.equal(q.pop((c) => c === 0), 0);
  assert.equal(q.size, 1);
});

Deno.test("policy queue: fcfs and wspt order only within their own class", () => {
  const q = new PolicyQueue([cls("fcfs", 50), cls("wspt", 50, { queuePolicy: "wspt" })]);
  push(q, 0, 10, 50, 0, 0); // fcfs-long
  push(q, 0, 11, 1, 0, 1); // fcfs-short
  push(q, 1, 20, 50, 0, 0); // wspt-long
  push(q, 1, 21, 1, 0, 1); // wspt-short
  assert.deepEqual(drain(q, 4), [10, 21, 11, 20]);
});

Deno.test("policy queue: strict tiers first, then score, then arrival", () => {
  const q = new PolicyQueue([cls("default", 1)]);
  q.push(0, { request: 2, strict: 0, score: policyScore("fcfs", 1e6, 0, 1), isl: 1, cached: 0 });
  q.push(0, { request: 3, strict: 1, score: policyScore("fcfs", 0, 1000, 64), isl: 64, cached: 0 });
  q.push(0, { request: 4, strict: 1, score: policyScore("fcfs", 0, 1000, 64), isl: 64, cached: 0 });
  assert.deepEqual(drain(q, 3), [3, 4, 2]);
  assert.equal(policyScore("fcfs", 50, 5000, 1) > policyScore("fcfs", 0, 0, 1), true); // 50 s of credit
  assert.equal(policyScore("lcfs", -5, 2000, 1), 2); // a negative priority counts as 0
  assert.equal(policyScore("wspt", 1, 0, 0), 2);
});

Deno.test("policy queue: per-worker limits scale with the workers and are checked before adding", () => {
  const q = new PolicyQueue([cls("capped", 10, { limits: [1, 5, 3] })]);
  assert.equal(q.refusal(0, 2), undefined);
  push(q, 0, 0, 8, 4);
  assert.equal(q.refusal(0, 2), undefined); // 1 < 2, 8 < 10, 4 < 6: the request that crosses a cap goes in
  push(q, 0, 1, 100, 100);
  assert.equal(
    q.refusal(0, 2),
    'router policy class "capped" queue requests limit reached (current=2, limit=2)',
  );
  const tokens = new PolicyQueue([
    cls("raw", 1, { limits: [null, 10, null] }),
    cls("cached", 1, { limits: [null, null, 5] }),
    cls("zero", 1, { limits: [0, null, null] }),
  ]);
  push(tokens, 0, 0, 11);
  assert.equal(tokens.refusal(0, 2), undefined);
  assert.equal(
    tokens.refusal(0, 1),
    'router policy class "raw" queue raw_isl_tokens limit reached (current=11, limit=10)',
  );
  push(tokens, 1, 1, 8, 6);
  assert.match(tokens.refusal(1, 1)!, /cached_tokens limit reached \(current=6, limit=5\)/);
  assert.match(tokens.refusal(2, 4)!, /"zero" queue requests limit reached \(current=0, limit=0\)/);
  assert.match(tokens.refusal(2, 0)!, /limit=0/); // no workers: every limit is 0
  assert.equal(tokens.pop((c) => c === 0), 0);
  assert.equal(tokens.refusal(0, 1), undefined); // leaving the queue gives the room back
});
