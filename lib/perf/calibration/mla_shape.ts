/**
 * The MLA block shape AIC's MLA module tables were collected on (DeepSeek-V3).
 *
 * @module
 */
import type { MlaShape } from "../analytic/mla.ts";

/** DeepSeek-V3's MLA block: hidden 7168, q LoRA 1536, KV LoRA 512, nope 128, rope 64, v 128. */
export const DEEPSEEK_MLA_SHAPE: MlaShape = {
  hidden: 7168,
  qLoraRank: 1536,
  kvLoraRank: 512,
  qkNopeDim: 128,
  qkRopeDim: 64,
  vHeadDim: 128,
};
