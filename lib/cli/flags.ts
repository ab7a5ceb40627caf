/**
 * The `replay` command's flags: the reference CLI's (`python -m dynamo.replay`), parsed into a simulation spec
 * plus output options. Validation follows the reference's rules (§1.2) and reports the offending flag.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { expandAbbreviations, joinNegativeValues } from "./argv.ts";
import { flagError } from "../common/flag_error.ts";
import { topology } from "./topology_flags.ts";
import { parseConfig } from "../common/config.ts";
import { InputError } from "../common/errors.ts";
import { arrivalModeProblem, arrivalModes } from "../workload/mod.ts";
import { readRouterPolicy, RouterConfigSchema } from "../router/mod.ts";
import { CLI_FLAGS, FLAGS, type Values } from "./flag_defs.ts";
import { namingFlag } from "./flag_naming.ts";
import { jsonObjectFlag, optionalInt, optionalNumber, routerMode, traceFormat } from "./flag_values.ts";
import { plannerFlag } from "./planner_flag.ts";
import { checkIntervalNames, plannerNamedFiles } from "./planner_files.ts";
import { plannerReportPath } from "./write.ts";
import { parseSpec, type SimSpecInput } from "../spec.ts";

export { CLI_FLAGS } from "./flag_defs.ts";

/** The top-level `--aic-*` flags: the router-side perf model's settings, by their engine-arg key. */
const ROUTER_AIC_FLAGS = CLI_FLAGS.filter((f) => f.startsWith("aic-"));
/** Those that take an integer. */
const ROUTER_AIC_INTS = [
  "aic-tp-size",
  "aic-moe-tp-size",
  "aic-moe-ep-size",
  "aic-attention-dp-size",
  "aic-nextn",
];

/**
 * `router.aic` from the top-level `--aic-*` flags (the router-side AIC prefill-load estimator, which
 * `router_prefill_load_model: "aic"` uses), or undefined when none is given. A dtype of `auto` is the model's
 * default, as in the reference.
 */
function routerAic(v: Values): Record<string, unknown> | undefined {
  const aic: Record<string, unknown> = {};
  for (const flag of ROUTER_AIC_FLAGS) {
    const value = v[flag as keyof Values];
    if (value === undefined || (flag.endsWith("-dtype") && value === "auto")) continue;
    aic[flag.replaceAll("-", "_")] = ROUTER_AIC_INTS.includes(flag)
      ? optionalInt(v, flag as keyof Values, 1)
      : value;
  }
  return Object.keys(aic).length > 0 ? aic : undefined;
}

/** Where and how to write results. */
export interface OutputOptions {
  /** `--report-json`; undefined means the reference's default timestamped file in the current directory. */
  readonly reportJson?: string;
  readonly reportJsonl?: string;
  /** The planner's `report_output_dir`, when `--planner-config` is given. */
  readonly plannerDir?: string;
  /** The planner's files named before the run (`report_filename`, its tick log), with the key naming them. */
  readonly plannerFiles: readonly (readonly [path: string, what: string])[];
  /** The files the run reads (trace files, config files), each with the flag that names it. */
  readonly inputs: readonly (readonly [path: string, what: string])[];
  /** `--demo`: the embedded workload, no report file unless asked for. */
  readonly demo: boolean;
}

/** Flags whose value may be a file the run reads (else inline JSON). */
const FILE_FLAGS = [
  "extra-engine-args",
  "prefill-engine-args",
  "decode-engine-args",
  "router-config",
  "router-policy-config",
  "planner-config",
] as const;

/** The parsed command. */
export type Command =
  | { readonly kind: "help" }
  | {
    readonly kind: "run";
    readonly spec: SimSpecInput;
    readonly output: OutputOptions;
    /** Flags accepted but without effect in this run, to report once. */
    readonly warnings: readonly string[];
  };

/**
 * The synthetic shaping flags, each with its default and whether it takes an integer. One makes a synthetic
 * workload only at a value other than its default, as the reference counts it (`--turns-per-session 1` beside a
 * trace file changes nothing).
 */
const SHAPING_FLAGS = {
  "turns-per-session": { default: 1, int: true },
  "shared-prefix-ratio": { default: 0, int: false },
  "num-prefix-groups": { default: 0, int: true },
  "inter-turn-delay-ms": { default: 0, int: false },
  "input-tokens-stddev": { default: 0, int: false },
  "output-tokens-stddev": { default: 0, int: false },
  "length-range-ratio": { default: 1, int: false },
  "num-dataset-entries": { default: 0, int: true },
} as const;

