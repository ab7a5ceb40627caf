/**
 * GPU-budget clamps of a scaling target (`_budget_clamp`, `_apply_global_budget`).
 *
 * @module
 */

/**
 * One component: if `desired · gpu` exceeds the budget, `max(minEndpoint, ⌊budget / gpu⌋)`; a budget below
 * `minEndpoint · gpu` gives 0 (dynolab rejects such configs up front). A negative budget disables the cap.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { budgetClamp } from "./budget.ts";
 * assert(budgetClamp(12, 2, 8, 1) === 4 && budgetClamp(3, 2, 8, 1) === 3 && budgetClamp(9, 1, -1, 1) === 9);
 * ```
 */
export function budgetClamp(desired: number, gpu: number, budget: number, minEndpoint: number): number {
  if (budget < 0 || desired * gpu <= budget) return desired;
  if (budget < minEndpoint * gpu) return 0;
  return Math.max(minEndpoint, Math.floor(budget / gpu));
}

/**
 * Disaggregated: when `P · gP + D · gD` exceeds the budget, scale prefill by `budget / total` (keeping room
 * for the minimum decode count), then give the rest to decode.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { globalBudget } from "./budget.ts";
 * // 6P + 6D at 1 GPU each under a budget of 8: P = ⌊6 · 8/12⌋ = 4, D = 8 − 4 = 4.
 * assert(globalBudget(6, 6, 1, 1, 8, 1, 1).join() === "4,4");
 * ```
 */
export function globalBudget(
  p: number,
  d: number,
  pGpu: number,
  dGpu: number,
  budget: number,
  pMin: number,
  dMin: number,
): [number, number] {
  const total = p * pGpu + d * dGpu;
  if (budget < 0 || total <= budget) return [p, d];
  if (budget < pMin * pGpu + dMin * dGpu) return [0, 0];
  const maxP = Math.floor((budget - dMin * dGpu) / pGpu);
  const np = Math.max(pMin, Math.min(maxP, Math.floor(p * (budget / total))));
  const nd = Math.max(dMin, Math.floor((budget - np * pGpu) / dGpu));
  return [np, nd];
}
