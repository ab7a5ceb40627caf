/**
 * Small in-memory workloads and specs for tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import { InputError } from "../lib/common/errors.ts";
import { parseSpec, type SimSpecInput } from "../lib/spec.ts";
import { loadInputs, type RunOptions, runSimulation, type SimulationResult } from "../lib/simulate.ts";
import { type Workload, WorkloadBuilder } from "../lib/workload/mod.ts";
import { tempDir } from "./_temp.ts";

/** One test request: prompt tokens as token-block ids of `size` tokens, arrival or delay. */
export interface TestRow {
  input: number;
  output: number;
  at?: number;
  delay?: number;
  session?: string;
  ids?: number[];
  size?: number;
  /** The previous turn's prompt of its session, then new content (a `mooncake-delta` turn); ignores `ids`. */
  extend?: boolean;
  /** Earlier rows (by index) this one waits on, replacing the session chain; `at` is then its start floor. */
  after?: { row: number; delay?: number; onDispatch?: boolean }[];
  /** Router-queue hints: the trace row's `priority`, `strict_priority` and `policy_class`. */
  priority?: number;
  strict?: number;
  policyClass?: string;
}

/** A workload of `rows` interned at `blockSize`; prompts without ids get unique ids. */
export function workloadOf(rows: TestRow[], blockSize = 64, speedup = 1): Workload {
  const b = new WorkloadBuilder({ name: "test", blockSize });
  let fresh = 1_000_000;
  rows.forEach((row) => {
    const size = row.size ?? blockSize;
    const ids = row.ids ?? Array.from({ length: Math.ceil(row.input / size) }, () => fresh++);
    b.add({
      session: row.session,
      after: row.after?.map((d) => ({ request: d.row, delayMs: d.delay, onDispatch: d.onDispatch })),
      arrivalMs: row.at ?? (row.session === undefined && row.after === undefined ? 0 : undefined),
      delayMs: row.delay,
      inputLength: row.input,
      outputLength: row.output,
      tokenBlocks: row.extend ? "extend" : { ids, size },
      priority: row.priority,
      strictPriority: row.strict,
      policyClass: row.policyClass,
    });
  });
  return b.build({ speedup });
}

/** Run `workload` with a spec; the spec's workload field is a placeholder (the given workload is used). */
export function run(
  workload: Workload,
  spec: Omit<SimSpecInput, "workload">,
  options?: RunOptions,
): SimulationResult {
  return runSimulation({ spec: parseSpec({ ...spec, workload: { source: "default" } }), workload }, options);
}

/** Engine args of a fixed-time model (ms per pass part, ms per prefill token). */
export function fixedTiming(prefill: number, decode: number, perToken = 0): Record<string, unknown> {
  return {
    timing_model: { type: "fixed", prefill_ms: prefill, decode_ms: decode, prefill_ms_per_token: perToken },
  };
}

/** A Hugging Face `config.json` shaped like Llama-3.1-8B's (the fields dynolab reads). */
export const LLAMA_8B_CONFIG = {
  model_type: "llama",
  num_hidden_layers: 32,
  hidden_size: 4096,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  intermediate_size: 14336,
  vocab_size: 128256,
} as const;

/**
 * A Hugging Face `config.json` shaped like Qwen3.5-27B's (its text model): three Gated-DeltaNet linear-attention
 * layers to one gated full-attention layer.
 */
export const QWEN35_27B_CONFIG = {
  model_type: "qwen3_5",
  text_config: {
    model_type: "qwen3_5_text",
    num_hidden_layers: 64,
    hidden_size: 5120,
    num_attention_heads: 24,
    num_key_value_heads: 4,
    head_dim: 256,
    intermediate_size: 17408,
    vocab_size: 248320,
    attn_output_gate: true,
    full_attention_interval: 4,
    layer_types: Array.from(
      { length: 64 },
      (_, i) => (i + 1) % 4 === 0 ? "full_attention" : "linear_attention",
    ),
    linear_conv_kernel_dim: 4,
    linear_key_head_dim: 128,
    linear_num_key_heads: 16,
    linear_num_value_heads: 48,
    linear_value_head_dim: 128,
    mamba_ssm_dtype: "float32",
  },
} as const;

