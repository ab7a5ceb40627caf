/**
 * Property test of bad input: Mooncake traces with mutated rows (cut short, blank or non-object lines, fields
 * removed or set to wrong types, negative, fractional, huge or non-finite values) either load and simulate, or
 * fail with an {@link InputError} that names the file and line; nothing else may escape, and no report may hold
 * a non-finite number.
 */
import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { Rng } from "../../lib/common/rng.ts";
import { loadWorkload, WorkloadSpecSchema } from "../../lib/workload/mod.ts";
import { nonFinite, run } from "../_fixtures.ts";
import { tempDir } from "../_temp.ts";

const ROWS = [
  {
    timestamp: 195,
    input_length: 5096,
    output_length: 57,
    hash_ids: [20, 21, 22, 23, 1000, 1001, 1002, 1003],
  },
  { timestamp: 1055, input_length: 4067, output_length: 279, hash_ids: [10, 11, 12, 1006, 1007, 1008, 1009] },
  { timestamp: 1175, input_length: 4061, output_length: 143, hash_ids: [10, 11, 12, 13, 1011, 1012, 1013] },
  { session_id: "a", timestamp: 1300, input_length: 700, output_length: 20, hash_ids: [1, 2] },
  { session_id: "a", delay: 500, input_length: 1400, output_length: 10, hash_ids: [1, 2, 3, 4] },
  { timestamp: 2187, input_length: 1239, output_length: 116, hash_ids: [40, 41, 1025] },
];
const BAD: unknown[] = ["x", -1, null, 1e400, [], 1.5, 1e15, 2 ** 53, 2 ** 31, "", true, 0, [1, "a"]];
const KEYS = ["timestamp", "input_length", "output_length", "hash_ids", "session_id", "delay", "priority"];

/** One mutated copy of {@link ROWS} as JSONL text. */
function mutated(rng: Rng): string {
  const lines = ROWS.map((r) => JSON.stringify(r));
  for (let k = 0; k < 1 + rng.int(2); k++) {
    const i = rng.int(lines.length), how = rng.int(4);
    if (how === 0) lines[i] = lines[i].slice(0, rng.int(lines[i].length));
    else if (how === 1) lines.splice(i, 0, ["", "  ", "{}", "[]", "null", "1"][rng.int(6)]);
    else {
      const row = { ...ROWS[Math.min(i, ROWS.length - 1)] } as Record<string, unknown>;
      const key = KEYS[rng.int(KEYS.length)];
      if (how === 2) delete row[key];
      else row[key] = BAD[rng.int(BAD.length)];
      lines[i] = JSON.stringify(row).replace(/null/, rng.next() < 0.2 ? "NaN" : "null");
    }
  }
  return lines.join("\n") + "\n";
}

Deno.test("property: a mutated trace loads and simulates, or is an InputError naming file and line", async () => {
  const rng = new Rng(11);
  await using tmp = await tempDir();
  const path = `${tmp.path}/trace.jsonl`;
  let loaded = 0, rejected = 0;
  for (let trial = 0; trial < 300; trial++) {
    const text = mutated(rng);
    await Deno.writeTextFile(path, text);
    const format = rng.next() < 0.5 ? "mooncake" : "mooncake_delta";
    const spec = WorkloadSpecSchema.parse({ source: "trace", path, format });
    let w;
    try {
      w = await loadWorkload(spec, { blockSize: 64, speedup: 1, closedLoop: rng.next() < 0.3 });
    } catch (e) {
      assert.ok(e instanceof InputError, `trial ${trial}: ${e}\n${text}`);
      assert.match(e.message, new RegExp(`^${path}(:\\d+)?: `), `trial ${trial}`);
      assert.doesNotMatch(e.message, /got (undefined|NaN)/, `trial ${trial}: ${e.message}`);
      rejected++;
      continue;
    }
    loaded++;
    const disagg = rng.next() < 0.5;
    const { report } = run(w, { topology: disagg ? { mode: "disagg" } : { mode: "agg", num_workers: 2 } });
    assert.equal(nonFinite(report), null, `trial ${trial}\n${text}`);
  }
  assert.ok(loaded >= 20 && rejected >= 50, `loaded ${loaded}, rejected ${rejected}`);
});
