import assert from "node:assert/strict";
import { KvPool } from "../../lib/engine/mod.ts";

Deno.test("kv pool: active, inactive and free accounting", () => {
  const pool = new KvPool(4, true);
  const a = pool.allocate(1), b = pool.allocate(2), p = pool.allocate(-1);
  assert.equal(pool.activeBlocks, 3);
  assert.equal(pool.cachedBlocks, 2);
  pool.release(p);
  assert.equal(pool.activeBlocks, 2);
  assert.equal(pool.inactiveBlocks, 0); // private blocks are freed, not cached
  pool.release(b);
  pool.release(a);
  assert.equal(pool.inactiveBlocks, 2);
  assert.equal(pool.available, 4);
  assert.equal(pool.cachedSlot(1), a);
});

Deno.test("kv pool: eviction takes the least recently released block (leaf first with tail-first release)", () => {
  const pool = new KvPool(3, true);
  const parent = pool.allocate(1), child = pool.allocate(2);
  pool.release(child); // a request releases tail first
  pool.release(parent);
  pool.allocate(-1);
  pool.allocate(-1); // evicts the child (leaf) before the parent
  assert.equal(pool.cachedSlot(2), -1);
  assert.equal(pool.cachedSlot(1), parent);
  assert.equal(pool.evictions, 1);
});

Deno.test("kv pool: a revived inactive block leaves the LRU list", () => {
  const pool = new KvPool(2, true);
  const a = pool.allocate(1);
  pool.release(a);
  pool.acquire(1);
  pool.allocate(-1);
  assert.equal(pool.allocate(-1), -1); // nothing evictable: block 1 is active again
});

Deno.test("kv pool: promote registers a full block, or folds into an identical cached one", () => {
  const pool = new KvPool(4, true);
  const p1 = pool.promote(pool.allocate(-1), 5); // a slot is named by the block it caches
  assert.equal(pool.cachedSlot(5), p1);
  assert(!pool.isPrivate(p1));
  const p2 = pool.allocate(-1);
  assert(pool.isPrivate(p2));
  const folded = pool.promote(p2, 5);
  assert.equal(folded, p1);
  assert.equal(pool.activeBlocks, 1);
  pool.release(folded);
  pool.release(p1);
  assert.equal(pool.activeBlocks, 0);
  assert.throws(() => pool.release(p1), /released more often/);
});

Deno.test("kv pool: with prefix caching off nothing is cached", () => {
  const pool = new KvPool(2, false);
  const a = pool.allocate(3);
  pool.release(a);
  assert.equal(pool.cachedSlot(3), -1);
  assert.equal(pool.inactiveBlocks, 0);
  assert.equal(pool.matchPrefix(Int32Array.of(3), 0, 1, new Int32Array(1)), 0);
});
