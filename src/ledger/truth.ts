import type { PrismaClient, Sql } from '../db/client.ts';
import type { CounterLevel } from '../gate/gate.ts';

interface TruthRow {
  id: string;
  name: string | null;
  available: number;
  reserved: number;
  sold: number;
  unlimited: boolean;
  backorder_limit: number;
  throttle_per_second: number | null;
  epoch: number;
}

/**
 * A SKU's truth is its merged row plus the deltas of its movements not yet merged. One statement reads
 * both from one snapshot, so a merge committing meanwhile is seen either wholly or not at all.
 */
const TRUTH_SQL = `
  SELECT s.id, s.name, s.unlimited, s.backorder_limit, s.throttle_per_second, s.epoch,
         (s.available + coalesce(u.a, 0))::int AS available,
         (s.reserved + coalesce(u.r, 0))::int AS reserved,
         (s.sold + coalesce(u.s, 0))::int AS sold
  FROM sku s
  LEFT JOIN LATERAL (
    SELECT sum(m.delta_available) AS a, sum(m.delta_reserved) AS r, sum(m.delta_sold) AS s
    FROM movement m WHERE m.sku_id = s.id AND NOT m.merged
  ) u ON true
  WHERE s.id = ANY($1::text[])`;

function toSeed(row: TruthRow): CounterLevel {
  return {
    skuId: row.id,
    name: row.name,
    available: row.available,
    reserved: row.reserved,
    sold: row.sold,
    unlimited: row.unlimited,
    backorderLimit: row.backorder_limit,
    throttlePerSecond: row.throttle_per_second,
    epoch: row.epoch,
  };
}

/** The truth of the given SKUs, keyed by id; unknown ids are absent. */
export async function readTruth(prisma: Sql, skuIds: string[]): Promise<Map<string, CounterLevel>> {
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
export async function truthForLoad(prisma: PrismaClient, skuIds: string[]): Promise<Map<string, CounterLevel>> {
  const sorted = [...skuIds].sort();
  const [, rows] = await prisma.$transaction([
    prisma.$executeRawUnsafe(
      `UPDATE sku SET epoch = epoch + 1 WHERE id IN (SELECT id FROM sku WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE)`,
      sorted,
    ),
    prisma.$queryRawUnsafe<TruthRow[]>(TRUTH_SQL, sorted),
  ]);
  return new Map(rows.map((r) => [r.id, toSeed(r)]));
}

/**
 * Which of these SKUs are unlimited: their movements count what they sell but never move available
 * (it would only grow without end).
 */
export async function unlimitedAmong(db: Sql, skuIds: string[]): Promise<Set<string>> {
  const rows = await db.$queryRawUnsafe<{ id: string }[]>(`SELECT id FROM sku WHERE id = ANY($1::text[]) AND unlimited`, skuIds);
  return new Set(rows.map((r) => r.id));
}
