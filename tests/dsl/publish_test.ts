import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { Findings, JUPYTER_DISPLAY, notebookFindings, publish, scenario } from "../../mod.ts";
import { browserTest, decodePng, imageStats, type PageVisit, visit } from "../_browser.ts";
import { MINI_TRACE, QUIET } from "./_helpers.ts";
import { withTempDir } from "../_temp.ts";

const study = scenario("publish").trace(MINI_TRACE).compare({
  one: (s) => s.agg({ workers: 1 }),
  two: (s) => s.agg({ workers: 2 }),
}).sweep("numGpuBlocks", [1024, 4096]);
const results = await study.run(QUIET);

function findings(): Findings {
  return new Findings("Publish test")
    .text("## Setup\n\nOne or two workers on the *mini* trace; a [link](#setup).")
    .table(results)
    .figure(results.plot("numGpuBlocks", ["ttftP90", "itlAvg"]), "latency vs KV capacity")
    .figure(results.timeline(3), "the last run over time")
    .scenario(study);
}

Deno.test("findings: markdown with figure files, and a self-contained page", async () => {
  await withTempDir(async (dir) => {
    const { html, markdown } = await findings().write(dir);
    assert.equal(html, `${dir}/publish-test.html`);
    const md = await Deno.readTextFile(markdown);
    assert.match(md, /^# Publish test/);
    assert.match(md, /\| variant \| numGpuBlocks \| ttftAvg/);
    assert.match(md, /!\[latency vs KV capacity\]\(publish-test\/figure-1\.svg\)/);
    assert.ok((await Deno.readTextFile(`${dir}/publish-test/figure-2.svg`)).startsWith("<svg"));
    const page = await Deno.readTextFile(html);
    assert.ok(!/<script|<link|src="http|href="http/.test(page), "the page loads nothing external");
    assert.ok(page.includes("&quot;num_gpu_blocks&quot;: 4096"), "the scenario's spec is on the page");
  });
});

Deno.test("findings: a page written again with fewer figures leaves none of the earlier ones behind", async () => {
  await withTempDir(async (dir) => {
    await findings().write(dir);
    const one = new Findings("Publish test").figure(results.plot("numGpuBlocks", ["ttftP90"]), "one");
    await one.write(dir);
    assert.deepEqual([...Deno.readDirSync(`${dir}/publish-test`)].map((e) => e.name), ["figure-1.svg"]);
    await new Findings("Publish test").text("No figures.").write(dir);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).toSorted(), [
      "publish-test.html",
      "publish-test.md",
    ]);
  });
});

Deno.test("findings: markdown table cells show HTML in a variant's name as text", async () => {
  const sc = scenario("<b>esc</b>").trace(MINI_TRACE).compare({ "<i>c</i> | d": (s) => s.agg({}) });
  const md = new Findings("Escapes").table(await sc.run(QUIET), ["variant", "ttftAvg"]).scenario(sc)
    .toMarkdown();
  assert.ok(md.includes("| &lt;i>c&lt;/i> \\| d |"), md);
  assert.ok(md.includes("Scenario spec: &lt;b&gt;esc&lt;/b&gt;"), md);
  // In the fenced code blocks the calls and specs stay as written.
  assert.ok(md.includes('scenario("<b>esc</b>")'), md);
});

Deno.test("findings: a table column that does not exist is an error with a suggestion", () => {
  assert.throws(
    () => new Findings("F").table(results, ["ttftp90"]),
    /unknown column "ttftp90" \(did you mean ttftP90\?\)/,
  );
});

/** Open a local page and check it loads cleanly and self-contained. */
async function openPage(chromium: string, file: string): Promise<PageVisit> {
  const url = `file://${await Deno.realPath(file)}`;
  const page = await visit(chromium, url, 1100, 1400);
  assert.deepEqual(page.consoleErrors, []);
  assert.deepEqual(page.failedRequests, []);
  assert.deepEqual(page.requests, [url], "self-contained: no other request");
  return page;
}

browserTest(
  "a published findings page loads in headless Chromium without errors and is not blank",
  async (chromium) => {
    await withTempDir(async (dir) => {
      const { html } = await findings().write(dir);
      const page = await openPage(chromium, html);
      assert.equal(page.title, "Publish test");
      assert.ok(page.svgCount >= 2, `${page.svgCount} svg elements`);
      const { variance, inkShare } = imageStats(await decodePng(page.screenshot));
      assert.ok(inkShare > 0.02 && variance > 100, `blank screenshot? ink ${inkShare}, variance ${variance}`);
    });
  },
);

