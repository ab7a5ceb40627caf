import assert from "node:assert/strict";
import { loadAzure, parseWallClock } from "../../lib/workload/azure.ts";
import { blocksOf, gzip, nextTurns, rejectsAt, withFile } from "./_helpers.ts";

const HEADER = "TIMESTAMP,ContextTokens,GeneratedTokens";

function csv(rows: readonly string[], header = HEADER, eol = "\n"): string {
  return [header, ...rows].join(eol) + eol;
}

Deno.test("azure: arrivals in ms after the first row, one session per row", async () => {
  const text = csv(
    [
      "2023-11-16 18:17:03.9799600,4808,10",
      "2023-11-16 18:17:04.0319600,3180,8",
      "2023-11-16 18:18:03.9799601,100,0",
    ],
    HEADER,
    "\r\n",
  );
  await withFile("code.csv", text, async (path) => {
    const w = await loadAzure(path, { blockSize: 64 });
    assert.equal(w.requestCount, 3);
    assert.equal(w.sessionCount, 3);
    assert.deepEqual(Array.from(w.arrivalMs), [0, 52, 60000.0001]);
    assert.deepEqual(Array.from(w.inputLength), [4808, 3180, 100]);
    // GeneratedTokens 0 is replayed as 1
    assert.deepEqual(Array.from(w.outputLength), [10, 8, 1]);
    assert.deepEqual(nextTurns(w), [-1, -1, -1]);
    assert.equal(blocksOf(w, 0).length, Math.floor(4808 / 64));
    const halved = await loadAzure(path, { blockSize: 64, speedup: 2 });
    assert.equal(halved.arrivalMs[1], 26);
  });
});

Deno.test("azure: no two requests share a block, even with equal lengths", async () => {
  const rows = Array.from(
    { length: 50 },
    (_, i) => `2023-11-16 18:17:${String(i % 60).padStart(2, "0")}.0,1024,5`,
  );
  await withFile("t.csv", csv(rows), async (path) => {
    for (const blockSize of [16, 64, 100]) {
      const w = await loadAzure(path, { blockSize });
      assert.equal(new Set(w.blocks).size, w.blocks.length);
      assert.equal(w.distinctBlocks, w.blocks.length);
      assert.equal(w.blocks.length, 50 * Math.floor(1024 / blockSize));
    }
  });
});

Deno.test("azure: columns in any order, extra columns, zones and gzip", async () => {
  const text = csv([
    "3,2024-05-10 00:00:00.5+02:00,700,20",
    "1,2024-05-09T22:00:01Z,300,30",
  ], "NumImages,TIMESTAMP,ContextTokens,GeneratedTokens");
  await withFile("mm.csv.gz", text, async (path) => {
    const w = await loadAzure(path, { blockSize: 64 });
    assert.deepEqual(Array.from(w.arrivalMs), [0, 500]);
    assert.deepEqual(Array.from(w.inputLength), [700, 300]);
  });
});

Deno.test("azure: parseWallClock keeps sub-millisecond digits and checks dates", () => {
  const a = parseWallClock("2023-11-16 18:17:03.9799600");
  assert.equal(a.seconds, Date.UTC(2023, 10, 16, 18, 17, 3) / 1000);
  assert.equal(a.nanos, 979_960_000);
  assert.equal(parseWallClock("2023-11-16 18:17:03").nanos, 0);
  assert.equal(
    parseWallClock("2023-11-16 18:17:03.123456789-01:30").seconds,
    Date.UTC(2023, 10, 16, 19, 47, 3) / 1000,
  );
  for (
    const bad of [
      "2023-02-30 00:00:00",
      "2023-11-16 24:00:00",
      "2023-11-16",
      "1700000000",
      "2023-11-16 18:17:3.1",
    ]
  ) {
    assert.throws(() => parseWallClock(bad), /must be a time like/);
  }
});

