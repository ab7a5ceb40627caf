/**
 * Token emission at a pass end: each emitting request's burst (one token, or an MTP burst of accepted
 * drafts), its generated count, and whether it finishes; finishing requests leave the running set.
 *
 * @module
 */
import { releaseBlocks } from "./blocks.ts";
import type { Engine } from "./engine.ts";
import type { RequestTable } from "./requests.ts";
import type { Speculative } from "./types.ts";

/**
 * Set the burst of each of engine `e`'s first `ready` emitting requests (1, or 1 + accepted drafts with MTP)
 * and advance `generated`. A request that reaches its target or the model length is flagged finishing by a
 * negative burst. Counts decode forwards and tokens on `e`. Returns how many finish.
 */
function markFinishing(
  e: Engine,
  req: RequestTable,
  spec: Speculative | undefined,
  ready: number,
): number {
  const cfg = e.config;
  let finishing = 0;
  for (let j = 0; j < ready; j++) {
    const r = e.emitted[j];
    const room = Math.min(
      req.target[r] - req.generated[r],
      cfg.maxModelLen - req.promptLen[r] - req.generated[r],
    );
    // A verification round: a decode step after the first token. The pass that completes a prompt (or its
    // recompute after a preemption, whose drafts vLLM cleared) emits one token, as does a decode rank's first
    // (the prompt's token) and its re-admission after a preemption (KV restored, nothing computed), with no
    // drafts to verify yet.
    const verifies = req.generated[r] > 0 && req.passPrefill[r] === 0 && req.scheduled[r] > 0;
    let burst = 1;
    if (spec !== undefined && verifies) {
      // The drafts the pass verified: all of them, unless the token budget cut them (`charged`).
      const rates = spec.acceptRates, drafts = Math.min(rates.length, req.charged[r] - 1);
      for (let k = 0; k < drafts && spec.rng.next() < rates[k]; k++) burst++;
    }
    if (burst > room) burst = room;
    if (verifies) {
      e.decodeForwards++;
      e.decodeTokens += burst;
    }
    req.generated[r] += burst;
    const done = req.generated[r] >= req.target[r] ||
      req.promptLen[r] + req.generated[r] >= cfg.maxModelLen;
    req.burst[r] = done ? -burst : burst;
    if (done) finishing++;
  }
  return finishing;
}

/**
 * Apply the pass's emissions on engine `e` ({@link markFinishing} on its first `ready` emitters) and take the
 * finishing requests out of its running set, in order, into `e.finished`: their KV is released now (a prefill
 * rank holds it for the hand-off), their tokens delivered at the pass end.
 */
export function applyEmissions(
  e: Engine,
  req: RequestTable,
  spec: Speculative | undefined,
  ready: number,
): void {
  const running = e.running;
  const finishing = markFinishing(e, req, spec, ready);
  let kept = 0;
  for (let j = 0; j < e.runningCount; j++) {
    const r = running[j];
    if (req.burst[r] < 0) {
      req.burst[r] = -req.burst[r];
      if (e.config.role === "prefill") e.holds.hold(req, r);
      else releaseBlocks(req, e.pool, r);
      e.finished[e.finishedCount++] = r;
    } else {
      running[kept++] = r;
    }
  }
  e.runningCount = kept;
  if (finishing !== e.finishedCount) throw new Error("engine: completion bookkeeping mismatch (bug)");
}
