/**
 * The layout of an AIC `systems` directory: `<system>.yaml` plus
 * `data/<system>/<family>/<backend>/<version>/<table>.parquet`, where a version directory may hold a `reuse.yaml`
 * that points a table at a donor version. I/O edge (used by `loadPerfInputs` and scripts).
 *
 * @module
 */
import { pathExists } from "../../common/files.ts";
import { parse as parseYaml } from "yaml";
import { InputError, type InputLocation } from "../../common/errors.ts";
import { compareVersions } from "./versions.ts";

/** Where one table of one backend version lives (after following `reuse.yaml`). */
export interface TableLocation {
  readonly path: string;
  /** Version whose data is used (the donor when reused). */
  readonly version: string;
}

/** Subdirectory names of `dir` (links to directories included), or [] when it does not exist. */
async function subdirs(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory || e.isSymlink && await isDirectory(`${dir}/${e.name}`)) out.push(e.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false; // a dangling link
  }
}

/** Systems (GPUs) with data under `root/data`, sorted. */
export async function listSystems(root: string): Promise<string[]> {
  return (await subdirs(`${root}/data`)).sort();
}

/** Backend versions with GEMM or attention data for a system, oldest first. */
export async function listVersions(root: string, system: string, backend: string): Promise<string[]> {
  const found = new Set<string>();
  for (const family of ["gemm", "attention"]) {
    for (const v of await subdirs(`${root}/data/${system}/${family}/${backend}`)) found.add(v);
  }
  return [...found].sort(compareVersions);
}

/** Backends with data for a system, sorted. */
export async function listBackends(root: string, system: string): Promise<string[]> {
  return (await subdirs(`${root}/data/${system}/gemm`)).filter((b) => b !== "nccl").sort();
}

/**
 * Locate `<table>.parquet` of a family for a backend version, following that version's `reuse.yaml`
 * (`reuse: [{table, from_version}]`) when the file is not there. Undefined when neither has it.
 */
export async function locateTable(
  root: string,
  system: string,
  family: string,
  backend: string,
  version: string,
  table: string,
  depth = 0,
): Promise<TableLocation | undefined> {
  const dir = `${root}/data/${system}/${family}/${backend}/${version}`;
  const path = `${dir}/${table}.parquet`;
  if (await pathExists(path)) return { path, version };
  if (depth > 4) return undefined;
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/reuse.yaml`);
  } catch {
    return undefined;
  }
  const doc = parseYaml(text) as { reuse?: Array<{ table?: string; from_version?: string }> } | null;
  const entry = doc?.reuse?.find((r) => r.table === table);
  if (!entry?.from_version) return undefined;
  return locateTable(root, system, family, backend, String(entry.from_version), table, depth + 1);
}

/**
 * The version directory of `family/backend` nearest to `version`: the newest at or below it, else the oldest
 * above it (used for tables a version does not carry, e.g. all-reduce).
 */
export async function nearestVersionDir(
  root: string,
  system: string,
  family: string,
  backend: string,
  version: string,
): Promise<string | undefined> {
  const versions = (await subdirs(`${root}/data/${system}/${family}/${backend}`)).sort(compareVersions);
  const below = versions.filter((v) => compareVersions(v, version) <= 0);
  return below.length ? below[below.length - 1] : versions[0];
}

/** Parsed `<system>.yaml`, or an {@link InputError} naming the file. */
export async function readSystemYaml(root: string, system: string, at: InputLocation = {}): Promise<unknown> {
  const file = `${root}/${system}.yaml`;
  try {
    return parseYaml(await Deno.readTextFile(file));
  } catch (e) {
    throw new InputError(`cannot read the system file: ${(e as Error).message}`, { ...at, file });
  }
}
