/**
 * The cluster: the discrete-event loop that drives workers, routers and KV hand-offs.
 *
 * @module
 */
export { Cluster } from "./cluster.ts";
export { MAX_FLEET_BYTES, overFleetLimit, workerBytes } from "./fleet.ts";
export type { ClusterResult, ClusterSetup, PoolSetup, PoolState, Worker } from "./types.ts";
export type { LifecycleOp, ScalingController, WorkerState } from "./lifecycle.ts";
export { SessionDriver } from "./driver.ts";
export { EventQueue } from "../common/event_queue.ts";
export { type TransferArgs, transferArgWarnings, transferMs } from "./transfer.ts";
