/**
 * Loading the AIC tables one engine needs (I/O edge): the newest backend version by default, `reuse.yaml`
 * honoured, all-reduce from the nearest version that has it, NCCL collectives from the system's newest NCCL set.
 *
 * @module
 */
import { InputError, type InputLocation, shown, suggest } from "../../common/errors.ts";
import { GPU_IDS, GPUS, type GpuSpec } from "../catalog/gpus.ts";
import { readParquetTable } from "./parquet.ts";
import {
  listBackends,
  listSystems,
  listVersions,
  locateTable,
  nearestVersionDir,
  readSystemYaml,
} from "./systems.ts";
import type { Table } from "./table.ts";
import { compareVersions } from "./versions.ts";
import { own } from "../../common/own.ts";

/** The measured tables of one system × backend × version. */
export interface AicTables {
  readonly systemsPath: string;
  readonly system: string;
  readonly backend: string;
  readonly version: string;
  /** The GPU as the catalog (or, for systems it lacks, the system file) describes it. */
  readonly gpu: GpuSpec;
  readonly gemm: Table;
  readonly contextAttention?: Table;
  readonly generationAttention?: Table;
  readonly mlaContext?: Table;
  readonly mlaGeneration?: Table;
  readonly moe?: Table;
  readonly allReduce?: Table;
  readonly nccl?: Table;
  /** Gated-DeltaNet kernels (`linear_attention/gdn_perf`). */
  readonly linearAttention?: Table;
}

/** Which tables a model needs. */
export interface TableNeeds {
  readonly attention: boolean;
  readonly mla: boolean;
  readonly moe: boolean;
  readonly allReduce: boolean;
  readonly nccl: boolean;
  /** Gated-DeltaNet linear attention (Qwen3-Next, Qwen3.5). */
  readonly linearAttention?: boolean;
}

/**
 * Load the tables for `system`/`backend` (newest version unless `version` is given) from an AIC `systems`
 * directory. Every missing piece is an {@link InputError} naming what is missing and what exists.
 *
 * @example
 * ```ts ignore
 * import { loadAicTables } from "./tables.ts";
 * const t = await loadAicTables("../shared/aic/systems", "h200_sxm", "vllm", undefined,
 *   { attention: true, mla: false, moe: false, allReduce: false, nccl: false });
 * ```
 */
export async function loadAicTables(
  root: string,
  system: string,
  backend: string,
  version: string | undefined,
  needs: TableNeeds,
  at: InputLocation = {},
): Promise<AicTables> {
  const where = (k: string): InputLocation => ({ ...at, field: at.field ? `${at.field}.${k}` : k });
  const systems = await listSystems(root);
  if (systems.length === 0) {
    throw new InputError(
      `"${root}" is not an AIC systems directory (no data/<system>/ folders)`,
      where("aic_systems_path"),
    );
  }
  if (!systems.includes(system)) {
    const hint = suggest(system, systems);
    throw new InputError(
      `no tables for system "${system}" under ${root}` + (hint ? ` (did you mean ${hint}?)` : "") +
        `; available: ${systems.join(", ")}`,
      where("aic_system"),
    );
  }
  const versions = await listVersions(root, system, backend);
  if (versions.length === 0) {
    const backends = await listBackends(root, system);
    throw new InputError(
      `no ${backend} tables for ${system}; backends with data: ${backends.join(", ") || "none"}`,
      where("aic_backend"),
    );
  }
  const chosen = version ?? newestComplete(versions);
  if (!versions.includes(chosen)) {
    throw new InputError(
      `no ${backend} ${chosen} tables for ${system}; available: ${versions.join(", ")}`,
      where("aic_backend_version"),
    );
  }
  const need = async (family: string, table: string): Promise<Table> => {
    const loc = await locateTable(root, system, family, backend, chosen, table);
    if (!loc) {
      const having: string[] = [];
      for (const v of versions) {
        if (await locateTable(root, system, family, backend, v, table)) having.push(v);
      }
      const choices = having.length
        ? `pick an aic_backend_version that has it (${having.join(", ")}) or `
        : "";
      throw new InputError(
        `${system}/${backend} ${chosen} has no ${family}/${table} table (nor a reuse.yaml entry for it); ` +
          `${choices}use the analytic model (unset aic_systems_path)`,
        where(version === undefined ? "aic_systems_path" : "aic_backend_version"),
      );
    }
    return await readParquetTable(loc.path);
  };
  const gemm = await need("gemm", "gemm_perf");
  const contextAttention = needs.attention ? await need("attention", "context_attention_perf") : undefined;
  const generationAttention = needs.attention
    ? await need("attention", "generation_attention_perf")
    : undefined;
  const mlaContext = needs.mla ? await need("mla", "mla_context_module_perf") : undefined;
  const mlaGeneration = needs.mla ? await need("mla", "mla_generation_module_perf") : undefined;
  const moe = needs.moe ? await need("moe", "moe_perf") : undefined;
  const linearAttention = needs.linearAttention ? await need("linear_attention", "gdn_perf") : undefined;
  let allReduce: Table | undefined;
  if (needs.allReduce) {
    const v = await nearestVersionDir(root, system, "comm", backend, chosen);
    const loc = v ? await locateTable(root, system, "comm", backend, v, "custom_allreduce_perf") : undefined;
    if (!loc) throw new InputError(`${system}/${backend} has no all-reduce table`, where("aic_tp_size"));
    allReduce = await readParquetTable(loc.path);
  }
  let nccl: Table | undefined;
  if (needs.nccl) {
    const v = await nearestVersionDir(root, system, "comm", "nccl", "999");
    const loc = v ? await locateTable(root, system, "comm", "nccl", v, "nccl_perf") : undefined;
    if (!loc) throw new InputError(`${system} has no NCCL table`, where("aic_attention_dp_size"));
    nccl = await readParquetTable(loc.path);
  }
  const gpu = await systemGpu(root, system, where("aic_system"));
  return {
    systemsPath: root,
    system,
    backend,
    version: chosen,
    gpu,
    gemm,
    contextAttention,
    generationAttention,
    mlaContext,
    mlaGeneration,
    moe,
    allReduce,
    nccl,
    linearAttention,
  };
}

