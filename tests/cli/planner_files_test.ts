import assert from "node:assert/strict";
import { plannerFiles } from "../../lib/cli/planner_files.ts";
import { MAX_TICK_RECORDS } from "../../lib/planner/mod.ts";
import { fixedTiming, run, workloadOf } from "../_fixtures.ts";

Deno.test("planner files: per-interval reports count every tick, past the 50,000 records too", async () => {
  // Two requests 5,100 s apart, a load tick every 0.1 s: 51,000 ticks, three 30-minute intervals.
  const w = workloadOf([{ input: 64, output: 2, at: 0 }, { input: 64, output: 2, at: 5_100_000 }]);
  const { report, planner } = run(w, {
    topology: { mode: "agg", num_workers: 1, engine: fixedTiming(10, 5) },
    planner: {
      mode: "agg",
      load_adjustment_interval_seconds: 0.1,
      report_interval_hours: 0.5,
      report_write_gzip_log: false,
    },
  });
  assert.ok(planner!.totalTicks > MAX_TICK_RECORDS, `${planner!.totalTicks} ticks`);
  const files = await plannerFiles(planner!, report, "run.html");
  assert.deepEqual(files.map(([path]) => path), ["run.html", "run_001.html", "run_002.html", "run_003.html"]);
  const header = (html: string) => ({
    ticks: Number(/Planner ticks: (\d+)/.exec(html)![1]),
    hours: Number(/GPU hours: ([\d.]+)/.exec(html)![1]),
    span: /Simulated time ([\d.,]+) s – ([\d.,]+) s/.exec(html)!.slice(1).map((v) =>
      Number(v.replace(",", ""))
    ),
  });
  const [whole, ...parts] = files.map(([, html]) => header(String(html)));
  assert.equal(parts.reduce((a, p) => a + p.ticks, 0), whole.ticks);
  assert.ok(Math.abs(parts.reduce((a, p) => a + p.hours, 0) - whole.hours) < 0.015, JSON.stringify(parts));
  // The whole run's span, and the note that its plots stop at the records' end.
  assert.deepEqual(whole.span, [0.1, 5100]);
  assert.match(String(files[0][1]), /the plots show the 50,000 recorded ticks, to 5,000\.00 s/);
  assert.deepEqual(parts[2].span, [3600, 5100]);
  // An interval's page shows the run's results, and says so.
  assert.match(String(files[0][1]), /<p>Results: 2 requests completed/);
  for (const [, html] of files.slice(1)) {
    assert.match(String(html), /<p>Results of the whole run: 2 requests completed/);
  }
});
