/**
 * Run-time scaling of the cluster's pools: the participant that decides (the planner, or a scripted schedule)
 * and the worker lifecycle it drives. The mechanics live in the cluster's `Fleet` (`fleet.ts`), reached through
 * {@link Cluster.scaleTo}.
 *
 * @module
 */
import type { Cluster } from "./cluster.ts";

/**
 * A simulation participant that scales pools while the replay runs (the planner). Its ticks fire after all
 * same-time work has settled; the clock jumps through idle gaps to them. Ticking stops when no work is left.
 */
export interface ScalingController {
  /** Called once before the first event; returns the first tick time in ms (Infinity: never). */
  start(cluster: Cluster): number;
  /** Request `r` reached the first pool's router (offered load, before any router queue holds it). */
  arrived(r: number): void;
  /** Request `r` was routed in the first pool (its KV overlap is in that pool's router). */
  routed(r: number): void;
  /** Request `r` completed (its last token was delivered). */
  completed(r: number): void;
  /** A tick at `nowMs`; may call {@link Cluster.scaleTo}. Returns the next tick time in ms (Infinity: stop). */
  tick(nowMs: number): number;
}

/** Lifecycle of a worker: planner-added workers start, every worker can be drained and then removed. */
export type WorkerState = "starting" | "active" | "draining" | "removed";

/** One lifecycle step of one worker, for reports. */
export interface LifecycleOp {
  readonly atMs: number;
  readonly pool: number;
  readonly worker: number;
  readonly op: "start" | "activate" | "cancel" | "drain" | "remove";
}
