/**
 * Issue 11's core defects, each pinned by a test that failed before its fix:
 * - item 1: an instance cut off from Redis sells through PostgreSQL without fencing the instances that
 *   still reach it (it sells a withheld share; the gate takes it back when its own share runs short);
 * - item 3: one reserve idempotency key serves one order;
 * - item 6: a loader that stalled past its lock's lease writes no counter.
 * The two-process partition under load is test/partition.test.ts; this file runs both instances in
 * process, instance b with a Redis address nothing listens on.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { Gate } from '../src/gate/gate.ts';
import type { StockSeed } from '../src/inventory.ts';
import { loadCounters } from '../src/sync/load.ts';
import { restock } from '../src/stock/restock.ts';
import { outcome } from './support/client.ts';
import { gateAgrees } from './support/gate-check.ts';
import { outboxDelivered, sql } from './support/ledger.ts';
import { freePort } from './support/redis-server.ts';
import { useStack, type Running } from './support/stack.ts';

const stack = useStack();
/** Reaches Redis. */
let a: Running;
/** Its Redis address has nothing behind it: every take goes through PostgreSQL. */
let b: Running;
beforeAll(async () => {
  a = stack.svc;
  b = await stack.serve({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
});

/** One line of an order of its own: the answer, or the error as its __typename. */
async function deduct(on: Running, skuId: string, quantity = 1) {
  const res = await on.api.deductOne(`o-${randomUUID()}`, skuId, quantity);
  return res.data?.deductStock ?? { __typename: outcome(res) };
}

/**
 * b cannot reach Redis, so its changes reach the gate through a's outbox sweeper (a couple of seconds
 * later): wait for the outbox to empty before comparing the gate with the truth.
 */
const delivered = () => outboxDelivered(stack.ns.databaseUrl, null, { every: 100 });

async function skuRow(id: string) {
  // The truth: the row plus what the merge worker has not folded into it yet.
  const [row] = await sql<{ epoch: number; withheld: number }>(
    stack.ns.databaseUrl,
    `SELECT s.epoch, s.withheld + coalesce((SELECT sum(m.delta_withheld) FROM movement m WHERE m.sku_id = s.id AND (m.tx, m.id) > (s.merged_through_tx, s.merged_through_id)), 0) AS withheld
     FROM sku s WHERE s.id = $1`,
    [id],
  );
  return row!;
}

describe('an instance cut off from Redis (item 1)', () => {
  it('sells through PostgreSQL from a withheld share, fencing the gate once, not on every request', async () => {
    await a.api.upsert([{ id: 'deep', available: 1_000 }]);
    expect(await deduct(a, 'deep')).toMatchObject({ __typename: 'DeductStockSuccess' });
    expect(await deduct(b, 'deep')).toMatchObject({ __typename: 'DeductStockSuccess' });
    // b withheld a share (one fence), and a reloads its counter once because of it.
    expect(await deduct(a, 'deep')).toMatchObject({ __typename: 'DeductStockSuccess' });
    const afterFirst = await skuRow('deep');
    expect(afterFirst.withheld).toBeGreaterThan(0);

    // Interleaved: a's answers stay domain outcomes, b's sales leave the epoch where it is.
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push(await deduct(a, 'deep'), await deduct(b, 'deep'));
    for (const answer of answers) expect(answer).toMatchObject({ __typename: 'DeductStockSuccess' });
    expect((await skuRow('deep')).epoch).toBe(afterFirst.epoch);
    expect((await skuRow('deep')).withheld).toBe(afterFirst.withheld - 20);
    await delivered();
    const truth = await gateAgrees(a, stack.ns.databaseUrl, 'deep');
    expect(truth).toMatchObject({ available: 1_000 - 43, sold: 43 });
  });

  it('the gate takes withheld units back when its share runs short: every unit sells, none twice', async () => {
    await a.api.upsert([{ id: 'last', available: 10 }]);
    expect(await deduct(b, 'last')).toMatchObject({ __typename: 'DeductStockSuccess' });
    expect((await skuRow('last')).withheld).toBeGreaterThan(0);
    for (let i = 0; i < 9; i++) expect(await deduct(a, 'last')).toMatchObject({ __typename: 'DeductStockSuccess' });
    expect(await deduct(a, 'last')).toMatchObject({ __typename: 'InsufficientStock', lines: [{ skuId: 'last', obtainable: 0 }] });
    expect(await deduct(b, 'last')).toMatchObject({ __typename: 'InsufficientStock', lines: [{ skuId: 'last', obtainable: 0 }] });
    await delivered();
    expect(await gateAgrees(a, stack.ns.databaseUrl, 'last')).toMatchObject({ available: 0, sold: 10 });
    expect((await skuRow('last')).withheld).toBe(0);
  });

  it('a restock while units are withheld reaches the gate and reads exactly on both sides', async () => {
    await a.api.upsert([{ id: 'mixed', available: 6 }]);
    expect(await deduct(b, 'mixed', 2)).toMatchObject({ __typename: 'DeductStockSuccess', lines: [{ availableAfter: 4 }] });
    expect((await a.api.restock('mixed', 5, 'mixed-r')).data.restock).toMatchObject({
      availableAfter: 9,
    });
    expect(await deduct(a, 'mixed', 9)).toMatchObject({ __typename: 'DeductStockSuccess', lines: [{ availableAfter: 0 }] });
    await delivered();
    expect(await gateAgrees(a, stack.ns.databaseUrl, 'mixed')).toMatchObject({ available: 0, sold: 11 });
  });
});

describe('one reserve key, one order (item 3)', () => {
  const reserve = (on: Running, orderId: string, key: string, quantity = 1) =>
    on.api.reserve(orderId, [{ skuId: 'held', quantity }], 600, key);

  beforeAll(async () => {
    await a.api.upsert([{ id: 'held', available: 50 }]);
  });

  it('the same key reserving for a second order is IdempotencyConflict and moves nothing, through the gate', async () => {
    expect((await reserve(a, 'ra', 'key-1')).data.reserveStock).toMatchObject({ __typename: 'ReserveStockSuccess', orderId: 'ra' });
    expect((await reserve(a, 'rb', 'key-1', 2)).data.reserveStock).toMatchObject({
      __typename: 'IdempotencyConflict',
      idempotencyKey: 'key-1',
    });
    expect((await reserve(a, 'ra', 'key-1')).data.reserveStock).toMatchObject({ __typename: 'ReserveStockSuccess', orderId: 'ra' });
    expect(await sql(stack.ns.databaseUrl, `SELECT 1 FROM reservation WHERE order_id = 'rb'`)).toHaveLength(0);
    expect(await sql(stack.ns.databaseUrl, `SELECT 1 FROM movement WHERE order_id = 'rb'`)).toHaveLength(0);
    await delivered();
    expect(await gateAgrees(a, stack.ns.databaseUrl, 'held')).toMatchObject({ available: 49, reserved: 1 });
  });

  it('and through PostgreSQL alone', async () => {
    expect((await reserve(b, 'rc', 'key-2')).data.reserveStock).toMatchObject({ __typename: 'ReserveStockSuccess' });
    expect((await reserve(b, 'rd', 'key-2')).data.reserveStock).toMatchObject({
      __typename: 'IdempotencyConflict',
      idempotencyKey: 'key-2',
    });
    expect((await reserve(a, 're', 'key-2')).data.reserveStock).toMatchObject({
      __typename: 'IdempotencyConflict',
      idempotencyKey: 'key-2',
    });
    expect(await sql(stack.ns.databaseUrl, `SELECT 1 FROM movement WHERE order_id IN ('rd', 're')`)).toHaveLength(0);
  });

  it('racing: one key sent for ten orders at once reserves for exactly one', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => reserve(i % 2 ? a : b, `race-${i}`, 'key-3')));
    const kinds = answers.map((r) => r.data?.reserveStock?.__typename);
    expect(kinds.filter((k) => k === 'ReserveStockSuccess')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'IdempotencyConflict')).toHaveLength(9);
    expect(await sql(stack.ns.databaseUrl, `SELECT DISTINCT order_id FROM movement WHERE order_id LIKE 'race-%'`)).toHaveLength(1);
  });
});