/**
 * A Hugging Face `config.json` shaped like Gemma 4 31B's (its text model, the fields dynolab reads): five
 * sliding-window layers of 16 KV heads × 256 to one global layer of 4 KV heads × 512 whose keys double as values.
 */
export const GEMMA4_31B_CONFIG = {
  model_type: "gemma4",
  text_config: {
    model_type: "gemma4_text",
    num_hidden_layers: 60,
    hidden_size: 5376,
    num_attention_heads: 32,
    num_key_value_heads: 16,
    num_global_key_value_heads: 4,
    head_dim: 256,
    global_head_dim: 512,
    attention_k_eq_v: true,
    sliding_window: 1024,
    layer_types: Array.from(
      { length: 60 },
      (_, i) => (i + 1) % 6 === 0 ? "full_attention" : "sliding_attention",
    ),
    intermediate_size: 21504,
    vocab_size: 262144,
    tie_word_embeddings: true,
    max_position_embeddings: 262144,
  },
} as const;

/** A temporary `config.json` holding `config`, as `aic_model_path` can name it; removed when its `await using` scope ends. */
export async function configFile(config: unknown): Promise<{ readonly path: string } & AsyncDisposable> {
  const dir = await tempDir();
  const path = `${dir.path}/config.json`;
  await Deno.writeTextFile(path, JSON.stringify(config));
  return { path, [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose]() };
}

/** The path of the first non-finite number in `v` (a report), or null: no NaN or Infinity may reach a report. */
export function nonFinite(v: unknown, path = "report"): string | null {
  if (typeof v === "number") return Number.isFinite(v) ? null : path;
  if (v === null || typeof v !== "object") return null;
  for (const [k, x] of Object.entries(v)) {
    const bad = nonFinite(x, `${path}.${k}`);
    if (bad) return bad;
  }
  return null;
}

/**
 * Load and run `spec` for a property test: true when it ran with every request accounted for and every figure
 * finite, false when loading refused it with an {@link InputError} naming a field (never "got undefined");
 * anything else fails the test, its message starting with `context`.
 */
export async function runsOrRefuses(spec: unknown, context: string): Promise<boolean> {
  let inputs;
  try {
    inputs = await loadInputs(spec);
  } catch (e) {
    assert.ok(e instanceof InputError, `${context}: ${(e as Error).stack}`);
    assert.ok(e.location.field, `${context}: ${e.message}`);
    assert.doesNotMatch(e.message, /got (undefined|NaN)/, `${context}: ${e.message}`);
    return false;
  }
  let result;
  try {
    result = runSimulation(inputs);
  } catch (e) {
    assert.fail(`${context}: the run threw ${(e as Error).stack}`);
  }
  const r = result.report;
  assert.equal(nonFinite(r), null, context);
  const accounted = (r.completed_requests as number) + (r.rejected_requests as number) +
    ((r.incomplete_requests as number) ?? 0);
  assert.equal(accounted, r.num_requests, `${context}: requests accounted for`);
  return true;
}

/**
 * A small Nemotron-H MoE config, as Nemotron-3 Nano writes it: pattern "MEM*EMEM*E", 4 Mamba-2 mixers (blocks 0,
 * 2, 5, 7), 2 attention mixers (3, 8), 4 MoE blocks.
 */
export const NEMOTRON_H_CONFIG = {
  architectures: ["NemotronHForCausalLM"],
  model_type: "nemotron_h",
  hybrid_override_pattern: "MEM*EMEM*E",
  hidden_size: 1024,
  num_attention_heads: 8,
  num_key_value_heads: 2,
  head_dim: 128,
  mamba_num_heads: 32,
  mamba_head_dim: 64,
  n_groups: 4,
  ssm_state_size: 128,
  conv_kernel: 4,
  mamba_ssm_cache_dtype: "float32",
  mlp_hidden_act: "relu2",
  n_routed_experts: 16,
  num_experts_per_tok: 4,
  moe_intermediate_size: 512,
  moe_shared_expert_intermediate_size: 1024,
  n_shared_experts: 1,
  intermediate_size: 512,
  vocab_size: 32000,
  max_position_embeddings: 8192,
};
