import assert from 'node:assert/strict';
import type { Sql } from '../db/client.ts';
import type { Movement } from '../generated/prisma/client.ts';

/**
 * The change feed's order over the ledger: (tx, id), the writing transaction's id, then the row's.
 *
 * Why not the id alone: a movement's id is drawn when the row is inserted, before its transaction
 * commits, so a reader that saw id 8 may later see id 7 commit, and "id > cursor" would skip it. A
 * transaction id is drawn before commit too, but PostgreSQL says which ones may still commit: every
 * transaction below its snapshot's xmin has ended. So the feed reads only rows whose tx is below the
 * xmin of the reading statement's snapshot (the horizon): those are final, and every row written later
 * has a tx at or above that horizon (a running transaction's id is at least xmin, a new one's at least
 * xmax). Positions read below a horizon are never overtaken; a long transaction holds the horizon
 * back, which delays the feed but never drops a movement. Only this database's transactions can write
 * its ledger, so those another database's sessions hold are left out (LEDGER_HORIZON_SQL).
 */
export interface Position {
  tx: bigint;
  id: bigint;
}

/** -1, 0 or 1 as `a` comes before, at or after `b`. */
export function comparePositions(a: Position, b: Position): number {
  if (a.tx !== b.tx) return a.tx < b.tx ? -1 : 1;
  return a.id === b.id ? 0 : a.id < b.id ? -1 : 1;
}

/** Before every row of transaction `tx` (movement ids start at 1). */
export const startOf = (tx: bigint): Position => ({ tx, id: 0n });

/** A ledger movement as Prisma reads it (the `Movement` GraphQL type exposes it); (tx, id) is its position. */
export type FeedMovement = Movement;

export interface FeedPage {
  /** In feed order, after the position asked for. */
  movements: FeedMovement[];
  /**
   * Every movement before (horizon, 0) is final. When the page is not full, it holds every movement
   * between the position asked for and this one.
   */
  horizon: Position;
}

/** Rows per page read: one indexed range scan, a few hundred kilobytes at most. */
export const FEED_PAGE = 500;

/**
 * The horizon as a SQL expression (a bigint): the oldest transaction of the statement's snapshot still
 * running, or the snapshot's xmax when none is. A running transaction is left out only when
 * pg_stat_activity shows it held by a session of another database (which cannot write this ledger):
 * one that ended since the snapshot, a prepared one, or one whose session the role may not see (it
 * needs pg_read_all_stats, which the superuser has) still counts. Without this, a transaction left
 * open anywhere on the server (another application's, another database's migration) stopped the
 * change feed and the merge of every stockgate database on it.
 * The 32-bit backend_xid and the snapshot's 64-bit ids match modulo 2^32: two transactions 2^32 apart
 * cannot both be running (PostgreSQL's wraparound protection).
 */
export const LEDGER_HORIZON_SQL = `(
  SELECT coalesce(
    (SELECT min(x) FROM pg_snapshot_xip(c.s) x WHERE NOT EXISTS (
      SELECT 1 FROM pg_stat_activity a
      WHERE a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database())
        AND a.backend_xid::text::bigint = x::text::bigint % 4294967296)),
    pg_snapshot_xmax(c.s))::text::bigint
  FROM (SELECT pg_current_snapshot() AS s) c)`;

/** A LEFT JOIN so the horizon comes back even when no movement does. */
const PAGE_SQL = `
SELECT h.horizon, m.id, m.tx, m.kind::text AS kind, m.sku_id AS "skuId", m.quantity, m.delta_available AS "deltaAvailable",
       m.delta_reserved AS "deltaReserved", m.delta_sold AS "deltaSold", m.delta_withheld AS "deltaWithheld",
       m.unlimited_quantity AS "unlimitedQuantity", m.order_id AS "orderId", m.order_line AS "orderLine",
       m.idempotency_key AS "idempotencyKey", m.location_id AS "locationId", m.created_at AS "createdAt"
FROM (SELECT ${LEDGER_HORIZON_SQL} AS horizon) h
LEFT JOIN LATERAL (
  SELECT * FROM movement m
  WHERE (m.tx, m.id) > ($1::bigint, $2::bigint) AND m.tx < h.horizon AND ($3::text[] IS NULL OR m.sku_id = ANY($3::text[]))
  ORDER BY m.tx, m.id LIMIT $4
) m ON true`;

type PageRow = { horizon: bigint } & ({ [K in keyof FeedMovement]: FeedMovement[K] } | { [K in keyof FeedMovement]: null });

/** Final movements after `after`, of `skuIds` (every SKU when null), at most `limit`. */
export async function readMovements(sql: Sql, after: Position, skuIds: string[] | null, limit = FEED_PAGE): Promise<FeedPage> {
  assert.ok(limit > 0 && limit <= FEED_PAGE, 'a page holds 1 to FEED_PAGE movements');
  const rows = await sql.$queryRawUnsafe<PageRow[]>(PAGE_SQL, after.tx.toString(), after.id.toString(), skuIds, limit);
  assert.ok(rows.length > 0, 'the horizon row is always there');
  const horizon = startOf(BigInt(rows[0]!.horizon));
  const movements = rows.filter((r): r is PageRow & FeedMovement => r.id !== null).map(({ horizon: _, ...m }) => m);
  return { movements, horizon };
}

/**
 * A snapshot of which transactions had ended: xmin and xmax bound the ids, and the ones between them
 * still running are listed. A transaction it saw as ended committed before it was taken.
 */
export interface Snapshot {
  xmin: bigint;
  xmax: bigint;
  running: bigint[];
}

/** Whether a transaction had ended when the snapshot was taken (its rows were already there). */
export function endedIn(snapshot: Snapshot, tx: bigint): boolean {
  return tx < snapshot.xmin || (tx < snapshot.xmax && !snapshot.running.includes(tx));
}

/** The current snapshot: a feed that starts "now" skips what it saw as ended. */
export async function currentSnapshot(sql: Sql): Promise<Snapshot> {
  const [row] = await sql.$queryRawUnsafe<{ snapshot: string }[]>(`SELECT pg_current_snapshot()::text AS snapshot`);
  // PostgreSQL's text form: xmin:xmax:xip,xip,...
  const [xmin, xmax, running] = row!.snapshot.split(':');
  return {
    xmin: BigInt(xmin!),
    xmax: BigInt(xmax!),
    running: running ? running.split(',').map((x) => BigInt(x)) : [],
  };
}
