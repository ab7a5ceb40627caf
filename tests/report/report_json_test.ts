import assert from "node:assert/strict";
import { Rng } from "../../lib/common/rng.ts";
import { type Report, reportJson, type ReportValue, sortKeys } from "../../lib/report/mod.ts";
import { runRecords } from "../../lib/cli/run_outputs.ts";
import { fixedTiming, run, workloadOf } from "../_fixtures.ts";

const reference = (r: Report) => JSON.stringify(sortKeys(r), null, 2) + "\n";

Deno.test("reportJson, written in chunks, is JSON.stringify's text of the sorted report", () => {
  const w = workloadOf([{ input: 100, output: 3 }, { input: 200, output: 2, at: 5 }, {
    input: 50,
    output: 1,
  }]);
  const result = run(w, { topology: { mode: "agg", num_workers: 2, engine: fixedTiming(10, 5) } });
  const records = runRecords(result, { workload: w } as never) as unknown as Report[];
  const prediction: Report = { ...result.report, per_request: records, empty: [], none: {} };
  assert.equal(reportJson(prediction), reference(prediction));
  // Random nested values: arrays of objects, objects of arrays, empty ones, nulls, strings with newlines.
  const rng = new Rng(3);
  const value = (depth: number): ReportValue => {
    const k = rng.next();
    if (depth > 3 || k < 0.3) return [1.5, -0, "a\nb", null, true][Math.floor(rng.next() * 5)];
    if (k < 0.65) return Array.from({ length: Math.floor(rng.next() * 4) }, () => value(depth + 1));
    return Object.fromEntries(
      Array.from({ length: Math.floor(rng.next() * 4) }, (_, i) => [`k${i}`, value(depth + 1)]),
    );
  };
  for (let trial = 0; trial < 200; trial++) {
    const report = { a: value(0), b: value(0), c: value(1) } as Report;
    assert.equal(reportJson(report), reference(report), `trial ${trial}`);
  }
});
