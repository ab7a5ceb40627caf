import assert from "node:assert/strict";
import { main } from "../../lib/cli/mod.ts";
import { parseCommand } from "../../lib/cli/flags.ts";
import { RouterConfigSchema } from "../../lib/router/mod.ts";
import { loadInputs, runSimulation } from "../../lib/simulate.ts";

interface Outcome {
  code: number;
  out: string;
  err: string;
}

async function cli(args: string[]): Promise<Outcome> {
  const out: string[] = [], err: string[] = [];
  const code = await main(args, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

async function tempTrace(lines: string[]): Promise<{ dir: string; trace: string }> {
  const dir = await Deno.makeTempDir();
  const trace = `${dir}/trace.jsonl`;
  await Deno.writeTextFile(trace, lines.join("\n") + "\n");
  return { dir, trace };
}

const GOOD = '{"timestamp": 0, "input_length": 600, "output_length": 4, "hash_ids": [1, 2]}';

async function expectBadInput(lines: string[], extra: string[], pattern: RegExp): Promise<void> {
  const { dir, trace } = await tempTrace(lines);
  const report = `${dir}/out/report.json`;
  const res = await cli([trace, "--report-json", report, ...extra]);
  assert.equal(res.code, 2, res.err);
  assert.match(res.err, /^error: /);
  assert.equal(res.err.split("\n").length, 1, "one-line error");
  assert.match(res.err, pattern);
  assert.equal(res.out, "");
  await assert.rejects(() => Deno.stat(report), "nothing written");
}

Deno.test("cli: malformed JSON line names file and line", async () => {
  await expectBadInput([GOOD, '{"timestamp": 1,'], [], /trace\.jsonl:2: malformed JSON/);
});

Deno.test("cli: missing required field names it", async () => {
  await expectBadInput(
    [GOOD, '{"timestamp": 1, "input_length": 5, "hash_ids": [1]}'],
    [],
    /:2: output_length: required/,
  );
});

Deno.test("cli: wrong-typed field names it", async () => {
  await expectBadInput(
    [GOOD, '{"timestamp": "soon", "output_length": 1, "hash_ids": [1]}'],
    [],
    /:2: timestamp: must be a finite number of ms ≥ 0, got "soon"/,
  );
});

Deno.test("cli: negative timestamp", async () => {
  await expectBadInput(
    [GOOD, '{"timestamp": -5, "output_length": 1, "hash_ids": [1]}'],
    [],
    /:2: timestamp: .*≥ 0/,
  );
});

Deno.test("cli: non-finite timestamp", async () => {
  await expectBadInput(
    [GOOD, '{"timestamp": 1e999, "output_length": 1, "hash_ids": [1]}'],
    [],
    /:2: timestamp/,
  );
});

Deno.test("cli: empty hash_ids", async () => {
  await expectBadInput(
    [GOOD, '{"timestamp": 1, "output_length": 1, "hash_ids": []}'],
    [],
    /:2: hash_ids: required, a non-empty/,
  );
});

Deno.test("cli: unknown flag, with a suggestion", async () => {
  await expectBadInput(
    [GOOD],
    ["--num-worker", "2"],
    /--num-worker: unknown flag \(did you mean --num-workers\?\)/,
  );
});

Deno.test("cli: conflicting flags", async () => {
  await expectBadInput(
    [GOOD],
    ["--request-rate", "2"],
    /--request-rate: only applies to synthetic workloads/,
  );
  await expectBadInput([GOOD], ["--input-tokens", "10"], /exactly one workload source/);
  await expectBadInput(
    [GOOD],
    ["--warmup-request-count", "1"],
    /--warmup-request-count: 1 warm-up requests leave none/,
  );
  await expectBadInput([GOOD], ["--prefill-engine-args", "{}"], /--decode-engine-args: .*needs both/);
  await expectBadInput(
    [GOOD],
    ["--prefill-engine-args", "{}", "--decode-engine-args", "{}", "--num-workers", "2"],
    /--num-workers: conflicts/,
  );
});

Deno.test("cli: an out-of-range value names the flag that gave it, not the spec field it fills", () => {
  const synthetic = ["--input-tokens", "100", "--output-tokens", "4", "--request-count", "3"];
  const cases: [string[], RegExp][] = [
    [["--request-rate", "0"], /: --request-rate: Too small/],
    [["--request-rate", "1", "--shared-prefix-ratio", "1.5"], /: --shared-prefix-ratio: Too big/],
    [["--request-rate", "1", "--max-sim-time-seconds=-5"], /: --max-sim-time-seconds: Too small/],
    [["--request-rate", "1", "--arrival-speedup-ratio", "0"], /: --arrival-speedup-ratio: Too small/],
    [["--request-rate", "1", "--sla-ttft-ms=-1"], /: --sla-ttft-ms: Too small/],
    // A negative number after a valued flag is its value, as argparse takes it, not an unknown flag.
    [["--request-rate", "1", "--sla-ttft-ms", "-1"], /: --sla-ttft-ms: Too small/],
    [["--request-rate", "1", "--seed", "-1"], /: --seed: expected an integer ≥ 0, got "-1"/],
    // parseArgs's own complaints, in one line naming the flag.
    [
      ["--request-rate", "--seed", "1"],
      /: --request-rate: needs a value \(a value starting with "-" goes as/,
    ],
    [["--request-rate", "1", "--demo=1"], /: --demo: is a switch and takes no value$/],
  ];
  for (const [flags, pattern] of cases) {
    assert.throws(() => parseCommand([...synthetic, ...flags]), pattern, flags.join(" "));
  }
});

Deno.test("cli: flags that cannot act on this run are warned about", () => {
  const cmd = parseCommand([
    ...["--input-tokens", "100", "--output-tokens", "4", "--request-count", "3", "--request-rate", "1"],
    ...["--shared-prefix-ratio", "0.5", "--router-config", '{"overlap_score_weight": 2}'],
    ...["--trace-block-size", "64"],
  ]);
  assert.equal(cmd.kind, "run");
  const warnings = cmd.kind === "run" ? cmd.warnings.join("\n") : "";
  assert.match(warnings, /--router-config only affects the KV router .* --router-mode round_robin/);
  assert.match(warnings, /--shared-prefix-ratio shares nothing while --num-prefix-groups is 0/);
  assert.match(warnings, /--trace-block-size only applies to trace files/);
  const quiet = parseCommand(["t.jsonl", "--router-mode", "kv_router", "--router-config", "{}"]);
  assert.deepEqual(quiet.kind === "run" && quiet.warnings, []);
});

Deno.test("cli: a config flag given JSON that is not an object says so", async () => {
  await expectBadInput(
    [GOOD],
    ["--extra-engine-args", "[1, 2]"],
    /--extra-engine-args: must be a JSON object/,
  );
  await expectBadInput([GOOD], ["--planner-config", "5"], /--planner-config: must be a JSON object/);
  await expectBadInput(
    [GOOD],
    ["--router-config", "nofile.json"],
    /--router-config: .*cannot read "nofile\.json"/,
  );
});

Deno.test("cli: unknown engine arg lists the valid keys and suggests one", async () => {
  await expectBadInput(
    [GOOD],
    ["--extra-engine-args", '{"blok_size": 64}'],
    /--extra-engine-args: unknown key "blok_size" \(did you mean block_size\?\); valid keys: .*max_num_seqs/,
  );
});

Deno.test("cli: invalid enum value lists the choices", async () => {
  await expectBadInput(
    [GOOD],
    ["--extra-engine-args", '{"preemption_mode": "random"}'],
    /preemption_mode: .*"lifo", "fifo"/,
  );
});

Deno.test("cli: unsupported features fail clearly instead of being ignored", async () => {
  await expectBadInput([GOOD], ["--extra-engine-args", '{"num_g2_blocks": 100}'], /not supported yet/);
  await expectBadInput([GOOD], ["--trace-format", "weka"], /--trace-format: .*not supported yet/);
});

Deno.test("cli: --trace-format dynamo replays request-trace shards; other formats take one file", async () => {
  const dir = await Deno.makeTempDir();
  const end = (id: string, start: number, session: string, hashes: number[]) =>
    JSON.stringify({
      schema: "dynamo.request.trace.v1",
      event_type: "request_end",
      event_time_unix_ms: start + 100,
      agent_context: { session_id: session },
      request: {
        request_id: id,
        request_received_ms: start,
        output_tokens: 4,
        replay: { trace_block_size: 64, input_length: 64 * hashes.length, input_sequence_hashes: hashes },
      },
    });
  await Deno.writeTextFile(
    `${dir}/a.jsonl`,
    [end("a1", 1000, "a", [1, 2]), end("b1", 1050, "b", [9])].join("\n"),
  );
  const gz = new Blob([end("a2", 1400, "a", [1, 2, 3])]).stream().pipeThrough(new CompressionStream("gzip"));
  await Deno.writeFile(`${dir}/b.jsonl.gz`, new Uint8Array(await new Response(gz).arrayBuffer()));
  const shards = [`${dir}/a.jsonl`, `${dir}/b.jsonl.gz`];
  const res = await cli([
    ...shards,
    ...["--trace-format", "dynamo", "--num-workers", "1", "--extra-engine-args", '{"block_size":64}'],
    ...["--report-json", `${dir}/r.json`],
  ]);
  assert.equal(res.code, 0, res.err);
  const report = JSON.parse(await Deno.readTextFile(`${dir}/r.json`));
  assert.equal(report.completed_requests, 3);
  assert.equal(report.total_trajectories, 2, "sessions a and b");
  assert.ok(report.prefix_cache_reused_ratio > 0, "a2 reuses a1's prompt");
  assert.ok(report.duration_ms >= 300, `a2 waits its 300 ms gap after a1 (${report.duration_ms} ms)`);
  await expectBadInput(
    [GOOD],
    ["--trace-format", "dynamo", "--trace-block-size", "512"],
    /schema: must be "dynamo\.request\.trace\.v1"/,
  );
  const two = await cli([...shards, "--trace-format", "mooncake"]);
  assert.equal(two.code, 2);
  assert.match(
    two.err,
    /trace_files: trace format mooncake reads one trace file, got 2: .*only --trace-format dynamo/,
  );
  const mismatch = await cli([...shards, "--trace-format", "dynamo", "--trace-block-size", "512"]);
  assert.match(mismatch.err, /--trace-block-size: is 512, but the trace's records embed trace_block_size 64/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli: a missing trace file", async () => {
  const res = await cli(["/nonexistent/trace.jsonl"]);
  assert.equal(res.code, 2);
  assert.match(res.err, /^error: \/nonexistent\/trace\.jsonl: no such file$/);
});

Deno.test("cli: synthetic mode needs exactly one arrival mode", async () => {
  const res = await cli(["--input-tokens", "10", "--output-tokens", "5", "--request-count", "3"]);
  assert.equal(res.code, 2);
  assert.match(
    res.err,
    /^error: a synthetic workload needs exactly one arrival mode: --request-rate \(Poisson\), --arrival-interval-ms \(fixed gap\) or --replay-concurrency \(closed loop\)$/m,
  );
  const both = await cli([
    "--input-tokens",
    "10",
    "--output-tokens",
    "5",
    "--request-count",
    "3",
    "--request-rate",
    "1",
    "--replay-concurrency",
    "2",
  ]);
  assert.equal(both.code, 2);
  assert.match(
    both.err,
    /^error: gives --request-rate and --replay-concurrency; a synthetic workload takes exactly/m,
  );
});

Deno.test("cli: a trace replay prints the AIPerf table and writes the JSON and JSONL reports", async () => {
  const { dir, trace } = await tempTrace([
    GOOD,
    '{"timestamp": 100, "input_length": 700, "output_length": 3, "hash_ids": [1, 2]}',
  ]);
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
  const { dir, trace } = await tempTrace([
    '{"timestamp": 0, "input_length": 600, "output_length": 4, "hash_ids": [1, 2], "session_id": "alice"}',
    '{"timestamp": 50, "input_length": 600, "output_length": 4, "hash_ids": [3, 4], "session_id": 17}',
    '{"timestamp": 60, "input_length": 600, "output_length": 4, "hash_ids": [5, 6]}',
    '{"input_length": 900, "output_length": 4, "hash_ids": [1, 2], "session_id": "alice", "delay": 10}',
  ]);
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
  assert.deepEqual(ids.sort(byKey), [[17, 0, 0], [2, 0, 0], ["alice", 0, 0], ["alice", 1, 1]]);
});

Deno.test("cli: a disaggregated replay's JSONL times each request's hand-off", async () => {
  const { dir, trace } = await tempTrace([
    GOOD,
    '{"timestamp": 5, "input_length": 1000, "output_length": 6, "hash_ids": [7, 8]}',
  ]);
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
  // Transfers of 600 and 1,000 tokens: 6 and 10 ms.
  assert.match(
    res.out,
    /Hand-off: 0\.0% of requests waited for decode KV .*; transfer mean 8\.00 ms; decode queue/,
  );
  // Agg runs have no hand-off.
  const agg = await cli([trace, "--report-json", `${dir}/a.json`, "--report-jsonl", `${dir}/a.jsonl`]);
  assert.equal(agg.code, 0, agg.err);
  const [a] = (await Deno.readTextFile(`${dir}/a.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual([a.prefill_admit_ms, a.source_held_ms, a.decode_admit_ms], [null, null, null]);
});

Deno.test("cli: a report path that is a directory gets a timestamped file inside", async () => {
  const { dir, trace } = await tempTrace([GOOD]);
  const res = await cli([trace, "--report-json", dir]);
  assert.equal(res.code, 0, res.err);
  const names = [...Deno.readDirSync(dir)].map((e) => e.name);
  assert.ok(names.some((n) => /^dynamo_replay_report_\d{8}_\d{6}\.json$/.test(n)), names.join());
});

Deno.test("cli: a new directory given with a trailing slash is created with the timestamped report inside", async () => {
  const { dir, trace } = await tempTrace([GOOD]);
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
      () => ["--report-json", "trace.jsonl/sub/r.json"],
      /--report-json: cannot create "trace.jsonl\/sub\/r.json": ".*trace.jsonl" is a file, not a directory/,
    ],
  ];
  for (const [flagsOf, pattern] of cases) {
    const { dir, trace } = await tempTrace([GOOD]);
    const flags = flagsOf(dir);
    await Deno.mkdir(`${dir}/out`);
    const cwd = Deno.cwd();
    Deno.chdir(dir);
    try {
      const res = await cli([trace, ...flags]);
      assert.equal(res.code, 2, `${flags.join(" ")}: ${res.err}`);
      assert.match(res.err, pattern);
      assert.equal(res.out, "");
    } finally {
      Deno.chdir(cwd);
    }
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(left, ["out", "trace.jsonl"], flags.join(" "));
  }
});

Deno.test("cli: --help prints usage", async () => {
  const res = await cli(["--help"]);
  assert.equal(res.code, 0);
  assert.match(res.out, /Usage:/);
});

Deno.test("cli: the demo replays the embedded workload on the analytic model, writing no report file", async () => {
  const reports = () =>
    [...Deno.readDirSync(".")].filter((e) => e.name.startsWith("dynamo_replay_report_")).length;
  const before = reports();
  const res = await cli([
    "--demo",
    "--num-workers",
    "2",
    "--router-mode",
    "kv_router",
    "--extra-engine-args",
    '{"aic_backend":"vllm","aic_system":"h200_sxm","aic_model_path":"nvidia/Llama-3.1-8B-Instruct-FP8"}',
  ]);
  assert.equal(res.code, 0, res.err);
  assert.match(res.out, /^dynolab demo: the embedded agentic workload \(300 sessions, 2187 requests/);
  assert.match(res.out, /Llama-3\.1-8B-Instruct-FP8 on h200_sxm, vllm\) behind the KV router/);
  assert.match(res.out, /Request Count \(requests\) +┃ +2,187\.00/);
  assert.match(
    res.out,
    /Workers \(aggregated\): 2 × 1 GPU, analytic timing, KV cache [\d,]+ blocks × 64 tokens per rank \(derived/,
  );
  assert.doesNotMatch(res.out, /Saved full report/);
  assert.equal(reports(), before);
});

Deno.test("cli: --warmup-request-count leaves the first requests out of the report, flags them in the JSONL", async () => {
  const dir = await Deno.makeTempDir();
  const res = await cli([
    "--input-tokens",
    "512",
    "--output-tokens",
    "8",
    "--request-count",
    "12",
    "--replay-concurrency",
    "2",
    "--warmup-request-count",
    "4",
    "--report-json",
    `${dir}/r.json`,
    "--report-jsonl",
    `${dir}/r.jsonl`,
  ]);
  assert.equal(res.code, 0, res.err);
  const report = JSON.parse(await Deno.readTextFile(`${dir}/r.json`));
  assert.equal(report.completed_requests, 8);
  assert.equal(report.total_output_tokens, 64);
  assert.equal(report.dynolab.warmup_requests, 4);
  const lines = (await Deno.readTextFile(`${dir}/r.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(lines.length, 12);
  assert.deepEqual(lines.map((l) => l.warmup).filter(Boolean).length, 4);
  assert.ok(lines.slice(0, 4).every((l) => l.warmup));
});

Deno.test("cli: --num-dataset-entries cycles the prompts, which then hit the prefix cache", async () => {
  const ttft = async (entries: string) => {
    const argv = ["--input-tokens", "2000", "--output-tokens", "20", "--request-count", "64"];
    const cmd = parseCommand([...argv, "--replay-concurrency", "4", "--num-dataset-entries", entries]);
    assert(cmd.kind === "run");
    assert.equal((cmd.spec.workload as { dataset_entries: number }).dataset_entries, Number(entries));
    return runSimulation(await loadInputs(cmd.spec)).report.mean_ttft_ms as number;
  };
  assert((await ttft("4")) < 0.5 * (await ttft("0")));
  const synthetic = [
    "--input-tokens",
    "10",
    "--output-tokens",
    "4",
    "--request-count",
    "3",
    "--request-rate",
    "1",
  ];
  assert.throws(
    () => parseCommand([...synthetic, "--num-dataset-entries", "-1"]),
    /--num-dataset-entries: .*≥ 0, got "-1"/,
  );
});

Deno.test("cli: the README's §10.2 command lands near the measured point (TTFT 115.0 ms, TPOT 21.99 ms)", async () => {
  const dir = await Deno.makeTempDir();
  const engine = {
    aic_backend: "vllm",
    aic_system: "h200_sxm",
    aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8",
    gpu_memory_utilization: 0.9,
  };
  // deno-fmt-ignore
  const flags = ["--input-tokens", "4000", "--output-tokens", "1000", "--request-count", "1280",
    "--replay-concurrency", "128", "--extra-engine-args", JSON.stringify(engine)];
  const run = async (client: string[]) => {
    const path = `${dir}/r${client.length}.json`;
    const res = await cli([...flags, ...client, "--report-json", path]);
    assert.equal(res.code, 0, res.err);
    return JSON.parse(await Deno.readTextFile(path)) as { mean_ttft_ms: number; mean_tpot_ms: number };
  };
  const aiperf = await run(["--warmup-request-count", "256", "--num-dataset-entries", "100"]);
  assert.ok(Math.abs(aiperf.mean_ttft_ms / 115.0 - 1) < 0.15, `TTFT ${aiperf.mean_ttft_ms}`);
  assert.ok(Math.abs(aiperf.mean_tpot_ms / 21.99 - 1) < 0.1, `TPOT ${aiperf.mean_tpot_ms}`);
  // Without the client's warm-up and prompt reuse, every prompt is prefilled and the first 128 queue at once.
  const cold = await run([]);
  assert.ok(cold.mean_ttft_ms > 3 * aiperf.mean_ttft_ms && cold.mean_tpot_ms > aiperf.mean_tpot_ms);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli: the reference's agentic trace formats replay, with their flags checked", async () => {
  const agentic = JSON.stringify({
    num_turns: 1,
    input_prompt_length: 700,
    assistant_response_length: [5],
    tool_call_output_length: [300],
    tool_call_latency: [0.2],
    final_assistant_response_length: 3,
  });
  const format = ["--trace-format", "applied_compute_agentic"];
  const { dir, trace } = await tempTrace([agentic, agentic]);
  const report = `${dir}/report.json`;
  const flags = ["--trace-shared-prefix-ratio", "1", "--trace-num-prefix-groups", "1"];
  const res = await cli([trace, ...format, "--replay-concurrency", "2", ...flags, "--report-json", report]);
  assert.equal(res.code, 0, res.err);
  const json = JSON.parse(await Deno.readTextFile(report));
  assert.equal(json.completed_requests, 4);
  assert.equal(json.total_input_tokens, 2 * (700 + 1005));
  await expectBadInput([agentic], format, /--replay-concurrency: .*closed loop/);
  await expectBadInput(
    [GOOD],
    ["--trace-num-prefix-groups", "2"],
    /--trace-num-prefix-groups: only applies .*applied_compute_agentic/,
  );
  const delta = (ts: number, session: string) =>
    JSON.stringify({
      session_id: session,
      timestamp: ts,
      input_length: 600,
      output_length: 4,
      hash_ids: [1, 2],
    });
  const d = await tempTrace([delta(0, "a"), delta(100, "a")]);
  const dres = await cli([d.trace, "--trace-format", "mooncake-delta", "--report-json", `${d.dir}/r.json`]);
  assert.equal(dres.code, 0, dres.err);
  const djson = JSON.parse(await Deno.readTextFile(`${d.dir}/r.json`));
  assert.equal(djson.total_input_tokens, 600 + (600 + 4 + 600));
  // agentic_mooncake, as the reference's agent-trace guide runs its one-worker smoke test.
  const step = (id: string, extra: object) =>
    JSON.stringify({ request_id: id, input_length: 100, output_length: 3, hash_ids: [7, 8], ...extra });
  const g = await tempTrace([step("a", { timestamp: 0 }), step("b", { wait_for: ["a"], tool_wait_ms: 50 })]);
  const gres = await cli([
    g.trace,
    ...["--trace-format", "agentic_mooncake", "--trace-block-size", "64", "--replay-mode", "offline"],
    ...["--router-mode", "round_robin", "--num-workers", "1", "--extra-engine-args", '{"block_size":64}'],
    ...["--report-json", `${g.dir}/r.json`, "--report-jsonl", `${g.dir}/r.jsonl`],
  ]);
  assert.equal(gres.code, 0, gres.err);
  const gjson = JSON.parse(await Deno.readTextFile(`${g.dir}/r.json`));
  assert.equal(gjson.completed_requests, 2);
  assert.equal(gjson.completed_trajectories, 1);
  assert.match(gres.out, /Trajectories: 1 completed of 1; end-to-end latency \(ms\) mean /);
  const records = (await Deno.readTextFile(`${g.dir}/r.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(records.map((r) => r.request_id), ["a", "b"]);
  assert.ok(gjson.duration_ms > 50, `the tool wait is in the replay (${gjson.duration_ms} ms)`);
});

Deno.test("cli: `deno task --config …/deno.json replay` reads and writes relative to where it was run", async () => {
  const { dir, trace } = await tempTrace([GOOD]);
  const config = new URL("../../deno.json", import.meta.url).pathname;
  const run = await new Deno.Command(Deno.execPath(), {
    args: [
      "task",
      "--quiet",
      "--config",
      config,
      "replay",
      trace.split("/").pop()!,
      "--report-json",
      "r.json",
    ],
    cwd: dir,
    // Without the INIT_CWD of the `deno task test` running this test, which a nested task would keep.
    clearEnv: true,
    env: Object.fromEntries(
      ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"].flatMap((k) => {
        const v = Deno.env.get(k);
        return v === undefined ? [] : [[k, v]];
      }),
    ),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
  assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/r.json`)).completed_requests, 1);
  // A process started outside the checkout stays there, whatever INIT_CWD it inherited.
  const main = new URL("../../lib/cli/main.ts", import.meta.url).pathname;
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "trace.jsonl", "--report-json", "r2.json"],
    cwd: dir,
    env: { INIT_CWD: "/" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(child.code, 0, new TextDecoder().decode(child.stderr));
  await Deno.stat(`${dir}/r2.json`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli: the router-side AIC prefill-load model takes the reference's top-level --aic-* flags", async () => {
  const { dir, trace } = await tempTrace([GOOD, GOOD.replace('"timestamp": 0', '"timestamp": 5')]);
  const aic = ["--aic-backend", "vllm", "--aic-system", "h200_sxm", "--aic-model-path", "Qwen/Qwen3-32B"];
  const kv = ["--router-mode", "kv_router", "--num-workers", "2"];
  const load = '{"router_prefill_load_model":"aic","router_queue_threshold":1}';
  const res = await cli([
    trace,
    ...kv,
    ...["--router-config", load, ...aic, "--aic-gemm-dtype", "auto", "--report-json", `${dir}/r.json`],
  ]);
  assert.equal(res.code, 0, res.err);
  await expectBadInput(
    [GOOD],
    [...kv, "--router-config", load],
    /--router-config\.router_prefill_load_model: .*--aic-backend/,
  );
  await expectBadInput(
    [GOOD],
    [...kv, ...aic],
    /--aic-\*: only applies with router_prefill_load_model "aic"/,
  );
  await expectBadInput(
    [GOOD],
    [...kv, "--router-config", load, "--aic-backend", "vllm"],
    /--aic-system: required/,
  );
  await expectBadInput([GOOD], ["--router-config", load, ...aic], /--aic-\*: only applies to the KV router/);
  // Checked as the engines' keys are, and blamed on the flag, also when the check runs at load time.
  await expectBadInput(
    [GOOD],
    [...kv, "--router-config", load, ...aic, "--aic-nextn", "1", "--aic-nextn-accept-rates", "abc"],
    /--aic-nextn-accept-rates: "abc" is not an acceptance rate/,
  );
  await expectBadInput(
    [GOOD],
    [...kv, "--router-config", load, ...aic, "--aic-tp-size", "3"],
    /--aic-tp-size: 3 does not divide/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cli: --router-policy-config and --model-name pick the router queue's classes", async () => {
  const { dir, trace } = await tempTrace([GOOD, GOOD.replace('"timestamp": 0', '"timestamp": 5')]);
  const policy = `${dir}/policy.yaml`;
  await Deno.writeTextFile(
    policy,
    `default_policy_family: standard
uncached_isl_buckets: [{min_tokens: 0, bucket: all}]
policy_classes: [{name: standard, policy_family: standard, cache_bucket: all, quantum: 64, prefill_busy_threshold: 0}]
models:
  tiny:
    default_policy_family: f
    uncached_isl_buckets: [{min_tokens: 0, bucket: all}]
    policy_classes: [{name: f, policy_family: f, cache_bucket: all, quantum: 1}]
`,
  );
  const kv = ["--router-mode", "kv_router"];
  const parsed = (extra: string[]) => {
    const cmd = parseCommand([trace, ...kv, ...extra]);
    assert(cmd.kind === "run");
    return cmd;
  };
  const spec = parsed(["--router-policy-config", policy, "--model-name", "tiny"]).spec;
  assert.equal(spec.router?.model_name, "tiny");
  assert.equal((spec.router?.policy as { default_policy_family: string }).default_policy_family, "standard");
  // The router config's router_policy_config key names the file too; the flag wins over it.
  const embedded = parsed(["--router-config", JSON.stringify({ router_policy_config: policy })]).spec;
  assert.deepEqual(embedded.router?.policy, spec.router?.policy);
  assert.deepEqual(
    embedded.router?.config,
    RouterConfigSchema.parse({}),
    "the key is not a router config field",
  );
  const res = await cli([trace, ...kv, "--router-policy-config", policy, "--report-json", `${dir}/r.json`]);
  assert.equal(res.code, 0, res.err);
  assert.match(res.out, /Router queue: 50\.0% of requests waited at the router/);
  // Outside the KV router, and without a policy file, the flags have no effect and say so.
  const rr = parseCommand([trace, "--router-policy-config", policy, "--model-name", "tiny"]);
  assert(rr.kind === "run" && rr.spec.router?.policy === undefined);
  assert.match(rr.warnings.join("\n"), /--router-policy-config only affects the KV router/);
  assert.match(parsed(["--model-name", "tiny"]).warnings.join("\n"), /--model-name picks a model profile/);
  // $DYN_ROUTER_POLICY_CONFIG is the flag's default: the KV router reads it, blaming it by name; other modes
  // leave it alone, so a stale value cannot break them.
  Deno.env.set("DYN_ROUTER_POLICY_CONFIG", policy);
  try {
    assert.deepEqual(parsed([]).spec.router?.policy, spec.router?.policy);
    const plain = parseCommand([trace, "--model-name", "tiny"]);
    assert(plain.kind === "run" && plain.spec.router?.policy === undefined);
    assert.match(plain.warnings.join("\n"), /--model-name picks a model profile/);
    Deno.env.set("DYN_ROUTER_POLICY_CONFIG", `${dir}/missing.yaml`);
    assert.throws(() => parsed([]), /\$DYN_ROUTER_POLICY_CONFIG: failed to read router policy config/);
    assert.equal(parseCommand([trace]).kind, "run");
  } finally {
    Deno.env.delete("DYN_ROUTER_POLICY_CONFIG");
  }
  await expectBadInput(
    [GOOD],
    [...kv, "--router-policy-config", `${dir}/missing.yaml`],
    /failed to read router policy config/,
  );
  await Deno.writeTextFile(`${dir}/bad.yaml`, "not: [valid");
  await expectBadInput(
    [GOOD],
    [...kv, "--router-policy-config", `${dir}/bad.yaml`],
    /--router-policy-config: failed to parse router policy config/,
  );
  await Deno.writeTextFile(
    `${dir}/lcfs.yaml`,
    (await Deno.readTextFile(policy)).replace("quantum: 64", "quantum: 64, queue_policy: lcfs"),
  );
  await expectBadInput(
    [GOOD],
    [...kv, "--router-policy-config", `${dir}/lcfs.yaml`],
    /lcfs\.yaml: --router-policy-config: invalid router policy config: root policy class "standard" queue_policy must be fcfs or wspt/,
  );
  await expectBadInput(
    [GOOD],
    [...kv, "--router-policy-config", policy, "--model-name", ""],
    /--model-name: model_name must be non-empty/,
  );
  await Deno.remove(dir, { recursive: true });
});
