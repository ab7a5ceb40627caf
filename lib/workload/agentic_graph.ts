/**
 * The request graph of an agentic trace (agentic Mooncake, Dynamo request traces), between reading its rows and
 * building the workload: ids resolved and checked, trajectories grouped, rows put in dependency order.
 *
 * @module
 */
import { InputError, type InputLocation } from "../common/errors.ts";
import { WorkloadBuilder } from "./builder.ts";
import type { Dependency, RoutingFields } from "./request_row.ts";
import type { Workload } from "./types.ts";

/** An agentic trace's request as read, before the graph is ordered. */
export interface AgenticRow {
  readonly id: string;
  readonly at: InputLocation;
  readonly session: string | number | undefined;
  readonly play: string | undefined;
  readonly input: number;
  readonly output: number;
  readonly hashIds: number[];
  /** A root's arrival or a request's start floor (v2 `not_before_ms`); undefined: released by its edges alone. */
  readonly startMs: number | undefined;
  readonly deps: readonly { readonly id: string; readonly delayMs: number; readonly onDispatch: boolean }[];
  /** The field the dependencies came from, for errors. */
  readonly depsField: string;
  /** The router-queue hints of an agentic Mooncake row. */
  readonly routing?: RoutingFields;
}

/**
 * Row index by request id; refuses duplicate ids, unknown, repeated and self dependencies, and edges across
 * plays.
 */
export function indexRows(rows: readonly AgenticRow[]): Map<string, number> {
  const index = new Map<string, number>();
  rows.forEach((row, i) => {
    const first = index.get(row.id);
    if (first !== undefined) {
      throw new InputError(`duplicates request_id ${JSON.stringify(row.id)} of line ${rows[first].at.line}`, {
        ...row.at,
        field: "request_id",
      });
    }
    index.set(row.id, i);
  });
  for (const row of rows) {
    const field = row.depsField, named = new Set<string>();
    for (const d of row.deps) {
      if (named.has(d.id)) throw new InputError(`names ${JSON.stringify(d.id)} twice`, { ...row.at, field });
      named.add(d.id);
      const source = index.get(d.id);
      if (source === undefined) {
        throw new InputError(`names request_id ${JSON.stringify(d.id)}, which no row has`, {
          ...row.at,
          field,
        });
      }
      if (d.id === row.id) throw new InputError("a request cannot wait for itself", { ...row.at, field });
      const play = rows[source].play;
      if (row.play !== undefined && play !== undefined && play !== row.play) {
        throw new InputError(
          `waits for ${JSON.stringify(d.id)} of play ${JSON.stringify(play)}, across plays (this row's is ` +
            `${JSON.stringify(row.play)})`,
          { ...row.at, field },
        );
      }
    }
  }
  return index;
}

/**
 * Each row's trajectory key, as the reference groups plays: a version 2 row's `play_id`; otherwise the
 * connected group of requests its dependencies link it to (the index of that group's first row).
 */
export function trajectories(rows: readonly AgenticRow[], index: Map<string, number>): (string | number)[] {
  const parent = Int32Array.from(rows, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  rows.forEach((row, i) => {
    for (const d of row.deps) {
      const a = find(i), b = find(index.get(d.id)!);
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
    }
  });
  return rows.map((row, i) => row.play ?? find(i));
}

/**
 * The rows in an order where every request comes after those it waits for: file order, except that a row
 * named by an earlier one moves up just before it. A cycle is an error that names its requests.
 */
export function dependencyOrder(rows: readonly AgenticRow[], index: Map<string, number>): number[] {
  const state = new Uint8Array(rows.length); // 0: not seen, 1: on the stack, 2: placed
  const order: number[] = [];
  const stack: number[] = [], next: number[] = [];
  for (let root = 0; root < rows.length; root++) {
    if (state[root] !== 0) continue;
    state[root] = 1;
    stack.push(root);
    next.push(0);
    while (stack.length > 0) {
      const top = stack.length - 1, v = stack[top], deps = rows[v].deps;
      if (next[top] === deps.length) {
        state[v] = 2;
        order.push(v);
        stack.pop();
        next.pop();
        continue;
      }
      const d = index.get(deps[next[top]++].id)!;
      if (state[d] === 1) {
        const cycle = stack.slice(stack.indexOf(d)).concat(d);
        // A cycle across shards names each request's file; one within a file names the file once.
        const files = new Set(cycle.map((i) => rows[i].at.file));
        const where = ({ file, line }: InputLocation) => files.size > 1 ? `${file}:${line}` : `line ${line}`;
        throw new InputError(
          `requests wait for each other in a cycle: ${
            cycle.map((i) => `${JSON.stringify(rows[i].id)} (${where(rows[i].at)})`).join(" waits for ")
          }`,
          files.size > 1 ? {} : { file: rows[v].at.file },
        );
      }
      if (state[d] === 0) {
        state[d] = 1;
        stack.push(d);
        next.push(0);
      }
    }
  }
  return order;
}

/** Options for {@link buildAgenticWorkload}. */
export interface AgenticBuildOptions {
  readonly name: string;
  /** Engine block size to intern prompt blocks at. */
  readonly blockSize: number;
  /** Tokens per hash id of the rows' `hashIds`. */
  readonly traceBlockSize: number;
  /** Divides start times and dependency delays. Default 1. */
  readonly speedup?: number;
}

/**
 * The workload of an agentic trace's rows: ids checked ({@link indexRows}), trajectories grouped, requests
 * added in dependency order with their edges.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type AgenticRow, buildAgenticWorkload } from "./agentic_graph.ts";
 * const row = (id: string, deps: string[]): AgenticRow => ({
 *   id, at: {}, session: undefined, play: undefined, input: 64, output: 8, hashIds: [id.length],
 *   startMs: deps.length === 0 ? 0 : undefined, deps: deps.map((d) => ({ id: d, delayMs: 5, onDispatch: false })),
 *   depsField: "wait_for",
 * });
 * const w = buildAgenticWorkload([row("bb", ["a"]), row("a", [])], { name: "t", blockSize: 64, traceBlockSize: 64 });
 * assert.deepEqual(w.requestIds, ["a", "bb"]); // "a" moves up before the row that waits for it
 * assert.deepEqual([...w.succDelayMs], [5]);
 * ```
 */
export function buildAgenticWorkload(rows: readonly AgenticRow[], options: AgenticBuildOptions): Workload {
  const index = indexRows(rows);
  const trajectory = trajectories(rows, index);
  const builder = new WorkloadBuilder({ name: options.name, blockSize: options.blockSize });
  const position = new Int32Array(rows.length);
  let n = 0;
  for (const i of dependencyOrder(rows, index)) {
    const row = rows[i];
    position[i] = n++;
    const after: Dependency[] = row.deps.map((d) => ({
      request: position[index.get(d.id)!],
      delayMs: d.delayMs,
      onDispatch: d.onDispatch,
    }));
    builder.add({
      id: row.id,
      session: row.session,
      trajectory: trajectory[i],
      after,
      arrivalMs: row.startMs,
      inputLength: row.input,
      outputLength: row.output,
      tokenBlocks: { ids: row.hashIds, size: options.traceBlockSize },
      ...row.routing,
      at: row.at,
    });
  }
  return builder.build({ speedup: options.speedup });
}
