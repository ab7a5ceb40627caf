/**
 * Every CLI flag and every config field is reachable from the DSL, and a DSL scenario and the equivalent CLI
 * command produce identical reports.
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { InputError } from "../../lib/common/errors.ts";
import { CLI_FLAGS, main, parseCommand } from "../../lib/cli/mod.ts";
import { lookupParam, schemaKeys } from "../../lib/dsl/params.ts";
import { camel, pascal } from "../../lib/dsl/names.ts";
import { EngineArgsSchema } from "../../lib/engine/mod.ts";
import { RouterConfigSchema } from "../../lib/router/mod.ts";
import { SimSpecSchema, SlaSchema } from "../../lib/spec.ts";
import { SyntheticWorkloadSchema, TraceWorkloadSchema } from "../../lib/workload/mod.ts";
import { parseSpec, reportJson, type Scenario, scenario } from "../../mod.ts";
import { sharedPath, sharedTest } from "../_shared.ts";
import { LLAMA_8B_CONFIG } from "../_fixtures.ts";
import { MINI_TRACE, QUIET, withoutWallClock } from "./_helpers.ts";
import { withTempDir } from "../_temp.ts";

const T = MINI_TRACE;
const s0 = scenario("equivalence");
const disaggArgs = [
  "--prefill-engine-args",
  '{"max_num_seqs":4,"kv_bytes_per_token":128,"kv_transfer_bandwidth":2}',
];
const disaggDsl = {
  prefill: { maxNumSeqs: 4, kvBytesPerToken: 128, kvTransferBandwidth: 2 },
  decode: { maxNumSeqs: 64 },
};
const synthArgs = ["--input-tokens", "600", "--output-tokens", "20", "--request-count", "5"];
const synth = { inputTokens: 600, outputTokens: 20, requestCount: 5 };
const agenticArgs = ["--trace-format", "applied_compute_agentic", "--replay-concurrency", "2"];
const agentic = { format: "applied_compute_agentic" } as const;

// A router policy file (the DSL takes its path, or the document itself).
const POLICY_FILE = new URL("./fixtures/router_policy.yaml", import.meta.url).pathname;
const POLICY = parseYaml(Deno.readTextFileSync(POLICY_FILE));

/** Each CLI flag: the argv that uses it and the DSL scenario that should give the same spec. */
const REACH: Record<string, { argv: string[]; dsl: Scenario } | { rejected: string } | { output: string }> = {
  "extra-engine-args": {
    argv: [T, "--extra-engine-args", '{"num_gpu_blocks":4096,"block_size":32,"startup_time":60}'],
    dsl: s0.trace(T).engine({ numGpuBlocks: 4096, blockSize: 32, startupTime: 60 }),
  },
  "prefill-engine-args": {
    argv: [T, ...disaggArgs, "--decode-engine-args", '{"max_num_seqs":64}'],
    dsl: s0.trace(T).disagg(disaggDsl),
  },
  "decode-engine-args": {
    argv: [T, ...disaggArgs, "--decode-engine-args", '{"max_num_seqs":64}'],
    dsl: s0.trace(T).disagg(disaggDsl),
  },
  "num-prefill-workers": {
    argv: [T, ...disaggArgs, "--decode-engine-args", "{}", "--num-prefill-workers", "2"],
    dsl: s0.trace(T).disagg({ ...disaggDsl, prefill: { ...disaggDsl.prefill, workers: 2 }, decode: {} }),
  },
  "num-decode-workers": {
    argv: [T, ...disaggArgs, "--decode-engine-args", "{}", "--num-decode-workers", "3"],
    dsl: s0.trace(T).disagg({ prefill: disaggDsl.prefill, decode: { workers: 3 } }),
  },
  "kv-transfer-link-sharing": {
    argv: [T, ...disaggArgs, "--decode-engine-args", "{}", "--kv-transfer-link-sharing"],
    dsl: s0.trace(T).disagg({ prefill: disaggDsl.prefill, kvTransferLinkSharing: true }),
  },
  "router-config": {
    argv: [T, "--router-config", '{"overlap_score_weight":2,"router_temperature":0.5}'],
    dsl: s0.trace(T).router({ overlapScoreWeight: 2, routerTemperature: 0.5 }),
  },
  "router-mode": { argv: [T, "--router-mode", "kv_router"], dsl: s0.trace(T).router("kv_router") },
  "num-workers": { argv: [T, "--num-workers", "3"], dsl: s0.trace(T).agg({ workers: 3 }) },
  "replay-concurrency": { argv: [T, "--replay-concurrency", "8"], dsl: s0.trace(T).set({ concurrency: 8 }) },
  "replay-mode": { argv: [T, "--replay-mode", "offline"], dsl: s0.trace(T) },
  "arrival-speedup-ratio": { argv: [T, "--arrival-speedup-ratio", "2"], dsl: s0.trace(T, { speedup: 2 }) },
  "arrival-jitter-ms": {
    argv: [T, "--arrival-jitter-ms", "2.5", "--seed", "3"],
    dsl: s0.trace(T).set({ arrivalJitterMs: 2.5 }).seed(3),
  },
  "spread-arrival-steps": {
    argv: [T, "--spread-arrival-steps", "--seed", "3"],
    dsl: s0.trace(T).set({ spreadArrivalSteps: true }).seed(3),
  },
  "trace-format": { argv: [T, "--trace-format", "mooncake"], dsl: s0.trace(T, { format: "mooncake" }) },
  "trace-block-size": { argv: [T, "--trace-block-size", "256"], dsl: s0.trace(T, { blockSize: 256 }) },
  "max-sim-time-seconds": {
    argv: [T, "--max-sim-time-seconds", "30"],
    dsl: s0.trace(T).set({ maxSimTimeSeconds: 30 }),
  },
  "sla-ttft-ms": { argv: [T, "--sla-ttft-ms", "100"], dsl: s0.trace(T).sla({ ttftMs: 100 }) },
  "sla-itl-ms": { argv: [T, "--sla-itl-ms", "20"], dsl: s0.trace(T).sla({ itlMs: 20 }) },
  "sla-e2e-ms": { argv: [T, "--sla-e2e-ms", "9000"], dsl: s0.trace(T).sla({ e2eMs: 9000 }) },
  "seed": { argv: [T, "--seed", "7"], dsl: s0.trace(T).seed(7) },
  "warmup-request-count": {
    argv: [T, "--warmup-request-count", "5"],
    dsl: s0.trace(T).set({ warmupRequestCount: 5 }),
  },
  "demo": { argv: ["--demo"], dsl: s0.defaultWorkload() },
  "input-tokens": {
    argv: [...synthArgs, "--request-rate", "2"],
    dsl: s0.synthetic({ ...synth, requestRate: 2 }),
  },
  "output-tokens": {
    argv: [...synthArgs, "--request-rate", "2"],
    dsl: s0.synthetic({ ...synth, requestRate: 2 }),
  },
  "request-count": {
    argv: [...synthArgs, "--request-rate", "2"],
    dsl: s0.synthetic({ ...synth, requestRate: 2 }),
  },
  "request-rate": {
    argv: [...synthArgs, "--request-rate", "2"],
    dsl: s0.synthetic({ ...synth, requestRate: 2 }),
  },
  "arrival-interval-ms": {
    argv: [...synthArgs, "--arrival-interval-ms", "50"],
    dsl: s0.synthetic({ ...synth, arrivalIntervalMs: 50 }),
  },
  "arrival-seed": {
    argv: [...synthArgs, "--replay-concurrency", "2", "--arrival-seed", "9"],
    dsl: s0.synthetic({ ...synth, concurrency: 2, arrivalSeed: 9 }),
  },
  "turns-per-session": {
    argv: [
      ...synthArgs,
      "--replay-concurrency",
      "2",
      "--turns-per-session",
      "3",
      "--inter-turn-delay-ms",
      "10",
    ],
    dsl: s0.synthetic({ ...synth, concurrency: 2, turnsPerSession: 3, interTurnDelayMs: 10 }),
  },
  "inter-turn-delay-ms": {
    argv: [...synthArgs, "--replay-concurrency", "2", "--inter-turn-delay-ms", "10"],
    dsl: s0.synthetic({ ...synth, concurrency: 2, interTurnDelayMs: 10 }),
  },
  "shared-prefix-ratio": {
    argv: [
      ...synthArgs,
      "--replay-concurrency",
      "2",
      "--shared-prefix-ratio",
      "0.5",
      "--num-prefix-groups",
      "2",
    ],
    dsl: s0.synthetic({ ...synth, concurrency: 2, sharedPrefixRatio: 0.5, numPrefixGroups: 2 }),
  },
  "num-prefix-groups": {
    argv: [...synthArgs, "--replay-concurrency", "2", "--num-prefix-groups", "2"],
    dsl: s0.synthetic({ ...synth, concurrency: 2, numPrefixGroups: 2 }),
  },
  "input-tokens-stddev": {
    argv: [...synthArgs, "--replay-concurrency", "2", "--input-tokens-stddev", "60"],
    dsl: s0.synthetic({ ...synth, concurrency: 2, inputTokensStddev: 60 }),
  },
  "output-tokens-stddev": {
    argv: [...synthArgs, "--replay-concurrency", "2", "--output-tokens-stddev", "4"],
    dsl: s0.synthetic({ ...synth, concurrency: 2, outputTokensStddev: 4 }),
  },
  "length-range-ratio": {
    argv: [...synthArgs, "--replay-concurrency", "2", "--length-range-ratio", "0.8"],
    dsl: s0.synthetic({ ...synth, concurrency: 2, lengthRangeRatio: 0.8 }),
  },
  "num-dataset-entries": {
    argv: [...synthArgs, "--replay-concurrency", "2", "--num-dataset-entries", "100"],
    dsl: s0.synthetic({ ...synth, concurrency: 2, datasetEntries: 100 }),
  },
  "benchmark-granularity": {
    argv: [T, "--benchmark-granularity", "4"],
    dsl: s0.trace(T).set({ benchmarkGranularity: 4 }),
  },
  "planner-config": {
    argv: [
      T,
      "--planner-config",
      '{"mode":"agg","optimization_target":"sla","ttft_ms":900,"load_adjustment_interval":10}',
    ],
    dsl: s0.trace(T).planner({ optimizationTarget: "sla", ttftMs: 900, loadIntervalS: 10 }),
  },
  "router-policy-config": {
    argv: [T, "--router-mode", "kv_router", "--router-policy-config", POLICY_FILE],
    dsl: s0.trace(T).router({ mode: "kv_router", policy: POLICY_FILE }),
  },
  "model-name": {
    argv: [T, "--router-mode", "kv_router", "--router-policy-config", POLICY_FILE, "--model-name", "m"],
    dsl: s0.trace(T).router({ mode: "kv_router", policy: POLICY, modelName: "m" }),
  },
  "trace-shared-prefix-ratio": {
    argv: [T, ...agenticArgs, "--trace-shared-prefix-ratio", "0.5", "--trace-num-prefix-groups", "3"],
    dsl: s0.trace(T, { ...agentic, traceSharedPrefixRatio: 0.5, traceNumPrefixGroups: 3 }).set({
      concurrency: 2,
    }),
  },
  "trace-num-prefix-groups": {
    argv: [T, ...agenticArgs, "--trace-num-prefix-groups", "4"],
    dsl: s0.trace(T, { ...agentic, traceNumPrefixGroups: 4 }).set({ concurrency: 2 }),
  },
  "report-json": { output: "Results.save(path) / run.report" },
  "report-jsonl": { output: "the collector's per-request arrays via runSimulation()" },
  "help": { output: "lib/dsl/README.md" },
};
// The router-side perf model: each --aic-* flag with the three it needs, and the AIC prefill-load model on.
const AIC_VALUES: Record<string, string> = {
  "aic-backend": "vllm",
  "aic-system": "h200_sxm",
  "aic-model-path": "nvidia/Llama-3.1-8B-Instruct-FP8",
  "aic-backend-version": "0.12.0",
  "aic-systems-path": "/aic/systems",
  "aic-tp-size": "2",
  "aic-moe-tp-size": "1",
  "aic-moe-ep-size": "1",
  "aic-attention-dp-size": "1",
  "aic-gemm-dtype": "fp8_block",
  "aic-moe-dtype": "fp8_block",
  "aic-fmha-dtype": "bfloat16",
  "aic-kv-cache-dtype": "fp8",
  "aic-comm-dtype": "half",
  "aic-nextn": "1",
  "aic-nextn-accept-rates": "0.8",
};
for (const flag of CLI_FLAGS.filter((f) => f.startsWith("aic-"))) {
  const given = {
    ...Object.fromEntries(["aic-backend", "aic-system", "aic-model-path"].map((f) => [f, AIC_VALUES[f]])),
  };
  given[flag] = AIC_VALUES[flag];
  const aic = Object.fromEntries(
    Object.entries(given).map(([f, v]) => [camel(f.replaceAll("-", "_")), /^\d+$/.test(v) ? Number(v) : v]),
  );
  REACH[flag] = {
    argv: [
      T,
      ...["--router-mode", "kv_router", "--router-config", '{"router_prefill_load_model":"aic"}'],
      ...Object.entries(given).flatMap(([f, v]) => [`--${f}`, v]),
    ],
    dsl: s0.trace(T).router({ mode: "kv_router", routerPrefillLoadModel: "aic", aic }),
  };
}