describe('a loader paused past its lease (item 6)', () => {
  it('writes no counter: the change committed meanwhile is not lost', async () => {
    const { gate, prisma } = a.app.services;
    // Created behind the service's back, so no live-level publisher loads its counter meanwhile.
    await sql(stack.ns.databaseUrl, `INSERT INTO sku (id, available, updated_at) VALUES ('slow', 5, now())`);

    // A loader that has read its truth and stalls before seeding, until its lease is gone.
    let paused!: () => void;
    const pausedNow = new Promise<void>((resolve) => (paused = resolve));
    let resume!: () => void;
    const resumed = new Promise<void>((resolve) => (resume = resolve));
    class StalledLoader extends Gate {
      override async seedAll(seeds: readonly StockSeed[], token: string): Promise<number[]> {
        paused();
        await resumed;
        return super.seedAll(seeds, token);
      }
    }
    const loading = loadCounters(new StalledLoader(gate.redis, gate.keys), prisma, ['slow']);
    await pausedNow;
    // Its lease runs out (as a 5 s stall would make it), and a restock commits under the epoch it read;
    // the outbox finds no load in progress, so it delivers to the absent counter and is done.
    await gate.redis.pexpire(gate.keys.loadLock('slow'), 1);
    await new Promise((r) => setTimeout(r, 20));
    // Through the domain call with live levels switched off: a's publisher would otherwise load the
    // counter afresh as soon as the level changed, and hide the stalled loader's write behind a newer epoch.
    const quiet = { ...a.app.services, levelsChanged: () => {} };
    expect(await restock(quiet, { skuId: 'slow', quantity: 3, idempotencyKey: 'slow-r' })).toMatchObject({ available: 8 });
    resume();
    await loading;
    expect(await gate.levels(['slow'])).toEqual([null]);
    expect(await gateAgrees(a, stack.ns.databaseUrl, 'slow')).toMatchObject({ available: 8 });
  });
});
