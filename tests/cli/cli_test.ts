/** The `replay` command's features: help, the demo, client settings, trace formats, router flags. */
import assert from "node:assert/strict";
import { parseCommand } from "../../lib/cli/flags.ts";
import { RouterConfigSchema } from "../../lib/router/mod.ts";
import { loadInputs, runSimulation } from "../../lib/simulate.ts";
import { cli, expectBadInput, GOOD, tempTrace } from "./_cli.ts";
import { tempDir } from "../_temp.ts";

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
  await using tmp = await tempDir();
  const dir = tmp.path;
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
  await using tmp = await tempDir();
  const dir = tmp.path;
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
  await using temp = await tempTrace([agentic, agentic]);
  const { dir, trace } = temp;
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
  await using d = await tempTrace([delta(0, "a"), delta(100, "a")]);
  const dres = await cli([d.trace, "--trace-format", "mooncake-delta", "--report-json", `${d.dir}/r.json`]);
  assert.equal(dres.code, 0, dres.err);
  const djson = JSON.parse(await Deno.readTextFile(`${d.dir}/r.json`));
  assert.equal(djson.total_input_tokens, 600 + (600 + 4 + 600));
  // agentic_mooncake, as the reference's agent-trace guide runs its one-worker smoke test.
  const step = (id: string, extra: object) =>
    JSON.stringify({ request_id: id, input_length: 100, output_length: 3, hash_ids: [7, 8], ...extra });
  await using g = await tempTrace([
    step("a", { timestamp: 0 }),
    step("b", { wait_for: ["a"], tool_wait_ms: 50 }),
  ]);
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
  await using temp = await tempTrace([GOOD]);
  const { dir, trace } = temp;
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
});

Deno.test("cli: the router-side AIC prefill-load model takes the reference's top-level --aic-* flags", async () => {
  await using temp = await tempTrace([GOOD, GOOD.replace('"timestamp": 0', '"timestamp": 5')]);
  const { dir, trace } = temp;
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
  // As the reference, the flags are taken without the "aic" load model (or the KV router), with a warning.
  for (const args of [[...kv, ...aic], [...aic]]) {
    const other = await cli([trace, ...args, "--report-json", `${dir}/o.json`]);
    assert.equal(other.code, 0, other.err);
    assert.match(other.err, /--aic-\* only set the KV router's "aic" prefill-load model .* no effect here/);
  }
  await expectBadInput(
    [GOOD],
    [...kv, "--router-config", load, "--aic-backend", "vllm"],
    /--aic-system: required/,
  );
  await expectBadInput(
    [GOOD],
    ["--aic-backend", "vllm"],
    /--aic-system: required when any --aic-\* flag is given/,
  );
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
  // dynolab's --aic-systems-path puts the router's estimator in table mode.
  await expectBadInput(
    [GOOD],
    [...kv, "--router-config", load, ...aic, "--aic-systems-path", `${dir}/no-tables`],
    /--aic-systems-path: ".*no-tables" is not an AIC systems directory/,
  );
});

Deno.test("cli: --router-policy-config and --model-name pick the router queue's classes", async () => {
  await using temp = await tempTrace([GOOD, GOOD.replace('"timestamp": 0', '"timestamp": 5')]);
  const { dir, trace } = temp;
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
});

Deno.test("cli: --spread-arrival-steps spreads a quantised trace's steps, silencing the warning", async () => {
  const lines = Array.from(
    { length: 40 },
    (_, i) =>
      `{"timestamp": ${
        3000 * Math.floor(i / 5)
      }, "input_length": 500, "output_length": 4, "hash_ids": [${i}]}`,
  );
  await using temp = await tempTrace(lines);
  const { dir, trace } = temp;
  const replay = (extra: string[]) => cli([trace, "--report-json", `${dir}/r.json`, ...extra]);
  const asIs = await replay([]);
  assert.equal(asIs.code, 0, asIs.err);
  assert.match(
    asIs.err,
    /warning: the trace's arrival times come in steps of 3,000 ms \(40 requests at 8 instants, up to 5 at one\)/,
  );
  assert.match(asIs.err, /--spread-arrival-steps \(spread_arrival_steps\) spreads them over their step/);
  const spread = await replay(["--spread-arrival-steps", "--seed", "7"]);
  assert.equal(spread.code, 0, spread.err);
  assert.doesNotMatch(spread.err, /warning/);
  const report = JSON.parse(await Deno.readTextFile(`${dir}/r.json`));
  assert.deepEqual(
    [report.dynolab.workload.arrival_step_ms, report.dynolab.workload.arrival_jitter_ms],
    [3000, 1500],
  );
  const both = await replay(["--spread-arrival-steps", "--arrival-jitter-ms", "5"]);
  assert.equal(both.code, 2);
  assert.match(both.err, /--spread-arrival-steps: .*give it or an arrival jitter, not both/);
});
