/**
 * The request rows loaders hand to the `WorkloadBuilder` (`builder.ts`): one request as a trace states it (its
 * session or dependency edges, times, lengths, prompt blocks and routing hints), before normalisation.
 *
 * @module
 */
import type { InputLocation } from "../common/errors.ts";
import type { TokenBlocks } from "./block_ids.ts";

/** An edge a request waits on: another request, by its index in load order (one added before). */
export interface Dependency {
  readonly request: number;
  /** ms to wait after the edge fires (raw, before the speed-up). Default 0. */
  readonly delayMs?: number;
  /** Fire when `request` is dispatched instead of when it ends. Default false. */
  readonly onDispatch?: boolean;
}

/** One request as a loader reads it, before normalisation. */
export interface RequestRow {
  /**
   * Session key: rows with the same key form one session, in the order added; unless `after` says otherwise
   * each waits for the session's previous row. Unset: a session of its own.
   */
  readonly session?: string | number;
  /** What reports call a session without a key (the reference's `request_<line>`); default: its index. */
  readonly sessionName?: string;
  /**
   * The edges this request waits on, replacing the session chain (`[]` makes it a root): agentic traces give
   * their dependency graph so.
   */
  readonly after?: readonly Dependency[];
  /**
   * Raw trace time in ms (before normalisation and speed-up). A root arrives then. With `after`, the earliest
   * time the request may start. A session's later turn: only what its delay is inferred from.
   */
  readonly arrivalMs?: number;
  /** A session's later turn: its delay (ms) after the previous turn ends. */
  readonly delayMs?: number;
  readonly inputLength: number;
  readonly outputLength: number;
  /**
   * Prompt content; its token blocks are re-chunked into engine blocks. `"unique"`: a prompt that shares no
   * block with any other (traces without prefix information); its blocks get fresh ids without hashing.
   * `"extend"`: the previous turn's prompt of the same session, then content no other prompt has (its full
   * blocks keep their ids; every block past them, the one that completes its partial tail included, is new).
   */
  readonly tokenBlocks: TokenBlocks | "unique" | "extend";
  /** The request's id in the trace (agentic traces' `request_id`), for reports. */
  readonly id?: string;
  /**
   * Trajectory key (agentic traces): rows with the same key form one trajectory. When any row has one, the
   * workload carries trajectories, and a row without one is a trajectory of its own.
   */
  readonly trajectory?: string | number;
  /** Router queue: seconds of first-come credit (a trace row's `priority`). Default 0. */
  readonly priority?: number;
  /** Router queue: strict tier (`strict_priority`). Default 0. */
  readonly strictPriority?: number;
  /** Router queue: the policy class or family the request names (`policy_class`). Default none. */
  readonly policyClass?: string;
  /** Hash namespace (kv-cache-tester ids are session-local). Default 0. */
  readonly namespace?: number;
  /** Where the row came from, for error messages. */
  readonly at?: InputLocation;
}

/** A row's router-queue hints. */
export type RoutingFields = Pick<RequestRow, "priority" | "strictPriority" | "policyClass">;
