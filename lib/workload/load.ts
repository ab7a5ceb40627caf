/**
 * Load any {@link WorkloadSpec} into a {@link Workload}. This is an I/O edge: it reads files.
 *
 * @module
 */
import { loadMooncake } from "./mooncake.ts";
import type { WorkloadSpec } from "./spec.ts";
import type { Workload } from "./types.ts";
import { InputError } from "../common/errors.ts";

/** How the simulation will consume the workload. */
export interface LoadOptions {
  /** Engine block size to intern prompt blocks at. */
  readonly blockSize: number;
  /** `--arrival-speedup-ratio`: divides arrivals and inter-turn delays. */
  readonly speedup: number;
  /** Closed-loop replay (`--replay-concurrency`): first-turn timestamps are not needed. */
  readonly closedLoop: boolean;
}

/**
 * @example
 * ```ts ignore
 * import { loadWorkload } from "./load.ts";
 * const w = await loadWorkload({ source: "trace", path: "t.jsonl", format: "mooncake" },
 *   { blockSize: 64, speedup: 1, closedLoop: false });
 * ```
 */
export function loadWorkload(spec: WorkloadSpec, options: LoadOptions): Promise<Workload> {
  switch (spec.source) {
    case "trace":
      switch (spec.format) {
        case "mooncake":
          return loadMooncake(spec.path, {
            blockSize: options.blockSize,
            traceBlockSize: spec.trace_block_size ?? 512,
            speedup: options.speedup,
            requireTimestamps: !options.closedLoop,
          });
        default:
          throw new InputError(`trace format "${spec.format}" is not supported yet`, {
            field: "trace_format",
          });
      }
    default:
      throw new InputError(`workload source "${spec.source}" is not supported yet`, { field: "workload" });
  }
}
