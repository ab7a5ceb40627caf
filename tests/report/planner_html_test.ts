/**
 * The planner's HTML report in headless Chromium: it loads with no console error and no failed request, makes no
 * request besides the page itself, and its screenshot shows the charts.
 */
import assert from "node:assert/strict";
import { main } from "../../lib/cli/mod.ts";
import { thin } from "../../lib/report/planner_html.ts";
import { browserTest, decodePng, imageStats, visit } from "../_browser.ts";
import { tempDir } from "../_temp.ts";

/** A small bursty run that scales, written to `dir`. */
async function plannerRun(dir: string): Promise<string> {
  const lines: string[] = [];
  for (let t = 0; t < 180_000; t += 100) {
    if ((t < 50_000 || t >= 130_000) && t % 2000 !== 0) continue;
    lines.push(
      JSON.stringify({ timestamp: t, input_length: 5000, output_length: 40, hash_ids: [t, t + 1, t + 2] }),
    );
  }
  await Deno.writeTextFile(`${dir}/t.jsonl`, lines.join("\n") + "\n");
  const planner = {
    mode: "agg",
    optimization_target: "sla",
    ttft: 600,
    enable_load_scaling: true,
    throughput_adjustment_interval: 30,
    load_adjustment_interval: 5,
    report_output_dir: dir,
    report_filename: "report.html",
  };
  const code = await main(
    [
      `${dir}/t.jsonl`,
      "--planner-config",
      JSON.stringify(planner),
      "--extra-engine-args",
      '{"startup_time": 8}',
      "--report-json",
      `${dir}/r.json`,
    ],
    { out: () => {}, err: () => {} },
  );
  assert.equal(code, 0);
  return `${dir}/report.html`;
}

browserTest(
  "planner HTML: loads cleanly in headless Chromium and the screenshot shows charts",
  async (chromium) => {
    await using tmp = await tempDir();
    const dir = tmp.path;
    const html = await plannerRun(dir);
    const page = await visit(chromium, `file://${html}`);
    assert.deepEqual(page.consoleErrors, []);
    assert.deepEqual(page.failedRequests, []);
    assert.deepEqual(page.requests, [`file://${html}`], "self-contained: no other request");
    await Deno.writeFile(`${dir}/screenshot.png`, page.screenshot);
    const img = await decodePng(page.screenshot);
    assert.equal(img.width, 1300);
    const stats = imageStats(img);
    assert.ok(stats.variance > 100, `luminance variance ${stats.variance}`);
    assert.ok(stats.inkShare > 0.1, `non-background share ${stats.inkShare}`);
  },
);

browserTest(
  "browser check: a blank page is recognised as blank, a page error is caught",
  async (chromium) => {
    await using tmp = await tempDir();
    const dir = tmp.path;
    await Deno.writeTextFile(
      `${dir}/blank.html`,
      "<!DOCTYPE html><html><body style='background:white'></body></html>",
    );
    const blank = await visit(chromium, `file://${dir}/blank.html`, 400, 300);
    assert.ok(imageStats(await decodePng(blank.screenshot)).variance < 1);
    await Deno.writeTextFile(
      `${dir}/bad.html`,
      "<!DOCTYPE html><html><body><img src='missing.png'><script>console.error('boom')</script></body></html>",
    );
    const bad = await visit(chromium, `file://${dir}/bad.html`, 400, 300);
    assert.ok(bad.consoleErrors.some((e) => e.includes("boom")), JSON.stringify(bad.consoleErrors));
    assert.equal(bad.failedRequests.length, 1);
  },
);

Deno.test("planner HTML: long series are thinned per series, keeping each bucket's peak", () => {
  const rows = Array.from(
    { length: 5000 },
    (_, t) => ({ t, value: t === 4321 ? 1e9 : t % 10, series: t % 2 ? "a" : "b" }),
  );
  const out = thin(rows, "series", 100);
  assert.equal(out.filter((r) => r.series === "a").length, 100);
  assert.equal(out.filter((r) => r.series === "b").length, 100);
  assert.ok(out.some((r) => r.value === 1e9), "the spike survives");
  assert.equal(thin(rows.slice(0, 50), "series", 100).length, 50, "short series are kept whole");
});

Deno.test("planner HTML: a run of one tick, its series flat, labels every axis tick (no NaN)", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  // Five prompts at once, done after the first tick (at 5 s, the load interval).
  const rows = [[6758, 500], [7322, 490], [7236, 794], [2290, 316], [6760, 3]].map(([isl, osl], i) =>
    JSON.stringify({
      timestamp: 0,
      input_length: isl,
      output_length: osl,
      hash_ids: Array.from({ length: Math.ceil(isl / 512) }, (_, k) => 100 * i + k),
    })
  );
  await Deno.writeTextFile(`${dir}/t.jsonl`, rows.join("\n") + "\n");
  const planner = { mode: "agg", report_output_dir: dir, report_filename: "report.html" };
  const argv = [
    `${dir}/t.jsonl`,
    "--planner-config",
    JSON.stringify(planner),
    "--report-json",
    `${dir}/r.json`,
  ];
  assert.equal(await main(argv, { out: () => {}, err: () => {} }), 0);
  const html = await Deno.readTextFile(`${dir}/report.html`);
  assert.match(html, /aria-label="y-axis tick label"/);
  assert.doesNotMatch(html, />NaN</);
});
