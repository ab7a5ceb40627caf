/**
 * An engine rank's host-memory KV tier (the reference mocker's G2, `num_g2_blocks`): copies of cached prompt
 * blocks, kept so that a request whose prefix GPU memory (G1) has evicted can copy it back instead of
 * recomputing it.
 *
 * A prompt block is copied to host memory once computed, unless it is there already or on its way (write-through,
 * as KVBM registers blocks with its offload manager and vLLM's CPU offloading stores them; the reference mocker
 * copies a block when G1 evicts it, see `offload.ts`). A pass's prompts are offered whole from their roots, so
 * their blocks there count as used, roots last. A full host tier evicts its least recently used block that no
 * copy back holds (a prompt's leaf first, as G1), and drops the new block when every block is held. A request's
 * prefix that continues in host memory is copied back in one transfer, holding its host blocks until it lands.
 * Copies each way go over their own processor-sharing link (`bandwidth_g1_to_g2_gbps`,
 * `bandwidth_g2_to_g1_gbps`, 14 GB/s each by default, as in the reference); a bandwidth of 0 moves blocks at
 * once. Blocks stored are offered on to the lower tiers below, if any (`lower_tiers.ts`, which also uses this
 * class for its disk tier).
 *
 * @module
 */
import { IntMap } from "../common/int_map.ts";
import { SharedLinks } from "../common/shared_links.ts";
import { KvPool } from "./kv_pool.ts";
import type { LowerTiers } from "./lower_tiers.ts";

/** What sizes and times a host tier. */
export interface HostTierConfig {
  /** Blocks host memory holds (`num_g2_blocks`). */
  readonly blocks: number;
  /** Bytes of one block (block size × `kv_bytes_per_token`). */
  readonly blockBytes: number;
  /** GB/s of copies to host memory (`bandwidth_g1_to_g2_gbps`); 0: instant. */
  readonly offloadGbps: number;
  /** GB/s of copies back to the GPU (`bandwidth_g2_to_g1_gbps`); 0: instant. */
  readonly onboardGbps: number;
}

/** The link keys of a tier's two directions. */
const OFFLOAD = 0, ONBOARD = 1;

/** A copy back to the GPU in flight: the host slots it holds and the request parked for it. */
interface CopyBack {
  readonly slots: readonly number[];
  readonly waiter: number;
}

/** A copy to host memory in flight: the prompt chains it belongs to, and which of their blocks it moves. */
interface CopyOut {
  readonly chains: readonly number[];
  readonly fresh: Set<number>;
}

/**
 * One rank's host KV tier: its blocks, and its copies each way in flight.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HostTier } from "./host_tier.ts";
 * // 1 MB blocks over 1 GB/s links: one block takes 1 ms each way.
 * const tier = new HostTier({ blocks: 4, blockBytes: 1e6, offloadGbps: 1, onboardGbps: 1 });
 * tier.offload([7, 8], 0); // blocks 7 and 8 reach host memory after 2 ms
 * assert.equal(tier.due(), 2);
 * assert.deepEqual(tier.tick(2), []);
 * assert.equal(tier.match(Int32Array.of(7, 8, 9), 0, 3), 2);
 * assert.equal(tier.onboard(Int32Array.of(7, 8), 0, 2, 2, 5), true); // request 5 copies them back by 4 ms
 * assert.deepEqual(tier.tick(4), [5]);
 * ```
 */
export class HostTier {
  /** The tier's size, block bytes and links. */
  readonly config: HostTierConfig;
  /** Host memory's blocks: inactive when stored, active while a copy back to the GPU holds them. */
  readonly pool: KvPool;
  readonly #links = new SharedLinks();
  /** Block ids on their way to host memory (1 each: a block is copied once at a time). */
  readonly #inFlight = new IntMap(64);
  readonly #out = new Map<number, CopyOut>();
  readonly #back = new Map<number, CopyBack>();
  readonly #below: LowerTiers | null;
  #nextCopy = 0;
  /** Blocks stored in host memory. */
  offloaded = 0;
  /** Blocks copied back to the GPU. */
  onboarded = 0;
  /** Blocks dropped for want of room: every block was held (by copies back, or by the store that brought it). */
  dropped = 0;

  /** @param below The lower tiers that blocks stored here are written through to. */
  constructor(config: HostTierConfig, below: LowerTiers | null = null) {
    this.config = config;
    this.pool = new KvPool(config.blocks, true);
    this.#below = below;
  }