/**
 * Parse command-line arguments. Throws {@link InputError} naming the flag on any problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommand } from "./flags.ts";
 * const cmd = parseCommand(["t.jsonl", "--num-workers", "2", "--router-mode", "kv_router"]);
 * assert(cmd.kind === "run" && cmd.spec.router?.mode === "kv_router");
 * ```
 */
export function parseCommand(argv: readonly string[]): Command {
  const args = joinNegativeValues(expandAbbreviations(argv));
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: Object.fromEntries(
        Object.entries(FLAGS).map(([k, type]) => [k, k === "help" ? { type, short: "h" } : { type }]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw flagError(e as Error, CLI_FLAGS);
  }
  const v = parsed.values as Values;
  const given = (flag: keyof typeof FLAGS) => v[flag] !== undefined;
  if (v.help) return { kind: "help" };
  if (given("replay-mode") && v["replay-mode"] !== "offline") {
    if (v["replay-mode"] === "online") {
      throw new InputError("online replay drives live workers; dynolab simulates offline only", {
        field: "--replay-mode",
      });
    }
    throw new InputError(`invalid value "${v["replay-mode"]}"; expected "offline"`, {
      field: "--replay-mode",
    });
  }
  const positionals = parsed.positionals;
  // The triple makes a synthetic workload, and so does a shaping flag away from its default.
  const syntheticFlags = [
    ...(["input-tokens", "output-tokens", "request-count"] as const).filter((f) => given(f)),
    ...Object.entries(SHAPING_FLAGS).filter(([f, { default: d, int }]) => {
      const flag = f as keyof typeof SHAPING_FLAGS;
      const value = int ? optionalInt(v, flag, 0) : optionalNumber(v, flag);
      return value !== undefined && value !== d;
    }).map(([f]) => f),
  ];
  const synthetic = syntheticFlags.length > 0;
  const demo = v.demo === true;
  const sources = [
    positionals.length > 0 ? "a trace file" : "",
    synthetic ? `synthetic flags (${syntheticFlags.map((f) => `--${f}`).join(", ")})` : "",
    demo ? "--demo" : "",
  ]
    .filter(Boolean);
  if (sources.length > 1) {
    throw new InputError(`give exactly one workload source, got ${sources.join(" and ")}`, {
      field: "workload",
    });
  }
  if (sources.length === 0) {
    throw new InputError(
      "no workload: give a trace file, or --input-tokens/--output-tokens/--request-count, or --demo",
      { field: "workload" },
    );
  }
  for (const f of ["trace-shared-prefix-ratio", "trace-num-prefix-groups"] as const) {
    if (positionals.length === 0 && given(f)) {
      throw new InputError("only applies to trace files of --trace-format applied_compute_agentic", {
        field: `--${f}`,
      });
    }
  }
  const format = traceFormat(v["trace-format"]);
  if (positionals.length === 0 && format === "dynamo") {
    throw new InputError("--trace-format dynamo reads trace shards; give at least one trace file", {
      field: "--trace-format",
    });
  }
  if (positionals.length > 1 && format !== "dynamo") {
    throw new InputError(
      `trace format ${v["trace-format"] ?? "mooncake"} reads one trace file, got ${positionals.length}: ` +
        `${positionals.join(", ")} (only --trace-format dynamo takes several shards)`,
      { field: "trace_files" },
    );
  }

  const concurrency = optionalInt(v, "replay-concurrency", 1);
  const rate = optionalNumber(v, "request-rate");
  const interval = optionalNumber(v, "arrival-interval-ms");
  // Values of flags only one kind of workload reads are checked whatever the workload, as argparse types them:
  // where they have no effect they are warned of, but a malformed one is still an error.
  const traceBlockSize = optionalInt(v, "trace-block-size", 1);
  const arrivalSeed = optionalInt(v, "arrival-seed", 0);
  let workload: SimSpecInput["workload"];
  if (synthetic) {
    for (const f of ["input-tokens", "output-tokens", "request-count"] as const) {
      if (!given(f)) throw new InputError("required with synthetic workloads", { field: `--${f}` });
    }
    const problem = arrivalModeProblem(
      arrivalModes({ request_rate: rate, arrival_interval_ms: interval }, concurrency !== undefined),
      (m) => `--${m.replaceAll("_", "-")}`,
    );
    if (problem) throw new InputError(problem);
    workload = {
      source: "synthetic",
      input_tokens: optionalInt(v, "input-tokens", 1)!,
      output_tokens: optionalInt(v, "output-tokens", 1)!,
      request_count: optionalInt(v, "request-count", 1)!,
      request_rate: rate,
      arrival_interval_ms: interval,
      turns_per_session: optionalInt(v, "turns-per-session", 1),
      inter_turn_delay_ms: optionalNumber(v, "inter-turn-delay-ms"),
      shared_prefix_ratio: optionalNumber(v, "shared-prefix-ratio"),
      num_prefix_groups: optionalInt(v, "num-prefix-groups", 0),
      arrival_seed: arrivalSeed,
      input_tokens_stddev: optionalNumber(v, "input-tokens-stddev"),
      output_tokens_stddev: optionalNumber(v, "output-tokens-stddev"),
      length_range_ratio: optionalNumber(v, "length-range-ratio"),
      dataset_entries: optionalInt(v, "num-dataset-entries", 0),
    };
  } else {
    for (const f of ["request-rate", "arrival-interval-ms"] as const) {
      if (given(f)) throw new InputError("only applies to synthetic workloads", { field: `--${f}` });
    }
    workload = demo ? { source: "default" } : {
      source: "trace",
      path: positionals.length === 1 ? positionals[0] : positionals,
      format,
      trace_block_size: traceBlockSize,
      trace_shared_prefix_ratio: optionalNumber(v, "trace-shared-prefix-ratio"),
      trace_num_prefix_groups: optionalInt(v, "trace-num-prefix-groups", 0),
    };
  }

  const mode = routerMode(v["router-mode"]);
  const routerJson = given("router-config") ? jsonObjectFlag(v, "router-config") : undefined;
  const { router_policy_config: embeddedPolicy, ...routerConfig } = routerJson?.value ?? {};
  if (embeddedPolicy != null && typeof embeddedPolicy !== "string") {
    throw new InputError("must be a path to a YAML file", {
      file: routerJson?.file,
      field: "--router-config.router_policy_config",
    });
  }
  // Only the KV router reads a policy file: other modes warn that the flag has no effect and leave the file
  // (the flag's, the router config's key, $DYN_ROUTER_POLICY_CONFIG) unread, so a stale path cannot break them.
  const source = mode === "kv_router" ? policySource(v["router-policy-config"], embeddedPolicy) : undefined;
  const policy = source && readRouterPolicy(source.path, source.field);
  if (v["model-name"] === "") throw new InputError("model_name must be non-empty", { field: "--model-name" });
  const planner = given("planner-config") ? plannerFlag(String(v["planner-config"])) : undefined;
  // The reference takes the --aic-* flags whatever the router (it checks only that the three are there); they
  // drive the KV router's "aic" prefill-load model, and say so where there is none.
  const aic = routerAic(v);
  const aicUsed = mode === "kv_router" && routerConfig.router_prefill_load_model === "aic";
  for (const key of aic && !aicUsed ? ["aic-backend", "aic-system", "aic-model-path"] as const : []) {
    if (!given(key)) throw new InputError("required when any --aic-* flag is given", { field: `--${key}` });
  }
  const spec: SimSpecInput = {
    workload,
    arrival_speedup_ratio: optionalNumber(v, "arrival-speedup-ratio"),
    arrival_jitter_ms: optionalNumber(v, "arrival-jitter-ms"),
    spread_arrival_steps: v["spread-arrival-steps"],
    replay_concurrency: concurrency,
    warmup_request_count: optionalInt(v, "warmup-request-count", 0),
    topology: topology(v),
    router: {
      mode,
      config: routerJson &&
        parseConfig(RouterConfigSchema, routerConfig, "--router-config", { file: routerJson.file }),
      aic: aicUsed ? aic : undefined,
      ...(mode === "kv_router" && policy ? { policy, model_name: v["model-name"] } : {}),
    },
    sla: {
      ttft_ms: optionalNumber(v, "sla-ttft-ms"),
      itl_ms: optionalNumber(v, "sla-itl-ms"),
      e2e_ms: optionalNumber(v, "sla-e2e-ms"),
    },
    max_sim_time_seconds: optionalNumber(v, "max-sim-time-seconds"),
    seed: optionalInt(v, "seed", 0),
    planner,
    benchmark_granularity: optionalInt(v, "benchmark-granularity", 1),
  };
  const warnings = [
    given("benchmark-granularity") && !given("planner-config") &&
    "--benchmark-granularity only affects the planner's perf bootstrap and has no effect without a planner",
    embeddedPolicy != null && mode !== "kv_router" &&
    `--router-config.router_policy_config only affects the KV router and has no effect with --router-mode ${
      mode ?? "round_robin"
    }`,
    given("router-policy-config") && mode !== "kv_router" &&
    `--router-policy-config only affects the KV router and has no effect with --router-mode ${
      mode ?? "round_robin"
    }`,
    aic && !aicUsed &&
    '--aic-* only set the KV router\'s "aic" prefill-load model (router_prefill_load_model) and have no effect ' +
      "here",
    given("model-name") && !(mode === "kv_router" && policy) &&
    "--model-name picks a model profile of --router-policy-config and has no effect without one",
    synthetic && sharesNothing(v, "shared-prefix-ratio", "num-prefix-groups"),
    sharesNothing(v, "trace-shared-prefix-ratio", "trace-num-prefix-groups"),
    workload.source !== "trace" && given("trace-format") &&
    "--trace-format only applies to trace files and has no effect on this workload",
    workload.source !== "trace" && given("trace-block-size") &&
    "--trace-block-size only applies to trace files and has no effect on this workload",
    !synthetic && given("arrival-seed") &&
    "--arrival-seed only seeds synthetic arrivals and has no effect on this workload (--seed seeds the jitter)",
  ].filter((w): w is string => typeof w === "string");
  const checked = dropUndefined(spec) as SimSpecInput;
  checkSpec(checked);
  if (planner?.report_filename != null && planner.report_interval_hours != null) {
    checkIntervalNames(plannerReportPath(planner.report_output_dir, planner.report_filename), [
      [v["report-json"], "--report-json"],
      [v["report-jsonl"], "--report-jsonl"],
    ]);
  }
  return {
    kind: "run",
    spec: checked,
    output: {
      reportJson: v["report-json"],
      reportJsonl: v["report-jsonl"],
      plannerDir: planner?.report_output_dir,
      plannerFiles: planner?.report_filename != null
        ? plannerNamedFiles(plannerReportPath(planner.report_output_dir, planner.report_filename), planner)
        : [],
      inputs: [
        ...positionals.map((p) => [p, "the trace file"] as const),
        ...FILE_FLAGS.flatMap((f) => {
          const value = v[f];
          return value !== undefined && !value.trim().startsWith("{")
            ? [[value.trim(), `--${f}`] as const]
            : [];
        }),
      ],
      demo,
    },
    warnings,
  };
}

/**
 * Where the KV router's policy comes from, and the name to blame in errors: `--router-policy-config`; else the
 * file `DYN_ROUTER_POLICY_CONFIG` names (the flag's default); else the router config's `router_policy_config`
 * key. Asked only for the KV router: other modes read none of them.
 */
function policySource(
  flag: string | undefined,
  embedded: string | null | undefined,
): { path: string; field: string } | undefined {
  if (flag !== undefined) return { path: flag, field: "--router-policy-config" };
  const env = policyFromEnv();
  if (env !== undefined) return { path: env, field: "$DYN_ROUTER_POLICY_CONFIG" };
  return embedded == null ? undefined : { path: embedded, field: "--router-config.router_policy_config" };
}

/** The policy file `DYN_ROUTER_POLICY_CONFIG` names, if set and readable. */
function policyFromEnv(): string | undefined {
  try {
    return Deno.env.get("DYN_ROUTER_POLICY_CONFIG") || undefined;
  } catch {
    return undefined;
  }
}

/** The warning for a prefix-sharing ratio given while its group count is 0, or false when there is none. */
function sharesNothing(v: Values, ratio: keyof Values, groups: keyof Values): string | false {
  return (optionalNumber(v, ratio) ?? 0) > 0 && !(optionalInt(v, groups, 0)! > 0) &&
    `--${ratio} shares nothing while --${groups} is 0 (the reference's default); give --${groups} N`;
}

/**
 * Validate the spec the flags built, so a bad value is reported against its flag (`--shared-prefix-ratio`)
 * rather than the spec field it fills (`spec.workload.shared_prefix_ratio`).
 */
function checkSpec(spec: SimSpecInput): void {
  try {
    parseSpec(spec);
  } catch (e) {
    throw e instanceof InputError ? namingFlag(e) : e;
  }
}

/** `value` with its undefined object fields removed, at every depth (what a JSON round trip would drop). */
function dropUndefined(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = dropUndefined(v);
  return out;
}
