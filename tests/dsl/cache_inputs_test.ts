/**
 * The result cache follows what a run reads, as it is on disk when the run is keyed, within one process too: a
 * custom GPU's system file, an AIC table rewritten mid-process, a file rewritten to the same size with its mtime
 * restored.
 */
import assert from "node:assert/strict";
import { parquetWriteBuffer } from "hyparquet-writer";
import { scenario, sha256Hex } from "../../mod.ts";
import { fileDigest } from "../../lib/dsl/hash.ts";
import { readParquetTable } from "../../lib/perf/aic/parquet.ts";
import { sharedPath, sharedTest } from "../_shared.ts";
import { tempDir } from "../_temp.ts";
import { MINI_TRACE } from "./_helpers.ts";

/** Write `text` over `path` keeping its size and mtime, as `cp -p` or `rsync -t` of an edited copy would. */
async function rewriteKeepingStamp(path: string, bytes: Uint8Array): Promise<void> {
  const before = await Deno.stat(path);
  assert.equal(bytes.length, before.size, "the rewrite must keep the size");
  await Deno.writeFile(path, bytes);
  await Deno.utime(path, before.atime!, before.mtime!);
  assert.equal((await Deno.stat(path)).mtime!.getTime(), before.mtime!.getTime());
}

/** A one-column Parquet table. */
function parquet(values: number[]): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({ columnData: [{ name: "x", data: values, type: "DOUBLE" }] }));
}

Deno.test("fileDigest: a same-size rewrite with the mtime restored is hashed afresh", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/f.txt`;
  await Deno.writeTextFile(path, "aaaa");
  assert.equal(await fileDigest(path), await sha256Hex("aaaa"));
  await rewriteKeepingStamp(path, new TextEncoder().encode("bbbb"));
  assert.equal(await fileDigest(path), await sha256Hex("bbbb"));
});

Deno.test("readParquetTable: a table rewritten in place is read afresh, even at the same size and mtime", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/t.parquet`;
  await Deno.writeFile(path, parquet([1, 2]));
  assert.deepEqual([...(await readParquetTable(path)).num("x")!], [1, 2]);
  await rewriteKeepingStamp(path, parquet([3, 4]));
  assert.deepEqual([...(await readParquetTable(path)).num("x")!], [3, 4]);
  // Replaced by another file of another size.
  await Deno.writeFile(`${path}.new`, parquet([5, 6, 7]));
  await Deno.rename(`${path}.new`, path);
  assert.deepEqual([...(await readParquetTable(path)).num("x")!], [5, 6, 7]);
});

