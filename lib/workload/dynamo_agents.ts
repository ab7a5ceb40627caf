/**
 * The request graph of an agent-aware Dynamo request trace: which requests each request waits for, from its
 * session, its session's parent and the tool events that launched and joined sub-agents (the reference's
 * lowering).
 *
 * @module
 */
import { InputError } from "../common/errors.ts";
import type { DynamoRequest, DynamoToolLink } from "./dynamo_records.ts";
import { within } from "./row_fields.ts";

/**
 * For each request (all with `agent_context`, in recorded start order), the indices of the requests it waits
 * for:
 *
 * 1. the previous request of its session;
 * 2. a sub-agent session's first request waits for the parent-session request that launched it: the tool
 *    event's `claude.source_request_id` when a tool names the session as its `child_session_id`, else the
 *    parent request that started last at or before it;
 * 3. the parent request that consumed a sub-agent's result waits for the sub-agent's last-finishing request:
 *    the tool's `claude.consumer_request_id` (none if it has none), else the first parent request that started
 *    at or after that request ended.
 *
 * A sub-agent whose parent session has no requests in the trace waits for nothing from it. Conflicting
 * parents, tool links to unknown requests or to other sessions, and two tools launching one session are
 * errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { agentDependencies } from "./dynamo_agents.ts";
 * const req = (id: string, session: string, startMs: number, endMs: number, parent?: string) => ({
 *   id, at: {}, startMs, endMs, input: 1, output: 1, blockSize: 1, hashes: [1], agent: { session, parent },
 * });
 * const deps = agentDependencies([
 *   req("parent-1", "root", 1000, 1100),
 *   req("child-1", "child", 1200, 1300, "root"),
 *   req("parent-2", "root", 1500, 1600),
 * ], []);
 * assert.deepEqual(deps, [[], [0], [0, 1]]);
 * ```
 */
export function agentDependencies(
  requests: readonly DynamoRequest[],
  links: readonly DynamoToolLink[],
): number[][] {
  const index = new Map(requests.map((r, i) => [r.id, i]));
  const sessionOf = (i: number) => requests[i].agent!.session;
  const sessions = new Map<string, number[]>();
  const parents = new Map<string, { parent: string; request: DynamoRequest }>();
  requests.forEach((r, i) => {
    const { session, parent } = r.agent!;
    const list = sessions.get(session);
    if (list) list.push(i);
    else sessions.set(session, [i]);
    if (parent === undefined) return;
    const known = parents.get(session);
    if (known && known.parent !== parent) {
      throw new InputError(
        `session ${JSON.stringify(session)} has parent ${JSON.stringify(known.parent)} at ` +
          `${known.request.at.file}:${known.request.at.line}, here ${
            JSON.stringify(parent)
          }: a session has one parent`,
        within(r.at, "agent_context.parent_session_id"),
      );
    }
    if (parent === session) {
      throw new InputError(
        `session ${JSON.stringify(session)} cannot be its own parent`,
        within(r.at, "agent_context.parent_session_id"),
      );
    }
    parents.set(session, { parent, request: r });
  });
  const launches = toolLaunches(links, index, sessionOf, sessions);
  const deps: number[][] = requests.map(() => []);
  const add = (waiter: number, on: number) => {
    if (!deps[waiter].includes(on)) deps[waiter].push(on);
  };
  for (const list of sessions.values()) {
    for (let p = 1; p < list.length; p++) add(list[p], list[p - 1]);
  }
  const children = [...parents.keys()].sort();
  for (const child of children) {
    const { parent } = parents.get(child)!;
    const parentList = sessions.get(parent);
    if (parentList === undefined) continue;
    const childList = sessions.get(child)!;
    const first = childList[0];
    const last = childList.reduce((a, b) => lastToFinish(requests[a], requests[b]) ? a : b);
    const link = launches.get(child);
    if (link) {
      add(first, inParent(link, "source_request_id", link.source, parent, index, sessionOf));
      if (link.consumer !== undefined) {
        add(inParent(link, "consumer_request_id", link.consumer, parent, index, sessionOf), last);
      }
      continue;
    }
    const launcher = parentList.findLast((p) => requests[p].startMs <= requests[first].startMs);
    if (launcher !== undefined) add(first, launcher);
    const joiner = parentList.find((p) => requests[p].startMs >= requests[last].endMs);
    if (joiner !== undefined) add(joiner, last);
  }
  return deps;
}

/** Whether `a` ends after `b` (later end, then later start, then greater id). */
function lastToFinish(a: DynamoRequest, b: DynamoRequest): boolean {
  return a.endMs !== b.endMs
    ? a.endMs > b.endMs
    : a.startMs !== b.startMs
    ? a.startMs > b.startMs
    : a.id > b.id;
}

/** The tool link that launched each child session present in the trace, its requests checked. */
function toolLaunches(
  links: readonly DynamoToolLink[],
  index: ReadonlyMap<string, number>,
  sessionOf: (i: number) => string,
  sessions: ReadonlyMap<string, number[]>,
): Map<string, DynamoToolLink> {
  const launches = new Map<string, DynamoToolLink>();
  for (const link of links) {
    const named: [string, string | undefined][] = [
      ["source_request_id", link.source],
      ["consumer_request_id", link.consumer],
    ];
    for (const [field, id] of named) {
      if (id === undefined) continue;
      const at = within(link.at, `tool.claude.${field}`);
      const i = index.get(id);
      if (i === undefined) {
        throw new InputError(`names request ${JSON.stringify(id)}, which no request_end has`, at);
      }
      if (sessionOf(i) !== link.session) {
        throw new InputError(
          `names request ${JSON.stringify(id)} of session ${
            JSON.stringify(sessionOf(i))
          }, not the tool's session ` +
            JSON.stringify(link.session),
          at,
        );
      }
    }
    if (link.child === undefined || !sessions.has(link.child)) continue;
    const other = launches.get(link.child);
    if (other) {
      throw new InputError(
        `session ${JSON.stringify(link.child)} is also launched by tool ${JSON.stringify(other.callId)} at ` +
          `${other.at.file}:${other.at.line}: a sub-agent session has one launch`,
        within(link.at, "tool.claude.child_session_id"),
      );
    }
    launches.set(link.child, link);
  }
  return launches;
}

/** The index of request `id`, which a tool link names and which must be in the child's parent session. */
function inParent(
  link: DynamoToolLink,
  field: string,
  id: string,
  parent: string,
  index: ReadonlyMap<string, number>,
  sessionOf: (i: number) => string,
): number {
  const i = index.get(id)!;
  if (sessionOf(i) !== parent) {
    throw new InputError(
      `names request ${JSON.stringify(id)} of session ${JSON.stringify(sessionOf(i))}, but session ` +
        `${JSON.stringify(link.child)}'s parent is ${JSON.stringify(parent)}`,
      within(link.at, `tool.claude.${field}`),
    );
  }
  return i;
}
