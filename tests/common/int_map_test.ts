import assert from "node:assert/strict";
import { IntMap } from "../../lib/common/int_map.ts";
import { Rng } from "../../lib/common/rng.ts";

/** Random sets, adds and deletes on `m`, checked against a `Map`; `key` draws each step's key. */
function agreesWithMap(m: IntMap, steps: number, key: (rng: Rng, step: number) => number): void {
  const rng = new Rng(5), ref = new Map<number, number>();
  for (let step = 0; step < steps; step++) {
    const k = key(rng, step);
    const op = rng.int(3);
    if (op === 0) {
      m.set(k, step);
      ref.set(k, step);
    } else if (op === 1) {
      m.delete(k);
      ref.delete(k);
    } else {
      const next = m.add(k, 1);
      const want = (ref.get(k) ?? 0) + 1;
      ref.set(k, want);
      assert.equal(next, want);
    }
    if (step % 97 === 0) {
      assert.equal(m.size, ref.size);
      for (const [k, v] of ref) assert.equal(m.get(k), v);
    }
  }
  assert.equal(m.size, ref.size);
  for (const [k, v] of ref) assert.equal(m.get(k), v);
}

Deno.test("IntMap agrees with Map on scattered keys (chunks one entry each, table growth and backward shifts)", () => {
  agreesWithMap(
    new IntMap(2),
    50_000,
    (rng, step) => rng.int(step % 3 === 0 ? 64 : 5000) * (rng.next() < 0.5 ? 1 : 65537),
  );
});

Deno.test("IntMap agrees with Map on interleaved walks over runs of consecutive keys (chunks emptied and reused)", () => {
  // Three walks, each over a run of consecutive keys starting at a random, unaligned key, as prompt blocks are.
  const at = [0, 0, 0], end = [0, 0, 0];
  agreesWithMap(new IntMap(16), 60_000, (rng) => {
    const w = rng.int(3);
    if (at[w] === end[w]) {
      at[w] = rng.int(1 << 20) * 7 + rng.int(40);
      end[w] = at[w] + 1 + rng.int(200);
    }
    return at[w]++;
  });
});

Deno.test("IntMap reuses emptied chunks with no stale entries", () => {
  const m = new IntMap(32);
  for (let round = 0; round < 1000; round++) {
    const base = round * 4096 + 3;
    for (let k = base; k < base + 32; k++) m.set(k, k);
    for (let k = base; k < base + 32; k++) assert.equal(m.get(k), k);
    for (let k = base - 4096; k < base - 4096 + 64; k++) assert.equal(m.get(k), -1); // last round's, and beyond
    for (let k = base; k < base + 32; k++) m.delete(k);
    assert.equal(m.get(base), -1);
    assert.equal(m.size, 0);
  }
});
