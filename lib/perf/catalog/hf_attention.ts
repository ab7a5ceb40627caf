/**
 * Reading a config's softmax-attention layers: the full-attention layers' shape (KV heads, head dimensions,
 * Gemma 4's global layers whose keys double as values), which layers see a bounded window, and those layers'
 * own shape where it differs (Gemma 4, MiMo-V2).
 *
 * @module
 */
import { InputError, type InputLocation } from "../../common/errors.ts";
import type { Json } from "../../common/json.ts";
import type { ModelArch, SlidingWindowArch } from "./arch.ts";

/** Reads a non-negative integer field of the config, or `fallback` when it is absent (else a named error). */
export type IntField = (key: string, fallback?: number) => number;

/** The attention part of a {@link ModelArch}, as a config states it. */
export type HfAttention = Pick<ModelArch, "kvHeads" | "headDim" | "vHeadDim" | "kEqV" | "slidingWindow">;

/** What {@link attentionFrom} needs besides the config: counts already read, and a NAS model's KV heads. */
export interface AttentionContext {
  readonly layers: number;
  readonly heads: number;
  readonly hidden: number;
  readonly llama4: boolean;
  /** KV heads from NAS `block_configs`, which state no `num_key_value_heads`. */
  readonly kvHeads?: number;
}

/**
 * The attention shapes of a (non-MLA) config:
 * - `head_dim` (else `attention_head_dim`, else `hidden_size / num_attention_heads`), `num_key_value_heads`
 *   and a `v_head_dim` that differs from it (MiMo-V2);
 * - Gemma 4's global layers: `global_head_dim` wide, and with `attention_k_eq_v` on `num_global_key_value_heads`
 *   with no value projection; its sliding layers keep `head_dim` and `num_key_value_heads`;
 * - MiMo-V2's sliding layers: `swa_num_key_value_heads`, `swa_head_dim`, `swa_v_head_dim` (its
 *   `swa_num_attention_heads` must be the model's).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { attentionFrom } from "./hf_attention.ts";
 * const gemma4 = { head_dim: 256, global_head_dim: 512, num_key_value_heads: 8, num_global_key_value_heads: 2,
 *   attention_k_eq_v: true, sliding_window: 1024,
 *   layer_types: ["sliding_attention", "sliding_attention", "full_attention"] };
 * const int = (key: string, fallback?: number) => (gemma4 as Record<string, unknown>)[key] as number ?? fallback!;
 * const a = attentionFrom(gemma4, int, { layers: 3, heads: 16, hidden: 2816, llama4: false }, {});
 * assert.deepEqual(a, { kvHeads: 2, headDim: 512, vHeadDim: undefined, kEqV: true,
 *   slidingWindow: { window: 1024, layers: 2, kvHeads: 8, headDim: 256 } });
 * ```
 */
