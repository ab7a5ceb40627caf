/**
 * `replay --help` text.
 *
 * @module
 */

/** The help text of the `replay` command. */
export const USAGE =
  `dynolab replay: simulate an LLM-serving cluster on a request trace (drop-in for python -m dynamo.replay)

Usage:
  deno task replay TRACE.jsonl [flags]                      replay a trace (open loop, trace timestamps)
  deno task replay SHARD... --trace-format dynamo [flags]   replay Dynamo request-trace shards
  deno task replay --input-tokens N --output-tokens N --request-count N
                   (--request-rate R | --arrival-interval-ms MS | --replay-concurrency C) [flags]
  deno task demo                                            the embedded agentic workload
  deno task replay --demo [flags]                           the same, with your flags

Workload:
  --trace-format F           mooncake (default) | mooncake-delta | agentic_mooncake |
                             applied_compute_agentic | dynamo (one or more shards) | azure | kv_cache_tester
  --trace-block-size N       tokens per hash id (default 512 for the mooncake formats and
                             applied_compute_agentic; an agentic_mooncake v2 header and a dynamo trace
                             carry their own, which N must match)
  --trace-shared-prefix-ratio R, --trace-num-prefix-groups N
                             applied_compute_agentic: share of each first prompt common to its line's
                             prefix group (default 0, 0)
  --arrival-speedup-ratio R  divide arrivals and inter-turn delays by R (default 1)
  --arrival-jitter-ms J      move each session's arrivals by a uniform draw from ±J ms, seeded by --seed
                             (default 0): replications of one trace at the same load
  --spread-arrival-steps     a trace whose timestamps are quantised to steps: jitter by half a step, spreading
                             each step's requests over it (dynolab)
  --replay-concurrency C     closed loop: at most C requests in flight
  --warmup-request-count N   the first N requests are a warm-up phase: served, drained, not measured (AIPerf)
  --input-tokens/--output-tokens/--request-count, --request-rate, --arrival-interval-ms,
  --turns-per-session, --inter-turn-delay-ms, --shared-prefix-ratio, --num-prefix-groups,
  --arrival-seed (42)        synthetic workload
  --input-tokens-stddev S, --output-tokens-stddev S
                             normal length spread (AIPerf; default 0: exact lengths)
  --length-range-ratio R     lengths uniform in [len × R, len] (benchmark_serving's --random-range-ratio)
  --num-dataset-entries N    first prompts drawn from N distinct prompts, shuffled per pass (AIPerf's; 0: all new)

Topology and engines:
  --num-workers N            aggregated workers (default 1)
  --extra-engine-args JSON   engine args of aggregated workers (inline JSON or a file path)
  --prefill-engine-args JSON, --decode-engine-args JSON, --num-prefill-workers N, --num-decode-workers N
                             disaggregated serving
  --kv-transfer-link-sharing concurrent KV transfers share their prefill rank's link (dynolab)

Routing:
  --router-mode M            round_robin (default) | kv_router | random
  --router-config JSON       KV-router settings (overlap_score_credit, prefill_load_scale, router_temperature,
                             router_queue_threshold, router_queue_policy, router_prefill_load_model, ...)
  --aic-backend B, --aic-system S, --aic-model-path M, --aic-tp-size N, ... (every engine aic_* key)
                             the router-side perf model of router_prefill_load_model "aic"
  --router-policy-config PATH
                             router queue classes (YAML; default $DYN_ROUTER_POLICY_CONFIG); trace rows
                             pick one with policy_class and order within it by priority, strict_priority
  --model-name NAME          the model profile of --router-policy-config to use (default: its root)
  --seed N                   seed of router draws and arrival jitter (default 42; MTP draws: aic_mtp_seed)

Planner in the loop:
  --planner-config JSON|PATH the reference's planner config, inline JSON or a JSON/YAML file (lib/planner/README.md);
                             prints the scaling events, the tick count and "GPU hours: X", and writes
                             ./planner_reports/<report_filename> (the HTML diagnostics report)
  --benchmark-granularity N  sweep points of the planner's perf bootstrap (default 8)

Outputs:
  --report-json PATH         full JSON report (default ./dynamo_replay_report_<timestamp>.json)
  --report-jsonl PATH        one JSON line per request
  --sla-ttft-ms, --sla-itl-ms, --sla-e2e-ms   goodput thresholds
  --max-sim-time-seconds S   stop the simulated clock at S seconds

See README.md for every flag, the engine args and the differences from the reference.`;
