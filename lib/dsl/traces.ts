/**
 * Trace references: a file path, an `http(s)` URL, or a named public trace (`"mooncake:conversation"`,
 * `"azure:code"`, …), resolved to a local file. I/O edge (reads directories, may download).
 *
 * A named trace is looked up, in order, in `$DYNOLAB_TRACES` (the file itself or `<family>/<file>`),
 * `$DYNOLAB_SHARED/traces/<family>/<file>`, `../shared/traces/<family>/<file>` beside this checkout, and the
 * download cache `<cache>/traces/` (`$DYNOLAB_CACHE_DIR`, else `$XDG_CACHE_HOME/dynolab`, else
 * `~/.cache/dynolab`); failing those it is downloaded from its public upstream URL (pinned to a commit, and
 * checked against its sha256 when known) into the cache. Offline, that last step fails with an error that
 * says where to put the file. `DYNOLAB_OFFLINE=1` skips the download attempt.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { InputError, suggest } from "../common/errors.ts";
import { sha256Hex } from "./hash.ts";
import { own } from "../common/own.ts";
import { formatCount } from "../common/format.ts";

/** A public trace dynolab knows by name. */
export interface NamedTrace {
  /** Folder under `traces/` in the shared layout. */
  readonly family: string;
  readonly file: string;
  readonly format: "mooncake" | "azure" | "kv_cache_tester";
  /** Public upstream URL pinned to a commit, or null when the file is a local repackaging. */
  readonly url: string | null;
  readonly sha256?: string;
  readonly license: string;
  /**
   * The step its timestamps are quantised to, ms, where they are (`arrivalStep` finds it): a jitter of half
   * of it (`spread_arrival_steps`) spreads each step's requests over the step.
   */
  readonly stepMs?: number;
  /** The most requests at one instant of its quantised timestamps, where they are (`arrivalStep`'s `peak`). */
  readonly peakPerInstant?: number;
}

const MOONCAKE =
  "https://raw.githubusercontent.com/kvcache-ai/Mooncake/3cca71daccf2a7afb8fe3f0295358f70e3a69fdb";
const AZURE =
  "https://raw.githubusercontent.com/Azure/AzurePublicDataset/790921015d50dd6aae7f7e47f39ba0e235ad6b08/data";

/** The named traces (see `../shared/traces/*\/README.md` for sources, licenses and statistics). */
export const NAMED_TRACES: Readonly<Record<string, NamedTrace>> = {
  "mooncake:conversation": {
    family: "mooncake",
    file: "conversation_trace.jsonl",
    format: "mooncake",
    url: `${MOONCAKE}/FAST25-release/traces/conversation_trace.jsonl`,
    sha256: "b8cbb061a85206d729d91cdc2981f43c9e0d99209dce588d3af5f7934408b9df",
    license: "Apache-2.0",
    stepMs: 3000,
    peakPerInstant: 28,
  },
  "mooncake:synthetic": {
    family: "mooncake",
    file: "synthetic_trace.jsonl",
    format: "mooncake",
    url: `${MOONCAKE}/FAST25-release/traces/synthetic_trace.jsonl`,
    sha256: "bd070915a98fc0ed264d7cfef2ce746002eb3076a695ec31ba2674c0111ec131",
    license: "Apache-2.0",
  },
  "mooncake:toolagent": {
    family: "mooncake",
    file: "toolagent_trace.jsonl",
    format: "mooncake",
    url: `${MOONCAKE}/FAST25-release/traces/toolagent_trace.jsonl`,
    license: "Apache-2.0",
  },
  "mooncake:arxiv": {
    family: "mooncake",
    file: "mooncake_trace.jsonl",
    format: "mooncake",
    url: `${MOONCAKE}/FAST25-release/arxiv-trace/mooncake_trace.jsonl`,
    license: "Apache-2.0",
  },
  "azure:code": {
    family: "azure",
    file: "AzureLLMInferenceTrace_code.csv",
    format: "azure",
    url: `${AZURE}/AzureLLMInferenceTrace_code.csv`,
    sha256: "54e9a6d2a4bd06ba1e060304b900abbc74cbea53de96506e60fe5bb4f2277fb6",
    license: "CC-BY-4.0",
  },
  "azure:conv": {
    family: "azure",
    file: "AzureLLMInferenceTrace_conv.csv",
    format: "azure",
    url: `${AZURE}/AzureLLMInferenceTrace_conv.csv`,
    sha256: "2f1e5b666d4e3055fdbba98598ce2ec307767b9064e03e2fa46676dbcc7d0bf8",
    license: "CC-BY-4.0",
  },
  "kv-cache-tester:claude-code": {
    family: "kv-cache-tester",
    file: "claude_code_traces.jsonl.gz",
    format: "kv_cache_tester",
    url: null,
    sha256: "8c7d54f6503ed667da698c6b73a293e1c5d79ae3e59d0c4a62a419181949be22",
    license: "Apache-2.0",
  },
};

