import assert from "node:assert/strict";
import { RunCounts } from "../../lib/common/run_counts.ts";
import { Rng } from "../../lib/common/rng.ts";

Deno.test("run counts: random runs match per-key counts (crossings, counts, leading keys)", () => {
  const rng = new Rng(7), counts = new RunCounts(), ref = new Map<number, number>();
  const held: [number, number][] = [];
  for (let step = 0; step < 4000; step++) {
    if (held.length > 0 && rng.next() < 0.45) {
      const [start, len] = held.splice(rng.int(held.length), 1)[0];
      let crossed = 0;
      for (let k = start; k < start + len; k++) {
        const v = ref.get(k)! - 1;
        if (v === 0) {
          ref.delete(k);
          crossed++;
        } else ref.set(k, v);
      }
      assert.equal(counts.add(start, len, -1), crossed);
    } else {
      const start = rng.int(300), len = 1 + rng.int(40);
      held.push([start, len]);
      let crossed = 0;
      for (let k = start; k < start + len; k++) {
        const v = (ref.get(k) ?? 0) + 1;
        if (v === 1) crossed++;
        ref.set(k, v);
      }
      assert.equal(counts.add(start, len, 1), crossed);
    }
    const probe = rng.int(350);
    assert.equal(counts.get(probe), ref.get(probe) ?? 0);
    const keys = Int32Array.from({ length: 12 }, (_, i) => (i < 6 ? probe + i : rng.int(350)));
    let lead = 0;
    while (lead < keys.length && ref.has(keys[lead])) lead++;
    assert.equal(counts.leading(keys, 0, keys.length), lead);
  }
  for (const [start, len] of held) counts.add(start, len, -1);
  assert.equal(counts.runs, 0);
});
