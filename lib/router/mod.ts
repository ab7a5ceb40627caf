/**
 * Routers: pick the engine for each request (round robin, seeded random, KV-aware).
 *
 * @module
 */
export {
  ROUTER_MODES,
  type RouterConfig,
  type RouterConfigInput,
  RouterConfigSchema,
  type RouterMode,
  type RouterStage,
  stageConfig,
} from "./config.ts";
export { type RoutedRequests, Router } from "./router.ts";
