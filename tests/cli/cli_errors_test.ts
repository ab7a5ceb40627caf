/** The `replay` command on bad input: one clear line naming the file, line, field or flag, nothing written. */
import assert from "node:assert/strict";
import { parseCommand } from "../../lib/cli/flags.ts";
import { cli, expectBadInput, GOOD, tempTrace } from "./_cli.ts";
import { tempDir } from "../_temp.ts";

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

Deno.test("cli: unknown flag, with a suggestion; an unambiguous prefix is the flag, as argparse takes it", async () => {
  await expectBadInput(
    [GOOD],
    ["--num-wrokers", "2"],
    /--num-wrokers: unknown flag \(did you mean --num-workers\?\)/,
  );
  await expectBadInput(
    [GOOD],
    ["--num", "2"],
    /^error: --num: ambiguous: --num-prefix-groups, --num-workers/,
  );
  await using temp = await tempTrace([GOOD]);
  const res = await cli([temp.trace, "--num-work", "2", "--report-json", `${temp.dir}/r.json`]);
  assert.equal(res.code, 0, res.err);
  assert.equal(JSON.parse(await Deno.readTextFile(`${temp.dir}/r.json`)).num_requests, 1);
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
    ["--turns-per-session", "2"],
    /exactly one workload source, got a trace file and synthetic flags \(--turns-per-session\)/,
  );
  // A shaping flag at its default value is no workload source (the reference's rule).
  const spec = parseCommand(["t.jsonl", "--turns-per-session", "1", "--shared-prefix-ratio", "0"]);
  assert.equal(spec.kind === "run" && spec.spec.workload.source, "trace");
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
    [["--request-rate", "0"], /: --request-rate: must be [≥>] /],
    [["--request-rate", "1", "--shared-prefix-ratio", "1.5"], /: --shared-prefix-ratio: must be ≤ /],
    [["--request-rate", "1", "--max-sim-time-seconds=-5"], /: --max-sim-time-seconds: must be [≥>] /],
    [["--request-rate", "1", "--arrival-speedup-ratio", "0"], /: --arrival-speedup-ratio: must be [≥>] /],
    [["--request-rate", "1", "--sla-ttft-ms=-1"], /: --sla-ttft-ms: must be [≥>] /],
    // A negative number after a valued flag is its value, as argparse takes it, not an unknown flag.
    [["--request-rate", "1", "--sla-ttft-ms", "-1"], /: --sla-ttft-ms: must be [≥>] /],
    [["--request-rate", "1", "--seed", "-1"], /: --seed: expected an integer ≥ 0, got "-1"/],
    // Numbers as Python's int() and float() read them: no hexadecimal, binary or octal literals.
    [["--request-rate", "1", "--seed", "0x10"], /: --seed: expected a number, got "0x10"/],
    [["--request-rate", "0b11"], /: --request-rate: expected a number, got "0b11"/],
    [["--request-rate", "1", "--seed", "1e1"], /: --seed: expected an integer ≥ 0, got "1e1"/],
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
  assert.match(warnings, /--shared-prefix-ratio shares nothing while --num-prefix-groups is 0/);
  assert.match(warnings, /--trace-block-size only applies to trace files/);
  const seeded = parseCommand(["t.jsonl", "--arrival-seed", "3"]);
  assert.match(
    seeded.kind === "run" ? seeded.warnings.join("\n") : "",
    /--arrival-seed only seeds synthetic/,
  );
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

Deno.test("cli: a JSON config giving a key twice is refused, as the reference's parser refuses it", async () => {
  await expectBadInput(
    [GOOD],
    ["--extra-engine-args", '{"num_gpu_blocks": 100, "num_gpu_blocks": 200}'],
    /--extra-engine-args: key "num_gpu_blocks" is given twice; give it once$/,
  );
  await expectBadInput(
    [GOOD],
    ["--planner-config", '{"mode": "agg", "ttft": 1, "ttft": 2}'],
    /--planner-config: key "ttft" is given twice/,
  );
});

Deno.test("cli: unsupported features fail clearly instead of being ignored", async () => {
  await expectBadInput(
    [GOOD],
    ["--extra-engine-args", '{"num_g3_blocks": 100}'],
    /num_g3_blocks: .*need a host tier: num_g2_blocks/,
  );
  await expectBadInput([GOOD], ["--trace-format", "weka"], /--trace-format: .*not supported yet/);
  await expectBadInput([GOOD], ["--trace-format", "Mooncake"], /"Mooncake" \(did you mean mooncake\?\)/);
});

Deno.test("cli: --trace-format dynamo replays request-trace shards; other formats take one file", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
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
    /^error: --request-rate and --replay-concurrency are both given; a synthetic workload takes exactly/m,
  );
});

Deno.test("cli: decimal numbers in every notation Python's float() reads are accepted", () => {
  const synthetic = ["--input-tokens", "100", "--output-tokens", "4", "--request-count", "3"];
  for (const rate of ["2", "2.", ".5", "1e3", "+1.5E-1", " 3 "]) {
    const cmd = parseCommand([...synthetic, "--request-rate", rate]);
    assert.equal(cmd.kind, "run", rate);
  }
});
