/**
 * Checks the model-family tests (Nemotron-H blocks, NAS blocks, attention shapes) share: the analytic model
 * against AIC's tables on one deployment, and the end-to-end half of their random-config property tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import { modelFromHfConfig } from "../../lib/perf/catalog/hf_config.ts";
import { resolvePerfSetup } from "../../lib/perf/setup.ts";
import { analyticModel } from "../../lib/perf/analytic/model.ts";
import { tableModel } from "../../lib/perf/aic/table_model.ts";
import { loadAicTables } from "../../lib/perf/aic/tables.ts";
import type { PerfSetup } from "../../lib/perf/setup.ts";
import type { OpFamily } from "../../lib/perf/ops.ts";
import { sharedPath } from "../_shared.ts";
import type { Rng } from "../../lib/common/rng.ts";
import { simulate } from "../../mod.ts";
import { configFile, nonFinite } from "../_fixtures.ts";
import { InputError } from "../../lib/common/errors.ts";

/**
 * Check a random model config at tensor parallelism `tp` on H200: the analytic model prices prefill and decode
 * passes finite and positive, and a small random replay on one worker with a random KV pool completes or refuses
 * every request, its output tokens conserved and its report free of NaN and Infinity. Returns false, checking
 * nothing more, when the setup refuses `tp` for the config (a refusal by name the callers test on their own).
 */
export async function checkRandomModel(
  config: unknown,
  tp: number,
  rng: Rng,
  label: string,
): Promise<boolean> {
  await using file = await configFile(config);
  const path = file.path;
  const args = { aic_model_path: path, aic_system: "h200_sxm", aic_tp_size: tp };
  const model = modelFromHfConfig(config, path);
  let setup;
  try {
    setup = resolvePerfSetup(args, { model, modelPath: path })!;
  } catch (e) {
    // A refusal by name; anything else (a TypeError, an internal error) is a bug, which must fail the test.
    if (e instanceof InputError) return false;
    throw e;
  }
  const perf = analyticModel(setup);
  for (const [b, s] of [[1, 1], [3, 700], [16, 4096]]) {
    const p = perf.prefillMs(b, s, 0), d = perf.decodeMs(b, s, b * s);
    assert.ok(Number.isFinite(p) && p > 0 && Number.isFinite(d) && d > 0, `${label}: ${p} ${d}`);
  }
  const n = 4 + rng.int(8), output = 1 + rng.int(30);
  const r = await simulate({
    workload: {
      source: "synthetic",
      input_tokens: 1 + rng.int(3000),
      output_tokens: output,
      request_count: n,
    },
    replay_concurrency: 1 + rng.int(n),
    topology: { mode: "agg", num_workers: 1, engine: { ...args, num_gpu_blocks: 4 + rng.int(60) } },
  });
  const done = r.completed_requests as number, refused = r.rejected_requests as number;
  assert.equal(done + refused, n, `${label}: ${done} done, ${refused} refused of ${n}`);
  assert.equal(r.total_output_tokens, done * output, label);
  assert.equal(nonFinite(r), null, label);
  return true;
}

/** What {@link assertNearTables} compares, and how closely. */
export interface NearTables {
  /** Largest relative difference of a whole pass. */
  readonly tolerance: number;
  /** Context of the decode steps (tokens per sequence). */
  readonly context: number;
  /** An op family whose part of each prefill is compared too, within `familyTolerance`. */
  readonly family?: OpFamily;
  readonly familyTolerance?: number;
}

/**
 * Assert that the analytic model prices `setup`'s passes near table mode on AIC's vLLM tables for its GPU
 * (shared folder): prefills of 512, 2,048 and 8,192 tokens and decode steps of 8, 64 and 256 sequences.
 */
export async function assertNearTables(setup: PerfSetup, near: NearTables): Promise<void> {
  const arch = setup.model.arch;
  const tables = await loadAicTables(sharedPath("aic/systems"), setup.gpu.id, "vllm", undefined, {
    attention: true,
    mla: false,
    linearAttention: arch.linearAttention !== undefined,
    moe: arch.moe !== undefined,
    allReduce: setup.par.tp > 1,
    nccl: false,
  });
  const analytic = analyticModel(setup), table = tableModel(setup, tables);
  const check = (a: number, t: number, what: string, tolerance: number) =>
    assert.ok(Math.abs(a / t - 1) < tolerance, `${setup.model.id} ${what}: ${a} vs ${t}`);
  for (const isl of [512, 2048, 8192]) {
    check(analytic.prefillMs(1, isl, 0), table.prefillMs(1, isl, 0), `prefill ${isl}`, near.tolerance);
    if (near.family) {
      check(
        analytic.prefillBreakdown!(1, isl, 0)[near.family],
        table.prefillBreakdown!(1, isl, 0)[near.family],
        `prefill ${near.family} ${isl}`,
        near.familyTolerance ?? near.tolerance,
      );
    }
  }
  for (const batch of [8, 64, 256]) {
    const kv = batch * near.context;
    check(
      analytic.decodeMs(batch, near.context, kv),
      table.decodeMs(batch, near.context, kv),
      `decode ${batch}`,
      near.tolerance,
    );
  }
}
