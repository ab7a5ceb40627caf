/**
 * The `replay` command with `--planner-config`: outputs, config files, errors, and the reference's bash sweep.
 */
import assert from "node:assert/strict";
import { sharedPath, sharedTest } from "../_shared.ts";
import { cli } from "./_cli.ts";
import { tempDir } from "../_temp.ts";

/** A bursty Mooncake trace: a quiet minute (0.5 req/s), a 2-minute burst (10 req/s), a quiet minute. */
async function burstyTrace(dir: string): Promise<string> {
  const lines: string[] = [];
  for (let t = 0; t < 240_000; t += 100) {
    const burst = t >= 60_000 && t < 180_000;
    if (!burst && t % 2000 !== 0) continue;
    const isl = 3000 + (t % 7) * 500;
    lines.push(
      JSON.stringify({
        timestamp: t,
        input_length: isl,
        output_length: 60,
        hash_ids: Array.from({ length: Math.ceil(isl / 512) }, (_, i) => t * 100 + i),
      }),
    );
  }
  const path = `${dir}/bursty.jsonl`;
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}

const SLA_PLANNER = {
  mode: "agg",
  optimization_target: "sla",
  ttft: 800,
  itl: 60,
  enable_throughput_scaling: true,
  enable_load_scaling: true,
  throughput_adjustment_interval: 60,
  load_adjustment_interval: 5,
  report_filename: "run.html",
};

Deno.test("cli planner: prints events, ticks and GPU hours; writes the HTML and the JSON details", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const trace = await burstyTrace(dir);
  const planner = { ...SLA_PLANNER, report_output_dir: `${dir}/reports`, decode_engine_num_gpu: 2 };
  const res = await cli([
    trace,
    "--planner-config",
    JSON.stringify(planner),
    "--extra-engine-args",
    '{"startup_time": 10}',
    "--num-workers",
    "1",
    "--report-json",
    `${dir}/out.json`,
  ]);
  assert.equal(res.code, 0, res.err);
  assert.match(
    res.out,
    /^Planner: mode agg, target sla \(TTFT 800 ms, ITL 60 ms\): throughput scaling on, load scaling on$/m,
  );
  const events = res.out.split("\n").filter((l) => l.startsWith("t="));
  assert.ok(events.length >= 2, res.out);
  for (const e of events) assert.match(e, /^t=\d+\.\ds \[agg\]: \d+ -> \d+ workers \(scale_(up|down)\)$/);
  assert.ok(events.some((e) => e.endsWith("(scale_up)")), "the burst scales up");
  // Only event lines mention scale_up/scale_down, so sweeps can count them with grep.
  assert.equal(res.out.split("\n").filter((l) => /scale_(up|down)/.test(l)).length, events.length);
  const ticks = Number(/^Planner ticks: (\d+)$/m.exec(res.out)![1]);
  assert.ok(ticks >= 40);
  const gpuHours = Number(/GPU hours: ([0-9.]+)/.exec(res.out)![1]);
  assert.ok(gpuHours > 0);
  assert.match(res.out, new RegExp(`^Planner report: ${dir}/reports/run.html$`, "m"));
  assert.doesNotMatch(res.err, /engine_num_gpu unset/);

  const html = await Deno.readTextFile(`${dir}/reports/run.html`);
  assert.match(html, /<title>Planner Diagnostics Report<\/title>/);
  assert.match(html, new RegExp(`Scaling events: ${events.length} \\| GPU hours: ${gpuHours.toFixed(2)}`));
  assert.equal((html.match(/GPU hours: [0-9.]+/g) ?? []).length, 1, "one greppable GPU-hours figure");
  assert.match(html, /SLA targets: TTFT 800 ms, ITL 60 ms/);
  assert.equal((html.match(/<section class="panel">/g) ?? []).length, 12);
  assert.doesNotMatch(html, /<script|https?:\/\//);

  const report = JSON.parse(await Deno.readTextFile(`${dir}/out.json`));
  const p = report.planner;
  assert.equal(p.total_ticks, ticks);
  assert.equal(p.scaling_events.length, events.length);
  assert.equal(p.metadata.bootstrap.status, "installed");
  assert.ok(p.metadata.bootstrap.prefill_fpm_count > 0 && p.metadata.bootstrap.decode_fpm_count > 0);
  assert.match(p.metadata.planner_config_digest, /^[0-9a-f]{64}$/);
  assert.equal(p.ticks.rows.length, ticks);
  assert.equal(p.ticks.columns.length, p.ticks.rows[0].length);
  assert.ok(p.lifecycle_operations.some((o: { op: string }) => o.op === "activate"));
  assert.deepEqual(p.gpu_hours.gpus_per_worker, [2]);
  // Planner GPU-hours use the configured 2 GPUs per worker; the reference JSON figure the engine's TP × DP (1).
  assert.ok(Math.abs(p.gpu_hours.provisioned - 2 * report.gpu_hours) < 1e-9);
  assert.ok(p.gpu_hours.active <= p.gpu_hours.provisioned);

  // The per-tick log, gzipped JSON Lines, one line per tick.
  const gz = await Deno.readFile(`${dir}/reports/run.log.jsonl.gz`);
  const text = await new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip")))
    .text();
  const lines = text.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, ticks);
  assert.ok(lines.every((l, i) => i === 0 || l.atS >= lines[i - 1].atS));
});

