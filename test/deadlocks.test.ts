/**
 * A change that PostgreSQL chooses as a deadlock's victim runs again (src/db/client.ts
 * retryingDeadlocks) instead of answering TEMPORARILY_UNAVAILABLE. The cycle is built by hand: another
 * transaction holds the second of the change's SKU rows, the change locks the first and waits for the
 * second, then the other asks for the first. The other waits longer before it looks for deadlocks, so
 * the change is the victim.
 *
 * PostgreSQL looks for a deadlock once per lock wait, deadlock_timeout after it began: the other's
 * request must come before the change looks, or the change waits until its statement timeout. So the
 * change runs on an instance whose sessions all look later (lookForDeadlocksLater).
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { audit, lookForDeadlocksLater, waitingForLock } from './support/ledger.ts';
import { QUIET_WORKERS, useStack } from './support/stack.ts';
import { eventually } from './support/wait.ts';

// Only the change and the other may lock the two rows: no merge, no reconciliation meanwhile.
const stack = useStack({ env: QUIET_WORKERS });
const { api } = stack;

describe('a change that loses a deadlock', () => {
  it('runs again and answers as if nothing had happened', async () => {
    await api.upserted([
      { id: 'dl-a', available: 1 },
      { id: 'dl-b', available: 1 },
    ]);
    // The upsert's announcement loads the new SKUs' counters, locking their rows (truthForLoad): done
    // before the cycle is built, or it joins the cycle (local CI of 78c4e2c: TEMPORARILY_UNAVAILABLE).
    await eventually('both counters loaded', async () =>
      (await stack.svc.app.services.gate.levels(['dl-a', 'dl-b'])).every((l) => l !== null),
    );
    await lookForDeadlocksLater(stack.ns.databaseUrl);
    // A new instance, so its pools' sessions all open after the setting.
    const changer = await stack.serve(QUIET_WORKERS);
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
      // after its deadlock_timeout (lookForDeadlocksLater), is rolled back.
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
