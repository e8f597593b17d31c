import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { LedgerEntry } from '../../src/ledger/group-commit.ts';
import { eventually, type Poll } from './wait.ts';

const INT8_OID = 20;

/** Reads PostgreSQL directly, as an auditor would, bypassing the service. */
export async function sql<T = any>(databaseUrl: string, text: string, params: unknown[] = []): Promise<T[]> {
  // 64-bit columns (sku quantities, counts) as numbers, as the service reads them: exact below 2^53.
  const types = {
    getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)),
  };
  const client = new pg.Client({ connectionString: databaseUrl, types: types });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * How long a session of this database waits on a lock before it looks for a deadlock, for sessions
 * opened from now on (the database's own deadlock_timeout). PostgreSQL looks once per lock wait, so a
 * test that builds a cycle by hand must close it within that time of the victim's wait beginning: at the
 * default 1 s a loaded CI machine missed it (test/deadlocks.test.ts, TEMPORARILY_UNAVAILABLE after 5.7
 * s). Well within the statement timeout (STATEMENT_TIMEOUT_MS, 5 s), which would end the wait first.
 */
const DEADLOCK_CHECK_MS = 3_000;

/** Makes sessions of this database opened from now on look for deadlocks after DEADLOCK_CHECK_MS. */
export async function lookForDeadlocksLater(databaseUrl: string): Promise<void> {
  await sql(
    databaseUrl,
    `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET deadlock_timeout = %L', current_database(), '${DEADLOCK_CHECK_MS}ms'); END $$`,
  );
}

/** A SKU row of 100 available written straight into the truth (no gate counter): its epoch. */
export async function newSkuRow(databaseUrl: string, id: string): Promise<number> {
  const [row] = await sql<{ epoch: number }>(
    databaseUrl,
    `INSERT INTO sku (id, available, updated_at) VALUES ($1, 100, now()) RETURNING epoch`,
    [id],
  );
  return row!.epoch;
}

/** Per SKU: the merged row plus unmerged movements, and the ledger's own sums over all movements. */
export async function audit(databaseUrl: string, skuId: string) {
  const [row] = await sql(
    databaseUrl,
    `SELECT s.available + coalesce(sum(m.delta_available) FILTER (WHERE (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)), 0) AS available,
            s.reserved + coalesce(sum(m.delta_reserved) FILTER (WHERE (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)), 0) AS reserved,
            s.sold + coalesce(sum(m.delta_sold) FILTER (WHERE (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)), 0) AS sold,
            coalesce(sum(m.delta_available), 0) AS ledger_available,
            coalesce(sum(m.delta_sold), 0) AS ledger_sold,
            count(m.id) FILTER (WHERE m.kind = 'DEDUCT') AS deducts
     FROM sku s LEFT JOIN movement m ON m.sku_id = s.id WHERE s.id = $1 GROUP BY s.id`,
    [skuId],
  );
  return {
    available: Number(row.available),
    reserved: Number(row.reserved),
    sold: Number(row.sold),
    ledgerAvailable: Number(row.ledger_available),
    ledgerSold: Number(row.ledger_sold),
    deducts: Number(row.deducts),
  };
}

/**
 * Until the outbox holds no row (of these SKUs): every change committed in PostgreSQL has reached the
 * gate, by its own request or by a sweeper.
 */
export async function outboxDelivered(databaseUrl: string, skuIds: string[] | null = null, poll: Poll = {}): Promise<void> {
  await eventually(
    `outbox rows${skuIds ? ` of ${skuIds.join(', ')}` : ''} delivered`,
    async () => {
      const [row] = await sql<{ n: number }>(
        databaseUrl,
        `SELECT count(*)::int AS n FROM gate_outbox WHERE $1::text[] IS NULL OR sku_id = ANY($1::text[])`,
        [skuIds],
      );
      return row!.n === 0;
    },
    poll,
  );
}

/** Until a session of the database waits for a lock while running a statement containing `statement` (a part of its text). */
export async function waitingForLock(databaseUrl: string, statement: string): Promise<void> {
  await eventually(`a session waiting for a lock in ${statement}`, async () => {
    const rows = await sql(
      databaseUrl,
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND position($1 in query) > 0`,
      [statement],
    );
    return rows.length > 0;
  });
}

/**
 * A deduct of `lines` one-unit lines of `skuId` taken under `epoch` (by default one, under a fresh key),
 * as the gate path hands it to the ledger.
 */
export function ledgerDeduct(
  skuId: string,
  epoch: number,
  { lines = 1, key = randomUUID() }: { lines?: number; key?: string } = {},
): LedgerEntry {
  return {
    kind: 'DEDUCT',
    gateId: randomUUID(),
    idempotencyKey: key,
    orderId: `order-${key}`,
    fingerprint: 'f',
    kept: { key },
    lines: Array.from({ length: lines }, () => ({ skuId, quantity: 1, epoch, unlimited: false })),
  };
}
