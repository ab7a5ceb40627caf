import assert from "node:assert/strict";
import { clampWarnings, loadMooncake } from "../../lib/workload/mooncake.ts";
import { workloadStats } from "../../lib/workload/types.ts";
import { blocksOf, commonPrefix, delaysOf, gzip, jsonl, nextTurns, rejectsAt, withFile } from "./_helpers.ts";
import { tempDir } from "../_temp.ts";

Deno.test("mooncake: rows, sessions, delays and prefix sharing", async () => {
  const text = jsonl([
    { timestamp: 1000, input_length: 1024, output_length: 10, hash_ids: [1, 2] },
    { timestamp: 1500, input_length: 1500, output_length: 5, hash_ids: [1, 2, 3], session_id: "a" },
    { timestamp: 4000, input_length: 2000, output_length: 5, hash_ids: [1, 2, 3, 4], session_id: "a" },
    { timestamp: 4200, input_length: 512, output_length: 7, hash_ids: [9], session_id: "a", delay: 100 },
  ]);
  await withFile("t.jsonl", text, async (path) => {
    const w = await loadMooncake(path, { blockSize: 64, speedup: 2 });
    assert.equal(w.requestCount, 4);
    assert.equal(w.sessionCount, 2);
    assert.deepEqual(Array.from(w.arrivalMs), [0, 250, 0, 0]);
    // delay = timestamp difference (2500 ms), else the explicit delay; both divided by the speed-up
    assert.deepEqual(delaysOf(w), [0, 0, 1250, 50]);
    assert.deepEqual(nextTurns(w), [-1, 2, 3, -1]);
    assert.equal(w.name, path.split("/").pop());
    assert.deepEqual(
      w.sessionIds,
      ["request_1", "a"],
      "a row without session_id: request_<line>, as the reference",
    );
    // 512-token hash ids → 8 engine blocks each; rows 0 and 1 agree on ids 1, 2 = 16 blocks
    assert.equal(blocksOf(w, 0).length, 16);
    assert.equal(commonPrefix(w, 0, 1), 16);
    assert.equal(commonPrefix(w, 1, 2), Math.floor(1500 / 64));
    assert.equal(commonPrefix(w, 0, 3), 0);
  });
});

Deno.test("mooncake: input_length is clamped to the hash capacity and defaults to it", async () => {
  const text = jsonl([
    { timestamp: 0, input_length: 5000, output_length: 1, hash_ids: [1, 2] },
    { timestamp: 0, output_length: 1, hash_ids: [1, 2, 3] },
  ]);
  await withFile("t.jsonl", text, async (path) => {
    const w = await loadMooncake(path, { blockSize: 64 });
    assert.deepEqual(Array.from(w.inputLength), [1024, 1536]);
    assert.equal(w.clampedInputTokens, 5000 - 1024, "what was dropped is kept for the warning");
    assert.match(
      clampWarnings(w.clampedInputTokens!, workloadStats(w).inputTokens)[0],
      /3,976 of the trace's 6,536 prompt tokens \(60\.8 %\)/,
    );
  });
});

Deno.test("mooncake: alias fields input_tokens, output_tokens, created_time, delay_ms", async () => {
  const text = jsonl([
    { created_time: 300, input_tokens: 600, output_tokens: 3, hash_ids: [5, 6], session_id: 7 },
    { created_time: 900, input_tokens: 700, output_tokens: 4, hash_ids: [5, 6], session_id: 7, delay_ms: 20 },
  ]);
  await withFile("t.jsonl", text, async (path) => {
    const w = await loadMooncake(path, { blockSize: 64, traceBlockSize: 512 });
    assert.deepEqual(Array.from(w.inputLength), [600, 700]);
    assert.deepEqual(Array.from(w.outputLength), [3, 4]);
    assert.deepEqual(delaysOf(w), [0, 20]);
    assert.equal(w.sessionCount, 1);
  });
});

