/**
 * Preemption by recompute: a running request gives up its KV and goes back to the front of the waiting queue.
 *
 * @module
 */
import { releaseBlocks } from "./blocks.ts";
import type { Engine } from "./engine.ts";
import type { RequestTable } from "./requests.ts";

/**
 * Preempt engine `e`'s running request at `idx` by recompute: free its KV and put it at the front of the
 * queue.
 */
export function preempt(e: Engine, req: RequestTable, idx: number): void {
  const r = e.running[idx];
  releaseBlocks(req, e.pool, r);
  req.computed[r] = 0;
  req.prefilling[r] = 1;
  e.running.copyWithin(idx, idx + 1, e.runningCount);
  e.runningCount--;
  e.waiting.pushFront(r);
  e.waitingTokens += req.promptLen[r] + req.generated[r];
  e.preemptions++;
}
