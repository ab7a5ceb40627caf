/**
 * The `.npz` reader (lib/perf/npz.ts) and profile mode reading the reference mocker's `perf_data.npz`, on
 * archives built by `_npz.ts`.
 */
import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { parseEngineArgs } from "../../lib/engine/mod.ts";
import { parseNpy, readNpz, toNested } from "../../lib/perf/npz.ts";
import { type Member, npy, npyUnicode, zip } from "./_npz.ts";

const enc = new TextEncoder();
import { loadPerfInputs } from "../../lib/perf/mod.ts";
import { reportJson, simulate } from "../../mod.ts";
import { tempDir } from "../_temp.ts";

const PROFILE = {
  prefill_isl: [128, 1024, 8192],
  prefill_ttft_ms: [12.5, 61.25, 400.125],
  decode_active_kv_tokens: [0, 100000, 1000000],
  decode_context_length: [128, 8192],
  decode_itl: [[4.5, 5.25], [9.75, 12], [20, 30.5]],
};

/** The profile as numpy's `np.savez` (or `np.savez_compressed`) writes it, with an AFD metadata string. */
function profileMembers(deflate: boolean, fortranItl = false): Member[] {
  const rows = PROFILE.decode_itl.length;
  const cols = PROFILE.decode_itl[0].length;
  const itl = fortranItl
    ? Array.from({ length: rows * cols }, (_, k) => PROFILE.decode_itl[k % rows][Math.floor(k / rows)])
    : PROFILE.decode_itl.flat();
  const f8 = (values: number[]) => npy("<f8", [values.length], values);
  return [
    { name: "prefill_isl.npy", data: f8(PROFILE.prefill_isl) },
    { name: "prefill_ttft_ms.npy", data: f8(PROFILE.prefill_ttft_ms) },
    { name: "decode_active_kv_tokens.npy", data: f8(PROFILE.decode_active_kv_tokens) },
    { name: "decode_context_length.npy", data: f8(PROFILE.decode_context_length) },
    { name: "decode_itl.npy", data: npy("<f8", [rows, cols], itl, { fortran: fortranItl }) },
    { name: "afd_metadata_json.npy", data: npyUnicode('{"attention_dp": 1}') },
  ].map((m) => ({ ...m, deflate, zip64Local: true }));
}

