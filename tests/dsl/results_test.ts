import assert from "node:assert/strict";
import { parquetReadObjects } from "hyparquet";
import { DOMParser } from "linkedom";
import { InputError } from "../../lib/common/errors.ts";
import * as Plot from "@observablehq/plot";
import { Figure, JUPYTER_DISPLAY, Results, scenario } from "../../mod.ts";
import { MINI_TRACE, QUIET } from "./_helpers.ts";
import { withTempDir } from "../_temp.ts";
import type { RouterQueueSummary } from "../../lib/metrics/mod.ts";

const results = await scenario("results")
  .trace(MINI_TRACE)
  .sla({ ttftMs: 80, itlMs: 12 })
  .compare({ rr: (s) => s.agg({ workers: 2 }), kv: (s) => s.agg({ workers: 2 }).router("kv_router") })
  .sweep("numGpuBlocks", [1024, 4096])
  .run(QUIET);

Deno.test("rows: run, variant, parameters, then camelCase metrics from the report", () => {
  const rows = results.rows;
  assert.equal(rows.length, 4);
  assert.deepEqual(Object.keys(rows[0]).slice(0, 3), ["run", "variant", "numGpuBlocks"]);
  const r = results.runs[3];
  assert.equal(rows[3].variant, "kv");
  assert.equal(rows[3].ttftP90, r.report.p90_ttft_ms);
  assert.equal(rows[3].ttftP50, r.report.median_ttft_ms);
  assert.equal(rows[3].itlAvg, r.report.mean_itl_ms);
  assert.equal(rows[3].e2eP99, r.report.p99_e2e_latency_ms);
  assert.equal(rows[3].gpuHours, r.report.gpu_hours);
  assert.equal(rows[3].prefixReuse, r.report.prefix_cache_reused_ratio);
  assert.equal(rows[3].goodput, r.report.goodput_request_throughput_rps);
  assert.equal(rows[3].throughput, r.report.output_throughput_tok_s);
  assert.equal("scalingEvents" in rows[3], results.hasPlanner);
  const shares = ["prefillBusyShare", "decodeBusyShare", "overheadBusyShare"].map((k) =>
    rows[3][k] as number
  );
  assert.ok(Math.abs(shares[0] + shares[1] + shares[2] - 1) < 1e-12, String(shares));
  const pool =
    (r.report.dynolab as { pools: Record<string, { ms: number; overhead_ms: number }>[] }).pools[0];
  const decode = pool.typical_decode_pass;
  assert.equal(rows[3].decodePassMs, decode.ms + decode.overhead_ms);
  assert.deepEqual(results.get({ variant: "kv", numGpuBlocks: 1024 }).index, 2);
  // A swept parameter answers to any of its names.
  assert.deepEqual(results.get({ variant: "kv", "engine.numGpuBlocks": 1024 }).index, 2);
  assert.deepEqual(results.column("engine.numGpuBlocks"), results.column("numGpuBlocks"));
  assert.throws(
    () => results.get({ numGpuBlock: 1024 }),
    /results.get\(\): "numGpuBlock" is not a swept parameter \(did you mean numGpuBlocks\?\)/,
  );
  assert.throws(
    () => results.column("ttftP91"),
    (e) => e instanceof InputError && /unknown column/.test(e.message),
  );
});

Deno.test("classRows: one row per run and router-policy class, from the report's by_class", async () => {
  assert.deepEqual(results.classRows, []); // no policy classes
  const policy = {
    default_policy_family: "chat",
    uncached_isl_buckets: [{ min_tokens: 0, bucket: "short" }, { min_tokens: 2048, bucket: "long" }],
    policy_classes: ["short", "long"].map((name) => ({
      name,
      policy_family: "chat",
      cache_bucket: name,
      quantum: 1024,
      prefill_busy_threshold_frac: 0,
      ...(name === "long" ? { request_queue_limit_per_worker: 1 } : {}),
    })),
  };
  const classed = await scenario("classes")
    .trace(MINI_TRACE)
    .agg({ workers: 2 })
    .router({ mode: "kv_router", policy })
    .sweep("speedup", [1, 4])
    .run(QUIET);
  const rows = classed.classRows;
  assert.deepEqual(rows.map((r) => [r.run, r.speedup, r.class]), [
    [0, 1, "short"],
    [0, 1, "long"],
    [1, 4, "short"],
    [1, 4, "long"],
  ]);
  for (const run of classed.runs) {
    const report = run.report;
    const mine = rows.filter((r) => r.run === run.index);
    // The classes' completed and shed requests add up to the run's.
    assert.equal(mine.reduce((a, r) => a + (r.requests as number), 0), report.completed_requests);
    assert.equal(mine.reduce((a, r) => a + (r.shed as number), 0), report.rejected_requests);
    const byClass = (report.dynolab as { router_queue: RouterQueueSummary }).router_queue.by_class!;
    for (const r of mine) {
      const k = byClass[r.class as string];
      const ttft = [r.ttftAvg, r.ttftP90, r.ttftMax].map((v) => v ?? undefined);
      assert.deepEqual(ttft, [k.ttft_ms?.mean, k.ttft_ms?.p90, k.ttft_ms?.max]);
      assert.deepEqual([r.waited, r.waitAvg ?? undefined, r.shed], [k.waited, k.wait_ms?.mean, k.shed]);
      assert.ok(r.waited === 0 ? r.waitAvg === null : (r.waitP90 as number) >= 0);
    }
  }
  assert.ok(rows.some((r) => (r.waited as number) > 0), "expected a class to queue at threshold 0");
});

