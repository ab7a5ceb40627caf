/** The `replay` command's outputs: the summary table, the JSON and JSONL reports, where they are written. */
import assert from "node:assert/strict";
import { cli, cliIn, GOOD, tempTrace } from "./_cli.ts";

Deno.test("cli: a trace replay prints the AIPerf table and writes the JSON and JSONL reports", async () => {
  await using temp = await tempTrace([
    GOOD,
    '{"timestamp": 100, "input_length": 700, "output_length": 3, "hash_ids": [1, 2]}',
  ]);
  const { dir, trace } = temp;
  const res = await cli([
    trace,
    "--num-workers",
    "2",
    "--router-mode",
    "kv_router",
    "--report-json",
    `${dir}/r.json`,
    "--report-jsonl",
    `${dir}/r.jsonl`,
  ]);
  assert.equal(res.code, 0, res.err);
  assert.match(res.out, /^NVIDIA AIPerf \| LLM Metrics\n┏━/);
  assert.match(res.out, /┃ Request Count \(requests\) +┃ +2\.00 ┃/);
  assert.match(res.out, /Saved full report to: .*r\.json/);
  const report = JSON.parse(await Deno.readTextFile(`${dir}/r.json`));
  assert.equal(report.completed_requests, 2);
  assert.ok(report.wall_time_ms > 0);
  const keys = Object.keys(report);
  assert.deepEqual(keys, [...keys].sort());
  const lines = (await Deno.readTextFile(`${dir}/r.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  assert.equal(lines[1].reused_input_tokens, 576); // the 9 full 64-token blocks of the first prompt
  assert.equal(lines[0].terminal_status, "completed");
});

Deno.test("cli: the JSONL keeps the trace's session ids and says why a request was rejected", async () => {
  await using temp = await tempTrace([
    '{"timestamp": 0, "input_length": 600, "output_length": 4, "hash_ids": [1, 2], "session_id": "alice"}',
    '{"timestamp": 50, "input_length": 600, "output_length": 4, "hash_ids": [3, 4], "session_id": 17}',
    '{"timestamp": 60, "input_length": 600, "output_length": 4, "hash_ids": [5, 6]}',
    '{"input_length": 900, "output_length": 4, "hash_ids": [1, 2], "session_id": "alice", "delay": 10}',
  ]);
  const { dir, trace } = temp;
  const res = await cli([
    trace,
    ...["--extra-engine-args", '{"max_model_len": 800}'],
    ...["--report-json", `${dir}/r.json`, "--report-jsonl", `${dir}/r.jsonl`],
  ]);
  assert.equal(res.code, 0, res.err);
  assert.match(
    res.out,
    /Rejected: 1 of 4 requests, in no statistic \(1 with a prompt at or over max_model_len\)/,
  );
  const lines = (await Deno.readTextFile(`${dir}/r.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
  const rejected = lines.filter((l) => l.terminal_status === "rejected");
  assert.deepEqual(rejected.map((l) => [l.session_id, l.reject_reason]), [["alice", "max_model_len"]]);
  const ids = lines.map((l) => [l.session_id, l.turn_index, l.authored_turn_index]);
  const byKey = (a: unknown[], b: unknown[]) => String(a).localeCompare(String(b));
  assert.deepEqual(ids.sort(byKey), [[17, 0, 0], ["alice", 0, 0], ["alice", 1, 1], ["request_3", 0, 0]]);
});

Deno.test("cli: a run that ends no request writes an empty JSONL, not a blank line", async () => {
  await using temp = await tempTrace([GOOD]);
  const { dir, trace } = temp;
  const res = await cli([
    trace,
    ...["--max-sim-time-seconds", "0.001"],
    ...["--report-json", `${dir}/r.json`, "--report-jsonl", `${dir}/r.jsonl`],
  ]);
  assert.equal(res.code, 0, res.err);
  assert.equal(await Deno.readTextFile(`${dir}/r.jsonl`), "");
});

Deno.test("cli: a disaggregated replay's JSONL times each request's hand-off", async () => {
  await using temp = await tempTrace([
    GOOD,
    '{"timestamp": 5, "input_length": 1000, "output_length": 6, "hash_ids": [7, 8]}',
  ]);
  const { dir, trace } = temp;
  // 1000 tokens × 100 kB at 10 GB/s: a 10 ms transfer.
  const stage = JSON.stringify({ kv_bytes_per_token: 100_000, kv_transfer_bandwidth: 10 });
  const res = await cli([
    trace,
    ...["--prefill-engine-args", stage, "--decode-engine-args", "{}"],
    ...["--report-json", `${dir}/r.json`, "--report-jsonl", `${dir}/r.jsonl`],
  ]);
  assert.equal(res.code, 0, res.err);
  const lines = (await Deno.readTextFile(`${dir}/r.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
  const r = lines[1];
  assert.equal(r.prefill_admit_ms, r.first_admit_ms);
  assert(r.prefill_admit_ms >= r.arrival_time_ms && r.source_held_ms > r.prefill_admit_ms);
  // vLLM's order: the source holds the KV, the idle decode worker reserves blocks at once, the transfer runs,
  // and the source frees its copy when it lands.
  assert.equal(r.destination_reserved_ms, r.source_held_ms);
  assert(Math.abs(r.destination_activated_ms - r.destination_reserved_ms - 10) < 1e-9);
  assert.equal(r.source_released_ms, r.destination_activated_ms);
  assert(r.decode_admit_ms >= r.destination_activated_ms && r.first_token_ms > r.decode_admit_ms);
  // Admitted once by each pool, as the reference's admission history counts them.
  assert.deepEqual([r.admission_count, r.readmission_count], [2, 0]);
  // Routed twice: by the prefill router on arrival, by the decode router when the prefill finished.
  const stages = r.routing_history.map((s: Record<string, unknown>) => [s.pool, s.outcome, s.routed_at_ms]);
  const times = [r.arrival_time_ms, r.source_held_ms];
  assert.deepEqual(stages, [["prefill", "immediate", times[0]], ["decode", "immediate", times[1]]]);
  // Transfers of 600 and 1,000 tokens: 6 and 10 ms.
  assert.match(
    res.out,
    /Hand-off: 0\.0% of requests waited for decode KV; transfer mean 8\.00 ms; decode queue/,
  );
  // Agg runs have no hand-off.
  const agg = await cli([trace, "--report-json", `${dir}/a.json`, "--report-jsonl", `${dir}/a.jsonl`]);
  assert.equal(agg.code, 0, agg.err);
  const [a] = (await Deno.readTextFile(`${dir}/a.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual([a.prefill_admit_ms, a.source_held_ms, a.decode_admit_ms], [null, null, null]);
  assert.equal(a.dp_rank, 0);
  // With DP ranks, the rank of the engine that decoded: both ranks of the one worker serve the two requests.
  const dp = await cli([
    trace,
    ...["--extra-engine-args", '{"dp_size": 2}', "--router-mode", "kv_router", "--num-workers", "1"],
    ...["--report-json", `${dir}/d.json`, "--report-jsonl", `${dir}/d.jsonl`],
  ]);
  assert.equal(dp.code, 0, dp.err);
  const rows = (await Deno.readTextFile(`${dir}/d.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((x) => [x.decode_worker_idx, x.dp_rank]).sort(), [[0, 0], [0, 1]]);
});

Deno.test("cli: a report path that is a directory gets a timestamped file inside", async () => {
  await using temp = await tempTrace([GOOD]);
  const { dir, trace } = temp;
  const res = await cli([trace, "--report-json", dir]);
  assert.equal(res.code, 0, res.err);
  const names = [...Deno.readDirSync(dir)].map((e) => e.name);
  assert.ok(names.some((n) => /^dynamo_replay_report_\d{8}_\d{6}\.json$/.test(n)), names.join());
});

Deno.test("cli: a new directory given with a trailing slash is created with the timestamped report inside", async () => {
  await using temp = await tempTrace([GOOD]);
  const { dir, trace } = temp;
  const res = await cli([trace, "--report-json", `${dir}/new/`]);
  assert.equal(res.code, 0, res.err);
  const names = [...Deno.readDirSync(`${dir}/new`)].map((e) => e.name);
  assert.equal(names.length, 1, names.join());
  assert.match(names[0], /^dynamo_replay_report_\d{8}_\d{6}\.json$/);
});

Deno.test("cli: output paths that cannot take a file fail before the run, leaving nothing behind", async () => {
  const planner = (
    dir: string,
  ) => ["--planner-config", JSON.stringify({ mode: "agg", report_output_dir: dir })];
  const cases: [(dir: string) => string[], RegExp][] = [
    [() => ["--report-json", ""], /--report-json: empty path/],
    [() => ["--report-json", "r.json", "--report-jsonl", "out"], /--report-jsonl: ".*out" is a directory/],
    [() => ["--report-json", "r.json", "--report-jsonl", "new/"], /--report-jsonl: ".*new\/" is a directory/],
    [
      () => ["--report-json", "r.json", "--report-jsonl", "./r.json"],
      /--report-jsonl: ".*" is also --report-json's path/,
    ],
    [
      (dir) => ["--report-json", "r.json", "--report-jsonl", `${dir}/r.json`],
      /--report-jsonl: ".*" is also --report-json's path/,
    ],
    [
      () => ["--report-json", "r.json", ...planner("r.json")],
      /--planner-config report_output_dir: "r.json" would need --report-json's file as a directory/,
    ],
    [
      () => ["--report-json", "r.json", "--report-jsonl", "r.json/x.jsonl"],
      /--report-jsonl: "r.json\/x.jsonl" would need --report-json's file as a directory/,
    ],
    [
      () => ["--report-json", "trace.jsonl"],
      /--report-json: "trace.jsonl" is the trace file, which the run reads/,
    ],
    [
      () => ["--report-json", "r.json", "--report-jsonl", "./out/../trace.jsonl"],
      /--report-jsonl: ".*" is the trace file, which the run reads; give the output its own file/,
    ],
    [
      () => [
        ...["--report-json", "r.json", "--planner-config"],
        JSON.stringify({ mode: "agg", report_output_dir: ".", report_filename: "out" }),
      ],
      /--planner-config report_filename: ".*out" is a directory/,
    ],
    [
      () => [
        ...["--report-json", "r.json", "--planner-config"],
        JSON.stringify({ mode: "agg", report_output_dir: ".", report_filename: "r.json" }),
      ],
      /--planner-config report_filename: ".*r.json" is also --report-json's path/,
    ],
    [
      () => [
        ...["--report-json", "r.json", "--report-jsonl", "./run_002.html", "--planner-config"],
        JSON.stringify({ mode: "agg", report_output_dir: ".", report_filename: "run.html" }),
      ],
      /--report-jsonl: ".\/run_002.html" is the name of one of the planner's interval reports/,
    ],
    [
      () => ["--report-json", "trace.jsonl/sub/r.json"],
      /--report-json: cannot create "trace.jsonl\/sub\/r.json": ".*trace.jsonl" is a file, not a directory/,
    ],
  ];
  for (const [flagsOf, pattern] of cases) {
    await using temp = await tempTrace([GOOD]);
    const { dir, trace } = temp;
    const flags = flagsOf(dir);
    await Deno.mkdir(`${dir}/out`);
    // A child process started in `dir`: chdir here would move the cwd of every test module running beside
    // this one (`deno test --parallel` runs them in one process).
    const res = await cliIn(dir, [trace, ...flags]);
    assert.equal(res.code, 2, `${flags.join(" ")}: ${res.err}`);
    assert.match(res.err, pattern);
    assert.equal(res.out, "");
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(left, ["out", "trace.jsonl"], flags.join(" "));
  }
});

Deno.test("cli: an output path through a symbolic link writes the file it names, keeping the link", async () => {
  await using temp = await tempTrace([GOOD]);
  const { dir, trace } = temp;
  await Deno.writeTextFile(`${dir}/real.json`, "old");
  await Deno.symlink(`${dir}/real.json`, `${dir}/link.json`);
  const res = await cli([trace, "--report-json", `${dir}/link.json`]);
  assert.equal(res.code, 0, res.err);
  assert((await Deno.lstat(`${dir}/link.json`)).isSymlink);
  assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/real.json`)).completed_requests, 1);
});

Deno.test("cli: a synthetic session is named session_<index> in the JSONL, as the reference names it", async () => {
  await using temp = await tempTrace([GOOD]);
  const { dir } = temp;
  const res = await cli([
    ...["--input-tokens", "100", "--output-tokens", "2", "--request-count", "2", "--request-rate", "1"],
    ...["--turns-per-session", "2", "--report-json", `${dir}/r.json`, "--report-jsonl", `${dir}/r.jsonl`],
  ]);
  assert.equal(res.code, 0, res.err);
  const lines = (await Deno.readTextFile(`${dir}/r.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
  const ids = lines.map((l) => [l.session_id, l.turn_index]).sort((a, b) => `${a}`.localeCompare(`${b}`));
  assert.deepEqual(ids, [["session_0", 0], ["session_0", 1], ["session_1", 0], ["session_1", 1]]);
});
