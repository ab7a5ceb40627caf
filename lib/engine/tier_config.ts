/**
 * The KV offload tiers as an engine resolves them from its args: the host tier (`num_g2_blocks`) and the disk
 * and object-storage tiers below it (`num_g3_blocks`, `enable_g4_storage`), with the reference's bandwidths.
 *
 * @module
 */
import { InputError, type InputLocation } from "../common/errors.ts";
import { kvBytesPerToken, type PerfSetup } from "../perf/mod.ts";
import type { EngineArgs } from "./args.ts";
import type { WorkerRole } from "./config.ts";
import type { HostTierConfig } from "./host_tier.ts";
import type { LowerTiersConfig } from "./lower_tiers.ts";

/** The reference's bandwidth of each direction between GPU and host memory, in GB/s (`kvbm_offload`). */
const HOST_TIER_GBPS = 14;

/**
 * The host tier `num_g2_blocks` asks for, or null. Without a block size in bytes (`kv_bytes_per_token`, or the
 * model's from `aic_model_path`) the reference runs without the tier, and so does dynolab, with a warning; so
 * without prefix caching, when no block is ever cached to offload. Decode ranks get none (not simulated yet).
 */
export function hostTier(
  args: EngineArgs,
  role: WorkerRole,
  setup: PerfSetup | undefined,
  blockSize: number,
  warnings: string[],
  what: string,
  at: InputLocation,
): HostTierConfig | null {
  const blocks = args.num_g2_blocks ?? 0;
  if (blocks === 0) {
    const tier = role === "decode"
      ? "on decode workers, which have no host KV tier"
      : "without num_g2_blocks";
    unused(args, HOST_TIER_KEYS, tier, warnings, what);
    return null;
  }
  if (role === "decode") {
    throw new InputError(
      "a host KV tier is simulated on aggregated and prefill workers only, not yet on decode workers",
      { ...at, field: `${what}.num_g2_blocks` },
    );
  }
  if (args.engine_type === "sglang") {
    throw new InputError(
      'the SGLang scheduler has no host KV tier (nor has the reference\'s); use engine_type "vllm" with it',
      { ...at, field: `${what}.num_g2_blocks` },
    );
  }
  const bytes = args.kv_bytes_per_token ?? (setup ? kvBytesPerToken(setup.model.arch, setup.dtypes.kv) : 0);
  const off = !args.enable_prefix_caching
    ? "without prefix caching (only cached blocks are offloaded)"
    : bytes === 0
    ? "without kv_bytes_per_token or aic_model_path to size a block's copy (the reference runs without it too)"
    : null;
  if (off !== null) {
    warnings.push(`${what}.num_g2_blocks has no effect ${off}`);
    return null;
  }
  return {
    blocks,
    blockBytes: blockSize * bytes,
    offloadGbps: args.bandwidth_g1_to_g2_gbps ?? HOST_TIER_GBPS,
    onboardGbps: args.bandwidth_g2_to_g1_gbps ?? HOST_TIER_GBPS,
  };
}

/** The reference's bandwidth of each direction between host memory and disk, and the object store, in GB/s. */
const DISK_GBPS = 7, OBJECT_GBPS = 4;

/**
 * The lower tiers `num_g3_blocks` and `enable_g4_storage` ask for below the `host` tier, or null. They need a
 * host tier (an error otherwise, as the reference's) and the block size in bytes it has; without prefix
 * caching, which turns the host tier off, they are off too, with a warning. Bandwidths without their tier are
 * reported as having no effect.
 */
export function lowerTiers(
  args: EngineArgs,
  role: WorkerRole,
  host: HostTierConfig | null,
  warnings: string[],
  what: string,
  at: InputLocation,
): LowerTiersConfig | null {
  const disk = args.num_g3_blocks ?? 0, object = args.enable_g4_storage;
  if (disk === 0) {
    unused(
      args,
      ["bandwidth_g2_to_g3_gbps", "bandwidth_g3_to_g2_gbps"],
      "without num_g3_blocks",
      warnings,
      what,
    );
  }
  if (!object) {
    unused(
      args,
      ["bandwidth_g2_to_g4_gbps", "bandwidth_g4_to_g2_gbps"],
      "without enable_g4_storage",
      warnings,
      what,
    );
  }
  if (disk === 0 && !object) return null;
  const key = disk > 0 ? "num_g3_blocks" : "enable_g4_storage";
  if (role === "decode") {
    throw new InputError(
      "the disk and object-storage KV tiers (G3, G4) are simulated on aggregated and prefill workers only",
      { ...at, field: `${what}.${key}` },
    );
  }
  if (host === null) {
    if ((args.num_g2_blocks ?? 0) > 0 && !args.enable_prefix_caching) {
      warnings.push(`${what}.${key} has no effect without prefix caching (only cached blocks are offloaded)`);
      return null;
    }
    const why = (args.num_g2_blocks ?? 0) > 0
      ? "a block size in bytes: kv_bytes_per_token, or a model (aic_model_path)"
      : "a host tier: num_g2_blocks";
    throw new InputError(`the disk and object-storage KV tiers (G3, G4) need ${why}`, {
      ...at,
      field: `${what}.${key}`,
    });
  }
  return {
    blockBytes: host.blockBytes,
    disk: disk > 0
      ? {
        blocks: disk,
        writeGbps: args.bandwidth_g2_to_g3_gbps ?? DISK_GBPS,
        readGbps: args.bandwidth_g3_to_g2_gbps ?? DISK_GBPS,
      }
      : null,
    object: object
      ? {
        writeGbps: args.bandwidth_g2_to_g4_gbps ?? OBJECT_GBPS,
        readGbps: args.bandwidth_g4_to_g2_gbps ?? OBJECT_GBPS,
      }
      : null,
  };
}

/** Report each of `keys` that `args` set as having no effect `why`. */
function unused(
  args: EngineArgs,
  keys: readonly (keyof EngineArgs)[],
  why: string,
  warnings: string[],
  what: string,
): void {
  for (const k of keys) if (args[k] != null) warnings.push(`${what}.${k} has no effect ${why}`);
}

/** Keys that tune the host tier (`offload_batch_size` groups copies into batches, which share a link alike). */
const HOST_TIER_KEYS = ["offload_batch_size", "bandwidth_g1_to_g2_gbps", "bandwidth_g2_to_g1_gbps"] as const;