export function attentionFrom(c: Json, int: IntField, ctx: AttentionContext, at: InputLocation): HfAttention {
  const { heads, hidden } = ctx;
  // KV heads are shared by whole groups of query heads.
  const kvHeadsField = (key: string, fallback: number) => {
    const v = int(key, fallback);
    if (v >= 1 && heads % v === 0) return v;
    const valid = [...Array(heads).keys()].map((i) => i + 1).filter((d) => heads % d === 0);
    throw new InputError(
      `is ${v}; valid: a divisor of num_attention_heads ${heads} (${valid.join(", ")})`,
      { ...at, field: key },
    );
  };
  const localDim = int("head_dim", int("attention_head_dim", Math.floor(hidden / Math.max(1, heads))));
  const localKv = ctx.kvHeads ?? kvHeadsField("num_key_value_heads", heads);
  const kEqV = c.attention_k_eq_v === true;
  const headDim = int("global_head_dim", localDim);
  const kvHeads = kEqV ? kvHeadsField("num_global_key_value_heads", localKv) : localKv;
  const vHeadDim = int("v_head_dim", headDim);
  if (int("swa_num_attention_heads", heads) !== heads) {
    throw new InputError(
      `is ${c.swa_num_attention_heads} where the full-attention layers have ${heads} heads; dynolab prices ` +
        "one query-head count",
      { ...at, field: "swa_num_attention_heads" },
    );
  }
  const swaDim = int("swa_head_dim", localDim);
  const sliding = {
    kvHeads: kvHeadsField("swa_num_key_value_heads", localKv),
    headDim: swaDim,
    vHeadDim: int("swa_v_head_dim", c.swa_head_dim != null || c.global_head_dim != null ? swaDim : vHeadDim),
  };
  const window = windowedAttention(c, ctx.layers, int, ctx.llama4);
  return {
    kvHeads,
    headDim,
    vHeadDim: vHeadDim !== headDim ? vHeadDim : undefined,
    kEqV: kEqV || undefined,
    slidingWindow: window && {
      ...window,
      ...(sliding.kvHeads !== kvHeads ? { kvHeads: sliding.kvHeads } : {}),
      ...(sliding.headDim !== headDim ? { headDim: sliding.headDim } : {}),
      // Stated where `slidingAttentionShape` would not infer it from the head dimensions.
      ...(sliding.vHeadDim !== (sliding.headDim !== headDim ? sliding.headDim : vHeadDim)
        ? { vHeadDim: sliding.vHeadDim }
        : {}),
    },
  };
}

/**
 * Layers whose attention sees a bounded window, and the window, as the modelling code places them:
 * - `layer_types` when given (`sliding_attention` with `sliding_window`, `chunked_attention` with
 *   `attention_chunk_size`), or MiMo-V2's `hybrid_layer_pattern` (1: sliding);
 * - `sliding_window` unless `use_sliding_window` is false (Qwen2/Qwen3 ship a window they do not use), on the
 *   layers from `max_window_layers` on (Qwen), all but every `sliding_window_pattern`-th (Gemma 3), every other
 *   one from the first (Gemma 2), or all of them (Mistral 7B v0.1);
 * - Llama 4's chunked local attention (`attention_chunk_size`) on its RoPE layers (`no_rope_layers`, or all
 *   but every `no_rope_layer_interval`-th, 4), priced as a window of one chunk.
 */
export function windowedAttention(
  c: Json,
  layers: number,
  int: IntField,
  llama4: boolean,
): SlidingWindowArch | undefined {
  const size = (v: unknown) => typeof v === "number" && v > 0 ? v : 0;
  const window = c.use_sliding_window === false ? 0 : size(c.sliding_window);
  const chunk = size(c.attention_chunk_size);
  // All but every `every`-th layer, counting from 1 (none skipped for 0).
  const allBut = (every: number) => every > 0 ? layers - Math.floor(layers / every) : layers;
  const make = (w: number, n: number) =>
    w > 0 && n > 0 ? { window: w, layers: Math.min(n, layers) } : undefined;
  if (Array.isArray(c.layer_types)) {
    const count = (kind: string) => (c.layer_types as unknown[]).filter((t) => t === kind).length;
    return make(window, count("sliding_attention")) ?? make(chunk, count("chunked_attention"));
  }
  if (Array.isArray(c.hybrid_layer_pattern)) {
    return make(window, c.hybrid_layer_pattern.filter(Boolean).length);
  }
  if (chunk > 0 && llama4) {
    const rope = Array.isArray(c.no_rope_layers)
      ? c.no_rope_layers.filter((v) => v === 1 || v === true).length
      : allBut(int("no_rope_layer_interval", 4));
    return make(chunk, rope);
  }
  if (window === 0) return undefined;
  if (c.max_window_layers != null) return make(window, layers - int("max_window_layers"));
  const pattern = int("sliding_window_pattern", 0);
  if (pattern > 0) return make(window, allBut(pattern));
  if (c.model_type === "gemma2") return make(window, Math.ceil(layers / 2));
  return make(window, layers);
}
