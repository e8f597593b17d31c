import type { Logger } from 'pino';
import type { PrismaClient } from '../db/client.ts';
import type { Gate } from '../gate/gate.ts';

/** A transaction as Prisma hands it to an interactive $transaction callback. */
export type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** How long a change may wait for its own request to drop the counters before the sweeper does. */
const SWEEP_GRACE_MS = 2_000;
/** Outbox rows handled per sweep: one Redis pipeline and one DELETE. */
export const SWEEP_BATCH = 500;

/**
 * Changes the truth of some SKUs in PostgreSQL and makes the gate agree, like a transactional outbox.
 *
 * In one transaction: lock the SKU rows in id order and bump their epochs (which fences off every
 * request that passed the old counters: the ledger refuses their lines, see group-commit.ts), run
 * `change`, and record the new epochs in gate_sync. After the commit, drop the gate counters older
 * than those epochs so the next request loads the new truth. If this process dies in between, the
 * gate_sync rows survive and the sweeper drops the counters; nothing is remembered only in memory.
 * `change` sees the SKUs that exist (unknown ids are absent from the map it gets).
 */
export async function changeTruth<T>(
  prisma: PrismaClient,
  gate: Gate,
  log: Logger,
  skuIds: string[],
  change: (tx: Tx, epochs: Map<string, number>) => Promise<T>,
): Promise<T> {
  const sorted = [...new Set(skuIds)].sort();
  const { result, epochs } = await prisma.$transaction(async (tx) => {
    const bumped = await tx.$queryRawUnsafe<{ id: string; epoch: number }[]>(
      `UPDATE sku SET epoch = epoch + 1, updated_at = now()
       WHERE id IN (SELECT id FROM sku WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE)
       RETURNING id, epoch`,
      sorted,
    );
    const epochs = new Map(bumped.map((b) => [b.id, b.epoch]));
    const result = await change(tx, epochs);
    if (epochs.size > 0) {
      await tx.$executeRawUnsafe(
        `INSERT INTO gate_sync (sku_id, epoch) SELECT * FROM unnest($1::text[], $2::int[])
         ON CONFLICT (sku_id) DO UPDATE SET epoch = greatest(gate_sync.epoch, EXCLUDED.epoch), created_at = now()`,
        [...epochs.keys()],
        [...epochs.values()],
      );
    }
    return { result, epochs };
  });
  try {
    await dropStale(prisma, gate, epochs);
  } catch (err) {
    log.warn({ err }, 'could not bring the gate up to a change; the sweeper will');
  }
  return result;
}

async function dropStale(prisma: PrismaClient, gate: Gate, epochs: Map<string, number>): Promise<void> {
  if (epochs.size === 0) return;
  await Promise.all([...epochs].map(([id, epoch]) => gate.invalidate(id, epoch)));
  await prisma.$executeRawUnsafe(
    `DELETE FROM gate_sync g USING unnest($1::text[], $2::int[]) AS d(id, epoch) WHERE g.sku_id = d.id AND g.epoch <= d.epoch`,
    [...epochs.keys()],
    [...epochs.values()],
  );
}

/** Brings the gate up to changes whose own request did not (crashed, or Redis was down). */
export async function sweepOutbox(prisma: PrismaClient, gate: Gate): Promise<number> {
  const rows = await prisma.$queryRawUnsafe<{ sku_id: string; epoch: number }[]>(
    `SELECT sku_id, epoch FROM gate_sync WHERE created_at < now() - make_interval(secs => $1::float8 / 1000) ORDER BY sku_id LIMIT $2`,
    SWEEP_GRACE_MS,
    SWEEP_BATCH,
  );
  await dropStale(prisma, gate, new Map(rows.map((r) => [r.sku_id, r.epoch])));
  return rows.length;
}
