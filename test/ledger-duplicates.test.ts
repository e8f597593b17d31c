import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedgerPool } from '../src/db/client.ts';
import {
  LedgerBackpressure,
  LedgerWriter,
  MAX_BATCH_LINES,
  MAX_BATCH_TEXT,
  MAX_QUEUED_LINES,
  type LedgerEntry,
  type LedgerOutcome,
} from '../src/ledger/group-commit.ts';
import { ledgerDeduct, newSkuRow, sql } from './support/ledger.ts';
import { useNamespace } from './support/stack.ts';

/**
 * The group commit's statement meets keys already in the ledger (src/ledger/group-commit.ts): it runs
 * first without `ON CONFLICT` (cheaper), and a duplicate in its batch makes it run again skipping
 * duplicates. Either way each request learns its own outcome, and only the new ones are written.
 */
const space = useNamespace();
let pool: pg.Pool;
let writer: LedgerWriter;
/** Batches gather for this long, so writes made together share one statement. */
const WINDOW_MS = 20;

beforeAll(() => {
  pool = createLedgerPool(space.ns.databaseUrl);
  writer = new LedgerWriter(pool, () => {}, { windowMs: WINDOW_MS, maxRequests: 100, maxConcurrent: 1 });
});
afterAll(async () => {
  await pool?.end();
});

const newSku = (id: string) => newSkuRow(space.ns.databaseUrl, id);

/** A one-unit take of `skuId` under `epoch`, as the gate path hands it to the ledger: a deduct, or a reserve of an order under a client key. */
function take(skuId: string, epoch: number, key: string = randomUUID(), reserve?: { clientKey: string; orderId: string }): LedgerEntry {
  const deduct = ledgerDeduct(skuId, epoch, { key });
  if (!reserve) return deduct;
  return { ...deduct, kind: 'RESERVE', orderId: reserve.orderId, clientKey: reserve.clientKey, deadline: new Date(Date.now() + 60_000) };
}

/** take() with `lines` one-unit lines of the SKU instead of one. */
const wideTake = (skuId: string, epoch: number, lines: number, key?: string): LedgerEntry => ledgerDeduct(skuId, epoch, { lines, key });

/** Movements of a SKU, per idempotency key. */
async function movementsOf(skuId: string): Promise<Record<string, number>> {
  const rows = await sql<{ key: string; n: number }>(
    space.ns.databaseUrl,
    `SELECT idempotency_key AS key, count(*)::int AS n FROM movement WHERE sku_id = $1 GROUP BY 1`,
    [skuId],
  );
  return Object.fromEntries(rows.map((r) => [r.key, r.n]));
}

