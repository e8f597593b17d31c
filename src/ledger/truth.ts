import { retryingDeadlocks, type PrismaClient, type Sql } from '../db/client.ts';
import { DEFAULT_LOCATION, type LocationStock, type SkuStock } from '../inventory.ts';

/** 64-bit columns: Prisma's raw queries hand them over as bigint; exact as numbers below 2^53. */
type Quantity = bigint | number;

interface TruthRow {
  id: string;
  name: string | null;
  available: Quantity;
  reserved: Quantity;
  sold: Quantity;
  withheld: Quantity;
  unlimited: boolean;
  backorder_limit: number;
  throttle_per_second: number | null;
  buckets: number;
  epoch: number;
  low_stock_threshold: number | null;
}

/**
 * Whether movement `m` of SKU row `s` is not yet merged into it: after the row's merged position, in
 * the change feed's order. The first term lets the index on (sku_id, tx, id) start at the position.
 */
export const UNMERGED_OF_S = `m.tx >= s.merged_through_tx AND (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)`;

/**
 * A SKU's truth is its merged row plus the deltas of its movements not yet merged: those after the row's
 * merged position (src/ledger/merge.ts). One statement reads both from one snapshot, so a merge
 * committing meanwhile is seen either wholly or not at all.
 */
const TRUTH_SQL = `
  SELECT s.id, s.name, s.unlimited, s.backorder_limit, s.throttle_per_second, s.epoch, s.buckets, s.low_stock_threshold,
         (s.available + coalesce(u.a, 0))::bigint AS available,
         (s.reserved + coalesce(u.r, 0))::bigint AS reserved,
         (s.sold + coalesce(u.s, 0))::bigint AS sold,
         (s.withheld + coalesce(u.w, 0))::bigint AS withheld
  FROM sku s
  LEFT JOIN LATERAL (
    SELECT sum(m.delta_available) AS a, sum(m.delta_reserved) AS r, sum(m.delta_sold) AS s, sum(m.delta_withheld) AS w
    FROM movement m WHERE m.sku_id = s.id AND ${UNMERGED_OF_S}
  ) u ON true
  WHERE s.id = ANY($1::text[])`;

/**
 * The fence of a load: bumps the epochs of SKUs $1 (rows locked in id order, as every writer locks
 * them), and records that the counters are rebuilt from the truth now (stockAudit's lastReconciledAt).
 */
const LOAD_FENCE_SQL = `
  UPDATE sku SET epoch = epoch + 1, updated_at = now(), reconciled_at = now()
  WHERE id IN (SELECT id FROM sku WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE)
  RETURNING id, epoch`;

/**
 * Fences SKUs $1 whose rows the transaction locked in an earlier statement: bumps their epochs and gives
 * their units withheld for the database-only path back to the gate's share; returns the new epochs.
 * The row keeps minus the unmerged withheld deltas, so row + unmerged is 0 (a merge that marked
 * movements and waits for the row lock adds their deltas to both sides of that sum alike). Never in
 * the locking statement: a statement's snapshot is taken when it starts, so computed there it would
 * miss a take that committed while the lock was awaited, and leave the share that much too large.
 */
export const FENCE_HELD_SQL = `
  UPDATE sku s SET epoch = s.epoch + 1, updated_at = now(),
    withheld = -coalesce((SELECT sum(m.delta_withheld) FROM movement m WHERE m.sku_id = s.id AND ${UNMERGED_OF_S}), 0)
  WHERE s.id = ANY($1::text[])
  RETURNING s.id, s.epoch`;

function toSeed(row: TruthRow): SkuStock {
  return {
    skuId: row.id,
    name: row.name,
    available: Number(row.available),
    withheld: Number(row.withheld),
    reserved: Number(row.reserved),
    sold: Number(row.sold),
    unlimited: row.unlimited,
    backorderLimit: row.backorder_limit,
    throttlePerSecond: row.throttle_per_second,
    buckets: row.buckets,
    epoch: row.epoch,
    lowStockThreshold: row.low_stock_threshold,
  };
}

/** The truth of the given SKUs, keyed by id; unknown ids are absent. */
export async function readTruth(prisma: Sql, skuIds: string[]): Promise<Map<string, SkuStock>> {
  const rows = await prisma.$queryRawUnsafe<TruthRow[]>(TRUTH_SQL, skuIds);
  return withLocations(prisma, new Map(rows.map((r) => [r.id, toSeed(r)])));
}

/** The locations in allocation order: by priority, then id (src/stock/locations.ts). */
const LOCATIONS_SQL = `SELECT id, active FROM location ORDER BY priority, id`;

