// Router policy classes: the reference's policy_config.rs tests, ported (schema, classification, messages).
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { parseConfig } from "../../lib/common/config.ts";
import {
  classify,
  type PolicyProfile,
  policyWarnings,
  resolveProfile,
  RouterConfigSchema,
  type RouterPolicy,
  RouterPolicySchema,
} from "../../lib/router/mod.ts";

const doc = (yaml: string): RouterPolicy => parseConfig(RouterPolicySchema, parseYaml(yaml), "policy");
const fallback = (threshold: number | null, policy: "fcfs" | "wspt" = "fcfs") =>
  RouterConfigSchema.parse({ router_queue_threshold: threshold, router_queue_policy: policy });
const nameOf = (p: PolicyProfile, requested: string | undefined, uncached: number) =>
  p.classes[classify(p, requested, uncached)].name;
const MAX = Number.MAX_SAFE_INTEGER;

const MODEL_PROFILES = `
default_policy_family: standard
uncached_isl_buckets:
  - {min_tokens: 0, bucket: all}
policy_classes:
  - {name: root-default, policy_family: standard, cache_bucket: all, queue_policy: wspt, quantum: 8,
     prefill_busy_threshold: 100}
models:
  exact-model:
    default_policy_family: latency
    uncached_isl_buckets:
      - {min_tokens: 0, bucket: cached}
      - {min_tokens: 32, bucket: uncached}
    policy_classes:
      - {name: model-cached, policy_family: latency, cache_bucket: cached, quantum: 2,
         request_queue_limit_per_worker: 0}
      - {name: model-uncached, policy_family: latency, cache_bucket: uncached, quantum: 4,
         prefill_busy_threshold_frac: 0.0}
`;

Deno.test("policy classes: a model profile replaces the root; an unmatched model uses the root", () => {
  const d = doc(MODEL_PROFILES);
  const model = resolveProfile(d, "exact-model", fallback(3, "wspt"));
  assert.deepEqual(model.classes.length, 2);
  const first = model.classes[classify(model, undefined, 0)];
  assert.deepEqual(first.name, "model-cached");
  assert.deepEqual([first.busyFraction, first.busyTokens, first.queuePolicy, first.limits[0]], [
    null,
    null,
    "fcfs",
    0,
  ]);
  assert.deepEqual(nameOf(model, undefined, MAX), "model-uncached");
  assert.deepEqual(model.classes[classify(model, undefined, MAX)].busyFraction, 0);
  assert.deepEqual(nameOf(model, "unknown", MAX), "model-uncached");
  const other = resolveProfile(d, "other", fallback(null));
  assert.deepEqual(other.classes.map((c) => [c.name, c.busyTokens, c.busyFraction]), [[
    "root-default",
    100,
    null,
  ]]);
  assert.deepEqual(resolveProfile(d, null, fallback(null)).classes[0].name, "root-default");
  for (const inherited of ["toString", "constructor", "hasOwnProperty"]) {
    assert.deepEqual(resolveProfile(d, inherited, fallback(null)).classes[0].name, "root-default", inherited);
  }
});

Deno.test("policy classes: without a root, an unmatched model takes the router config's one class", () => {
  const d = doc(`
models:
  exact-model:
    default_policy_family: standard
    uncached_isl_buckets: [{min_tokens: 0, bucket: all}]
    policy_classes:
      - {name: absolute, policy_family: standard, cache_bucket: all, quantum: 4, prefill_busy_threshold: 10,
         prefill_busy_threshold_frac: 0.5}
`);
  const exact = resolveProfile(d, "exact-model", fallback(null)).classes[0];
  assert.deepEqual([exact.busyTokens, exact.busyFraction], [10, 0.5]);
  const other = resolveProfile(d, "other", fallback(7, "wspt")).classes[0];
  assert.deepEqual([other.name, other.busyFraction, other.queuePolicy, other.quantum], [
    "default",
    7,
    "wspt",
    1,
  ]);
});

