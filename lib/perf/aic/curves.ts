/**
 * Cutting the measured curves and grids one model needs out of AIC tables: a GEMM site's latency over `m` (or,
 * for a shape AIC did not collect, a curve whose efficiency is borrowed from the nearest collected sites), an
 * attention grid over batch × sequence for a head layout, an MoE curve over tokens, a collective's curve over
 * message size. Built once per model; queried per pass.
 *
 * @module
 */
import { InputError } from "../../common/errors.ts";
import { Curve, Grid2, type Sol1, type Sol2 } from "./interp.ts";
import { collectiveRows, kernelRows, type MoeBackend, moeKernelRows, rowsWhere } from "./kernels.ts";
import type { Table } from "./table.ts";
import type { MoeBlock } from "../roofline.ts";

function col(t: Table, name: string): Float64Array {
  const c = t.num(name);
  if (!c) throw new InputError(`table has no numeric column "${name}"`, { file: t.source });
  return c;
}

/** Measured GEMM sites of one format: `n/k` → `(m[], latency[])`, m ascending. */
type Sites = Map<string, { n: number; k: number; m: number[]; lat: number[] }>;

const siteCache = new WeakMap<Table, Map<string, Sites>>();

function gemmSites(table: Table, dtype: string): Sites {
  let byDtype = siteCache.get(table);
  if (!byDtype) siteCache.set(table, byDtype = new Map());
  const cached = byDtype.get(dtype);
  if (cached) return cached;
  const dt = table.str("gemm_dtype")!;
  const [m, n, k, lat] = [col(table, "m"), col(table, "n"), col(table, "k"), col(table, "latency")];
  const rows = kernelRows(table, rowsWhere(table, (i) => dt[i] === dtype), ["n", "k", "m"]);
  const sites: Sites = new Map();
  for (const i of rows) {
    const key = `${n[i]}/${k[i]}`;
    let s = sites.get(key);
    if (!s) sites.set(key, s = { n: n[i], k: k[i], m: [], lat: [] });
    s.m.push(m[i]);
    s.lat.push(lat[i]);
  }
  for (const s of sites.values()) {
    const order = s.m.map((_, i) => i).sort((a, b) => s.m[a] - s.m[b]);
    s.m = order.map((i) => s.m[i]);
    s.lat = order.map((i) => s.lat[i]);
  }
  byDtype.set(dtype, sites);
  return sites;
}

/**
 * The latency-over-`m` curve of GEMM `n × k` in `dtype`: the measured curve of that site, or one whose
 * efficiency at every collected `m` is the inverse-square-distance (log2 space) blend of the 4 nearest collected
 * sites within two octaves that measured that `m`.
 */
export function gemmCurve(
  table: Table,
  dtype: string,
  n: number,
  k: number,
  sol: (m: number, n: number, k: number) => number,
): Curve {
  const solM = (m: number) => sol(m, n, k);
  const sites = gemmSites(table, dtype);
  if (sites.size === 0) {
    const have = [...new Set(table.str("gemm_dtype") ?? [])].sort().join(", ");
    throw new InputError(`no ${dtype} GEMMs measured (formats: ${have})`, { file: table.source });
  }
  const exact = sites.get(`${n}/${k}`);
  if (exact) return new Curve(exact.m, exact.lat, solM);
  const near = [...sites.values()]
    .map((s) => ({ s, d: Math.hypot(Math.log2(s.n / n), Math.log2(s.k / k)) }))
    .filter((x) => x.d <= 2)
    .sort((a, b) => a.d - b.d || a.s.n - b.s.n || a.s.k - b.s.k)
    .slice(0, 4);
  if (near.length === 0) {
    throw new InputError(`no measured GEMM within two octaves of n=${n}, k=${k} (${dtype})`, {
      file: table.source,
    });
  }
  const ms = [...new Set(near.flatMap((x) => x.s.m))].sort((a, b) => a - b);
  const lat: number[] = [];
  const keep: number[] = [];
  for (const m of ms) {
    let util = 0;
    let weight = 0;
    for (const { s, d } of near) {
      const i = s.m.indexOf(m);
      if (i < 0) continue;
      const w = 1 / Math.max(d * d, 1e-6);
      util += w * sol(m, s.n, s.k) / s.lat[i];
      weight += w;
    }
    if (weight > 0) {
      keep.push(m);
      lat.push(solM(m) / (util / weight));
    }
  }
  return new Curve(keep, lat, solM);
}