/** Where a reference was found. */
export interface ResolvedTrace {
  /** Local file path. */
  readonly path: string;
  /** The named trace's format, when the reference is a name. */
  readonly format?: NamedTrace["format"];
  /** How it was found: `path`, `env`, `shared`, `cache` or `download`. */
  readonly via: "path" | "env" | "shared" | "cache" | "download";
}

/** Environment and network access for {@link resolveTrace} (injectable for tests). */
export interface TraceEnv {
  readonly get: (name: string) => string | undefined;
  readonly fetch: typeof fetch;
  /** `../shared` beside the checkout: undefined finds it, null ignores it. */
  readonly besideCheckout?: string | null;
}

const defaultEnv: TraceEnv = { get: (name) => Deno.env.get(name), fetch: (...a) => fetch(...a) };

/** The directory downloads and results are cached under. */
export function cacheRoot(env: Pick<TraceEnv, "get"> = defaultEnv): string {
  const explicit = env.get("DYNOLAB_CACHE_DIR");
  if (explicit) return explicit.replace(/\/$/, "");
  const xdg = env.get("XDG_CACHE_HOME");
  if (xdg) return `${xdg.replace(/\/$/, "")}/dynolab`;
  const home = env.get("HOME");
  return home ? `${home}/.cache/dynolab` : ".cache/dynolab";
}

/**
 * Resolve a trace reference to a local file (see the module doc for the search order). A missing file, an
 * unknown name or a failed download throws an {@link InputError} that says what to do.
 *
 * @example
 * ```ts ignore
 * import { resolveTrace } from "./traces.ts";
 * const { path, format } = await resolveTrace("mooncake:conversation");
 * ```
 */