Deno.test("mooncake: closed-loop replay does not need timestamps", async () => {
  const text = jsonl([{ input_length: 100, output_length: 1, hash_ids: [1] }]);
  await withFile("t.jsonl", text, async (path) => {
    const w = await loadMooncake(path, { blockSize: 64, requireTimestamps: false });
    assert.equal(w.arrivalMs[0], 0);
    await rejectsAt(() => loadMooncake(path, { blockSize: 64 }), path, { line: 1, field: "timestamp" });
  });
});

Deno.test("mooncake: a turn's delay is the difference from its session's last timestamp, as the reference's", async () => {
  const row = (extra: Record<string, unknown>) => ({
    input_length: 100,
    output_length: 1,
    hash_ids: [1],
    ...extra,
  });
  const text = jsonl([
    row({ session_id: "s", timestamp: 0 }),
    row({ session_id: "s" }),
    row({ session_id: "s", timestamp: 5000 }),
  ]);
  await withFile("t.jsonl", text, async (path) => {
    const w = await loadMooncake(path, { blockSize: 64, requireTimestamps: false });
    assert.deepEqual(delaysOf(w), [0, 0, 5000]);
  });
  // No earlier timestamp to take the difference from: the reference refuses the trace too.
  await withFile(
    "u.jsonl",
    jsonl([row({ session_id: "s" }), row({ session_id: "s", timestamp: 5000 })]),
    (path) =>
      rejectsAt(() => loadMooncake(path, { blockSize: 64, requireTimestamps: false }), path, {
        line: 2,
        field: "timestamp",
        includes: ["no earlier row of session"],
      }),
  );
});

const good = { timestamp: 0, input_length: 100, output_length: 1, hash_ids: [1] };

Deno.test("mooncake: an output_length of 0 replays as 1 token, as every format", async () => {
  const text = jsonl([{ ...good, output_length: 0, session_id: "s" }, { ...good, session_id: "s" }]);
  await withFile("t.jsonl", text, async (path) => {
    const w = await loadMooncake(path, { blockSize: 64, sessionDeltas: true });
    assert.deepEqual(Array.from(w.outputLength), [1, 1]);
    assert.deepEqual(Array.from(w.inputLength), [100, 201], "the next turn extends the token generated");
  });
});

