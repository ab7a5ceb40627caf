/**
 * `deno task fit [systems-dir]`: fit the analytic model's efficiency curves to AIC's measured tables and write
 * `lib/perf/calibration/coefficients.ts` (the only output; the model needs no data files at run time).
 *
 * For every catalog GPU with data in the systems directory (default `$DYNOLAB_SHARED/aic/systems`, else
 * `../shared/aic/systems`) and every backend, the newest version's tables are read and one curve is fitted per
 * op kind and format (see `fit_curves.ts`); a MoE format whose newest table is a collector regression is fitted
 * to the older table instead (`regressions.ts`). Deterministic: the same tables give the same file.
 *
 * @module
 */
import { GPUS } from "../catalog/gpus.ts";
import type { KvDType, WeightDType } from "../dtypes.ts";
import { readParquetTable } from "../aic/parquet.ts";
import { listBackends, listSystems, listVersions, locateTable, nearestVersionDir } from "../aic/systems.ts";
import type { AicTables } from "../aic/tables.ts";
import { concatRows, type Table } from "../aic/table.ts";
import { isTritonMoe, rowsWhere } from "../aic/kernels.ts";
import { compareVersions } from "../aic/versions.ts";
import type { BackendCoefficients, SystemCoefficients } from "./types.ts";
import { DEEPSEEK_MLA_SHAPE } from "./mla_shape.ts";
import { fitLinearAttention } from "./linear_attention.ts";
import { catalogUsage, extractSamples, MOE_KEYS, type Samples } from "./samples.ts";
import { type VersionPick, type VersionTable, withoutRegressions } from "./regressions.ts";
import {
  fitComm,
  fitContextAttention,
  fitGemm,
  fitGenerationAttention,
  fitMla,
  fitMoe,
} from "./fit_curves.ts";

/** The systems directory to read: argument, else `$DYNOLAB_SHARED/aic/systems`, else `../shared/aic/systems`. */
export function defaultSystemsDir(arg?: string): string {
  if (arg) return arg;
  const shared = Deno.env.get("DYNOLAB_SHARED");
  if (shared) return `${shared}/aic/systems`;
  return new URL("../../../../shared/aic/systems", import.meta.url).pathname;
}

async function optional(
  root: string,
  system: string,
  family: string,
  backend: string,
  version: string,
  table: string,
): Promise<Table | undefined> {
  const loc = await locateTable(root, system, family, backend, version, table);
  return loc ? await readParquetTable(loc.path) : undefined;
}

/** The tables a fit reads, and the formats it takes from an older table than the newest. */
export interface FitTables extends AicTables {
  readonly picks: readonly VersionPick[];
  /**
   * vLLM's Triton fused-MoE rows for the formats whose `moe` rows time another kernel (`moe_backend: triton`),
   * each from the newest version that has them.
   */
  readonly moeTriton?: Table;
}

/**
 * Every table of one system × backend (newest stable version) that exists, for fitting and fidelity checks; the
 * MoE table per format from the newest version that is not a regression (`regressions.ts`).
 */
export async function loadAllTables(
  root: string,
  system: string,
  backend: string,
): Promise<FitTables | undefined> {
  const versions = (await listVersions(root, system, backend)).filter((v) => !/dev/.test(v));
  versions.sort(compareVersions);
  const version = versions.at(-1);
  if (!version) return undefined;
  const gemm = await optional(root, system, "gemm", backend, version, "gemm_perf");
  if (!gemm) return undefined;
  const commVersion = await nearestVersionDir(root, system, "comm", backend, version);
  const ncclVersion = await nearestVersionDir(root, system, "comm", "nccl", "999");
  return {
    systemsPath: root,
    system,
    backend,
    version,
    gpu: GPUS[system],
    gemm,
    contextAttention: await optional(root, system, "attention", backend, version, "context_attention_perf"),
    generationAttention: await optional(
      root,
      system,
      "attention",
      backend,
      version,
      "generation_attention_perf",
    ),
    mlaContext: await optional(root, system, "mla", backend, version, "mla_context_module_perf"),
    mlaGeneration: await optional(root, system, "mla", backend, version, "mla_generation_module_perf"),
    linearAttention: await optional(root, system, "linear_attention", backend, version, "gdn_perf"),
    ...await moeTables(root, system, backend, versions),
    allReduce: commVersion
      ? await optional(root, system, "comm", backend, commVersion, "custom_allreduce_perf")
      : undefined,
    nccl: ncclVersion ? await optional(root, system, "comm", "nccl", ncclVersion, "nccl_perf") : undefined,
  };
}

/**
 * The MoE table to fit (`moe`, undefined when there is none) and the formats taken from an older version.
 *
 * @param versions Stable versions, oldest first.
 */
