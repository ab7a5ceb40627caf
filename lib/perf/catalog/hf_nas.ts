/**
 * Reading the per-layer `block_configs` of NAS-pruned Llama-Nemotron checkpoints (`DeciLMForCausalLM`,
 * `model_type: "nemotron-nas"`, such as Llama-3.3-Nemotron-Super-49B): each layer keeps or drops its attention
 * (`attention.no_op`) and its FFN (`ffn.no_op`), and sizes its FFN by `ffn.ffn_mult`.
 *
 * @module
 */
import { InputError, type InputLocation, shown } from "../../common/errors.ts";
import { isObject, type Json } from "../../common/json.ts";
import type { FfnWidth } from "./arch.ts";

/** What a NAS model's blocks amount to: its attention layers, their KV heads, and its FFN layers by width. */
export interface NasBlocks {
  readonly attention: number;
  readonly kvHeads: number;
  /** Widest first. */
  readonly ffnWidths: readonly FfnWidth[];
}

/**
 * The FFN intermediate size of a NAS layer: `2/3 × ffn_mult × hidden`, truncated, rounded up to a multiple
 * of 256, as the DeciLM modelling code sizes it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nasFfnWidth } from "./hf_nas.ts";
 * assert.equal(nasFfnWidth(5.25, 8192), 28672); // Llama-3.1-70B's FFN
 * assert.equal(nasFfnWidth(1, 8192), 5632);
 * ```
 */
export function nasFfnWidth(ffnMult: number, hidden: number): number {
  return 256 * Math.ceil(Math.trunc(2 * ffnMult * hidden / 3) / 256);
}

/**
 * A NAS model's blocks from `block_configs`; undefined for configs without it. Attention layers replaced by a
 * linear layer, attention windows and sinks, and KV heads that differ between layers are refused naming the
 * block and field, as vLLM's DeciLM model does not run them either; so is a model with no attention layer.
 */
export function nasBlocks(c: Json, heads: number, hidden: number, at: InputLocation): NasBlocks | undefined {
  if (!Array.isArray(c.block_configs)) return undefined;
  const field = "block_configs";
  const fail = (message: string, i?: number, key?: string): never => {
    throw new InputError(message, { ...at, field: i === undefined ? field : `${field}[${i}].${key}` });
  };
  let attention = 0;
  let group: number | undefined;
  const widths = new Map<number, number>();
  c.block_configs.forEach((block: unknown, i) => {
    if (!isObject(block) || !isObject(block.attention) || !isObject(block.ffn)) {
      fail(`block ${i} needs "attention" and "ffn" objects`);
    }
    const { attention: attn, ffn } = block as { attention: Json; ffn: Json };
    for (const [part, key] of [[attn, "attention"], [ffn, "ffn"]] as const) {
      if (part.replace_with_linear === true) {
        fail(
          "a block replaced by a linear layer is not modelled; valid: false",
          i,
          `${key}.replace_with_linear`,
        );
      }
    }
    for (const key of ["window_length", "num_sink_tokens"]) {
      if (attn[key] != null) {
        fail("windowed or sink attention is not modelled; valid: null", i, `attention.${key}`);
      }
    }
    if (attn.no_op !== true) {
      const g = attn.n_heads_in_group;
      if (typeof g !== "number" || !Number.isInteger(g) || g <= 0 || heads % g !== 0) {
        fail(
          `needs a positive divisor of the ${heads} heads (got ${shown(g)})`,
          i,
          "attention.n_heads_in_group",
        );
      }
      if (group !== undefined && g !== group) {
        fail(
          `is ${g} where earlier layers have ${group}; dynolab prices one KV-head count`,
          i,
          "attention.n_heads_in_group",
        );
      }
      group = g as number;
      attention++;
    }
    if (ffn.no_op !== true) {
      const mult = ffn.ffn_mult;
      if (typeof mult !== "number" || !(mult > 0)) {
        fail(`needs a positive number (got ${shown(mult)})`, i, "ffn.ffn_mult");
      }
      const width = nasFfnWidth(mult as number, hidden);
      widths.set(width, (widths.get(width) ?? 0) + 1);
    }
  });
  if (group === undefined) fail("has no attention layer; dynolab sizes the KV pool by them");
  const ffnWidths = [...widths].sort(([a], [b]) => b - a).map(([ffn, layers]) => ({ ffn, layers }));
  return { attention, kvHeads: heads / group!, ffnWidths };
}