/** Filters selecting an attention slice. */
export interface AttentionSlice {
  readonly kvHeads: number;
  readonly headDim: number;
  readonly window: number;
  readonly kvDtype: string;
  /** The attention math's format (`attn_dtype`); see {@link fmhaRows}. */
  readonly fmhaDtype: string;
  /** Context tables key the sequence by `isl`; generation tables by `step`. */
  readonly context: boolean;
}

/** The rows of `table` in `slice`, of every head count, kernel and FMHA format. */
function attentionSliceRows(table: Table, slice: AttentionSlice): number[] {
  const kd = table.str("kv_cache_dtype")!;
  const [kv, hd] = [col(table, "num_key_value_heads"), col(table, "head_dim")];
  // Older tables (e.g. vLLM 0.14) have no window column: every row is full attention.
  const w = table.num("window_size");
  return rowsWhere(
    table,
    (i) =>
      kv[i] === slice.kvHeads && hd[i] === slice.headDim && (w ? w[i] : 0) === slice.window &&
      kd[i] === slice.kvDtype,
  );
}

/**
 * The rows among `rows` whose attention math runs in `fmha` (`attn_dtype`), or, where the table times none in
 * it, the BF16 ones: generation tables time BF16 math only (AIC applies the FMHA format to context attention),
 * and no table times FP8 math over a BF16 KV cache. All rows of a table without the column.
 */
function fmhaRows(table: Table, rows: readonly number[], fmha: string): number[] {
  const ad = table.str("attn_dtype");
  if (!ad) return rows.slice();
  const own = rows.filter((i) => ad[i] === fmha);
  return own.length ? own : rows.filter((i) => ad[i] === "bfloat16");
}

/**
 * Whether `table` times context attention of `slice` with its math in `slice.fmhaDtype` (false: {@link fmhaRows}
 * falls back to the BF16 rows).
 */
export function timesFmha(table: Table, slice: AttentionSlice): boolean {
  const ad = table.str("attn_dtype");
  return attentionSliceRows(table, slice).some((i) => (ad ? ad[i] : "bfloat16") === slice.fmhaDtype);
}

/**
 * Latency of attention with `heads` query heads as a function `(batch, seq)`: the grid of the measured head count,
 * or a linear blend of the two bracketing head counts (util transfer from the nearest one outside the range).
 */
export function attentionGrid(
  table: Table,
  slice: AttentionSlice,
  heads: number,
  sol: (heads: number) => Sol2,
): (b: number, s: number) => number {
  const seq = slice.context ? "isl" : "step";
  const inSlice = fmhaRows(table, attentionSliceRows(table, slice), slice.fmhaDtype);
  const rows = kernelRows(table, inSlice, ["num_heads", "batch_size", seq]);
  if (rows.length === 0) {
    throw new InputError(
      `no ${slice.context ? "context" : "generation"} attention measured for ${slice.kvHeads} KV heads of ` +
        `dimension ${slice.headDim}, window ${slice.window}, ${slice.kvDtype} KV`,
      { file: table.source },
    );
  }
  return headBlend(table, rows, "num_heads", heads, sol, seq, slice.context);
}

/** Filters selecting an MLA module slice. */
export interface MlaSlice {
  readonly kvDtype: string;
  readonly gemmType: string;
  readonly context: boolean;
}

/** Latency of an MLA module with `heads` heads per GPU as a function `(batch, seq)`. */
export function mlaGrid(
  table: Table,
  slice: MlaSlice,
  heads: number,
  sol: (heads: number) => Sol2,
): (b: number, s: number) => number {
  const kd = table.str("kv_cache_dtype")!;
  const gt = table.str("gemm_type")!;
  const seq = slice.context ? "isl" : "step";
  const rows = kernelRows(
    table,
    rowsWhere(table, (i) => kd[i] === slice.kvDtype && gt[i] === slice.gemmType),
    ["num_heads", "batch_size", seq],
  );
  if (rows.length === 0) {
    throw new InputError(`no MLA module measured for ${slice.kvDtype} KV and ${slice.gemmType} GEMMs`, {
      file: table.source,
    });
  }
  return headBlend(table, rows, "num_heads", heads, sol, seq, slice.context);
}

