/**
 * Profile mode on a planner profiler's results directory (lib/perf/profiler_results.ts): raw sweep points,
 * as `raw_data.npz` or the legacy JSON files, fitted with the planner's regressions and evaluated on a grid.
 */
import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { parseEngineArgs } from "../../lib/engine/mod.ts";
import { loadPerfInputs } from "../../lib/perf/mod.ts";
import { readProfilerResults } from "../../lib/perf/profiler_results.ts";
import { tempDir } from "../_temp.ts";
import { npy, zip } from "./_npz.ts";

// Exact linear data: prefill TTFT 10 ms + 0.01 ms a token; decode ITL 5 ms + 0.1 ms a request + 1e-4 ms a KV
// token, at 1,000, 8,000 and 32,000 KV tokens (1 %, 8 % and 32 % of 100,000) over batches of 1, 8 and 16.
const PREFILL = { prefill_isl: [1000, 2000, 4000], prefill_ttft: [20, 30, 50] };
const DECODE = {
  x_kv_usage: [0.01, 0.08, 0.32],
  y_context_length: [1000, 1000, 2000],
  z_itl: [5 + 0.1 + 0.1, 5 + 0.8 + 0.8, 5 + 1.6 + 3.2],
  max_kv_tokens: [100_000],
};

const f8 = (values: number[]) => npy("<f8", [values.length], values);

async function npzResults(dir: string) {
  await Deno.mkdir(`${dir}/selected_prefill_interpolation`);
  await Deno.mkdir(`${dir}/selected_decode_interpolation`);
  await Deno.writeFile(
    `${dir}/selected_prefill_interpolation/raw_data.npz`,
    await zip(Object.entries(PREFILL).map(([k, v]) => ({ name: `${k}.npy`, data: f8(v), zip64Local: true }))),
  );
  await Deno.writeFile(
    `${dir}/selected_decode_interpolation/raw_data.npz`,
    await zip(Object.entries(DECODE).map(([k, v]) => ({ name: `${k}.npy`, data: f8(v), deflate: true }))),
  );
}

const close = (a: number, b: number) => Math.abs(a - b) < 1e-9 * Math.max(1, Math.abs(b));

Deno.test("profiler results: the raw points are fitted and gridded as the reference's converter does", async () => {
  await using tmp = await tempDir();
  await npzResults(tmp.path);
  const p = await readProfilerResults(tmp.path) as Record<string, number[] & number[][]>;
  assert.equal(p.prefill_isl.length, 100);
  assert.deepEqual([p.prefill_isl[0], p.prefill_isl[99]], [1000, 4000]);
  assert(p.prefill_isl.every((isl, i) => close(p.prefill_ttft_ms[i], 10 + 0.01 * isl)));
  // KV from 0 to the largest point's; context from 1 to the largest point's KV per request (32,000 / 16).
  assert.deepEqual([p.decode_active_kv_tokens[0], p.decode_active_kv_tokens[99]], [0, 32_000]);
  assert.deepEqual([p.decode_context_length[0], p.decode_context_length[99]], [1, 2000]);
  for (const [i, j] of [[0, 0], [50, 20], [99, 99], [99, 0]]) {
    const kv = p.decode_active_kv_tokens[i], ctx = p.decode_context_length[j];
    assert(close(p.decode_itl[i][j], 5 + 0.1 * Math.max(1, kv / ctx) + 1e-4 * kv), `${i}, ${j}`);
  }
  // The legacy JSON files give the same profile.
  await using legacy = await tempDir();
  await Deno.writeTextFile(`${legacy.path}/prefill_raw_data.json`, JSON.stringify(PREFILL));
  await Deno.writeTextFile(
    `${legacy.path}/decode_raw_data.json`,
    JSON.stringify({ ...DECODE, max_kv_tokens: 100_000 }),
  );
  assert.deepEqual(await readProfilerResults(legacy.path), p);
});

Deno.test("profiler results: planner_profile_data takes the directory; anything else is an input error", async () => {
  await using tmp = await tempDir();
  await npzResults(tmp.path);
  const { profile } = await loadPerfInputs(parseEngineArgs({ planner_profile_data: tmp.path }));
  assert.equal(profile!.prefillIsl.length, 100);
  await using empty = await tempDir();
  await assert.rejects(
    () => loadPerfInputs(parseEngineArgs({ planner_profile_data: empty.path })),
    (e) => e instanceof InputError && /is a directory but not a profiler's results/.test(e.message),
  );
  await Deno.writeTextFile(`${empty.path}/prefill_raw_data.json`, JSON.stringify({ prefill_isl: [1, 2] }));
  await Deno.writeTextFile(`${empty.path}/decode_raw_data.json`, JSON.stringify(DECODE));
  await assert.rejects(
    () => loadPerfInputs(parseEngineArgs({ planner_profile_data: empty.path })),
    (e) =>
      e instanceof InputError &&
      /prefill_raw_data\.json: prefill_ttft: must be finite numbers/.test(e.message),
  );
  // Degenerate sweeps are named in the raw file's terms, not the converted grid's.
  const expect = async (prefill: unknown, decode: unknown, message: RegExp) => {
    await Deno.writeTextFile(`${empty.path}/prefill_raw_data.json`, JSON.stringify(prefill));
    await Deno.writeTextFile(`${empty.path}/decode_raw_data.json`, JSON.stringify(decode));
    await assert.rejects(() => readProfilerResults(empty.path), (e) => {
      assert(e instanceof InputError && message.test(e.message), String(e));
      return true;
    });
  };
  await expect(
    { prefill_isl: [1000, 1000], prefill_ttft: [20, 21] },
    DECODE,
    /prefill_raw_data\.json: prefill_isl: needs at least two distinct prompt lengths/,
  );
  await expect(
    PREFILL,
    { ...DECODE, x_kv_usage: [0, 0, 0] },
    /decode_raw_data\.json: x_kv_usage: no point holds any KV/,
  );
});