Deno.test("every CLI flag is covered: its DSL scenario gives the same spec, or the CLI rejects it", () => {
  assert.deepEqual(
    Object.keys(REACH).sort(),
    [...CLI_FLAGS].sort(),
    "flags without a DSL mapping in this test",
  );
  for (const [flag, how] of Object.entries(REACH)) {
    if ("output" in how) continue;
    if ("rejected" in how) {
      const argv = [T, `--${flag}`, "x"];
      assert.throws(
        () => parseCommand(argv),
        (e) => e instanceof InputError && e.message.includes(how.rejected),
      );
      continue;
    }
    const cmd = parseCommand(how.argv);
    assert.ok(cmd.kind === "run");
    assert.deepEqual(parseSpec(how.dsl.spec()), parseSpec(cmd.spec), `--${flag}`);
  }
});

/** The options of an enum or literal field (through optional/nullable/default wrappers), or none. */
function enumOptions(field: z.ZodType): unknown[] {
  let node = field as unknown as
    | { options?: unknown[]; values?: Set<unknown>; def?: { innerType?: unknown } }
    | undefined;
  for (let i = 0; i < 8 && node; i++) {
    if (Array.isArray(node.options)) return node.options;
    if (node.values instanceof Set) return [...node.values];
    node = node.def?.innerType as typeof node;
  }
  return [];
}

