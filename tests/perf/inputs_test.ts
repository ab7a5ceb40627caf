import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { parseEngineArgs, resolveEngineArgs } from "../../lib/engine/mod.ts";
import { createPerfModel, loadPerfInputs } from "../../lib/perf/mod.ts";
import { sharedPath, sharedTest } from "../_shared.ts";
import { LLAMA_8B_CONFIG } from "../_fixtures.ts";
import { tempDir } from "../_temp.ts";

async function build(raw: Record<string, unknown>) {
  const args = parseEngineArgs(raw);
  const inputs = await loadPerfInputs(args);
  const resolved = resolveEngineArgs(args, "aggregated", "engine args", {}, inputs);
  return { inputs, config: resolved.config, model: createPerfModel(args, resolved.config, inputs) };
}

Deno.test("catalog models and the polynomial need no inputs", async () => {
  assert.deepEqual(await loadPerfInputs(parseEngineArgs({})), {});
  assert.deepEqual(await loadPerfInputs(parseEngineArgs({ aic_model_path: "Qwen/Qwen3-8B" })), {});
});

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

Deno.test("a profile JSON selects profile mode; a missing profile is an input error", async () => {
  const path = `${FIXTURES}profile.json`;
  const { model } = await build({ planner_profile_data: path });
  assert.equal(model.name, "profile");
  assert.equal(model.prefillMs(1, 8192, 0), 400);
  assert.equal(model.decodeMs(8, 128, 0), 4);
  await assert.rejects(
    () => loadPerfInputs(parseEngineArgs({ planner_profile_data: `${FIXTURES}missing.npz` })),
    (e: unknown) =>
      e instanceof InputError && /planner_profile_data: cannot read .*missing\.npz/.test(e.message),
  );
  await assert.rejects(
    () => loadPerfInputs(parseEngineArgs({ planner_profile_data: `${FIXTURES}missing.json` })),
    (e: unknown) => e instanceof InputError && /cannot read/.test(e.message),
  );
  const args = parseEngineArgs({ planner_profile_data: path });
  assert.throws(() => createPerfModel(args, resolveEngineArgs(args, "aggregated").config), /loadPerfInputs/);
});

Deno.test("an unknown model id that is not a file lists the catalog", async () => {
  await assert.rejects(
    () => loadPerfInputs(parseEngineArgs({ aic_model_path: "acme/Unknown-7B" })),
    (e: unknown) => e instanceof InputError && /aic_model_path: unknown model/.test(e.message),
  );
  // A path that names nothing says so, rather than listing the catalog.
  await assert.rejects(
    () => loadPerfInputs(parseEngineArgs({ aic_model_path: "./models/llama/config.json" })),
    /aic_model_path: no such file or folder: \.\/models\/llama\/config\.json$/,
  );
});

sharedTest("a config.json path is read at the edge and drives the analytic model and capacity", async () => {
  const path = sharedPath("aic/model_configs/Qwen--Qwen3-32B-FP8_config.json");
  const { inputs, config, model } = await build({ aic_model_path: path, aic_tp_size: 2 });
  assert.equal(inputs.model?.arch.layers, 64);
  assert.equal(inputs.model?.quant.linear, "fp8_block");
  assert.equal(model.name, "analytic");
  assert.equal(config.kvCapacitySource, "derived");
  assert.equal(config.gpusPerWorker, 2);
  const catalog = await build({ aic_model_path: "Qwen/Qwen3-32B-FP8", aic_tp_size: 2 });
  assert.equal(model.decodeMs(16, 3000, 0), catalog.model.decodeMs(16, 3000, 0));
  assert.equal(config.numGpuBlocks, catalog.config.numGpuBlocks);
});

Deno.test("a config directory's generation_config.json sets the default sampling (absent: vLLM's, random), its tokenizer files the tokenizer kind", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify(LLAMA_8B_CONFIG),
  );
  const sampling = async () =>
    (await loadPerfInputs(parseEngineArgs({ aic_model_path: dir }))).model?.sampling;
  assert.equal(await sampling(), "random");
  await Deno.writeTextFile(
    `${dir}/generation_config.json`,
    JSON.stringify({ temperature: 0.6, top_p: 0.9 }),
  );
  assert.equal(await sampling(), "top_k_top_p");
  const { model } = await build({ aic_model_path: dir, sampling: "greedy" });
  const { model: sorted } = await build({ aic_model_path: dir });
  assert.ok(model.passOverheadMs!(0, 64) < sorted.passOverheadMs!(0, 64));
  // The tokenizer files beside it set the tokenizer kind: a tokenizer_config.json without a tokenizer.json
  // is a Python tokenizer (slow); with one, or with neither, fast.
  const tokenizer = async () =>
    (await loadPerfInputs(parseEngineArgs({ aic_model_path: dir }))).model?.tokenizer;
  assert.equal(await tokenizer(), "fast");
  await Deno.writeTextFile(`${dir}/tokenizer_config.json`, "{}");
  assert.equal(await tokenizer(), "slow");
  await Deno.writeTextFile(`${dir}/tokenizer.json`, "{}");
  assert.equal(await tokenizer(), "fast");
});

Deno.test("table mode from DYNOLAB_AIC_SYSTEMS: its errors name the variable and how to leave table mode", async () => {
  const main = new URL("../../lib/cli/main.ts", import.meta.url).pathname;
  await using dir = await tempDir();
  const run = await new Deno.Command(Deno.execPath(), {
    cwd: dir.path,
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      main,
      "--input-tokens",
      "20",
      "--output-tokens",
      "10",
    ]
      .concat(["--request-count", "2", "--replay-concurrency", "1", "--extra-engine-args"])
      .concat([JSON.stringify({ aic_model_path: "nvidia/Llama-3.1-8B-Instruct-FP8" })]),
    env: { DYNOLAB_AIC_SYSTEMS: "/nonexistent-aic-systems" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(run.code, 2);
  assert.match(
    new TextDecoder().decode(run.stderr),
    /error: DYNOLAB_AIC_SYSTEMS: "\/nonexistent-aic-systems" is not an AIC systems directory .*unset it for the analytic model/,
  );
});