Deno.test("cli planner: a GPU budget that holds back scaling up is warned about, with the ticks it did", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const trace = await burstyTrace(dir);
  const planner = { ...SLA_PLANNER, report_output_dir: `${dir}/reports`, decode_engine_num_gpu: 1 };
  const run = (budget: number) =>
    cli([
      trace,
      ...["--planner-config", JSON.stringify({ ...planner, max_gpu_budget: budget })],
      ...["--num-workers", "1", "--report-json", `${dir}/out.json`],
    ]);
  const capped = await run(1);
  assert.equal(capped.code, 0, capped.err);
  assert.match(
    capped.err,
    /warning: the GPU budget \(max_gpu_budget 1\) held back scaling up: the fleet would have grown further/,
  );
  assert.ok(JSON.parse(await Deno.readTextFile(`${dir}/out.json`)).planner.budget_capped_ticks > 0);
  assert.doesNotMatch((await run(-1)).err, /held back scaling up/);
});

Deno.test("cli planner: report_interval_hours adds one report per interval; notes on settings without effect", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const trace = await burstyTrace(dir);
  const planner = {
    ...SLA_PLANNER,
    report_output_dir: dir,
    report_interval_hours: 1 / 60,
    report_write_gzip_log: false,
    min_gpu_budget: 2,
    live_dashboard_port: 0,
  };
  const res = await cli([
    trace,
    "--planner-config",
    JSON.stringify(planner),
    "--report-json",
    `${dir}/out.json`,
  ]);
  assert.equal(res.code, 0, res.err);
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.startsWith("run")).sort();
  assert.deepEqual(names, ["run.html", "run_001.html", "run_002.html", "run_003.html", "run_004.html"]);
  const first = await Deno.readTextFile(`${dir}/run_001.html`);
  assert.match(first, /Planner Diagnostics Report/);
  assert.match(res.err, /min_gpu_budget is not enforced/);
  assert.match(res.err, /live_dashboard_port: live-deployment settings, no effect/);
});

Deno.test("cli planner: a YAML config file with aliases; unset GPU counts warn once and use TP × DP", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const trace = await burstyTrace(dir);
  await Deno.writeTextFile(
    `${dir}/planner.yaml`,
    `mode: agg\noptimization_target: latency\nload_adjustment_interval: 5\nreport_output_dir: ${dir}/r\nreport_filename: y.html\n`,
  );
  const res = await cli([
    trace,
    "--planner-config",
    `${dir}/planner.yaml`,
    "--extra-engine-args",
    '{"aic_tp_size": 2}',
    "--report-json",
    `${dir}/o.json`,
  ]);
  assert.equal(res.code, 0, res.err);
  assert.match(res.out, /target latency \(static thresholds\): throughput scaling off, load scaling on/);
  assert.equal(res.err.match(/decode_engine_num_gpu unset/g)?.length, 1);
  assert.match(res.err, /TP × DP = 2/);
  const report = JSON.parse(await Deno.readTextFile(`${dir}/o.json`));
  assert.ok(report.planner.gpu_hours.provisioned > 0, "never silently zero");
  assert.match(await Deno.readTextFile(`${dir}/r/y.html`), /Planner Diagnostics Report/);
});