/**
 * A SKU's truth per location other than `default`: its merged row plus its unmerged movements there
 * (the `default` location's is the SKU's less these, so a deployment without locations keeps no rows).
 */
const LOCATION_TRUTH_SQL = `
  SELECT x.sku_id, x.location_id, sum(x.a)::bigint AS available, sum(x.r)::bigint AS reserved, sum(x.s)::bigint AS sold
  FROM (
    SELECT sku_id, location_id, available AS a, reserved AS r, sold AS s FROM sku_location WHERE sku_id = ANY($1::text[])
    UNION ALL
    SELECT m.sku_id, m.location_id, sum(m.delta_available), sum(m.delta_reserved), sum(m.delta_sold)
    FROM sku s JOIN movement m ON m.sku_id = s.id
    WHERE s.id = ANY($1::text[]) AND ${UNMERGED_OF_S} AND m.location_id <> '${DEFAULT_LOCATION}' GROUP BY m.sku_id, m.location_id
  ) x GROUP BY x.sku_id, x.location_id`;

/**
 * Adds each SKU's stock per location, when the deployment keeps stock in more than `default`: available
 * is then availableOver them. The caller's statements hold the SKU rows (a load's fence, a change's
 * locks) or accept a read of two snapshots (a level shown).
 */
async function withLocations(prisma: Sql, stocks: Map<string, SkuStock>): Promise<Map<string, SkuStock>> {
  if (stocks.size === 0) return stocks;
  const directory = await prisma.$queryRawUnsafe<{ id: string; active: boolean }[]>(LOCATIONS_SQL);
  if (directory.length === 1 && directory[0]!.id === DEFAULT_LOCATION && directory[0]!.active) return stocks;
  const rows = await prisma.$queryRawUnsafe<
    { sku_id: string; location_id: string; available: Quantity; reserved: Quantity; sold: Quantity }[]
  >(LOCATION_TRUTH_SQL, [...stocks.keys()]);
  // Grouped once: a bulk read (setStockBatch's 10,000 SKUs) must not scan every row per SKU.
  type Row = (typeof rows)[number];
  const bySku = new Map<string, Map<string, Row>>();
  for (const row of rows) bySku.set(row.sku_id, (bySku.get(row.sku_id) ?? new Map<string, Row>()).set(row.location_id, row));
  for (const stock of stocks.values()) {
    const elsewhere = bySku.get(stock.skuId) ?? new Map<string, Row>();
    const sum = (field: 'available' | 'reserved' | 'sold') => [...elsewhere.values()].reduce((a, r) => a + Number(r[field]), 0);
    const locations = directory.map(({ id, active }): LocationStock => {
      const row = elsewhere.get(id);
      if (id === DEFAULT_LOCATION)
        return {
          locationId: id,
          active,
          available: stock.available - sum('available'),
          reserved: stock.reserved - sum('reserved'),
          sold: stock.sold - sum('sold'),
        };
      return {
        locationId: id,
        active,
        available: Number(row?.available ?? 0),
        reserved: Number(row?.reserved ?? 0),
        sold: Number(row?.sold ?? 0),
      };
    });
    stock.locations = locations;
    stock.available = availableOver(locations);
  }
  return stocks;
}

/**
 * A SKU's available over its locations: the active ones', and an inactive one's shortfall (backorders it
 * owed), which still counts, so the SKU's floor bounds them all.
 */
export function availableOver(locations: readonly LocationStock[]): number {
  return locations.reduce((sum, l) => sum + (l.active ? l.available : Math.min(l.available, 0)), 0);
}

/**
 * The truth for loading gate counters, under a new epoch.
 *
 * Fencing argument (with src/ledger/group-commit.ts): the epoch UPDATE locks each SKU row FOR UPDATE,
 * which conflicts with the KEY SHARE lock every ledger batch takes on the rows it writes for (a plain
 * UPDATE of the epoch would not: it changes no key, so it locks only FOR NO KEY UPDATE). So a
 * batch of the old epoch either committed before the UPDATE got the lock, and the truth SELECT, a
 * later statement with a later snapshot, counts its movements; or it locks after this transaction
 * commits, sees the new epoch, and is refused. No movement is both missing from the new counters and
 * accepted into the ledger.
 */
export async function truthForLoad(prisma: PrismaClient, skuIds: string[]): Promise<Map<string, SkuStock>> {
  const sorted = [...skuIds].sort();
  return retryingDeadlocks(() =>
    prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(LOAD_FENCE_SQL, sorted);
      const rows = await tx.$queryRawUnsafe<TruthRow[]>(TRUTH_SQL, sorted);
      return withLocations(tx, new Map(rows.map((r) => [r.id, toSeed(r)])));
    }),
  );
}
