/**
 * Trace loading speed against the cost of just reading the file: each group's baseline streams the same file
 * through the same line reader (and `JSON.parse` for JSON Lines), so the ratio is the loader's own overhead.
 * Needs `../shared` (skipped otherwise). Run with `deno task bench`.
 */
import { SHARED_DIR } from "../_shared.ts";
import { loadAzure } from "../../lib/workload/azure.ts";
import { loadKvCacheTester } from "../../lib/workload/kv_cache_tester.ts";
import { readLines } from "../../lib/workload/lines.ts";
import { loadMooncake } from "../../lib/workload/mooncake.ts";

const ignore = SHARED_DIR === undefined;
const trace = (relative: string) => `${SHARED_DIR}/traces/${relative}`;

async function readOnly(path: string, parse: boolean, maxLines = Infinity): Promise<number> {
  let n = 0;
  for await (const { text } of readLines(path)) {
    if (parse) JSON.parse(text);
    if (++n >= maxLines) break;
  }
  return n;
}

const AZURE_CODE = "azure/AzureLLMInferenceTrace_code.csv";
const AZURE_CONV = "azure/AzureLLMInferenceTrace_conv.csv";
const MOONCAKE = "mooncake/conversation_trace.jsonl";
const KV = "kv-cache-tester/claude_code_traces.jsonl.gz";
const KV_SESSIONS = 100;

Deno.bench({ name: "read lines", group: "azure code (8.8k rows)", baseline: true, ignore }, async () => {
  await readOnly(trace(AZURE_CODE), false);
});
Deno.bench({ name: "loadAzure", group: "azure code (8.8k rows)", ignore }, async () => {
  await loadAzure(trace(AZURE_CODE), { blockSize: 64 });
});

Deno.bench(
  { name: "read lines", group: "azure conversation (19.4k rows)", baseline: true, ignore },
  async () => {
    await readOnly(trace(AZURE_CONV), false);
  },
);
Deno.bench({ name: "loadAzure", group: "azure conversation (19.4k rows)", ignore }, async () => {
  await loadAzure(trace(AZURE_CONV), { blockSize: 64 });
});

Deno.bench(
  { name: "read + JSON.parse", group: "mooncake conversation (12k rows)", baseline: true, ignore },
  async () => {
    await readOnly(trace(MOONCAKE), true);
  },
);
Deno.bench({ name: "loadMooncake", group: "mooncake conversation (12k rows)", ignore }, async () => {
  await loadMooncake(trace(MOONCAKE), { blockSize: 64 });
});

const kvGroup = `kv-cache-tester (first ${KV_SESSIONS} sessions, gzip)`;
Deno.bench(
  { name: "read + JSON.parse", group: kvGroup, baseline: true, ignore, n: 5, warmup: 1 },
  async () => {
    await readOnly(trace(KV), true, KV_SESSIONS);
  },
);
Deno.bench({ name: "loadKvCacheTester", group: kvGroup, ignore, n: 5, warmup: 1 }, async () => {
  await loadKvCacheTester(trace(KV), { blockSize: 64, maxSessions: KV_SESSIONS });
});

const kvAll = "kv-cache-tester (all 710 sessions, 460 MB of JSON)";
Deno.bench({ name: "read + JSON.parse", group: kvAll, baseline: true, ignore, n: 2, warmup: 0 }, async () => {
  await readOnly(trace(KV), true);
});
Deno.bench({ name: "loadKvCacheTester", group: kvAll, ignore, n: 2, warmup: 0 }, async () => {
  await loadKvCacheTester(trace(KV), { blockSize: 64 });
});