function headBlend(
  table: Table,
  rows: readonly number[],
  headCol: string,
  heads: number,
  sol: (heads: number) => Sol2,
  seqCol: string,
  sqrtSeq: boolean,
): (b: number, s: number) => number {
  const h = col(table, headCol);
  const available = [...new Set(rows.map((i) => h[i]))].sort((a, b) => a - b);
  const grid = (hv: number) => buildGrid(table, rows.filter((i) => h[i] === hv), seqCol, sol(hv), sqrtSeq);
  if (available.includes(heads)) {
    const g = grid(heads);
    return (b, s) => g.at(b, s);
  }
  const below = available.filter((v) => v < heads).at(-1);
  const above = available.find((v) => v > heads);
  if (below !== undefined && above !== undefined) {
    const [gl, gh] = [grid(below), grid(above)];
    const wt = (heads - below) / (above - below);
    return (b, s) => (1 - wt) * gl.at(b, s) + wt * gh.at(b, s);
  }
  const nearest = (below ?? above)!;
  const g = grid(nearest);
  const [solQ, solN] = [sol(heads), sol(nearest)];
  return (b, s) => g.at(b, s) * solQ(b, s) / solN(b, s);
}

function buildGrid(
  table: Table,
  rows: readonly number[],
  seqCol: string,
  sol: Sol2,
  sqrtSeq: boolean,
): Grid2 {
  const [b, s, lat] = [col(table, "batch_size"), col(table, seqCol), col(table, "latency")];
  const as = [...new Set(rows.map((i) => b[i]))].sort((x, y) => x - y);
  const bs = [...new Set(rows.map((i) => s[i]))].sort((x, y) => x - y);
  const z = as.map(() => bs.map(() => NaN));
  const ai = new Map(as.map((v, i) => [v, i]));
  const bi = new Map(bs.map((v, i) => [v, i]));
  for (const i of rows) {
    const cell = z[ai.get(b[i])!];
    const j = bi.get(s[i])!;
    if (!Number.isFinite(cell[j])) cell[j] = lat[i];
  }
  return new Grid2(as, bs, z, sol, sqrtSeq ? "sqrt" : "raw");
}

/** An MoE shape: a block in one expert format. */
export interface MoeShape extends MoeBlock {
  readonly dtype: string;
}

/**
 * Latency over token count of one MoE shape (power-law 1.2 expert load, else balanced) on `backend`'s kernel
 * (`moeKernelRows`).
 */
export function moeCurve(
  table: Table,
  shape: MoeShape,
  distribution: string,
  sol: Sol1,
  backend: MoeBackend,
): Curve {
  const dt = table.str("moe_dtype")!;
  const dist = table.str("distribution")!;
  const [tok, h, inter, topk, e, tp, ep, lat] = [
    col(table, "num_tokens"),
    col(table, "hidden_size"),
    col(table, "inter_size"),
    col(table, "topk"),
    col(table, "num_experts"),
    col(table, "moe_tp_size"),
    col(table, "moe_ep_size"),
    col(table, "latency"),
  ];
  const match = (want: string) =>
    moeKernelRows(
      table,
      rowsWhere(table, (i) =>
        dt[i] === shape.dtype && h[i] === shape.hidden && inter[i] === shape.inter &&
        topk[i] === shape.topK &&
        e[i] === shape.experts && tp[i] === shape.tp && ep[i] === shape.ep && dist[i] === want),
      backend,
    );
  let rows = match(distribution);
  if (rows.length === 0) rows = match("balanced");
  if (rows.length === 0) {
    const kernel = backend === "triton" ? " on vLLM's Triton kernel" : "";
    const fix = backend === "triton"
      ? "pick an aic_backend_version whose table timed it, or use the analytic model (unset aic_systems_path)"
      : "use the analytic model (unset aic_systems_path)";
    throw new InputError(
      `no MoE measured${kernel} for ${shape.dtype} experts ${shape.experts}×(${shape.hidden}→${shape.inter}) ` +
        `top-${shape.topK} at moe_tp ${shape.tp} × moe_ep ${shape.ep}; ${fix}`,
      { file: table.source },
    );
  }
  const order = rows.slice().sort((a, b) => tok[a] - tok[b]);
  const xs: number[] = [];
  const ys: number[] = [];
  for (const i of order) {
    if (xs.at(-1) === tok[i]) continue;
    xs.push(tok[i]);
    ys.push(lat[i]);
  }
  return new Curve(xs, ys, sol);
}

/** Latency over message size (elements) of a collective on `gpus` GPUs, or undefined when not measured. */
export function collectiveCurve(table: Table, op: string, gpus: number, sol: Sol1): Curve | undefined {
  const rows = collectiveRows(table, op, gpus);
  if (rows.length === 0) return undefined;
  const [size, lat] = [col(table, "message_size"), col(table, "latency")];
  const order = rows.slice().sort((a, b) => size[a] - size[b]);
  return new Curve(order.map((i) => size[i]), order.map((i) => lat[i]), sol);
}