const badRows: Array<[string, unknown, string | undefined, string[]]> = [
  ["malformed JSON", '{"timestamp": 0, "input_length": ', undefined, ["malformed JSON"]],
  ["a non-object line", "[1, 2]", undefined, ["JSON object"]],
  ["missing output_length", { timestamp: 0, input_length: 100, hash_ids: [1] }, "output_length", [
    "required",
  ]],
  ["wrong-typed input_length", { ...good, input_length: "100" }, "input_length", ["integer from 1 to"]],
  ["wrong-typed output_tokens", { ...good, output_length: undefined, output_tokens: true }, "output_tokens", [
    "integer from 0 to",
  ]],
  ["non-integer input_length", { ...good, input_length: 10.5 }, "input_length", ["integer from 1 to"]],
  ["a negative output_length", { ...good, output_length: -1 }, "output_length", ["from 0 to"]],
  // Lengths live in Int32Arrays: a longer one would wrap (2^53 to 0) instead of failing.
  ["an output_length too long to hold", { ...good, output_length: 2 ** 53 }, "output_length", [
    "from 0 to 2147483647, got 9007199254740992",
  ]],
  ["negative timestamp", { ...good, timestamp: -5 }, "timestamp", ["≥ 0"]],
  [
    "non-finite timestamp",
    '{"timestamp": 1e999, "input_length": 100, "output_length": 1, "hash_ids": [1]}',
    "timestamp",
    [
      "finite",
    ],
  ],
  ["a created_time past 2^43 ms", { ...good, timestamp: undefined, created_time: 1e20 }, "created_time", [
    "at most 8796093022208 ms",
  ]],
  ["a delay_ms past 2^43 ms", { ...good, session_id: "s", delay_ms: 2 ** 44 }, "delay_ms", ["at most"]],
  [
    "an input_tokens too long to hold",
    { ...good, input_length: undefined, input_tokens: 2 ** 31 },
    "input_tokens",
    [
      "from 1 to 2147483647",
    ],
  ],
  [
    "an output_tokens too long to hold",
    { ...good, output_length: undefined, output_tokens: 2 ** 31 },
    "output_tokens",
    [
      "from 0 to 2147483647",
    ],
  ],
  ["negative created_time", { ...good, timestamp: undefined, created_time: -1 }, "created_time", ["≥ 0"]],
  ["empty hash_ids", { ...good, hash_ids: [] }, "hash_ids", ["non-empty"]],
  ["missing hash_ids", { ...good, hash_ids: undefined }, "hash_ids", ["non-empty"]],
  ["a negative hash id", { ...good, hash_ids: [1, -2] }, "hash_ids", ["non-negative integers"]],
  ["a fractional hash id", { ...good, hash_ids: [1.5] }, "hash_ids", ["non-negative integers"]],
  ["a hash id past 2^53", { ...good, hash_ids: [2 ** 53] }, "hash_ids", ["above 2^53 − 1", "renumber"]],
  ["a bad session_id", { ...good, session_id: [1] }, "session_id", ["string or a number"]],
  ["a delay on a first turn", { ...good, session_id: "s", delay: 5 }, "delay", ["first turn"]],
  ["a negative delay_ms", { ...good, session_id: "s", delay_ms: -1 }, "delay_ms", ["≥ 0"]],
  // A field and its alias both given: the reference's serde refuses the duplicate, and so does dynolab.
  ["timestamp with created_time", { ...good, created_time: 5000 }, "created_time", [
    "duplicate of timestamp",
  ]],
  ["input_length with input_tokens", { ...good, input_tokens: 200 }, "input_tokens", [
    "duplicate of input_length",
  ]],
  ["output_length with output_tokens", { ...good, output_tokens: 9 }, "output_tokens", [
    "duplicate of output_length",
  ]],
  ["delay with delay_ms", { ...good, session_id: "s", delay: 1, delay_ms: 1 }, "delay_ms", [
    "duplicate of delay",
  ]],
];

for (const [what, row, field, includes] of badRows) {
  Deno.test(`mooncake: ${what} is an error naming file, line and field`, async () => {
    await withFile("bad.jsonl", jsonl([good, "", row]), async (path) => {
      await rejectsAt(() => loadMooncake(path, { blockSize: 64 }), path, { line: 3, field, includes });
    });
  });
}

Deno.test("mooncake: prompts too long to hold name the field they grew from", async () => {
  const byIds = jsonl([{ ...good, input_length: undefined, hash_ids: [1, 2, 3, 4, 5] }]);
  await withFile("t.jsonl", byIds, async (path) => {
    await rejectsAt(() => loadMooncake(path, { blockSize: 64, traceBlockSize: 1e9 }), path, {
      line: 1,
      field: "hash_ids",
      includes: ["5 ids × 1000000000 tokens (--trace-block-size) make a 5000000000-token prompt"],
    });
  });
  const byDeltas = jsonl([{ ...good, session_id: "s", output_length: 2 ** 31 - 1 }, {
    ...good,
    session_id: "s",
  }]);
  await withFile("t.jsonl", byDeltas, async (path) => {
    await rejectsAt(() => loadMooncake(path, { blockSize: 64, sessionDeltas: true }), path, {
      line: 2,
      field: "input_length",
      includes: ["extends its session's prompt to 2147483847 tokens"],
    });
  });
});

Deno.test("mooncake: a later turn earlier than the previous one needs an explicit delay", async () => {
  const text = jsonl([{ ...good, timestamp: 500, session_id: "s" }, {
    ...good,
    timestamp: 100,
    session_id: "s",
  }]);
  await withFile("t.jsonl", text, async (path) => {
    await rejectsAt(() => loadMooncake(path, { blockSize: 64 }), path, {
      line: 2,
      field: "timestamp",
      includes: ["earlier than the previous turn"],
    });
  });
});

