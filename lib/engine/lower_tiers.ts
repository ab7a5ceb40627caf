/**
 * The KV tiers below host memory, shared by every rank of a run (the reference mocker's process-wide G3 and
 * G4): a disk tier of `num_g3_blocks` blocks, which evicts as the host tier does (least recently used, a
 * prompt's leaf first, never a block a copy holds), and an object store without a bound (`enable_g4_storage`).
 * Each has one processor-sharing link each way, shared by every rank's copies: G2→G3 and G3→G2 at
 * `bandwidth_g2_to_g3_gbps` and `bandwidth_g3_to_g2_gbps` (7 GB/s by default, as the reference), G2→G4 and G4→G2
 * at `bandwidth_g2_to_g4_gbps` and `bandwidth_g4_to_g2_gbps` (4 GB/s); 0 moves blocks at once.
 *
 * - **Write-through**: blocks that land in a rank's host tier are copied on to each lower tier that does not
 *   hold them yet ({@link LowerTiers.offer}).
 * - **Staging**: a rank copies a request's blocks up from the lower tiers into its host tier
 *   ({@link LowerTiers.stage}) before copying them back to the GPU.
 *
 * @module
 */
import { SharedLinks } from "../common/shared_links.ts";
import { HostTier } from "./host_tier.ts";
import { KvPool } from "./kv_pool.ts";

/** What sizes and times the lower tiers. */
export interface LowerTiersConfig {
  /** Bytes of one block (block size × `kv_bytes_per_token`), as the host tiers'. */
  readonly blockBytes: number;
  /** The disk tier (`num_g3_blocks`), or null. */
  readonly disk: { readonly blocks: number; readonly writeGbps: number; readonly readGbps: number } | null;
  /** The object store (`enable_g4_storage`), or null. */
  readonly object: { readonly writeGbps: number; readonly readGbps: number } | null;
}

/**
 * Bytes the lower tiers `config` allocate: the disk tier's pool (the object store grows with what it holds).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lowerTiersBytes } from "./lower_tiers.ts";
 * assert.equal(lowerTiersBytes({ blockBytes: 1, disk: null, object: { writeGbps: 4, readGbps: 4 } }), 0);
 * ```
 */
export function lowerTiersBytes(config: LowerTiersConfig): number {
  return config.disk ? KvPool.bytes(config.disk.blocks, true) : 0;
}

/** What the report gives of the lower tiers (`dynolab.lower_kv_tiers`): their size and links, and their copies. */
export type LowerTiersSummary = {
  readonly block_bytes: number;
  readonly disk?: {
    readonly blocks: number;
    readonly write_gbps: number;
    readonly read_gbps: number;
    /** Blocks stored, dropped for want of room, and read back into host tiers. */
    readonly stored_blocks: number;
    readonly dropped_blocks: number;
    readonly read_blocks: number;
  };
  readonly object?: {
    readonly write_gbps: number;
    readonly read_gbps: number;
    readonly stored_blocks: number;
    readonly read_blocks: number;
  };
};

/**
 * The report's summary of `lower`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LowerTiers, lowerTiersSummary } from "./lower_tiers.ts";
 * const lower = new LowerTiers({ blockBytes: 1e6, disk: null, object: { writeGbps: 4, readGbps: 4 } });
 * assert.equal(lowerTiersSummary(lower).object!.stored_blocks, 0);
 * ```
 */
export function lowerTiersSummary(lower: LowerTiers): LowerTiersSummary {
  const d = lower.config.disk, o = lower.config.object, disk = lower.disk, object = lower.object;
  return {
    block_bytes: lower.config.blockBytes,
    ...(d && disk
      ? {
        disk: {
          blocks: d.blocks,
          write_gbps: d.writeGbps,
          read_gbps: d.readGbps,
          stored_blocks: disk.offloaded,
          dropped_blocks: disk.dropped,
          read_blocks: disk.onboarded,
        },
      }
      : {}),
    ...(o && object
      ? {
        object: {
          write_gbps: o.writeGbps,
          read_gbps: o.readGbps,
          stored_blocks: object.stored,
          read_blocks: object.read,
        },
      }
      : {}),
  };
}