  /** How many of `blocks[from … to)` host memory holds, counting from `from` and stopping at the first miss. */
  match(blocks: Int32Array, from: number, to: number): number {
    let n = 0;
    for (let i = from; i < to && this.pool.cachedSlot(blocks[i]) >= 0; i++) n++;
    return n;
  }

  /**
   * Copy to host memory the blocks of `chains` (prompt prefixes, each from its root, one after another), computed
   * by `now`, that are not there already or on their way. The chains' blocks there already become the most
   * recently used, now and again when the copy lands, each chain's root last: a chain leaves the tier leaf first
   * (a root lost makes the rest of its chain unreachable).
   */
  offload(chains: readonly number[], now: number): void {
    const fresh = new Set<number>();
    for (const id of chains) {
      if (this.pool.cachedSlot(id) < 0 && this.#inFlight.get(id) < 0) {
        this.#inFlight.set(id, 1);
        fresh.add(id);
      }
    }
    if (fresh.size === 0 || this.config.offloadGbps <= 0) {
      this.#store(chains, fresh, now);
      return;
    }
    this.#touch(chains);
    const copy = this.#nextCopy++;
    this.#out.set(copy, { chains, fresh });
    this.#links.add(OFFLOAD, now, copy, fresh.size * this.config.blockBytes, this.config.offloadGbps);
  }

  /**
   * Copy `blocks[from … from + n)` (which host memory holds) back to the GPU for `waiter`, starting at `now`.
   * Returns whether it must wait for them to land ({@link HostTier.tick}).
   */
  onboard(blocks: Int32Array, from: number, n: number, now: number, waiter: number): boolean {
    const slots: number[] = [];
    for (let i = from; i < from + n; i++) slots.push(this.pool.acquire(blocks[i]));
    this.onboarded += n;
    if (this.config.onboardGbps <= 0) {
      for (let i = slots.length - 1; i >= 0; i--) this.pool.release(slots[i]);
      return false;
    }
    const copy = this.#nextCopy++;
    this.#back.set(copy, { slots, waiter });
    this.#links.add(ONBOARD, now, copy, n * this.config.blockBytes, this.config.onboardGbps);
    return true;
  }

  /**
   * Land the copies that are done at `now` (the time {@link HostTier.due} gave; at any other time a link has
   * nothing due) and return the requests parked for the copies back among them, in the order they landed.
   */
  tick(now: number): number[] {
    for (const copy of this.#links.complete(OFFLOAD, now)) {
      const { chains, fresh } = this.#out.get(copy)!;
      this.#out.delete(copy);
      this.#store(chains, fresh, now);
    }
    const waiters: number[] = [];
    for (const copy of this.#links.complete(ONBOARD, now)) {
      const { slots, waiter } = this.#back.get(copy)!;
      this.#back.delete(copy);
      for (let i = slots.length - 1; i >= 0; i--) this.pool.release(slots[i]);
      waiters.push(waiter);
    }
    return waiters;
  }

  /** When the next copy lands (Infinity when none is in flight). */
  due(): number {
    return Math.min(this.#links.due(OFFLOAD), this.#links.due(ONBOARD));
  }

  /**
   * Store the `fresh` blocks of `chains`, evicting the least recently used unheld ones (or dropping a block when
   * all are held, by copies back or by this store itself when the chains outgrow the tier), make the chains'
   * stored blocks the most recently used, each chain's root last, and offer the blocks that are here or have
   * just landed (stored or dropped) to the lower tiers (at `now`).
   */
  #store(chains: readonly number[], fresh: Set<number>, now: number): void {
    const slots: number[] = [], landed: number[] = [];
    for (const id of chains) {
      let slot = this.pool.cachedSlot(id);
      const here = slot >= 0 || fresh.has(id);
      if (slot >= 0) slot = this.pool.acquire(id);
      else if (fresh.delete(id)) {
        this.#inFlight.delete(id);
        slot = this.pool.allocate(id);
        if (slot < 0) this.dropped++;
        else this.offloaded++;
      }
      if (slot >= 0) slots.push(slot);
      if (here && this.#below) landed.push(id);
    }
    for (let i = slots.length - 1; i >= 0; i--) this.pool.release(slots[i]);
    if (landed.length > 0) this.#below!.offer(landed, now);
  }

  /** Make the chains' stored blocks the most recently used, each chain's root last. */
  #touch(chains: readonly number[]): void {
    for (let i = chains.length - 1; i >= 0; i--) {
      if (this.pool.cachedSlot(chains[i]) >= 0) this.pool.release(this.pool.acquire(chains[i]));
    }
  }
}
