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
 * queue (vLLM), or at its back (`front` false: SGLang's retraction). Its tokens count among the waiting ones,
 * and as preempted ones where the FPM reports it as queued decode work ({@link Engine.queuesAsDecode}).
 */
export function preempt(e: Engine, req: RequestTable, idx: number, front = true): void {
  const r = e.running[idx];
  releaseBlocks(req, e.pool, r);
  req.computed[r] = 0;
  req.prefilling[r] = 1;
  e.running.copyWithin(idx, idx + 1, e.runningCount);
  e.runningCount--;
  if (front) e.waiting.pushFront(r);
  else e.waiting.pushBack(r);
  const known = req.promptLen[r] + req.generated[r];
  e.waitingTokens += known;
  if (e.queuesAsDecode(r)) {
    e.preemptedWaiting++;
    e.preemptedTokens += known;
  }
  e.preemptions++;
}