Deno.test("time series cover the run and agree with the report", () => {
  const r = results.runs[0];
  const s = r.series;
  assert.equal(s.t.length, s.requestRate.length);
  assert.ok(s.t.length > 20);
  const arrivals = s.requestRate.reduce((a, v) => a + v * s.bucketS, 0);
  assert.equal(Math.round(arrivals), r.report.num_requests);
  const completions = s.completionRate.reduce((a, v) => a + v * s.bucketS, 0);
  assert.equal(Math.round(completions), r.report.completed_requests);
  assert.equal(s.queued.at(-1), 0);
  assert.equal(s.running.at(-1), 0);
  assert.ok(s.activeWorkers.every((w) => w === 2));
  assert.deepEqual(s.scalingEvents, []);
});

Deno.test("exports: CSV, JSON round trip and Parquet read back", async () => {
  const csv = results.toCSV(["run", "variant", "numGpuBlocks", "ttftP90"]).trim().split("\n");
  assert.equal(csv[0], "run,variant,numGpuBlocks,ttftP90");
  assert.equal(csv[4], `3,kv,4096,${results.rows[3].ttftP90}`);
  const back = Results.fromJSON(JSON.parse(JSON.stringify(results.toJSON())));
  assert.deepEqual(back.rows, results.rows);
  const rows = await parquetReadObjects({ file: results.toParquet().buffer as ArrayBuffer });
  assert.equal(rows.length, 4);
  assert.equal(rows[3].variant, "kv");
  assert.equal(rows[3].ttftP90, results.rows[3].ttftP90);
  assert.equal(rows[0].goodput, results.rows[0].goodput);
  await withTempDir(async (dir) => {
    for (const ext of ["csv", "json", "parquet"]) await results.save(`${dir}/r.${ext}`);
    assert.deepEqual((await Results.load(`${dir}/r.json`)).rows, results.rows);
    await assert.rejects(() => Results.load(`${dir}/r.csv`), /reads a \.json export/);
    await assert.rejects(() => results.save(`${dir}/new/r.xlsx`), /unknown format/);
    await assert.rejects(
      Deno.stat(`${dir}/new`),
      Deno.errors.NotFound,
      "no folder left for a refused format",
    );
  });
});

Deno.test("a malformed results file is an input error naming the file and field", async () => {
  const json = JSON.parse(JSON.stringify(results.toJSON()));
  await withTempDir(async (dir) => {
    const expect = async (content: unknown, message: RegExp) => {
      await Deno.writeTextFile(`${dir}/bad.json`, JSON.stringify(content));
      await assert.rejects(() => Results.load(`${dir}/bad.json`), (e) => {
        assert(e instanceof InputError && message.test(e.message), String(e));
        return true;
      });
    };
    await expect({ bad: 1 }, /bad\.json: not a dynolab results file/);
    await expect({ format: "dynolab-results/1" }, /bad\.json: runs: must be an array of runs/);
    await expect({ ...json, runs: [{ index: 0 }] }, /bad\.json: runs\[0\]\.name: must be a string/);
    const { params: _, ...noParams } = json.runs[1];
    await expect({ ...json, runs: [json.runs[0], noParams] }, /runs\[1\]\.params: must be an object/);
  });
});

function assertSvg(svg: string, texts: string[]): void {
  const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
  assert.equal(doc.documentElement?.tagName.toLowerCase(), "svg");
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  for (const t of texts) assert.ok(svg.includes(t), `missing ${t}`);
  assert.ok((svg.match(/<path/g) ?? []).length > 2, "no lines drawn");
}

Deno.test("plots: sweep, timeline and comparison figures render to SVG and display in Jupyter", () => {
  const sweep = results.plot("numGpuBlocks", ["ttftP90", "itlAvg"]);
  assert.equal(sweep.panels.length, 2);
  assertSvg(sweep.toSVG(), ["ttftP90", "itlAvg", "numGpuBlocks", "kv"]);
  assertSvg(results.timeline(0).toSVG(), ["workers", "TTFT (ms)", "SLA"]);
  assertSvg(results.compare().toSVG(), ["gpuHours"]);
  const display = sweep[JUPYTER_DISPLAY]();
  assert.ok(display["image/svg+xml"].startsWith("<svg"));
  assert.ok(sweep.toHTML().startsWith("<figure"));
  const table = results[JUPYTER_DISPLAY]();
  assert.ok(table["text/html"].includes("<table") && table["text/html"].includes("ttftP90"));
  assert.ok(table["text/plain"].includes("numGpuBlocks"));
  assert.throws(() => results.plot("numGpuBlocks", ["nope"]), /unknown column "nope"/);
});