Deno.test("cli planner: bad configs fail with one line naming the field, writing nothing", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const trace = await burstyTrace(dir);
  const bad = async (planner: string, extra: string[], pattern: RegExp) => {
    const res = await cli([trace, "--planner-config", planner, "--report-json", `${dir}/x.json`, ...extra]);
    assert.equal(res.code, 2, res.out);
    assert.equal(res.err.split("\n").length, 1, res.err);
    assert.match(res.err, pattern);
    await assert.rejects(() => Deno.stat(`${dir}/x.json`));
  };
  await bad(
    '{"mode": "agg", "ttft_msec": 3}',
    [],
    /--planner-config: unknown key "ttft_msec" \(did you mean ttft_ms\?\); valid keys: /,
  );
  await bad(
    '{"mode": "disagg"}',
    [],
    /--planner-config\.mode: mode "disagg" does not match the aggregated topology/,
  );
  await bad(
    '{"mode": "agg", "optimization_target": "sla", "load_predictor": "prophet"}',
    [],
    /use "arima", "kalman" or "constant"/,
  );
  await bad(
    '{"mode": "agg", "max_gpu_budget": 1}',
    ["--extra-engine-args", '{"aic_tp_size": 2}'],
    /max_gpu_budget: 1 GPUs cannot hold/,
  );
  // Each pool fits the budget alone; together they do not.
  await bad(
    '{"mode": "disagg", "max_gpu_budget": 6}',
    [
      ...["--prefill-engine-args", '{"aic_tp_size": 4}', "--decode-engine-args", '{"aic_tp_size": 4}'],
    ],
    /max_gpu_budget: 6 GPUs cannot hold the minimum fleet, 1 worker\(s\) of 4 GPU\(s\) \+ 1 worker\(s\) of 4 GPU\(s\) = 8 GPUs/,
  );
  await bad(`${dir}/missing.yaml`, [], /cannot read/);
  await bad('{"mode": "agg",', [], /--planner-config: malformed JSON/);
  // A file is read as JSON, then as YAML; the YAML parser's error comes as its one line naming line and column.
  for (const [name, kind] of [["planner", "JSON or YAML"], ["planner.yaml", "YAML"]]) {
    await Deno.writeTextFile(`${dir}/${name}`, "mode: agg\nttft_ms: [1\n");
    await bad(
      `${dir}/${name}`,
      [],
      new RegExp(`--planner-config: malformed ${kind}: .* at line 3, column 1$`),
    );
  }
});

/** The reference sweep script, for a trace, an output folder and a startup range; aic args dropped if unsupported. */
async function sweepScript(trace: string, out: string, seq: string): Promise<string> {
  const script = await Deno.readTextFile(
    new URL("../../scenarios/reference_startup_sweep.sh", import.meta.url),
  );
  return script.replace(/^TRACE=.*$/m, `TRACE=${trace}`).replace(/^OUT=.*$/m, `OUT=${out}`)
    .replace("seq 0 10 300", `seq ${seq}`);
}