async function moeTables(
  root: string,
  system: string,
  backend: string,
  versions: readonly string[],
): Promise<{ moe: Table | undefined; picks: VersionPick[]; moeTriton?: Table }> {
  const found: VersionTable[] = [];
  for (const v of [...versions].reverse()) {
    const loc = await locateTable(root, system, "moe", backend, v, "moe_perf");
    if (loc && !found.some((f) => f.version === loc.version)) {
      found.push({ version: loc.version, table: await readParquetTable(loc.path) });
    }
  }
  if (found.length === 0) return { moe: undefined, picks: [] };
  const { table, picks } = withoutRegressions(found, MOE_KEYS);
  return { moe: table, picks, moeTriton: backend === "vllm" ? tritonTable(table, found) : undefined };
}

/**
 * Per format whose fitted rows (`moe`) are not all vLLM's Triton kernel, the Triton rows of the newest version
 * that has them; undefined when there are none.
 *
 * @param found A family's tables, newest first.
 */
function tritonTable(moe: Table, found: readonly VersionTable[]): Table | undefined {
  const fitted = MOE_KEYS.rows!(moe);
  const ks = moe.str("kernel_source");
  const f = moe.str(MOE_KEYS.format)!;
  const parts: { table: Table; rows: number[]; from: string }[] = [];
  for (const format of new Set(fitted.map((i) => f[i]))) {
    if (!ks || fitted.every((i) => f[i] !== format || isTritonMoe(ks[i]))) continue;
    for (const { version, table } of found) {
      const tf = table.str(MOE_KEYS.format)!;
      const tk = table.str("kernel_source");
      const rows = tk ? rowsWhere(table, (i) => tf[i] === format && isTritonMoe(tk[i])) : [];
      if (rows.length > 0) {
        parts.push({ table, rows, from: `${format} from ${version}` });
        break;
      }
    }
  }
  if (parts.length === 0) return undefined;
  return concatRows(parts, MOE_KEYS.columns, `Triton MoE ${parts.map((p) => p.from).join(", ")}`);
}

/** Fit every curve of one system × backend from its samples. */
export function fitBackend(tables: FitTables, samples: Samples): BackendCoefficients {
  const gpu = tables.gpu;
  const older = tables.picks.map((p) =>
    `; MoE ${p.format} from ${p.version} (${p.skipped}: ${p.median.toFixed(2)}×)`
  );
  if (tables.moeTriton) older.push(`; ${tables.moeTriton.source}`);
  const out = {
    source: `${tables.system}/${tables.backend}/${tables.version}${older.join("")}`,
    gemm: {} as Record<string, ReturnType<typeof fitGemm>>,
    contextAttention: {} as Record<string, ReturnType<typeof fitContextAttention>>,
    generationAttention: {} as Record<string, ReturnType<typeof fitGenerationAttention>>,
    moe: {} as Record<string, ReturnType<typeof fitMoe>>,
    moeTriton: {} as Record<string, ReturnType<typeof fitMoe>>,
    allReduce: {} as Record<string, ReturnType<typeof fitComm>>,
    mlaContext: {} as Record<string, ReturnType<typeof fitMla>>,
    mlaGeneration: {} as Record<string, ReturnType<typeof fitMla>>,
    linearAttention: {} as Record<string, ReturnType<typeof fitLinearAttention>>,
  };
  for (const [dtype, list] of samples.gemm) {
    if (GPU_SUPPORTS(gpu, dtype)) out.gemm[dtype] = fitGemm(list, gpu, dtype as WeightDType);
  }
  for (const [key, list] of samples.contextAttention) {
    out.contextAttention[key] = fitContextAttention(list, gpu, "bfloat16", key.split("/")[0] as KvDType);
  }
  for (const [key, list] of samples.generationAttention) {
    out.generationAttention[key] = fitGenerationAttention(
      list,
      gpu,
      "bfloat16",
      key.split("/")[0] as KvDType,
    );
  }
  for (const [dtype, list] of samples.moe) out.moe[dtype] = fitMoe(list, gpu, dtype as WeightDType);
  for (const [dtype, list] of samples.moeTriton) {
    out.moeTriton[dtype] = fitMoe(list, gpu, dtype as WeightDType);
  }
  for (const [gpus, list] of samples.allReduce) out.allReduce[gpus] = fitComm(list);
  for (const [key, list] of samples.mlaContext) {
    const [kv, gemm] = key.split("/");
    out.mlaContext[key] = fitMla(list, gpu, DEEPSEEK_MLA_SHAPE, gemm as WeightDType, kv as KvDType, true);
  }
  for (const [key, list] of samples.mlaGeneration) {
    const [kv, gemm] = key.split("/");
    out.mlaGeneration[key] = fitMla(list, gpu, DEEPSEEK_MLA_SHAPE, gemm as WeightDType, kv as KvDType, false);
  }
  for (const [phase, list] of samples.linearAttention) {
    out.linearAttention[phase] = fitLinearAttention(list, gpu, phase);
  }
  return out;
}

