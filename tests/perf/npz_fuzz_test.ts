/**
 * Fuzz of the `.npz` reader and the profiler-results conversion: valid archives with random bytes flipped,
 * truncated or spliced, and random headers. Every outcome is a map of arrays or an {@link InputError}, never
 * another exception, a hang or a non-finite value from a finite input.
 */
import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { Rng } from "../../lib/common/rng.ts";
import { readNpz } from "../../lib/perf/npz.ts";
import { profileFromPoints } from "../../lib/perf/profiler_results.ts";
import { npy, zip } from "./_npz.ts";

const TRIALS = 400;

async function archive(rng: Rng): Promise<Uint8Array> {
  const members = Array.from({ length: 1 + rng.int(3) }, (_, i) => {
    const n = 1 + rng.int(6);
    const twoD = rng.next() < 0.3;
    const shape = twoD ? [n, 2] : [n];
    const values = Array.from({ length: twoD ? 2 * n : n }, () => rng.next() * 1000);
    const descr = ["<f8", "<f4", "<i4", ">f8", "|u1"][rng.int(5)];
    const data = npy(
      descr,
      shape,
      descr.endsWith("1")
        ? values.map(Math.floor).map((v) => v % 256)
        : descr.includes("i")
        ? values.map(Math.floor)
        : values,
      {
        fortran: twoD && rng.next() < 0.5,
        version: rng.next() < 0.5 ? 1 : 2,
      },
    );
    return { name: `a${i}.npy`, data, deflate: rng.next() < 0.5, zip64Local: rng.next() < 0.5 };
  });
  return await zip(members);
}

function mutate(rng: Rng, bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  switch (rng.int(4)) {
    case 0: // flip bytes
      for (let k = 0, n = 1 + rng.int(8); k < n; k++) out[rng.int(out.length)] = rng.int(256);
      return out;
    case 1: // truncate
      return out.slice(0, rng.int(out.length));
    case 2: // splice a random chunk in
      return Uint8Array.from([
        ...out.slice(0, rng.int(out.length)),
        ...Array.from({ length: rng.int(64) }, () => rng.int(256)),
        ...out.slice(rng.int(out.length)),
      ]);
    default: // saturate a 4-byte field
      {
        const at = rng.int(Math.max(1, out.length - 4));
        out.set([0xff, 0xff, 0xff, 0xff], at);
      }
      return out;
  }
}

Deno.test("fuzz: a mutated .npz reads or fails with an InputError naming the file", async () => {
  const rng = new Rng(7);
  let failed = 0;
  for (let t = 0; t < TRIALS; t++) {
    const bytes = t % 5 === 0 ? await archive(rng) : mutate(rng, await archive(rng));
    try {
      const arrays = await readNpz(bytes, { at: { file: "f.npz" } });
      for (const a of arrays.values()) {
        assert.equal(a.data.length, a.shape.reduce((x, y) => x * y, 1), `trial ${t}`);
      }
    } catch (e) {
      if (!(e instanceof InputError)) throw new Error(`trial ${t}: ${(e as Error).stack}`);
      assert.equal(e.location.file, "f.npz", `trial ${t}`);
      failed++;
    }
  }
  assert.ok(failed > TRIALS / 4 && failed < TRIALS, `${failed} of ${TRIALS} refused`);
});

Deno.test("fuzz: random profiler points give a finite grid or an InputError", () => {
  const rng = new Rng(11);
  for (let t = 0; t < TRIALS; t++) {
    const pts = (ndim: 1 | 2) =>
      Array.from({ length: 1 + rng.int(6) }, () => ({
        x: ndim === 1 ? [rng.int(20_000)] : [1 + rng.int(64), rng.int(500_000)],
        y: rng.next() < 0.1 ? 0 : rng.next() * 0.2,
      }));
    try {
      const p = profileFromPoints(pts(1), pts(2));
      for (
        const key of ["prefill_isl", "prefill_ttft_ms", "decode_active_kv_tokens", "decode_context_length"]
      ) {
        assert.ok((p[key] as number[]).every(Number.isFinite), `trial ${t}: ${key}`);
      }
      const itl = p.decode_itl as number[][];
      assert.ok(itl.every((row) => row.every((v) => Number.isFinite(v) && v > 0)), `trial ${t}`);
    } catch (e) {
      if (!(e instanceof InputError)) throw new Error(`trial ${t}: ${(e as Error).stack}`);
    }
  }
});
