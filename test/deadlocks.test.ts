/**
 * A change that PostgreSQL chooses as a deadlock's victim runs again (src/db/client.ts
 * retryingDeadlocks) instead of answering TEMPORARILY_UNAVAILABLE. The cycle is built by hand: another
 * transaction holds the second of the change's SKU rows, the change locks the first and waits for the
 * second, then the other asks for the first. The other waits longer before it looks for deadlocks, so
 * the change is the victim.
 *
 * PostgreSQL looks for a deadlock once per lock wait, deadlock_timeout after it began: the other's
 * request must come before the change looks, or the change waits until its statement timeout and the
 * test sees TEMPORARILY_UNAVAILABLE. At the default 1 s a loaded CI machine missed it once (5.7 s, the
 * other's request later than a second after the change began to wait), so the change runs on an
 * instance whose sessions look after DEADLOCK_CHECK_MS: their database's own setting, which sessions
 * opened after it take.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { audit, sql, waitingForLock } from './support/ledger.ts';
import { useStack } from './support/stack.ts';

const stack = useStack();
const { api } = stack;

/** How long the change's sessions wait before they look for a deadlock: well within STATEMENT_TIMEOUT_MS (5 s). */
const DEADLOCK_CHECK_MS = 3_000;

/** The namespace's database. */
async function databaseName(): Promise<string> {
  const [row] = await sql<{ name: string }>(stack.ns.databaseUrl, 'SELECT current_database() AS name');
  return row!.name;
}

describe('a change that loses a deadlock', () => {
  it('runs again and answers as if nothing had happened', async () => {
    await api.upserted([
      { id: 'dl-a', available: 1 },
      { id: 'dl-b', available: 1 },
    ]);
    await sql(stack.ns.databaseUrl, `ALTER DATABASE "${await databaseName()}" SET deadlock_timeout = '${DEADLOCK_CHECK_MS}ms'`);
    // A new instance, so its pools' sessions all open after the setting.
    const changer = await stack.serve();
    const other = new pg.Client({ connectionString: stack.ns.databaseUrl });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SET LOCAL deadlock_timeout = '30s'`);
      await other.query(`SELECT 1 FROM sku WHERE id = 'dl-b' FOR UPDATE`);
      const upsert = changer.api.upsert([
        { id: 'dl-a', available: 5 },
        { id: 'dl-b', available: 7 },
      ]);
      await waitingForLock(stack.ns.databaseUrl, 'FOR UPDATE');
      // The cycle: the change holds dl-a and waits for dl-b; this waits for dl-a until the change,
      // after its deadlock_timeout (DEADLOCK_CHECK_MS), is rolled back.
      await other.query(`SELECT 1 FROM sku WHERE id = 'dl-a' FOR UPDATE`);
      // The change ran again and now waits for this transaction, which lets both rows go.
      await waitingForLock(stack.ns.databaseUrl, 'FOR UPDATE');
      await other.query('ROLLBACK');
      const answer = await upsert;
      expect(answer.data?.upsertSkus, JSON.stringify(answer)).toMatchObject({
        __typename: 'UpsertSkusSuccess',
        skus: [
          { id: 'dl-a', available: 5 },
          { id: 'dl-b', available: 7 },
        ],
      });
    } finally {
      await other.end();
    }
    expect(await audit(stack.ns.databaseUrl, 'dl-a')).toMatchObject({ available: 5, ledgerAvailable: 5 });
    expect(await audit(stack.ns.databaseUrl, 'dl-b')).toMatchObject({ available: 7, ledgerAvailable: 7 });
  });
});
