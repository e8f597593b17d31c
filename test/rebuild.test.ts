import { describe, expect, it } from 'vitest';
import { outcome } from './support/client.ts';
import { audit } from './support/ledger.ts';
import { useStack } from './support/stack.ts';

// Flushing needs a Redis of our own: the machine's shared one is never flushed.
const stack = useStack({ ownRedis: true });
const { api } = stack;

describe('a flushed Redis is rebuilt from PostgreSQL', () => {
  it('rebuilds between requests and never oversells', async () => {
    await api.upsert([{ id: 'flush', available: 10 }]);
    for (let i = 0; i < 6; i++) expect(outcome(await api.deductOne(`f-${i}`, 'flush'))).toBe('DeductStockSuccess');
    await stack.redis.flushAll();
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => api.deductOne(`g-${i}`, 'flush')));
    expect(after.filter((r) => outcome(r) === 'DeductStockSuccess')).toHaveLength(4);
    expect(after.filter((r) => outcome(r) === 'InsufficientStock')).toHaveLength(16);
    expect(await audit(stack.ns.databaseUrl, 'flush')).toMatchObject({ available: 0, sold: 10, deducts: 10 });
    expect(await api.level('flush')).toMatchObject({ available: 0, sold: 10 });
  });

  it('keeps idempotency across a flush: a replayed key deducts nothing more', async () => {
    await api.upsert([{ id: 'flush-idem', available: 5 }]);
    const first = await api.deductOne('idem-across-flush', 'flush-idem', 2);
    await stack.redis.flushAll();
    const replay = await api.deductOne('idem-across-flush', 'flush-idem', 2);
    expect(replay).toEqual(first);
    const conflict = await api.deductOne('idem-across-flush', 'flush-idem', 3);
    expect(outcome(conflict)).toBe('IdempotencyConflict');
    expect(await audit(stack.ns.databaseUrl, 'flush-idem')).toMatchObject({ available: 3, sold: 2, deducts: 1 });
    expect(await api.level('flush-idem')).toMatchObject({ available: 3, sold: 2 });
  });

  it('fences requests that passed the old counters when Redis is flushed mid-load', async () => {
    const STOCK = 200;
    await api.upsert([{ id: 'fence', available: STOCK }]);
    const load = Array.from({ length: 600 }, (_, i) => api.deductOne(`fence-${i}`, 'fence'));
    const flushes = (async () => {
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 15));
        await stack.redis.flushAll();
      }
    })();
    const [answers] = await Promise.all([Promise.all(load), flushes]);
    const ok = answers.filter((r) => outcome(r) === 'DeductStockSuccess').length;
    for (const r of answers) expect(['DeductStockSuccess', 'InsufficientStock', 'error:TEMPORARILY_UNAVAILABLE']).toContain(outcome(r));
    const ledger = await audit(stack.ns.databaseUrl, 'fence');
    // Every acknowledged deduct is in the ledger, and the ledger never sold more than there was.
    expect(ledger.deducts).toBe(ok);
    expect(ledger.sold).toBe(ok);
    expect(ledger.available).toBe(STOCK - ok);
    expect(ledger.available).toBeGreaterThanOrEqual(0);
    // The gate's own counters (not the PostgreSQL fallback) agree with the truth once the dust settles.
    const last = outcome(await api.deductOne('fence-last', 'fence'));
    const sold = ok + (last === 'DeductStockSuccess' ? 1 : 0);
    const [counter] = await stack.svc.app.services.gate.levels(['fence']);
    expect(counter).toMatchObject({ available: STOCK - sold, sold });
    expect(await audit(stack.ns.databaseUrl, 'fence')).toMatchObject({ available: STOCK - sold, sold });
  });
});