/** A value each schema field accepts, found by trying candidates in order. */
function sampleValue(schema: z.ZodType, key: string): unknown {
  const field = (schema as unknown as { shape: Record<string, z.ZodType> }).shape ??
    (schema as unknown as { def: { in: { shape: Record<string, z.ZodType> } } }).def.in.shape;
  const candidates = [...enumOptions(field[key]), 2, true, "polynomial", "x", 0.5, false];
  for (const v of candidates) if (field[key].safeParse(v).success && v !== undefined) return v;
  if (field[key].safeParse(null).success) return null;
  throw new Error(`no sample value for ${key}`);
}

Deno.test("every config field has a DSL parameter that sets exactly that field", () => {
  const base = s0.trace(T).agg({});
  const check = (
    schema: z.ZodType,
    name: (key: string) => string,
    where: (spec: Record<string, unknown>) => unknown,
    start = base,
  ) => {
    for (const key of schemaKeys(schema)) {
      if (key === "source" || key === "path") continue;
      const value = sampleValue(schema, key);
      const spec = start.set({ [name(key)]: value } as never).spec() as unknown as Record<string, unknown>;
      assert.deepEqual((where(spec) as Record<string, unknown>)[key], value, `${name(key)} → ${key}`);
    }
  };
  const topo = (s: Record<string, unknown>) => s.topology as Record<string, unknown>;
  check(EngineArgsSchema, (k) => `engine.${camel(k)}`, (s) => topo(s).engine);
  const disagg = s0.trace(T).disagg({});
  check(EngineArgsSchema, (k) => `prefill.${camel(k)}`, (s) => topo(s).prefill_engine, disagg);
  check(EngineArgsSchema, (k) => `decode.${camel(k)}`, (s) => topo(s).decode_engine, disagg);
  check(RouterConfigSchema, (k) => `router.${camel(k)}`, (s) => (s.router as Record<string, unknown>).config);
  check(SlaSchema, (k) => `sla${pascal(camel(k))}`, (s) => s.sla);
  check(TraceWorkloadSchema, (k) => `workload.${camel(k)}`, (s) => s.workload);
  const synthetic = s0.synthetic(synth);
  check(SyntheticWorkloadSchema, (k) => camel(k), (s) => s.workload, synthetic);
  for (const key of schemaKeys(SimSpecSchema)) {
    if (["workload", "topology", "router", "sla", "planner"].includes(key)) continue;
    assert.equal(lookupParam(camel(key)).key, key);
  }
  assert.equal(lookupParam("routerMode").scope, "routerMode");
  for (const [name, key] of [["workers", "num_workers"], ["prefillWorkers", "num_prefill_workers"]]) {
    assert.equal(lookupParam(name).key, key);
  }
});