const badHeaders: Array<[string, string, string[]]> = [
  ["a missing column", "TIMESTAMP,ContextTokens", ['missing column "GeneratedTokens"']],
  ["a misspelt column", "TIMESTAMP,ContextToken,GeneratedTokens", ['missing column "ContextTokens"']],
  ["a data row instead of a header", "2023-11-16 18:17:03.9799600,4808,10", ['missing column "TIMESTAMP"']],
  ["a duplicate column", "TIMESTAMP,ContextTokens,GeneratedTokens,TIMESTAMP", ["appears twice"]],
];

for (const [what, header, includes] of badHeaders) {
  Deno.test(`azure: ${what} in the header is an error at line 1`, async () => {
    await withFile("t.csv", csv(["2023-11-16 18:17:03.9799600,4808,10"], header), async (path) => {
      await rejectsAt(() => loadAzure(path, { blockSize: 64 }), path, { line: 1, field: "header", includes });
    });
  });
}

const badRows: Array<[string, string, string | undefined, string[]]> = [
  ["too few columns", "2023-11-16 18:17:05.0,4808", undefined, ["expected 3 comma-separated columns, got 2"]],
  ["a malformed TIMESTAMP", "16/11/2023 18:17:05,4808,10", "TIMESTAMP", ["must be a time like"]],
  ["an impossible date", "2023-11-31 18:17:05.0,4808,10", "TIMESTAMP", ["must be a time like"]],
  ["an empty TIMESTAMP", ",4808,10", "TIMESTAMP", ["must be a time like"]],
  ["a row earlier than the first", "2023-11-16 18:17:02.0,4808,10", "TIMESTAMP", [
    "earlier than the first row",
  ]],
  ["a fractional ContextTokens", "2023-11-16 18:17:05.0,48.5,10", "ContextTokens", [
    "integer from 1 to 2147483647",
  ]],
  ["a negative ContextTokens", "2023-11-16 18:17:05.0,-3,10", "ContextTokens", [
    "integer from 1 to 2147483647",
  ]],
  ["a zero ContextTokens", "2023-11-16 18:17:05.0,0,10", "ContextTokens", ["integer from 1 to 2147483647"]],
  ["a ContextTokens too long to hold", "2023-11-16 18:17:05.0,3000000000,10", "ContextTokens", [
    "to 2147483647",
  ]],
  ["a GeneratedTokens too long to hold", "2023-11-16 18:17:05.0,4808,99999999999", "GeneratedTokens", [
    "to 2147483647",
  ]],
  ["a non-numeric GeneratedTokens", "2023-11-16 18:17:05.0,4808,ten", "GeneratedTokens", [
    "integer from 0 to 2147483647",
  ]],
  ["an empty GeneratedTokens", "2023-11-16 18:17:05.0,4808,", "GeneratedTokens", [
    "integer from 0 to 2147483647",
  ]],
];

for (const [what, row, field, includes] of badRows) {
  Deno.test(`azure: ${what} is an error naming file, line and column`, async () => {
    await withFile("t.csv", csv(["2023-11-16 18:17:03.0,100,1", row]), async (path) => {
      await rejectsAt(() => loadAzure(path, { blockSize: 64 }), path, { line: 3, field, includes });
    });
  });
}

Deno.test("azure: empty files, header-only files and truncated gzip", async () => {
  await withFile("t.csv", "", async (path) => {
    await rejectsAt(() => loadAzure(path, { blockSize: 64 }), path, { includes: ["expected a header row"] });
  });
  await withFile("t.csv", csv([]), async (path) => {
    await rejectsAt(() => loadAzure(path, { blockSize: 64 }), path, { includes: ["no requests"] });
  });
  const rows = Array.from({ length: 3000 }, (_, i) => `2023-11-16 18:17:03.${i},${100 + i},${1 + (i % 7)}`);
  const bytes = await gzip(csv(rows));
  await withFile("t.csv.gz", bytes.subarray(0, bytes.length >> 1), async (path) => {
    const e = await rejectsAt(() => loadAzure(path, { blockSize: 64 }), path, { includes: ["truncated"] });
    assert.ok(e.location.line !== undefined && e.location.line > 1, e.message);
  });
});