Deno.test("stored members: 1-D and 2-D float64 (C and Fortran order) and integer arrays decode exactly", async () => {
  const bytes = await zip([
    { name: "x.npy", data: npy("<f8", [3], [0.1, -2.5, 1e300]) },
    { name: "c.npy", data: npy("<f8", [2, 3], [1, 2, 3, 4, 5, 6]) },
    { name: "f.npy", data: npy("<f8", [2, 3], [1, 4, 2, 5, 3, 6], { fortran: true }) },
    { name: "cube.npy", data: npy("<f8", [2, 2, 2], [0, 4, 2, 6, 1, 5, 3, 7], { fortran: true }) },
    { name: "i8.npy", data: npy("<i8", [2], [-3, 2 ** 40]) },
    { name: "i4.npy", data: npy("<i4", [2, 2], [1, -2, 3, -4]) },
    { name: "i2.npy", data: npy("<i2", [1], [-7]) },
    { name: "i1.npy", data: npy("|i1", [1], [-128]) },
    { name: "u8.npy", data: npy("<u8", [1], [2 ** 53]) },
    { name: "u4.npy", data: npy("<u4", [1], [2 ** 32 - 1]) },
    { name: "u2.npy", data: npy("<u2", [1], [65535]) },
    { name: "u1.npy", data: npy("|u1", [2], [0, 255]) },
    { name: "f4.npy", data: npy("<f4", [2], [1.5, -0.25]) },
    { name: "be.npy", data: npy(">f8", [2], [1.25, -3]) },
    { name: "v2.npy", data: npy("<f8", [1], [42], { version: 2 }) },
  ]);
  const arrays = await readNpz(bytes);
  const got = Object.fromEntries([...arrays].map(([k, a]) => [k, toNested(a)]));
  assert.deepEqual(got, {
    x: [0.1, -2.5, 1e300],
    c: [[1, 2, 3], [4, 5, 6]],
    f: [[1, 2, 3], [4, 5, 6]],
    cube: [[[0, 1], [2, 3]], [[4, 5], [6, 7]]],
    i8: [-3, 2 ** 40],
    i4: [[1, -2], [3, -4]],
    i2: [-7],
    i1: [-128],
    u8: [2 ** 53],
    u4: [2 ** 32 - 1],
    u2: [65535],
    u1: [0, 255],
    f4: [1.5, -0.25],
    be: [1.25, -3],
    v2: [42],
  });
  assert.deepEqual(arrays.get("f")?.shape, [2, 3]);
  assert.equal(arrays.get("f")?.dtype, "<f8");
  assert.deepEqual([...arrays.get("f")!.data], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(
    parseNpy(npy("<f8", [2, 2], [1, 3, 2, 4], { fortran: true })).data,
    Float64Array.of(1, 2, 3, 4),
  );
});

Deno.test("deflated and ZIP64 members (as np.savez_compressed and force_zip64 write them) decode alike", async () => {
  const data = npy("<f8", [2, 2], [1.5, 2.5, 3.5, 4.5]);
  for (
    const m of [
      { deflate: true },
      { zip64Local: true },
      { deflate: true, zip64Local: true },
      { zip64Local: true, zip64Central: true },
      { deflate: true, zip64Local: true, zip64Central: true },
    ]
  ) {
    // A member before it, so the ZIP64 local header offset is not 0.
    const bytes = await zip([{ name: "pad.npy", data: npy("<i4", [1], [7]), ...m }, {
      name: "a.npy",
      data,
      ...m,
    }]);
    const arrays = await readNpz(bytes);
    assert.deepEqual(toNested(arrays.get("a")!), [[1.5, 2.5], [3.5, 4.5]], JSON.stringify(m));
    assert.deepEqual(toNested(arrays.get("pad")!), [7], JSON.stringify(m));
  }
  // The deflated member really is deflated: the archive is smaller than the stored one.
  const zeros = npy("<f8", [1000], new Array(1000).fill(0));
  const stored = await zip([{ name: "z.npy", data: zeros }]);
  const deflated = await zip([{ name: "z.npy", data: zeros, deflate: true }]);
  assert.ok(deflated.length < stored.length / 10);
  assert.deepEqual((await readNpz(deflated)).get("z")?.data, new Float64Array(1000));
});

Deno.test("non-numeric arrays and non-.npy members are skipped unless asked for", async () => {
  const bytes = await zip([
    { name: "afd_metadata_json.npy", data: npyUnicode('{"a": 1}'), zip64Local: true },
    { name: "notes.txt", data: enc.encode("hello") },
    { name: "x.npy", data: npy("<f8", [1], [3]), deflate: true },
  ]);
  assert.deepEqual([...(await readNpz(bytes)).keys()], ["x"]);
  assert.deepEqual([...(await readNpz(bytes, { names: ["x", "y"] })).keys()], ["x"]);
  await assert.rejects(
    readNpz(bytes, { names: ["afd_metadata_json"], at: { file: "p.npz" } }),
    (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(
        e.message,
        "p.npz: afd_metadata_json: unsupported dtype '<U8'; numeric arrays (float, int, uint, bool) are read",
      );
      return true;
    },
  );
});

Deno.test("damaged archives are InputErrors that name the file and what is wrong", async () => {
  const good = await zip([{ name: "x.npy", data: npy("<f8", [2], [1, 2]) }]);
  const fails = async (bytes: Uint8Array, re: RegExp, names?: string[]) =>
    await assert.rejects(readNpz(bytes, { at: { file: "p.npz" }, names }), (e: unknown) => {
      assert.ok(e instanceof InputError, String(e));
      assert.match(e.message, re);
      return true;
    });
  await fails(
    enc.encode('{"prefill_isl": [1, 2]}'),
    /^p\.npz: not a readable \.npz \(ZIP\) archive: no end-of/,
  );
  await fails(
    good.subarray(0, good.length - 30),
    /^p\.npz: not a readable \.npz \(ZIP\) archive: a ZIP start/,
  );
  const flipped = good.slice();
  flipped[flipped.length - 22 - 51 - 1] ^= 0xff; // the last data byte, before the central directory and end
  await fails(flipped, /^p\.npz: x: damaged \.npz member x\.npy: CRC-32 mismatch$/);
  const badDeflate = await zip([{ name: "x.npy", data: npy("<f8", [2], [1, 2]), deflate: true }]);
  badDeflate[30 + 5] ^= 0xff; // inside the deflate stream (header 30 bytes, name "x.npy")
  await fails(
    badDeflate,
    /^p\.npz: x: damaged \.npz member x\.npy: (cannot inflate|CRC-32 mismatch|\d+ bytes)/,
  );
  const notNpy = await zip([{ name: "x.npy", data: enc.encode("not an array") }]);
  await fails(notNpy, /^p\.npz: x: not a readable \.npy array: no \\x93NUMPY magic$/);
  const short = await zip([{ name: "x.npy", data: npy("<f8", [2], [1, 2]).subarray(0, 130) }]);
  await fails(
    short,
    /^p\.npz: x: not a readable \.npy array: 2 data bytes for shape \(2\) of '<f8' \(needs 16\)$/,
  );
});

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

Deno.test("profile mode reads an .npz as the same profile as its JSON, and reports the same", async () => {
  await using dir = await tempDir();
  const json = `${dir.path}/profile.json`;
  await Deno.writeTextFile(json, JSON.stringify(PROFILE));
  const stored = `${dir.path}/perf_data.npz`;
  await Deno.writeFile(stored, await zip(profileMembers(false)));
  const compressed = `${dir.path}/perf_data_compressed.NPZ`;
  await Deno.writeFile(compressed, await zip(profileMembers(true, true)));
  const profileOf = async (path: string) =>
    (await loadPerfInputs(parseEngineArgs({ planner_profile_data: path }))).profile;
  const expected = await profileOf(json);
  assert.deepEqual(expected?.decodeItl, PROFILE.decode_itl);
  assert.deepEqual(await profileOf(stored), expected);
  assert.deepEqual(await profileOf(compressed), expected);

  const run = async (path: string) =>
    reportJson(
      await simulate({
        workload: { source: "synthetic", input_tokens: 2000, output_tokens: 50, request_count: 12 },
        replay_concurrency: 6,
        topology: { mode: "agg", num_workers: 1, engine: { planner_profile_data: path } },
      }),
    );
  const fromJson = await run(json);
  assert.equal(JSON.parse(fromJson).completed_requests, 12);
  assert.equal(await run(stored), fromJson);
  assert.equal(await run(compressed), fromJson);
  // A different profile gives a different report: the comparison can fail.
  assert.notEqual(await run(`${FIXTURES}profile.json`), fromJson);
});

Deno.test("a bad .npz profile: the file, the field, and parseProfile's own messages", async () => {
  await using dir = await tempDir();
  const at = (name: string) => `${dir.path}/${name}`;
  const load = (path: string) => loadPerfInputs(parseEngineArgs({ planner_profile_data: path }));
  const rejects = async (path: string, check: (e: InputError) => void) =>
    await assert.rejects(load(path), (e: unknown) => {
      assert.ok(e instanceof InputError, String(e));
      check(e);
      return true;
    });

  // Not a ZIP file at all.
  await Deno.writeTextFile(at("corrupt.npz"), JSON.stringify(PROFILE));
  await rejects(at("corrupt.npz"), (e) => {
    assert.equal(e.location.file, at("corrupt.npz"));
    assert.equal(e.location.field, "engine args.planner_profile_data");
    assert.match(e.detail, /^not a readable \.npz \(ZIP\) archive/);
  });

  // A missing array: the message parseProfile gives for the JSON without it.
  const { decode_itl: _, ...withoutItl } = PROFILE;
  await Deno.writeTextFile(at("no_itl.json"), JSON.stringify(withoutItl));
  await Deno.writeFile(
    at("no_itl.npz"),
    await zip(profileMembers(true).filter((m) => m.name !== "decode_itl.npy")),
  );
  let fromJson: InputError | undefined;
  await rejects(at("no_itl.json"), (e) => fromJson = e);
  await rejects(at("no_itl.npz"), (e) => {
    assert.equal(
      e.message,
      `${at("no_itl.npz")}: decode_itl: is missing; a profile needs prefill_isl, prefill_ttft_ms, ` +
        "decode_active_kv_tokens, decode_context_length, decode_itl",
    );
    assert.equal(e.detail, fromJson?.detail);
    assert.equal(e.location.field, fromJson?.location.field);
  });

  // A decode_itl of the wrong shape, and a non-numeric one.
  const members = profileMembers(false);
  const swap = (data: Uint8Array) => members.map((m) => m.name === "decode_itl.npy" ? { ...m, data } : m);
  await Deno.writeFile(at("flat_itl.npz"), await zip(swap(npy("<f8", [6], [1, 2, 3, 4, 5, 6]))));
  await rejects(at("flat_itl.npz"), (e) => {
    assert.equal(
      e.message,
      `${at("flat_itl.npz")}: decode_itl: must have 3 rows (one per decode_active_kv_tokens)`,
    );
  });
  await Deno.writeFile(at("text_itl.npz"), await zip(swap(npyUnicode("fast"))));
  await rejects(at("text_itl.npz"), (e) => {
    assert.equal(e.location.file, at("text_itl.npz"));
    assert.equal(e.location.field, "decode_itl");
    assert.match(e.detail, /^unsupported dtype '<U4'/);
  });

  // A missing file, and a profiler results directory.
  await rejects(
    at("missing.npz"),
    (e) => assert.match(e.message, /planner_profile_data: cannot read .*missing\.npz/),
  );
  await rejects(dir.path, (e) => {
    assert.equal(e.location.field, "engine args.planner_profile_data");
    assert.match(e.detail, /is a directory but not a profiler's results .*perf_data\.npz/);
  });
});