export async function resolveTrace(ref: string, env: TraceEnv = defaultEnv): Promise<ResolvedTrace> {
  if (/^https?:\/\//.test(ref)) return await fromUrl(ref, env);
  const named = own(NAMED_TRACES, ref);
  if (named) return await fromName(ref, named, env);
  if (isFile(ref)) return { path: ref, via: "path" };
  if (/^[a-z][a-z0-9-]*:[a-z0-9-]+$/i.test(ref) && !ref.includes("/")) {
    const hint = suggest(ref, Object.keys(NAMED_TRACES));
    throw new InputError(
      `unknown trace name "${ref}"` + (hint ? ` (did you mean ${hint}?)` : "") +
        `; known: ${Object.keys(NAMED_TRACES).join(", ")}`,
      { field: ".trace()" },
    );
  }
  throw new InputError("no such trace file (give a path, an http(s) URL or a named trace)", { file: ref });
}

async function fromName(ref: string, t: NamedTrace, env: TraceEnv): Promise<ResolvedTrace> {
  const candidates: Array<[string, ResolvedTrace["via"]]> = [];
  const traces = env.get("DYNOLAB_TRACES");
  if (traces) candidates.push([`${traces}/${t.file}`, "env"], [`${traces}/${t.family}/${t.file}`, "env"]);
  const shared = env.get("DYNOLAB_SHARED");
  if (shared) candidates.push([`${shared}/traces/${t.family}/${t.file}`, "shared"]);
  const beside = env.besideCheckout === undefined ? besideCheckout() : env.besideCheckout;
  if (beside) candidates.push([`${beside}/traces/${t.family}/${t.file}`, "shared"]);
  const cached = `${cacheRoot(env)}/traces/${t.file}`;
  candidates.push([cached, "cache"]);
  for (const [path, via] of candidates) if (isFile(path)) return { path, format: t.format, via };
  const where = `put ${t.file} in $DYNOLAB_TRACES, or set DYNOLAB_SHARED to a folder with ` +
    `traces/${t.family}/${t.file}, or copy it to ${cached}`;
  if (!t.url) {
    throw new InputError(
      `${ref} is not on this machine and has no single upstream file to download; ${where}`,
      {
        field: ".trace()",
      },
    );
  }
  await download(ref, t.url, cached, t.sha256, env, where);
  return { path: cached, format: t.format, via: "download" };
}

async function fromUrl(url: string, env: TraceEnv): Promise<ResolvedTrace> {
  const name = url.split("?")[0].split("/").pop() || "trace";
  const path = `${cacheRoot(env)}/traces/url-${(await sha256Hex(url)).slice(0, 16)}-${name}`;
  if (isFile(path)) return { path, via: "cache" };
  await download(url, url, path, undefined, env, `download it yourself and pass the file path`);
  return { path, via: "download" };
}

async function download(
  what: string,
  url: string,
  path: string,
  sha256: string | undefined,
  env: TraceEnv,
  where: string,
): Promise<void> {
  if (env.get("DYNOLAB_OFFLINE") === "1") {
    throw new InputError(`cannot download ${what}: DYNOLAB_OFFLINE=1; ${where}`, { field: ".trace()" });
  }
  let bytes: Uint8Array;
  try {
    const response = await env.fetch(url, { signal: AbortSignal.timeout(120_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (e) {
    throw new InputError(
      `cannot download ${what} from ${url} (${(e as Error).message}; offline?); ${where}`,
      { field: ".trace()" },
    );
  }
  if (sha256 && (await sha256Hex(bytes)) !== sha256) {
    throw new InputError(`downloaded ${what} from ${url} but its sha256 does not match ${sha256}; ${where}`, {
      field: ".trace()",
    });
  }
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  const temp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeFile(temp, bytes);
  await Deno.rename(temp, path);
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** `../shared` beside this checkout, when this module is loaded from disk and it exists. */
function besideCheckout(): string | undefined {
  const here = new URL("../../../shared", import.meta.url);
  if (here.protocol !== "file:") return undefined;
  try {
    return Deno.statSync(here).isDirectory ? fileURLToPath(here).replace(/\/$/, "") : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The arrival jitter `spread_arrival_steps` gives a named trace at `speedup`: half its
 * {@link NamedTrace.stepMs}, divided by the speed-up (the jitter applies after it), for a findings page to
 * quote. Throws for a trace whose timestamps are not quantised.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spreadJitterMs } from "./traces.ts";
 * assert.equal(spreadJitterMs("mooncake:conversation"), 1500);
 * assert.equal(spreadJitterMs("mooncake:conversation", 2), 750);
 * assert.throws(() => spreadJitterMs("mooncake:synthetic"), /not quantised/);
 * ```
 */
export function spreadJitterMs(name: string, speedup = 1): number {
  return quantised(name).stepMs / 2 / speedup;
}

/**
 * A findings page's sentence on a named trace's quantised timestamps: their step and the most requests that
 * share an instant. Throws for a trace whose timestamps are not quantised.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quantisedSteps } from "./traces.ts";
 * assert.equal(
 *   quantisedSteps("mooncake:conversation"),
 *   "The trace's timestamps are quantised to 3,000 ms steps, so up to 28 requests share an instant",
 * );
 * ```
 */
export function quantisedSteps(name: string): string {
  const { stepMs, peakPerInstant } = quantised(name);
  return `The trace's timestamps are quantised to ${
    formatCount(stepMs)
  } ms steps, so up to ${peakPerInstant} ` +
    "requests share an instant";
}

/** A named trace whose timestamps are quantised, with its step and peak; an {@link InputError} otherwise. */
function quantised(name: string): { stepMs: number; peakPerInstant: number } {
  const { stepMs, peakPerInstant }: Partial<NamedTrace> = own(NAMED_TRACES, name) ?? {};
  if (stepMs == null || peakPerInstant == null) {
    const known = Object.keys(NAMED_TRACES).filter((n) => NAMED_TRACES[n].stepMs != null);
    throw new InputError(`${name}: its timestamps are not quantised (those of ${known.join(", ")} are)`, {
      field: "trace",
    });
  }
  return { stepMs, peakPerInstant };
}
