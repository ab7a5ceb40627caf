/**
 * The `replay` command's flag table: every flag with its `parseArgs` type, and the parsed values' type.
 *
 * @module
 */

/** Flag definitions: name → parseArgs type. */
export const FLAGS = {
  "extra-engine-args": "string",
  "prefill-engine-args": "string",
  "decode-engine-args": "string",
  "router-config": "string",
  "router-policy-config": "string",
  "model-name": "string",
  "aic-backend": "string",
  "aic-system": "string",
  "aic-backend-version": "string",
  "aic-systems-path": "string",
  "aic-model-path": "string",
  "aic-tp-size": "string",
  "aic-moe-tp-size": "string",
  "aic-moe-ep-size": "string",
  "aic-attention-dp-size": "string",
  "aic-gemm-dtype": "string",
  "aic-moe-dtype": "string",
  "aic-fmha-dtype": "string",
  "aic-kv-cache-dtype": "string",
  "aic-comm-dtype": "string",
  "aic-nextn": "string",
  "aic-nextn-accept-rates": "string",
  "input-tokens": "string",
  "output-tokens": "string",
  "request-count": "string",
  "request-rate": "string",
  "arrival-interval-ms": "string",
  "arrival-seed": "string",
  "turns-per-session": "string",
  "shared-prefix-ratio": "string",
  "num-prefix-groups": "string",
  "inter-turn-delay-ms": "string",
  "num-workers": "string",
  "num-prefill-workers": "string",
  "num-decode-workers": "string",
  "replay-concurrency": "string",
  "replay-mode": "string",
  "router-mode": "string",
  "arrival-speedup-ratio": "string",
  "arrival-jitter-ms": "string",
  "spread-arrival-steps": "boolean",
  "trace-format": "string",
  "trace-block-size": "string",
  "trace-shared-prefix-ratio": "string",
  "trace-num-prefix-groups": "string",
  "report-json": "string",
  "report-jsonl": "string",
  "planner-config": "string",
  "benchmark-granularity": "string",
  "max-sim-time-seconds": "string",
  "sla-ttft-ms": "string",
  "sla-itl-ms": "string",
  "sla-e2e-ms": "string",
  // dynolab additions
  "seed": "string",
  "warmup-request-count": "string",
  "input-tokens-stddev": "string",
  "output-tokens-stddev": "string",
  "length-range-ratio": "string",
  "num-dataset-entries": "string",
  "kv-transfer-link-sharing": "boolean",
  "demo": "boolean",
  "help": "boolean",
} as const;

/** Every flag the command accepts (for docs and the DSL-coverage test). */
export const CLI_FLAGS: readonly string[] = Object.keys(FLAGS);

/** dynolab's flags beyond the reference's `python -m dynamo.replay` (an abbreviation prefers the reference's). */
export const DYNOLAB_FLAGS: readonly string[] = [
  "aic-systems-path",
  "arrival-jitter-ms",
  "spread-arrival-steps",
  "seed",
  "warmup-request-count",
  "input-tokens-stddev",
  "output-tokens-stddev",
  "length-range-ratio",
  "num-dataset-entries",
  "kv-transfer-link-sharing",
  "demo",
  "help",
];

/** Parsed flag values: a string per valued flag, a boolean per switch; absent when not given. */
export type Values = { [K in keyof typeof FLAGS]?: (typeof FLAGS)[K] extends "boolean" ? boolean : string };
