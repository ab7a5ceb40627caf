/**
 * The cluster: the discrete-event loop that drives workers, routers and KV hand-offs.
 *
 * @module
 */
export {
  Cluster,
  type ClusterResult,
  type ClusterSetup,
  type LifecycleOp,
  type PoolSetup,
  type PoolState,
  type ScalingController,
  type Worker,
  type WorkerState,
} from "./cluster.ts";
export { SessionDriver } from "./driver.ts";
export { EventQueue } from "./event_queue.ts";
export { SharedLinks, transferMs } from "./transfer.ts";
