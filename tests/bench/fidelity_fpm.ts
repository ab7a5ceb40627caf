/**
 * Per-pass fidelity against Dynamo's forward-pass metrics (FPM): every engine step a deployment measured, priced
 * by the perf model exactly as a dynolab engine charges a pass (prefill part, decode or mixed-decode part,
 * framework overhead; `lib/engine/timing.ts`), and the errors per phase and pass shape.
 *
 * The input is the `fpm_metrics_detail.csv` that AI Configurator's FPM collector writes from a Dynamo vLLM
 * worker's `forward-pass-metrics` stream (`collector/layerwise/fpm_ground_truth`): one line per pass with its
 * phase, the tokens it computed for prefilling requests and the KV they already held, the decoding requests and
 * their KV, and the measured step time. The engine args name what the deployment ran (model, GPU, parallelism,
 * sampling, async scheduling); the file does not record them.
 *
 * `deno task fidelity --fpm PATH --engine '{"aic_model_path":"Qwen/Qwen3-32B","aic_system":"b200_sxm","aic_tp_size":2}'`
 *
 * @module
 */
import { parseCsv } from "./csv.ts";
import { median, pct, signedPct } from "./percent.ts";
import { parseEngineArgs, resolveEngineArgs } from "../../lib/engine/mod.ts";
import { passDecodePartMs, passOverheadMs, passPrefillMs } from "../../lib/engine/timing.ts";
import { createPerfModel, loadPerfInputs, type PerfModel } from "../../lib/perf/mod.ts";

/** One measured forward pass. */
export interface FpmPass {
  /** Line of the file (1-based, the header is line 1). */
  readonly line: number;
  /** `context`, `decode` or `mixed`, as the collector labels it. */
  readonly phase: string;
  /** Prompt tokens computed in the pass. */
  readonly prefillTokens: number;
  readonly prefillRequests: number;
  /** KV tokens the prefilling requests held before the pass (cached prefix and earlier chunks). */
  readonly prefillKvTokens: number;
  readonly decodeRequests: number;
  /** KV tokens of the decoding requests. */
  readonly decodeKvTokens: number;
  readonly latencyMs: number;
}

const COLUMNS = {
  prefillTokens: "sum_prefill_tokens",
  prefillRequests: "num_prefill_requests",
  prefillKvTokens: "sum_prefill_kv_tokens",
  decodeRequests: "num_decode_requests",
  decodeKvTokens: "sum_decode_kv_tokens",
  latencyMs: "latency_ms",
} as const;

/**
 * The passes of an FPM detail CSV. Throws naming the file, line and field on a missing column, a value that is
 * not a non-negative number, or a pass with no work.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fpmPasses } from "./fidelity_fpm.ts";
 * const csv = "phase,sum_prefill_tokens,num_prefill_requests,sum_prefill_kv_tokens,num_decode_requests," +
 *   "sum_decode_kv_tokens,latency_ms\ncontext,4096,1,0,0,0,114.1\ndecode,0,0,0,4,16400,9.4\n";
 * const [prefill, decode] = fpmPasses(csv, "fpm.csv");
 * assert.equal(prefill.prefillTokens, 4096);
 * assert.equal(decode.decodeRequests, 4);
 * assert.equal(decode.line, 3);
 * assert.throws(() => fpmPasses(csv.replace("9.4", "n/a"), "fpm.csv"), /fpm\.csv:3: latency_ms/);
 * ```
 */
export function fpmPasses(csvText: string, file: string): FpmPass[] {
  const rows = parseCsv(csvText);
  const header = new Set(Object.keys(rows[0] ?? {}));
  for (const column of ["phase", ...Object.values(COLUMNS)]) {
    if (!header.has(column)) {
      throw new Error(
        `${file}: no column "${column}" (an FPM detail CSV has phase, ${Object.values(COLUMNS).join(", ")})`,
      );
    }
  }
  return rows.map((r, i) => {
    const line = i + 2;
    const num = (column: string) => {
      const v = Number(r[column]);
      if (r[column] === "" || !Number.isFinite(v) || v < 0) {
        throw new Error(`${file}:${line}: ${column} must be a non-negative number, got "${r[column]}"`);
      }
      return v;
    };
    const pass: FpmPass = {
      line,
      phase: r.phase,
      prefillTokens: num(COLUMNS.prefillTokens),
      prefillRequests: num(COLUMNS.prefillRequests),
      prefillKvTokens: num(COLUMNS.prefillKvTokens),
      decodeRequests: num(COLUMNS.decodeRequests),
      decodeKvTokens: num(COLUMNS.decodeKvTokens),
      latencyMs: num(COLUMNS.latencyMs),
    };
    if (pass.prefillRequests === 0 && pass.decodeRequests === 0) {
      throw new Error(`${file}:${line}: a pass with neither prefilling nor decoding requests`);
    }
    if ((pass.prefillRequests === 0) !== (pass.prefillTokens === 0)) {
      throw new Error(
        `${file}:${line}: ${COLUMNS.prefillTokens} and ${COLUMNS.prefillRequests} must both be 0 or both positive`,
      );
    }
    return pass;
  });
}

