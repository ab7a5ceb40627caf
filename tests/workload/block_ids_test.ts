import assert from "node:assert/strict";
import { Rng } from "../../lib/common/rng.ts";
import { BlockInterner } from "../../lib/workload/block_ids.ts";
import { WorkloadBuilder } from "../../lib/workload/builder.ts";
import { throwsAt } from "./_helpers.ts";

interface Prompt {
  ids: number[];
  input: number;
  namespace: number;
}

/** Prompts that mostly extend or branch off the previous one, from a small id alphabet (so prefixes recur). */
function prompts(rng: Rng, count: number, size: number): Prompt[] {
  const out: Prompt[] = [];
  let prev: number[] = [];
  for (let i = 0; i < count; i++) {
    const keep = rng.next() < 0.7 ? prev.length : rng.int(prev.length + 1);
    const ids = prev.slice(0, keep);
    const grow = 1 + rng.int(6);
    for (let k = 0; k < grow; k++) ids.push(rng.int(3));
    const input = (ids.length - 1) * size + 1 + rng.int(size);
    out.push({ ids, input, namespace: rng.int(2) });
    prev = ids;
  }
  return out;
}

for (const [size, blockSize] of [[64, 64], [128, 64], [512, 64], [48, 16], [64, 100], [64, 48]]) {
  Deno.test(`block ids: equal id ⇔ equal token prefix (token blocks ${size}, engine blocks ${blockSize})`, () => {
    const rng = new Rng(size * 1000 + blockSize);
    const list = prompts(rng, 300, size);
    const interner = new BlockInterner();
    const byKey = new Map<string, number>();
    const byId = new Map<number, string>();
    for (const p of list) {
      const full = Math.floor(p.input / blockSize);
      const out = new Int32Array(full);
      assert.equal(
        interner.internPrompt({ ids: p.ids, size }, p.input, blockSize, p.namespace, out, 0),
        full,
      );
      for (let j = 0; j < full; j++) {
        const end = (j + 1) * blockSize;
        const key = `${p.namespace}|${end}|${p.ids.slice(0, Math.ceil(end / size)).join(",")}`;
        const id = out[j];
        assert.ok(id >= 0 && id < interner.size);
        if (byKey.has(key)) assert.equal(id, byKey.get(key), `block ${j} of ${key}`);
        else byKey.set(key, id);
        if (byId.has(id)) assert.equal(byId.get(id), key, `id ${id} names two prefixes`);
        else byId.set(id, key);
      }
    }
    assert.ok(byKey.size > 100);
  });
}

/**
 * The interner's numbering, modelled without hashing: nodes are token blocks (when `size` is a multiple of the
 * engine block size, each reserving `size / blockSize` ids) or engine blocks, numbered in order of first use.
 */
class Model {
  #nodes = new Map<string, number>();
  #next = 0;
  intern(p: Prompt, size: number, blockSize: number): number[] {
    const full = Math.floor(p.input / blockSize), out: number[] = [];
    const per = size % blockSize === 0 ? size / blockSize : 0;
    for (let j = 0; j < full; j++) {
      const node = per ? Math.floor(j / per) : j;
      const end = per ? (node + 1) * size : (j + 1) * blockSize;
      const key = `${p.namespace}|${end}|${p.ids.slice(0, Math.ceil(end / size)).join(",")}`;
      let base = this.#nodes.get(key);
      if (base === undefined) {
        base = this.#next;
        this.#next += per || 1;
        this.#nodes.set(key, base);
      }
      out.push(per ? base + (j % per) : base);
    }
    return out;
  }
}

for (const [size, blockSize] of [[64, 64], [512, 64], [64, 100], [64, 48]]) {
  Deno.test(`block ids: the prefix memo changes no id (token blocks ${size}, engine blocks ${blockSize})`, () => {
    const interner = new BlockInterner(), model = new Model();
    for (const p of prompts(new Rng(5 + size), 400, size)) {
      const out = new Int32Array(Math.floor(p.input / blockSize));
      interner.internPrompt({ ids: p.ids, size }, p.input, blockSize, p.namespace, out, 0);
      assert.deepEqual(Array.from(out), model.intern(p, size, blockSize));
    }
  });
}