const SAMPLE = `
default_policy_family: standard
uncached_isl_buckets:
  - {min_tokens: 0, bucket: cached}
  - {min_tokens: 3072, bucket: uncached}
policy_classes:
  - {name: cached, policy_family: standard, cache_bucket: cached, queue_policy: wspt, quantum: 2048,
     prefill_busy_threshold_frac: 16, request_queue_limit_per_worker: 1024, cached_token_queue_limit_per_worker: 2097152}
  - {name: uncached, policy_family: standard, cache_bucket: uncached, quantum: 512, prefill_busy_threshold_frac: 16,
     busy_worker_ratio: 0.95, request_queue_limit_per_worker: 512, raw_isl_token_queue_limit_per_worker: 1048576}
  - {name: latency_cached, policy_family: latency, cache_bucket: cached, queue_policy: wspt, quantum: 4096,
     prefill_busy_threshold_frac: 16, request_queue_limit_per_worker: 256}
  - {name: latency_uncached, policy_family: latency, cache_bucket: uncached, queue_policy: wspt, quantum: 1024,
     prefill_busy_threshold_frac: 16, request_queue_limit_per_worker: 128, raw_isl_token_queue_limit_per_worker: 524288}
  - {name: custom_priority, queue_policy: wspt, quantum: 4096, prefill_busy_threshold_frac: 16,
     request_queue_limit_per_worker: 128}
models:
  example/large-model:
    default_policy_family: latency
    uncached_isl_buckets:
      - {min_tokens: 0, bucket: cached}
      - {min_tokens: 4096, bucket: uncached}
    policy_classes:
      - {name: latency_cached, policy_family: latency, cache_bucket: cached, queue_policy: wspt, quantum: 4096,
         prefill_busy_threshold_frac: 16}
      - {name: latency_uncached, policy_family: latency, cache_bucket: uncached, queue_policy: wspt, quantum: 1024,
         prefill_busy_threshold_frac: 16}
      - {name: batch_cached, policy_family: batch, cache_bucket: cached, quantum: 2048, prefill_busy_threshold_frac: 16}
      - {name: batch_uncached, policy_family: batch, cache_bucket: uncached, quantum: 1024,
         prefill_busy_threshold_frac: 16}
`;

Deno.test("policy classes: the documented sample's root, model and unknown-class semantics", () => {
  const d = doc(SAMPLE);
  const root = resolveProfile(d, null, fallback(null));
  assert.deepEqual(root.classes.length, 5);
  assert.deepEqual(nameOf(root, undefined, 0), "cached");
  assert.deepEqual(nameOf(root, "latency", 0), "latency_cached");
  assert.deepEqual(nameOf(root, "latency", MAX), "latency_uncached");
  assert.deepEqual(nameOf(root, "unknown", 0), "cached");
  assert.deepEqual(nameOf(root, undefined, 3071), "cached");
  assert.deepEqual(nameOf(root, undefined, 3072), "uncached");
  assert.deepEqual(nameOf(root, "cached", MAX), "uncached"); // a family-bound class's name selects nothing
  assert.deepEqual(nameOf(root, "custom_priority", MAX), "custom_priority");
  assert.deepEqual(nameOf(root, "", MAX), "uncached");
  assert.deepEqual(root.classes[0].busyFraction, 16);
  const model = resolveProfile(d, "example/large-model", fallback(null));
  assert.deepEqual(model.classes.length, 4);
  assert.deepEqual(nameOf(model, undefined, 0), "latency_cached");
  assert.deepEqual(nameOf(model, "unknown", MAX), "latency_uncached");
  assert.deepEqual(nameOf(model, "batch", 0), "batch_cached");
  assert.deepEqual(nameOf(model, "custom_priority", 0), "latency_cached");
});

const base = (classFields: string, buckets = "[{min_tokens: 0, bucket: all}]", family = "standard") => `
default_policy_family: ${family}
uncached_isl_buckets: ${buckets}
policy_classes:
${classFields}
`;
const one = (extra: string) =>
  base(`  - {name: ratioed, policy_family: standard, cache_bucket: all, quantum: 4${extra}}`);