/** What {@link predictPassMs} needs of an engine's config. */
type TimingConfig = Parameters<typeof passDecodePartMs>[1];

/**
 * A pass's time as a dynolab engine charges it: the prefill part over the prefilling requests (mean ISL and
 * prefix per request), the decode part (the mixed-pass share when there is a prefill and the model has one),
 * and the framework overhead once, counting every request of the pass as emitting.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { predictPassMs } from "./fidelity_fpm.ts";
 * import { fixedModel } from "../../lib/perf/mod.ts";
 * const perf = fixedModel({ prefillMs: 2, prefillMsPerToken: 0.01, decodeMs: 5 });
 * const cfg = { speedupRatio: 1, decodeSpeedupRatio: 1 };
 * const pass = { prefillTokens: 1000, prefillRequests: 1, prefillKvTokens: 0, decodeRequests: 0, decodeKvTokens: 0 };
 * assert.equal(predictPassMs(perf, cfg, pass), 12);
 * assert.equal(predictPassMs(perf, cfg, { ...pass, decodeRequests: 4, decodeKvTokens: 4000 }), 17);
 * ```
 */
export function predictPassMs(
  perf: PerfModel,
  cfg: TimingConfig,
  p: Omit<FpmPass, "line" | "phase" | "latencyMs">,
): number {
  const pf = p.prefillRequests > 0
    ? [
      p.prefillRequests,
      (p.prefillKvTokens + p.prefillTokens) / p.prefillRequests,
      p.prefillKvTokens / p.prefillRequests,
    ] as const
    : undefined;
  const prefill = pf ? passPrefillMs(perf, cfg, ...pf) : 0;
  const d = p.decodeRequests, kv = p.decodeKvTokens;
  const decode = passDecodePartMs(perf, cfg, pf, d, kv, d, kv, kv);
  return prefill + decode +
    passOverheadMs(perf, cfg, p.prefillRequests, p.prefillRequests + p.decodeRequests, prefill + decode);
}

/**
 * The shape class a pass is reported under: prompt tokens for passes with a prefill (with `+ decode` when
 * requests also decode), the batch for decode-only passes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { passShape } from "./fidelity_fpm.ts";
 * assert.equal(passShape({ prefillTokens: 4096, decodeRequests: 0 }), "prefill 2k–8k tokens");
 * assert.equal(passShape({ prefillTokens: 300, decodeRequests: 31 }), "prefill 256–2k tokens + decode");
 * assert.equal(passShape({ prefillTokens: 0, decodeRequests: 14 }), "decode 9–32 requests");
 * ```
 */
export function passShape(p: Pick<FpmPass, "prefillTokens" | "decodeRequests">): string {
  if (p.prefillTokens === 0) {
    const b = p.decodeRequests;
    return `decode ${
      b === 1 ? "1 request" : b <= 8 ? "2–8 requests" : b <= 32 ? "9–32 requests" : "> 32 requests"
    }`;
  }
  const t = p.prefillTokens;
  const tokens = t < 256 ? "< 256" : t < 2048 ? "256–2k" : t <= 8192 ? "2k–8k" : "> 8k";
  return `prefill ${tokens} tokens${p.decodeRequests > 0 ? " + decode" : ""}`;
}

/** Print the per-shape error table of the passes in `path` against the perf model the engine args select. */
export async function runFpm(path: string, engine: Record<string, unknown>): Promise<void> {
  const passes = fpmPasses(await Deno.readTextFile(path), path);
  const args = parseEngineArgs(engine);
  const inputs = await loadPerfInputs(args);
  const { config } = resolveEngineArgs(args, "aggregated", "engine args", {}, inputs);
  const perf = createPerfModel(args, config, inputs);
  const priced = passes.map((p) => ({ p, measured: p.latencyMs, predicted: predictPassMs(perf, config, p) }));
  const groups = Map.groupBy(priced, (x) => passShape(x.p));
  console.log(`\n## Forward passes: ${passes.length} measured passes of ${path}, ${perf.name} model\n`);
  console.log("| pass | passes | measured median ms | predicted median ms | median error | p90 abs. error |");
  console.log("|---|---:|---:|---:|---:|---:|");
  const all: number[] = [];
  for (const [key, list] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const errors = list.map((x) => x.predicted / x.measured - 1);
    all.push(...errors);
    const abs = errors.map(Math.abs).sort((a, b) => a - b);
    console.log(
      `| ${key} | ${list.length} | ${median(list.map((x) => x.measured)).toFixed(2)} | ${
        median(list.map((x) => x.predicted)).toFixed(2)
      } | ${signedPct(median(errors))} | ${pct(abs[Math.floor(abs.length * 0.9)])} |`,
    );
  }
  console.log(
    `\nAll passes: median |error| ${pct(median(all.map(Math.abs)))}, median error ${signedPct(median(all))}`,
  );
}
