import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from './support/ledger.ts';
import { DEDUCT, SKUS, UPSERT } from './support/ops.ts';
import { OwnRedis } from './support/redis-server.ts';
import { namespace, serve, type Namespace, type Running } from './support/stack.ts';

// Flushing needs a Redis of our own: the machine's shared one is never flushed.
let redis: OwnRedis;
let ns: Namespace;
let svc: Running;

beforeAll(async () => {
  redis = await OwnRedis.start();
  ns = await namespace(redis.url);
  svc = await serve(ns);
});
afterAll(async () => {
  await svc?.stop();
  await ns?.drop();
  await redis?.stop();
});

const deduct = (orderId: string, skuId: string, quantity = 1) => svc.gql(DEDUCT, { input: { orderId, lines: [{ skuId, quantity }] } });
const outcome = (res: Awaited<ReturnType<typeof deduct>>) => res.data?.deductStock?.__typename ?? `error:${res.errors?.[0]?.extensions?.code}`;

describe('a flushed Redis is rebuilt from PostgreSQL', () => {
  it('rebuilds between requests and never oversells', async () => {
    await svc.gql(UPSERT, { input: [{ id: 'flush', available: 10 }] });
    for (let i = 0; i < 6; i++) expect(outcome(await deduct(`f-${i}`, 'flush'))).toBe('DeductStockSuccess');
    await redis.flushAll();
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => deduct(`g-${i}`, 'flush')));
    expect(after.filter((r) => outcome(r) === 'DeductStockSuccess')).toHaveLength(4);
    expect(after.filter((r) => outcome(r) === 'InsufficientStock')).toHaveLength(16);
    expect(await audit(ns.databaseUrl, 'flush')).toMatchObject({ available: 0, sold: 10, deducts: 10 });
    const level = await svc.gql(SKUS, { ids: ['flush'] });
    expect(level.data.skus[0]).toMatchObject({ available: 0, sold: 10 });
  });

  it('keeps idempotency across a flush: a replayed key deducts nothing more', async () => {
    await svc.gql(UPSERT, { input: [{ id: 'flush-idem', available: 5 }] });
    const first = await deduct('idem-across-flush', 'flush-idem', 2);
    await redis.flushAll();
    const replay = await deduct('idem-across-flush', 'flush-idem', 2);
    expect(replay).toEqual(first);
    const conflict = await deduct('idem-across-flush', 'flush-idem', 3);
    expect(outcome(conflict)).toBe('IdempotencyConflict');
    expect(await audit(ns.databaseUrl, 'flush-idem')).toMatchObject({ available: 3, sold: 2, deducts: 1 });
    expect((await svc.gql(SKUS, { ids: ['flush-idem'] })).data.skus[0]).toMatchObject({ available: 3, sold: 2 });
  });

  it('fences requests that passed the old counters when Redis is flushed mid-load', async () => {
    const STOCK = 200;
    await svc.gql(UPSERT, { input: [{ id: 'fence', available: STOCK }] });
    const load = Array.from({ length: 600 }, (_, i) => deduct(`fence-${i}`, 'fence'));
    const flushes = (async () => {
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 15));
        await redis.flushAll();
      }
    })();
    const [answers] = await Promise.all([Promise.all(load), flushes]);
    const ok = answers.filter((r) => outcome(r) === 'DeductStockSuccess').length;
    for (const r of answers) expect(['DeductStockSuccess', 'InsufficientStock', 'error:TEMPORARILY_UNAVAILABLE']).toContain(outcome(r));
    const ledger = await audit(ns.databaseUrl, 'fence');
    // Every acknowledged deduct is in the ledger, and the ledger never sold more than there was.
    expect(ledger.deducts).toBe(ok);
    expect(ledger.sold).toBe(ok);
    expect(ledger.available).toBe(STOCK - ok);
    expect(ledger.available).toBeGreaterThanOrEqual(0);
    // The gate's own counters (not the PostgreSQL fallback) agree with the truth once the dust settles.
    const last = outcome(await deduct('fence-last', 'fence'));
    const sold = ok + (last === 'DeductStockSuccess' ? 1 : 0);
    const [counter] = await svc.app.services.gate.levels(['fence']);
    expect(counter).toMatchObject({ available: STOCK - sold, sold });
    expect(await audit(ns.databaseUrl, 'fence')).toMatchObject({ available: STOCK - sold, sold });
  });
});