browserTest("a published notebook page shows its figures", async (chromium) => {
  const notebook = {
    cells: [
      { cell_type: "markdown", source: ["# Notebook study\n", "\n", "Text with **bold**."] },
      {
        cell_type: "code",
        source: "study",
        outputs: [{ output_type: "execute_result", data: study[JUPYTER_DISPLAY]() }],
      },
      {
        cell_type: "code",
        source: "results",
        outputs: [{ output_type: "execute_result", data: results[JUPYTER_DISPLAY]() }],
      },
      {
        cell_type: "code",
        source: "results.plot(…)",
        outputs: [{
          output_type: "display_data",
          data: results.plot("numGpuBlocks", "ttftP90")[JUPYTER_DISPLAY](),
        }],
      },
      { cell_type: "code", source: "console.log(1)", outputs: [{ output_type: "stream", text: ["1\n"] }] },
    ],
  };
  await withTempDir(async (dir) => {
    const path = `${dir}/study.ipynb`;
    await Deno.writeTextFile(path, JSON.stringify(notebook));
    const [page] = await publish(path, dir);
    assert.equal(page, `${dir}/notebook-study.html`);
    const visited = await openPage(chromium, page);
    assert.ok(visited.svgCount >= 1);
    const { inkShare } = imageStats(await decodePng(visited.screenshot));
    assert.ok(inkShare > 0.02, `ink ${inkShare}`);
  });
});

Deno.test("a notebook with a failed cell is not published", () => {
  const nb = {
    cells: [{
      cell_type: "code",
      source: "x",
      outputs: [{ output_type: "error", ename: "E", evalue: "boom" }],
    }],
  };
  assert.throws(
    () => notebookFindings(nb as never, "bad.ipynb"),
    (e) => e instanceof InputError && /a cell failed/.test(e.message),
  );
});

Deno.test("a malformed notebook is an input error naming the file and field", () => {
  const expect = (nb: unknown, message: RegExp) =>
    assert.throws(() => notebookFindings(nb as never, "bad.ipynb"), (e) => {
      assert(e instanceof InputError && message.test(e.message), String(e));
      return true;
    });
  expect(null, /bad\.ipynb: not a notebook \(no cells\)/);
  expect({ cells: [null] }, /bad\.ipynb: cells\[0\]: must be a cell with a cell_type/);
  expect({ cells: [{ cell_type: "markdown", source: 5 }] }, /cells\[0\]\.source: must be a string or a list/);
  expect(
    {
      cells: [{
        cell_type: "code",
        source: "x",
        outputs: [{ output_type: "display_data", data: { "text/html": 1 } }],
      }],
    },
    /cells\[0\]\.outputs\[0\]\.data\["text\/html"\]: must be a string or a list of strings/,
  );
  // A MIME type the page does not show may hold anything (widgets put objects there).
  const widget = { output_type: "display_data", data: { "application/json": { a: 1 }, "text/plain": "ok" } };
  assert.ok(
    notebookFindings({ cells: [{ cell_type: "code", source: "x", outputs: [widget] }] } as never, "w.ipynb")
      .toHTML().includes("ok"),
  );
});

Deno.test("deno task publish runs a scenario script and reports the page it wrote", async () => {
  await withTempDir(async (dir) => {
    const pages = await publish("tests/dsl/fixtures/findings_scenario.ts", dir);
    assert.deepEqual(pages, [`${dir}/mini-findings.html`]);
    assert.match(await Deno.readTextFile(pages[0]), /Two workers halve the queueing/);
    await assert.rejects(() => publish("tests/dsl/fixtures/nope.ts", dir), /no such file/);
    // A script outside any Deno project, importing dynolab from the checkout, resolves through its deno.json.
    const mod = new URL("../../mod.ts", import.meta.url).href;
    const fixtures = new URL("./fixtures/", import.meta.url).href;
    const script = (await Deno.readTextFile("tests/dsl/fixtures/findings_scenario.ts"))
      .replace('"../../../mod.ts"', JSON.stringify(mod))
      .replace(
        'new URL("./mini_trace.jsonl", import.meta.url)',
        `new URL("mini_trace.jsonl", "${fixtures}")`,
      );
    await Deno.writeTextFile(`${dir}/outside.ts`, script);
    assert.deepEqual(await publish(`${dir}/outside.ts`, `${dir}/out`), [`${dir}/out/mini-findings.html`]);
  });
});
