/**
 * Engine args a pool never reads are warned of (KV-transfer args in aggregated serving, the MTP seed without
 * MTP, the analytic model's knobs without a model), and TRT-LLM is refused outside aggregated serving.
 */
import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { resolveEngineArgs } from "../../lib/engine/mod.ts";

Deno.test("engine args: keys this pool never reads are warned of, and only those", () => {
  const set = {
    kv_bytes_per_token: 1000,
    kv_transfer_timing_mode: "destination_missing",
    aic_mtp_seed: 7,
    cudagraph_mode: "NONE",
    sampling: "greedy",
  };
  assert.deepEqual(resolveEngineArgs(set, "aggregated", "--extra-engine-args").warnings, [
    "--extra-engine-args.kv_transfer_timing_mode has no effect in aggregated serving, which transfers no KV",
    "--extra-engine-args.kv_bytes_per_token has no effect in aggregated serving without a host KV tier " +
    "(num_g2_blocks)",
    "--extra-engine-args.aic_mtp_seed has no effect without aic_nextn",
    "--extra-engine-args.cudagraph_mode, --extra-engine-args.sampling have no effect without aic_model_path " +
    "(they tune the analytic and AIC-table perf models)",
  ]);
  // A prefill pool sends its KV; a host tier copies blocks of that size; a model reads the knobs.
  const transfer = { kv_bytes_per_token: 1000, kv_transfer_timing_mode: "destination_missing" };
  assert.deepEqual(resolveEngineArgs(transfer, "prefill").warnings, []);
  assert.deepEqual(
    resolveEngineArgs({ kv_bytes_per_token: 1000, num_g2_blocks: 8 }, "aggregated").warnings,
    [],
  );
  const model = { aic_system: "h200_sxm", aic_model_path: "Qwen/Qwen3-8B", cudagraph_mode: "NONE" };
  assert.deepEqual(resolveEngineArgs({ ...model, num_gpu_blocks: 100 }, "aggregated").warnings, []);
  // Defaults given explicitly are not "set".
  assert.deepEqual(resolveEngineArgs({ aic_mtp_seed: 42, moe_backend: "auto" }, "aggregated").warnings, []);
});

Deno.test("engine args: TRT-LLM runs aggregated only, as in the reference", () => {
  assert.equal(resolveEngineArgs({ engine_type: "trtllm" }, "aggregated").config.policy, "trtllm");
  for (const role of ["prefill", "decode"] as const) {
    assert.throws(
      () => resolveEngineArgs({ engine_type: "trtllm" }, role, `--${role}-engine-args`),
      (e) =>
        e instanceof InputError && e.message ===
          `--${role}-engine-args.engine_type: "trtllm" is supported in aggregated serving only (as in the ` +
            `reference), not on ${role} workers`,
    );
  }
});
