/** The router policy flags outside the KV router, and the warning for a policy setting a replay ignores. */
import assert from "node:assert/strict";
import { parseCommand } from "../../lib/cli/flags.ts";
import { simulate } from "../../mod.ts";
import { dslWording } from "../../lib/dsl/wording.ts";
import { GOOD, tempTrace } from "./_cli.ts";

const CLASS = "{name: f, policy_family: f, cache_bucket: all, quantum: 1, prefill_busy_threshold: 0";
const POLICY = `default_policy_family: f
uncached_isl_buckets: [{min_tokens: 0, bucket: all}]
policy_classes: [${CLASS}}]
models:
  ratioed:
    default_policy_family: f
    uncached_isl_buckets: [{min_tokens: 0, bucket: all}]
    policy_classes: [${CLASS}, busy_worker_ratio: 0.5}]
`;

Deno.test("cli: outside the KV router a policy file is not read, whatever names it", async () => {
  await using temp = await tempTrace([GOOD]);
  const { dir, trace } = temp;
  const missing = `${dir}/missing.yaml`, bad = `${dir}/bad.yaml`;
  await Deno.writeTextFile(bad, "policy_classes: []\n");
  for (const mode of [[], ["--router-mode", "round_robin"], ["--router-mode", "random"]]) {
    for (const path of [missing, bad]) {
      const flag = parseCommand([trace, ...mode, "--router-policy-config", path]);
      assert(flag.kind === "run", `${mode} ${path}`);
      assert.equal(flag.spec.router?.policy, undefined);
      assert.match(
        flag.warnings.join("\n"),
        /--router-policy-config only affects the KV router and has no effect/,
      );
      const key = parseCommand([
        trace,
        ...mode,
        "--router-config",
        JSON.stringify({ router_policy_config: path }),
      ]);
      assert(key.kind === "run", `${mode} ${path}`);
      assert.equal(key.spec.router?.policy, undefined);
      assert.match(
        key.warnings.join("\n"),
        /--router-config.router_policy_config only affects the KV router and has no effect/,
      );
    }
  }
  // The KV router still reads (and blames) them.
  const kv = ["--router-mode", "kv_router"];
  assert.throws(() => parseCommand([trace, ...kv, "--router-policy-config", missing]), /failed to read/);
  assert.throws(
    () => parseCommand([trace, ...kv, "--router-config", JSON.stringify({ router_policy_config: bad })]),
    /--router-config\.router_policy_config: invalid router policy config: root profile must specify/,
  );
});

Deno.test("a policy class's busy_worker_ratio warns, in the report, that it has no effect", async () => {
  await using temp = await tempTrace([GOOD]);
  const { dir, trace } = temp;
  const policy = `${dir}/policy.yaml`;
  await Deno.writeTextFile(policy, POLICY);
  const warnings = async (extra: string[]) => {
    const cmd = parseCommand([
      trace,
      "--router-mode",
      "kv_router",
      "--router-policy-config",
      policy,
      ...extra,
    ]);
    assert(cmd.kind === "run");
    assert.deepEqual(
      cmd.warnings.filter((w) => w.includes("busy_worker_ratio")),
      [],
      "the report's, not the CLI's",
    );
    const report = await simulate(cmd.spec);
    return (report.dynolab as { warnings: string[] }).warnings.filter((w) => w.includes("busy_worker_ratio"));
  };
  // Only the profile the run takes counts: the root sets none, the "ratioed" model's class does.
  assert.deepEqual(await warnings([]), []);
  assert.deepEqual(await warnings(["--model-name", "ratioed"]), [
    'router policy class "f" sets busy_worker_ratio, which has no effect: the reference\'s offline replay, like ' +
    "dynolab, queues a request only while every worker is busy for its class",
  ]);
});

Deno.test("router config set under another router warns, in the report, in the DSL's names there", async () => {
  await using temp = await tempTrace([GOOD]);
  const spec = (mode: string) => ({
    workload: { source: "trace", path: temp.trace },
    topology: { mode: "agg", num_workers: 1, engine: {} },
    router: { mode, config: { overlap_score_weight: 3, router_temperature: 0 } },
  });
  const warnings = async (mode: string) =>
    ((await simulate(spec(mode))).dynolab as { warnings: string[] }).warnings.filter((w) =>
      w.includes("router")
    );
  const [random] = await warnings("random");
  assert.equal(
    random,
    "--router-config.overlap_score_weight only affects the KV router and has no effect with the random router",
  );
  assert.deepEqual(await warnings("kv_router"), []);
  assert.equal(
    dslWording(random),
    "router.overlapScoreWeight only affects the KV router and has no effect with the random router",
  );
});

Deno.test("a tier's cache-hit weight warns, in the report, when no worker has that tier", async () => {
  await using temp = await tempTrace([GOOD]);
  const spec = (engine: Record<string, unknown>) => ({
    workload: { source: "trace", path: temp.trace },
    topology: { mode: "agg", num_workers: 1, engine },
    router: { mode: "kv_router", config: { host_cache_hit_weight: 1, disk_cache_hit_weight: 0.5 } },
  });
  const warnings = async (engine: Record<string, unknown>) =>
    ((await simulate(spec(engine))).dynolab as { warnings: string[] }).warnings.filter((w) =>
      w.includes("cache_hit_weight")
    );
  assert.deepEqual(await warnings({}), [
    "--router-config.host_cache_hit_weight has no effect without a host KV tier (num_g2_blocks)",
    "--router-config.disk_cache_hit_weight has no effect without a disk or object-store KV tier " +
    "(num_g3_blocks, enable_g4_storage) below a host tier",
  ]);
  assert.deepEqual(await warnings({ num_g2_blocks: 64, kv_bytes_per_token: 1024 }), [
    "--router-config.disk_cache_hit_weight has no effect without a disk or object-store KV tier " +
    "(num_g3_blocks, enable_g4_storage) below a host tier",
  ]);
  assert.deepEqual(await warnings({ num_g2_blocks: 64, num_g3_blocks: 128, kv_bytes_per_token: 1024 }), []);
  assert.equal(
    dslWording((await warnings({}))[0]),
    "router.hostCacheHitWeight has no effect without a host KV tier (numG2Blocks)",
  );
});

Deno.test("an engine arg's router_queue_policy warns, in the report, where no router queue orders requests", async () => {
  await using temp = await tempTrace([GOOD]);
  const warnings = async (router: Record<string, unknown>) =>
    ((await simulate({
      workload: { source: "trace", path: temp.trace },
      topology: { mode: "agg", num_workers: 1, engine: { router_queue_policy: "wspt" } },
      router,
    })).dynolab as { warnings: string[] }).warnings.filter((w) => w.includes("router_queue_policy"));
  const none = [
    "the engine args' router_queue_policy has no effect without a router queue (--router-mode kv_router with a " +
    "router_queue_threshold)",
  ];
  assert.deepEqual(await warnings({ mode: "round_robin" }), none);
  assert.deepEqual(await warnings({ mode: "kv_router", config: { router_queue_threshold: null } }), none);
  assert.deepEqual(await warnings({ mode: "kv_router" }), []);
});