Deno.test("a panel with a colour legend draws the chart with its swatches redrawn in SVG", () => {
  const data = [{ x: 1, y: 2, c: "short" }, { x: 2, y: 1, c: "long" }, { x: 3, y: 3, c: "short" }];
  const figure = new Figure([{
    height: 120,
    color: { legend: true },
    marks: [Plot.line(data, { x: "x", y: "y", stroke: "c" })],
  }], "legend");
  const svg = figure.toSVG();
  assertSvg(svg, ["legend"]);
  const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
  const legend = doc.querySelector('g[aria-label="legend"]');
  assert.deepEqual(
    Array.from(legend.querySelectorAll("text"), (t: { textContent: string }) => t.textContent),
    [
      "long",
      "short",
    ],
  );
  assert.equal(legend.querySelectorAll("rect").length, 2);
  assert.ok(!svg.includes("<span") && !svg.includes("<div"), "no HTML left in the SVG");
  assert.ok(doc.querySelectorAll('g[aria-label="line"] path').length >= 2, "the chart itself is drawn");
});

Deno.test("a comparison without sweeps draws bars per variant", async () => {
  const r = await scenario("bars").trace(MINI_TRACE)
    .compare({ one: (s) => s.agg({ workers: 1 }), two: (s) => s.agg({ workers: 2 }) })
    .run(QUIET);
  const svg = r.compare(["ttftP90", "gpuHours"]).toSVG();
  assert.ok(svg.includes("one") && svg.includes("two"));
  assert.ok((svg.match(/<rect/g) ?? []).length >= 5);
});

Deno.test("variants that sweep different parameters each get their line in a comparison", async () => {
  const r = await scenario("mixed").trace(MINI_TRACE)
    .compare({
      agg: (s) => s.agg({}).sweep("workers", [1, 2]),
      disagg: (s) => s.disagg({}).sweep("decodeWorkers", [1, 2]),
    })
    .run(QUIET);
  const figure = r.compare(["ttftAvg"]);
  const svg = figure.toSVG();
  assert.ok(svg.includes(">agg<") && svg.includes(">disagg<"), "a label per variant");
  assert.ok(svg.includes("workers / decodeWorkers"), "the axis names both parameters");
  assert.equal((svg.match(/<circle/g) ?? []).length, 4, "every run is drawn");
  // A variant that sweeps nothing is a labelled level line, not a point at an x of "null".
  const level = await scenario("level").trace(MINI_TRACE)
    .compare({ swept: (s) => s.agg({}).sweep("workers", [1, 2]), baseline: (s) => s.agg({ workers: 2 }) })
    .run(QUIET);
  const levelSvg = level.compare(["ttftAvg"]).toSVG();
  assert.ok(!levelSvg.includes(">null<") && levelSvg.includes(">baseline<"), levelSvg);
  assert.ok(levelSvg.includes('aria-label="rule"'), "the baseline is a rule");
  // Swept integers are ticked at their values.
  assert.ok(levelSvg.includes(">1<") && levelSvg.includes(">2<") && !levelSvg.includes(">1.5<"), levelSvg);
  // So in a plot against one variant's parameter: the other variant is a level line, its label has no "=null".
  const plotted = level.plot("workers", ["ttftAvg"]).toSVG();
  assert.ok(!plotted.includes("null") && plotted.includes('aria-label="rule"'), plotted);
});

Deno.test("a swept axis of strings keeps the sweep's order", async () => {
  const modes = ["round_robin", "random", "kv_router"];
  const r = await scenario("modes").trace(MINI_TRACE).agg({ workers: 2 }).sweep("routerMode", modes as never)
    .run(QUIET);
  const svg = r.plot("routerMode", ["ttftAvg"]).toSVG();
  const at = modes.map((m) => svg.indexOf(`>${m}<`));
  assert.ok(at.every((i) => i >= 0), svg);
  assert.deepEqual([...at].sort((a, b) => a - b), at, "ticks in sweep order");
});

Deno.test("show() outside Jupyter prints the text form", async () => {
  const printed: unknown[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void printed.push(...args);
  try {
    await results.show();
    await results.plot("numGpuBlocks", "ttftP90").show();
  } finally {
    console.log = log;
  }
  assert.match(String(printed[0]), /results: 4 run\(s\)/);
  assert.match(String(printed[1]), /^Figure: /);
});