Deno.test("block ids: forget keeps ids taken; unique blocks are fresh", () => {
  const interner = new BlockInterner();
  const a = new Int32Array(2), b = new Int32Array(2), c = new Int32Array(3);
  interner.internPrompt({ ids: [1, 2], size: 64 }, 128, 64, 1, a, 0);
  interner.forget();
  interner.internPrompt({ ids: [1, 2], size: 64 }, 128, 64, 2, b, 0);
  assert.deepEqual([...a, ...b], [0, 1, 2, 3]);
  interner.uniqueBlocks(3, c, 0);
  assert.deepEqual(Array.from(c), [4, 5, 6]);
  assert.equal(interner.size, 7);
});

Deno.test("builder: unique prompts and forgetBlocks", () => {
  const b = new WorkloadBuilder({ name: "t", blockSize: 16 });
  b.add({ inputLength: 40, outputLength: 1, arrivalMs: 0, tokenBlocks: "unique" });
  b.add({ inputLength: 40, outputLength: 1, arrivalMs: 0, tokenBlocks: "unique" });
  b.add({
    inputLength: 32,
    outputLength: 1,
    arrivalMs: 0,
    tokenBlocks: { ids: [3], size: 32 },
    namespace: 1,
  });
  b.forgetBlocks();
  b.add({
    inputLength: 32,
    outputLength: 1,
    arrivalMs: 0,
    tokenBlocks: { ids: [3], size: 32 },
    namespace: 2,
  });
  const w = b.build();
  assert.deepEqual(Array.from(w.blocks), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(Array.from(w.blockOffset), [0, 2, 4, 6, 8]);
  assert.equal(w.distinctBlocks, 8);
});

Deno.test("builder: prompts spanning many block chunks keep their ids and offsets", () => {
  const b = new WorkloadBuilder({ name: "t", blockSize: 1 });
  const sizes = [70_000, 3, 1 << 17, 5, 40_000, 300_000];
  for (const n of sizes) b.add({ inputLength: n, outputLength: 1, arrivalMs: 0, tokenBlocks: "unique" });
  // a shared prompt after the chunks: its blocks repeat the ids of an earlier identical prompt
  b.add({ inputLength: 4, outputLength: 1, arrivalMs: 0, tokenBlocks: { ids: [9, 8, 7, 6], size: 1 } });
  b.add({ inputLength: 4, outputLength: 1, arrivalMs: 0, tokenBlocks: { ids: [9, 8, 7, 6], size: 1 } });
  const w = b.build();
  const total = sizes.reduce((a, n) => a + n, 0);
  assert.equal(w.blocks.length, total + 8);
  assert.ok(w.blocks.subarray(0, total).every((id, i) => id === i));
  assert.deepEqual(Array.from(w.blocks.subarray(total)), [
    total,
    total + 1,
    total + 2,
    total + 3,
    total,
    total + 1,
    total + 2,
    total + 3,
  ]);
  let at = 0;
  for (let r = 0; r < sizes.length; r++) {
    assert.equal(w.blockOffset[r], at);
    at += sizes[r];
  }
});

Deno.test("builder: a row whose prompt would take the workload past 2^28 blocks is an error at that row", () => {
  const b = new WorkloadBuilder({ name: "t", blockSize: 1 });
  b.add({ arrivalMs: 0, inputLength: 1000, outputLength: 1, tokenBlocks: "unique" });
  throwsAt(
    () =>
      b.add({
        arrivalMs: 0,
        inputLength: 2 ** 31 - 1,
        outputLength: 1,
        tokenBlocks: "unique",
        at: { file: "t.jsonl", line: 2 },
      }),
    { includes: ["t.jsonl:2: the workload outgrows what a simulation holds", "at its request 2"] },
  );
  assert.equal(b.count, 1);
});