/** The link keys of the object store's two directions. */
const WRITE = 0, READ = 1;

/** A block copy in flight to the object store: the blocks it stores when it lands. */
type ObjectCopy = readonly number[];

/**
 * The object store: every block written to it stays (no bound, no eviction).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ObjectStore } from "./lower_tiers.ts";
 * // 1 MB blocks over 1 GB/s: a block takes 1 ms.
 * const store = new ObjectStore(1e6, 1, 1);
 * store.offload([4, 5], 0);
 * assert.equal(store.match(Int32Array.of(4, 5), 0, 2), 0); // not landed yet
 * assert.deepEqual(store.tick(2), []);
 * assert.equal(store.match(Int32Array.of(4, 5), 0, 2), 2);
 * ```
 */
export class ObjectStore {
  readonly #ids = new Set<number>();
  readonly #inFlight = new Set<number>();
  readonly #writes = new Map<number, ObjectCopy>();
  readonly #links = new SharedLinks();
  readonly #blockBytes: number;
  readonly #writeGbps: number;
  readonly #readGbps: number;
  #nextCopy = 0;
  /** Blocks stored, and blocks read back (staged to a host tier). */
  stored = 0;
  read = 0;

  constructor(blockBytes: number, writeGbps: number, readGbps: number) {
    this.#blockBytes = blockBytes;
    this.#writeGbps = writeGbps;
    this.#readGbps = readGbps;
  }