/** The newest version that is a release or release candidate (dev snapshots only when nothing else exists). */
function newestComplete(versions: readonly string[]): string {
  const sorted = versions.slice().sort(compareVersions);
  const stable = sorted.filter((v) => !/dev/.test(v));
  return (stable.length ? stable : sorted)[(stable.length ? stable : sorted).length - 1];
}

/**
 * The GPU of `system`: the catalog's, or, for a system the catalog lacks, the one its `<system>.yaml` under `root`
 * describes. A system in neither is an {@link InputError} listing the catalog's GPUs and the systems with tables
 * under `root`.
 */
export async function systemGpu(root: string, system: string, at: InputLocation = {}): Promise<GpuSpec> {
  const known = own(GPUS, system);
  if (known) return known;
  const systems = await listSystems(root);
  if (!systems.includes(system)) {
    const valid = [...new Set([...GPU_IDS, ...systems])];
    const hint = suggest(system, valid);
    throw new InputError(
      `unknown GPU "${system}"` + (hint ? ` (did you mean ${hint}?)` : "") + `; valid: ${valid.join(", ")} ` +
        `(the catalog's and the systems with tables under ${root})`,
      at,
    );
  }
  const doc = await readSystemYaml(root, system, at);
  const stated = (doc as { gpu?: Record<string, unknown> } | null)?.gpu ?? {};
  for (const key of ["mem_capacity", "mem_bw", "bfloat16_tc_flops"]) {
    const v = stated[key] ?? (key === "bfloat16_tc_flops" ? stated.float16_tc_flops : undefined);
    if (!(typeof v === "number" && v > 0 && Number.isFinite(v))) {
      throw new InputError(`needs a positive number (got ${shown(v)})`, {
        file: `${root}/${system}.yaml`,
        field: `gpu.${key}`,
      });
    }
  }
  return gpuFromSystemYaml(system, doc);
}

/** A {@link GpuSpec} from an AIC `<system>.yaml` (for systems the catalog lacks). */
export function gpuFromSystemYaml(system: string, doc: unknown): GpuSpec {
  const d = (doc ?? {}) as { gpu?: Record<string, number>; node?: Record<string, number> };
  const g = d.gpu ?? {};
  const n = d.node ?? {};
  const num = (v: unknown, fallback = 0) => (typeof v === "number" && Number.isFinite(v) ? v : fallback);
  const sm = num(g.sm_version, 90);
  return {
    id: system,
    name: system,
    arch: sm >= 100 ? "blackwell" : sm >= 90 ? "hopper" : sm >= 89 ? "ada" : "ampere",
    smVersion: sm,
    smCount: sm >= 100 ? 148 : 132,
    memBytes: num(g.mem_capacity),
    memBw: num(g.mem_bw),
    bf16Flops: num(g.bfloat16_tc_flops ?? g.float16_tc_flops),
    fp8Flops: num(g.fp8_tc_flops),
    fp4Flops: num(g.fp4_tc_flops),
    scaleUpBw: num(n.intra_node_bw),
    scaleUpSize: num(n.num_gpus_per_node, 8),
    networkBw: num(n.inter_node_bw),
    pcieBw: num(n.pcie_bw),
  };
}
