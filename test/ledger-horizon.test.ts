/**
 * The ledger's horizon (src/ledger/feed.ts LEDGER_HORIZON_SQL): the change feed and the merge read only
 * movements of transactions below it. A transaction left open in this database holds it back (it may
 * still commit movements there); one left open in another database on the same server does not.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient } from '../src/db/client.ts';
import { readMovements, startOf } from '../src/ledger/feed.ts';
import { mergeOnce } from '../src/ledger/merge.ts';
import { sql } from './support/ledger.ts';
import { useNamespace } from './support/stack.ts';

const space = useNamespace();
let prisma: PrismaClient;

beforeAll(() => {
  prisma = createPrisma(space.ns.databaseUrl);
});
afterAll(async () => {
  await prisma?.$disconnect();
});

/** An open transaction in `databaseUrl` that holds a transaction id (and writes nothing), with that id. */
async function openTransaction(databaseUrl: string): Promise<{ xid: bigint; end: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('BEGIN');
  const { rows } = await client.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
  return {
    xid: BigInt(rows[0]!.xid),
    end: async () => {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/** A one-unit restock movement of `skuId`, committed on its own; its position's transaction id. */
async function restockOne(skuId: string): Promise<bigint> {
  const [row] = await sql<{ tx: string }>(
    space.ns.databaseUrl,
    `INSERT INTO movement (kind, sku_id, quantity, delta_available) VALUES ('RESTOCK', $1, 1, 1) RETURNING tx::text AS tx`,
    [skuId],
  );
  return BigInt(row!.tx);
}

const availableOf = async (skuId: string) =>
  (await sql<{ available: number }>(space.ns.databaseUrl, `SELECT available FROM sku WHERE id = $1`, [skuId]))[0]!.available;

describe('the ledger horizon', () => {
  it("is held back by this database's open transactions, not by another database's", async () => {
    await sql(space.ns.databaseUrl, `INSERT INTO sku (id, available, updated_at) VALUES ('horizon', 0, now())`);
    const elsewhere = new URL(space.ns.databaseUrl);
    elsewhere.pathname = '/postgres';

    const other = await openTransaction(elsewhere.toString());
    try {
      const first = await restockOne('horizon');
      expect(first).toBeGreaterThan(other.xid);
      const page = await readMovements(prisma, startOf(other.xid), ['horizon']);
      expect(page.movements.map((m) => m.tx)).toEqual([first]);
      expect(page.horizon.tx).toBeGreaterThan(first);
      await mergeOnce(prisma);
      expect(await availableOf('horizon')).toBe(1);

      const own = await openTransaction(space.ns.databaseUrl);
      let second: bigint;
      try {
        second = await restockOne('horizon');
        const held = await readMovements(prisma, startOf(first + 1n), ['horizon']);
        expect(held.movements).toEqual([]);
        expect(held.horizon.tx).toBeLessThanOrEqual(own.xid);
        await mergeOnce(prisma);
        expect(await availableOf('horizon')).toBe(1);
      } finally {
        await own.end();
      }
      const page2 = await readMovements(prisma, startOf(first + 1n), ['horizon']);
      expect(page2.movements.map((m) => m.tx)).toEqual([second]);
      await mergeOnce(prisma);
      expect(await availableOf('horizon')).toBe(2);
    } finally {
      await other.end();
    }
  });
});
