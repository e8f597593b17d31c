import assert from 'node:assert/strict';
import type { StockSeed } from '../inventory.ts';
import { sha256Bytes, uint32At } from './digest.ts';

/**
 * Bucketed hot SKUs (seed 003): a SKU's gate stock split into buckets, each a counter of its own in its
 * own gate shard (GateKeys.bucketShard), so one hot SKU's takes spread over shards, and in a Redis
 * Cluster over masters, instead of queueing on one key.
 *
 * - Loading splits the gate's share of available evenly (the first buckets get the remainder); the
 *   first bucket (0) also holds reserved, sold, the withheld units, the name and the floor (backorders),
 *   the others start at 0 with floor 0. A SKU's levels are the buckets' sums.
 * - A take of q units starts at a bucket chosen by a hash of the order's key (startBucket), so buyers
 *   spread evenly. When that bucket is short, the gate reads every bucket and takes the line from as
 *   many buckets as it needs (spill): a line succeeds whenever the buckets together hold q (zero
 *   undersell), and never takes more than a bucket holds (zero oversell). Such a line is one gate line
 *   per bucket, taken like a cart's lines in several shards (all or nothing, src/gate/cart-parts.ts).
 * - Committed changes (restock, release, refund…) go to the first bucket (apply-2.lua), and a reload
 *   re-splits the truth evenly: rebalancing is every reload (a fence, a failover, a change of the
 *   bucket count), and spill covers the time between.
 * - All buckets carry the SKU's epoch, so fencing, reconciliation and merge are per SKU as before; a
 *   line whose buckets answered different epochs was taken across a reload and is tried again.
 */

/** Buckets a SKU may be split into: as many as gate shards make sense; 64 spreads any hot SKU over any cluster. */
export const MAX_BUCKETS = 64;

/** A gate line: a cart line, or its part in one bucket of a SKU split into buckets. */
export interface GateLine {
  /** The cart line it serves (index into the cart's lines). */
  line: number;
  skuId: string;
  bucket: number;
  quantity: number;
}

/** What one bucket's counter is loaded with (seed.lua). */
export interface BucketSeed {
  seed: StockSeed;
  bucket: number;
  /** The gate's share of available in this bucket. */
  share: number;
  /** Withheld units, reserved and sold: the first bucket's alone. */
  withheld: number;
  reserved: number;
  sold: number;
  /** Minus the backorder limit on the first bucket, else 0. */
  floor: number;
  name: string;
  /** Attempts per second each bucket admits: the SKU's throttle spread over its buckets (rounded up). */
  throttlePerSecond: number;
  /** The share per active location, in allocation order (lua/includes/locations.lua); null: all in `default`. */
  locations: LocationShare[] | null;
}

/** The gate's share of a SKU's available in one active location. */
export interface LocationShare {
  locationId: string;
  share: number;
}

/**
 * The gate's share per active location, in allocation order; null when the SKU keeps all in `default`
 * (no locations, or a SKU in buckets, whose stock stays there: src/stock/locations.ts). Withheld units
 * (the database-only path's) come off the last locations first, as far as they hold.
 */
export function locationShares(seed: StockSeed): LocationShare[] | null {
  if (!seed.locations || (seed.buckets ?? 1) > 1) return null;
  const shares = seed.locations.filter((l) => l.active).map((l) => ({ locationId: l.locationId, share: l.available }));
  let withheld = seed.withheld ?? 0;
  for (let i = shares.length - 1; i >= 0 && withheld > 0; i--) {
    const off = Math.min(withheld, Math.max(0, shares[i]!.share));
    shares[i]!.share -= off;
    withheld -= off;
  }
  return shares;
}

/** The counters a seed loads: one per bucket. */
export function bucketSeeds(seed: StockSeed): BucketSeed[] {
  const buckets = seed.buckets ?? 1;
  assert.ok(Number.isInteger(buckets) && buckets >= 1 && buckets <= MAX_BUCKETS, 'a SKU has 1 to MAX_BUCKETS buckets');
  const withheld = seed.withheld ?? 0;
  const share = seed.available - withheld;
  // Below zero (backorders sold) the whole share stays on the first bucket, whose floor allows it.
  const each = share > 0 ? Math.floor(share / buckets) : 0;
  const rest = share > 0 ? share - each * buckets : share;
  const throttle = seed.throttlePerSecond ? Math.ceil(seed.throttlePerSecond / buckets) : 0;
  return Array.from({ length: buckets }, (_, bucket) => {
    const first = bucket === 0;
    return {
      seed,
      bucket,
      share: each + (share > 0 ? (bucket < rest ? 1 : 0) : first ? rest : 0),
      withheld: first ? withheld : 0,
      reserved: first ? seed.reserved : 0,
      sold: first ? seed.sold : 0,
      floor: first ? -seed.backorderLimit : 0,
      name: first ? (seed.name ?? '') : '',
      throttlePerSecond: throttle,
      locations: first ? locationShares(seed) : null,
    };
  });
}

/** The bucket an order's take of a SKU starts at: spread evenly, the same for every retry of the key. */
export function startBucket(idempotencyKey: string, skuId: string, buckets: number): number {
  if (buckets === 1) return 0;
  return uint32At(sha256Bytes(`${skuId}\n${idempotencyKey}`), 0) % buckets;
}

/**
 * Spill: `quantity` taken from the buckets from `start` on, each giving what it has above its floor;
 * null when they hold less in all.
 */
export function spillPlan(quantity: number, start: number, aboveFloor: readonly number[]): { bucket: number; quantity: number }[] | null {
  const plan: { bucket: number; quantity: number }[] = [];
  let left = quantity;
  for (let i = 0; i < aboveFloor.length && left > 0; i++) {
    const bucket = (start + i) % aboveFloor.length;
    const take = Math.min(left, Math.max(0, aboveFloor[bucket]!));
    if (take > 0) plan.push({ bucket, quantity: take });
    left -= take;
  }
  return left > 0 ? null : plan;
}

/**
 * The last try of a line its buckets cannot serve together: every bucket asked for what it has above its
 * floor and the first bucket for the rest too, so the cart's next take.lua call refuses it (or takes it,
 * if units came back) judging every line of the cart at one moment. The first bucket, as it holds the
 * SKU's withheld units and its backorder floor, is the one whose refusal names them.
 */
export function lastTryPlan(quantity: number, aboveFloor: readonly number[]): { bucket: number; quantity: number }[] {
  const held = aboveFloor.map((above) => Math.max(0, above));
  const rest = quantity - held.reduce((a, b) => a + b, 0);
  assert.ok(rest > 0, 'a last try is for a line its buckets cannot serve together');
  return held.flatMap((above, bucket) => {
    const asked = bucket === 0 ? above + rest : above;
    return asked > 0 ? [{ bucket, quantity: asked }] : [];
  });
}
