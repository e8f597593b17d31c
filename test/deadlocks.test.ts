/**
 * A change that PostgreSQL chooses as a deadlock's victim runs again (src/db/client.ts
 * retryingDeadlocks) instead of answering TEMPORARILY_UNAVAILABLE. The cycle is built by hand: another
 * transaction holds the second of the change's SKU rows, the change locks the first and waits for the
 * second, then the other asks for the first. The other waits longer before it looks for deadlocks, so
 * the change is the victim.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { audit, sql } from './support/ledger.ts';
import { useStack } from './support/stack.ts';
import { eventually } from './support/wait.ts';

const stack = useStack();
const { api } = stack;

/** Until a session of the test's database waits for a lock while running a statement containing `text`. */
async function waitingForLock(text: string): Promise<void> {
  await eventually(`a session waiting for a lock in ${text}`, async () => {
    const rows = await sql(
      stack.ns.databaseUrl,
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND position($1 in query) > 0`,
      [text],
    );
    return rows.length > 0;
  });
}

describe('a change that loses a deadlock', () => {
  it('runs again and answers as if nothing had happened', async () => {
    await api.upserted([
      { id: 'dl-a', available: 1 },
      { id: 'dl-b', available: 1 },
    ]);
    const other = new pg.Client({ connectionString: stack.ns.databaseUrl });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SET LOCAL deadlock_timeout = '30s'`);
      await other.query(`SELECT 1 FROM sku WHERE id = 'dl-b' FOR UPDATE`);
      const upsert = api.upsert([
        { id: 'dl-a', available: 5 },
        { id: 'dl-b', available: 7 },
      ]);
      await waitingForLock('FOR UPDATE');
      // The cycle: the change holds dl-a and waits for dl-b; this waits for dl-a until the change,
      // after PostgreSQL's deadlock_timeout (1 s), is rolled back.
      await other.query(`SELECT 1 FROM sku WHERE id = 'dl-a' FOR UPDATE`);
      // The change ran again and now waits for this transaction, which lets both rows go.
      await waitingForLock('FOR UPDATE');
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