Deno.test("mooncake: missing, empty, directory and truncated gzip files", async () => {
  await rejectsAt(() => loadMooncake("/nonexistent/t.jsonl", { blockSize: 64 }), "/nonexistent/t.jsonl", {
    includes: ["no such file"],
  });
  await withFile("empty.jsonl", "\n\n", async (path) => {
    await rejectsAt(() => loadMooncake(path, { blockSize: 64 }), path, { includes: ["no requests"] });
  });
  await using tmp = await tempDir();
  const dir = tmp.path;
  await rejectsAt(() => loadMooncake(dir, { blockSize: 64 }), dir, {
    includes: ["is a directory, not a trace file"],
  });
  const text = jsonl(Array.from({ length: 200 }, (_, i) => ({ ...good, timestamp: i })));
  const bytes = await gzip(text);
  await withFile("t.jsonl.gz", bytes, async (path) => {
    assert.equal((await loadMooncake(path, { blockSize: 64 })).requestCount, 200);
  });
  await withFile("t.jsonl.gz", bytes.subarray(0, bytes.length - 20), async (path) => {
    const e = await rejectsAt(() => loadMooncake(path, { blockSize: 64 }), path, {
      includes: ["corrupt or truncated"],
    });
    assert.ok(e.location.line !== undefined && e.location.line > 100, e.message);
  });
});

Deno.test("mooncake-delta: a later turn is the previous prompt, its output, then the row's tokens", async () => {
  const text = jsonl([
    { session_id: "a", timestamp: 0, input_length: 1000, output_length: 50, hash_ids: [1, 2] },
    { session_id: "b", timestamp: 10, input_length: 1000, output_length: 50, hash_ids: [1, 2] },
    { session_id: "a", timestamp: 500, input_length: 300, output_length: 20, hash_ids: [7] },
    { session_id: "b", timestamp: 600, input_length: 300, output_length: 20, hash_ids: [7] },
    { session_id: "a", delay: 40, input_length: 5000, output_length: 9, hash_ids: [8, 9] },
    { timestamp: 700, input_length: 600, output_length: 3, hash_ids: [1, 2] },
  ]);
  await withFile("t.jsonl", text, async (path) => {
    const w = await loadMooncake(path, { blockSize: 64, sessionDeltas: true });
    // a: 1000 → 1000 + 50 + 300 → 1350 + 20 + min(5000, 2 × 512); b as a; the session-less row is whole
    assert.deepEqual(Array.from(w.inputLength), [1000, 1000, 1350, 1350, 2394, 600]);
    assert.deepEqual(delaysOf(w), [0, 0, 500, 590, 40, 0]);
    assert.equal(commonPrefix(w, 0, 1), 15, "first turns share their hash ids");
    assert.equal(commonPrefix(w, 0, 2), 15, "a later turn keeps the previous prompt's full blocks");
    assert.equal(commonPrefix(w, 2, 4), 21);
    assert.equal(commonPrefix(w, 2, 3), 15, "what a session appends is its own");
    assert.equal(commonPrefix(w, 0, 5), 9);
    const plain = await loadMooncake(path, { blockSize: 64 });
    assert.deepEqual(Array.from(plain.inputLength), [1000, 1000, 300, 300, 1024, 600]);
  });
});

Deno.test("mooncake-delta: a turn whose predecessor's blocks lie in an earlier chunk extends them", async () => {
  // Block size 1: each first prompt fills 40,000 ids, so the builder starts a new chunk between them.
  const first = (s: string) => ({ session_id: s, timestamp: 0, input_length: 40_000, hash_ids: [s.length] });
  const text = jsonl([
    { ...first("x"), output_length: 2 },
    { ...first("yy"), output_length: 2 },
    { session_id: "x", input_length: 10, output_length: 1, hash_ids: [5] },
  ]);
  await withFile("t.jsonl", text, async (path) => {
    const w = await loadMooncake(path, { blockSize: 1, traceBlockSize: 40_000, sessionDeltas: true });
    assert.equal(w.inputLength[2], 40_012);
    assert.equal(commonPrefix(w, 0, 2), 40_000);
    assert.equal(new Set(blocksOf(w, 2).slice(40_000)).size, 12);
  });
});

