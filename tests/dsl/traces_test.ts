import assert from "node:assert/strict";
import { InputError } from "../../lib/common/errors.ts";
import { sha256Hex } from "../../lib/dsl/hash.ts";
import { NAMED_TRACES, quantisedSteps, resolveTrace, spreadJitterMs, type TraceEnv } from "../../mod.ts";
import { MINI_TRACE } from "./_helpers.ts";
import { withTempDir } from "../_temp.ts";

function envOf(vars: Record<string, string>, fetcher?: typeof fetch): TraceEnv {
  return {
    get: (k) => vars[k],
    fetch: fetcher ?? (() => Promise.reject(new TypeError("error sending request: dns error"))),
    besideCheckout: null,
  };
}

Deno.test("named traces resolve from $DYNOLAB_TRACES (flat or by family) and $DYNOLAB_SHARED", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/flat`);
    await Deno.mkdir(`${dir}/fam/mooncake`, { recursive: true });
    await Deno.mkdir(`${dir}/shared/traces/azure`, { recursive: true });
    await Deno.copyFile(MINI_TRACE, `${dir}/flat/conversation_trace.jsonl`);
    await Deno.copyFile(MINI_TRACE, `${dir}/fam/mooncake/synthetic_trace.jsonl`);
    await Deno.writeTextFile(`${dir}/shared/traces/azure/AzureLLMInferenceTrace_code.csv`, "x\n");
    const a = await resolveTrace("mooncake:conversation", envOf({ DYNOLAB_TRACES: `${dir}/flat` }));
    assert.deepEqual(a, { path: `${dir}/flat/conversation_trace.jsonl`, format: "mooncake", via: "env" });
    const b = await resolveTrace("mooncake:synthetic", envOf({ DYNOLAB_TRACES: `${dir}/fam` }));
    assert.equal(b.path, `${dir}/fam/mooncake/synthetic_trace.jsonl`);
    const c = await resolveTrace("azure:code", envOf({ DYNOLAB_SHARED: `${dir}/shared`, HOME: dir }));
    assert.deepEqual(c, {
      path: `${dir}/shared/traces/azure/AzureLLMInferenceTrace_code.csv`,
      format: "azure",
      via: "shared",
    });
  });
});

Deno.test("offline: a named trace that is nowhere local fails with where to put it", async () => {
  await withTempDir(async (dir) => {
    const env = envOf({ DYNOLAB_CACHE_DIR: `${dir}/cache` });
    await assert.rejects(
      () => resolveTrace("mooncake:toolagent", env),
      (e) =>
        e instanceof InputError &&
        e.message.includes("cannot download mooncake:toolagent from https://raw.githubusercontent.com/") &&
        e.message.includes("dns error") && e.message.includes("put toolagent_trace.jsonl in $DYNOLAB_TRACES"),
    );
    await assert.rejects(
      () => resolveTrace("mooncake:toolagent", envOf({ DYNOLAB_CACHE_DIR: dir, DYNOLAB_OFFLINE: "1" })),
      /DYNOLAB_OFFLINE=1/,
    );
    await assert.rejects(
      () => resolveTrace("kv-cache-tester:claude-code", envOf({ DYNOLAB_CACHE_DIR: dir })),
      /no single upstream file to download/,
    );
    // Nothing half-written in the cache.
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("download: fetched once into the cache, checked against its sha256", async () => {
  const body = await Deno.readFile(MINI_TRACE);
  let requests = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    requests++;
    return new Response(body);
  });
  try {
    await withTempDir(async (dir) => {
      const url = `http://127.0.0.1:${server.addr.port}/traces/mini.jsonl`;
      const env = envOf({ DYNOLAB_CACHE_DIR: dir }, fetch);
      const first = await resolveTrace(url, env);
      assert.equal(first.via, "download");
      assert.ok(first.path.startsWith(`${dir}/traces/url-`) && first.path.endsWith("-mini.jsonl"));
      assert.deepEqual(await Deno.readFile(first.path), body);
      const second = await resolveTrace(url, env);
      assert.deepEqual(second, { path: first.path, via: "cache" });
      assert.equal(requests, 1);

      // A named trace whose download does not match its pinned digest is refused.
      const wrong: typeof fetch = () => Promise.resolve(new Response("not the trace"));
      await assert.rejects(
        () => resolveTrace("mooncake:conversation", envOf({ DYNOLAB_CACHE_DIR: dir }, wrong)),
        /sha256 does not match/,
      );
      // …and a matching one is accepted (the digest of the real file is pinned).
      assert.equal(NAMED_TRACES["mooncake:conversation"].sha256?.length, 64);
      assert.equal((await sha256Hex(body)).length, 64);
    });
  } finally {
    await server.shutdown();
  }
});

Deno.test("a name that is neither a known trace nor a file is a clear error, prototype names included", async () => {
  for (const ref of ["toString", "constructor"]) {
    await assert.rejects(() => resolveTrace(ref, envOf({})), /no such trace file/);
  }
});

Deno.test("an unreachable URL is a clear error", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      () =>
        resolveTrace("http://127.0.0.1:9/none.jsonl", {
          get: (k) => (k === "DYNOLAB_CACHE_DIR" ? dir : undefined),
          fetch,
        }),
      (e) =>
        e instanceof InputError && /cannot download http:\/\/127\.0\.0\.1:9\/none\.jsonl/.test(e.message),
    );
  });
});

Deno.test("quantisedSteps and spreadJitterMs: a quantised named trace's step; any other name is an error", () => {
  assert.match(quantisedSteps("mooncake:conversation"), /quantised to 3,000 ms steps, so up to 28 requests/);
  assert.equal(spreadJitterMs("mooncake:conversation", 4), 375);
  for (const name of ["azure:code", "no:such", "constructor"]) {
    assert.throws(
      () => quantisedSteps(name),
      (e) =>
        e instanceof InputError && /not quantised \(those of mooncake:conversation are\)/.test(e.message),
    );
  }
});
