import assert from "node:assert/strict";
import { z } from "zod";
import { parseConfig } from "../../lib/common/config.ts";

const Schema = z.strictObject({
  quantum: z.number(),
  track: z.literal(false, { error: "not supported yet" }).default(false),
  policy: z.enum(["fcfs", "wspt"]).default("fcfs"),
  classes: z.array(z.strictObject({ name: z.string(), queue_policy: z.string().optional() })).default([]),
  models: z.record(z.string(), z.strictObject({ default_family: z.string().optional() })).default({}),
});

const fails = (value: unknown, message: string) =>
  assert.throws(() => parseConfig(Schema, value, "cfg"), (e: Error) => {
    assert.equal(e.message, message);
    return true;
  });

Deno.test("parseConfig: a missing key is 'required', naming what it takes", () => {
  fails({}, "cfg.quantum: required (number)");
  fails({ quantum: "8" }, `cfg.quantum: expected a number, got "8"`);
});

Deno.test("parseConfig: a schema's own message beats the list of allowed values; enums list theirs", () => {
  fails({ quantum: 1, track: true }, "cfg.track: not supported yet");
  fails({ quantum: 1, policy: "lifo" }, 'cfg.policy: invalid value; expected one of: "fcfs", "wspt"');
});

Deno.test("parseConfig: unknown keys inside list items and record values get hints and the valid keys", () => {
  fails(
    { quantum: 1, classes: [{ name: "a", queue_polcy: "wspt" }] },
    'cfg.classes.0: unknown key "queue_polcy" (did you mean queue_policy?); valid keys: name, queue_policy',
  );
  fails(
    { quantum: 1, models: { m: { default_famly: "x" } } },
    'cfg.models.m: unknown key "default_famly" (did you mean default_family?); valid keys: default_family',
  );
});

Deno.test("parseConfig: a __proto__ key, which a record would silently drop, is refused where it is", () => {
  const message = 'cannot be a key: JavaScript objects reserve "__proto__"; rename it';
  fails(
    JSON.parse('{"quantum": 1, "models": {"__proto__": {}, "m": {}}}'),
    `cfg.models.__proto__: ${message}`,
  );
  fails(
    JSON.parse('{"quantum": 1, "classes": [{"name": "a", "__proto__": 1}]}'),
    `cfg.classes.0.__proto__: ${message}`,
  );
  assert.deepEqual(parseConfig(Schema, { quantum: 1, models: { proto: {} } }, "cfg").models, { proto: {} });
});

Deno.test("parseConfig: a top-level error of a document without a name names only the file", () => {
  assert.throws(
    () => parseConfig(Schema, { quantum: 1, polcy: "x" }, "", { file: "c.yaml" }),
    (e: Error) => e.message.startsWith('c.yaml: unknown key "polcy" (did you mean policy?)'),
  );
});