describe('ledger batches and keys already in the ledger', () => {
  it('answers a duplicate in a batch `duplicate` and commits the rest of the batch, writing each once', async () => {
    const epoch = await newSku('dup-batch');
    const first = take('dup-batch', epoch, 'dup-first');
    expect(await writer.write(first)).toBe('committed');
    // One batch: the replay of the first key between two new ones.
    const outcomes: LedgerOutcome[] = await Promise.all([
      writer.write(take('dup-batch', epoch, 'dup-new-1')),
      writer.write(take('dup-batch', epoch, 'dup-first')),
      writer.write(take('dup-batch', epoch, 'dup-new-2')),
    ]);
    expect(outcomes).toEqual(['committed', 'duplicate', 'committed']);
    expect(await movementsOf('dup-batch')).toEqual({ 'dup-first': 1, 'dup-new-1': 1, 'dup-new-2': 1 });
    const [stored] = await sql(space.ns.databaseUrl, `SELECT answer::json AS result FROM gate_request WHERE idempotency_key = 'dup-first'`);
    expect(stored, 'the first answer stays').toEqual({ result: { key: 'dup-first' } });
    // The batches after it (skipping duplicates from the start for a while) commit as before.
    expect(await writer.write(take('dup-batch', epoch, 'dup-after'))).toBe('committed');
    expect(await writer.write(take('dup-batch', epoch, 'dup-first'))).toBe('duplicate');
  });

  it('answers every request of one statement its own outcome, at its place among committed, duplicate and fenced ones', async () => {
    const epoch = await newSku('dup-mixed');
    expect(await writer.write(take('dup-mixed', epoch, 'dup-mixed-first'))).toBe('committed');
    // One batch: a stale epoch's take (fenced) and a replay of the first key among new ones.
    const outcomes: LedgerOutcome[] = await Promise.all([
      writer.write(take('dup-mixed', epoch + 1, 'dup-mixed-stale')),
      writer.write(take('dup-mixed', epoch, 'dup-mixed-1')),
      writer.write(take('dup-mixed', epoch, 'dup-mixed-first')),
      writer.write(take('dup-mixed', epoch, 'dup-mixed-2')),
      writer.write(take('dup-mixed', epoch - 1, 'dup-mixed-older')),
    ]);
    expect(outcomes).toEqual(['fenced', 'committed', 'duplicate', 'committed', 'fenced']);
    expect(await movementsOf('dup-mixed')).toEqual({ 'dup-mixed-first': 1, 'dup-mixed-1': 1, 'dup-mixed-2': 1 });

    // Without a duplicate, a new writer's first statement (the one that refuses duplicates) answers the same way.
    const fresh = new LedgerWriter(pool, () => {}, { windowMs: WINDOW_MS, maxRequests: 100, maxConcurrent: 1 });
    const firstStatement = await fresh.writeMany([
      take('dup-mixed', epoch, 'dup-mixed-3'),
      take('dup-mixed', epoch + 1, 'dup-mixed-stale-2'),
      take('dup-mixed', epoch, 'dup-mixed-4'),
      take('dup-mixed', epoch - 1, 'dup-mixed-older-2'),
    ]);
    expect(firstStatement).toEqual(['committed', 'fenced', 'committed', 'fenced']);
    expect(await movementsOf('dup-mixed')).toMatchObject({ 'dup-mixed-3': 1, 'dup-mixed-4': 1 });
    expect(await movementsOf('dup-mixed')).not.toHaveProperty('dup-mixed-stale-2');
  });

  it("answers a reserve whose client key another order's reserve used `duplicate`", async () => {
    const epoch = await newSku('dup-client');
    const held = { clientKey: 'client-1', orderId: 'dup-order-1' };
    expect(await writer.write(take('dup-client', epoch, 'dup-client-a', held))).toBe('committed');
    const outcomes = await Promise.all([
      writer.write(take('dup-client', epoch, 'dup-client-b', { clientKey: 'client-1', orderId: 'dup-order-2' })),
      writer.write(take('dup-client', epoch, 'dup-client-c', { clientKey: 'client-2', orderId: 'dup-order-3' })),
    ]);
    expect(outcomes).toEqual(['duplicate', 'committed']);
    expect(await movementsOf('dup-client')).toEqual({ 'dup-client-a': 1, 'dup-client-c': 1 });
    const reservations = await sql(space.ns.databaseUrl, `SELECT order_id FROM reservation WHERE order_id LIKE 'dup-order-%' ORDER BY 1`);
    expect(reservations).toEqual([{ order_id: 'dup-order-1' }, { order_id: 'dup-order-3' }]);
  });

  it("answers a batch's requests (writeMany) each its own outcome, in order, over several statements; queues all or none", async () => {
    const epoch = await newSku('dup-many');
    expect(await writer.write(take('dup-many', epoch, 'many-first'))).toBe('committed');
    // Two requests a statement: five requests are three statements, the replay in the first.
    const small = new LedgerWriter(pool, () => {}, { windowMs: WINDOW_MS, maxRequests: 2, maxConcurrent: 1 });
    const keys = ['many-1', 'many-first', 'many-2', 'many-3', 'many-4'];
    expect(await small.writeMany(keys.map((key) => take('dup-many', epoch, key)))).toEqual([
      'committed',
      'duplicate',
      'committed',
      'committed',
      'committed',
    ]);
    expect(await movementsOf('dup-many')).toEqual(
      Object.fromEntries(['many-first', 'many-1', 'many-2', 'many-3', 'many-4'].map((k) => [k, 1])),
    );
    // More lines than the queue holds: refused whole, before anything is queued.
    const tooMany = Array.from({ length: 2 }, () => wideTake('dup-many', epoch, MAX_QUEUED_LINES / 2 + 1));
    await expect(small.writeMany(tooMany)).rejects.toBeInstanceOf(LedgerBackpressure);
    expect(await small.writeMany([])).toEqual([]);
    expect(Object.keys(await movementsOf('dup-many'))).toHaveLength(5);
  });

  it("takes each batch from the queue's head: a key met twice waits a batch, a request that does not fit ends the batch", async () => {
    const epoch = await newSku('dup-head');
    const batches: [requests: number, lines: number][] = [];
    const ordered = new LedgerWriter(pool, () => {}, { windowMs: WINDOW_MS, maxRequests: 100, maxConcurrent: 1 });
    ordered.observer = { batchCommitted: (requests, lines) => batches.push([requests, lines]), deadlockRetried() {}, waited() {} };
    const wide = (key: string, lines: number) => wideTake('dup-head', epoch, lines, key);
    const third = Math.floor(MAX_BATCH_LINES / 3);
    const outcomes = await ordered.writeMany([
      wide('head-1', third),
      wide('head-1', 1),
      wide('head-2', third),
      wide('head-3', MAX_BATCH_LINES - third),
      wide('head-4', 1),
    ]);
    // The second head-1 waits for the batch after its key's: there, the ledger holds it.
    expect(outcomes).toEqual(['committed', 'duplicate', 'committed', 'committed', 'committed']);
    // head-3 does not fit beside head-1 and head-2, so head-4 behind it waits too (no first fit).
    expect(batches).toEqual([
      [2, 2 * third],
      [3, 1 + (MAX_BATCH_LINES - third) + 1],
    ]);
  });

  it('ends a batch before its requests pass MAX_BATCH_TEXT characters; a longer request is a batch alone', async () => {
    const epoch = await newSku('dup-text');
    const batches: number[] = [];
    const bounded = new LedgerWriter(pool, () => {}, { windowMs: WINDOW_MS, maxRequests: 100, maxConcurrent: 1 });
    bounded.observer = { batchCommitted: (requests) => batches.push(requests), deadlockRetried() {}, waited() {} };
    // An answer of a third of the bound: two fit in a batch, a third does not.
    const long = (key: string, size: number) => ({ ...take('dup-text', epoch, key), kept: { key, pad: 'x'.repeat(size) } });
    const outcomes = await bounded.writeMany([
      long('text-1', MAX_BATCH_TEXT / 3),
      long('text-2', MAX_BATCH_TEXT / 3),
      long('text-3', MAX_BATCH_TEXT / 3),
      long('text-4', MAX_BATCH_TEXT),
      long('text-5', 10),
    ]);
    expect(outcomes).toEqual(Array(5).fill('committed'));
    expect(batches).toEqual([2, 1, 1, 1]);
    expect(await movementsOf('dup-text')).toEqual({ 'text-1': 1, 'text-2': 1, 'text-3': 1, 'text-4': 1, 'text-5': 1 });
    const [stored] = await sql<{ n: number }>(
      space.ns.databaseUrl,
      `SELECT length(answer)::int AS n FROM gate_request WHERE idempotency_key = 'text-4'`,
    );
    expect(stored?.n).toBe(JSON.stringify({ key: 'text-4', pad: 'x'.repeat(MAX_BATCH_TEXT) }).length);
  });
});