async function cliReport(argv: string[], dir: string): Promise<string> {
  const out = `${dir}/cli.json`;
  const code = await main([...argv, "--report-json", out], { out: () => {}, err: () => {} });
  assert.equal(code, 0);
  return reportJson(withoutWallClock(JSON.parse(await Deno.readTextFile(out))) as never);
}

/** The planner profile fixture of the perf tests. */
const PROFILE = new URL("../perf/fixtures/profile.json", import.meta.url).pathname;

/** Write a Llama-3.1-8B-shaped Hugging Face `config.json` into `dir/model/`; returns that directory. */
async function writeModelConfig(dir: string): Promise<string> {
  await Deno.mkdir(`${dir}/model`);
  await Deno.writeTextFile(
    `${dir}/model/config.json`,
    JSON.stringify(LLAMA_8B_CONFIG),
  );
  return `${dir}/model`;
}

async function dslReport(s: Scenario): Promise<string> {
  const results = await s.run(QUIET);
  return reportJson(results.runs[0].report);
}

Deno.test("a DSL scenario and the equivalent CLI command give identical reports", async () => {
  await withTempDir(async (dir) => {
    const model = await writeModelConfig(dir);
    const warmPlanner = {
      mode: "agg",
      optimization_target: "sla",
      ttft_ms: 200,
      itl_ms: 20,
      enable_load_scaling: false,
      throughput_adjustment_interval_seconds: 10,
      load_predictor_warmup_trace: T,
      report_output_dir: dir,
    };
    // A Dynamo request trace in two shards.
    const shards = [`${dir}/s1.jsonl`, `${dir}/s2.jsonl`];
    for (const [k, shard] of shards.entries()) {
      const records = Array.from({ length: 20 }, (_, i) =>
        JSON.stringify({
          schema: "dynamo.request.trace.v1",
          event_type: "request_end",
          event_time_unix_ms: 1000 * i + 900,
          request: {
            request_id: `r${k}-${i}`,
            request_received_ms: 1000 * i + 100 * k,
            output_tokens: 30,
            replay: {
              trace_block_size: 64,
              input_length: 600,
              input_sequence_hashes: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10 + i],
            },
          },
        }));
      await Deno.writeTextFile(shard, records.join("\n"));
    }
    const cases: Array<[string[], Scenario]> = [
      [
        [...shards, "--trace-format", "dynamo", "--num-workers", "2"],
        s0.trace(shards, { format: "dynamo" }).agg({ workers: 2 }),
      ],
      // Runs that read files besides the trace: a config.json model, a planner profile, a warm-up trace.
      [
        [T, "--extra-engine-args", JSON.stringify({ aic_model_path: model, aic_system: "h100_sxm" })],
        s0.trace(T).engine({ model, gpu: "h100_sxm" }),
      ],
      [
        [T, "--extra-engine-args", JSON.stringify({ planner_profile_data: PROFILE })],
        s0.trace(T).engine({ plannerProfileData: PROFILE }),
      ],
      [
        [T, "--planner-config", JSON.stringify(warmPlanner)],
        s0.trace(T).planner({
          optimizationTarget: "sla",
          ttftMs: 200,
          itlMs: 20,
          enableLoadScaling: false,
          throughputIntervalS: 10,
          loadPredictorWarmupTrace: T,
          reportOutputDir: dir,
        }),
      ],
      [
        [
          T,
          "--num-workers",
          "2",
          "--router-mode",
          "kv_router",
          "--extra-engine-args",
          '{"num_gpu_blocks":1024}',
        ],
        s0.trace(T).agg({ workers: 2 }).router("kv_router").engine({ numGpuBlocks: 1024 }),
      ],
      [
        [
          T,
          "--prefill-engine-args",
          '{"kv_bytes_per_token":65536,"kv_transfer_bandwidth":10}',
          "--decode-engine-args",
          '{"max_num_seqs":32}',
          "--num-decode-workers",
          "2",
          "--kv-transfer-link-sharing",
          "--arrival-speedup-ratio",
          "1.5",
          "--arrival-jitter-ms",
          "2",
          "--sla-ttft-ms",
          "200",
          "--sla-itl-ms",
          "30",
          "--seed",
          "3",
        ],
        s0.trace(T, { speedup: 1.5 })
          .disagg({
            prefill: { kvBytesPerToken: 65536, kvTransferBandwidth: 10 },
            decode: { workers: 2, maxNumSeqs: 32 },
            kvTransferLinkSharing: true,
          })
          .sla({ ttftMs: 200, itlMs: 30 })
          .set({ arrivalJitterMs: 2 })
          .seed(3),
      ],
      [
        [T, "--replay-concurrency", "4", "--router-mode", "random"],
        s0.trace(T).set({ concurrency: 4 }).router("random"),
      ],
      [
        [...synthArgs, "--request-rate", "3", "--turns-per-session", "2", "--num-workers", "2"],
        s0.synthetic({ ...synth, requestRate: 3, turnsPerSession: 2 }).agg({ workers: 2 }),
      ],
      [
        ["--demo", "--num-workers", "2", "--router-mode", "kv_router"],
        s0.defaultWorkload().agg({ workers: 2 }).router("kv_router"),
      ],
    ];
    for (const [argv, s] of cases) {
      assert.equal(await dslReport(s), await cliReport(argv, dir), argv.join(" "));
    }
  });
});

sharedTest("DSL and CLI agree on the conversation trace with the KV router", async () => {
  const trace = sharedPath("traces/mooncake/conversation_trace.jsonl");
  await withTempDir(async (dir) => {
    const argv = [
      trace,
      "--num-workers",
      "2",
      "--router-mode",
      "kv_router",
      "--extra-engine-args",
      '{"block_size":64}',
    ];
    const dsl = await dslReport(
      scenario("conv").trace("mooncake:conversation").agg({ workers: 2 }).router("kv_router").engine({
        blockSize: 64,
      }),
    );
    const cli = JSON.parse(await cliReport(argv, dir));
    const mine = JSON.parse(dsl);
    assert.equal(mine.dynolab.workload.name, cli.dynolab.workload.name);
    assert.deepEqual(mine, cli);
  });
});
