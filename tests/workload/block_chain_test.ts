import assert from "node:assert/strict";
import { BlockInterner } from "../../lib/workload/block_ids.ts";

function intern(it: BlockInterner, ids: number[], size: number, input: number, bs: number, ns = 0): number[] {
  const out = new Int32Array(Math.floor(input / bs));
  it.internPrompt({ ids, size }, input, bs, ns, out, 0);
  return [...out];
}

Deno.test("block ids: shared leading token blocks give shared engine blocks, exactly that far", () => {
  const it = new BlockInterner();
  const a = intern(it, [5, 6, 7], 512, 1536, 64);
  const b = intern(it, [5, 6, 9], 512, 1400, 64);
  assert.equal(a.length, 24);
  assert.equal(b.length, 21);
  assert.deepEqual(b.slice(0, 16), a.slice(0, 16));
  for (let k = 16; k < 21; k++) assert.ok(!a.includes(b[k]));
});

Deno.test("block ids: a partial trailing token block shares its full engine blocks", () => {
  const it = new BlockInterner();
  const full = intern(it, [1, 2], 512, 1024, 64);
  const partial = intern(it, [1, 2], 512, 700, 64);
  assert.deepEqual(partial, full.slice(0, 10));
});

Deno.test("block ids: engine blocks straddling token blocks (sizes not multiples)", () => {
  const it = new BlockInterner();
  const a = intern(it, [1, 2, 3, 4], 48, 192, 64);
  const b = intern(it, [1, 2, 3, 9], 48, 192, 64);
  // Engine block 0 covers tokens 0–63 (ids 1, 2); block 1 covers 64–127 (2, 3); block 2 covers 128–191 (3, 4/9).
  assert.deepEqual(b.slice(0, 2), a.slice(0, 2));
  assert.notEqual(b[2], a[2]);
});

Deno.test("block ids: namespaces never share; ids stay below the interner's size for mixed granularities", () => {
  const it = new BlockInterner();
  const x = intern(it, [1, 2], 64, 128, 64, 1);
  const y = intern(it, [1, 2], 64, 128, 64, 2);
  assert.ok(x.every((id) => !y.includes(id)));
  const all = [
    ...intern(it, [1, 1001, 2000], 16, 37, 16),
    ...intern(it, [1], 256, 94, 16),
    ...intern(it, [1, 2, 3], 48, 144, 16),
  ];
  for (const id of all) assert.ok(id >= 0 && id < it.size, `id ${id} out of range ${it.size}`);
});

Deno.test("block ids: the table grows past its initial size without losing ids", () => {
  const it = new BlockInterner();
  const first = intern(it, Array.from({ length: 20_000 }, (_, i) => i), 64, 20_000 * 64, 64);
  const again = intern(it, Array.from({ length: 20_000 }, (_, i) => i), 64, 20_000 * 64, 64);
  assert.deepEqual(again, first);
  assert.equal(new Set(first).size, 20_000);
});
