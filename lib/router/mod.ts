/**
 * Routers: pick the engine for each request (round robin, seeded random, KV-aware), and the KV router's
 * queue over policy classes.
 *
 * @module
 */
export {
  MAX_LOAD_SCALE,
  MIN_TEMPERATURE,
  QUEUE_POLICIES,
  type QueuePolicy,
  ROUTER_MODES,
  type RouterConfig,
  type RouterConfigInput,
  RouterConfigSchema,
  type RouterMode,
  type RouterStage,
  stageConfig,
  unusedConfigWarnings,
} from "./config.ts";
export {
  classify,
  LIMIT_KINDS,
  type PolicyClass,
  type PolicyProfile,
  policyWarnings,
  resolveProfile,
  type RouterPolicy,
  type RouterPolicyInput,
  RouterPolicySchema,
} from "./policy_config.ts";
export { readRouterPolicy } from "./policy_file.ts";
export { PolicyQueue, policyScore, type QueuedRequest } from "./policy_queue.ts";
export { PrefillLoad } from "./prefill_load.ts";
export { type Admission, type RoutedRequests, Router, type RouterOptions } from "./router.ts";
