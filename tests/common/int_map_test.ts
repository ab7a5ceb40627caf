import assert from "node:assert/strict";
import { IntMap } from "../../lib/common/int_map.ts";
import { Rng } from "../../lib/common/rng.ts";

Deno.test("IntMap agrees with Map under random sets, adds and deletes (with growth and backward shifts)", () => {
  const rng = new Rng(5);
  const m = new IntMap(2), ref = new Map<number, number>();
  for (let step = 0; step < 50_000; step++) {
    const key = rng.int(step % 3 === 0 ? 64 : 5000) * (rng.next() < 0.5 ? 1 : 65537);
    const op = rng.int(3);
    if (op === 0) {
      m.set(key, step);
      ref.set(key, step);
    } else if (op === 1) {
      m.delete(key);
      ref.delete(key);
    } else {
      const next = m.add(key, 1);
      const want = (ref.get(key) ?? 0) + 1;
      ref.set(key, want);
      assert.equal(next, want);
    }
    if (step % 97 === 0) {
      assert.equal(m.size, ref.size);
      for (const [k, v] of ref) assert.equal(m.get(k), v);
    }
  }
});
