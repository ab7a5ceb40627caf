/**
 * The exact-length lockstep: a closed loop of identical requests, replayed with exact lengths, prefills all of
 * its requests in one cohort round after round; the silicon bench breaks those ties with a one-token spread of
 * the output lengths ({@link benchmarkClient}). Measured point: the reference's sweep at 8 concurrent (AIC's
 * gap analysis of Qwen3-32B on two H100s, vLLM 0.12, 1k/1k): 154 ms TTFT, 15.9 ms TPOT.
 */
import assert from "node:assert/strict";
import { referenceClient, referencePoint } from "../bench/fidelity_reference.ts";
import { simulateRow } from "../bench/fidelity_silicon.ts";

const MEASURED = referencePoint(8, 154.3, 15.9);

Deno.test("lockstep: exact lengths prefill the 8 requests as one cohort, far above the measured TTFT", async () => {
  const exact = await simulateRow(MEASURED, {}, referenceClient(MEASURED));
  assert.ok(exact.ttft > 2.5 * MEASURED.ttftMs, `TTFT ${exact.ttft}`);
});

Deno.test("lockstep: a one-token output spread breaks the cohort and lands within 20% of the measured point", async () => {
  const broken = await simulateRow(MEASURED);
  assert.ok(Math.abs(broken.ttft / MEASURED.ttftMs - 1) < 0.2, `TTFT ${broken.ttft}`);
  assert.ok(Math.abs(broken.tpot / MEASURED.tpotMs - 1) < 0.1, `TPOT ${broken.tpot}`);
});