const GPU_SUPPORTS = (gpu: { fp4Flops: number; fp8Flops: number }, dtype: string) =>
  dtype === "nvfp4" ? gpu.fp4Flops > 0 : dtype.startsWith("fp8") ? gpu.fp8Flops > 0 : true;

/**
 * Render the coefficient table as a compact TypeScript module: integers exact (grids), other numbers to 4
 * significant digits, numeric arrays wrapped at
 * 110 columns, arrays that occur more than once (the shared AIC grids) hoisted into constants. The file opts out
 * of `deno fmt`, which would put every number on a line of its own.
 */
export function renderCoefficients(table: Record<string, SystemCoefficients>, root: string): string {
  const num = (
    v: number,
  ) => (Number.isInteger(v) && Math.abs(v) < 1e12 ? String(v) : String(Number(v.toPrecision(4))));
  const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === "number");
  const counts = new Map<string, number>();
  const visit = (v: unknown) => {
    if (isNumbers(v)) {
      const key = v.map(num).join(",");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object") Object.values(v).forEach(visit);
  };
  visit(table);
  const hoisted = new Map<string, string>();
  const wrap = (items: string[], indent: string): string => {
    const flat = `[${items.join(", ")}]`;
    if (flat.length + indent.length <= 100) return flat;
    const rows: string[] = [];
    let row = "";
    for (const item of items) {
      if (row && indent.length + 2 + row.length + item.length + 2 > 110) {
        rows.push(row);
        row = "";
      }
      row += (row ? " " : "") + item + ",";
    }
    if (row) rows.push(row);
    return `[\n${rows.map((r) => `${indent}  ${r}`).join("\n")}\n${indent}]`;
  };
  const render = (v: unknown, indent: string): string => {
    if (typeof v === "number") return num(v);
    if (typeof v === "string") return JSON.stringify(v);
    if (isNumbers(v)) {
      const key = v.map(num).join(",");
      if (v.length > 8 && (counts.get(key) ?? 0) > 1) {
        let name = hoisted.get(key);
        if (!name) hoisted.set(key, name = `GRID_${hoisted.size}`);
        return name;
      }
      return wrap(v.map(num), indent);
    }
    if (Array.isArray(v)) return wrap(v.map((x) => render(x, indent + "  ")), indent);
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 0) return "{}";
    const inner = indent + "  ";
    return `{\n${
      entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${render(x, inner)},`).join("\n")
    }\n${indent}}`;
  };
  const body = render(table, "");
  const consts = [...hoisted].map(([key, name]) =>
    `const ${name}: readonly number[] = ${wrap(key.split(","), "")};`
  );
  return [
    "// deno-fmt-ignore-file",
    `// Generated by lib/perf/calibration/fit.ts (deno task fit) from ${
      root.replace(/.*\/shared\//, "shared/")
    }.`,
    "// Do not edit: re-run the fit.",
    "/**",
    " * Fitted efficiency curves of the analytic perf model, per system, backend and format.",
    " *",
    " * @module",
    " */",
    'import type { CoefficientTable } from "./types.ts";',
    "",
    ...consts,
    "",
    "/** Fitted coefficients by system id, then backend. */",
    `export const COEFFICIENTS: CoefficientTable = ${body};`,
    "",
  ].join("\n");
}

if (import.meta.main) {
  const root = defaultSystemsDir(Deno.args[0]);
  const table: Record<string, SystemCoefficients> = {};
  for (const system of await listSystems(root)) {
    if (!GPUS[system]) continue;
    const backends: Record<string, BackendCoefficients> = {};
    let nccl: SystemCoefficients["nccl"] = {};
    for (const backend of await listBackends(root, system)) {
      const tables = await loadAllTables(root, system, backend);
      if (!tables) continue;
      const t0 = performance.now();
      const samples = extractSamples(tables, catalogUsage(system, backend));
      backends[backend] = fitBackend(tables, samples);
      if (Object.keys(nccl).length === 0) {
        nccl = Object.fromEntries([...samples.nccl].map(([k, list]) => [k, fitComm(list)]));
      }
      console.error(
        `fitted ${system}/${backend}/${tables.version} in ${((performance.now() - t0) / 1e3).toFixed(1)} s`,
      );
    }
    table[system] = { nccl, backends };
  }
  const out = new URL("./coefficients.ts", import.meta.url).pathname;
  await Deno.writeTextFile(out, renderCoefficients(table, root));
  console.error(`wrote ${out}`);
}
