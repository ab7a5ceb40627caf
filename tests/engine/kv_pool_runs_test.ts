import assert from "node:assert/strict";
import { KvPool } from "../../lib/engine/mod.ts";
import { Rng } from "../../lib/common/rng.ts";

/** Replays one random sequence of requests on a pool, by runs or one block at a time; returns its trace. */
function replay(byRuns: boolean): string {
  const rng = new Rng(11), pool = new KvPool(300, true), out: number[] = [];
  const running: number[][] = [];
  for (let step = 0; step < 3000; step++) {
    if (running.length > 0 && (rng.next() < 0.4 || pool.available < 40)) {
      const slots = running.splice(rng.int(running.length), 1)[0];
      for (let k = slots.length - 1; k >= 0;) {
        let j = k;
        if (byRuns && !pool.isPrivate(slots[k])) { while (j > 0 && slots[j - 1] === slots[j] - 1) j--; }
        if (j === k) pool.release(slots[k]);
        else pool.releaseRun(slots[j], k - j + 1);
        k = j - 1;
      }
    } else {
      // A prompt: a shared prefix of one of a few chains, then fresh ids, then a private block.
      const base = 1000 * rng.int(5), len = 1 + rng.int(30), fresh = 100_000 + 50 * step;
      const ids = Array.from({ length: len }, (_, i) => (i < len / 2 ? base + i : fresh + i));
      const slots: number[] = [];
      for (let k = 0; k < ids.length;) {
        const id = ids[k];
        if (pool.cachedSlot(id) >= 0) {
          slots.push(pool.acquire(id));
          k++;
        } else if (byRuns) {
          let n = 1;
          while (k + n < ids.length && ids[k + n] === id + n) n++;
          n = pool.uncachedRun(id, n);
          const got = pool.allocateRun(id, n);
          for (let t = 0; t < got; t++) slots.push(id + t);
          k += n;
          if (got < n) break;
        } else {
          const slot = pool.allocate(id);
          if (slot < 0) break;
          slots.push(slot);
          k++;
        }
      }
      const p = pool.allocate(-1);
      if (p >= 0) slots.push(p);
      running.push(slots);
    }
    out.push(pool.activeBlocks, pool.inactiveBlocks, pool.cachedBlocks, pool.evictions);
  }
  for (let id = 0; id < 200_000; id++) if (pool.cachedSlot(id) >= 0) out.push(id);
  return out.join();
}

Deno.test("kv pool: runs of blocks allocate, evict and release as one block at a time does", () => {
  assert.equal(replay(true), replay(false));
});