Deno.test("policy classes: each profile error, in the reference's words", () => {
  const cases: [string, string][] = [
    [
      base(
        "  - {name: c, policy_family: standard, cache_bucket: cached, quantum: 1}",
        "[{min_tokens: 0, bucket: cached}, {min_tokens: 32, bucket: uncached}]",
      ),
      'root is missing a policy class for family "standard" and bucket "uncached"',
    ],
    [
      base(
        "  - {name: first, policy_family: standard, cache_bucket: cached, quantum: 1}\n" +
          "  - {name: second, policy_family: standard, cache_bucket: cached, quantum: 1}",
        "[{min_tokens: 0, bucket: cached}]",
      ),
      'root contains duplicate policy classes for family "standard" and bucket "cached"',
    ],
    [
      base("  - {name: invalid-family, policy_family: invalid/family, cache_bucket: all, quantum: 1}"),
      'root policy family name "invalid/family" must match [A-Za-z0-9_.-]+',
    ],
    [
      base("  - {name: missing-bucket, policy_family: standard, cache_bucket: absent, quantum: 1}"),
      'root policy class "missing-bucket" references unknown cache bucket "absent"',
    ],
    [
      base("  - {name: partial, policy_family: standard, quantum: 1}"),
      'root policy class "partial" must specify both policy_family and cache_bucket or neither for an explicit class',
    ],
    [
      base(
        "  - {name: priority, quantum: 1}\n  - {name: paired, policy_family: priority, cache_bucket: all, quantum: 1}",
        "[{min_tokens: 0, bucket: all}]",
        "priority",
      ),
      'root explicit policy class "priority" collides with a policy family',
    ],
    [
      base(
        "  - {name: c, policy_family: standard, cache_bucket: all, quantum: 1}",
        "[{min_tokens: 1, bucket: all}]",
      ),
      "root uncached_isl_buckets must start at min_tokens 0",
    ],
    [
      base(
        "  - {name: c, policy_family: standard, cache_bucket: cached, quantum: 1}",
        "[{min_tokens: 0, bucket: cached}, {min_tokens: 32, bucket: cached}]",
      ),
      'root contains duplicate cache bucket "cached"',
    ],
    [
      base(
        "  - {name: c, policy_family: standard, cache_bucket: a, quantum: 1}",
        "[{min_tokens: 0, bucket: a}, {min_tokens: 64, bucket: b}, {min_tokens: 32, bucket: c}]",
      ),
      "root uncached_isl_buckets min_tokens must be strictly increasing",
    ],
    [
      base("  - {name: zero, policy_family: standard, cache_bucket: all, quantum: 0}"),
      'root policy class "zero" quantum must be greater than zero',
    ],
    [
      base("  - {name: lcfs, policy_family: standard, cache_bucket: all, quantum: 1, queue_policy: lcfs}"),
      'root policy class "lcfs" queue_policy must be fcfs or wspt',
    ],
    [
      one(", prefill_busy_threshold: 10, busy_worker_ratio: 16.0"),
      'root policy class "ratioed" busy_worker_ratio must be a finite fraction in (0.0, 1.0]',
    ],
    [
      one(", busy_worker_ratio: 0.9"),
      'root policy class "ratioed" sets busy_worker_ratio but no prefill_busy_threshold',
    ],
    [
      one(", prefill_busy_threshold_frac: -1"),
      'root policy class "ratioed" prefill_busy_threshold_frac must be finite and non-negative',
    ],
    [
      base("  - {name: c, policy_family: other, cache_bucket: all, quantum: 1}"),
      'root default_policy_family "standard" does not name a configured family',
    ],
    [
      base(
        "  - {name: c, policy_family: standard, cache_bucket: all, quantum: 1}\n  - {name: c, quantum: 1}",
      ),
      'root contains duplicate policy class "c"',
    ],
    [
      "default_policy_family: a\nuncached_isl_buckets: []\npolicy_classes: []",
      "root policy_classes must not be empty",
    ],
    [
      "default_policy_family: standard",
      "root profile must specify default_policy_family, uncached_isl_buckets, and policy_classes",
    ],
    [
      "models: {}",
      "router policy config must define a root profile, at least one model profile, or worker_selection",
    ],
    [
      'models: {"": {default_policy_family: a, uncached_isl_buckets: [], policy_classes: []}}',
      "model profile name must not be empty",
    ],
    [
      "models: {m: {default_policy_family: a, uncached_isl_buckets: [], policy_classes: []}}",
      'model "m" policy_classes must not be empty',
    ],
  ];
  for (const [yaml, message] of cases) {
    assert.throws(() => doc(yaml), (e: Error) => {
      assert(
        e.message.includes(`invalid router policy config: ${message}`),
        `${message}\n got: ${e.message}`,
      );
      return true;
    });
  }
  assert.deepEqual(
    resolveProfile(doc(one(", prefill_busy_threshold: 10, busy_worker_ratio: 0.9")), null, fallback(null))
      .classes[0].name,
    "ratioed",
  );
});