Deno.test("readParquetTable: a table unchanged since it was read is read once, a later rewrite again", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/t.parquet`;
  await Deno.writeFile(path, parquet([1, 2]));
  // Past the timestamps' resolution (whole seconds for ctime), the file's identity shows any change.
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const first = await readParquetTable(path);
  assert.equal(await readParquetTable(path), first);
  await rewriteKeepingStamp(path, parquet([3, 4]));
  const second = await readParquetTable(path);
  assert.notEqual(second, first);
  assert.deepEqual([...second.num("x")!], [3, 4]);
});

Deno.test("a trace rewritten to the same size with its mtime restored misses the cache in the same process", async () => {
  await using dir = await tempDir();
  const trace = `${dir.path}/trace.jsonl`;
  await Deno.copyFile(MINI_TRACE, trace);
  const options = { quiet: true, parallelism: 1, cacheDir: `${dir.path}/cache`, warnings: false };
  const s = scenario("same stamp").trace(trace).agg({});
  const first = await s.run(options);
  assert.equal((await s.run(options)).runs[0].cached, true);
  // Every output length's last digit becomes 9: the same number of characters, more output tokens.
  const text = await Deno.readTextFile(trace);
  const edited = text.replace(/("output_length": \d*)\d/g, "$19");
  assert.notEqual(edited, text);
  await rewriteKeepingStamp(trace, new TextEncoder().encode(edited));
  const again = await s.run(options);
  assert.equal(again.runs[0].cached, false);
  assert.ok(
    (again.runs[0].report.total_output_tokens as number) >
      (first.runs[0].report.total_output_tokens as number),
  );
});

const SMALL = { inputTokens: 1000, outputTokens: 50, requestCount: 32, concurrency: 8 } as const;
const LLAMA = {
  backend: "vllm",
  backendVersion: "0.24.0",
  model: "nvidia/Llama-3.1-8B-Instruct-FP8",
} as const;

/** An AIC systems folder whose `system` links each of h200_sxm's table families, the GEMMs of vLLM 0.24.0 copied. */
async function systemsWith(root: string, system: string, gemmFrom: string): Promise<string> {
  const data = sharedPath("aic/systems/data/h200_sxm");
  const into = `${root}/data/${system}`;
  await Deno.mkdir(`${into}/gemm/vllm/0.24.0`, { recursive: true });
  for (const e of Deno.readDirSync(data)) {
    if (e.name !== "gemm") await Deno.symlink(`${data}/${e.name}`, `${into}/${e.name}`);
  }
  await Deno.copyFile(
    `${data}/gemm/vllm/${gemmFrom}/gemm_perf.parquet`,
    `${into}/gemm/vllm/0.24.0/gemm_perf.parquet`,
  );
  return root;
}

sharedTest("an AIC table replaced mid-process is simulated as it is now, and keyed so", async () => {
  await using dir = await tempDir();
  const systems = await systemsWith(`${dir.path}/systems`, "h200_sxm", "0.24.0");
  const reference = await systemsWith(`${dir.path}/reference`, "h200_sxm", "0.19.0");
  const s = (path: string) =>
    scenario("replaced table").synthetic(SMALL).engine({ ...LLAMA, gpu: "h200_sxm", aicSystemsPath: path })
      .agg({ workers: 1 });
  const options = { quiet: true, parallelism: 1, cacheDir: `${dir.path}/cache`, warnings: false };
  const before = await s(systems).run(options);
  const expected = await s(reference).run({ ...options, cache: false });
  assert.notEqual(expected.runs[0].report.mean_ttft_ms, before.runs[0].report.mean_ttft_ms);
  await Deno.copyFile(
    sharedPath("aic/systems/data/h200_sxm/gemm/vllm/0.19.0/gemm_perf.parquet"),
    `${systems}/data/h200_sxm/gemm/vllm/0.24.0/gemm_perf.parquet`,
  );
  const after = await s(systems).run(options);
  assert.equal(after.runs[0].cached, false);
  assert.equal(after.runs[0].report.mean_ttft_ms, expected.runs[0].report.mean_ttft_ms);
  assert.equal(after.runs[0].report.mean_itl_ms, expected.runs[0].report.mean_itl_ms);
});

sharedTest("a custom GPU's system file is part of the cache key", async () => {
  await using dir = await tempDir();
  const systems = await systemsWith(`${dir.path}/systems`, "myh200", "0.24.0");
  const yaml = await Deno.readTextFile(sharedPath("aic/systems/h200_sxm.yaml"));
  await Deno.writeTextFile(`${systems}/myh200.yaml`, yaml);
  const s = scenario("custom gpu").synthetic(SMALL).engine({
    ...LLAMA,
    gpu: "myh200",
    aicSystemsPath: systems,
  })
    .agg({ workers: 1 });
  const options = { quiet: true, parallelism: 1, cacheDir: `${dir.path}/cache`, warnings: false };
  const blocks = (r: Awaited<ReturnType<typeof s.run>>) =>
    (r.runs[0].report.dynolab as { pools: { kv_capacity_blocks: number }[] }).pools[0].kv_capacity_blocks;
  const first = await s.run(options);
  assert.equal(first.runs[0].cached, false);
  assert.equal((await s.run(options)).runs[0].cached, true);
  // 80 GiB instead of 141: fewer KV blocks.
  const smaller = yaml.replace(/mem_capacity: \d+/, "mem_capacity: 85899345920");
  assert.notEqual(smaller, yaml);
  await Deno.writeTextFile(`${systems}/myh200.yaml`, smaller);
  const edited = await s.run(options);
  assert.equal(edited.runs[0].cached, false);
  assert.ok(blocks(edited) < blocks(first), `${blocks(edited)} < ${blocks(first)}`);
});
