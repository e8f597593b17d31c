import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedgerPool, createPrisma, type PrismaClient } from '../src/db/client.ts';
import { LEDGER_ROW_LOCK, LedgerWriter } from '../src/ledger/group-commit.ts';
import { MERGE_ROW_LOCK, mergeOnce } from '../src/ledger/merge.ts';
import { truthForLoad } from '../src/ledger/truth.ts';
import { fenceLocked } from '../src/sync/outbox.ts';
import { ledgerDeduct, lookForDeadlocksLater, newSkuRow, sql, waitingForLock } from './support/ledger.ts';
import { useNamespace } from './support/stack.ts';
import { eventually } from './support/wait.ts';

/**
 * Which SKU-row locks wait for which (src/ledger/group-commit.ts LEDGER_ROW_LOCK): fences and ledger
 * batches wait for each other (the fencing argument, src/ledger/truth.ts); merges and ledger batches
 * do not, so a hot row's batches never queue behind a merge.
 */
const space = useNamespace();
let prisma: PrismaClient;
let pool: pg.Pool;
let writer: LedgerWriter;

/** Long enough for a lock wait to show, short against the test's timeout. */
const BLOCKED_MS = 400;
/** A step that must not wait for a lock finishes well within this. */
const UNBLOCKED_MS = 5_000;

beforeAll(() => {
  prisma = createPrisma(space.ns.databaseUrl);
  pool = createLedgerPool(space.ns.databaseUrl);
  writer = new LedgerWriter(pool, () => {});
});
afterAll(async () => {
  await pool?.end();
  await prisma?.$disconnect();
});

const newSku = (id: string) => newSkuRow(space.ns.databaseUrl, id);

/**
 * Runs `body` while another session holds `lock` on the SKU's row in an open transaction, after running
 * `then` there too (what the lock's holder does next with the row).
 */
async function whileLocked<T>(
  skuId: string,
  lock: string,
  body: (release: () => Promise<void>) => Promise<T>,
  then: string[] = [],
): Promise<T> {
  const holder = new pg.Client({ connectionString: space.ns.databaseUrl });
  await holder.connect();
  let open = true;
  const release = async () => {
    if (open) await holder.query('COMMIT');
    open = false;
  };
  try {
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM sku WHERE id = $1 ${lock}`, [skuId]);
    for (const statement of then) await holder.query(statement, [skuId]);
    return await body(release);
  } finally {
    await release();
    await holder.end();
  }
}

/** 'pending' when `work` has not settled within ms. */
async function within<T>(work: Promise<T>, ms: number): Promise<T | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), ms)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('SKU row locks', () => {
  it('a ledger batch does not wait for a merge holding the row', async () => {
    const epoch = await newSku('lock-merge-held');
    // As fold() does: the lock, then the update of the row's levels (no key changes).
    const fold = `UPDATE sku SET available = available - 1, sold = sold + 1, updated_at = now() WHERE id = $1`;
    await whileLocked(
      'lock-merge-held',
      MERGE_ROW_LOCK,
      async () => {
        expect(await within(writer.write(ledgerDeduct('lock-merge-held', epoch)), UNBLOCKED_MS)).toBe('committed');
      },
      [fold],
    );
  });

  it('a merge does not wait for a ledger batch holding the row', async () => {
    const epoch = await newSku('lock-batch-held');
    expect(await writer.write(ledgerDeduct('lock-batch-held', epoch))).toBe('committed');
    await whileLocked('lock-batch-held', LEDGER_ROW_LOCK, async () => {
      // Each pass returns (a pass waiting for the row would not); one merges the movement once no
      // transaction of another test holds the merge's horizon back.
      let merged = 0;
      await eventually('the movement merged', async () => {
        const pass = await within(mergeOnce(prisma), UNBLOCKED_MS);
        expect(pass).not.toBe('pending');
        merged += pass as number;
        return merged >= 1;
      });
    });
    const [row] = await sql(space.ns.databaseUrl, `SELECT available, sold FROM sku WHERE id = 'lock-batch-held'`);
    expect(row).toEqual({ available: 99, sold: 1 });
  });

  it('a fence waits for the ledger batches holding the row, and bumps the epoch after them', async () => {
    const epoch = await newSku('lock-fence-waits');
    await whileLocked('lock-fence-waits', LEDGER_ROW_LOCK, async (release) => {
      const load = truthForLoad(prisma, ['lock-fence-waits']);
      await waitingForLock(space.ns.databaseUrl, 'epoch = epoch + 1');
      expect(await within(load, BLOCKED_MS)).toBe('pending');
      await release();
      expect((await load).get('lock-fence-waits')?.epoch).toBe(epoch + 1);
    });
  });

  it('a ledger batch waits for a fence holding the row, and is then refused', async () => {
    const epoch = await newSku('lock-batch-waits');
    let write: Promise<unknown> | undefined;
    await prisma.$transaction(async (tx) => {
      await fenceLocked(tx, ['lock-batch-waits']);
      write = writer.write(ledgerDeduct('lock-batch-waits', epoch));
      await waitingForLock(space.ns.databaseUrl, 'WITH req AS');
      expect(await within(write, BLOCKED_MS)).toBe('pending');
    });
    expect(await write).toBe('fenced');
  });

  it('a ledger batch that loses a deadlock runs again', async () => {
    const epoch = await newSku('lock-deadlock');
    const entry = ledgerDeduct('lock-deadlock', epoch);
    // The batch's sessions look for the deadlock late enough for the other to close the cycle first
    // (lookForDeadlocksLater): a pool of its own, opened after the setting.
    await lookForDeadlocksLater(space.ns.databaseUrl);
    const batchPool = createLedgerPool(space.ns.databaseUrl);
    const batchWriter = new LedgerWriter(batchPool, () => {});
    const other = new pg.Client({ connectionString: space.ns.databaseUrl });
    await other.connect();
    try {
      // The cycle: the other transaction holds the batch's idempotency key (uncommitted), the batch
      // holds the row KEY SHARE and waits for that key, then the other asks the row FOR UPDATE. The
      // other waits longer before it looks for deadlocks, so the batch is the victim.
      await other.query('BEGIN');
      await other.query(`SET LOCAL deadlock_timeout = '30s'`);
      await other.query(
        `INSERT INTO gate_request (kind, idempotency_key, order_id, fingerprint, result, gate_id)
         VALUES ('DEDUCT', $1, 'another order', 'f', '{}', gen_random_uuid())`,
        [entry.idempotencyKey],
      );
      const write = batchWriter.write(entry);
      await waitingForLock(space.ns.databaseUrl, 'WITH req AS');
      await other.query(`SELECT 1 FROM sku WHERE id = 'lock-deadlock' FOR UPDATE`);
      // The batch ran again and now waits for this transaction, which gives its key up.
      await waitingForLock(space.ns.databaseUrl, 'WITH req AS');
      await other.query('ROLLBACK');
      expect(await write).toBe('committed');
    } finally {
      await other.end();
      await batchPool.end();
    }
    const [row] = await sql(space.ns.databaseUrl, `SELECT count(*)::int AS n FROM gate_request WHERE idempotency_key = $1`, [
      entry.idempotencyKey,
    ]);
    expect(row).toEqual({ n: 1 });
  });
});
