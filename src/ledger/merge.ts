import type { PrismaClient } from '../db/client.ts';

/** Movements folded per transaction: bounds how long the hot SKU rows stay locked by one merge. */
export const MERGE_BATCH = 5_000;
/**
 * One merger at a time across every instance: a transaction-scoped advisory lock, so a crashed merger
 * frees it with its connection. Concurrent mergers would only queue on the same SKU rows anyway.
 */
const MERGE_LOCK_KEY = 0x5709_ca7e;

/** Marks a batch of movements merged and sums them per SKU, in SKU order. */
const TAKE_BATCH_SQL = `
WITH batch AS (
  SELECT id FROM movement WHERE NOT merged ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
), marked AS (
  UPDATE movement m SET merged = true FROM batch b WHERE m.id = b.id
  RETURNING m.sku_id, m.delta_available, m.delta_reserved, m.delta_sold
)
SELECT sku_id AS id, sum(delta_available)::int AS a, sum(delta_reserved)::int AS r, sum(delta_sold)::int AS s,
       count(*)::int AS n
FROM marked GROUP BY sku_id ORDER BY sku_id`;

/**
 * Merge-commit (seed 003): folds unmerged movements into their SKU rows, so a hot row is written once
 * per batch instead of once per request. One transaction: a merger killed mid-batch leaves every
 * movement unmerged and every row untouched, and the truth (row + unmerged) never changes.
 * SKU rows are locked in id order, the order every other writer uses, so merges cannot deadlock
 * with ledger batches or counter loads.
 * Returns the number of movements merged (0 when another instance holds the merge lock).
 */
export function mergeOnce(prisma: PrismaClient, batch = MERGE_BATCH): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const [lock] = await tx.$queryRawUnsafe<{ held: boolean }[]>(`SELECT pg_try_advisory_xact_lock(${MERGE_LOCK_KEY}) AS held`);
    if (!lock?.held) return 0;
    const sums = await tx.$queryRawUnsafe<{ id: string; a: number; r: number; s: number; n: number }[]>(TAKE_BATCH_SQL, batch);
    if (sums.length === 0) return 0;
    const ids = sums.map((x) => x.id);
    await tx.$queryRawUnsafe(`SELECT 1 FROM sku WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, ids);
    await tx.$executeRawUnsafe(
      `UPDATE sku SET available = sku.available + d.a, reserved = sku.reserved + d.r, sold = sku.sold + d.s, updated_at = now()
       FROM unnest($1::text[], $2::int[], $3::int[], $4::int[]) AS d(id, a, r, s) WHERE sku.id = d.id`,
      ids,
      sums.map((x) => x.a),
      sums.map((x) => x.r),
      sums.map((x) => x.s),
    );
    return sums.reduce((total, x) => total + x.n, 0);
  });
}