  /** How many of `blocks[from … to)` the store holds, from `from`, stopping at the first miss. */
  match(blocks: Int32Array, from: number, to: number): number {
    let n = 0;
    for (let i = from; i < to && this.#ids.has(blocks[i]); i++) n++;
    return n;
  }

  /** Write the blocks of `ids` that are neither stored nor on their way, starting at `now`. */
  offload(ids: readonly number[], now: number): void {
    const fresh: number[] = [];
    for (const id of ids) {
      if (this.#ids.has(id) || this.#inFlight.has(id)) continue;
      this.#inFlight.add(id);
      fresh.push(id);
    }
    if (fresh.length === 0) return;
    if (this.#writeGbps <= 0) return this.#store(fresh);
    const copy = this.#nextCopy++;
    this.#writes.set(copy, fresh);
    this.#links.add(WRITE, now, copy, fresh.length * this.#blockBytes, this.#writeGbps);
  }

  /**
   * Read `n` stored blocks back for `waiter`, starting at `now`; returns whether it must wait for them
   * ({@link ObjectStore.tick}).
   */
  onboard(n: number, now: number, waiter: number): boolean {
    this.read += n;
    if (this.#readGbps <= 0) return false;
    this.#links.add(READ, now, waiter, n * this.#blockBytes, this.#readGbps);
    return true;
  }

  /** Land the copies done at `now`; returns the waiters of the reads among them, in landing order. */
  tick(now: number): number[] {
    for (const copy of this.#links.complete(WRITE, now)) {
      this.#store(this.#writes.get(copy)!);
      this.#writes.delete(copy);
    }
    return this.#links.complete(READ, now);
  }

  /** When the next copy lands (Infinity when none is in flight). */
  due(): number {
    return Math.min(this.#links.due(WRITE), this.#links.due(READ));
  }

  #store(ids: readonly number[]): void {
    for (const id of ids) {
      this.#inFlight.delete(id);
      this.#ids.add(id);
    }
    this.stored += ids.length;
  }
}

/** A staging in flight: the rank it is for, and how many of its reads (disk, object store) are still to land. */
interface Staging {
  readonly engine: number;
  parts: number;
}

/** A staging whose reads have all landed: the rank it is for and its id ({@link LowerTiers.stage}). */
export interface Staged {
  readonly engine: number;
  readonly id: number;
}

/**
 * The lower tiers of a run, shared by every rank's host tier: write-through from them, staging up to them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LowerTiers } from "./lower_tiers.ts";
 * const lower = new LowerTiers({
 *   blockBytes: 1e6, disk: { blocks: 8, writeGbps: 1, readGbps: 1 }, object: null,
 * });
 * lower.offer([7, 8], 0); // on disk at 2 ms
 * assert.deepEqual(lower.tick(2), []);
 * const blocks = Int32Array.of(7, 8);
 * assert.deepEqual(lower.match(blocks, 0, 2), [2, 0]);
 * const id = lower.stage(3, blocks, 0, 2, 0, 2); // rank 3 reads both back by 4 ms
 * assert.deepEqual(lower.tick(4), [{ engine: 3, id }]);
 * ```
 */
export class LowerTiers {
  readonly config: LowerTiersConfig;
  /** The disk tier: a host tier's kind of pool and links, shared (its copies back go to host tiers). */
  readonly disk: HostTier | null;
  readonly object: ObjectStore | null;
  readonly #stagings = new Map<number, Staging>();
  #nextStaging = 0;
  readonly #landed: Staged[] = [];

  constructor(config: LowerTiersConfig) {
    this.config = config;
    const d = config.disk, o = config.object;
    this.disk = d
      ? new HostTier({
        blocks: d.blocks,
        blockBytes: config.blockBytes,
        offloadGbps: d.writeGbps,
        onboardGbps: d.readGbps,
      })
      : null;
    this.object = o ? new ObjectStore(config.blockBytes, o.writeGbps, o.readGbps) : null;
  }

  /**
   * Blocks landed in a host tier at `now` (`chains`: prompt prefixes, each from its root): copy those the disk
   * tier and the object store lack to them (the disk tier's present blocks count as used, as the host tier's).
   */
  offer(chains: readonly number[], now: number): void {
    this.disk?.offload(chains, now);
    this.object?.offload(chains, now);
  }

  /**
   * The run of `blocks[from … to)`, from `from`, that the lower tiers hold: `[on disk, then in the object store]`
   * (each contiguous, the object store's after the disk's).
   */
  match(blocks: Int32Array, from: number, to: number): [disk: number, object: number] {
    const disk = this.disk ? this.disk.match(blocks, from, to) : 0;
    const object = this.object ? this.object.match(blocks, from + disk, to) : 0;
    return [disk, object];
  }

  /** The length of that run ({@link LowerTiers.match}): disk, then object store. */
  run(blocks: Int32Array, from: number, to: number): number {
    const [disk, object] = this.match(blocks, from, to);
    return disk + object;
  }

  /**
   * Read `blocks[from … from + disk)` from the disk tier and the `object` blocks after them from the object
   * store, for rank `engine`, starting at `now` ({@link LowerTiers.match} gave the counts). Returns the staging's
   * id, which {@link LowerTiers.tick} gives back with the rank once every read has landed (at once when all are
   * instant: the next tick, due now).
   */
  stage(engine: number, blocks: Int32Array, from: number, disk: number, object: number, now: number): number {
    const id = this.#nextStaging++;
    const staging: Staging = { engine, parts: 0 };
    if (disk > 0 && this.disk!.onboard(blocks, from, disk, now, id)) staging.parts++;
    if (object > 0 && this.object!.onboard(object, now, id)) staging.parts++;
    if (staging.parts === 0) this.#landed.push({ engine, id });
    else this.#stagings.set(id, staging);
    return id;
  }

  /**
   * Land the copies done at `now` (the time {@link LowerTiers.due} gave) and return the stagings whose reads have
   * all landed, in order.
   */
  tick(now: number): Staged[] {
    const done = this.#landed.splice(0);
    const reads = [...(this.disk?.tick(now) ?? []), ...(this.object?.tick(now) ?? [])];
    for (const id of reads) {
      const s = this.#stagings.get(id)!;
      if (--s.parts > 0) continue;
      this.#stagings.delete(id);
      done.push({ engine: s.engine, id });
    }
    return done;
  }

  /** When the next copy lands, or now for stagings already done (Infinity when nothing is in flight). */
  due(now: number): number {
    if (this.#landed.length > 0) return now;
    return Math.min(this.disk?.due() ?? Infinity, this.object?.due() ?? Infinity);
  }
}