Deno.test("policy classes: the schema is strict and names the field", () => {
  assert.throws(() => doc(one(", queue_admission: {type: session_aware}")), /unknown key "queue_admission"/);
  assert.throws(() => doc(base("  - {name: c, policy_family: standard, cache_bucket: all}")), /quantum/);
  assert.throws(() => doc(one(", quantum_typo: 1")), (e: Error) => e.message.includes("policy_classes.0"));
});

Deno.test("policy classes: worker_selection is checked and changes nothing", () => {
  const ok = doc(
    "worker_selection: {aggregated: example, instances: [{name: example, type: example-policy, parameters: {score_weight: 1.0}}]}",
  );
  assert.deepEqual(resolveProfile(ok, null, fallback(2, "wspt")).classes[0].queuePolicy, "wspt");
  doc(`worker_selection:
  prefill: prefill-policy
  decode: default
  encode: encode-policy
  instances:
    - {name: prefill-policy, type: cache-aware, parameters: {}}
    - {name: encode-policy, type: media-aware, parameters: {}}`);
  for (
    const bad of [
      "worker_selection: {}",
      "worker_selection: {aggregated: missing}",
      "worker_selection: {encode: missing}",
      "worker_selection: {default: present}",
      "worker_selection: {instances: [{name: default, type: t}]}",
      "worker_selection: {instances: [{name: a, type: t, parameters: 1}]}",
      "worker_selection: {instances: [{name: a, type: t}, {name: a, type: u}]}",
    ]
  ) assert.throws(() => doc(bad), /worker_selection/, bad);
});

Deno.test("policy classes: busy_worker_ratio warns once for the profile the run takes", () => {
  const ratioed = (name: string) =>
    `{name: ${name}, policy_family: ${name}, cache_bucket: all, quantum: 1, prefill_busy_threshold: 0, busy_worker_ratio: 0.5}`;
  const policy = doc(`
default_policy_family: a
uncached_isl_buckets: [{min_tokens: 0, bucket: all}]
policy_classes: [${ratioed("a")}, ${ratioed("b")}, {name: c, quantum: 1}]
models:
  plain:
    default_policy_family: a
    uncached_isl_buckets: [{min_tokens: 0, bucket: all}]
    policy_classes: [{name: a, policy_family: a, cache_bucket: all, quantum: 1}]
`);
  assert.deepEqual(policyWarnings(policy, null), [
    'router policy classes "a", "b" set busy_worker_ratio, which has no effect: the reference\'s offline replay, ' +
    "like dynolab, queues a request only while every worker is busy for its class",
  ]);
  assert.equal(policyWarnings(policy, "other").length, 1, "an unknown model takes the root");
  assert.deepEqual(policyWarnings(policy, "plain"), []);
  assert.deepEqual(policyWarnings(null, null), []);
});