Deno.test("mooncake: rows' router-queue hints (priority, strict_priority, policy_class) reach the workload", async () => {
  const row = { timestamp: 0, input_length: 64, output_length: 2, hash_ids: [1] };
  const text = jsonl([
    { ...row, priority: 5, strict_priority: 2, policy_class: "latency" },
    { ...row, priority: -3 },
    row,
    { ...row, policy_class: "latency" },
  ]);
  await withFile("t.jsonl", text, async (path) => {
    const w = await loadMooncake(path, { blockSize: 64 });
    assert.deepEqual(Array.from(w.routing!.priority), [5, 0, 0, 0], "a negative priority counts as 0");
    assert.deepEqual(Array.from(w.routing!.strictPriority), [2, 0, 0, 0]);
    assert.deepEqual(Array.from(w.routing!.policyClass), [0, -1, -1, 0]);
    assert.deepEqual(w.routing!.policyClassNames, ["latency"]);
  });
  await withFile("plain.jsonl", jsonl([row]), async (path) => {
    assert.equal((await loadMooncake(path, { blockSize: 64 })).routing, undefined);
  });
  for (
    const [bad, field] of [
      [{ priority: 1.5 }, "priority"],
      [{ priority: 2 ** 31 }, "priority"],
      [{ strict_priority: -1 }, "strict_priority"],
      [{ policy_class: 3 }, "policy_class"],
    ] as const
  ) {
    await withFile("bad.jsonl", jsonl([row, { ...row, ...bad }]), async (path) => {
      await rejectsAt(() => loadMooncake(path, { blockSize: 64 }), path, { line: 2, field });
    });
  }
});

Deno.test("mooncake: times past 2^43 ms, as given or stretched by the speed-up, are errors, not lost requests", async () => {
  const rows = [
    { timestamp: 0, input_length: 64, output_length: 2, hash_ids: [1] },
    { timestamp: 1e12, input_length: 64, output_length: 2, hash_ids: [2] },
  ];
  await withFile("t.jsonl", jsonl([rows[0], { ...rows[1], timestamp: 1e308 }]), async (path) => {
    await rejectsAt(() => loadMooncake(path, { blockSize: 64 }), path, { line: 2, field: "timestamp" });
  });
  await withFile("t.jsonl", jsonl(rows), async (path) => {
    assert.equal((await loadMooncake(path, { blockSize: 64 })).arrivalMs[1], 1e12);
    await rejectsAt(() => loadMooncake(path, { blockSize: 64, speedup: 0.001 }), undefined, {
      field: "arrival_speedup_ratio",
      includes: ["0.001 stretches the workload's times past"],
    });
  });
});

Deno.test("mooncake: token blocks standing for more KV block ids than an Int32Array holds are an error", async () => {
  const rows = [
    { timestamp: 0, input_length: 1000, output_length: 2, hash_ids: [1] },
    { timestamp: 1, input_length: 1000, output_length: 2, hash_ids: [2] },
  ];
  await withFile("t.jsonl", jsonl(rows), async (path) => {
    // 2^36 / 64 = 2^30 ids per token block: the second block would overflow (its ids used to go negative).
    await rejectsAt(() => loadMooncake(path, { blockSize: 64, traceBlockSize: 2 ** 36 }), path, {
      line: 2,
      includes: ["distinct KV blocks"],
    });
  });
});

Deno.test("mooncake: a multi-member gzip (`cat a.gz b.gz`) is read whole", async () => {
  const row = (t: number) => jsonl([{ timestamp: t, input_length: 64, output_length: 2, hash_ids: [t] }]);
  const [a, b] = [await gzip(row(0)), await gzip(row(5))];
  const both = new Uint8Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  await withFile("t.jsonl.gz", both, async (path) => {
    assert.deepEqual([...(await loadMooncake(path, { blockSize: 64 })).arrivalMs], [0, 5]);
  });
});
