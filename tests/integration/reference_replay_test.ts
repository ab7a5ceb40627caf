/**
 * The reference's published H100 replay (`dynamo-behaviour.md` §10.2: Qwen3-32B, TP 2, 1k/1k, 128 concurrent,
 * a 2,048-token budget, 64-token blocks, `max_num_seqs` 256), replayed as the fidelity bench replays it: dynolab
 * with the mocker's timing (AIC's tables, no framework overhead) lands on the mocker's published point, and
 * dynolab's own analytic model lands on the silicon TPOT the mocker misses.
 */
import assert from "node:assert/strict";
import {
  REFERENCE_PUBLISHED,
  REFERENCE_REPLAY,
  referenceClient,
  referencePoint,
} from "../bench/fidelity_reference.ts";
import { simulateRow } from "../bench/fidelity_silicon.ts";
import { sharedPath, sharedTest } from "../_shared.ts";

/** Silicon at 128 concurrent, as the reference quotes it. */
const SILICON = referencePoint(128, 652, 37.8);

sharedTest(
  "reference replay: the mocker's timing reproduces its published point (587 ms TTFT, 30.5 ms TPOT)",
  async () => {
    const r = await simulateRow(SILICON, {
      ...REFERENCE_REPLAY,
      aic_systems_path: sharedPath("aic/systems"),
      framework_overhead: false,
    }, referenceClient(SILICON));
    const { ttftAt128, tpotAt128 } = REFERENCE_PUBLISHED.mocker;
    assert.ok(Math.abs(r.ttft / ttftAt128 - 1) < 0.05, `TTFT ${r.ttft}`);
    assert.ok(Math.abs(r.tpot / tpotAt128 - 1) < 0.05, `TPOT ${r.tpot}`);
  },
);

Deno.test("reference replay: the analytic model's TPOT lands on silicon's 37.8 ms, which the mocker misses by 19%", async () => {
  const r = await simulateRow(SILICON, REFERENCE_REPLAY, referenceClient(SILICON));
  const error = Math.abs(r.tpot / SILICON.tpotMs - 1);
  assert.ok(error < 0.05, `TPOT ${r.tpot}`);
  assert.ok(error < Math.abs(REFERENCE_PUBLISHED.mocker.tpotAt128 / SILICON.tpotMs - 1));
});
