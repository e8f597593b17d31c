import type { PrismaClient, Sql } from '../db/client.ts';
import type { SkuStock } from '../inventory.ts';

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
}

/**
 * A SKU's truth is its merged row plus the deltas of its movements not yet merged. One statement reads
 * both from one snapshot, so a merge committing meanwhile is seen either wholly or not at all.
 */
const TRUTH_SQL = `
  SELECT s.id, s.name, s.unlimited, s.backorder_limit, s.throttle_per_second, s.epoch, s.buckets,
         (s.available + coalesce(u.a, 0))::bigint AS available,
         (s.reserved + coalesce(u.r, 0))::bigint AS reserved,
         (s.sold + coalesce(u.s, 0))::bigint AS sold,
         (s.withheld + coalesce(u.w, 0))::bigint AS withheld
  FROM sku s
  LEFT JOIN LATERAL (
    SELECT sum(m.delta_available) AS a, sum(m.delta_reserved) AS r, sum(m.delta_sold) AS s, sum(m.delta_withheld) AS w
    FROM movement m WHERE m.sku_id = s.id AND NOT m.merged
  ) u ON true
  WHERE s.id = ANY($1::text[])`;

/** Bumps the epochs of SKUs $1 (rows locked in id order, as every writer locks them); returns the new ones. */
export const FENCE_SQL = fenceSql('');

/** FENCE_SQL that also sets more columns (`, col = value`). */
function fenceSql(alsoSet: string): string {
  return `
  UPDATE sku SET epoch = epoch + 1, updated_at = now()${alsoSet}
  WHERE id IN (SELECT id FROM sku WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE)
  RETURNING id, epoch`;
}

/** The fence of a load: the counters are rebuilt from the truth now (stockAudit's lastReconciledAt). */
const LOAD_FENCE_SQL = fenceSql(', reconciled_at = now()');

/**
 * Gives the units withheld for the database-only path back to the gate's share, for SKUs $1 whose row
 * locks the transaction already holds: the row keeps minus the unmerged withheld deltas, so row +
 * unmerged is 0 (a merge that marked movements and waits for the row lock adds their deltas to both
 * sides of that sum alike). A statement of its own, after the lock: a statement's snapshot is taken
 * when it starts, so computed in the locking statement it would miss a take that committed while the
 * lock was awaited, and leave the share that much too large.
 */
export const RETURN_WITHHELD_SQL = `
  UPDATE sku s SET withheld = -coalesce((SELECT sum(m.delta_withheld) FROM movement m WHERE m.sku_id = s.id AND NOT m.merged), 0)
  WHERE s.id = ANY($1::text[])`;

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
  };
}

/** The truth of the given SKUs, keyed by id; unknown ids are absent. */
export async function readTruth(prisma: Sql, skuIds: string[]): Promise<Map<string, SkuStock>> {
  const rows = await prisma.$queryRawUnsafe<TruthRow[]>(TRUTH_SQL, skuIds);
  return new Map(rows.map((r) => [r.id, toSeed(r)]));
}

/**
 * The truth for loading gate counters, under a new epoch.
 *
 * Fencing argument (with src/ledger/group-commit.ts): the epoch UPDATE takes each SKU row's lock,
 * which conflicts with the FOR SHARE lock every ledger batch takes on the rows it writes for. So a
 * batch of the old epoch either committed before the UPDATE got the lock, and the truth SELECT, a
 * later statement with a later snapshot, counts its movements; or it locks after this transaction
 * commits, sees the new epoch, and is refused. No movement is both missing from the new counters and
 * accepted into the ledger.
 */
export async function truthForLoad(prisma: PrismaClient, skuIds: string[]): Promise<Map<string, SkuStock>> {
  const sorted = [...skuIds].sort();
  const [, rows] = await prisma.$transaction([
    prisma.$executeRawUnsafe(LOAD_FENCE_SQL, sorted),
    prisma.$queryRawUnsafe<TruthRow[]>(TRUTH_SQL, sorted),
  ]);
  return new Map(rows.map((r) => [r.id, toSeed(r)]));
}