sharedTest(
  "cli planner: the reference's xargs sweep works with `deno task replay` (2 runs) and greps GPU hours",
  async () => {
    await using tmp = await tempDir();
    const dir = tmp.path;
    // The first 20 minutes of the conversation trace keep the two runs short.
    const lines = (await Deno.readTextFile(sharedPath("traces/mooncake/conversation_trace.jsonl"))).split(
      "\n",
    );
    const short = lines.filter((l) => l && JSON.parse(l).timestamp < 1_200_000);
    await Deno.writeTextFile(`${dir}/trace.jsonl`, short.join("\n") + "\n");
    const script = await sweepScript(`${dir}/trace.jsonl`, `${dir}/out`, "0 60 60");
    await Deno.writeTextFile(`${dir}/sweep.sh`, script);
    const root = new URL("../..", import.meta.url).pathname;
    const html = ["dynosim_agg_startup_000.html", "dynosim_agg_startup_060.html"].map((f) =>
      `${root}planner_reports/${f}`
    );
    const made = await Deno.stat(`${root}planner_reports`).then(() => false, () => true);
    try {
      const run = await new Deno.Command("bash", {
        args: [`${dir}/sweep.sh`],
        cwd: root,
        env: { TRACE: "", OUT: "" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
      const hours: number[] = [];
      const events: number[] = [];
      for (const [i, s] of ["000", "060"].entries()) {
        const log = await Deno.readTextFile(`${dir}/out/startup_${s}.log`);
        assert.match(log, /Time to First Token \(ms\)/);
        events.push(log.split("\n").filter((l) => l.includes("scale_up")).length);
        const grep = await new Deno.Command("grep", {
          args: ["-o", "GPU hours: [0-9.]*", html[i]],
          stdout: "piped",
        }).output();
        const found = new TextDecoder().decode(grep.stdout).trim();
        assert.match(found, /^GPU hours: \d+\.\d\d$/);
        hours.push(Number(found.split(": ")[1]));
        JSON.parse(await Deno.readTextFile(`${dir}/out/startup_${s}.json`));
      }
      assert.ok(hours.every((h) => h > 0), `${hours}`);
      assert.ok(events[0] >= events[1], `scale-ups ${events}: a longer start-up scales less often`);
    } finally {
      // The reference's sweep writes into the default ./planner_reports: the report and its tick log.
      for (const f of html) {
        for (const path of [f, f.replace(/\.html$/, ".log.jsonl.gz")]) {
          await Deno.remove(path).catch(() => {});
        }
      }
      // And the folder, if the sweep made it (removed only when empty).
      if (made) await Deno.remove(`${root}planner_reports`).catch(() => {});
    }
  },
);

Deno.test("cli planner: --report-jsonl and --max-sim-time-seconds work with the planner (restrictions lifted)", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const trace = await burstyTrace(dir);
  const planner = { ...SLA_PLANNER, report_output_dir: dir };
  const res = await cli([
    trace,
    "--planner-config",
    JSON.stringify(planner),
    "--max-sim-time-seconds",
    "90",
    "--report-jsonl",
    `${dir}/r.jsonl`,
    "--report-json",
    `${dir}/r.json`,
  ]);
  assert.equal(res.code, 0, res.err);
  const report = JSON.parse(await Deno.readTextFile(`${dir}/r.json`));
  assert.equal(report.dynolab.truncated, true);
  assert.ok(report.incomplete_requests > 0);
  const last = report.planner.ticks.rows.at(-1)[0];
  assert.ok(last <= 90, `last tick at ${last} s`);
  const lines = (await Deno.readTextFile(`${dir}/r.jsonl`)).trim().split("\n");
  assert.equal(lines.length, report.completed_requests + report.rejected_requests);
});

Deno.test("cli planner: load_predictor_warmup_trace warms the demand predictors", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const trace = await burstyTrace(dir);
  const predicted = async (warmup: boolean) => {
    const planner = {
      ...SLA_PLANNER,
      load_predictor: "kalman",
      kalman_min_points: 1,
      report_output_dir: dir,
      ...(warmup ? { load_predictor_warmup_trace: trace } : {}),
    };
    const res = await cli([
      trace,
      "--planner-config",
      JSON.stringify(planner),
      "--report-json",
      `${dir}/w.json`,
    ]);
    assert.equal(res.code, 0, res.err);
    const p = JSON.parse(await Deno.readTextFile(`${dir}/w.json`)).planner.ticks;
    const col = p.columns.indexOf("predicted_num_req");
    return p.rows.find((r: unknown[]) => r[col] !== null)[col] as number;
  };
  const cold = await predicted(false), warm = await predicted(true);
  // Cold, the first forecast is the first window's count; warmed on the whole trace, the filter has a history.
  assert.notEqual(warm, cold);
});
